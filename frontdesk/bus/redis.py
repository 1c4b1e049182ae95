"""Redis pub/sub bus for several nodes: one subscriber per node, routing done in-process.

Every node receives every event, so what one publish costs a receiver is paid once per node.
A publish call (one commit's frames, often a whole group commit) therefore goes out as ONE
Redis message on one channel, framed as `topic GS topic US payload RS …`: one parse per
commit instead of one per frame (bench/redis_bus.py). Payloads are JSON text or plain strings
our code builds, which never contain the ASCII separators (JSON escapes control characters)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import redis.asyncio as redis

from frontdesk.bus.base import Receiver

log = logging.getLogger(__name__)
PREFIX = "fd:"
CHANNEL = PREFIX + "events"
GROUP, UNIT, RECORD = "\x1d", "\x1f", "\x1e"


def pack(messages: Sequence[tuple[str, str]]) -> str:
    """One string for a publish call; a payload sent to several topics in a row is sent once."""
    records: list[str] = []
    topics: list[str] = []
    last: str | None = None
    for topic, payload in messages:
        if topics and payload is not last and payload != last:
            records.append(f"{GROUP.join(topics)}{UNIT}{last}")
            topics = []
        topics.append(topic)
        last = payload
    if topics:
        records.append(f"{GROUP.join(topics)}{UNIT}{last}")
    return RECORD.join(records)


def unpack(data: str) -> list[tuple[str, str]]:
    out = []
    for record in data.split(RECORD):
        topics, _, payload = record.partition(UNIT)
        for topic in topics.split(GROUP):
            out.append((topic, payload))
    return out


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
        await self._client.publish(CHANNEL, pack(messages))

    async def _listen(self) -> None:
        delay = 0.2
        lost = False
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.connected.set()
                delay = 0.2
                if lost and self.on_gap is not None:
                    self.on_gap()
                lost = False
                async for message in pubsub.listen():
                    receiver = self._receiver
                    if message["type"] != "message" or receiver is None:
                        continue
                    for topic, payload in unpack(message["data"].decode()):
                        receiver(topic, payload)
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
