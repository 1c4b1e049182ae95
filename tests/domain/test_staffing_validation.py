"""The staffing models against a simulation of frontdesk's own routing (domain/staffing_validation.py,
issue 15 item 3): the chat model within 5 percentage points of the simulated service level and
abandonment in every hour of a day, and Erlang C with a concurrency factor measurably off.

Size: the documented scenario (24 hours, 3-120 arrivals an hour, AHT 240 / 300 / 380 s for
m = 3, patience 120 s, goal 80 % within 60 s and at most 5 % abandonment), the chat model's
required agents per hour, WEEKS = 8 simulated weeks with SEED = 1 (55 measured days, ~66,000
arrivals): ~20 s of CPU, plus ~5 s for the steady desk. bench/staffing_validation.py is the full run
(docs/staffing.md).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import cache
from statistics import mean

import pytest

from frontdesk.domain.simulation import simulate
from frontdesk.domain.staffing_models import predict, required_agents
from frontdesk.domain.staffing_validation import (
    DAY_ARRIVALS,
    START,
    Scenario,
    Validation,
    _runs,
    desk_config,
    measure,
    validate,
    worst_error,
)

WEEKS = 8
SEED = 1
POINTS = 0.05  # the bound: 5 percentage points


@cache
def chat_staffing_run() -> Validation:
    return validate(Scenario(), weeks=WEEKS, seed=SEED, plans=False)


def test_the_chat_model_is_within_5_points_of_the_simulation_in_every_hour() -> None:
    rows = chat_staffing_run().rows
    assert len(rows) == 24 and all(r.simulated.days == 7 * WEEKS - 1 for r in rows)
    for r in rows:
        predicted, simulated = r.predicted["chat"], r.simulated
        assert abs(predicted.service_level - simulated.service_level) <= POINTS, (r.hour, predicted, simulated)
        assert abs(predicted.abandonment - simulated.abandonment) <= POINTS, (r.hour, predicted, simulated)
    # ... and the simulation is precise enough for that to mean something: every hour's 95 %
    # interval is narrower than the bound, and the busy hours' are a few points at most.
    assert all(r.simulated.service_level_ci < POINTS and r.simulated.abandonment_ci < POINTS for r in rows)
    busy = [r for r in rows if r.arrivals_per_hour >= 50]
    assert len(busy) >= 10 and all(r.simulated.service_level_ci < 0.025 for r in busy)


def test_on_a_steady_busy_desk_the_chat_model_is_closer_still() -> None:
    """One load all day (115 an hour, 4 agents: each holds ~2.5 chats, 12 % give up): no hour
    boundaries, so the model's only simplification left is that the routing keeps loads
    balanced. A week, seed 1: within 2.5 points (the run's 95 % interval is about 2 points); a
    chat model with one handle time for every load (300 s) is 10 points off here, though it
    passes the day's 5-point check above."""
    scenario = Scenario(arrivals=(115.0,) * 24)
    measured = measure(scenario, [4] * 24, weeks=1, seed=SEED)
    total = sum(m.arrivals for m in measured)
    simulated_sl = sum(m.service_level * m.arrivals for m in measured) / total
    simulated_ab = sum(m.abandonment * m.arrivals for m in measured) / total
    predicted = predict("chat", scenario.load(0), 4, seconds=scenario.goal.seconds)
    assert abs(predicted.service_level - simulated_sl) < 0.025, (predicted, simulated_sl)
    assert abs(predicted.abandonment - simulated_ab) < 0.025, (predicted, simulated_ab)
    assert simulated_ab > 0.08  # busy indeed: a model that ignores the load would show it


def test_erlang_c_with_a_concurrency_factor_is_measurably_off() -> None:
    rows = chat_staffing_run().rows
    # Its service level is beyond the simulation's 95 % interval by more than 5 points somewhere ...
    off = [
        r
        for r in rows
        if abs(r.predicted["erlang_c"].service_level - r.simulated.service_level)
        > POINTS + r.simulated.service_level_ci
    ]
    assert off, worst_error(rows, "erlang_c")
    # ... always on the pessimistic side with these handle times (an agent is 3 servers of the
    # slowest handle time, 380 s, while the simulated agents holding fewer chats are faster) ...
    assert all(r.predicted["erlang_c"].service_level < r.simulated.service_level for r in off)
    # ... and it says nobody gives up while the simulation's visitors do.
    assert all(r.predicted["erlang_c"].abandonment == 0 for r in rows)
    assert any(r.simulated.abandonment > r.simulated.abandonment_ci + 0.01 for r in rows)
    # The chat model is closer than Erlang C in the hour where Erlang C is furthest off.
    sl_c, _ = worst_error(rows, "erlang_c")
    sl_chat, _ = worst_error(rows, "chat")
    assert sl_chat < sl_c


def test_the_chat_models_staffing_meets_the_goal_in_the_simulation() -> None:
    run = chat_staffing_run()
    goal = run.scenario.goal
    for r in run.rows:
        s = r.simulated
        assert s.service_level + s.service_level_ci >= goal.service_level, r
        assert s.abandonment - s.abandonment_ci <= goal.max_abandon, r  # type: ignore[operator]


def test_the_models_ask_for_different_agent_hours() -> None:
    scenario = Scenario()
    hours = {
        model: sum(max(1, required_agents(model, scenario.load(h), scenario.goal).agents) for h in range(24))
        for model in ("chat", "erlang_a", "erlang_c")
    }
    assert hours["chat"] < hours["erlang_a"], hours  # Erlang A: 3 servers of 380 s, abandonment too
    assert hours["chat"] < hours["erlang_c"], hours


def test_the_desk_has_the_hours_agents_on_shift() -> None:
    agents = [1, 1, 2, 3, 5, 5, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 3]
    config = desk_config(Scenario(), agents)
    for hour in range(24):
        on = 0
        for i, _ in enumerate(config.agents):
            on += any(
                start <= hour < start + length or hour < start + length - 24 for start, length in _runs(agents, i)
            )
        assert on == agents[hour], hour
    # A run through midnight is one shift (22:00-02:00), not two that meet at midnight.
    assert _runs([2, 2, 1, 1] + [1] * 18 + [2, 2], 1) == [(22, 4)]
    assert config.agents[0].shifts[0].minutes == 7 * 24 * 60  # on all week
    assert all(a.max_chats == 3 for a in config.agents)
    with pytest.raises(ValueError, match="agents"):
        desk_config(Scenario(), [0] + [1] * 23)


def test_a_bare_conversation_holds_its_slot_for_the_handle_time_alone() -> None:
    """messages=False: the chat's slot time (accepted -> closed) is its handle time, of mean
    AHT_1 when its agent holds one chat; no messages besides the visitor's first."""
    scenario = replace(Scenario(arrivals=(2.0,) * 24), handle_load="assignment")
    result = simulate(desk_config(scenario, [3] * 24), START, 1, 3)
    slots = [
        (c.closed_at - c.assigned_at).total_seconds()
        for c in result.chats
        if c.assigned_at is not None and c.closed_at is not None
    ]
    assert len(slots) > 250
    assert 0.8 * 240 < mean(slots) < 1.2 * 240
    assert all(c.closed_by == "agent" and c.assigned_at == c.queued_at for c in result.chats if not c.missed)
    assert all(sum(m.kind == "message" for m in c.messages) == 1 for c in result.chats)


def test_with_the_current_load_a_chat_slows_down_when_another_arrives() -> None:
    """handle_load="current": one agent, AHT 100 s alone and 10,000 s with two chats. Drawn at
    assignment, a first chat would keep its 100 s pace; with the current load it slows while a
    second chat is held, so the first chats of a pair take far longer than 100 s on average."""
    slow = Scenario(arrivals=(12.0,) * 24, aht_by_load=(100.0, 10_000.0), patience_s=30.0)
    durations = {}
    for how in ("assignment", "current"):
        result = simulate(desk_config(replace(slow, handle_load=how), [1] * 24), START, 1, 5)
        firsts = [
            (c.closed_at - c.assigned_at).total_seconds()
            for c in result.chats
            if c.assigned_at is not None and c.closed_at is not None and c.load_at_assignment == 1
        ]
        durations[how] = mean(firsts)
    assert durations["assignment"] < 150
    assert durations["current"] > 3 * durations["assignment"], durations


def test_the_switches_refuse_what_they_cannot_do() -> None:
    config = desk_config(Scenario(), [1] * 24)
    for bad, field in (
        ({"handle_load": "current", "messages": True}, "handle_load"),
        ({"handle_load": "later"}, "handle_load"),
        ({"handle_distribution": "gamma"}, "handle_distribution"),
        ({"transfer_p": 0.05}, "messages"),
    ):
        with pytest.raises(ValueError, match=field):
            simulate(replace(config, **bad), START, 1, 1)


def test_the_scenario_is_a_day_with_a_rhythm() -> None:
    assert len(DAY_ARRIVALS) == 24 and min(DAY_ARRIVALS) >= 3 and 60 <= max(DAY_ARRIVALS) <= 120
    assert START.weekday() == 0 and START.utcoffset() == timedelta(0)
