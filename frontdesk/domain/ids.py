"""Ids: the one range every id may have, anywhere it arrives (path, query, body, socket frame).

Ids are the database's BIGINT/INTEGER primary keys: 1 .. 2**63 - 1 on PostgreSQL and SQLite
alike. A value outside that range can name no row, and handed to a driver it overflows (a 500
and a dropped connection before this check existed), so it is refused up front as a bad request
naming the field. Cursors (`after`, a last-seen seq) may also be 0.
"""

from __future__ import annotations

from frontdesk.domain.chat_rules import ChatRuleError

MAX_ID = 2**63 - 1


def is_id(value: object, *, minimum: int = 1) -> bool:
    """A whole number (not a bool) in minimum .. MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_ID


def check_id(value: object, field: str, *, minimum: int = 1, optional: bool = False) -> int | None:
    """`value` as an id, or a bad_request naming `field`; None passes when `optional`."""
    if value is None and optional:
        return None
    if not is_id(value, minimum=minimum):
        raise ChatRuleError(
            "bad_request", f"{field}: must be a whole number from {minimum} to {MAX_ID}", field=field
        )
    return value  # type: ignore[return-value]
