"""Business hours in a department's time zone: weekly intervals plus dated exceptions.

Shape (what admins send and what is stored):
    {"timezone": "Europe/Oslo",
     "weekly": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "12:00"], ["13:00", "17:00"]], ...},
     "exceptions": [{"date": "2026-12-25", "closed": true},
                    {"date": "2026-12-24", "hours": [["09:00", "13:00"]]}]}
Days not listed are closed. "24:00" may end an interval. An empty `weekly` means always open
(a 24/7 department).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from frontdesk.domain.chat_rules import ChatRuleError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Interval = tuple[int, int]  # minutes since local midnight, [start, end)


@dataclass(frozen=True)
class BusinessHours:
    timezone: str
    weekly: dict[str, tuple[Interval, ...]]
    exceptions: dict[date, tuple[Interval, ...]]  # () = closed all day

    @property
    def always_open(self) -> bool:
        return not self.weekly and not self.exceptions

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        if not self.weekly:
            return ((0, 1440),)
        return self.weekly.get(DAYS[day.weekday()], ())

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        local = at.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.intervals_on(local.date()))

    def next_opening(self, at: datetime, *, horizon_days: int = 14) -> datetime | None:
        """When the department next opens (`at` itself if open now), in UTC; None if not within
        the horizon. Wall-clock openings are turned into instants in UTC, so the hour a DST change
        repeats or skips is handled: a start time that does not exist opens at the change."""
        if self.is_open(at):
            return at.astimezone(UTC)
        zone = ZoneInfo(self.timezone)
        at_utc = at.astimezone(UTC)
        local_day = at_utc.astimezone(zone).date()
        candidates: list[datetime] = []
        for offset in range(-1, horizon_days + 1):
            day = local_day + timedelta(days=offset)
            for start, _end in sorted(self.intervals_on(day)):
                wall = datetime.combine(day, time(start // 60, start % 60))
                for fold in (0, 1):  # a repeated wall time happens twice: both are candidates
                    opening = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
                    if opening.astimezone(zone).replace(tzinfo=None) != wall:
                        opening = _after_gap(opening, zone)  # the wall time was skipped
                    candidates.append(opening)
        # Clocks going back can put an instant inside an interval again: changes are candidates too.
        candidates += _offset_changes(zone, at_utc, at_utc + timedelta(days=horizon_days + 1))
        for opening in sorted(candidates):
            if opening > at_utc and self.is_open(opening):
                return opening
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "weekly": {d: [[_fmt(s), _fmt(e)] for s, e in iv] for d, iv in self.weekly.items()},
            "exceptions": [
                {"date": d.isoformat(), "closed": True}
                if not iv
                else {"date": d.isoformat(), "hours": [[_fmt(s), _fmt(e)] for s, e in iv]}
                for d, iv in sorted(self.exceptions.items())
            ],
        }


def _after_gap(instant: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after a skipped wall time: the moment the clocks jumped forward."""
    step = timedelta(minutes=1)
    probe = instant - timedelta(hours=3)
    offset = probe.astimezone(zone).utcoffset()
    while probe < instant + timedelta(hours=3):
        probe += step
        if probe.astimezone(zone).utcoffset() != offset:
            return probe
    return instant


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants (to the minute) between start and end where the zone's UTC offset changes."""
    out = []
    probe, offset = start, start.astimezone(zone).utcoffset()
    while probe < end:
        nxt = probe + timedelta(hours=1)
        if nxt.astimezone(zone).utcoffset() != offset:
            low, high = probe, nxt  # the change is in (low, high]: find its minute
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == offset:
                    low = mid
                else:
                    high = mid
            out.append(high.replace(second=0, microsecond=0))
            offset = nxt.astimezone(zone).utcoffset()
        probe = nxt
    return out


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(value: object, field: str) -> int:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ChatRuleError("bad_request", f"{field}: times must look like 09:30", field=field)
    hh, mm = value[:2], value[3:]
    if not (hh.isdigit() and mm.isdigit()):
        raise ChatRuleError("bad_request", f"{field}: times must look like 09:30", field=field)
    h, m = int(hh), int(mm)
    if not (0 <= m < 60 and (0 <= h < 24 or (h == 24 and m == 0))):
        raise ChatRuleError("bad_request", f"{field}: {value} is not a time of day", field=field)
    return h * 60 + m


