"""Agents' recurring weekly shifts (issue 15): pure rules, no database, no HTTP.

A shift is local to a time zone (its agent's office's when it was made): it starts on local
`weekday` (0 = Monday) at `start_minute` and lasts `minutes` real minutes (at most 24 hours; past
midnight it runs into the next day), in the weeks whose index % cycle_weeks == cycle_week. The
week index counts whole local weeks since Monday EPOCH_MONDAY, so a rotation of N weeks has a
fixed phase. docs/staffing.md "Shifts, offices and rotations" explains the rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import lcm
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from frontdesk.domain.business_hours import check_timezone
from frontdesk.domain.chat_rules import ChatRuleError, bad_field
from frontdesk.domain.text import clean_line

EPOCH_MONDAY = date(2024, 1, 1)  # a Monday: week 0 of every cycle


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    agent_id: int
    timezone: str
    weekday: int  # 0 = Monday, local
    start_minute: int  # minutes after local midnight
    minutes: int  # real length, 15..1440
    cycle_weeks: int = 1
    cycle_week: int = 0  # 0 <= cycle_week < cycle_weeks
    department_id: int | None = None  # None: staffs every department the agent belongs to
    id: int | None = None


def week_index(local_day: date) -> int:
    """Whole weeks from EPOCH_MONDAY to the Monday of `local_day`'s week (negative before it)."""
    return (local_day - EPOCH_MONDAY).days // 7


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIN_MINUTES = 15
MAX_MINUTES = 24 * 60
MAX_CYCLE_WEEKS = 8
# overlapping() compares two shifts over at least this many weeks (and whole common cycles):
# two years holds every phase of cycles up to 8 weeks and both DST changes of every zone.
OVERLAP_WEEKS = 106


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise bad_field(field, "must be a whole number")
    return value


def parse_weekday(value: object, field: str = "weekday") -> int:
    """0-6 (0 = Monday) or "mon".."sun" (a full English name works too)."""
    if isinstance(value, str):
        key = value.strip().lower()
        for day, (short, name) in enumerate(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)):
            if key in (short, name.lower()):
                return day
        raise bad_field(field, 'must be 0-6 (0 = Monday) or "mon".."sun"')
    day = _int(value, field)
    if not 0 <= day <= 6:
        raise bad_field(field, 'must be 0-6 (0 = Monday) or "mon".."sun"')
    return day


def parse_start(value: object, field: str = "start") -> int:
    """A start as "HH:MM" (00:00-23:59), or the minute after midnight (0-1439) as stored in rotations."""
    if isinstance(value, str):
        hh, sep, mm = value.strip().partition(":")
        if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2 or len(hh) > 2:
            raise bad_field(field, "must look like 22:00")
        minute = int(hh) * 60 + int(mm)
        if int(hh) > 23 or int(mm) > 59:
            raise bad_field(field, f"{value} is not a time of day")
        return minute
    minute = _int(value, field)
    if not 0 <= minute < MAX_MINUTES:
        raise bad_field(field, "must look like 22:00")
    return minute


