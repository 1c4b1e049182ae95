"""In-process bus for a single node: publishing hands the payload straight to the hub."""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.bus.base import Receiver


class InProcessBus:
    def __init__(self) -> None:
        self._receiver: Receiver | None = None

    async def start(self, receiver: Receiver) -> None:
        self._receiver = receiver

    async def publish(self, messages: Sequence[tuple[str, str]]) -> None:
        receiver = self._receiver
        if receiver is None:
            return
        for topic, payload in messages:
            receiver(topic, payload)

    async def close(self) -> None:
        self._receiver = None
