"""The live view's question, checked: which online visitors, in what order, which page
(docs/architecture/visitors.md, "Live view"). Pure: no I/O.

The same `LiveQuery` comes from `GET /api/v1/visitors/live`'s query string and from an agent
socket's `visitors.watch` frame (its `filter`, `sort`, `page`, `page_size`); anything wrong is a
`bad_request` naming the field (`filter.state`, `sort`, `page_size`...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from frontdesk.domain.chat_rules import bad_field
from frontdesk.domain.ids import MAX_SMALL_ID

# A visit is online while a socket of its visitor is connected (left_at NULL), it has not ended,
# and its node refreshed it lately (each node refreshes its visitors' visits every 30 s: three
# missed refreshes, e.g. a node that died, and its visitors drop out of the view).
ONLINE_WITHIN = timedelta(seconds=90)

STATES = ("none", "invited", "waiting", "chatting")
# Sort keys, each ascending by the value shown in the column; "-key" descending.
SORTS = ("time_on_site", "pages", "page_since", "country", "visit_number")
DEFAULT_SORT = "time_on_site"  # shortest time on site first: the newest arrivals on top
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_TEXT = 200  # "contains" filters
FILTER_FIELDS = ("url", "country", "referrer", "returning", "state", "department")


@dataclass(frozen=True, slots=True)
class LiveQuery:
    url: str | None = None  # the current page's URL contains this (any case)
    country: str | None = None  # ISO 3166 alpha-2, upper case
    referrer: str | None = None  # the visit's referrer contains this (any case)
    returning: bool | None = None  # True: visit number 2 or more; False: first visits
    state: str | None = None  # none | invited | waiting | chatting
    department: int | None = None
    sort: str = DEFAULT_SORT  # a key of SORTS
    descending: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def _text(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_field(field, "must be a string")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise bad_field(field, f"must be at most {MAX_TEXT} characters, without NUL")
    return value.strip() or None


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():  # from a query string
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad_field(field, f"must be a whole number from {low} to {high}")
    return value


def _flag(value: object, field: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise bad_field(field, "must be true or false")


def check_live_query(
    filters: Mapping[str, object],
    sort: object = None,
    page: object = None,
    page_size: object = None,
    *,
    prefix: str = "",
) -> LiveQuery:
    """The query, or a bad_request naming the field (`prefix` names where the filters sit:
    "filter." in a socket frame, "" in a query string)."""
    for name in filters:
        if name not in FILTER_FIELDS:
            raise bad_field(prefix + name, f"unknown filter; one of {', '.join(FILTER_FIELDS)}")
    country = _text(filters.get("country"), prefix + "country")
    if country is not None:
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise bad_field(prefix + "country", "must be a two-letter country code")
        country = country.upper()
    state = filters.get("state")
    if state in (None, ""):
        state = None
    elif state not in STATES:
        raise bad_field(prefix + "state", f"must be one of {', '.join(STATES)}")
    department = filters.get("department")
    department = None if department in (None, "") else _whole(department, prefix + "department", 1, MAX_SMALL_ID)
    key, descending = DEFAULT_SORT, False
    if sort not in (None, ""):
        if not isinstance(sort, str) or sort.removeprefix("-") not in SORTS:
            raise bad_field("sort", f"must be one of {', '.join(SORTS)} (a leading - for descending)")
        key, descending = sort.removeprefix("-"), sort.startswith("-")
    return LiveQuery(
        url=_text(filters.get("url"), prefix + "url"),
        country=country,
        referrer=_text(filters.get("referrer"), prefix + "referrer"),
        returning=_flag(filters.get("returning"), prefix + "returning"),
        state=state if isinstance(state, str) else None,
        department=department,
        sort=key,
        descending=descending,
        page=1 if page in (None, "") else _whole(page, "page", 1, MAX_PAGE),
        page_size=DEFAULT_PAGE_SIZE if page_size in (None, "") else _whole(page_size, "page_size", 1, MAX_PAGE_SIZE),
    )
