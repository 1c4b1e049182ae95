"""The arrivals forecast (pure): on seeded Poisson arrivals with a known weekly rhythm and trend the
forecast's mean is near the true rate and beats "same hour last week"; closed hours and holidays
are 0; across a DST change the local rhythm stays local; too little history is a clear error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from frontdesk.domain.business_hours import parse_business_hours
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.forecast import Forecast, backtest, forecast_hours

OSLO = "Europe/Oslo"
HOUR = timedelta(hours=1)
# A desk's day and week (local): quiet nights, a 09:00-16:00 plateau peaking at 10:00, slow weekends.
DAILY = (
    0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.12, 0.3, 0.6, 0.85, 1.0, 0.95,
    0.8, 0.85, 0.95, 0.9, 0.75, 0.6, 0.45, 0.35, 0.28, 0.2, 0.1, 0.05,
)  # fmt: skip
WEEKLY = (1.0, 0.95, 0.9, 0.9, 0.8, 0.35, 0.25)

Rate = Callable[[datetime], float]


def local_monday(day: str, tz: str = OSLO) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def weekly_rate(origin: datetime, *, peak: float = 20.0, growth: float = 0.0, tz: str = OSLO) -> Rate:
    """Arrivals per hour: peak x daily[local hour] x weekly[local weekday] x exp(growth x weeks since origin)."""
    zone = ZoneInfo(tz)

    def rate(at: datetime) -> float:
        local = at.astimezone(zone)
        weeks = (at - origin) / timedelta(days=7)
        return peak * DAILY[local.hour] * WEEKLY[local.weekday()] * float(np.exp(growth * weeks))

    return rate


def arrivals(rate: Rate, start: datetime, hours: int, seed: int) -> list[tuple[datetime, float]]:
    rng = np.random.default_rng(seed)
    return [(start + i * HOUR, float(rng.poisson(rate(start + i * HOUR)))) for i in range(hours)]


def expected(forecast: Forecast) -> np.ndarray:
    return np.array([p.expected for p in forecast.points])


# ---------------------------------------------------------------- accuracy on a known rhythm


def test_the_mean_follows_the_true_rate_with_its_trend_and_beats_last_week() -> None:
    origin = local_monday("2026-01-05")
    rate = weekly_rate(origin, growth=0.03)  # +3 % a week: 12 weeks of history, forecast weeks 13-14
    history = arrivals(rate, origin, 12 * 168, seed=1)
    start = origin + 12 * 168 * HOUR
    forecast = forecast_hours(history, start=start, hours=336, timezone=OSLO)
    assert forecast.method == "poisson-glm"
    assert forecast.weeks_used == 12
    truth = np.array([rate(p.at) for p in forecast.points])
    mean = expected(forecast)
    # The two weeks' total within 5 % of the truth (the trend carried forward: without it the total
    # is 13 % short), the hours within 10 % of the truth in the weighted-absolute sense (WAPE against
    # the true rate; measured 7.3 %), and no hour off by more than 30 % of (its true rate + 1).
    assert abs(mean.sum() / truth.sum() - 1) < 0.05, mean.sum() / truth.sum()
    assert np.abs(mean - truth).sum() / truth.sum() < 0.10
    assert (np.abs(mean - truth) / (truth + 1)).max() < 0.30
    # The 90 % interval holds about 90 % of fresh draws from the true rate.
    draws = np.random.default_rng(7).poisson(truth)
    inside = [p.low <= d <= p.high for p, d in zip(forecast.points, draws, strict=True)]
    assert 0.85 <= np.mean(inside) <= 0.97
    assert all(p.low <= p.expected <= p.high for p in forecast.points if p.expected > 0.5)

    accuracy = backtest(history, timezone=OSLO, held_out_weeks=2)
    assert accuracy.held_out_weeks == 2
    assert accuracy.hours == 335  # whole local weeks: the second one (23-30 March) skips 02:00
    assert accuracy.model_wape is not None and accuracy.naive_wape is not None
    assert accuracy.model_mae is not None and accuracy.naive_mae is not None
    # Same hour last week carries last week's noise: the model, pooling weeks, does clearly better.
    assert accuracy.model_wape < 0.85 * accuracy.naive_wape
    assert accuracy.model_mae < accuracy.naive_mae


def test_recent_weeks_count_most() -> None:
    """Four busy weeks, four quiet ones, four busy again: with a one-week half-life the forecast is
    near the busy level (the twelve weeks' average is 0.83 of it, and their trend about flat)."""
    origin = local_monday("2026-01-05")
    busy, quiet = weekly_rate(origin, peak=20.0), weekly_rate(origin, peak=10.0)
    dip = (origin + 4 * 168 * HOUR, origin + 8 * 168 * HOUR)
    history = arrivals(lambda at: quiet(at) if dip[0] <= at < dip[1] else busy(at), origin, 12 * 168, seed=3)
    start = origin + 12 * 168 * HOUR
    forecast = forecast_hours(history, start=start, hours=168, timezone=OSLO, half_life_weeks=1.0)
    truth = np.array([busy(p.at) for p in forecast.points])
    # Above the busy level a little: the weighted trend reads the recovery as growth (measured +11 %).
    assert 0.95 < expected(forecast).sum() / truth.sum() < 1.15


def test_the_naive_forecast_is_the_same_local_hour_last_week() -> None:
    """Every week the same counts by local weekday and hour, across the October DST change: the
    naive forecast is exact (WAPE 0), and so, nearly, is the model."""
    zone = ZoneInfo(OSLO)

    def count(at: datetime) -> float:
        local = at.astimezone(zone)
        return float(round(10 * DAILY[local.hour] * WEEKLY[local.weekday()]))

    origin = local_monday("2026-09-28")
    end = local_monday("2026-11-02")  # the last held-out week (19-26 October) has the repeated hour
    history = [(origin + i * HOUR, count(origin + i * HOUR)) for i in range(int((end - origin) / HOUR))]
    accuracy = backtest(history, timezone=OSLO, held_out_weeks=2)
    assert accuracy.held_out_weeks == 2
    assert accuracy.hours == 168 + 169
    assert (accuracy.naive_wape, accuracy.naive_mae) == (0.0, 0.0)
    assert accuracy.model_wape is not None and accuracy.model_wape < 0.05


# ---------------------------------------------------------------- closed hours and holidays


def test_closed_hours_and_holidays_are_zero_and_left_out_of_the_fit() -> None:
    holidays = (date(2026, 3, 4), date(2026, 3, 11), date(2026, 4, 1))  # Wednesdays: two past, one coming
    hours = parse_business_hours(
        {
            "timezone": OSLO,
            "weekly": {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "exceptions": [{"date": day.isoformat(), "closed": True} for day in holidays],
        }
    )
    zone = ZoneInfo(OSLO)

    def closed(at: datetime) -> bool:
        return not hours.is_open(at)

    origin = local_monday("2026-02-02")
    rate = weekly_rate(origin)

    def history_rate(at: datetime) -> float:
        # Nobody came on the past holidays: were they fitted, Wednesdays would look a quarter
        # quieter. Closed nights and weekends had arrivals (say, chats started through the API):
        # they must not show in the forecast either.
        if at.astimezone(zone).date() in holidays:
            return 0.0
        return rate(at) if hours.is_open(at) else 5.0

    history = arrivals(history_rate, origin, 8 * 168, seed=5)
    start = origin + 8 * 168 * HOUR  # Monday 30 March, local
    forecast = forecast_hours(history, start=start, hours=2 * 168, timezone=OSLO, closed=closed)
    for point in forecast.points:
        local = point.at.astimezone(zone)
        if local.date() in holidays or local.weekday() >= 5 or not 8 <= local.hour < 18:
            assert (point.expected, point.low, point.high) == (0.0, 0.0, 0.0), local
        else:
            assert point.expected > 0.5 * rate(point.at), local
    # The open hours' total is the rate's; so is the next (open) Wednesday's.
    open_points = [p for p in forecast.points if p.expected > 0]
    truth = sum(rate(p.at) for p in open_points)
    assert abs(sum(p.expected for p in open_points) / truth - 1) < 0.06
    wednesday = [p for p in open_points if p.at.astimezone(zone).date() == date(2026, 4, 8)]
    assert len(wednesday) == 10
    assert abs(sum(p.expected for p in wednesday) / sum(rate(p.at) for p in wednesday) - 1) < 0.10

    accuracy = backtest(history, timezone=OSLO, closed=closed)
    assert accuracy.hours == 2 * 5 * 10  # only the open hours are scored


# ---------------------------------------------------------------- DST: a local rhythm stays local


def test_a_dst_week_keeps_the_local_rhythm() -> None:
    """Europe/Oslo goes back an hour on Sunday 2026-10-25 (03:00 CEST -> 02:00 CET). The history is
    summer time only; in the week that changes and the week after, the 09:00 peak is at local 09:00
    (07:00 UTC before the change, 08:00 UTC after), and that week has 169 real hours."""
    zone = ZoneInfo(OSLO)

    def rate(at: datetime) -> float:
        local = at.astimezone(zone)
        return 30.0 if local.hour == 9 else 2.0

    origin = local_monday("2026-08-31")
    week = local_monday("2026-10-19")
    history = arrivals(rate, origin, int((week - origin) / HOUR), seed=11)
    after = local_monday("2026-11-02")
    hours = int((after - week) / HOUR)
    assert hours == 2 * 168 + 1  # the repeated hour
    forecast = forecast_hours(history, start=week, hours=hours, timezone=OSLO)
    by_day: dict[date, list[tuple[float, int]]] = {}
    for point in forecast.points:
        local = point.at.astimezone(zone)
        by_day.setdefault(local.date(), []).append((point.expected, local.hour))
    assert len(by_day) == 14
    for day, values in by_day.items():
        peak_value, peak_hour = max(values)
        assert peak_hour == 9, day
        assert 25.0 < peak_value < 35.0, day
    monday_after = datetime(2026, 10, 26, 9, tzinfo=zone).astimezone(UTC)
    assert monday_after.hour == 8
    assert next(p for p in forecast.points if p.at == monday_after).expected > 25.0
    # The repeated 02:00 gets the 02:00 rate twice (two real hours).
    repeated = [p for p in forecast.points if p.at.astimezone(zone).replace(tzinfo=None) == datetime(2026, 10, 25, 2)]
    assert len(repeated) == 2
    assert all(1.0 < p.expected < 3.0 for p in repeated)


# ---------------------------------------------------------------- too little history


def test_less_than_a_full_week_is_no_history_yet() -> None:
    origin = local_monday("2026-03-02")
    for history in ([], arrivals(weekly_rate(origin), origin, 167, seed=2)):
        with pytest.raises(ChatRuleError) as info:
            forecast_hours(history, start=origin + 200 * HOUR, hours=24, timezone=OSLO)
        assert (info.value.code, info.value.field) == ("history", "department")
        assert info.value.message == "no history yet: the forecast needs at least one full week of chats"
    with pytest.raises(ChatRuleError):
        backtest(arrivals(weekly_rate(origin), origin, 100, seed=2), timezone=OSLO)
    # Exactly one week is enough to forecast, not to hold a week out.
    week = arrivals(weekly_rate(origin), origin, 168, seed=2)
    assert len(forecast_hours(week, start=origin + 168 * HOUR, hours=24, timezone=OSLO).points) == 24
    accuracy = backtest(week, timezone=OSLO)
    assert (accuracy.held_out_weeks, accuracy.model_wape, accuracy.naive_wape) == (0, None, None)


def test_history_after_start_is_ignored_and_quiet_hours_count_as_zero() -> None:
    origin = local_monday("2026-03-02")
    rate = weekly_rate(origin)
    history = arrivals(rate, origin, 4 * 168, seed=4)
    start = origin + 3 * 168 * HOUR
    # The fourth week (after `start`) is ignored: the same forecast as without it.
    assert forecast_hours(history, start=start, hours=48, timezone=OSLO) == forecast_hours(
        history[: 3 * 168], start=start, hours=48, timezone=OSLO
    )
    # Only the nonzero hours listed (as metric_hours stores them): the same as listing the zeros.
    sparse = [(at, n) for at, n in history[: 3 * 168] if n > 0]
    dense = forecast_hours(history[: 3 * 168], start=start, hours=48, timezone=OSLO, history_end=start)
    assert forecast_hours(sparse, start=start, hours=48, timezone=OSLO, history_end=start) == dense
    # A department that never had a chat in its open hours: a forecast of zeros.
    quiet = [(at, 0.0) for at, _ in history[:400]]
    assert all(p.expected == 0 for p in forecast_hours(quiet, start=start, hours=24, timezone=OSLO).points)
