"""How long `required_agents` takes for a week: 168 hours x the three models (issue 15's target:
under 0.5 s in total for arrivals up to 500 an hour). A figure, not a test; docs/staffing.md
"The three models" quotes it.

.venv/bin/python -m bench.staffing_models [--repeat 5]

The week: arrivals 0 … 500 an hour in a daily wave (a realistic week's shape, nights near 0),
AHT_k = 300, 360, 450 s for 1 … 3 chats, mean patience 120 s, the default goal (80 % within
60 s, abandonment ≤ 5 %). Each run prints its wall time and its CPU time (the process's own:
on a machine shared with others the wall time is the CPU time plus waiting for a core).
"""

from __future__ import annotations

import argparse
import math
import os
import time

from frontdesk.domain.staffing_models import MODEL_NAMES, Goal, Load, required_agents

AHT_BY_LOAD = (300.0, 360.0, 450.0)
PATIENCE_S = 120.0


def week_arrivals(peak: float = 500.0) -> list[float]:
    """168 hours: a daily wave from 0 (at 03:00) to `peak` (at 15:00), weekends at 60 %."""
    out = []
    for h in range(168):
        day, hour = divmod(h, 24)
        wave = 0.5 - 0.5 * math.cos((hour - 3) / 24 * 2 * math.pi)
        out.append(round(peak * wave * (0.6 if day >= 5 else 1.0), 1))
    return out


def run_once(arrivals: list[float], goal: Goal) -> tuple[float, float, dict[str, int]]:
    wall, cpu = time.perf_counter(), time.process_time()
    agent_hours = {}
    for model in MODEL_NAMES:
        agent_hours[model] = sum(
            required_agents(model, Load(a, AHT_BY_LOAD, PATIENCE_S), goal).agents for a in arrivals
        )
    return time.perf_counter() - wall, time.process_time() - cpu, agent_hours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    arrivals = week_arrivals()
    goal = Goal()
    span = f"arrivals {min(arrivals):g} … {max(arrivals):g}/h, {sum(arrivals):.0f} a week"
    print(f"168 hours, {span}; load average {os.getloadavg()[0]:.1f}")
    for i in range(args.repeat):
        wall, cpu, agent_hours = run_once(arrivals, goal)
        print(f"run {i + 1}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU; agent-hours {agent_hours}")


if __name__ == "__main__":
    main()
