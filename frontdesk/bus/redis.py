"""Redis pub/sub bus for several nodes: one subscriber per node, routing done in-process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import redis.asyncio as redis

from frontdesk.bus.base import Receiver

log = logging.getLogger(__name__)
PREFIX = "fd:"


class RedisBus:
    def __init__(self, url: str, on_gap: Callable[[], None] | None = None) -> None:
        self.url = url
        # Called when the subscription was lost and is back: what was published meanwhile is
        # gone for this node, so its sockets must resync from the database.
        self.on_gap = on_gap
        self._client = redis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._receiver: Receiver | None = None
        self.connected = asyncio.Event()

    async def start(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._task = asyncio.create_task(self._listen(), name="redis-bus")

    async def publish(self, messages: Sequence[tuple[str, str]]) -> None:
        if not messages:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for topic, payload in messages:
                pipe.publish(PREFIX + topic, payload)
            await pipe.execute()

    async def _listen(self) -> None:
        delay = 0.2
        lost = False
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(PREFIX + "*")
                self.connected.set()
                delay = 0.2
                if lost and self.on_gap is not None:
                    self.on_gap()
                lost = False
                async for message in pubsub.listen():
                    if message["type"] != "pmessage" or self._receiver is None:
                        continue
                    topic = message["channel"].decode()[len(PREFIX) :]
                    self._receiver(topic, message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarts: clients resync from the database.
                self.connected.clear()
                lost = True
                log.warning("event bus: redis subscriber lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                await pubsub.aclose()

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.aclose()
