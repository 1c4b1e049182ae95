"""A stored chat event as the code passes it around: what an action asks to store (`EventDraft`)
and what was stored (`ChatEvent`, one `messages` row). Plain frozen values, no I/O: the store
inserts them, the wire serialises them, `domain/audience.event_audience` decides who hears them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from frontdesk.domain.chat_rules import INTERNAL_KINDS, AuthorType, EventKind

_NO_DATA: dict[str, Any] = {}


class ChatEvent(NamedTuple):
    """One stored chat event (a `messages` row). `internal`: agents only, never a visitor.

    Immutable. A NamedTuple rather than a frozen dataclass: it is built once per message on the
    hot path (the group-commit writer), and a frozen dataclass's __init__ costs one
    object.__setattr__ per field — four times the time of building a tuple."""

    chat_id: int
    seq: int
    kind: str
    author_type: str
    agent_id: int | None
    author_name: str | None
    body: str
    client_id: str | None
    data: dict[str, Any]
    created_at: datetime
    internal: bool


def chat_event(
    chat_id: int,
    seq: int,
    kind: str,
    now: datetime,
    author_type: str = AuthorType.SYSTEM,
    agent_id: int | None = None,
    author_name: str | None = None,
    body: str = "",
    client_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> ChatEvent:
    """The one row builder: every stored event (the append path's and the group-commit
    writer's) is made here. Internal or not follows from the kind (chat_rules.INTERNAL_KINDS)."""
    return ChatEvent(
        chat_id,
        seq,
        kind,
        author_type,
        agent_id,
        author_name,
        body,
        client_id,
        _NO_DATA if data is None else data,
        now,
        kind in INTERNAL_KINDS,
    )


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What an action asks to store; the append path gives it its chat, seq and time."""

    kind: str
    author_type: str = AuthorType.SYSTEM
    agent_id: int | None = None
    author_name: str | None = None
    body: str = ""
    client_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.kind in INTERNAL_KINDS

    def stored(self, chat_id: int, seq: int, now: datetime) -> ChatEvent:
        return chat_event(
            chat_id,
            seq,
            self.kind,
            now,
            author_type=self.author_type,
            agent_id=self.agent_id,
            author_name=self.author_name,
            body=self.body,
            client_id=self.client_id,
            data=self.data,
        )


def agent_draft(
    kind: str,
    agent_id: int,
    name: str,
    *,
    body: str = "",
    client_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> EventDraft:
    """An event an agent wrote (a message, note or whisper)."""
    return EventDraft(kind, AuthorType.AGENT, agent_id, name, body, client_id, data if data is not None else {})


__all__ = ["ChatEvent", "EventDraft", "EventKind", "agent_draft", "chat_event"]
