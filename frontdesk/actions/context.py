"""What every action needs, and the unit of work that publishes events only after commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.bus.base import EventBus
from frontdesk.config import Settings
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.db import Database


@dataclass(frozen=True, slots=True)
class AgentActor:
    id: int
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class VisitorActor:
    visitor_id: str


@dataclass(frozen=True, slots=True)
class SendResult:
    """A stored (or, for a retried client id, previously stored) message."""

    event: dict[str, Any]
    duplicate: bool
    chat_started: bool = False


@dataclass
class Context:
    db: Database
    settings: Settings
    bus: EventBus
    writer: Any = None  # GroupCommitWriter for the message hot path, when running
    presence: Any = None  # realtime.presence.Presence: who is connected now
    router: Any = None  # actions.routing.Router: runs dispatch in the background
    metrics: Any = None  # observability.Metrics, where the app runs

    def __post_init__(self) -> None:
        if self.presence is None:
            from frontdesk.realtime.presence import Presence

            self.presence = Presence()
        if self.router is None:
            self.router = _IdleRouter()


class _IdleRouter:
    """Where no dispatcher runs (the CLI), a kick has nothing to wake."""

    def kick(self, department_id: int | None) -> None:
        return None


@dataclass
class Outbox:
    """Frames to publish once the transaction has committed: (topics, payload)."""

    items: list[tuple[list[str], str]] = field(default_factory=list)

    def add(self, topics: list[str], frame: dict) -> None:
        if topics:
            self.items.append((topics, orjson.dumps(frame).decode()))

    def messages(self) -> list[tuple[str, str]]:
        return [(topic, payload) for topics, payload in self.items for topic in topics]


class Retry(Exception):
    """Raised inside a unit of work to roll it back and run it again (a lost race)."""


@asynccontextmanager
async def unit_of_work(ctx: Context) -> AsyncIterator[tuple[AsyncConnection, Outbox]]:
    """One write transaction; its outbox is published after a successful commit, never before."""
    outbox = Outbox()
    try:
        async with ctx.db.write() as conn:
            yield conn, outbox
    except OperationalError as exc:
        if _is_busy(exc):
            raise ChatRuleError("unavailable", "The server is busy; please retry.") from exc
        raise
    await ctx.bus.publish(outbox.messages())


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
