"""What every action needs, and the unit of work that publishes events only after commit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.bus.base import EventBus
from frontdesk.config import Settings
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.db import Database
from frontdesk.wire.payloads import EventPayload

log = logging.getLogger(__name__)


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

    event: EventPayload
    duplicate: bool
    chat_started: bool = False


@dataclass
class Context:
    db: Database
    settings: Settings
    bus: EventBus
    writer: Any = None  # GroupCommitWriter for the message hot path, when running
    presence: Any = None  # realtime.presence.Presence: who is connected now
    router: Any = None  # actions.dispatch.Router: runs dispatch in the background
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

    def add(self, topics: list[str], frame: Mapping[str, Any]) -> None:
        """`frame`: built by frontdesk/wire (the frame catalogue)."""
        if topics:
            self.items.append((topics, orjson.dumps(frame).decode()))

    def messages(self) -> list[tuple[str, str]]:
        return [(topic, payload) for topics, payload in self.items for topic in topics]


class Retry(Exception):
    """Raised inside a unit of work to roll it back and run it again (a lost race)."""


UNAVAILABLE_MESSAGE = "The server cannot reach its database right now; please retry in a moment."
RETRY_AFTER = 1.0


def database_unavailable(exc: BaseException) -> bool:
    """A failure to reach the database (down, restarting, locked too long), as opposed to a bug
    or a constraint: the request may simply be retried."""
    if isinstance(exc, IntegrityError | ProgrammingError | DataError):
        return False
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | OSError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        text = f"{type(exc.orig).__name__} {exc.orig}".lower()
        return any(word in text for word in ("connect", "shutting down", "starting up", "terminat", "closed"))
    return False


def unavailable_error(exc: BaseException | None = None) -> ChatRuleError:
    busy = exc is not None and ("locked" in str(exc).lower() or "busy" in str(exc).lower())
    message = "The server is busy; please retry." if busy else UNAVAILABLE_MESSAGE
    return ChatRuleError("unavailable", message, retry_after=RETRY_AFTER)


@asynccontextmanager
async def unit_of_work(ctx: Context) -> AsyncIterator[tuple[AsyncConnection, Outbox]]:
    """One write transaction; its outbox is published after a successful commit, never before.

    A database that cannot be reached becomes a retryable `unavailable` error. A bus that cannot
    publish after the commit is logged, not raised: the write stands, and clients catch up
    from the database (their sockets are told to resync when the bus comes back)."""
    outbox = Outbox()
    try:
        async with ctx.db.write() as conn:
            yield conn, outbox
    except ChatRuleError:
        raise
    except Exception as exc:
        if database_unavailable(exc):
            raise unavailable_error(exc) from exc
        raise
    try:
        await ctx.bus.publish(outbox.messages())
    except Exception as exc:
        log.warning("event bus: could not publish %d frames after commit (%s)", len(outbox.items), exc)


def is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
