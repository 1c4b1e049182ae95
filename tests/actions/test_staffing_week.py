"""The pure parts of actions/staffing.py: a local week's real UTC hours across DST changes, the
week parameter, the coverage status rule and the what-if checks (docs/staffing.md "Required
agents and coverage"). The routes are tested through a server in tests/api/test_staffing_api.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk.actions.staffing import (
    StaffedDepartment,
    check_whatif,
    closed_check,
    coverage_status,
    parse_week,
    week_hours,
)
from frontdesk.domain.business_hours import parse_business_hours
from frontdesk.domain.chat_rules import ChatRuleError

OSLO = ZoneInfo("Europe/Oslo")


def test_a_week_is_its_real_utc_hours_from_local_monday_midnight():
    plain = week_hours(date(2026, 12, 7), OSLO)
    assert len(plain) == 168
    assert plain[0] == datetime(2026, 12, 6, 23, tzinfo=UTC)  # Monday 00:00 in Oslo (UTC+1)
    assert all(b - a == timedelta(hours=1) for a, b in zip(plain, plain[1:], strict=False))
    # Summer time starts Sunday 2026-03-29 (the week of Monday 23 March has 167 hours) and ends
    # Sunday 2026-10-25 (169 hours): the hours are real, each labelled by its local time.
    spring = week_hours(date(2026, 3, 23), OSLO)
    autumn = week_hours(date(2026, 10, 19), OSLO)
    assert (len(spring), len(autumn)) == (167, 169)
    assert spring[-1].astimezone(OSLO).hour == 23 and autumn[-1].astimezone(OSLO).hour == 23
    repeated = [at.astimezone(OSLO).hour for at in autumn if at.astimezone(OSLO).date() == date(2026, 10, 25)]
    assert repeated.count(2) == 2 and len(repeated) == 25
    two_weeks = week_hours(date(2026, 12, 7), OSLO, weeks=2)
    assert len(two_weeks) == 336 and two_weeks[:168] == plain


def test_the_week_parameter_is_a_local_monday():
    assert parse_week("2026-12-07", OSLO) == date(2026, 12, 7)
    # No week: this week's Monday in the zone (Sunday 23:30 UTC is already Monday in Oslo).
    assert parse_week(None, OSLO, now=datetime(2026, 12, 13, 23, 30, tzinfo=UTC)) == date(2026, 12, 14)
    assert parse_week(None, ZoneInfo("UTC"), now=datetime(2026, 12, 13, 23, 30, tzinfo=UTC)) == date(2026, 12, 7)
    for bad in ("2026-12-08", "2026-13-01", "monday", "07.12.2026"):
        with pytest.raises(ChatRuleError) as caught:
            parse_week(bad, OSLO)
        assert caught.value.field == "week", bad


def test_closed_is_a_whole_hour_outside_the_business_hours():
    hours = parse_business_hours({"timezone": "Europe/Oslo", "weekly": {"mon": [["09:30", "17:00"]]}})
    closed = closed_check(StaffedDepartment(1, "D", "Europe/Oslo", hours))
    monday = datetime(2026, 12, 7, tzinfo=OSLO)
    assert closed(monday.replace(hour=8).astimezone(UTC))
    assert not closed(monday.replace(hour=9).astimezone(UTC))  # open from 09:30: part of the hour
    assert not closed(monday.replace(hour=16).astimezone(UTC))
    assert closed(monday.replace(hour=17).astimezone(UTC))
    always = closed_check(StaffedDepartment(1, "D", "UTC", parse_business_hours(None)))
    assert not always(monday.astimezone(UTC))


@pytest.mark.parametrize(
    ("closed", "required", "scheduled", "status"),
    [
        (True, 0, 3, "closed"),
        (False, 3, 2.5, "under"),
        (False, 1, 0, "under"),
        (False, 3, 3, "ok"),
        (False, 3, 4.9, "ok"),
        (False, 3, 5, "over"),  # + max(2, 0.75)
        (False, 12, 14.9, "ok"),
        (False, 12, 15, "over"),  # + max(2, 3)
        (False, 0, 0, "ok"),
        (False, 0, 2, "over"),
    ],
)
def test_coverage_status(closed, required, scheduled, status):
    assert coverage_status(closed, required, scheduled) == status


def test_whatif_defaults_and_checks():
    q = check_whatif({"arrivals": [0, 12.5], "aht_by_load": [300, 400]})
    assert q["goal"] == {"service_level": 0.8, "seconds": 60.0, "max_abandon": 0.05}
    assert q["patience_s"] is None and q["concurrency"] is None
    q = check_whatif({"arrivals": [1], "aht_by_load": [300], "goal": {"max_abandon": None}})
    assert q["goal"]["max_abandon"] is None
    # 100 % within 0 s: nobody is answered in no time.
    with pytest.raises(ChatRuleError) as caught:
        check_whatif({"arrivals": [0, 1], "aht_by_load": [300], "goal": {"service_level": 1, "seconds": 0}})
    assert caught.value.field == "goal.seconds"
    with pytest.raises(ChatRuleError) as caught:
        check_whatif({"arrivals": [float("nan")], "aht_by_load": [300]})
    assert caught.value.field == "arrivals[0]"