def parse_shift(data: Mapping[str, Any], *, default_timezone: str, prefix: str = "") -> dict[str, Any]:
    """Check a shift's fields as a client sends them: weekday, start "HH:MM", minutes,
    timezone (default: `default_timezone`), cycle_weeks, cycle_week. Returns the stored form
    (weekday, start_minute, minutes, timezone, cycle_weeks, cycle_week); every error names its
    field (`prefix` + the field, e.g. "pattern[1][0].minutes")."""
    if not isinstance(data, Mapping):
        raise bad_field(prefix.rstrip(".") or "shift", "must be an object")
    for name in ("weekday", "start", "minutes"):
        if data.get(name) is None:
            raise bad_field(prefix + name, "is required")
    weekday = parse_weekday(data["weekday"], prefix + "weekday")
    start = parse_start(data["start"], prefix + "start")
    minutes = _int(data["minutes"], prefix + "minutes")
    if minutes > MAX_MINUTES:
        raise bad_field(prefix + "minutes", "a shift is at most 24 hours")
    if minutes < MIN_MINUTES:
        raise bad_field(prefix + "minutes", f"a shift is at least {MIN_MINUTES} minutes")
    timezone = data.get("timezone") or default_timezone
    try:
        timezone = check_timezone(timezone)
    except ChatRuleError as error:
        raise bad_field(prefix + "timezone", error.message.removeprefix("timezone: ")) from None
    cycle_weeks = _int(data.get("cycle_weeks", 1), prefix + "cycle_weeks")
    if not 1 <= cycle_weeks <= MAX_CYCLE_WEEKS:
        raise bad_field(prefix + "cycle_weeks", f"must be 1-{MAX_CYCLE_WEEKS}")
    cycle_week = _int(data.get("cycle_week", 0), prefix + "cycle_week")
    if not 0 <= cycle_week < cycle_weeks:
        raise bad_field(prefix + "cycle_week", f"must be 0-{cycle_weeks - 1} (less than cycle_weeks)")
    return {
        "weekday": weekday,
        "start_minute": start,
        "minutes": minutes,
        "timezone": timezone,
        "cycle_weeks": cycle_weeks,
        "cycle_week": cycle_week,
    }


def clock(minute: int) -> str:
    minute %= MAX_MINUTES
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe(shift: ShiftSpec) -> str:
    """The shift as "Tuesday 22:00–06:00" (local wall clock), with the week of its cycle when it has one."""
    text = f"{WEEKDAY_NAMES[shift.weekday]} {clock(shift.start_minute)}–{clock(shift.start_minute + shift.minutes)}"
    if shift.cycle_weeks > 1:
        text += f" (week {shift.cycle_week + 1} of {shift.cycle_weeks})"
    return text


