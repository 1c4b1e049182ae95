"""Arrivals per hour for the coming weeks, from a department's hourly history. No I/O.

The model (docs/staffing.md, "Forecast"): the count in each open UTC hour of the history is
Poisson, log rate = intercept + trend x weeks + weekday + hour + cell[weekday, hour], where the
weekday and hour are *local* to the department's time zone (across a DST change the 09:00 peak
stays at local 09:00). Fitted in three small steps (`_three_steps`):
1. the additive Poisson GLM (statsmodels, `var_weights` = weights halving every `half_life_weeks`
   weeks of age, so recent weeks count most; light ridge penalties as pseudo-observations);
2. each hour of the week's own factor, shrunk toward that shape (a Gamma(CELL_PRIOR, CELL_PRIOR)
   prior: a thin hour, or one never open before, keeps the weekday x hour shape);
3. the intercept and the trend refitted with that shape held as an offset.
Closed hours (the `closed(at)` callback: business hours and their dated exceptions, holidays) are
left out of the fit and forecast as 0. The range (`low`, `high`) is the central 90 % of the
predictive distribution: Poisson with the fitted mean, or a negative binomial of the same mean when
the history is over-dispersed (variance = dispersion x mean).

`backtest` measures the model on the last whole local weeks of the history against the naive "same
hour last week", both as one-week-ahead forecasts (rolling origin): week w is forecast from the
weeks before it, by the model refitted there and by week w - 1 itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy import stats
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM
from threadpoolctl import threadpool_limits

from frontdesk.domain.chat_rules import ChatRuleError

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
WEEK_HOURS = 168
MAX_WEEKS = 26  # history older than this is left out (its weight is below 1 % at the default half-life)
INTERVAL = 0.90  # the central share of the predictive distribution that (low, high) spans
# Pseudo-arrivals pulling each hour of the week toward the weekday + hour shape (chosen on the
# simulator and on synthetic weeks: bench/forecast_accuracy.py, docs/staffing.md "Forecast").
CELL_PRIOR = 32.0
# Ridge penalties, as prior precisions on the log scale (a penalty of 1 = a prior standard deviation of 1).
MAIN_PENALTY = 0.01  # weekday and hour effects: only keeps an all-zero level finite
TREND_PENALTY = 50.0  # growth per week: a prior sd of ~0.14 (x1.15 a week); weak beside a few weeks of data
METHOD = "poisson-glm"


@dataclass(frozen=True, slots=True)
class ForecastPoint:
    at: datetime  # the UTC hour's start
    expected: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Forecast:
    points: list[ForecastPoint]
    method: str
    weeks_used: int  # whole weeks of history the fit saw


@dataclass(frozen=True, slots=True)
class Accuracy:
    held_out_weeks: int  # 0 when the history is too short to hold a week out (the figures are None)
    hours: int  # open hours scored
    model_wape: float | None
    naive_wape: float | None
    model_mae: float | None
    naive_mae: float | None


Closed = Callable[[datetime], bool]


def _hour(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _series(history: Sequence[tuple[datetime, float]]) -> dict[datetime, float]:
    out: dict[datetime, float] = {}
    for at, count in history:
        key = _hour(at)
        out[key] = out.get(key, 0.0) + float(count)
    return out


def _no_history() -> ChatRuleError:
    return ChatRuleError(
        "history", "no history yet: the forecast needs at least one full week of chats", field="department"
    )


def _hour_of_week(hours: Sequence[datetime], zone: ZoneInfo) -> np.ndarray:
    """Local hour of the week (0 = Monday 00:00) of each UTC hour."""
    out = np.empty(len(hours), dtype=np.int64)
    for i, at in enumerate(hours):
        local = at.astimezone(zone)
        out[i] = local.weekday() * 24 + local.hour
    return out


@dataclass(frozen=True, slots=True)
class _Params:
    intercept: float
    trend: float  # log growth per week
    day: np.ndarray  # 7, Monday 0 (fixed at 0)
    hour: np.ndarray  # 24, hour 0 (fixed at 0)
    how: np.ndarray  # 168, log of each hour of the week's own factor (0 = the additive shape)

    def eta(self, how: np.ndarray, weeks: np.ndarray) -> np.ndarray:
        eta: np.ndarray = (
            self.intercept + self.trend * weeks + self.day[how // 24] + self.hour[how % 24] + self.how[how]
        )
        return eta


def _additive(how: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """Columns: intercept, trend (weeks), weekday 1..6 (Monday is the reference), hour 1..23."""
    x = np.zeros((len(how), 31))
    rows = np.arange(len(how))
    x[:, 0] = 1.0
    x[:, 1] = weeks
    day, hour = how // 24, how % 24
    x[rows[day > 0], 1 + day[day > 0]] = 1.0
    x[rows[hour > 0], 7 + hour[hour > 0]] = 1.0
    return x


def _glm(y: np.ndarray, x: np.ndarray, weights: np.ndarray, penalty: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """statsmodels' Poisson GLM (IRLS) with `var_weights`; the ridge penalties enter as
    pseudo-observations (a log-gamma prior): a row x = e_j with a count of 1 and weight P adds
    P (b_j - exp(b_j)) ~ const - P b_j^2 / 2 to the log-likelihood."""
    prior = np.flatnonzero(penalty > 0)
    model = GLM(
        np.concatenate([y, np.ones(len(prior))]),
        np.vstack([x, np.eye(x.shape[1])[prior]]),
        family=Poisson(),
        var_weights=np.concatenate([weights, penalty[prior]]),
        offset=np.concatenate([offset, np.zeros(len(prior))]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an all-zero level converges slowly toward its prior: fine
        return np.asarray(model.fit(method="newton", maxiter=100, disp=False).params)


def _penalised_poisson(y: np.ndarray, weights: np.ndarray, how: np.ndarray, weeks: np.ndarray) -> _Params:
    """Three steps, each small:
    1. the additive GLM: log rate = intercept + trend x weeks + weekday + hour (statsmodels, 31 columns);
    2. each hour of the week's own factor on top of it, shrunk toward 1: the posterior mean of a
       Gamma(CELL_PRIOR, CELL_PRIOR) prior, (sum w y + CELL_PRIOR) / (sum w mu + CELL_PRIOR) — a thin
       or never-seen hour keeps the additive shape, a busy one follows its own data;
    3. the intercept and the trend refitted with the shape of 1-2 held as an offset."""
    # One BLAS thread: the matrices are small, and on a busy machine OpenBLAS's threads wait on
    # each other (measured: 2-7 s instead of 0.24 s for 12 weeks of history).
    with threadpool_limits(limits=1, user_api="blas"):
        return _three_steps(y, weights, how, weeks)


def _three_steps(y: np.ndarray, weights: np.ndarray, how: np.ndarray, weeks: np.ndarray) -> _Params:
    x = _additive(how, weeks)
    penalty = np.zeros(31)
    penalty[1] = TREND_PENALTY
    penalty[2:] = MAIN_PENALTY
    beta = _glm(y, x, weights, penalty, np.zeros(len(y)))
    mu = np.exp(x @ beta)
    observed = np.bincount(how, weights * y, minlength=WEEK_HOURS)
    expected = np.bincount(how, weights * mu, minlength=WEEK_HOURS)
    cell = np.log((observed + CELL_PRIOR) / (expected + CELL_PRIOR))
    day = np.concatenate([[0.0], beta[2:8]])
    hour = np.concatenate([[0.0], beta[8:31]])
    shape = day[how // 24] + hour[how % 24] + cell[how]
    level = _glm(y, x[:, :2], weights, penalty[:2], shape)
    return _Params(float(level[0]), float(level[1]), day, hour, cell)


@dataclass(frozen=True, slots=True)
class _Fit:
    params: _Params
    dispersion: float
    end: datetime  # the history's end: trend weeks are counted from here
    zone: ZoneInfo

    def mean(self, hours: Sequence[datetime]) -> np.ndarray:
        how = _hour_of_week(hours, self.zone)
        weeks = np.array([(at - self.end) / WEEK for at in hours])
        mean: np.ndarray = np.exp(np.clip(self.params.eta(how, weeks), -30.0, 15.0))
        return mean


def _fit(
    series: dict[datetime, float],
    first: datetime,
    end: datetime,
    zone: ZoneInfo,
    closed: Closed | None,
    half_life: float,
) -> _Fit | None:
    """Fit on the open hours of [first, end); None when nothing ever arrived (forecast 0)."""
    first = max(first, end - MAX_WEEKS * WEEK)
    count = int((end - first) / HOUR)
    hours = [first + i * HOUR for i in range(count)]
    hours = [at for at in hours if closed is None or not closed(at)]
    y = np.array([series.get(at, 0.0) for at in hours])
    if not len(y) or y.sum() <= 0:
        return None
    age = np.array([(end - at) / WEEK for at in hours])
    weights = 0.5 ** (age / half_life)
    how = _hour_of_week(hours, zone)
    params = _penalised_poisson(y, weights, how, -age)
    mu = np.exp(params.eta(how, -age))
    # Dispersion: the weighted mean squared Pearson residual, with a degrees-of-freedom correction.
    effective = min(2 + 6 + 23 + len(np.unique(how)), len(y) / 2)
    pearson = float(np.sum(weights * (y - mu) ** 2 / np.maximum(mu, 1e-9)) / weights.sum())
    dispersion = max(1.0, pearson * len(y) / (len(y) - effective))
    return _Fit(params=params, dispersion=dispersion, end=end, zone=zone)


def _intervals(means: np.ndarray, dispersion: float) -> tuple[np.ndarray, np.ndarray]:
    """The central INTERVAL of each hour's predictive distribution: Poisson with the fitted mean, or
    a negative binomial of the same mean and variance = dispersion x mean when over-dispersed."""
    tail = (1.0 - INTERVAL) / 2
    means = np.maximum(means, 1e-12)
    if dispersion <= 1.05:
        return stats.poisson.ppf(tail, means), stats.poisson.ppf(1.0 - tail, means)
    n, p = means / (dispersion - 1.0), 1.0 / dispersion
    return stats.nbinom.ppf(tail, n, p), stats.nbinom.ppf(1.0 - tail, n, p)


def _bounds(series: dict[datetime, float], start: datetime, history_end: datetime | None) -> tuple[datetime, datetime]:
    """The history's [first, end): from its first listed hour to `history_end` (default: the hour
    after the last listed one, and never past `start`)."""
    before = [at for at in series if at < start]
    if not before:
        raise _no_history()
    first = min(before)
    end = _hour(history_end) if history_end is not None else max(before) + HOUR
    end = min(end, start)
    if end - first < WEEK:
        raise _no_history()
    return first, end


def forecast_hours(
    history: Sequence[tuple[datetime, float]],
    *,
    start: datetime,
    hours: int,
    timezone: str,
    closed: Closed | None = None,
    half_life_weeks: float = 4.0,
    history_end: datetime | None = None,
) -> Forecast:
    """Expected arrivals in each UTC hour from `start` (floored to the hour) for `hours` hours.

    `history`: (UTC hour, arrivals) pairs; hours not listed between the first listed one and the
    history's end count as 0. The history ends at `history_end` (exclusive; say "now" so that quiet
    last hours count as zeros), else at the hour after the last listed one; never after `start`.
    At least one full week is needed, else ChatRuleError("history", field="department")."""
    if hours < 0:
        raise ValueError("hours: at least 0")
    if half_life_weeks <= 0:
        raise ValueError("half_life_weeks: above 0")
    zone = ZoneInfo(timezone)
    start = _hour(start)
    series = _series(history)
    first, end = _bounds(series, start, history_end)
    fit = _fit(series, first, end, zone, closed, half_life_weeks)
    targets = [start + i * HOUR for i in range(hours)]
    means = fit.mean(targets) if fit is not None and targets else np.zeros(len(targets))
    is_closed = np.array([fit is None or (closed is not None and closed(at)) for at in targets], dtype=bool)
    means = np.where(is_closed, 0.0, means)
    lows, highs = _intervals(means, fit.dispersion if fit is not None else 1.0)
    points = [
        ForecastPoint(at=at, expected=float(mean), low=0.0 if shut else float(low), high=0.0 if shut else float(high))
        for at, mean, low, high, shut in zip(targets, means, lows, highs, is_closed, strict=True)
    ]
    weeks_used = int((end - max(first, end - MAX_WEEKS * WEEK)) / WEEK)
    return Forecast(points=points, method=METHOD, weeks_used=weeks_used)


def _local_key(at: datetime, zone: ZoneInfo) -> tuple[datetime, int]:
    local = at.astimezone(zone)
    return local.replace(tzinfo=None, minute=0, second=0, microsecond=0), local.fold


def _naive(series: dict[datetime, float], at: datetime, zone: ZoneInfo) -> float:
    """The same local hour a week earlier (a repeated hour: the same fold; a skipped one: 168 h back)."""
    wall, fold = _local_key(at, zone)
    earlier = (wall - WEEK).replace(tzinfo=zone, fold=fold).astimezone(UTC)
    if _local_key(earlier, zone)[0] != wall - WEEK:
        earlier = at - WEEK
    return series.get(earlier, 0.0)


def _week_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of the local Monday 00:00 at or before `at`."""
    local = at.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday.replace(tzinfo=None).replace(tzinfo=zone).astimezone(UTC)


