"""Recurring shifts (frontdesk/domain/schedule.py): checking what a client sends, overlaps across
midnight, week ends, cycles and time zones, real (UTC) occurrences across DST changes, agents
on shift per hour, staggered rotations, and the iCalendar file read back with icalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import WEEKLY, rrule
from icalendar import Calendar

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.schedule import (
    EPOCH_MONDAY,
    ShiftSpec,
    check_no_overlap,
    occurrences,
    overlapping,
    parse_rotation,
    parse_shift,
    rotation_shifts,
    scheduled_per_hour,
    shifts_ical,
    week_index,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def shift(weekday: int, start: str, minutes: int, tz: str = "UTC", **kw: int) -> ShiftSpec:
    hh, mm = start.split(":")
    return ShiftSpec(
        agent_id=kw.pop("agent_id", 1),
        timezone=tz,
        weekday=weekday,
        start_minute=int(hh) * 60 + int(mm),
        minutes=minutes,
        **kw,  # type: ignore[arg-type]
    )


# -- week index ---------------------------------------------------------------------------------------


def test_week_index_counts_local_weeks_from_the_epoch_monday():
    assert EPOCH_MONDAY.weekday() == 0
    assert week_index(EPOCH_MONDAY) == 0
    assert week_index(date(2024, 1, 7)) == 0  # the Sunday of week 0
    assert week_index(date(2024, 1, 8)) == 1
    assert week_index(date(2023, 12, 31)) == -1
    assert week_index(date(2026, 12, 7)) == (date(2026, 12, 7) - EPOCH_MONDAY).days // 7


# -- parse_shift --------------------------------------------------------------------------------------


def test_parse_shift_takes_names_or_numbers_and_defaults():
    got = parse_shift({"weekday": "tue", "start": "22:00", "minutes": 480}, default_timezone="Europe/Oslo")
    assert got == {
        "weekday": 1,
        "start_minute": 22 * 60,
        "minutes": 480,
        "timezone": "Europe/Oslo",
        "cycle_weeks": 1,
        "cycle_week": 0,
    }
    got = parse_shift(
        {
            "weekday": 6,
            "start": "00:00",
            "minutes": 1440,
            "timezone": "America/New_York",
            "cycle_weeks": 3,
            "cycle_week": 2,
        },
        default_timezone="UTC",
    )
    assert (got["weekday"], got["minutes"], got["timezone"], got["cycle_week"]) == (6, 1440, "America/New_York", 2)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"minutes": 1441}, "minutes", "minutes: a shift is at most 24 hours"),
        ({"minutes": 10}, "minutes", "minutes: a shift is at least 15 minutes"),
        ({"minutes": "480"}, "minutes", None),
        ({"weekday": 7}, "weekday", None),
        ({"weekday": "tuesday-ish"}, "weekday", None),
        ({"weekday": True}, "weekday", None),
        ({"start": "24:00"}, "start", "start: 24:00 is not a time of day"),
        ({"start": "9am"}, "start", "start: must look like 22:00"),
        ({"start": None}, "start", "start: is required"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", None),
        ({"cycle_weeks": 9}, "cycle_weeks", None),
        ({"cycle_weeks": 2, "cycle_week": 2}, "cycle_week", "cycle_week: must be 0-1 (less than cycle_weeks)"),
    ],
)
def test_parse_shift_names_the_field_that_is_wrong(change, field, message):
    data = {"weekday": "tue", "start": "22:00", "minutes": 480, **change}
    with pytest.raises(ChatRuleError) as caught:
        parse_shift(data, default_timezone="UTC")
    assert caught.value.code == "bad_request"
    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}: ")
    if message:
        assert caught.value.message == message


# -- overlaps -----------------------------------------------------------------------------------------
TUESDAY_NIGHT = shift(1, "22:00", 480, id=1)  # Tuesday 22:00 - Wednesday 06:00


def test_overlap_across_midnight_names_the_shift():
    assert overlapping(shift(2, "05:00", 60), [TUESDAY_NIGHT]) == TUESDAY_NIGHT
    assert overlapping(shift(1, "23:00", 30), [TUESDAY_NIGHT]) == TUESDAY_NIGHT
    assert overlapping(shift(2, "06:00", 60), [TUESDAY_NIGHT]) is None  # touching ends do not overlap
    assert overlapping(shift(1, "14:00", 480), [TUESDAY_NIGHT]) is None
    with pytest.raises(ChatRuleError) as caught:
        check_no_overlap(shift(2, "05:00", 60), [TUESDAY_NIGHT])
    assert caught.value.field == "start"
    assert caught.value.message == "start: overlaps the agent's shift on Tuesday 22:00–06:00"


def test_overlap_only_with_the_same_agent_and_not_with_itself():
    assert overlapping(shift(2, "05:00", 60, agent_id=2), [TUESDAY_NIGHT]) is None
    moved = shift(1, "23:00", 480, id=1)  # the same shift, changed: not a clash with its old self
    assert overlapping(moved, [TUESDAY_NIGHT]) is None


def test_overlap_across_the_week_end():
    sunday_night = shift(6, "22:00", 600, id=7)  # Sunday 22:00 - Monday 08:00 of the next week
    assert overlapping(shift(0, "07:00", 480), [sunday_night]) == sunday_night
    assert overlapping(shift(0, "08:00", 480), [sunday_night]) is None


def test_overlap_in_cycles():
    week0 = shift(0, "09:00", 480, cycle_weeks=2, cycle_week=0, id=3)
    assert overlapping(shift(0, "10:00", 60, cycle_weeks=2, cycle_week=1), [week0]) is None
    assert overlapping(shift(0, "10:00", 60), [week0]) == week0  # every week meets the even weeks
    # 4-week cycles against a 2-week one: week % 4 == 1 is never even, week % 4 == 2 always is.
    assert overlapping(shift(0, "10:00", 60, cycle_weeks=4, cycle_week=1), [week0]) is None
    assert overlapping(shift(0, "10:00", 60, cycle_weeks=4, cycle_week=2), [week0]) == week0
    # 3-week against 2-week cycles meet once every 6 weeks.
    assert overlapping(shift(0, "10:00", 60, cycle_weeks=3, cycle_week=1), [week0]) == week0
    # A Sunday night of week 0 runs into Monday of week 1.
    sunday = shift(6, "20:00", 720, cycle_weeks=2, cycle_week=0, id=4)
    assert overlapping(shift(0, "07:00", 60, cycle_weeks=2, cycle_week=1), [sunday]) == sunday
    assert overlapping(shift(0, "07:00", 60, cycle_weeks=2, cycle_week=0), [sunday]) is None


def test_overlap_in_real_time_across_time_zones_and_dst():
    # Oslo 09:00-17:00 is 08:00-16:00 UTC in winter, 07:00-15:00 UTC in summer: a UTC shift at
    # 15:30 meets it in winter weeks only - that is enough.
    oslo = shift(0, "09:00", 480, "Europe/Oslo", id=5)
    assert overlapping(shift(0, "15:30", 60, "UTC"), [oslo], from_day=date(2026, 6, 1)) == oslo
    assert overlapping(shift(0, "16:00", 60, "UTC"), [oslo], from_day=date(2026, 6, 1)) is None
    # New York Monday 20:00 (EST: Tuesday 01:00 UTC) against Oslo Tuesday 02:30 (CET: 01:30 UTC).
    new_york = shift(0, "20:00", 360, "America/New_York", id=6)
    assert overlapping(shift(1, "02:30", 60, "Europe/Oslo"), [new_york]) == new_york


# -- occurrences across DST changes ----------------------------------------------------------------------


def test_occurrences_oslo_spring_forward():
    # 2026-03-29: 02:00 local becomes 03:00 (01:00 UTC).
    start, end = utc(2026, 3, 28), utc(2026, 3, 30)
    skipped = shift(6, "02:30", 480, "Europe/Oslo")  # 02:30 does not exist that day
    assert occurrences(skipped, start, end) == [(utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 9, 0))]
    night = shift(5, "22:00", 480, "Europe/Oslo")  # 8 real hours: 22:00 to 07:00 local
    ((begins, ends),) = occurrences(night, start, end)
    assert (begins, ends) == (utc(2026, 3, 28, 21), utc(2026, 3, 29, 5))
    assert ends.astimezone(ZoneInfo("Europe/Oslo")).hour == 7


def test_occurrences_oslo_fall_back():
    # 2026-10-25: 03:00 local becomes 02:00 again (01:00 UTC); 02:30 happens twice: the first counts.
    start, end = utc(2026, 10, 24), utc(2026, 10, 26)
    assert occurrences(shift(6, "02:30", 60, "Europe/Oslo"), start, end) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))
    ]
    night = shift(5, "22:00", 480, "Europe/Oslo")  # 22:00 to 05:00 local
    assert occurrences(night, start, end) == [(utc(2026, 10, 24, 20), utc(2026, 10, 25, 4))]


def test_occurrences_new_york():
    monday = shift(0, "09:00", 480, "America/New_York")
    assert occurrences(monday, utc(2026, 1, 5), utc(2026, 1, 6)) == [(utc(2026, 1, 5, 14), utc(2026, 1, 5, 22))]
    assert occurrences(monday, utc(2026, 7, 6), utc(2026, 7, 7)) == [(utc(2026, 7, 6, 13), utc(2026, 7, 6, 21))]
    # 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    gap = shift(6, "02:15", 60, "America/New_York")
    assert occurrences(gap, utc(2026, 3, 7), utc(2026, 3, 9)) == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))]
    # 2026-11-01: 01:30 happens twice; the first (EDT, 05:30 UTC) counts.
    repeat = shift(6, "01:30", 60, "America/New_York")
    assert occurrences(repeat, utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30))
    ]


def test_occurrences_cycles_holidays_and_range_edges():
    every_other = shift(2, "09:00", 60, cycle_weeks=2, cycle_week=week_index(date(2026, 12, 9)) % 2)
    got = occurrences(every_other, utc(2026, 12, 7), utc(2027, 1, 4))
    assert [b.date() for b, _ in got] == [date(2026, 12, 9), date(2026, 12, 23)]
    assert occurrences(every_other, utc(2026, 12, 7), utc(2027, 1, 4), {date(2026, 12, 23)}) == got[:1]
    # Whole intervals that overlap the range, not clipped: a shift begun the day (and the week)
    # before counts.
    night = shift(6, "22:00", 480)  # Sunday 22:00 - Monday 06:00
    assert occurrences(night, utc(2026, 12, 7, 3), utc(2026, 12, 7, 4)) == [(utc(2026, 12, 6, 22), utc(2026, 12, 7, 6))]
    assert occurrences(night, utc(2026, 12, 7, 6), utc(2026, 12, 7, 7)) == []


# -- agents on shift per hour ----------------------------------------------------------------------------


def test_scheduled_per_hour_counts_shares_of_hours():
    half = shift(1, "22:30", 90)  # Tuesday 22:30-00:00
    two = shift(1, "23:00", 120, agent_id=2)  # Tuesday 23:00 - Wednesday 01:00
    got = scheduled_per_hour([half, two], utc(2026, 12, 8, 21), 5)
    assert got == [0.0, 0.5, 2.0, 1.0, 0.0]
    assert scheduled_per_hour([half, two], utc(2026, 12, 8, 21), 5, {1: {date(2026, 12, 8)}}) == [0, 0, 1, 1, 0]


def test_scheduled_per_hour_in_a_dst_week_counts_real_hours():
    # Oslo's spring week holds 167 real hours; seven 8-hour shifts still give 56 agent-hours.
    week = [shift(d, "02:30", 480, "Europe/Oslo") for d in range(7)]
    monday = datetime(2026, 3, 23, tzinfo=ZoneInfo("Europe/Oslo")).astimezone(UTC)
    got = scheduled_per_hour(week, monday, 167)
    assert sum(got) == pytest.approx(56.0)
    assert max(got) == 1.0


# -- rotations ----------------------------------------------------------------------------------------
DAYS = [{"weekday": d, "start": "07:00", "minutes": 480} for d in range(5)]
NIGHTS = [{"weekday": d, "start": "22:00", "minutes": 540} for d in range(5)]


def worked(shifts: list[ShiftSpec], agent_id: int, week: int) -> set[int]:
    """The local start hours the agent works in week `week` (since the epoch)."""
    return {s.start_minute // 60 for s in shifts if s.agent_id == agent_id and week % s.cycle_weeks == s.cycle_week}


def test_rotation_staggers_agents_so_nights_go_round():
    agents = [11, 12, 13]
    got = rotation_shifts(
        [DAYS, NIGHTS], agents, timezone_of={11: "UTC", 12: "Europe/Oslo", 13: "UTC"}, department_id=4
    )
    assert len(got) == 3 * 10
    assert {s.cycle_weeks for s in got} == {2} and {s.department_id for s in got} == {4}
    assert {s.timezone for s in got if s.agent_id == 12} == {"Europe/Oslo"}
    for week in (0, 1, 2, 3):
        assert worked(got, 11, week) == ({7} if week % 2 == 0 else {22})
        assert worked(got, 12, week) == ({22} if week % 2 == 0 else {7})
        assert worked(got, 13, week) == worked(got, 11, week)


def test_a_three_week_rotation_gives_each_week_of_the_pattern_to_one_agent():
    weekend = [{"weekday": 5, "start": "08:00", "minutes": 480}, {"weekday": 6, "start": "08:00", "minutes": 480}]
    pattern = [DAYS, NIGHTS, weekend]
    got = rotation_shifts(pattern, [1, 2, 3], timezone_of={1: "UTC", 2: "UTC", 3: "UTC"})
    for week in range(6):
        shapes = sorted(len([s for s in got if s.agent_id == a and week % 3 == s.cycle_week]) for a in (1, 2, 3))
        assert shapes == [2, 5, 5]
        nights = [a for a in (1, 2, 3) if worked(got, a, week) == {22}]
        assert len(nights) == 1
    # Over three weeks everyone works the nights once.
    assert {a for a in (1, 2, 3) for w in range(3) if worked(got, a, w) == {22}} == {1, 2, 3}


def test_parse_rotation_checks_each_shift_and_overlaps_between_weeks():
    ok = parse_rotation({"name": " Days / nights ", "pattern": [DAYS, NIGHTS]})
    assert ok["name"] == "Days / nights" and ok["weeks"] == 2
    assert ok["pattern"][1][0] == {"weekday": 0, "start": 22 * 60, "minutes": 540}
    with pytest.raises(ChatRuleError) as caught:
        parse_rotation({"name": "x", "pattern": [[{"weekday": 0, "start": "07:00", "minutes": 2000}]]})
    assert caught.value.field == "pattern[0][0].minutes"
    assert caught.value.message == "pattern[0][0].minutes: a shift is at most 24 hours"
    # Week 1's Sunday night runs into week 2's Monday morning.
    clash = [[{"weekday": 6, "start": "20:00", "minutes": 720}], [{"weekday": 0, "start": "06:00", "minutes": 480}]]
    with pytest.raises(ChatRuleError) as caught:
        parse_rotation({"name": "x", "pattern": clash})
    assert caught.value.field == "pattern"
    assert "Sunday 20:00–08:00 (week 1 of 2)" in caught.value.message
    for bad, field in (({"name": "", "pattern": [DAYS]}, "name"), ({"name": "x", "pattern": []}, "pattern")):
        with pytest.raises(ChatRuleError) as caught:
            parse_rotation(bad)
        assert caught.value.field == field
    with pytest.raises(ChatRuleError) as caught:
        parse_rotation({"name": "x", "weeks": 3, "pattern": [DAYS]})
    assert caught.value.field == "weeks"


# -- iCalendar ----------------------------------------------------------------------------------------


def expand(ics: bytes, start: datetime, end: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
    """The instants a calendar program reads from the file (RFC 5545): each VEVENT's RRULE from
    DTSTART in its zone (a skipped local time read with the offset before the change), minus
    EXDATE, with RECURRENCE-ID overrides. UID -> sorted (start, end) in UTC, starting in range."""
    calendar = Calendar.from_ical(ics)
    assert {tz["TZID"] for tz in calendar.walk("VTIMEZONE")} >= {
        str(e["DTSTART"].params.get("TZID")) for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e
    }
    overrides: dict[tuple[str, datetime], tuple[datetime, datetime]] = {}
    for event in calendar.walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            begins = event.decoded("DTSTART")
            overrides[(str(event["UID"]), event.decoded("RECURRENCE-ID"))] = (
                begins,
                begins + event.decoded("DURATION"),
            )
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for event in calendar.walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            continue
        uid = str(event["UID"])
        first = event.decoded("DTSTART")
        length = event.decoded("DURATION")
        rule = event["RRULE"]
        assert rule["FREQ"] == ["WEEKLY"]
        excluded = {d.dt for exdate in ([event["EXDATE"]] if "EXDATE" in event else []) for d in exdate.dts}
        found = []
        for wall in rrule(WEEKLY, interval=rule.get("INTERVAL", [1])[0], dtstart=first, until=end + timedelta(days=7)):
            if wall in excluded:
                continue
            begins, ends = overrides.get((uid, wall), (wall, wall + length))
            begins, ends = begins.astimezone(UTC), begins.astimezone(UTC) + (ends - begins)
            if start <= begins < end:
                found.append((begins, ends))
        out[uid] = sorted(found)
    return out


def test_ical_gives_the_same_instants_as_occurrences():
    from_day = date(2026, 1, 5)
    shifts = [
        shift(6, "02:30", 480, "Europe/Oslo", id=1),  # skipped on 2026-03-29, repeated on 2026-10-25
        shift(1, "22:00", 480, "America/New_York", cycle_weeks=2, cycle_week=1, id=2),
        shift(0, "09:00", 600, "Asia/Kolkata", cycle_weeks=3, cycle_week=week_index(from_day) % 3, id=3),
        shift(6, "01:30", 120, "America/New_York", id=4),
    ]
    holidays = {date(2026, 4, 5), date(2026, 5, 17), date(2026, 12, 15), date(2026, 1, 12)}
    ics = shifts_ical(shifts, agent_name="Ann Lee", holidays=holidays, from_day=from_day, stamp=utc(2026, 1, 1))
    assert ics.startswith(b"BEGIN:VCALENDAR")
    start, end = utc(2026, 1, 5), utc(2027, 1, 4)
    calendar = expand(ics, start, end)
    for s in shifts:
        want = [(b, e) for b, e in occurrences(s, start, end, holidays) if start <= b < end]
        assert calendar[f"shift-{s.id}@frontdesk"] == want, s
        assert len(want) > 10
    # The DST day is there, starting at the change (01:00 UTC), and the holiday is not.
    oslo = calendar["shift-1@frontdesk"]
    assert (utc(2026, 3, 29, 1), utc(2026, 3, 29, 9)) in oslo
    assert not [b for b, _ in oslo if b.date() == date(2026, 4, 5)]
    events = Calendar.from_ical(ics).walk("VEVENT")
    main = [e for e in events if e["UID"] == "shift-2@frontdesk" and "RECURRENCE-ID" not in e][0]
    assert main["RRULE"]["INTERVAL"] == [2]
    assert main["DTSTART"].params["TZID"] == "America/New_York"
    assert str(main["SUMMARY"]) == "Shift: Ann Lee"
