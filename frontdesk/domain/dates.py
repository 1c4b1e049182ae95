"""Date filters (`from` / `to` of the archive, the reports and the audit log), parsed strictly.

Only ISO 8601 calendar dates (`2026-11-30`, a whole day in UTC) and date-times
(`2026-11-30T14:05`, `2026-11-30T14:05:09.5+01:00`, `...Z`; without an offset: UTC) are taken.
Anything else - `0.5`, `1700000000`, `20261130`, `2026-W48` - is a bad request naming the field,
never a guess (a number read as a Unix time turned `to=0.5` into 1970).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from frontdesk.domain.chat_rules import ChatRuleError, bad_field

DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DAY_OR_MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
_DAY = re.compile(DAY_PATTERN, re.ASCII)
_DAY_OR_MOMENT = re.compile(DAY_OR_MOMENT_PATTERN, re.ASCII)


def _bad(field: str, what: str) -> ChatRuleError:
    return bad_field(field, f"must be {what}")


def parse_day(value: object, field: str) -> date:
    """A calendar date, YYYY-MM-DD."""
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise _bad(field, "a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(field, "a date (YYYY-MM-DD)") from None


def parse_bound(value: object, field: str, *, end: bool = False) -> datetime:
    """A date or an ISO 8601 date-time as an aware UTC datetime. A date means its whole day:
    its start, or with `end` the start of the next day (so `to=2026-11-30` includes the 30th)."""
    what = "a date (YYYY-MM-DD) or an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])"
    if not isinstance(value, str) or not _DAY_OR_MOMENT.fullmatch(value):
        raise _bad(field, what)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise _bad(field, what) from None
    except OverflowError:  # 9999-12-31 as an end, 0001-01-01T00:00+01:00
        raise _bad(field, "a date between the years 1 and 9999") from None
