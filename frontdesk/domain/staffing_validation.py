"""The staffing models checked against a simulation of frontdesk's own routing (issue 15).

Pure: no I/O, no clock. A `Scenario` is a day of hourly arrivals (the same every day), the handle
times by load `aht_by_load`, the visitors' mean patience and a goal. `desk_config` turns it and a
number of agents per hour into a `domain.simulation.SimConfig`: one always-open department in UTC,
agents who each hold up to m = len(aht_by_load) chats and are routed by
`domain.assignment.choose_agent` (the simulator's routing), shifts that give exactly the hour's
number of agents, and everything the models leave out switched off (no transfers, escalations,
drops, invitations, ratings, breaks, offer expiries, accept delays or minimum patience; a
conversation is its handle time alone). `measure` runs it for whole weeks and returns, per hour of
the day, the share of arrivals answered within the goal's seconds and the share abandoned, with
95 % confidence half-widths from the spread between simulated days. `validate` puts each model's
prediction (`domain.staffing_models.predict`) beside the simulation for the chat model's staffing,
and simulates each model's own staffing (`required_agents`) to show the service level it really
gets. docs/staffing.md, "Validation against the simulator", has the table and every difference
between the models and the simulator that remains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from frontdesk.domain.simulation import AgentSpec, DepartmentSpec, Shift, SimChat, SimConfig, SimResult, simulate
from frontdesk.domain.staffing_models import MODEL_NAMES, Goal, Load, Prediction, predict, required_agents

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday; the desk is in UTC, so no DST anywhere
HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
Z95 = 1.959964  # two-sided 95 % normal quantile

# The documented scenario: a day with a morning rise, a lunch dip, an afternoon peak and quiet nights.
DAY_ARRIVALS: tuple[float, ...] = (
    6, 4, 3, 3, 4, 8, 16, 32, 60, 90, 110, 115,
    95, 100, 120, 112, 92, 70, 52, 40, 30, 22, 14, 9,
)  # fmt: skip
AHT_BY_LOAD: tuple[float, ...] = (240.0, 300.0, 380.0)
PATIENCE_S = 120.0
GOAL = Goal(service_level=0.8, seconds=60.0, max_abandon=0.05)


@dataclass(frozen=True, slots=True)
class Scenario:
    arrivals: tuple[float, ...] = DAY_ARRIVALS  # per hour of the (UTC) day, every day alike
    aht_by_load: tuple[float, ...] = AHT_BY_LOAD
    patience_s: float = PATIENCE_S
    goal: Goal = GOAL
    handle_distribution: str = "exponential"  # the simulator's handle times (SimConfig)
    handle_load: str = "current"  # the load that sets a chat's speed: current (the models') | assignment
    accept_s: tuple[float, float] = (0.0, 0.0)  # an offer is accepted after this long (the models: at once)
    offer_expire_p: float = 0.0  # share of offers left to expire (the agent is set away a few minutes)

    def load(self, hour: int) -> Load:
        return Load(arrivals_per_hour=self.arrivals[hour], aht_by_load=self.aht_by_load, patience_s=self.patience_s)


@dataclass(frozen=True, slots=True)
class HourMeasure:
    """One hour of the day over the measured days of a simulation."""

    hour: int
    agents: int
    arrivals: int  # chats that arrived in this hour, all measured days together
    days: int
    service_level: float  # answered within the goal's seconds / arrivals
    service_level_ci: float  # 95 % half-width, from the day-to-day spread
    abandonment: float  # gave up waiting / arrivals
    abandonment_ci: float


@dataclass(frozen=True, slots=True)
class HourRow:
    hour: int
    arrivals_per_hour: float
    agents: int  # the chat model's required agents, simulated
    simulated: HourMeasure
    predicted: Mapping[str, Prediction]  # each model's prediction for those agents


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A model's staffing for the goal, and what the simulator says it really gets."""

    model: str
    agents: tuple[int, ...]  # per hour of the day
    agent_hours: int  # per day
    predicted_service_level: tuple[float, ...]  # what the model expects of its own staffing
    simulated: tuple[HourMeasure, ...]
    service_level: float  # over the whole day, all arrivals
    abandonment: float
    hours_meeting_goal: int  # hours whose simulated service level and abandonment meet the goal


