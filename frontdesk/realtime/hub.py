"""The per-node hub: maps topics (audiences) to this node's sockets.

Delivery never awaits a client: each socket has a bounded queue drained by its own writer task.
A socket whose queue is full is closed with 4000 so its client reconnects and resyncs from the
database, instead of slowing everyone else down.

A revocation frame (`wire.revoke_frame`) is not delivered but acted on: the hub closes
the topic's sockets opened with one of the frame's credentials (all of them when it names none)
with 4001, on every node, since it arrives through the bus like any frame
(docs/architecture/security.md, "Revocation")."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable

import orjson
from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger(__name__)

RESYNC = 4000
REVOKED = 4001  # the credential is gone: the console logs in again, the widget starts over
REVOKE_PREFIX = '{"type":"revoke"'  # how wire.revoke_frame() serialises (orjson keeps key order)
# Socket ids are unique across the cluster: a node prefix and a counter.
_NODE_PREFIX = uuid.uuid4().hex[:8]
_socket_numbers = itertools.count(1)


class SocketChannel:
    """The outgoing side of one WebSocket."""

    __slots__ = (
        "ws",
        "queue",
        "topics",
        "close_code",
        "_writer",
        "label",
        "on_overflow",
        "inspect",
        "id",
        "credential",
        "flush",
    )

    def __init__(
        self, ws: WebSocket, *, queue_size: int, label: str = "", on_overflow: Callable[[], None] | None = None
    ) -> None:
        self.on_overflow = on_overflow
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(queue_size)
        self.topics: set[str] = set()
        self.close_code: int | None = None
        self.label = label
        self.id = f"{_NODE_PREFIX}.{next(_socket_numbers)}"
        self._writer: asyncio.Task[None] | None = None
        # Sees each payload before it is queued (a supervisor's socket following chats it
        # learns of from the frames themselves: realtime/following.py); None for most sockets.
        self.inspect: Callable[[str], None] | None = None
        # The public id of the session or API token the socket was opened with (agents), so a
        # revocation can end one session's sockets; None for visitors.
        self.credential: str | None = None
        self.flush = False  # on close: send what was queued before it first (a revocation)

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name=f"ws-writer {self.label}")

    def offer(self, payload: str) -> None:
        if self.close_code is not None:
            return
        if self.inspect is not None:
            self.inspect(payload)
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            log.info("socket %s fell behind; closing it for resync", self.label)
            if self.on_overflow is not None:
                self.on_overflow()
            self.close(RESYNC)

    def close(self, code: int, *, flush: bool = False) -> None:
        """Ask the writer to close the socket after what it is sending now (with `flush`: after
        what was queued before; nothing offered from now on is sent either way)."""
        if self.close_code is None:
            self.close_code = code
            self.flush = flush
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)
            if self.queue.full() and self._writer is not None:
                self._writer.cancel()

    async def _drain(self) -> None:
        try:
            while True:
                payload = await self.queue.get()
                if payload is None or (self.close_code is not None and not self.flush):
                    break
                await self.ws.send_text(payload)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the peer went away mid-send
            log.debug("socket %s send failed: %s", self.label, exc)
            self.close_code = self.close_code or 1006
        if self.close_code not in (None, 1006) and self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(self.close_code)

    async def stop(self) -> None:
        if self._writer is not None:
            if not self._writer.done():
                self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer


class Hub:
    def __init__(self) -> None:
        self._topics: dict[str, set[SocketChannel]] = defaultdict(set)
        self.delivered = 0
        self.special: dict[str, Callable[[str], None]] = {}  # topics handled by the node itself

    def subscribe(self, channel: SocketChannel, topic: str) -> None:
        self._topics[topic].add(channel)
        channel.topics.add(topic)

    def unsubscribe(self, channel: SocketChannel, topic: str) -> None:
        members = self._topics.get(topic)
        if members is not None:
            members.discard(channel)
            if not members:
                del self._topics[topic]
        channel.topics.discard(topic)

    def drop(self, channel: SocketChannel) -> None:
        for topic in list(channel.topics):
            self.unsubscribe(channel, topic)

    def deliver(self, topic: str, payload: str) -> None:
        """Bus receiver: queue the payload on every local socket of the topic."""
        handler = self.special.get(topic)
        if handler is not None:
            handler(payload)
            return
        if payload.startswith(REVOKE_PREFIX):
            self.revoke(topic, payload)
            return
        members = self._topics.get(topic)
        if not members:
            if "!" in topic:  # audience.except_socket: everyone of the topic but the sender's socket
                base, _, skip = topic.partition("!")
                for channel in tuple(self._topics.get(base, ())):
                    if channel.id != skip:
                        channel.offer(payload)
                        self.delivered += 1
            return
        for channel in tuple(members):
            channel.offer(payload)
        self.delivered += len(members)

    def revoke(self, topic: str, payload: str) -> None:
        """Close the topic's sockets opened with a revoked credential (any, when none is named)."""
        try:
            credentials = orjson.loads(payload).get("credentials")
        except (orjson.JSONDecodeError, AttributeError):
            return
        for channel in tuple(self._topics.get(topic, ())):
            if credentials is None or channel.credential in credentials:
                channel.close(REVOKED, flush=True)  # what came before it (visitor.forgotten) still goes

    def channels(self) -> set[SocketChannel]:
        return {c for members in self._topics.values() for c in members}

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._topics.get(topic))

    def close_all(self, code: int) -> None:
        seen: set[SocketChannel] = set()
        for members in self._topics.values():
            seen.update(members)
        for channel in seen:
            channel.close(code)

    @property
    def socket_count(self) -> int:
        return len(self.channels())
