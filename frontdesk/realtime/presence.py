"""Who is connected right now: soft state, never a database row per ping.

Agents can have several tabs; an agent is connected while any tab is. When the last one goes,
`gone_since` remembers when, so a job can set them offline after a grace period (a reload or a
flaky network must not cost them their status). Visitors likewise, to notice one who left
while queued. This in-process version serves one node; a cluster keeps the same interface in
Redis (bus/redis.py)."""

from __future__ import annotations

import time
from collections import Counter


class Presence:
    def __init__(self) -> None:
        self._agents: Counter[int] = Counter()
        self._visitors: Counter[str] = Counter()
        self.agent_gone_since: dict[int, float] = {}
        self.visitor_gone_since: dict[str, float] = {}

    async def agent_connected(self, agent_id: int) -> None:
        self._agents[agent_id] += 1
        self.agent_gone_since.pop(agent_id, None)

    async def agent_disconnected(self, agent_id: int) -> bool:
        """True when that was the agent's last socket."""
        self._agents[agent_id] -= 1
        if self._agents[agent_id] <= 0:
            del self._agents[agent_id]
            self.agent_gone_since[agent_id] = time.monotonic()
            return True
        return False

    async def visitor_connected(self, visitor_id: str) -> None:
        self._visitors[visitor_id] += 1
        self.visitor_gone_since.pop(visitor_id, None)

    async def visitor_disconnected(self, visitor_id: str) -> None:
        self._visitors[visitor_id] -= 1
        if self._visitors[visitor_id] <= 0:
            del self._visitors[visitor_id]
            self.visitor_gone_since[visitor_id] = time.monotonic()

    async def connected_agents(self) -> set[int]:
        return set(self._agents)

    async def is_agent_connected(self, agent_id: int) -> bool:
        return agent_id in self._agents

    async def is_visitor_connected(self, visitor_id: str) -> bool:
        return visitor_id in self._visitors

    def agents_gone_longer_than(self, seconds: float) -> list[int]:
        now = time.monotonic()
        return [a for a, since in self.agent_gone_since.items() if now - since >= seconds]

    def visitors_gone_longer_than(self, seconds: float) -> list[str]:
        now = time.monotonic()
        return [v for v, since in self.visitor_gone_since.items() if now - since >= seconds]

    def forget_agent(self, agent_id: int) -> None:
        self.agent_gone_since.pop(agent_id, None)

    def forget_visitor(self, visitor_id: str) -> None:
        self.visitor_gone_since.pop(visitor_id, None)