@dataclass(frozen=True, slots=True)
class Validation:
    scenario: Scenario
    weeks: int
    seed: int
    rows: tuple[HourRow, ...]
    plans: tuple[PlanRow, ...]


def _runs(agents: Sequence[int], index: int) -> list[tuple[int, int]]:
    """The hours of the day agent `index` works (those with more than `index` agents), as
    (start hour, length) runs; a run through midnight is one run (a shift across midnight)."""
    on = [n > index for n in agents]
    if all(on):
        return [(0, 24)]
    runs: list[tuple[int, int]] = []
    first_off = on.index(False)
    hour = first_off
    for _ in range(24):
        hour = (hour + 1) % 24
        if on[hour] and not on[hour - 1]:
            length = 0
            while on[(hour + length) % 24]:
                length += 1
            runs.append((hour, length))
    return sorted(runs)


def desk_config(scenario: Scenario, agents: Sequence[int]) -> SimConfig:
    """The simulator's desk for `scenario` with `agents[h]` agents on in hour h of every day."""
    if len(agents) != 24 or len(scenario.arrivals) != 24:
        raise ValueError("agents and arrivals: one per hour of the day")
    if any(n < 1 for n in agents):
        raise ValueError("agents: at least one in every hour (nobody online sends visitors away)")
    dept = DepartmentSpec(
        slug="desk",
        name="Desk",
        timezone="UTC",
        hours={},
        peak_per_hour=1.0,
        daily=tuple(float(a) for a in scenario.arrivals),
        weekly=(1.0,) * 7,
    )
    every_day = tuple(range(7))
    people = []
    for i in range(max(agents)):
        runs = _runs(agents, i)
        if runs == [(0, 24)]:
            shifts: tuple[Shift, ...] = (Shift(days=(0,), start=0, minutes=7 * 24 * 60),)  # on all week
        else:
            shifts = tuple(Shift(days=every_day, start=h * 60, minutes=length * 60) for h, length in runs)
        people.append(
            AgentSpec(
                name=f"Agent {i + 1}",
                email=f"agent{i + 1}@example.com",
                departments=("desk",),
                timezone="UTC",
                shifts=shifts,
                max_chats=len(scenario.aht_by_load),
            )
        )
    return SimConfig(
        departments=(dept,),
        agents=tuple(people),
        aht_by_load=scenario.aht_by_load,
        patience_min_s=0.0,
        patience_mean_s=scenario.patience_s,
        accept_s=scenario.accept_s,
        offer_expire_p=scenario.offer_expire_p,
        transfer_p=0.0,
        escalation_p=0.0,
        drop_p=0.0,
        rating_p=0.0,
        review_p=0.0,
        invitation_rate=0.0,
        offline_p=0.0,
        break_p=0.0,
        handle_distribution=scenario.handle_distribution,
        handle_load=scenario.handle_load,
        messages=False,
    )


