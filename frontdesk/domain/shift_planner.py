"""Suggested shifts: cover the required agents per hour with the fewest agent-hours (OR-Tools CP-SAT).

The plan is for the `len(required)` real UTC hours from `week_start` (168 in a normal week; a week
with a DST change in the department's zone has 167 or 169 real hours, and the caller passes them
all). Those hours are treated as cyclic: the last hour is followed by the first, because the shifts
recur every week — a shift that starts late on Sunday covers the first hours of the plan, and the
rest between an agent's Sunday and Monday shifts counts. In a DST week the cycle is the real length
of the department's week, so a shift of an agent in another zone that crosses the plan's end may
be placed up to an hour off in the following week; the shifts stored are wall-clock shifts and
`domain/schedule.occurrences` places them DST-correct every week.

Candidate shifts per agent: every local start on the hour (or `rules.start_hours` only) whose UTC
instant falls inside the plan, lengths `min_minutes..max_minutes` in steps of `step_minutes`; a
start the DST change skips is no candidate. Constraints: at most one shift per agent per local
weekday, at most `max_shifts` per agent in the plan, at least `rest_minutes` between the end of one
of an agent's shifts and the start of the next (cyclic, so across the plan's end too), and existing
shifts of a planned agent are respected the same way (and count toward `max_shifts`).

Coverage is counted in agent-minutes per UTC hour (an office whose offset is a half hour covers
half of two UTC hours), so coverage[h] = agents on shift in hour h, a half-covered hour 0.5, as
`domain/schedule.scheduled_per_hour` counts it. Existing shifts count toward coverage and are kept.
Shortfall is soft: a slack per hour (whole agents short) is weighted above the largest possible
cost of all shifts, so an impossible plan still returns, with `uncovered` naming each hour short
and status "infeasible".

Cost (in hours) = agent-hours + night_weight x hours worked outside the agent's local
[day_start, day_end): offices in different zones each work their own daytime first (follow the
sun). The solver minimises it in integer hundredths of an agent-minute (night_weight is rounded to
0.01). `brute_force` enumerates every assignment of the same candidates on tiny cases and checks the
constraints by itself, for the tests.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.schedule import ShiftSpec, occurrences

SCALE = 100  # cost units per agent-minute (night_weight rounded to 1/SCALE)


@dataclass(frozen=True, slots=True)
class PlannerAgent:
    agent_id: int
    timezone: str
    office: str = ""
    max_shifts: int = 5


@dataclass(frozen=True, slots=True)
class PlanRules:
    min_minutes: int = 240
    max_minutes: int = 540
    step_minutes: int = 60
    rest_minutes: int = 660
    day_start: int = 7 * 60
    day_end: int = 21 * 60
    night_weight: float = 0.5
    time_limit_s: float = 10.0
    start_hours: tuple[int, ...] | None = None  # local hours a shift may start at; None = any hour
    workers: int = 2  # CP-SAT search workers (the machine has 2 cores)
    max_shifts: int = 5  # per agent per week: what actions/plans gives each PlannerAgent


@dataclass(slots=True)
class PlanResult:
    shifts: list[ShiftSpec]
    coverage: list[float]  # agents on shift per UTC hour (existing + suggested; half an hour = 0.5)
    agent_hours: float  # of the suggested shifts
    cost: float  # agent_hours + night_weight x night hours (suggested shifts)
    uncovered: list[tuple[int, int]]  # (hour index, agents short)
    status: str  # optimal | feasible | infeasible (partial: `uncovered` lists what is short)
    night_hours: float = 0.0
    solve_s: float = 0.0
    bound: float | None = None  # the solver's lower bound on the cost (hours), when it stopped early


@dataclass(frozen=True, slots=True)
class Candidate:
    agent: int  # index into agents
    weekday: int  # local
    start_minute: int  # local
    minutes: int
    offset: int  # minutes from week_start (UTC), 0 <= offset < period
    night: int  # minutes outside the agent's local day
    cost: int  # SCALE-units


# ----------------------------------------------------------------------------------------------
# rules


def parse_rules(data: Mapping[str, Any] | None, *, prefix: str = "rules.") -> PlanRules:
    """PlanRules from a JSON object (missing keys keep their defaults); a bad value raises
    ChatRuleError naming the field (`rules.max_minutes` ...)."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise ChatRuleError("rules", "rules must be an object", field=prefix.rstrip("."))
    known = {f.name for f in fields(PlanRules)}
    for key in data:
        if key not in known:
            raise ChatRuleError("rules", f"unknown rule {key!r}", field=f"{prefix}{key}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "start_hours":
            if value is None:
                values[key] = None
                continue
            if not isinstance(value, list) or not all(isinstance(h, int) and not isinstance(h, bool) for h in value):
                raise ChatRuleError("rules", "start_hours must be a list of hours 0-23", field=prefix + key)
            values[key] = tuple(sorted(set(value)))
        elif key in ("night_weight", "time_limit_s"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ChatRuleError("rules", f"{key} must be a number", field=prefix + key)
            values[key] = float(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ChatRuleError("rules", f"{key} must be a whole number", field=prefix + key)
            values[key] = value
    rules = PlanRules(**values)
    check_rules(rules, prefix=prefix)
    return rules


def check_rules(rules: PlanRules, *, prefix: str = "rules.") -> None:
    def bad(name: str, message: str) -> ChatRuleError:
        return ChatRuleError("rules", f"{name}: {message}", field=prefix + name)

    if rules.min_minutes < 15:
        raise bad("min_minutes", "a shift is at least 15 minutes")
    if rules.max_minutes > 1440:
        raise bad("max_minutes", "a shift is at most 24 hours")
    if rules.min_minutes > rules.max_minutes:
        raise bad("min_minutes", "must not be more than max_minutes")
    if rules.step_minutes < 15:
        raise bad("step_minutes", "must be at least 15")
    if rules.rest_minutes < 0:
        raise bad("rest_minutes", "must not be negative")
    if rules.rest_minutes > 7 * 1440:
        raise bad("rest_minutes", "must be at most a week")
    if not 0 <= rules.day_start < rules.day_end <= 1440:
        raise bad("day_start", "day_start and day_end are minutes of the day, day_start < day_end")
    if not 0 <= rules.night_weight <= 100:
        raise bad("night_weight", "must be between 0 and 100")
    if not 0 < rules.time_limit_s <= 60:
        raise bad("time_limit_s", "must be more than 0 and at most 60 seconds")
    if rules.start_hours is not None and (not rules.start_hours or not all(0 <= h <= 23 for h in rules.start_hours)):
        raise bad("start_hours", "hours 0-23, at least one")
    if not 1 <= rules.workers <= 8:
        raise bad("workers", "1 to 8")
    if not 0 <= rules.max_shifts <= 7:
        raise bad("max_shifts", "0 to 7 shifts per agent per week")


# ----------------------------------------------------------------------------------------------
# candidates


def _night_minutes(start_minute: int, minutes: int, rules: PlanRules) -> int:
    day = 0
    end = start_minute + minutes
    for k in range(0, end // 1440 + 1):
        lo = max(start_minute, k * 1440 + rules.day_start)
        hi = min(end, k * 1440 + rules.day_end)
        if hi > lo:
            day += hi - lo
    return minutes - day


def _lengths(rules: PlanRules) -> list[int]:
    return list(range(rules.min_minutes, rules.max_minutes + 1, rules.step_minutes))


def _utc_week_start(week_start: datetime) -> datetime:
    if week_start.tzinfo is None:
        raise ChatRuleError("week", "week_start must be an aware datetime", field="week")
    return week_start.astimezone(UTC)


def candidates(hours: int, week_start: datetime, agents: Sequence[PlannerAgent], rules: PlanRules) -> list[Candidate]:
    """Every candidate shift of every agent (see the module's docstring), in a stable order."""
    start = _utc_week_start(week_start)
    end = start + timedelta(hours=hours)
    weight = round(rules.night_weight * SCALE)
    lengths = _lengths(rules)
    allowed = set(rules.start_hours) if rules.start_hours is not None else set(range(24))
    templates: dict[str, list[Candidate]] = {}
    out: list[Candidate] = []
    for index, agent in enumerate(agents):
        if agent.timezone not in templates:
            templates[agent.timezone] = _zone_candidates(agent.timezone, start, end, allowed, lengths, weight, rules)
        out.extend(
            Candidate(index, c.weekday, c.start_minute, c.minutes, c.offset, c.night, c.cost)
            for c in templates[agent.timezone]
        )
    return out


def _zone_candidates(
    timezone: str,
    start: datetime,
    end: datetime,
    allowed: set[int],
    lengths: list[int],
    weight: int,
    rules: PlanRules,
) -> list[Candidate]:
    """The candidates of one agent in `timezone` (agent index 0): the same for every agent there."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = (end.astimezone(zone)).date() + timedelta(days=1)
    out: list[Candidate] = []
    day = first
    while day <= last:
        for hour in sorted(allowed):
            wall = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
            instant = wall.astimezone(UTC)
            if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                continue  # skipped by a DST change
            if not start <= instant < end:
                continue
            offset = int((instant - start).total_seconds() // 60)
            for minutes in lengths:
                night = _night_minutes(hour * 60, minutes, rules)
                out.append(
                    Candidate(
                        agent=0,
                        weekday=day.weekday(),
                        start_minute=hour * 60,
                        minutes=minutes,
                        offset=offset,
                        night=night,
                        cost=SCALE * minutes + weight * night,
                    )
                )
        day += timedelta(days=1)
    return out


def _cover_minutes(offset: int, minutes: int, period: int) -> dict[int, int]:
    """Minutes of [offset, offset + minutes) in each hour of the cyclic plan."""
    out: dict[int, int] = {}
    at = offset
    stop = offset + minutes
    while at < stop:
        hour_end = (at // 60 + 1) * 60
        step = min(hour_end, stop) - at
        h = (at % period) // 60
        out[h] = out.get(h, 0) + step
        at += step
    return out


def _conflict(a_off: int, a_len: int, b_off: int, b_len: int, rest: int, period: int) -> bool:
    """Two shifts of one agent on the cyclic plan are too close: either starts within the other
    extended by the rest."""
    return (b_off - a_off) % period < a_len + rest or (a_off - b_off) % period < b_len + rest


def _existing_occurrences(
    existing: Sequence[ShiftSpec], start: datetime, hours: int
) -> list[tuple[ShiftSpec, int, int]]:
    """(shift, offset minutes from start, minutes) of each real occurrence touching the plan."""
    if not existing:
        return []
    end = start + timedelta(hours=hours)
    out = []
    seen = set()
    for shift in existing:
        for a, b in occurrences(shift, start - timedelta(days=2), end + timedelta(days=1)):
            a, b = a.astimezone(UTC), b.astimezone(UTC)
            if b <= start or a >= end:
                continue
            key = (id(shift), a)
            if key in seen:
                continue
            seen.add(key)
            out.append((shift, int((a - start).total_seconds() // 60), int((b - a).total_seconds() // 60)))
    return out


def _existing_cover(occ: list[tuple[ShiftSpec, int, int]], hours: int) -> list[int]:
    """Agent-minutes per hour from existing shifts (real occurrences, clipped to the plan)."""
    cover = [0] * hours
    for _shift, offset, minutes in occ:
        lo = max(0, offset)
        hi = min(hours * 60, offset + minutes)
        at = lo
        while at < hi:
            step = min((at // 60 + 1) * 60, hi) - at
            cover[at // 60] += step
            at += step
    return cover


@dataclass(slots=True)
class _Problem:
    hours: int
    period: int
    required: list[int]
    cands: list[Candidate]
    covers: list[dict[int, int]]
    base: list[int]  # existing agent-minutes per hour
    used: list[int]  # existing shifts per agent (count toward max_shifts)
    big: int  # weight of one agent short in one hour
    bound: set[int] = field(default_factory=set)  # agents with existing shifts of their own
    agents: list[PlannerAgent] = field(default_factory=list)


def _prepare(
    required: Sequence[int],
    week_start: datetime,
    agents: Sequence[PlannerAgent],
    rules: PlanRules,
    existing: Sequence[ShiftSpec],
) -> _Problem:
    check_rules(rules)
    hours = len(required)
    if not 1 <= hours <= 7 * 24 + 1:
        raise ChatRuleError("required", "required: 1 to 169 hours", field="required")
    if any(isinstance(r, bool) or not isinstance(r, int) or r < 0 or r > 10_000 for r in required):
        raise ChatRuleError("required", "required: whole numbers of agents, 0 or more", field="required")
    for agent in agents:
        if not 0 <= agent.max_shifts <= 7:
            raise ChatRuleError("rules", "max_shifts: 0 to 7 per week", field="rules.max_shifts")
    start = _utc_week_start(week_start)
    period = hours * 60
    if rules.max_minutes + rules.rest_minutes >= period:
        raise ChatRuleError(
            "rules", "rest_minutes: a shift and its rest must fit in the plan's week", field="rules.rest_minutes"
        )
    cands = candidates(hours, start, agents, rules)
    occ = _existing_occurrences(existing, start, hours)
    index_of = {a.agent_id: i for i, a in enumerate(agents)}
    used = [0] * len(agents)
    mine: dict[int, list[tuple[int, int]]] = {}
    for shift, offset, minutes in occ:
        i = index_of.get(shift.agent_id)
        if i is None:
            continue
        mine.setdefault(i, []).append((offset % period, minutes))
        if 0 <= offset < period:
            used[i] += 1
    if mine:
        cands = [
            c
            for c in cands
            if not any(
                _conflict(c.offset, c.minutes, off, mins, rules.rest_minutes, period)
                for off, mins in mine.get(c.agent, ())
            )
        ]
    cover_of: dict[tuple[int, int], dict[int, int]] = {}
    covers = []
    for c in cands:
        key = (c.offset, c.minutes)
        if key not in cover_of:
            cover_of[key] = _cover_minutes(c.offset, c.minutes, period)
        covers.append(cover_of[key])
    top: dict[int, int] = {}
    for c in cands:
        top[c.agent] = max(top.get(c.agent, 0), c.cost)
    worst = sum(top.get(i, 0) * max(0, agent.max_shifts - used[i]) for i, agent in enumerate(agents))
    return _Problem(
        hours=hours,
        period=period,
        required=list(required),
        cands=cands,
        covers=covers,
        base=_existing_cover(occ, hours),
        used=used,
        big=worst + 1,
        agents=list(agents),
        bound=set(mine),
    )


def _result(
    problem: _Problem, chosen: Sequence[int], rules: PlanRules, status: str, solve_s: float, bound: float | None
) -> PlanResult:
    cover = list(problem.base)
    for i in chosen:
        for h, m in problem.covers[i].items():
            cover[h] += m
    uncovered = []
    for h, need in enumerate(problem.required):
        short = need - cover[h] // 60
        if short > 0:
            uncovered.append((h, short))
    minutes = sum(problem.cands[i].minutes for i in chosen)
    night = sum(problem.cands[i].night for i in chosen)
    shifts = []
    for i in sorted(chosen, key=lambda i: (problem.cands[i].agent, problem.cands[i].offset)):
        c = problem.cands[i]
        agent = problem.agents[c.agent]
        shifts.append(
            ShiftSpec(
                agent_id=agent.agent_id,
                timezone=agent.timezone,
                weekday=c.weekday,
                start_minute=c.start_minute,
                minutes=c.minutes,
            )
        )
    if uncovered:
        status = "infeasible"
    return PlanResult(
        shifts=shifts,
        coverage=[m / 60 for m in cover],
        agent_hours=minutes / 60,
        cost=plan_cost(problem, chosen),
        uncovered=uncovered,
        status=status,
        night_hours=night / 60,
        solve_s=solve_s,
        bound=bound,
    )


def plan_cost(problem: _Problem, chosen: Sequence[int]) -> float:
    """The cost in hours of a set of candidates (agent-hours + weighted night hours)."""
    return sum(problem.cands[i].cost for i in chosen) / (SCALE * 60)


# ----------------------------------------------------------------------------------------------
# CP-SAT


@dataclass(slots=True)
class _Shape:
    """The constraint structure of one agent's candidates, by index within the agent's span."""

    at: dict[int, list[int]]  # start offset -> candidates starting there
    days: list[list[int]]  # per local weekday with several starts: its start offsets
    cliques: list[tuple[list[int], list[int]]]  # rest: (offsets whose every length, candidates)


def _agent_spans(problem: _Problem) -> dict[int, tuple[int, int]]:
    """agent index -> [lo, hi) of its candidates (candidates come agent by agent)."""
    spans: dict[int, tuple[int, int]] = {}
    for i, c in enumerate(problem.cands):
        lo, _hi = spans.get(c.agent, (i, i))
        spans[c.agent] = (lo, i + 1)
    return spans


def _shape(mine: Sequence[Candidate], period: int, rest: int) -> _Shape:
    at: dict[int, list[int]] = {}
    by_day: dict[int, set[int]] = {}
    for j, c in enumerate(mine):
        at.setdefault(c.offset, []).append(j)
        by_day.setdefault(c.weekday, set()).add(c.offset)
    offsets = sorted(at)
    shortest = {o: min(mine[j].minutes for j in at[o]) for o in offsets}
    longest = max((c.minutes for c in mine), default=0)
    cliques = []
    for point in offsets:
        whole: list[int] = []
        parts: list[int] = []
        for o in offsets:
            d = (point - o) % period
            if d >= longest + rest:
                continue
            if d < shortest[o] + rest:
                whole.append(o)
            else:
                parts.extend(j for j in at[o] if d < mine[j].minutes + rest)
        if len(whole) + len(parts) > 1:
            cliques.append((whole, parts))
    days = [sorted(v) for v in by_day.values() if len(v) > 1]
    return _Shape(at=at, days=days, cliques=cliques)


def _greedy(
    problem: _Problem,
    rules: PlanRules,
    in_hour: Sequence[Sequence[tuple[int, int]]],
    spans: Mapping[int, tuple[int, int]],
    alike: Mapping[Any, Sequence[int]],
) -> list[int]:
    """A quick plan: the hour short of most agent-minutes gets the shift covering most of what
    is short (cheapest first on ties), until no hour short can be helped."""
    period = problem.period
    deficit = [60 * need - base for need, base in zip(problem.required, problem.base, strict=True)]
    taken: dict[int, list[tuple[int, int]]] = {}
    days: dict[int, set[int]] = {}
    caps = {a: max(0, problem.agents[a].max_shifts - problem.used[a]) for a in spans}
    hopeless: set[int] = set()
    chosen: list[int] = []
    while True:
        open_hours = [h for h in range(problem.hours) if deficit[h] > 0 and h not in hopeless]
        if not open_hours:
            break
        h = max(open_hours, key=lambda k: (deficit[k], -k))
        best: tuple[int, int] | None = None
        best_i = -1
        for i, _m in in_hour[h]:
            c = problem.cands[i]
            a = c.agent
            if len(taken.get(a, ())) >= caps[a] or c.weekday in days.get(a, ()):
                continue
            if any(_conflict(c.offset, c.minutes, o, n, rules.rest_minutes, period) for o, n in taken.get(a, ())):
                continue
            gain = sum(min(m, max(0, deficit[k])) for k, m in problem.covers[i].items())
            score = (gain * SCALE * 10 - c.cost, -i)
            if best is None or score > best:
                best, best_i = score, i
        if best_i < 0:
            hopeless.add(h)
            continue
        c = problem.cands[best_i]
        chosen.append(best_i)
        taken.setdefault(c.agent, []).append((c.offset, c.minutes))
        days.setdefault(c.agent, set()).add(c.weekday)
        for k, m in problem.covers[best_i].items():
            deficit[k] -= m
    # interchangeable agents: reorder their plans by minutes worked, most first
    by_agent: dict[int, list[int]] = {}
    for i in chosen:
        by_agent.setdefault(problem.cands[i].agent, []).append(i)
    for members in alike.values():
        plans = sorted((by_agent.get(a, []) for a in members), key=lambda p: -sum(problem.cands[i].minutes for i in p))
        for a, plan in zip(members, plans, strict=True):
            lo = spans[a][0]
            by_agent[a] = [lo + (i - spans[problem.cands[i].agent][0]) for i in plan]
    return [i for plan in by_agent.values() for i in plan]


def suggest_shifts(
    required: Sequence[int],
    week_start: datetime,
    agents: Sequence[PlannerAgent],
    rules: PlanRules,
    *,
    existing: Sequence[ShiftSpec] = (),
) -> PlanResult:
    """The cheapest shifts covering `required` (agents per UTC hour from `week_start`), or, when
    that is impossible, the plan short of the fewest agent-hours, with status "infeasible"."""
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    problem = _prepare(required, week_start, agents, rules, existing)
    model = cp_model.CpModel()
    weighted = cp_model.LinearExpr.weighted_sum
    x = [model.new_bool_var(f"s{i}") for i in range(len(problem.cands))]
    spans = _agent_spans(problem)
    shapes: dict[Any, _Shape] = {}
    y: dict[tuple[int, int], Any] = {}
    minutes_of: dict[int, Any] = {}
    for a, (lo, hi) in spans.items():
        mine = problem.cands[lo:hi]
        shape_key = (problem.agents[a].timezone, hi - lo) if a not in problem.bound else ("agent", a)
        if shape_key not in shapes:
            shapes[shape_key] = _shape(mine, problem.period, rules.rest_minutes)
        shape = shapes[shape_key]
        # y[(a, offset)]: agent a starts a shift at that offset (one length at most)
        for offset, members in shape.at.items():
            y[(a, offset)] = model.new_bool_var(f"y{a}_{offset}")
            model.add(sum(x[lo + j] for j in members) == y[(a, offset)])
        for offsets in shape.days:
            model.add_at_most_one(y[(a, o)] for o in offsets)
        model.add(sum(y[(a, o)] for o in shape.at) <= max(0, problem.agents[a].max_shifts - problem.used[a]))
        # rest: a shift "occupies" [start, end + rest) on the cycle; two shifts conflict exactly when
        # one's start lies in the other's occupied arc, so one at-most-one per start point is exact.
        for whole, parts in shape.cliques:
            model.add_at_most_one([y[(a, o)] for o in whole] + [x[lo + j] for j in parts])
        minutes_of[a] = weighted([x[i] for i in range(lo, hi)], [problem.cands[i].minutes for i in range(lo, hi)])
    # interchangeable agents (same zone and limit, no shifts of their own to respect): the first
    # works at least as many minutes as the next, so the solver does not search their permutations
    alike: dict[Any, list[int]] = {}
    for a, (lo, hi) in spans.items():
        if a not in problem.bound:
            alike.setdefault((problem.agents[a].timezone, problem.agents[a].max_shifts, hi - lo), []).append(a)
    for members in alike.values():
        for first, second in itertools.pairwise(members):
            model.add(minutes_of[first] >= minutes_of[second])
    in_hour: list[list[tuple[int, int]]] = [[] for _ in range(problem.hours)]
    for i, cover in enumerate(problem.covers):
        for h, m in cover.items():
            in_hour[h].append((i, m))
    slack: dict[int, Any] = {}
    for h, need in enumerate(problem.required):
        short = max(0, need - problem.base[h] // 60)
        if short == 0:
            continue
        slack[h] = model.new_int_var(0, short, f"short{h}")
        covered = weighted([x[i] for i, _m in in_hour[h]], [m for _i, m in in_hour[h]])
        model.add(covered + 60 * slack[h] >= 60 * need - problem.base[h])
    costs = [c.cost for c in problem.cands]
    model.minimize(weighted(x, costs) + problem.big * sum(slack.values()))
    # a first plan to start from: greedy, its interchangeable agents ordered like the constraint above
    hint = set(_greedy(problem, rules, in_hour, spans, alike))
    for i, var in enumerate(x):
        model.add_hint(var, i in hint)
    started = {(problem.cands[i].agent, problem.cands[i].offset) for i in hint}
    for start_key, var in y.items():
        model.add_hint(var, start_key in started)
    reached = list(problem.base)
    for i in hint:
        for h, m in problem.covers[i].items():
            reached[h] += m
    for h, var in slack.items():
        model.add_hint(var, max(0, -(-(60 * problem.required[h] - reached[h]) // 60)))
    solver = cp_model.CpSolver()
    # the time limit holds for the whole call: building the model counts
    solver.parameters.max_time_in_seconds = max(0.5, rules.time_limit_s - (time.perf_counter() - began))
    solver.parameters.num_workers = rules.workers
    solver.parameters.random_seed = 1
    # On a week of 20 agents (about 24k Booleans) CP-SAT's presolve took the whole time limit
    # before any search (its probing alone 5-8 s on this 2-core machine); without it the search
    # starts within a few seconds (docs/staffing.md "Suggesting shifts" has the measurements).
    solver.parameters.cp_model_presolve = False
    code = solver.solve(model)
    solve_s = time.perf_counter() - began
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # no solution within the limit (a loaded machine, a large week): the greedy plan, which
        # keeps every rule, is still an answer
        return _result(problem, sorted(hint), rules, "feasible", time.perf_counter() - began, None)
    chosen = [i for i in range(len(x)) if solver.boolean_value(x[i])]
    status = "optimal" if code == cp_model.OPTIMAL else "feasible"
    bound = None
    if code != cp_model.OPTIMAL and solver.best_objective_bound > 0:  # 0: nothing proved yet
        bound = solver.best_objective_bound / (SCALE * 60)
    return _result(problem, chosen, rules, status, solve_s, bound)


# ----------------------------------------------------------------------------------------------
# brute force (tests)


def brute_force(
    required: Sequence[int],
    week_start: datetime,
    agents: Sequence[PlannerAgent],
    rules: PlanRules,
    *,
    existing: Sequence[ShiftSpec] = (),
    limit: int = 2_000_000,
) -> PlanResult:
    """Every assignment of the candidates, checked by plain comparisons: for tiny cases only (a
    few agents, a day or two, few start hours). Minimises the same objective (shortfall first,
    then cost) and raises ValueError when more than `limit` assignments would be tried."""
    began = time.perf_counter()
    problem = _prepare(required, week_start, agents, rules, existing)
    per_agent: list[list[tuple[int, ...]]] = []
    for a in range(len(agents)):
        mine = [i for i, c in enumerate(problem.cands) if c.agent == a]
        cap = max(0, agents[a].max_shifts - problem.used[a])
        options: list[tuple[int, ...]] = []
        for k in range(0, min(cap, len(mine)) + 1):
            for combo in itertools.combinations(mine, k):
                if _agent_ok(problem, combo, rules):
                    options.append(combo)
        per_agent.append(options)
    total = 1
    for options in per_agent:
        total *= len(options)
    if total > limit:
        raise ValueError(f"brute force: {total} assignments is too many")
    best: tuple[int, int] | None = None
    best_choice: tuple[int, ...] = ()
    for pick in itertools.product(*per_agent):
        chosen = tuple(i for part in pick for i in part)
        cover = list(problem.base)
        for i in chosen:
            for h, m in problem.covers[i].items():
                cover[h] += m
        short = 0
        for h, need in enumerate(problem.required):
            # agents short in hour h: the fewest whole agents that would lift the minutes to need
            missing = 60 * need - cover[h]
            if missing > 0:
                short += -(-missing // 60)
        key = (short, sum(problem.cands[i].cost for i in chosen))
        if best is None or key < best:
            best, best_choice = key, chosen
    return _result(problem, best_choice, rules, "optimal", time.perf_counter() - began, None)


def _agent_ok(problem: _Problem, combo: Sequence[int], rules: PlanRules) -> bool:
    days = [problem.cands[i].weekday for i in combo]
    if len(set(days)) != len(days):
        return False
    for i, j in itertools.combinations(combo, 2):
        a, b = problem.cands[i], problem.cands[j]
        # the gap from each one's end to the other's start, on the cycle
        gap_ab = (b.offset - (a.offset + a.minutes)) % problem.period
        gap_ba = (a.offset - (b.offset + b.minutes)) % problem.period
        a_first = (b.offset - a.offset) % problem.period
        overlap = a_first < a.minutes or problem.period - a_first < b.minutes if a_first else True
        if overlap or gap_ab < rules.rest_minutes or gap_ba < rules.rest_minutes:
            return False
    return True
