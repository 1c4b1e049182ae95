"""The event bus: publish (topic, payload) pairs; each node's hub receives every one.

It is a doorbell, not the record: a subscriber that was away misses what was published, and
clients catch up from the database with `sync`. Payloads are already-serialised JSON text, so
an event is encoded once however many sockets receive it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

Receiver = Callable[[str, str], None]  # (topic, payload); must not block


class EventBus(Protocol):
    async def start(self, receiver: Receiver) -> None: ...

    async def publish(self, messages: Sequence[tuple[str, str]]) -> None: ...

    async def close(self) -> None: ...
