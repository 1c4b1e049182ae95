"""The common parameters of every report (`from`, `to`, `tz`, `interval`), checked and turned into a
`ReportRange` (issue 14; docs/api.md "Reports", docs/architecture/analytics.md "Reports").

`from` and `to` are local calendar dates in the time zone `tz`, `to` included. The range runs from
local midnight of `from` to local midnight after `to`, as UTC instants (zoneinfo, so a day of the
change to or from summer time has 23 or 25 hours). The previous period is the same number of days
just before `from`.

The figures are read per UTC hour (`chat_facts.hour_at`, `metric_hours.hour_at`). An hour row
belongs to the local hour, day and weekday in which it starts. In a zone whose offset is not a
whole number of hours (Asia/Kolkata +05:30, Asia/Kathmandu +05:45) a UTC hour straddles two local
hours; it is attributed to the local hour it starts in (UTC 05:00-06:00 counts as 10:00 in
Kolkata), and the range takes the UTC hours that start inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from frontdesk.domain.chat_rules import bad_field
from frontdesk.domain.dates import parse_day

MAX_DAYS = 400  # `to` at most this many days after `from`
MAX_HOUR_DAYS = 31  # interval=hour: at most this many days
DEFAULT_DAYS = 7  # no `from`: the 7 days up to `to` (no `to`: today)
FIRST_YEAR, LAST_YEAR = 1971, 9000
INTERVALS = ("hour", "day", "week")

_ZONES = available_timezones() | {"UTC"}
HOUR = timedelta(hours=1)


def check_tz(value: object, field: str = "tz") -> ZoneInfo:
    """An IANA time zone name (Europe/Oslo, UTC)."""
    if not isinstance(value, str) or not value:
        raise bad_field(field, "must be an IANA time zone like Europe/Oslo")
    if value not in _ZONES:
        raise bad_field(field, "unknown time zone")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_field(field, "unknown time zone") from None


def check_interval(value: object, allowed: tuple[str, ...] = INTERVALS, default: str = "day") -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise bad_field("interval", "must be one of " + ", ".join(allowed))
    return str(value)


def ceil_hour(at: datetime) -> datetime:
    """The first whole UTC hour at or after `at`."""
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + HOUR


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of `day` as a UTC instant. Where midnight itself is skipped (a change at
    00:00, e.g. America/Havana) the day starts at the change (fold=0 reads a skipped wall time
    with the offset before it, which is the instant of the change); a repeated midnight is the
    first one."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class ReportRange:
    first: date  # `from`, local
    last: date  # `to`, local, included
    tz: str

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @cached_property
    def start(self) -> datetime:
        """Local midnight of `from`, UTC."""
        return local_midnight(self.first, self.zone)

    @cached_property
    def end(self) -> datetime:
        """Local midnight after `to`, UTC (excluded)."""
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def hour_from(self) -> datetime:
        """The first UTC hour row in the range (hour rows that start inside it)."""
        return ceil_hour(self.start)

    @property
    def hour_to(self) -> datetime:
        """The first UTC hour row after the range (excluded)."""
        return ceil_hour(self.end)

    @property
    def previous(self) -> ReportRange:
        """The same number of days just before `from`."""
        return ReportRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.tz)

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "tz": self.tz}

    def local(self, hour_at: datetime) -> datetime:
        """A UTC hour row's start in local time."""
        if hour_at.tzinfo is None:
            hour_at = hour_at.replace(tzinfo=UTC)
        return hour_at.astimezone(self.zone)

    def hours(self) -> list[datetime]:
        """Every UTC hour row start in the range, in order."""
        out, at = [], self.hour_from
        while at < self.hour_to:
            out.append(at)
            at += HOUR
        return out

    def stretches(self) -> list[tuple[datetime, datetime, int]]:
        """The range's UTC hour rows cut where the zone's UTC offset changes: (hour_from, hour_to,
        offset in seconds) with hour_to excluded - at most 3 a year. Inside a stretch an hour row's
        local time is `hour_at + offset`, so the queries group by local day or weekday x hour in
        SQL (store/report_store.rollup_sums_local)."""
        out: list[tuple[datetime, datetime, int]] = []
        start, offset = self.hour_from, None
        for at in self.hours():
            now = self.offset_of(at)
            if offset is not None and now != offset:
                out.append((start, at, offset))
                start = at
            offset = now
        if offset is not None:
            out.append((start, self.hour_to, offset))
        return out

    def offset_of(self, hour_at: datetime) -> int:
        """The zone's UTC offset at an hour row's start, in seconds."""
        delta = self.local(hour_at).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    def bucket_key(self, hour_at: datetime, interval: str) -> str:
        """The bucket an hour row falls in: its local hour (ISO with the offset, so the repeated
        hour of a fall-back day stays two buckets), local day, or the Monday of its local week."""
        local = self.local(hour_at)
        if interval == "hour":
            return local.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
        day = local.date()
        if interval == "week":
            day -= timedelta(days=day.weekday())
        return day.isoformat()

    def buckets(self, interval: str) -> list[str]:
        """Every bucket of the range in order, empty ones included."""
        if interval == "hour":
            seen: dict[str, None] = {}
            for at in self.hours():
                seen.setdefault(self.bucket_key(at, "hour"), None)
            return list(seen)
        step = 7 if interval == "week" else 1
        day = self.first - timedelta(days=self.first.weekday()) if interval == "week" else self.first
        out = []
        while day <= self.last:
            out.append(day.isoformat())
            day += timedelta(days=step)
        return out


def _day(value: object, field: str) -> date:
    day = parse_day(value, field)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise bad_field(field, f"must be a date between the years {FIRST_YEAR} and {LAST_YEAR}")
    return day


def parse_range(
    since: object,
    until: object,
    tz: object,
    *,
    today: date,
    default_tz: str = "UTC",
    interval: str | None = None,
) -> ReportRange:
    """`from`, `to` (local dates, `to` included; defaults: the 7 days up to today) and `tz`
    (default: `default_tz`) as a ReportRange, or a 400 naming the field."""
    zone_name = default_tz if tz is None or tz == "" else tz
    check_tz(zone_name)
    last = today if until is None or until == "" else _day(until, "to")
    first = last - timedelta(days=DEFAULT_DAYS - 1) if since is None or since == "" else _day(since, "from")
    if last < first:
        raise bad_field("to", "must not be before from")
    if (last - first).days > MAX_DAYS:
        raise bad_field("to", f"at most {MAX_DAYS} days after from")
    if interval == "hour" and (last - first).days >= MAX_HOUR_DAYS:
        raise bad_field("interval", f"hour needs a range of at most {MAX_HOUR_DAYS} days")
    assert isinstance(zone_name, str)
    return ReportRange(first, last, zone_name)
