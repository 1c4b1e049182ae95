"""A simulated day of one department, to check the wait estimate against what happens.

Visitors arrive at a rate that follows a working day (Poisson within each hour); each chat takes
a log-normal handle time; agents work shifts, each holding up to `max_chats` chats. The queue is
first come first served, exactly as routing serves it. Every visitor who has to wait gets the
estimate the server would show them (frontdesk.domain.assignment.estimate_wait_seconds with the
median of the last 50 handle times, as actions/dispatch.do_publish_queue_positions computes it),
and we record the wait that really followed. Not a test: it prints figures for
docs/performance.md.

    .venv/bin/python -m bench.queue_simulation [--days 1] [--seed 7]
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
from collections import deque

from frontdesk.domain.assignment import estimate_wait_seconds, typical_handle_seconds

# Chats arriving per hour through a working day (09-17 busy, lunch peak), 0 outside 8-20.
HOURLY_ARRIVALS = [0, 0, 0, 0, 0, 0, 0, 0, 20, 45, 60, 70, 85, 75, 65, 60, 50, 35, 20, 10, 0, 0, 0, 0]
# Agents on shift per hour.
AGENTS_PER_HOUR = [0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 5, 5, 5, 5, 5, 4, 4, 3, 2, 1, 0, 0, 0, 0]
MAX_CHATS = 3
HANDLE_MEDIAN = 420.0  # seconds
HANDLE_SIGMA = 0.6


def simulate(seed: int, days: int = 1) -> list[tuple[float, float]]:
    """(estimate, actual wait) for every visitor who had to queue."""
    rng = random.Random(seed)
    samples: list[tuple[float, float]] = []
    for day in range(days):
        t0 = day * 86400.0
        arrivals = []
        for hour, rate in enumerate(HOURLY_ARRIVALS):
            t = t0 + hour * 3600.0
            while rate:
                t += rng.expovariate(rate / 3600.0)
                if t >= t0 + (hour + 1) * 3600.0:
                    break
                arrivals.append(t)
        samples += _run_day(rng, t0, arrivals)
    return samples


def _capacity(at: float) -> int:
    return AGENTS_PER_HOUR[int(at % 86400 // 3600)] * MAX_CHATS


def _run_day(rng: random.Random, t0: float, arrivals: list[float]) -> list[tuple[float, float]]:
    busy: list[float] = []  # end times of chats in progress (a heap)
    queue: deque[tuple[float, float | None]] = deque()  # (arrived, estimate)
    recent: deque[float] = deque(maxlen=50)
    out = []

    def serve(now: float) -> None:
        while queue and len(busy) < _capacity(now):
            arrived, estimate = queue.popleft()
            handle = rng.lognormvariate(0, HANDLE_SIGMA) * HANDLE_MEDIAN
            heapq.heappush(busy, now + handle)
            recent.append(handle)
            if estimate is not None:
                out.append((estimate, now - arrived))

    for arrived in arrivals:
        # Chats that ended before this arrival free their slots, in order.
        while busy and busy[0] <= arrived:
            serve(heapq.heappop(busy))
        serve(arrived)
        if len(busy) < _capacity(arrived) and not queue:
            heapq.heappush(busy, arrived + rng.lognormvariate(0, HANDLE_SIGMA) * HANDLE_MEDIAN)
            continue
        estimate = estimate_wait_seconds(
            position=len(queue) + 1, capacity=_capacity(arrived), handle_seconds=typical_handle_seconds(list(recent))
        )
        queue.append((arrived, estimate))
    while busy:
        serve(heapq.heappop(busy))
    return out


def report(samples: list[tuple[float, float]]) -> dict[str, float]:
    errors = [est - actual for est, actual in samples]
    absolute = [abs(e) for e in errors]
    within = [abs(e) <= max(60.0, 0.5 * actual) for e, (_est, actual) in zip(errors, samples, strict=True)]
    return {
        "queued_visitors": len(samples),
        "mean_actual_wait_s": statistics.mean(a for _e, a in samples),
        "mean_estimate_s": statistics.mean(e for e, _a in samples),
        "median_abs_error_s": statistics.median(absolute),
        "p90_abs_error_s": statistics.quantiles(absolute, n=10)[-1],
        "mean_error_s": statistics.mean(errors),
        "share_within_1min_or_50pct": sum(within) / len(within),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = report(simulate(args.seed, args.days))
    print(f"simulated {args.days} day(s), seed {args.seed}")
    for key, value in figures.items():
        print(f"  {key:28s} {value:10.2f}")


if __name__ == "__main__":
    main()
