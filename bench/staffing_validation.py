"""The staffing models against a simulation of frontdesk's own routing (issue 15, item 3).

    .venv/bin/python -m bench.staffing_validation [--weeks 26] [--seed 1] [--write]

Runs domain/staffing_validation.py's scenario (24 hours of arrivals with a daily rhythm, AHT by
load 240 / 300 / 380 s for m = 3 chats, mean patience 120 s, the goal 80 % within 60 s and at most
5 % abandonment) through the simulator (domain/simulation.py, routing by
domain/assignment.choose_agent) for --weeks weeks:
1. with the chat model's required agents per hour: each model's predicted service level and
   abandonment beside the simulated ones (95 % confidence half-widths from the day-to-day spread);
2. with each model's own required agents: its agent-hours per day and the service level and
   abandonment the simulator really gets with them;
3. with the chat model's agents, the simulator's handle times made less like the model's
   (handle time set by the load at assignment; lognormal; the demo's accept delays and offer
   expiries): how far the chat model is off then.
Prints the markdown; --write puts it into docs/staffing.md between the markers of the section
"Validation against the simulator", writes the chart docs/staffing-validation.svg (drawn here
from the numbers: kaleido, which plotly needs to export images, is not installed) and
bench/results/staffing_validation-*.json. Not a test: tests/domain/test_staffing_validation.py
is the smaller check.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from frontdesk.domain.staffing_models import MODEL_NAMES, Goal
from frontdesk.domain.staffing_validation import HourRow, PlanRow, Scenario, measure, validate, worst_error

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "staffing.md"
CHART = REPO / "docs" / "staffing-validation.svg"
RESULTS = REPO / "bench" / "results"
BEGIN, END = "<!-- validation:begin (bench/staffing_validation.py --write) -->", "<!-- validation:end -->"
LABEL = {"chat": "Chat model", "erlang_a": "Erlang A", "erlang_c": "Erlang C (concurrency 3)"}
COLOUR = {"chat": "#1f77b4", "erlang_a": "#2ca02c", "erlang_c": "#d62728"}
VARIANTS: tuple[tuple[str, dict[str, object]], ...] = (
    ("the validation's simulator: exponential handle times, speed set by the current load", {}),
    ("handle time drawn at assignment from the load then (exponential)", {"handle_load": "assignment"}),
    (
        "lognormal handle times (σ 0.55), drawn at assignment",
        {"handle_load": "assignment", "handle_distribution": "lognormal"},
    ),
    (
        "that, plus the demo's accept delay (2-12 s, in the wait) and 1 % expired offers",
        {
            "handle_load": "assignment",
            "handle_distribution": "lognormal",
            "accept_s": (2.0, 12.0),
            "offer_expire_p": 0.01,
        },
    ),
)


def pct(x: float, digits: int = 1) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.{digits}f}"


def hour_table(rows: Sequence[HourRow]) -> list[str]:
    head = (
        "| hour | arrivals/h | agents | simulated SL % (±95 %) | chat | Erlang A | Erlang C "
        "| simulated abandonment % (±95 %) | chat | Erlang A | Erlang C |"
    )
    out = [head, "|" + "---:|" * 11]
    for r in rows:
        s, p = r.simulated, r.predicted
        out.append(
            f"| {r.hour:02d} | {r.arrivals_per_hour:g} | {r.agents} "
            f"| {pct(s.service_level)} ± {pct(s.service_level_ci)} "
            + "".join(f"| {pct(p[m].service_level)} " for m in MODEL_NAMES)
            + f"| {pct(s.abandonment)} ± {pct(s.abandonment_ci)} "
            + "".join(f"| {pct(p[m].abandonment)} " for m in MODEL_NAMES)
            + "|"
        )
    return out


def plan_table(plans: Sequence[PlanRow]) -> list[str]:
    out = [
        "| model | agent-hours a day | agents per hour (00-23) | simulated SL % (day) | simulated abandonment % (day) "
        "| hours meeting the goal | worst hour's simulated SL % / abandonment % |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for plan in plans:
        worst = min(plan.simulated, key=lambda m: m.service_level if m.arrivals else math.inf)
        most = max(plan.simulated, key=lambda m: m.abandonment if m.arrivals else -math.inf)
        out.append(
            f"| {LABEL[plan.model]} | {plan.agent_hours} | {' '.join(str(n) for n in plan.agents)} "
            f"| {pct(plan.service_level, 2)} | {pct(plan.abandonment, 2)} | {plan.hours_meeting_goal} / 24 "
            f"| {pct(worst.service_level)} ({worst.hour:02d}:00) / {pct(most.abandonment)} ({most.hour:02d}:00) |"
        )
    return out


def chart(rows: Sequence[HourRow], title: str, goal: Goal) -> str:
    """Two panels (service level, abandonment) by hour: the simulation as points with 95 %
    whiskers, each model's prediction as a line, the goal dashed."""
    width, height, left, right = 820, 620, 64, 200
    panels = (
        (f"service level (answered within {goal.seconds:g} s, of all arrivals)", "service_level", 50, 300),
        ("abandonment (of all arrivals)", "abandonment", 360, 560),
    )
    x0, x1 = left, width - right

    def x(hour: float) -> float:
        return x0 + (hour + 0.5) * (x1 - x0) / 24

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    for label, attr, top, bottom in panels:
        sim = [(r.hour, getattr(r.simulated, attr), getattr(r.simulated, attr + "_ci")) for r in rows]
        values = [v for _, v, _ in sim if not math.isnan(v)]
        values += [getattr(r.predicted[m], attr) for r in rows for m in MODEL_NAMES]
        if attr == "service_level":
            lo, hi = math.floor(min(values) * 20) / 20, 1.0
        else:
            lo, hi = 0.0, max(0.05, math.ceil(max(values) * 20) / 20)

        def y(v: float, lo: float = lo, hi: float = hi, top: int = top, bottom: int = bottom) -> float:
            return bottom - (min(max(v, lo), hi) - lo) / (hi - lo) * (bottom - top)

        parts.append(f'<text x="{x0}" y="{top - 8}">{escape(label)}</text>')
        steps = round((hi - lo) / (0.02 if hi - lo <= 0.1 else 0.05))
        for i in range(steps + 1):
            v = lo + i * (hi - lo) / steps
            parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e5e5"/>')
            parts.append(f'<text x="{x0 - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{100 * v:.0f} %</text>')
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{bottom}" y2="{bottom}" stroke="#888"/>')
        target = goal.service_level if attr == "service_level" else goal.max_abandon
        if target is not None and lo <= target <= hi:
            parts.append(
                f'<line x1="{x0}" x2="{x1}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                'stroke="#555" stroke-dasharray="6 4"/>'
            )
            parts.append(f'<text x="{x1 + 4}" y="{y(target) + 4:.1f}" fill="#555">goal</text>')
        for h in range(0, 24, 2):
            parts.append(f'<text x="{x(h):.1f}" y="{bottom + 16}" text-anchor="middle">{h:02d}</text>')
        for m in MODEL_NAMES:
            points = " ".join(f"{x(r.hour):.1f},{y(getattr(r.predicted[m], attr)):.1f}" for r in rows)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{COLOUR[m]}" stroke-width="2"/>')
        for hour, v, ci in sim:
            if math.isnan(v):
                continue
            parts.append(
                f'<line x1="{x(hour):.1f}" x2="{x(hour):.1f}" y1="{y(v - ci):.1f}" y2="{y(v + ci):.1f}" '
                'stroke="#000" stroke-width="1.2"/>'
            )
            parts.append(f'<circle cx="{x(hour):.1f}" cy="{y(v):.1f}" r="3" fill="#000"/>')
    parts.append(f'<text x="{(x0 + x1) / 2}" y="{height - 12}" text-anchor="middle">hour of the day (UTC)</text>')
    legend = [("simulated (95 % interval)", "#000", True)] + [(LABEL[m], COLOUR[m], False) for m in MODEL_NAMES]
    for i, (name, colour, dot) in enumerate(legend):
        ly = 70 + i * 22
        if dot:
            parts.append(f'<circle cx="{x1 + 24}" cy="{ly - 4}" r="3" fill="{colour}"/>')
        else:
            parts.append(
                f'<line x1="{x1 + 14}" x2="{x1 + 34}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>'
            )
        parts.append(f'<text x="{x1 + 40}" y="{ly}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="write docs/staffing.md, the chart and the JSON")
    args = parser.parse_args()
    scenario = Scenario()
    cpu, wall = time.process_time(), time.time()
    result = validate(scenario, weeks=args.weeks, seed=args.seed)
    chat_agents = tuple(r.agents for r in result.rows)
    variants = []
    for name, changes in VARIANTS:
        if not changes:
            rows = result.rows
        else:
            varied = dataclasses.replace(scenario, **changes)  # type: ignore[arg-type]
            measured = measure(varied, chat_agents, weeks=args.weeks, seed=args.seed)
            rows = tuple(dataclasses.replace(r, simulated=measured[r.hour]) for r in result.rows)
        sl, ab = worst_error(rows, "chat")
        variants.append((name, sl, ab))
    cpu, wall = time.process_time() - cpu, time.time() - wall
    measured_days = result.rows[0].simulated.days
    arrivals = sum(r.simulated.arrivals for r in result.rows)
    worst = {m: worst_error(result.rows, m) for m in MODEL_NAMES}
    lines = [
        BEGIN,
        "",
        f"Generated by `.venv/bin/python -m bench.staffing_validation --weeks {args.weeks} --seed {args.seed} "
        f"--write` on {datetime.now(UTC):%Y-%m-%d}: {args.weeks} simulated weeks per run, the first day left out "
        f"as warm-up, so {measured_days} days measured ({arrivals:,} arrivals in the chat model's run); "
        f"{len(VARIANTS) + 2} runs in {cpu:.0f} s of CPU ({wall:.0f} s wall on a shared 2-core machine).",
        "",
        "**With the chat model's agents** (SL = service level; predictions for the same agents):",
        "",
        *hour_table(result.rows),
        "",
        "Largest |predicted − simulated| over the 24 hours, in percentage points (service level / abandonment): "
        + "; ".join(f"{LABEL[m]} {pct(sl)} / {pct(ab)}" for m, (sl, ab) in worst.items())
        + ".",
        "",
        "**Each model's own staffing for the goal**, simulated:",
        "",
        *plan_table(result.plans),
        "",
        "**The chat model when the simulator's handle times are less like the model's** (same agents; "
        "largest |predicted − simulated| over the hours, percentage points):",
        "",
        "| simulator | service level | abandonment |",
        "|---|---:|---:|",
        *(f"| {name} | {pct(sl)} | {pct(ab)} |" for name, sl, ab in variants),
        "",
        "![Predicted and simulated service level and abandonment per hour](staffing-validation.svg)",
        "",
        END,
    ]
    text = "\n".join(lines)
    print(text)
    if not args.write:
        return
    doc = DOC.read_text()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing")
    before, rest = doc.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(before + text + after)
    title = f"Staffing models vs. simulation ({args.weeks} weeks, seed {args.seed}; chat model's agents)"
    CHART.write_text(chart(result.rows, title, scenario.goal))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"staffing_validation-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "weeks": args.weeks,
                "seed": args.seed,
                "cpu_s": cpu,
                "wall_s": wall,
                "machine": platform.platform(),
                "scenario": dataclasses.asdict(scenario),
                "rows": [dataclasses.asdict(r) for r in result.rows],
                "plans": [dataclasses.asdict(p) for p in result.plans],
                "variants": [{"simulator": n, "worst_sl": sl, "worst_abandonment": ab} for n, sl, ab in variants],
            },
            indent=1,
        )
    )
    print(f"wrote {DOC}, {CHART}, {out}")


if __name__ == "__main__":
    main()
