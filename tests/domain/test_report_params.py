"""domain/report_params.py: a report's from / to / tz as a range of UTC instants between local
midnights (DST-correct), its previous period, its local buckets, and every bad input a 400
naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.report_params import MAX_DAYS, check_interval, check_tz, parse_range

TODAY = date(2026, 12, 7)


def rng(since: str | None, until: str | None, tz: str | None = "UTC", **kw):  # type: ignore[no-untyped-def]
    return parse_range(since, until, tz, today=TODAY, **kw)


def refused(field: str, *args, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ChatRuleError) as e:
        rng(*args, **kw)
    assert (e.value.code, e.value.field) == ("bad_request", field), e.value.message
    assert e.value.message.startswith(f"{field}: ")
    return e.value.message


def test_a_day_in_oslo_runs_between_local_midnights():
    r = rng("2026-06-01", "2026-06-01", "Europe/Oslo")
    assert r.start == datetime(2026, 5, 31, 22, tzinfo=UTC) and r.end == datetime(2026, 6, 1, 22, tzinfo=UTC)
    assert r.as_dict() == {"from": "2026-06-01", "to": "2026-06-01", "tz": "Europe/Oslo"}


def test_the_day_of_the_change_from_summer_time_has_25_hours():
    r = rng("2026-10-25", "2026-10-25", "Europe/Oslo", interval="hour")
    assert r.end - r.start == timedelta(hours=25)
    hours = r.buckets("hour")
    assert len(hours) == 25
    # 02:00 happens twice: two buckets, told apart by their offset
    assert "2026-10-25T02:00+02:00" in hours and "2026-10-25T02:00+01:00" in hours
    spring = rng("2026-03-29", "2026-03-29", "Europe/Oslo", interval="hour")
    assert spring.end - spring.start == timedelta(hours=23) and len(spring.buckets("hour")) == 23
    assert not any(b.startswith("2026-03-29T02:") for b in spring.buckets("hour")), "02:00 did not exist"


def test_an_hour_row_belongs_to_the_local_hour_day_and_week_it_starts_in():
    r = rng("2026-10-24", "2026-10-26", "Europe/Oslo")
    late = datetime(2026, 10, 24, 22, tzinfo=UTC)  # 00:00 CEST on Sunday the 25th
    assert r.bucket_key(late, "day") == "2026-10-25" and r.bucket_key(late, "week") == "2026-10-19"
    assert r.bucket_key(late, "hour") == "2026-10-25T00:00+02:00"
    assert r.bucket_key(datetime(2026, 10, 25, 23), "day") == "2026-10-26", "naive values are UTC"


def test_a_half_hour_zone_takes_the_utc_hours_that_start_inside_the_range():
    r = rng("2026-03-02", "2026-03-02", "Asia/Kolkata", interval="hour")
    assert r.start == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    assert (r.hour_from, r.hour_to) == (datetime(2026, 3, 1, 19, tzinfo=UTC), datetime(2026, 3, 2, 19, tzinfo=UTC))
    # UTC 05:00-06:00 is 10:30-11:30 in Kolkata: counted in the local hour it starts in, 10:00
    assert r.bucket_key(datetime(2026, 3, 2, 5, tzinfo=UTC), "hour") == "2026-03-02T10:00+05:30"
    assert len(r.buckets("hour")) == 24


def test_the_previous_period_has_the_same_number_of_days():
    r = rng("2026-11-01", "2026-11-30")
    assert r.days == 30 and (r.previous.first, r.previous.last) == (date(2026, 10, 2), date(2026, 10, 31))
    assert r.previous.end == r.start


def test_defaults_the_seven_days_up_to_today_in_the_default_zone():
    r = parse_range(None, None, None, today=TODAY, default_tz="Europe/Oslo")
    assert (r.first, r.last, r.tz) == (date(2026, 12, 1), TODAY, "Europe/Oslo")


def test_week_buckets_start_on_monday():
    r = rng("2026-12-02", "2026-12-15")
    assert r.buckets("week") == ["2026-11-30", "2026-12-07", "2026-12-14"]
    assert len(r.buckets("day")) == 14


def test_bad_input_is_a_400_naming_the_field():
    assert refused("to", "2026-05-02", "2026-05-01") == "to: must not be before from"
    assert refused("to", "2016-01-01", "2026-01-01") == f"to: at most {MAX_DAYS} days after from"
    rng("2025-01-01", "2026-02-05")  # 400 days: allowed
    refused("to", "2025-01-01", "2026-02-06")
    refused("from", "2026-1-1", "2026-02-06")
    refused("to", "2026-01-01", "tomorrow")
    refused("from", "0001-01-01", "2026-01-02")
    assert refused("tz", "2026-01-01", "2026-01-02", "Mars/Olympus_Mons") == "tz: unknown time zone"
    refused("tz", "2026-01-01", "2026-01-02", "../../etc/passwd")
    refused("interval", "2026-01-01", "2026-03-01", interval="hour")
    with pytest.raises(ChatRuleError) as e:
        check_interval("month")
    assert e.value.field == "interval"
    assert check_interval(None) == "day"
    with pytest.raises(ChatRuleError):
        check_tz("")


@pytest.mark.parametrize("tz", ["Europe/Oslo", "UTC", "Asia/Kolkata", "America/Havana", "Australia/Lord_Howe"])
def test_a_range_cuts_into_stretches_of_one_utc_offset(tz: str):
    """The reports group roll-ups by local day in SQL per stretch of constant offset: the
    stretches cover every hour row of the range once, in order, each with the offset every one of
    its hours has, and a new stretch starts only where the offset changes."""
    r = rng("2025-12-08", "2026-12-06", tz)
    parts = r.stretches()
    assert parts[0][0] == r.hour_from and parts[-1][1] == r.hour_to
    assert all(a[1] == b[0] and a[2] != b[2] for a, b in zip(parts, parts[1:], strict=False))
    for start, end, offset in parts:
        at = start
        while at < end:
            assert (r.local(at).utcoffset() or timedelta()).total_seconds() == offset, at
            assert r.bucket_key(at, "day") == (at + timedelta(seconds=offset)).date().isoformat()
            at += timedelta(hours=1)
    assert len(parts) == (1 if tz in ("UTC", "Asia/Kolkata") else 3)
    oslo = rng("2026-03-29", "2026-03-29", "Europe/Oslo").stretches()  # 02:00 local becomes 03:00
    assert oslo == [
        (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC), 3600),
        (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC), 7200),
    ]
