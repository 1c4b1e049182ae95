"""Who is connected right now: soft state, never a database row per ping.

Agents can have several tabs; an agent is connected while any tab is. When the last one goes,
`gone_since` remembers when, so a job can set them offline after a grace period (a reload or a
flaky network must not cost them their status). Visitors likewise, to notice one who left
while queued. This in-process version serves one node; a cluster keeps the same interface in
Redis (bus/redis.py)."""

from __future__ import annotations

import asyncio
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

    async def is_visitor_connected(self, visitor_id: str, *, fresh: bool = False) -> bool:
        """`fresh`: a cluster reads the other nodes' presence now, not its copy of up to 1 s ago."""
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


class RedisPresence(Presence):
    """Presence shared by a cluster: each node mirrors its own counts into a Redis hash that
    expires unless the node keeps refreshing it, so a dead node's sockets vanish within
    `ttl` seconds. Reads union every live node's hash (a handful of nodes), cached briefly."""

    def __init__(self, url: str, *, node: str, ttl: float = 15.0) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url)
        self.node = node
        self.ttl = ttl
        self._agents_key = f"fd:presence:agents:{node}"
        self._visitors_key = f"fd:presence:visitors:{node}"
        self._cache: tuple[float, set[int], set[str]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._publish()
        self._task = asyncio.create_task(self._heartbeat(), name="presence-heartbeat")

    async def close(self) -> None:
        import contextlib

        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        with contextlib.suppress(Exception):
            await self._redis.delete(self._agents_key, self._visitors_key)
        await self._redis.aclose()

    async def _heartbeat(self) -> None:
        import logging

        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self._publish()
            except Exception as exc:  # Redis away: counts are re-published when it returns
                logging.getLogger(__name__).warning("presence: cannot reach redis (%s)", exc)

    async def _publish(self) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._agents_key, self._visitors_key)
            if self._agents:
                pipe.hset(self._agents_key, mapping={str(k): v for k, v in self._agents.items()})
                pipe.expire(self._agents_key, int(self.ttl))
            if self._visitors:
                pipe.hset(self._visitors_key, mapping={k: v for k, v in self._visitors.items()})
                pipe.expire(self._visitors_key, int(self.ttl))
            await pipe.execute()
        self._cache = None

    async def agent_connected(self, agent_id: int) -> None:
        await super().agent_connected(agent_id)
        await self._safe(self._publish())

    async def agent_disconnected(self, agent_id: int) -> bool:
        last = await super().agent_disconnected(agent_id)
        await self._safe(self._publish())
        return last

    async def visitor_connected(self, visitor_id: str) -> None:
        await super().visitor_connected(visitor_id)
        await self._safe(self._redis.hincrby(self._visitors_key, visitor_id, 1))
        await self._safe(self._redis.expire(self._visitors_key, int(self.ttl)))
        self._cache = None

    async def visitor_disconnected(self, visitor_id: str) -> None:
        await super().visitor_disconnected(visitor_id)
        if visitor_id not in self._visitors:
            await self._safe(self._redis.hdel(self._visitors_key, visitor_id))
        self._cache = None

    async def _safe(self, awaitable) -> None:
        try:
            await awaitable
        except Exception:  # the heartbeat republishes everything once Redis is back
            return None

    async def _cluster(self) -> tuple[set[int], set[str]]:
        import time as _time

        now = _time.monotonic()
        if self._cache is not None and now - self._cache[0] < 1.0:
            return self._cache[1], self._cache[2]
        agents: set[int] = set(self._agents)
        visitors: set[str] = set(self._visitors)
        try:
            async for key in self._redis.scan_iter(match="fd:presence:*", count=100):
                name = key.decode()
                if name.startswith("fd:presence:agents:"):
                    agents.update(int(k) for k in await self._redis.hkeys(key))
                elif name.startswith("fd:presence:visitors:"):
                    visitors.update(k.decode() if isinstance(k, bytes) else k for k in await self._redis.hkeys(key))
        except Exception:  # Redis away: this node's own view is the best there is
            return agents, visitors
        self._cache = (now, agents, visitors)
        return agents, visitors

    async def connected_agents(self) -> set[int]:
        return (await self._cluster())[0]

    async def is_agent_connected(self, agent_id: int) -> bool:
        return agent_id in (await self._cluster())[0]

    async def is_visitor_connected(self, visitor_id: str, *, fresh: bool = False) -> bool:
        if visitor_id in self._visitors:
            return True
        if fresh:  # someone asks about one visitor (an invitation): no answer a second old
            self._cache = None
        return visitor_id in (await self._cluster())[1]
