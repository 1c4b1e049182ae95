"""The arrivals forecast's accuracy and speed (docs/staffing.md, "Forecast").

    .venv/bin/python -m bench.forecast_accuracy [--weeks 8] [--seeds 1,2,3] [--held-out 2]

Runs the simulator with the demo's desk (domain/simulation.demo_config) for `weeks` weeks, counts
each department's chats per UTC hour (what metric_hours holds), and scores on the last `held-out`
whole local weeks, over the open hours (the department's business hours), one week ahead with a
rolling origin:
- poisson-glm: domain/forecast.backtest (the model frontdesk uses);
- naive: the same local hour last week;
- holt-winters: statsmodels' ExponentialSmoothing, additive trend and season, period 168 hours
  (on the UTC hours, negative forecasts clipped to 0, closed hours 0);
then times forecast_hours on 12 weeks of history for 2 weeks ahead.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from frontdesk.domain import forecast as fc
from frontdesk.domain.business_hours import parse_business_hours
from frontdesk.domain.simulation import demo_config, simulate

HOUR = timedelta(hours=1)
START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday; 8 weeks from here cross the autumn DST changes


def holt_winters(
    history: dict[datetime, float], first: datetime, week_start: datetime, hours: list[datetime]
) -> list[float]:
    count = int((week_start - first) / HOUR)
    y = np.array([history.get(first + i * HOUR, 0.0) for i in range(count)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            y, trend="add", seasonal="add", seasonal_periods=168, initialization_method="heuristic"
        ).fit()
        ahead = int((max(hours) - week_start) / HOUR) + 1
        path = np.maximum(model.forecast(ahead), 0.0)
    return [float(path[int((at - week_start) / HOUR)]) for at in hours]


def score(actual: list[float], predicted: list[float]) -> tuple[float, float]:
    y, p = np.array(actual), np.array(predicted)
    return float(np.abs(y - p).sum() / y.sum()), float(np.abs(y - p).mean())


def run(weeks: int, seeds: list[int], held_out: int) -> None:
    config = demo_config()
    print(f"demo desk, {weeks} weeks from {START.date()}, seeds {seeds}, {held_out} held-out weeks (one week ahead)")
    print(
        "| department | seed | hours | poisson-glm WAPE | naive WAPE | holt-winters WAPE "
        "| poisson-glm MAE | naive MAE | holt-winters MAE |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    totals: dict[str, list[float]] = {"glm": [], "naive": [], "hw": [], "y": []}
    for seed in seeds:
        result = simulate(config, START, weeks, seed)
        for dept in config.departments:
            counts = Counter(
                c.created_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
                for c in result.chats
                if c.department == dept.slug
            )
            history = [(at, float(n)) for at, n in sorted(counts.items())]
            hours = parse_business_hours({"timezone": dept.timezone, **dict(dept.hours)})

            def closed(at: datetime, hours=hours) -> bool:  # noqa: ANN001
                return not hours.is_open(at)

            end = START + weeks * timedelta(days=7)
            acc = fc.backtest(history, timezone=dept.timezone, held_out_weeks=held_out, closed=closed, history_end=end)
            # Holt-Winters and the naive forecast on the same held-out weeks and hours.
            zone = ZoneInfo(dept.timezone)
            series = {at: float(n) for at, n in counts.items()}
            first = START  # the simulation's start: its hours before the first chat are zeros
            cut = fc._week_start(end, zone)
            week_starts: list[datetime] = []
            for _ in range(held_out):
                cut = fc._week_start(cut - HOUR, zone)
                week_starts.insert(0, cut)
            actual, hw, naive, glm = [], [], [], []
            for week_start in week_starts:
                week_end = fc._week_start(week_start + timedelta(days=8), zone)
                scored = [week_start + i * HOUR for i in range(int((week_end - week_start) / HOUR))]
                scored = [at for at in scored if not closed(at)]
                actual += [series.get(at, 0.0) for at in scored]
                hw += holt_winters(series, first, week_start, scored)
                naive += [fc._naive(series, at, zone) for at in scored]
                fit = fc._fit(series, first, week_start, zone, closed, 4.0)
                glm += list(fit.mean(scored)) if fit is not None else [0.0] * len(scored)
            (gw, gm), (nw, nm), (hw_w, hw_m) = score(actual, glm), score(actual, naive), score(actual, hw)
            assert acc.model_wape is not None and abs(acc.model_wape - gw) < 1e-9  # the same scoring as backtest
            totals["glm"] += list(np.abs(np.array(actual) - np.array(glm)))
            totals["naive"] += list(np.abs(np.array(actual) - np.array(naive)))
            totals["hw"] += list(np.abs(np.array(actual) - np.array(hw)))
            totals["y"] += actual
            print(
                f"| {dept.slug} | {seed} | {acc.hours} | {gw:.3f} | {nw:.3f} | {hw_w:.3f} "
                f"| {gm:.2f} | {nm:.2f} | {hw_m:.2f} |"
            )
    y = sum(totals["y"])
    print(
        f"| all | | {len(totals['y'])} | {sum(totals['glm']) / y:.3f} | {sum(totals['naive']) / y:.3f} "
        f"| {sum(totals['hw']) / y:.3f} | {np.mean(totals['glm']):.2f} | {np.mean(totals['naive']):.2f} "
        f"| {np.mean(totals['hw']):.2f} |"
    )


def speed() -> None:
    rng = np.random.default_rng(0)
    zone = ZoneInfo("Europe/Oslo")
    origin = datetime(2026, 1, 5, tzinfo=zone).astimezone(UTC)
    history = []
    for i in range(12 * 168):
        at = origin + i * HOUR
        local = at.astimezone(zone)
        history.append((at, float(rng.poisson(20.0 * (0.2 + (9 <= local.hour < 17)) * (local.weekday() < 5 or 0.3)))))
    start = origin + 12 * 168 * HOUR
    times = []
    for _ in range(5):
        began = time.perf_counter()
        fc.forecast_hours(history, start=start, hours=336, timezone="Europe/Oslo")
        times.append(time.perf_counter() - began)
    median, worst = np.median(times), max(times)
    print(f"forecast_hours, 12 weeks of history, 336 hours ahead: median {median:.3f} s, max {worst:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--held-out", type=int, default=2)
    args = parser.parse_args()
    run(args.weeks, [int(s) for s in args.seeds.split(",")], args.held_out)
    speed()


if __name__ == "__main__":
    main()