def local_start(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The UTC instant a shift starting at local `day` + `minute` starts. A repeated local time
    (DST ends) is its first occurrence; a skipped one (DST starts) starts at the change itself."""
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap: the change lies between the two readings of `wall`; find it to the second.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=int((hi - lo).total_seconds()) // 2)
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def occurrences(
    shift: ShiftSpec, start: datetime, end: datetime, holidays: Collection[date] = ()
) -> list[tuple[datetime, datetime]]:
    """The shift's real (UTC) intervals that overlap [start, end), whole (not clipped), in order.
    An occurrence whose local start day is in `holidays` does not happen. A naive datetime is UTC."""
    start, end = _utc(start), _utc(end)
    zone = ZoneInfo(shift.timezone)
    length = timedelta(minutes=shift.minutes)
    # A shift starts at most a day (plus a day of offsets) before `start` and ends after it.
    first_week = week_index(start.astimezone(zone).date() - timedelta(days=2))
    last_week = week_index(end.astimezone(zone).date() + timedelta(days=1))
    out: list[tuple[datetime, datetime]] = []
    for week in range(first_week, last_week + 1):
        if week % shift.cycle_weeks != shift.cycle_week:
            continue
        day = EPOCH_MONDAY + timedelta(days=7 * week + shift.weekday)
        if day in holidays:
            continue
        begins = local_start(zone, day, shift.start_minute)
        ends = begins + length
        if ends > start and begins < end:
            out.append((begins, ends))
    return out


def overlapping(new: ShiftSpec, existing: Sequence[ShiftSpec], *, from_day: date | None = None) -> ShiftSpec | None:
    """The first of the same agent's `existing` shifts that overlaps `new` in real time in any
    week of their cycles (across midnight, week ends and DST changes), or None. A shift with the
    same id as `new` is `new` itself (an update) and is skipped; touching ends do not overlap.
    The check runs over whole common cycles of at least OVERLAP_WEEKS from `from_day` (today)."""
    begin_day = (from_day or datetime.now(UTC).date()) - timedelta(days=7)
    for other in existing:
        if other.agent_id != new.agent_id or (new.id is not None and other.id == new.id):
            continue
        cycle = lcm(new.cycle_weeks, other.cycle_weeks)
        weeks = cycle * -(-OVERLAP_WEEKS // cycle)
        start = datetime.combine(begin_day, time(), UTC)
        end = start + timedelta(weeks=weeks)
        mine = occurrences(new, start, end)
        theirs = occurrences(other, start, end)
        i = j = 0
        while i < len(mine) and j < len(theirs):
            if mine[i][0] < theirs[j][1] and theirs[j][0] < mine[i][1]:
                return other
            if mine[i][1] <= theirs[j][1]:
                i += 1
            else:
                j += 1
    return None


def check_no_overlap(new: ShiftSpec, existing: Sequence[ShiftSpec], *, field: str = "start") -> None:
    """A 400 naming `field` when `new` overlaps one of the agent's other shifts, saying which."""
    clash = overlapping(new, existing)
    if clash is not None:
        raise bad_field(field, f"overlaps the agent's shift on {describe(clash)}")


def scheduled_per_hour(
    shifts: Sequence[ShiftSpec],
    start: datetime,
    hours: int,
    holidays: Mapping[int, Collection[date]] | None = None,
) -> list[float]:
    """For each UTC hour from `start`: the agents on shift, by the share of the hour each covers
    (a half-covered hour counts 0.5). `holidays` maps an agent id to the local days off."""
    start = _utc(start)
    end = start + timedelta(hours=hours)
    counts = [0.0] * hours
    hour = timedelta(hours=1)
    for shift in shifts:
        days_off = (holidays or {}).get(shift.agent_id, ())
        for begins, ends in occurrences(shift, start, end, days_off):
            begins, ends = max(begins, start), min(ends, end)
            first = int((begins - start) // hour)
            last = int((ends - start - timedelta(microseconds=1)) // hour)
            for index in range(first, last + 1):
                slot = start + index * hour
                covered = min(ends, slot + hour) - max(begins, slot)
                counts[index] += covered / hour
    return counts


def _pattern_entry(entry: Mapping[str, Any]) -> tuple[int, int, int]:
    return parse_weekday(entry["weekday"]), parse_start(entry["start"]), _int(entry["minutes"], "minutes")


def rotation_shifts(
    pattern: Sequence[Sequence[Mapping[str, Any]]],
    agent_ids: Sequence[int],
    *,
    timezone_of: Mapping[int, str],
    department_id: int | None = None,
) -> list[ShiftSpec]:
    """A rotation template of N = len(pattern) weeks ({weekday, start, minutes} per shift) as
    each agent's shifts (cycle_weeks = N), staggered: agent i works pattern week i % N in cycle
    week 0, week (i + 1) % N in cycle week 1, and so on, so nights and weekends go round.
    Each agent's shifts are in their own time zone (`timezone_of`)."""
    weeks = len(pattern)
    out: list[ShiftSpec] = []
    for i, agent_id in enumerate(agent_ids):
        for p, week in enumerate(pattern):
            for entry in week:
                weekday, start, minutes = _pattern_entry(entry)
                out.append(
                    ShiftSpec(
                        agent_id=agent_id,
                        timezone=timezone_of[agent_id],
                        weekday=weekday,
                        start_minute=start,
                        minutes=minutes,
                        cycle_weeks=weeks,
                        cycle_week=(p - i) % weeks,
                        department_id=department_id,
                    )
                )
    return out


def parse_rotation(data: Mapping[str, Any]) -> dict[str, Any]:
    """A rotation template as a client sends it: {name, pattern: [[{weekday, start, minutes}, ...]
    per week], weeks (optional: len(pattern))}. Returns {name, weeks, pattern} with starts as
    minutes; the template's own shifts may not overlap each other (checked in UTC)."""
    if not isinstance(data, Mapping):
        raise bad_field("rotation", "must be an object")
    name = clean_line(data.get("name"), "name")
    if not 1 <= len(name) <= 100:
        raise bad_field("name", "must be 1 to 100 characters")
    pattern = data.get("pattern")
    if not isinstance(pattern, list) or not 1 <= len(pattern) <= MAX_CYCLE_WEEKS:
        raise bad_field("pattern", f"must be a list of 1-{MAX_CYCLE_WEEKS} weeks, each a list of shifts")
    if data.get("weeks") is not None and _int(data["weeks"], "weeks") != len(pattern):
        raise bad_field("weeks", f"must equal the pattern's number of weeks ({len(pattern)})")
    clean: list[list[dict[str, int]]] = []
    for w, week in enumerate(pattern):
        if not isinstance(week, list):
            raise bad_field(f"pattern[{w}]", "must be a list of shifts")
        days = []
        for s, entry in enumerate(week):
            shift = parse_shift(entry, default_timezone="UTC", prefix=f"pattern[{w}][{s}].")
            days.append({"weekday": shift["weekday"], "start": shift["start_minute"], "minutes": shift["minutes"]})
        clean.append(days)
    if not any(clean):
        raise bad_field("pattern", "has no shifts")
    specs = rotation_shifts(clean, [0], timezone_of={0: "UTC"})
    for k, spec in enumerate(specs):
        clash = overlapping(spec, specs[k + 1 :], from_day=EPOCH_MONDAY)
        if clash is not None:
            raise bad_field("pattern", f"{describe(spec)} overlaps {describe(clash)}")
    return {"name": name, "weeks": len(clean), "pattern": clean}


def first_day(shift: ShiftSpec, from_day: date) -> date:
    """The first local day on or after `from_day` the shift starts on (holidays aside)."""
    day = from_day + timedelta(days=(shift.weekday - from_day.weekday()) % 7)
    while week_index(day) % shift.cycle_weeks != shift.cycle_week:
        day += timedelta(days=7)
    return day


ICAL_HORIZON_WEEKS = 104


def shifts_ical(
    shifts: Sequence[ShiftSpec],
    *,
    agent_name: str,
    holidays: Collection[date],
    from_day: date,
    stamp: datetime | None = None,
) -> bytes:
    """An agent's shifts as an iCalendar file: one VEVENT per shift, DTSTART its first day on or
    after `from_day` at its local start (TZID, with the VTIMEZONE), DURATION its real length,
    RRULE weekly with INTERVAL = cycle_weeks, EXDATE on the office's `holidays`. Where a DST
    change skips the local start time, RFC 5545 would read it with the offset before the change;
    the shift starts at the change instead, so those days (ICAL_HORIZON_WEEKS ahead) get an
    override (RECURRENCE-ID) starting at the real instant."""
    calendar = Calendar()
    calendar.add("prodid", "-//frontdesk//shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{agent_name}: shifts")
    stamp = _utc(stamp or datetime.now(UTC)).replace(microsecond=0)
    for index, shift in enumerate(shifts):
        zone = ZoneInfo(shift.timezone)
        day = first_day(shift, from_day)
        at = time(shift.start_minute // 60, shift.start_minute % 60)
        uid = f"shift-{shift.id if shift.id is not None else f'new-{index}'}@frontdesk"
        summary = f"Shift: {agent_name}"
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("summary", summary)
        event.add("dtstart", datetime.combine(day, at, zone))
        event.add("duration", timedelta(minutes=shift.minutes))
        event.add("rrule", {"freq": "weekly", "interval": shift.cycle_weeks})
        skipped = sorted(
            h
            for h in holidays
            if h >= day and h.weekday() == shift.weekday and week_index(h) % shift.cycle_weeks == shift.cycle_week
        )
        if skipped:
            event.add("exdate", [datetime.combine(h, at, zone) for h in skipped])
        calendar.add_component(event)
        for week in range(0, ICAL_HORIZON_WEEKS, shift.cycle_weeks):
            on = day + timedelta(weeks=week)
            nominal = datetime.combine(on, at, zone)
            real = local_start(zone, on, shift.start_minute)
            if on in holidays or nominal.astimezone(UTC) == real:
                continue
            moved = Event()
            moved.add("uid", uid)
            moved.add("dtstamp", stamp)
            moved.add("summary", summary)
            moved.add("recurrence-id", nominal)
            moved.add("dtstart", real)
            moved.add("duration", timedelta(minutes=shift.minutes))
            calendar.add_component(moved)
    calendar.add_missing_timezones(first_date=from_day - timedelta(days=7))
    return bytes(calendar.to_ical())