def backtest(
    history: Sequence[tuple[datetime, float]],
    *,
    timezone: str,
    held_out_weeks: int = 2,
    closed: Closed | None = None,
    half_life_weeks: float = 4.0,
    history_end: datetime | None = None,
) -> Accuracy:
    """The model against "same hour last week" on the last `held_out_weeks` whole local weeks
    (Monday to Monday) of the history, over their open hours. Each held-out week is forecast from
    the weeks before it (rolling origin); fewer weeks are held out when the history is short (each
    fit needs a full week before it), none when it has under two (the figures are then None)."""
    if held_out_weeks < 1:
        raise ValueError("held_out_weeks: at least 1")
    zone = ZoneInfo(timezone)
    series = _series(history)
    if not series:
        raise _no_history()
    last = _hour(history_end) if history_end is not None else max(series) + HOUR
    first, end = _bounds(series, last, None if history_end is None else last)
    cut = _week_start(end, zone)  # the held-out weeks end at the last whole week's end
    weeks: list[tuple[datetime, datetime]] = []
    while len(weeks) < held_out_weeks:
        week_start = _week_start(cut - HOUR, zone)
        if week_start - first < WEEK:
            break
        weeks.insert(0, (week_start, cut))
        cut = week_start
    if not weeks:
        return Accuracy(0, 0, None, None, None, None)
    actual: list[float] = []
    model: list[float] = []
    naive: list[float] = []
    for week_start, week_end in weeks:
        fit = _fit(series, first, week_start, zone, closed, half_life_weeks)
        count = int((week_end - week_start) / HOUR)
        hours = [week_start + i * HOUR for i in range(count)]
        hours = [at for at in hours if closed is None or not closed(at)]
        means = fit.mean(hours) if fit is not None and hours else np.zeros(len(hours))
        for at, mean in zip(hours, means, strict=True):
            actual.append(series.get(at, 0.0))
            model.append(float(mean))
            naive.append(_naive(series, at, zone))
    y, m, n = np.array(actual), np.array(model), np.array(naive)
    total = float(y.sum())
    if not len(y):
        return Accuracy(len(weeks), 0, None, None, None, None)
    return Accuracy(
        held_out_weeks=len(weeks),
        hours=len(y),
        model_wape=float(np.abs(y - m).sum() / total) if total else None,
        naive_wape=float(np.abs(y - n).sum() / total) if total else None,
        model_mae=float(np.abs(y - m).mean()),
        naive_mae=float(np.abs(y - n).mean()),
    )
