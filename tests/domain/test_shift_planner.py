"""Suggested shifts (domain/shift_planner.py): the CP-SAT plan costs what brute force finds on many
small random cases, keeps the rules (checked here from the shifts alone), covers a day with two
offices 9 hours apart each in its own daytime, wraps around the week's end, and names the hours
it cannot cover."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.schedule import ShiftSpec
from frontdesk.domain.shift_planner import (
    PlannerAgent,
    PlanResult,
    PlanRules,
    brute_force,
    candidates,
    parse_rules,
    suggest_shifts,
)

MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York", "Asia/Tokyo")


def instants(shift: ShiftSpec, start: datetime, hours: int) -> datetime:
    """The UTC start of `shift` inside the plan [start, start + hours), found from its local
    weekday and time alone."""
    zone = ZoneInfo(shift.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    found = []
    for _ in range(hours // 24 + 3):
        if day.weekday() == shift.weekday:
            wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=shift.start_minute)
            at = wall.astimezone(UTC)
            if start <= at < start + timedelta(hours=hours):
                found.append(at)
        day += timedelta(days=1)
    assert len(found) == 1, (shift, found)
    return found[0]


def check_plan(result: PlanResult, required: list[int], agents: list[PlannerAgent], rules: PlanRules) -> None:
    """The rules, checked from the suggested shifts by plain arithmetic (no planner code)."""
    hours = len(required)
    period = hours * 60
    by_agent: dict[int, list[tuple[int, int, int]]] = {}
    cover = [0] * hours
    for shift in result.shifts:
        assert rules.min_minutes <= shift.minutes <= rules.max_minutes
        assert (shift.minutes - rules.min_minutes) % rules.step_minutes == 0
        assert shift.start_minute % 60 == 0
        offset = int((instants(shift, MONDAY, hours) - MONDAY).total_seconds() // 60)
        by_agent.setdefault(shift.agent_id, []).append((offset, shift.minutes, shift.weekday))
        for minute in range(offset, offset + shift.minutes):
            cover[(minute % period) // 60] += 1
    limits = {a.agent_id: a.max_shifts for a in agents}
    for agent_id, shifts in by_agent.items():
        assert len(shifts) <= limits[agent_id]
        weekdays = [w for _o, _m, w in shifts]
        assert len(set(weekdays)) == len(weekdays), "two shifts on one local day"
        for i, (oa, ma, _wa) in enumerate(shifts):
            for ob, _mb, _wb in shifts[i + 1 :] + shifts[:i]:
                gap = (ob - (oa + ma)) % period
                assert (ob - oa) % period >= ma, "overlapping shifts"
                assert gap >= rules.rest_minutes, f"agent {agent_id}: {gap} min rest < {rules.rest_minutes}"
    short = {h: n for h, n in result.uncovered}
    for h, need in enumerate(required):
        assert cover[h] / 60 == pytest.approx(result.coverage[h])
        assert short.get(h, 0) == max(0, need - cover[h] // 60)
    assert result.status == ("infeasible" if short else result.status)


def random_case(rng: random.Random) -> tuple[list[int], list[PlannerAgent], PlanRules]:
    hours = rng.choice((24, 24, 48))
    n_agents = 3 if hours == 24 and rng.random() < 0.5 else 2
    agents = [
        PlannerAgent(agent_id=10 + i, timezone=rng.choice(ZONES), max_shifts=rng.choice((1, 2)))
        for i in range(n_agents)
    ]
    starts = tuple(sorted(rng.sample(range(24), 3 if n_agents == 3 else 4)))
    minimum = rng.choice((120, 240))
    rules = PlanRules(
        min_minutes=minimum,
        max_minutes=minimum + rng.choice((0, 120, 240)),
        step_minutes=120,
        rest_minutes=rng.choice((0, 120, 480, 660)),
        night_weight=rng.choice((0.0, 0.5, 1.25)),
        start_hours=starts,
        time_limit_s=20.0,
        workers=1,
    )
    busy = rng.sample(range(hours), rng.randint(2, hours // 2))
    required = [rng.choice((1, 1, 2)) if h in busy else 0 for h in range(hours)]
    return required, agents, rules


@pytest.mark.parametrize("seed", range(40))
def test_cp_sat_cost_equals_brute_force_optimum(seed: int) -> None:
    rng = random.Random(seed)
    required, agents, rules = random_case(rng)
    best = brute_force(required, MONDAY, agents, rules)
    plan = suggest_shifts(required, MONDAY, agents, rules)
    assert plan.status in ("optimal", "infeasible")
    assert plan.bound is None, "the solver proved its plan optimal"
    assert sum(n for _h, n in plan.uncovered) == sum(n for _h, n in best.uncovered)
    assert plan.cost == pytest.approx(best.cost)
    check_plan(plan, required, agents, rules)
    check_plan(best, required, agents, rules)


def test_two_offices_nine_hours_apart_each_work_their_daytime() -> None:
    tokyo = [PlannerAgent(1, "Asia/Tokyo", "Tokyo"), PlannerAgent(2, "Asia/Tokyo", "Tokyo")]
    london = [PlannerAgent(3, "Europe/London", "London"), PlannerAgent(4, "Europe/London", "London")]
    # one agent from 00:00 to 21:00 UTC: Tokyo's day (07-21 JST) is 22:00-12:00 UTC, London's 07-21 UTC
    required = [1 if h < 21 else 0 for h in range(24)]
    rules = PlanRules(rest_minutes=660, night_weight=0.5)
    plan = suggest_shifts(required, MONDAY, tokyo + london, rules)
    assert plan.status == "optimal" and not plan.uncovered
    assert plan.night_hours == 0
    assert plan.cost == plan.agent_hours == 21  # no hour more than required, none at night
    offices = set()
    for shift in plan.shifts:
        assert shift.start_minute >= 7 * 60 and shift.start_minute + shift.minutes <= 21 * 60, shift
        offices.add(shift.timezone)
    assert offices == {"Asia/Tokyo", "Europe/London"}
    check_plan(plan, required, tokyo + london, rules)
    # one office alone cannot: London's agents work its night to cover 00-07 UTC
    alone = suggest_shifts(required, MONDAY, london + [PlannerAgent(5, "Europe/London")], rules)
    assert alone.night_hours >= 7 and alone.cost > plan.cost


def test_rest_between_shifts_is_kept_across_midnight() -> None:
    agent = [PlannerAgent(1, "UTC", max_shifts=2)]
    # 20:00-24:00 on Monday and 04:00-08:00 on Tuesday: 4 hours apart
    required = [1 if 20 <= h < 24 or 28 <= h < 32 else 0 for h in range(48)]
    strict = PlanRules(min_minutes=240, max_minutes=240, rest_minutes=660)
    plan = suggest_shifts(required, MONDAY, agent, strict)
    assert plan.status == "infeasible"
    assert sum(n for _h, n in plan.uncovered) == 4 and len(plan.shifts) == 1
    check_plan(plan, required, agent, strict)
    relaxed = PlanRules(min_minutes=240, max_minutes=240, rest_minutes=240)
    plan = suggest_shifts(required, MONDAY, agent, relaxed)
    assert plan.status == "optimal" and not plan.uncovered and len(plan.shifts) == 2


def test_the_week_wraps_around_its_end() -> None:
    # Sunday 22:00 to Monday 02:00 is one shift: the shifts recur weekly, so the week's last
    # hours and its first are neighbours (for coverage and for rest)
    required = [1 if h in (0, 1, 166, 167) else 0 for h in range(168)]
    rules = PlanRules(min_minutes=240, max_minutes=240, start_hours=(0, 22))
    plan = suggest_shifts(required, MONDAY, [PlannerAgent(1, "UTC")], rules)
    assert plan.status == "optimal" and plan.agent_hours == 4
    assert plan.shifts == [ShiftSpec(agent_id=1, timezone="UTC", weekday=6, start_minute=22 * 60, minutes=240)]


def test_an_impossible_plan_names_its_hours() -> None:
    required = [0] * 24
    required[10] = 3
    rules = PlanRules(min_minutes=240, max_minutes=240)
    plan = suggest_shifts(required, MONDAY, [PlannerAgent(1, "UTC")], rules)
    assert plan.status == "infeasible"
    assert plan.uncovered == [(10, 2)]
    assert plan.coverage[10] == 1
    assert brute_force(required, MONDAY, [PlannerAgent(1, "UTC")], rules).uncovered == [(10, 2)]


def test_half_hour_zones_cover_half_hours() -> None:
    # Kolkata is UTC+5:30: a shift starting on its hour covers half of two UTC hours
    required = [0] * 24
    required[4] = 1
    rules = PlanRules(min_minutes=240, max_minutes=240)
    agents = [PlannerAgent(1, "Asia/Kolkata"), PlannerAgent(2, "Asia/Kolkata")]
    plan = suggest_shifts(required, MONDAY, agents, rules)
    assert plan.status == "optimal" and plan.agent_hours == 4
    start = instants(plan.shifts[0], MONDAY, 24)
    assert start.minute == 30
    assert 0.5 in plan.coverage


def test_a_dst_week_has_its_real_hours_and_no_skipped_start() -> None:
    # Europe/Oslo's clocks go forward at 02:00 on Sunday 29 March 2026: that week has 167 hours
    oslo = ZoneInfo("Europe/Oslo")
    start = datetime(2026, 3, 23, tzinfo=oslo).astimezone(UTC)
    end = datetime(2026, 3, 30, tzinfo=oslo).astimezone(UTC)
    hours = int((end - start).total_seconds() // 3600)
    assert hours == 167
    cands = candidates(hours, start, [PlannerAgent(1, "Europe/Oslo")], PlanRules(min_minutes=240, max_minutes=240))
    starts = {(c.weekday, c.start_minute) for c in cands}
    assert len(starts) == 167 and (6, 120) not in starts
    required = [0] * hours
    required[-1] = 1  # Sunday 23:00 local
    plan = suggest_shifts(
        required, start, [PlannerAgent(1, "Europe/Oslo")], PlanRules(min_minutes=240, max_minutes=240)
    )
    assert plan.status == "optimal" and len(plan.shifts) == 1
    shift = plan.shifts[0]
    assert shift.timezone == "Europe/Oslo"
    assert (shift.weekday, shift.start_minute) in {(6, 20 * 60), (6, 21 * 60), (6, 22 * 60), (6, 23 * 60), (0, 0)}


@pytest.mark.parametrize(
    ("rules", "field", "words"),
    [
        ({"min_minutes": 600, "max_minutes": 480}, "rules.min_minutes", "max_minutes"),
        ({"rest_minutes": -1}, "rules.rest_minutes", "negative"),
        ({"max_minutes": 1500}, "rules.max_minutes", "at most 24 hours"),
        ({"night_weight": "lots"}, "rules.night_weight", "number"),
        ({"start_hours": [25]}, "rules.start_hours", "0-23"),
        ({"shift_length": 4}, "rules.shift_length", "unknown"),
        ({"time_limit_s": 0}, "rules.time_limit_s", "more than 0"),
    ],
)
def test_bad_rules_name_the_field(rules: dict, field: str, words: str) -> None:
    with pytest.raises(ChatRuleError) as caught:
        parse_rules(rules)
    assert caught.value.field == field
    assert words in caught.value.message


def test_parse_rules_keeps_defaults() -> None:
    assert parse_rules({}) == PlanRules()
    assert parse_rules({"start_hours": [14, 6, 6], "night_weight": 1}) == PlanRules(
        start_hours=(6, 14), night_weight=1.0
    )


def test_existing_shifts_count_and_bind_their_agent() -> None:
    required = [1 if 8 <= h < 16 else 0 for h in range(24)]
    rules = PlanRules(min_minutes=240, max_minutes=480, rest_minutes=660)
    # another agent's shift 08:00-12:00 UTC counts: only 12:00-16:00 is left to plan
    kept = ShiftSpec(agent_id=9, timezone="UTC", weekday=0, start_minute=8 * 60, minutes=240)
    plan = suggest_shifts(required, MONDAY, [PlannerAgent(1, "UTC")], rules, existing=[kept])
    assert plan.status == "optimal" and plan.agent_hours == 4
    assert plan.coverage[8] == 1 and plan.coverage[13] == 1
    assert kept not in plan.shifts
    # the planned agent's own shift elsewhere (Monday 00:00-04:00 UTC) leaves them too little rest
    own = ShiftSpec(agent_id=1, timezone="UTC", weekday=0, start_minute=0, minutes=240)
    plan = suggest_shifts(required, MONDAY, [PlannerAgent(1, "UTC")], rules, existing=[own])
    assert plan.status == "infeasible" and plan.shifts == []
    assert [h for h, _n in plan.uncovered] == list(range(8, 16))


def test_a_week_of_two_offices_keeps_every_rule_within_a_short_limit() -> None:
    # 2 offices x 10 agents, 24/7 with a daily curve: whatever the solver reaches in 3 s (or, if
    # nothing, the greedy first plan) covers every hour and keeps every rule
    day = [1] * 7 + [2, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1]
    required = day * 7
    agents = [PlannerAgent(i, "Europe/Oslo" if i < 10 else "America/New_York") for i in range(20)]
    rules = PlanRules(time_limit_s=3)
    plan = suggest_shifts(required, MONDAY, agents, rules)
    assert plan.status in ("optimal", "feasible") and not plan.uncovered
    check_plan(plan, required, agents, rules)
    assert plan.agent_hours >= sum(required)
