"""Ids: the one range check for every id, wherever it arrives (path, query, body, socket frame).

Ids are the database's primary keys. Most are BIGINT (chats, events, tickets, mail, audit
entries, annotations, reviews: 1 .. 2**63 - 1); users, departments, canned responses, tags and
scorecard criteria have INTEGER keys on PostgreSQL (1 .. 2**31 - 1; SQLite's are 64-bit, but the
range is the same on both databases so an answer never depends on the backend). A value outside
its column's range can name no row, and handed to a driver it overflows (a 500 and a dropped
connection before this check existed), so it is refused up front as a bad request naming the
field. The range of a field follows from its name (`SMALL_ID_FIELDS`); cursors (`after`, a
last-seen seq) may also be 0.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, overload

from frontdesk.domain.chat_rules import ChatRuleError

MAX_ID = 2**63 - 1  # BIGINT
MAX_SMALL_ID = 2**31 - 1  # INTEGER (PostgreSQL)

# Fields that name a row of a table with an INTEGER key (store/models.py).
SMALL_ID_FIELDS = frozenset(
    {
        "user_id",
        "agent_id",
        "actor_id",
        "to_agent_id",
        "owner_id",
        "member_ids",
        "department_id",
        "to_department_id",
        "fallback_department_id",
        "department_ids",
        "canned_id",
        "tag_id",
        "tag_ids",
        "criterion_id",
        "rule_id",  # invitation rules
        "rule_ids",
        "office_id",  # staffing (issue 15)
        "shift_id",
        "rotation_id",
        "offices",  # staffing bodies: lists of office and agent ids (offices[0], agents[1])
        "agents",
    }
)


def max_id(field: str) -> int:
    """The largest id `field` may carry (by its last name part: `scores[0].criterion_id`)."""
    name = field.rsplit(".", 1)[-1].split("[", 1)[0]
    return MAX_SMALL_ID if name in SMALL_ID_FIELDS else MAX_ID


def is_id(value: object, *, minimum: int = 1, field: str = "") -> TypeGuard[int]:
    """A whole number (not a bool) in minimum .. the field's largest id."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= max_id(field)


@overload
def check_id(value: object, field: str, *, minimum: int = 1, optional: Literal[False] = False) -> int: ...
@overload
def check_id(value: object, field: str, *, minimum: int = 1, optional: bool) -> int | None: ...
def check_id(value: object, field: str, *, minimum: int = 1, optional: bool = False) -> int | None:
    """`value` as an id, or a bad_request naming `field`; None passes when `optional`."""
    if value is None and optional:
        return None
    if not is_id(value, minimum=minimum, field=field):
        raise ChatRuleError(
            "bad_request", f"{field}: must be a whole number from {minimum} to {max_id(field)}", field=field
        )
    return value