def hour_measures(
    result: SimResult, agents: Sequence[int], *, seconds: float, warmup_days: int = 1
) -> list[HourMeasure]:
    """Per hour of the day: the arrivals of the days after `warmup_days` (the first starts
    with an empty desk) answered within `seconds` and abandoned, with the day-to-day spread."""
    days = round((result.end - result.start).total_seconds() / DAY_S)
    measured = days - warmup_days
    if measured < 2:
        raise ValueError("weeks: too few days to measure after the warm-up")
    counts = [[[0, 0, 0] for _ in range(24)] for _ in range(measured)]  # [day][hour] = arrivals, in time, gave up
    for chat in result.chats:
        offset = (chat.created_at - result.start).total_seconds()
        day, hour = int(offset // DAY_S) - warmup_days, int(offset % DAY_S // HOUR_S)
        if day < 0:
            continue
        cell = counts[day][hour]
        cell[0] += 1
        if chat.missed:
            cell[2] += 1
        elif chat.assigned_at is not None and chat.queued_at is not None and _waited(chat) <= seconds:
            cell[1] += 1
    out = []
    for hour in range(24):
        per_day = [counts[d][hour] for d in range(measured)]
        n = [c[0] for c in per_day]
        sl, sl_ci = _ratio([c[1] for c in per_day], n)
        ab, ab_ci = _ratio([c[2] for c in per_day], n)
        out.append(HourMeasure(hour, agents[hour], sum(n), measured, sl, sl_ci, ab, ab_ci))
    return out


def _waited(chat: SimChat) -> float:
    assert chat.assigned_at is not None and chat.queued_at is not None
    return (chat.assigned_at - chat.queued_at).total_seconds()


def _ratio(hits: Sequence[int], totals: Sequence[int]) -> tuple[float, float]:
    """sum(hits) / sum(totals) over the days, and its 95 % half-width: the days are treated as
    independent replications (the ratio estimator's delta-method variance)."""
    d, total = len(totals), sum(totals)
    if total == 0:
        return math.nan, math.nan
    share = sum(hits) / total
    mean_n = total / d
    spread = sum((h - share * n) ** 2 for h, n in zip(hits, totals, strict=True)) / (d - 1)
    return share, Z95 * math.sqrt(spread / d) / mean_n


def measure(scenario: Scenario, agents: Sequence[int], *, weeks: int, seed: int) -> list[HourMeasure]:
    """Simulate `weeks` weeks of the scenario with `agents[h]` agents in hour h."""
    result = simulate(desk_config(scenario, agents), START, weeks, seed)
    return hour_measures(result, agents, seconds=scenario.goal.seconds)


def required(scenario: Scenario, model: str) -> tuple[Prediction, ...]:
    """The model's smallest number of agents meeting the goal, per hour (at least 1: the
    simulated desk sends visitors away while nobody is online)."""
    out = []
    for hour in range(24):
        p = required_agents(model, scenario.load(hour), scenario.goal)
        if p.agents < 1:
            p = predict(model, scenario.load(hour), 1, seconds=scenario.goal.seconds)
        out.append(p)
    return tuple(out)


def _overall(measures: Sequence[HourMeasure], attr: str) -> float:
    total = sum(m.arrivals for m in measures)
    return sum(getattr(m, attr) * m.arrivals for m in measures if m.arrivals) / total if total else math.nan


def _meets(m: HourMeasure, goal: Goal) -> bool:
    if m.arrivals == 0:
        return True
    ok = m.service_level >= goal.service_level
    return ok and (goal.max_abandon is None or m.abandonment <= goal.max_abandon)


def validate(
    scenario: Scenario, *, weeks: int, seed: int, models: Sequence[str] = MODEL_NAMES, plans: bool = True
) -> Validation:
    """The chat model's staffing simulated, with every model's prediction for it beside the
    simulation; and (`plans`) each model's own staffing simulated with the same seed (the
    chat model's plan is that first run)."""
    seconds = scenario.goal.seconds
    plan_of = {model: required(scenario, model) for model in models}
    chat_agents = tuple(p.agents for p in plan_of["chat"])
    measured = measure(scenario, chat_agents, weeks=weeks, seed=seed)
    rows = tuple(
        HourRow(
            hour=h,
            arrivals_per_hour=scenario.arrivals[h],
            agents=chat_agents[h],
            simulated=measured[h],
            predicted={m: predict(m, scenario.load(h), chat_agents[h], seconds=seconds) for m in models},
        )
        for h in range(24)
    )
    plan_rows = []
    if plans:
        for model in models:
            agents = tuple(p.agents for p in plan_of[model])
            sim = measured if agents == chat_agents else measure(scenario, agents, weeks=weeks, seed=seed)
            plan_rows.append(
                PlanRow(
                    model=model,
                    agents=agents,
                    agent_hours=sum(agents),
                    predicted_service_level=tuple(p.service_level for p in plan_of[model]),
                    simulated=tuple(sim),
                    service_level=_overall(sim, "service_level"),
                    abandonment=_overall(sim, "abandonment"),
                    hours_meeting_goal=sum(_meets(m, scenario.goal) for m in sim),
                )
            )
    return Validation(scenario, weeks, seed, rows, tuple(plan_rows))


def worst_error(rows: Sequence[HourRow], model: str, hours: Sequence[int] | None = None) -> tuple[float, float]:
    """The largest |predicted - simulated| over the hours (all, or `hours`) with arrivals:
    (service level, abandonment), as shares."""
    chosen = [r for r in rows if (hours is None or r.hour in hours) and r.simulated.arrivals]
    sl = max(abs(r.predicted[model].service_level - r.simulated.service_level) for r in chosen)
    ab = max(abs(r.predicted[model].abandonment - r.simulated.abandonment) for r in chosen)
    return sl, ab