def _intervals(value: object, field: str) -> tuple[Interval, ...]:
    if not isinstance(value, list):
        raise ChatRuleError("bad_request", f"{field}: must be a list of [start, end] pairs", field=field)
    out: list[Interval] = []
    for i, pair in enumerate(value):
        here = f"{field}[{i}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ChatRuleError("bad_request", f"{here}: must be a [start, end] pair", field=here)
        start, end = _minutes(pair[0], here), _minutes(pair[1], here)
        if start >= end:
            raise ChatRuleError("bad_request", f"{here}: must end after it starts", field=here)
        out.append((start, end))
    out.sort()
    for (s1, e1), (s2, e2) in zip(out, out[1:], strict=False):
        if s2 < e1:
            raise ChatRuleError(
                "bad_request",
                f"{field}: intervals {_fmt(s1)}-{_fmt(e1)} and {_fmt(s2)}-{_fmt(e2)} overlap",
                field=field,
            )
    return tuple(out)


def check_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ChatRuleError("bad_request", "timezone: must be an IANA time zone like Europe/Oslo", field="timezone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ChatRuleError("bad_request", f"timezone: unknown time zone {value!r}", field="timezone") from None
    if value not in _ZONES and value != "UTC":
        raise ChatRuleError("bad_request", f"timezone: unknown time zone {value!r}", field="timezone")
    return value


_ZONES = available_timezones()


def parse_business_hours(value: object) -> BusinessHours:
    """Validate what an admin sent; every error names the field that is wrong."""
    if value is None:
        return BusinessHours("UTC", {}, {})
    if not isinstance(value, dict):
        raise ChatRuleError("bad_request", "hours: must be an object", field="hours")
    zone = check_timezone(value.get("timezone", "UTC"))
    weekly_raw = value.get("weekly") or {}
    if not isinstance(weekly_raw, dict):
        raise ChatRuleError("bad_request", "hours.weekly: must map days to intervals", field="hours.weekly")
    weekly: dict[str, tuple[Interval, ...]] = {}
    for day, intervals in weekly_raw.items():
        if day not in DAYS:
            raise ChatRuleError(
                "bad_request",
                f"hours.weekly: unknown day {day!r} (use {', '.join(DAYS)})",
                field="hours.weekly",
            )
        parsed = _intervals(intervals, f"hours.weekly.{day}")
        if parsed:
            weekly[day] = parsed
    if weekly_raw and not weekly:
        weekly = {}  # listed days but all empty: closed every day is expressed by exceptions, not this
    exceptions: dict[date, tuple[Interval, ...]] = {}
    raw_exceptions = value.get("exceptions") or []
    if not isinstance(raw_exceptions, list):
        raise ChatRuleError("bad_request", "hours.exceptions: must be a list", field="hours.exceptions")
    for i, item in enumerate(raw_exceptions):
        here = f"hours.exceptions[{i}]"
        if not isinstance(item, dict):
            raise ChatRuleError("bad_request", f"{here}: must be an object", field=here)
        try:
            day = date.fromisoformat(str(item.get("date")))
        except ValueError:
            raise ChatRuleError("bad_request", f"{here}.date: must be YYYY-MM-DD", field=f"{here}.date") from None
        if day in exceptions:
            raise ChatRuleError("bad_request", f"{here}.date: {day} is listed twice", field=f"{here}.date")
        exceptions[day] = () if item.get("closed") else _intervals(item.get("hours", []), f"{here}.hours")
    return BusinessHours(zone, weekly, exceptions)
