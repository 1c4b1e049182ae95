"""Business hours (pure): validation that names the field, opening across DST changes,
exceptions, 24:00, 24/7, and next_opening checked against a brute-force scan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from frontdesk.domain.business_hours import DAYS, BusinessHours, check_timezone, parse_business_hours
from frontdesk.domain.chat_rules import ChatRuleError


def refused(value: object) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        parse_business_hours(value)
    assert info.value.code == "bad_request"
    # The message starts with the field it names, so a person can find what to fix.
    assert info.value.message.startswith(f"{info.value.field}:"), info.value.message
    return info.value


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- validation names the field


@pytest.mark.parametrize(
    ("hours", "field", "words"),
    [
        ({"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours.weekly.mon", "overlap"),
        ({"weekly": {"tue": [["13:00", "17:00"], ["09:00", "13:30"]]}}, "hours.weekly.tue", "overlap"),
        ({"weekly": {"mon": [["9:00", "17:00"]]}}, "hours.weekly.mon[0]", "09:30"),
        ({"weekly": {"mon": [["09:00", "17:00"], ["18:00", "9pm"]]}}, "hours.weekly.mon[1]", "09:30"),
        ({"weekly": {"wed": [["25:00", "26:00"]]}}, "hours.weekly.wed[0]", "25:00 is not a time of day"),
        ({"weekly": {"wed": [["09:60", "10:00"]]}}, "hours.weekly.wed[0]", "not a time of day"),
        ({"weekly": {"wed": [["09:00", "24:01"]]}}, "hours.weekly.wed[0]", "not a time of day"),
        ({"weekly": {"mon": [["09:00", "17:00"], ["18:00", "18:00"]]}}, "hours.weekly.mon[1]", "end after it starts"),
        ({"weekly": {"fri": [["17:00", "09:00"]]}}, "hours.weekly.fri[0]", "end after it starts"),
        ({"weekly": {"fri": [["09:00"]]}}, "hours.weekly.fri[0]", "pair"),
        ({"weekly": {"fri": "09:00-17:00"}}, "hours.weekly.fri", "list"),
        ({"weekly": {"monday": [["09:00", "17:00"]]}}, "hours.weekly", "unknown day 'monday'"),
        ({"weekly": [["09:00", "17:00"]]}, "hours.weekly", "days"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"timezone": "../../etc/passwd"}, "timezone", "unknown time zone"),
        ({"timezone": ""}, "timezone", "IANA"),
        ({"timezone": 5}, "timezone", "IANA"),
        ({"exceptions": [{"date": "2026-13-01", "closed": True}]}, "hours.exceptions[0].date", "YYYY-MM-DD"),
        ({"exceptions": [{"date": "24.12.2026", "closed": True}]}, "hours.exceptions[0].date", "YYYY-MM-DD"),
        ({"exceptions": [{"closed": True}]}, "hours.exceptions[0].date", "YYYY-MM-DD"),
        (
            {"exceptions": [{"date": "2026-12-24", "closed": True}, {"date": "2026-12-24", "hours": []}]},
            "hours.exceptions[1].date",
            "2026-12-24 is listed twice",
        ),
        (
            {"exceptions": [{"date": "2026-12-24", "hours": [["13:00", "09:00"]]}]},
            "hours.exceptions[0].hours[0]",
            "end after it starts",
        ),
        ({"exceptions": ["2026-12-24"]}, "hours.exceptions[0]", "object"),
        ({"exceptions": {"2026-12-24": "closed"}}, "hours.exceptions", "list"),
        ("9-5", "hours", "object"),
    ],
)
def test_parse_errors_name_the_field(hours, field, words):
    error = refused(hours)
    assert error.field == field
    assert words in error.message


def test_documented_error_messages():
    # docs/api.md quotes these two verbatim.
    assert (
        refused({"weekly": {"mon": [["09:00", "12:00"], ["13:00", "13:00"]]}}).message
        == "hours.weekly.mon[1]: must end after it starts"
    )
    assert refused({"timezone": "Mars/Olympus"}).message == "timezone: unknown time zone 'Mars/Olympus'"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_check_timezone_accepts_only_known_zones(name):
    try:
        zone = check_timezone(name)
    except ChatRuleError as error:
        assert error.field == "timezone"
    else:
        assert zone in available_timezones() or zone == "UTC"
        ZoneInfo(zone)


def test_valid_hours_are_normalised_and_round_trip():
    hours = parse_business_hours(
        {
            "timezone": "Europe/Oslo",
            "weekly": {"tue": [["13:00", "17:00"], ["09:00", "12:00"]], "sat": [["22:00", "24:00"]]},
            "exceptions": [
                {"date": "2026-12-24", "closed": True},
                {"date": "2026-12-23", "hours": [["10:00", "14:00"]]},
            ],
        }
    )
    assert hours.weekly == {"tue": ((540, 720), (780, 1020)), "sat": ((1320, 1440),)}
    assert hours.exceptions == {date(2026, 12, 24): (), date(2026, 12, 23): ((600, 840),)}
    again = parse_business_hours(hours.to_json())
    assert again == hours
    assert again.to_json()["weekly"]["sat"] == [["22:00", "24:00"]]


# ---------------------------------------------------------------- is_open


OSLO_EVERY_DAY = {"timezone": "Europe/Oslo", "weekly": {d: [["09:00", "17:00"]] for d in DAYS}}
NY_EVERY_DAY = {"timezone": "America/New_York", "weekly": {d: [["09:00", "17:00"]] for d in DAYS}}


@pytest.mark.parametrize(
    ("spec", "at", "expected"),
    [
        # Oslo, winter time (UTC+1) the day before the change: 09:00 local is 08:00 UTC.
        (OSLO_EVERY_DAY, utc(2026, 3, 28, 7, 59), False),
        (OSLO_EVERY_DAY, utc(2026, 3, 28, 8, 0), True),
        (OSLO_EVERY_DAY, utc(2026, 3, 28, 15, 59), True),
        (OSLO_EVERY_DAY, utc(2026, 3, 28, 16, 0), False),
        # 2026-03-29: summer time (UTC+2) from 01:00 UTC: 09:00 local is 07:00 UTC.
        (OSLO_EVERY_DAY, utc(2026, 3, 29, 6, 59), False),
        (OSLO_EVERY_DAY, utc(2026, 3, 29, 7, 0), True),
        (OSLO_EVERY_DAY, utc(2026, 3, 29, 14, 59), True),
        (OSLO_EVERY_DAY, utc(2026, 3, 29, 15, 0), False),
        # 2026-10-25: back to UTC+1.
        (OSLO_EVERY_DAY, utc(2026, 10, 24, 7, 0), True),
        (OSLO_EVERY_DAY, utc(2026, 10, 25, 7, 0), False),
        (OSLO_EVERY_DAY, utc(2026, 10, 25, 8, 0), True),
        (OSLO_EVERY_DAY, utc(2026, 10, 25, 15, 30), True),
        (OSLO_EVERY_DAY, utc(2026, 10, 25, 16, 0), False),
        # New York: 2026-03-08 to UTC-4, 2026-11-01 back to UTC-5.
        (NY_EVERY_DAY, utc(2026, 3, 7, 13, 30), False),
        (NY_EVERY_DAY, utc(2026, 3, 7, 14, 0), True),
        (NY_EVERY_DAY, utc(2026, 3, 8, 13, 0), True),
        (NY_EVERY_DAY, utc(2026, 3, 8, 21, 0), False),
        (NY_EVERY_DAY, utc(2026, 10, 31, 13, 0), True),
        (NY_EVERY_DAY, utc(2026, 11, 1, 13, 0), False),
        (NY_EVERY_DAY, utc(2026, 11, 1, 14, 0), True),
        (NY_EVERY_DAY, utc(2026, 11, 1, 21, 59), True),
        (NY_EVERY_DAY, utc(2026, 11, 1, 22, 0), False),
        # The hour that does not exist (Oslo 02:00-03:00 on 2026-03-29) is never open.
        ({"timezone": "Europe/Oslo", "weekly": {"sun": [["02:00", "03:00"]]}}, utc(2026, 3, 29, 0, 59), False),
        ({"timezone": "Europe/Oslo", "weekly": {"sun": [["02:00", "03:00"]]}}, utc(2026, 3, 29, 1, 0), False),
        ({"timezone": "Europe/Oslo", "weekly": {"sun": [["01:00", "03:00"]]}}, utc(2026, 3, 29, 0, 30), True),
        # The hour that happens twice (New York 01:00-02:00 on 2026-11-01) is open both times.
        ({"timezone": "America/New_York", "weekly": {"sun": [["01:00", "02:00"]]}}, utc(2026, 11, 1, 5, 30), True),
        ({"timezone": "America/New_York", "weekly": {"sun": [["01:00", "02:00"]]}}, utc(2026, 11, 1, 6, 30), True),
        ({"timezone": "America/New_York", "weekly": {"sun": [["01:00", "02:00"]]}}, utc(2026, 11, 1, 7, 0), False),
    ],
)
def test_is_open_across_dst_changes(spec, at, expected):
    assert parse_business_hours(spec).is_open(at) is expected


def test_exceptions_override_weekly():
    hours = parse_business_hours(
        {
            "timezone": "UTC",
            "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "exceptions": [
                {"date": "2026-12-24", "closed": True},  # a Thursday
                {"date": "2026-12-31", "hours": [["09:00", "13:00"]]},  # a Thursday, short
                {"date": "2026-12-20", "hours": [["10:00", "12:00"]]},  # a Sunday, opened
            ],
        }
    )
    assert hours.is_open(utc(2026, 12, 17, 10))  # an ordinary Thursday
    assert not hours.is_open(utc(2026, 12, 24, 10))
    assert hours.is_open(utc(2026, 12, 31, 12, 59))
    assert not hours.is_open(utc(2026, 12, 31, 13, 0))
    assert not hours.is_open(utc(2026, 12, 13, 11))  # an ordinary Sunday
    assert hours.is_open(utc(2026, 12, 20, 11))
    assert not hours.is_open(utc(2026, 12, 20, 12))
    # next_opening skips the closed day.
    assert hours.next_opening(utc(2026, 12, 24, 10)) == utc(2026, 12, 25, 9)


def test_exceptions_are_local_dates():
    # 2026-12-24 23:30 UTC is already the 25th in Oslo.
    hours = parse_business_hours(
        {"timezone": "Europe/Oslo", "weekly": {}, "exceptions": [{"date": "2026-12-25", "closed": True}]}
    )
    assert hours.is_open(utc(2026, 12, 24, 22, 59))
    assert not hours.is_open(utc(2026, 12, 24, 23, 0))
    assert hours.is_open(utc(2026, 12, 25, 23, 0))  # the 26th in Oslo: back to 24/7


def test_24_00_ends_the_day():
    hours = parse_business_hours({"timezone": "UTC", "weekly": {"mon": [["22:00", "24:00"]]}})
    assert not hours.is_open(utc(2026, 3, 2, 21, 59, 59))  # Monday
    assert hours.is_open(utc(2026, 3, 2, 22, 0))
    assert hours.is_open(utc(2026, 3, 2, 23, 59, 59))
    assert not hours.is_open(utc(2026, 3, 3, 0, 0))  # Tuesday
    assert hours.next_opening(utc(2026, 3, 3, 0, 0)) == utc(2026, 3, 9, 22, 0)


@given(
    spec=st.sampled_from([None, {}, {"timezone": "Europe/Oslo"}, {"timezone": "Asia/Tokyo", "weekly": {}}]),
    at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)),
)
def test_empty_weekly_is_always_open(spec, at):
    hours = parse_business_hours(spec)
    assert hours.always_open
    assert hours.is_open(at)
    assert hours.next_opening(at) == at


# ---------------------------------------------------------------- next_opening vs a brute-force scan

STEP = timedelta(minutes=15)  # every time below and every zone's offset is a multiple of 15 minutes


def quarter(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def schedules(draw, zones):
    """Random valid hours on a 15-minute grid: some days with up to 3 intervals, some exceptions."""
    weekly = {}
    for day in draw(st.lists(st.sampled_from(DAYS), unique=True, max_size=7)):
        cuts = sorted(draw(st.lists(st.integers(0, 96), unique=True, min_size=2, max_size=6)))
        pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
        weekly[day] = [[quarter(s * 15), quarter(e * 15)] for s, e in pairs]
    exceptions = []
    base = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 20)))
    for offset in draw(st.lists(st.integers(0, 20), unique=True, max_size=4)):
        if draw(st.booleans()):
            exceptions.append({"date": (base + timedelta(days=offset)).isoformat(), "closed": True})
        else:
            s, e = sorted(draw(st.lists(st.integers(0, 96), unique=True, min_size=2, max_size=2)))
            exceptions.append(
                {"date": (base + timedelta(days=offset)).isoformat(), "hours": [[quarter(s * 15), quarter(e * 15)]]}
            )
    return {"timezone": draw(st.sampled_from(zones)), "weekly": weekly, "exceptions": exceptions}


def scan_next_opening(hours: BusinessHours, at: datetime, horizon: timedelta) -> datetime | None:
    """The first instant at or after `at` when the department is open, by checking every grid
    point (openness only changes on 15-minute boundaries in UTC)."""
    if hours.is_open(at):
        return at
    point = datetime.fromtimestamp((at.timestamp() // 900 + 1) * 900, UTC)
    end = at + horizon
    while point <= end:
        if hours.is_open(point):
            return point
        point += STEP
    return None


def check_next_opening(spec: dict, at: datetime) -> None:
    hours = parse_business_hours(spec)
    found = hours.next_opening(at)
    if found is None:
        # Nothing open in the 14 local days it looks at (at least 13 days of real time).
        assert scan_next_opening(hours, at, timedelta(days=13)) is None
        return
    assert found.utcoffset() == timedelta(0), f"next opening {found} is not in UTC"
    found_utc = found.astimezone(UTC)
    assert found_utc >= at, f"next opening {found} is before now {at}"
    assert hours.is_open(found_utc), f"not open at the next opening {found}"
    assert scan_next_opening(hours, at, found_utc - at + STEP) == found_utc, (
        f"open earlier than {found_utc}: {scan_next_opening(hours, at, found_utc - at)}"
    )


FIXED_ZONES = ["UTC", "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "America/Bogota"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=schedules(FIXED_ZONES),
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
)
def test_next_opening_is_the_first_open_instant(spec, at):
    check_next_opening(spec, at)


DST_DAYS = [datetime(2026, 3, 8, 7), datetime(2026, 3, 29, 1), datetime(2026, 10, 25, 1), datetime(2026, 11, 1, 6)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=schedules(["Europe/Oslo", "America/New_York"]),
    change=st.sampled_from(DST_DAYS),
    minutes=st.integers(-3 * 1440, 3 * 1440),
)
def test_next_opening_away_from_dst_changes(spec, change, minutes):
    """Outside the night of a change (and when the answer does not fall in it) wall-clock and real time agree."""
    at = (change + timedelta(minutes=minutes)).replace(tzinfo=UTC)
    assume(abs(minutes) > 240)
    hours = parse_business_hours(spec)
    found = hours.next_opening(at)
    assume(found is None or abs(found.astimezone(UTC) - change.replace(tzinfo=UTC)) > timedelta(hours=4))
    check_next_opening(spec, at)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # New York, 01:30 EST (the second 01:30): 01:45 is still ahead, the answer is 06:45 UTC
    spec={"timezone": "America/New_York", "weekly": {"sun": [["01:45", "02:00"]]}, "exceptions": []},
    change=datetime(2026, 11, 1, 6),
    minutes=30,
)
@example(  # Oslo, interval 02:30-04:00 on the night 02:00 becomes 03:00: open from 03:00 CEST (01:00 UTC)
    spec={"timezone": "Europe/Oslo", "weekly": {"sun": [["02:30", "04:00"]]}, "exceptions": []},
    change=datetime(2026, 3, 29, 1),
    minutes=-600,
)
@given(
    spec=schedules(["Europe/Oslo", "America/New_York"]),
    change=st.sampled_from(DST_DAYS),
    minutes=st.integers(-600, 600),
)
def test_next_opening_around_dst_changes(spec, change, minutes):
    """Near the night of a change too (regression: the two examples failed before 3ee727d)."""
    check_next_opening(spec, (change + timedelta(minutes=minutes)).replace(tzinfo=UTC))


def test_next_opening_in_the_repeated_hour_is_not_in_the_past():
    hours = parse_business_hours({"timezone": "America/New_York", "weekly": {"sun": [["01:45", "02:00"]]}})
    now = utc(2026, 11, 1, 6, 30)  # 01:30 EST, the second time the clock shows 01:30
    assert not hours.is_open(now)
    assert hours.next_opening(now).astimezone(UTC) == utc(2026, 11, 1, 6, 45)


def test_next_opening_in_the_skipped_hour_is_when_it_opens():
    hours = parse_business_hours({"timezone": "Europe/Oslo", "weekly": {"sun": [["02:30", "04:00"]]}})
    now = utc(2026, 3, 28, 12)
    assert hours.is_open(utc(2026, 3, 29, 1, 0))
    assert hours.next_opening(now).astimezone(UTC) == utc(2026, 3, 29, 1, 0)


def test_next_opening_when_the_clock_falls_back_into_an_interval():
    hours = parse_business_hours({"timezone": "America/New_York", "weekly": {"sun": [["00:30", "01:45"]]}})
    now = utc(2026, 11, 1, 5, 50)
    assert not hours.is_open(now)
    assert hours.is_open(utc(2026, 11, 1, 6, 0))
    assert hours.next_opening(now) == utc(2026, 11, 1, 6, 0)


def test_next_opening_is_none_beyond_the_horizon():
    hours = parse_business_hours(
        {
            "timezone": "UTC",
            "weekly": {"mon": [["09:00", "10:00"]]},
            "exceptions": [
                {"date": (date(2026, 3, 2) + timedelta(days=7 * i)).isoformat(), "closed": True} for i in range(3)
            ],
        }
    )
    assert hours.next_opening(utc(2026, 3, 1, 12)) is None  # the next three Mondays are closed
    assert hours.next_opening(utc(2026, 3, 1, 12), horizon_days=28) == utc(2026, 3, 23, 9)
