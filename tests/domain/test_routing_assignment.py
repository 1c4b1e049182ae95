"""Assignment policy (pure): who gets the next chat, the plan a dispatcher writes, and wait estimates."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.domain.assignment import (
    DEFAULT_HANDLE_SECONDS,
    AgentLoad,
    choose_agent,
    estimate_wait_seconds,
    plan_assignments,
    typical_handle_seconds,
)

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Bytes:
    """Reads small numbers from a byte string (hypothesis draws one `binary`, which is several
    times cheaper than many small draws: 10,000 examples must run in seconds)."""

    def __init__(self, raw: bytes) -> None:
        self.raw, self.pos = raw, 0

    def next(self) -> int:
        self.pos += 1
        return self.raw[self.pos - 1] if self.pos <= len(self.raw) else 0


def decode_agents(data: Bytes, max_agents: int = 6) -> list[AgentLoad]:
    """A handful of agents with small numbers, so ties (same load, same idle time) are common."""
    agents = []
    for index in range(data.next() % (max_agents + 1)):
        x, y, z = data.next(), data.next(), data.next()
        minute = (y >> 3) % 5
        agents.append(
            AgentLoad(
                agent_id=z * 8 + index + 1,  # unique, in an order unrelated to the list's
                available=x % 4 != 0,
                active=(x >> 2) % 5,
                max_chats=y % 5,
                last_assigned_at=None if minute == 4 else T0 + timedelta(minutes=minute),
            )
        )
    return agents


def decode_queue(data: Bytes, max_len: int = 10) -> list[int]:
    return list(dict.fromkeys(1000 + data.next() for _ in range(data.next() % (max_len + 1))))


def idle_rank(agent: AgentLoad) -> float:
    return -math.inf if agent.last_assigned_at is None else agent.last_assigned_at.timestamp()


def has_room(agent: AgentLoad, active: int) -> bool:
    return agent.available and active < agent.max_chats


def check_plan(queue, agents, plan, exclude=None):
    """Replays the plan against the rules, step by step. Returns the final loads."""
    exclude = exclude or {}
    by_id = {a.agent_id: a for a in agents}
    active = {a.agent_id: a.active for a in agents}
    chats = [c for c, _ in plan]
    assert len(chats) == len(set(chats)), f"a chat assigned twice: {plan}"
    assert set(chats) <= set(queue)
    # Plans follow queue order (oldest first).
    positions = [queue.index(c) for c in chats]
    assert positions == sorted(positions)
    for chat_id, agent_id in plan:
        agent = by_id[agent_id]
        assert agent.available, f"{agent} is not available"
        assert agent_id not in exclude.get(chat_id, ()), f"chat {chat_id} went to {agent_id}, who refused it"
        assert has_room(agent, active[agent_id]), f"{agent} has no room (holds {active[agent_id]})"
        # Fewest active chats among those with room (and not refusing this chat); ties: longest idle.
        candidates = [
            a for a in agents if has_room(a, active[a.agent_id]) and a.agent_id not in exclude.get(chat_id, ())
        ]
        fewest = min(active[a.agent_id] for a in candidates)
        assert active[agent_id] == fewest, f"{agent_id} holds {active[agent_id]}, someone had only {fewest}"
        tied = [a for a in candidates if active[a.agent_id] == fewest]
        longest_idle = min(idle_rank(a) for a in tied)
        assert idle_rank(agent) == longest_idle, f"{agent_id} was not the longest idle among {tied}"
        assert agent_id == min(a.agent_id for a in tied if idle_rank(a) == longest_idle)  # deterministic
        active[agent_id] += 1
    for a in agents:  # nobody over their maximum (someone already over it got nothing more)
        assert active[a.agent_id] <= max(a.max_chats, a.active)
        if active[a.agent_id] > a.active:
            assert active[a.agent_id] <= a.max_chats
    return active


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=40))
def test_plan_assignments_properties(raw):
    data = Bytes(raw)
    agents = decode_agents(data)
    queue = decode_queue(data)
    plan = plan_assignments(queue, agents)
    active = check_plan(queue, agents, plan)
    # First come, first served: what is offered is a prefix of the queue ...
    assert [c for c, _ in plan] == queue[: len(plan)]
    # ... that stops only when nobody has room left.
    if len(plan) < len(queue):
        assert not any(has_room(a, active[a.agent_id]) for a in agents)
    # So exactly min(queue, free slots) chats are offered.
    slots = sum(max(0, a.max_chats - a.active) for a in agents if a.available)
    assert len(plan) == min(len(queue), slots)


@settings(max_examples=3_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=60))
def test_plan_assignments_with_refusals(raw):
    data = Bytes(raw)
    agents = decode_agents(data)
    queue = decode_queue(data)
    exclude = {}
    for chat_id in queue:
        mask = data.next()
        refusing = frozenset(a.agent_id for i, a in enumerate(agents) if mask & (1 << i))
        if refusing:
            exclude[chat_id] = refusing
    plan = plan_assignments(queue, agents, exclude=exclude)
    check_plan(queue, agents, plan, exclude)
    # A chat is skipped only if everyone with room (at that moment) refused it; replay to check.
    active = {a.agent_id: a.active for a in agents}
    planned = dict(plan)
    for chat_id in queue:
        room = [a for a in agents if has_room(a, active[a.agent_id]) and a.agent_id not in exclude.get(chat_id, ())]
        if chat_id in planned:
            active[planned[chat_id]] += 1
        else:
            assert not room, f"chat {chat_id} skipped though {room} could take it"


def test_choose_agent_examples():
    a = AgentLoad(1, True, 1, 3, T0)
    b = AgentLoad(2, True, 1, 3, T0 - timedelta(minutes=5))  # idle longer
    c = AgentLoad(3, True, 0, 3, T0)  # fewer chats
    d = AgentLoad(4, True, 1, 3, None)  # never assigned: idle longest
    full = AgentLoad(5, True, 3, 3, None)
    away = AgentLoad(6, False, 0, 3, None)
    assert choose_agent([a, b, c, d, full, away]) == c
    assert choose_agent([a, b, d, full, away]) == d
    assert choose_agent([a, b, full, away]) == b
    assert choose_agent([a, b], exclude=frozenset({2})) == a
    assert choose_agent([full, away]) is None
    assert choose_agent([]) is None
    assert plan_assignments([10, 11, 12], [AgentLoad(1, True, 0, 2, None)]) == [(10, 1), (11, 1)]
    # Refusals: chat 10 refused by 1 goes to 2; 11 then goes to 1 (fewer chats); 12 to 2.
    agents = [AgentLoad(1, True, 0, 3, None), AgentLoad(2, True, 0, 3, T0)]
    assert plan_assignments([10, 11, 12], agents, exclude={10: frozenset({1})}) == [(10, 2), (11, 1), (12, 1)]


# ---------------------------------------------------------------- wait estimates


@settings(max_examples=500, deadline=None)
@given(
    position=st.integers(1, 500),
    capacity=st.integers(1, 200),
    handle=st.floats(1.0, 7200.0),
    elapsed=st.floats(0.0, 7200.0),
)
def test_estimate_is_monotone(position, capacity, handle, elapsed):
    est = estimate_wait_seconds(position=position, capacity=capacity, handle_seconds=handle, busy_elapsed=elapsed)
    assert est is not None and est > 0
    later = estimate_wait_seconds(position=position + 1, capacity=capacity, handle_seconds=handle, busy_elapsed=elapsed)
    assert later > est  # further back waits longer
    more = estimate_wait_seconds(position=position, capacity=capacity + 1, handle_seconds=handle, busy_elapsed=elapsed)
    assert more < est  # more slots, shorter wait
    slower = estimate_wait_seconds(position=position, capacity=capacity, handle_seconds=handle * 2, busy_elapsed=0)
    assert slower > estimate_wait_seconds(position=position, capacity=capacity, handle_seconds=handle)


@given(position=st.integers(1, 1000), capacity=st.integers(-5, 0), handle=st.floats(1.0, 7200.0))
def test_estimate_is_none_without_capacity(position, capacity, handle):
    assert estimate_wait_seconds(position=position, capacity=capacity, handle_seconds=handle) is None


def test_estimate_values():
    # One slot, 5-minute chats: next in line waits on average half a chat plus half a release.
    assert estimate_wait_seconds(position=1, capacity=1, handle_seconds=300) == 300
    assert estimate_wait_seconds(position=3, capacity=2, handle_seconds=300) == 450
    assert typical_handle_seconds([]) == DEFAULT_HANDLE_SECONDS
    assert typical_handle_seconds([0, -3]) == DEFAULT_HANDLE_SECONDS
    assert typical_handle_seconds([60, 600, 120, 0]) == 120


# ---------------------------------------------------------------- escalation tiers


def decode_levels(data: Bytes, agents: list[AgentLoad], queue: list[int]) -> tuple[list[AgentLoad], dict[int, int]]:
    """Agents at levels 1-3 and chats needing level 1-3 (mostly 1, as escalations are rare)."""
    leveled = [replace(a, level=1 + data.next() % 3) for a in agents]
    required = {}
    for chat_id in queue:
        need = data.next() % 6
        if need >= 4:
            required[chat_id] = need - 2  # 2 or 3
    return leveled, required


@settings(max_examples=5_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=80))
def test_plan_assignments_with_levels(raw):
    data = Bytes(raw)
    agents = decode_agents(data)
    queue = decode_queue(data)
    agents, required = decode_levels(data, agents, queue)
    exclude = {}
    if data.next() % 2:
        for chat_id in queue:
            mask = data.next()
            refusing = frozenset(a.agent_id for i, a in enumerate(agents) if mask & (1 << i))
            if refusing:
                exclude[chat_id] = refusing
    plan = plan_assignments(queue, agents, exclude=exclude, required=required)
    by_id = {a.agent_id: a for a in agents}
    # Never below the required level.
    for chat_id, agent_id in plan:
        assert by_id[agent_id].level >= required.get(chat_id, 1), f"chat {chat_id} went below its level: {plan}"
    # Among the agents a chat may go to, the usual rules hold (fewest chats, longest idle, room).
    active = {a.agent_id: a.active for a in agents}
    planned = dict(plan)
    assert len(planned) == len(plan)
    positions = [queue.index(c) for c, _ in plan]
    assert positions == sorted(positions)  # oldest first
    for chat_id in queue:
        eligible = [
            a
            for a in agents
            if has_room(a, active[a.agent_id])
            and a.agent_id not in exclude.get(chat_id, ())
            and a.level >= required.get(chat_id, 1)
        ]
        if chat_id not in planned:
            # Passed over only when nobody it may go to has room: an escalated chat waiting for a
            # specialist does not take a first-level slot, and never holds up chats behind it.
            assert not eligible, f"chat {chat_id} (level {required.get(chat_id, 1)}) skipped though {eligible} could"
            continue
        agent_id = planned[chat_id]
        fewest = min(active[a.agent_id] for a in eligible)
        assert active[agent_id] == fewest
        tied = [a for a in eligible if active[a.agent_id] == fewest]
        assert idle_rank(by_id[agent_id]) == min(idle_rank(a) for a in tied)
        active[agent_id] += 1
    for a in agents:
        assert active[a.agent_id] <= max(a.max_chats, a.active)


def test_levels_examples():
    first = AgentLoad(1, True, 0, 3, None, level=1)
    second = AgentLoad(2, True, 2, 3, T0, level=2)
    # The escalated chat 10 goes to the level-2 agent though the first-level one is freer; the
    # first-level chat behind it is not held up.
    assert plan_assignments([10, 11], [first, second], required={10: 2}) == [(10, 2), (11, 1)]
    # Nobody at level 2 has room: the escalated chat waits, the others are served.
    full = replace(second, active=3)
    assert plan_assignments([10, 11, 12], [first, full], required={10: 2}) == [(11, 1), (12, 1)]
    # Level 3 agents take level-2 chats too.
    third = AgentLoad(3, True, 0, 1, None, level=3)
    assert plan_assignments([10], [first, third], required={10: 2}) == [(10, 3)]
    assert choose_agent([first, second], min_level=2) == second
    assert choose_agent([first], min_level=2) is None
