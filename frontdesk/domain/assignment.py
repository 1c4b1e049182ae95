"""Who gets the next chat, and how long a waiting visitor should expect to wait. Pure rules."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """An agent as the dispatcher sees them at one moment."""

    agent_id: int
    available: bool  # online, connected, not away
    active: int  # chats assigned or offered to them now
    max_chats: int
    last_assigned_at: datetime | None  # None: never assigned, so idle longest
    level: int = 1  # their tier in this department (department_members.level)

    @property
    def room(self) -> int:
        return max(0, self.max_chats - self.active) if self.available else 0


def choose_agent(
    agents: Iterable[AgentLoad], *, exclude: frozenset[int] = frozenset(), min_level: int = 1
) -> AgentLoad | None:
    """Fewest active chats among available agents with room and at least `min_level` (an
    escalated chat's tier); ties go to the longest idle, then the lowest id (so the choice is
    deterministic)."""
    best: AgentLoad | None = None
    best_key: tuple[int, float, int] | None = None
    for agent in agents:
        if agent.room <= 0 or agent.agent_id in exclude or agent.level < min_level:
            continue
        idle_since = agent.last_assigned_at.timestamp() if agent.last_assigned_at else -math.inf
        key = (agent.active, idle_since, agent.agent_id)
        if best_key is None or key < best_key:
            best, best_key = agent, key
    return best


def plan_assignments(
    queue: Sequence[int],
    agents: Sequence[AgentLoad],
    *,
    exclude: Mapping[int, frozenset[int]] | None = None,
    required: Mapping[int, int] | None = None,
) -> list[tuple[int, int]]:
    """Offer waiting chats (oldest first) to agents with room, one at a time, updating loads as
    it goes: the (chat, agent) pairs a dispatcher should write. No agent exceeds their maximum,
    and no chat goes to an agent below its required level (`required`: chat -> level, for
    escalated chats; 1 when absent).

    First come, first served: a chat is passed over only when no agent it may go to has room
    (everyone eligible is full, or refused it), so an escalated chat waiting for a specialist
    does not hold up the first-level chats behind it, and nobody behind it takes a slot it
    could have used."""
    exclude = exclude or {}
    required = required or {}
    loads = {a.agent_id: a for a in agents}
    plan: list[tuple[int, int]] = []
    for chat_id in queue:
        if not any(a.room > 0 for a in loads.values()):
            break  # nobody has room: nobody behind this chat can be served either
        chosen = choose_agent(
            loads.values(), exclude=exclude.get(chat_id, frozenset()), min_level=required.get(chat_id, 1)
        )
        if chosen is None:
            continue
        plan.append((chat_id, chosen.agent_id))
        loads[chosen.agent_id] = replace(chosen, active=chosen.active + 1)
    return plan


DEFAULT_HANDLE_SECONDS = 300.0


def typical_handle_seconds(recent: Sequence[float]) -> float:
    """A robust guess at how long a chat takes: the median of recent ones, or 5 minutes."""
    values = [v for v in recent if v > 0]
    return statistics.median(values) if values else DEFAULT_HANDLE_SECONDS


def estimate_wait_seconds(
    *, position: int, capacity: int, handle_seconds: float, busy_elapsed: float = 0.0
) -> float | None:
    """Expected wait for the visitor at `position` (1 = next) in a queue served by `capacity`
    concurrent chat slots, each freeing on average every `handle_seconds`.

    With c slots busy, one frees every handle/c seconds on average (the slots are mid-chat, so
    the first frees sooner: half a handle time per slot, less what has elapsed). The visitor at
    position p waits for p such releases. None when nobody can serve the queue at all."""
    if capacity <= 0:
        return None
    interval = handle_seconds / capacity
    first = max(0.0, handle_seconds / 2 - busy_elapsed) / capacity
    return first + (position - 1) * interval + interval / 2
