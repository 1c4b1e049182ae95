"""The shift planner's speed and quality on a realistic week (docs/staffing.md, "Suggesting shifts").

    .venv/bin/python -m bench.shift_planner [--agents 10] [--limits 5,10,30] [--workers 2]

Two offices (Europe/Oslo and America/New_York, 6 hours apart in December) with `agents` agents
each cover a 24/7 department (Europe/Oslo) whose required agents per hour follow a daily curve
(1 at night, 4 at the weekday peak, fewer at weekends: 371 agent-hours). For each time limit,
domain/shift_planner.suggest_shifts is timed (wall, model building included: the time limit holds
for the whole call) and its plan reported:
status, cost, the solver's lower bound, agent-hours, night hours, hours short. The machine's load
average is printed with each line: other work on the 2 cores slows the solver in wall time.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from frontdesk.domain.shift_planner import PlannerAgent, PlanRules, suggest_shifts

WEEK = datetime(2026, 12, 7, tzinfo=ZoneInfo("Europe/Oslo")).astimezone(UTC)  # a Monday, no DST change
WEEKDAY = [1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1]
WEEKEND = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]


def required() -> list[int]:
    return [(WEEKDAY if day < 5 else WEEKEND)[hour] for day in range(7) for hour in range(24)]


def agents(per_office: int) -> list[PlannerAgent]:
    offices = (("Oslo", "Europe/Oslo"), ("New York", "America/New_York"))
    out = []
    for o, (name, zone) in enumerate(offices):
        for i in range(per_office):
            out.append(PlannerAgent(agent_id=100 * (o + 1) + i, timezone=zone, office=name))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=10, help="agents per office")
    parser.add_argument("--limits", default="5,10,30", help="time limits in seconds, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    need = required()
    team = agents(args.agents)
    began = time.perf_counter()
    from ortools.sat.python import cp_model  # noqa: F401, PLC0415 - imported once per process

    print(f"importing OR-Tools: {time.perf_counter() - began:.1f} s (once per process; not in the times below)")
    print(f"2 offices x {args.agents} agents, {len(need)} hours, {sum(need)} agent-hours required")
    for limit in (float(x) for x in args.limits.split(",")):
        rules = PlanRules(time_limit_s=limit, workers=args.workers)
        load = os.getloadavg()[0]
        began = time.perf_counter()
        plan = suggest_shifts(need, WEEK, team, rules)
        wall = time.perf_counter() - began
        bound = "none" if plan.bound is None else f"{plan.bound:.1f}"
        short = sum(n for _h, n in plan.uncovered)
        print(
            f"limit {limit:>4.0f} s: wall {wall:5.1f} s  {plan.status:<10} cost {plan.cost:6.1f}  bound {bound:>6}  "
            f"agent-hours {plan.agent_hours:5.1f}  night {plan.night_hours:4.1f} h  short {short} agent-hours  "
            f"shifts {len(plan.shifts)}  load {load:.1f}"
        )


if __name__ == "__main__":
    main()
