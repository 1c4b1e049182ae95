"""Chat lifecycle and message rules. Pure functions: no I/O, no framework."""

from __future__ import annotations

import re
from enum import StrEnum


class ChatStatus(StrEnum):
    QUEUED = "queued"
    ACTIVE = "active"
    CLOSED = "closed"


class EventKind(StrEnum):
    """Every kind of stored chat event (docs/protocol.md, `event`)."""

    MESSAGE = "message"  # a visitor's or an agent's message (a file: data.attachment)
    CHAT_STARTED = "chat.started"
    CHAT_ASSIGNED = "chat.assigned"
    CHAT_CLOSED = "chat.closed"
    CHAT_TRANSFERRED = "chat.transferred"
    CHAT_ESCALATED = "chat.escalated"
    CHAT_JOINED = "chat.joined"  # a supervisor joined as a visible participant
    CHAT_LEFT = "chat.left"
    CHAT_TAKEN_OVER = "chat.taken_over"
    NOTE = "note"  # internal
    WHISPER = "whisper"  # internal: a supervisor to the chat's agent

    @property
    def internal(self) -> bool:
        return self in INTERNAL_KINDS


# Kinds for agents only: never published to a visitor's topic, never in their sync or transcript.
INTERNAL_KINDS: frozenset[str] = frozenset({EventKind.NOTE, EventKind.WHISPER})
# Kinds that change who is in the chat: its agents, followers and the visitor hear them.
PARTICIPATION_KINDS: frozenset[str] = frozenset({EventKind.CHAT_JOINED, EventKind.CHAT_LEFT, EventKind.CHAT_TAKEN_OVER})


class AuthorType(StrEnum):
    VISITOR = "visitor"
    AGENT = "agent"
    SYSTEM = "system"


class ChatRuleError(Exception):
    """A rule refused the request; `code` and `message` go to the client as they are."""

    def __init__(self, code: str, message: str, *, field: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after


def bad_field(field: str, message: str) -> ChatRuleError:
    """Bad input, named: a 400 whose message starts with the field (`to: must not be before from`)."""
    return ChatRuleError("bad_request", f"{field}: {message}", field=field)


CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
PREVIEW_CHARS = 200


def check_message_text(text: object, *, max_chars: int) -> str:
    """The text as it will be stored, or a ChatRuleError naming what is wrong."""
    if not isinstance(text, str):
        raise ChatRuleError("bad_request", "text: must be a string", field="text")
    if "\x00" in text:
        raise ChatRuleError("bad_request", "text: must not contain NUL characters", field="text")
    from frontdesk.domain.text import strip_controls  # text.py imports this module

    stripped = strip_controls(text, multiline=True).strip()  # other control characters go (security.md)
    if not stripped:
        raise ChatRuleError("bad_request", "text: must not be empty", field="text")
    if len(stripped) > max_chars:
        raise ChatRuleError(
            "too_large", f"text: must be at most {max_chars} characters (got {len(stripped)})", field="text"
        )
    return stripped


def check_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise ChatRuleError("bad_request", "client_id: must be 8-64 characters of A-Z a-z 0-9 _ -", field="client_id")
    return client_id


def can_send(status: str, author: AuthorType) -> None:
    """Visitors may write while queued (their first question); agents once they have the chat."""
    if status == ChatStatus.CLOSED:
        raise ChatRuleError("chat_closed", "This chat has ended.")
    if author == AuthorType.AGENT and status != ChatStatus.ACTIVE:
        raise ChatRuleError("conflict", "Accept the chat before replying.")


def can_accept(status: str, assignee_id: int | None, agent_id: int) -> None:
    if status == ChatStatus.CLOSED:
        raise ChatRuleError("chat_closed", "This chat has ended.")
    if status == ChatStatus.ACTIVE:
        if assignee_id == agent_id:
            raise ChatRuleError("conflict", "You already have this chat.")
        raise ChatRuleError("conflict", "Another agent took this chat.")


def can_close(status: str) -> None:
    if status == ChatStatus.CLOSED:
        raise ChatRuleError("chat_closed", "This chat has already ended.")


def preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def can_reply(status: str, assignee_id: int | None, agent_id: int) -> None:
    """An agent replies in a chat they hold; a queued chat must be accepted first."""
    if status == ChatStatus.QUEUED:
        raise ChatRuleError("conflict", "Accept the chat before replying.")
    if assignee_id != agent_id:
        raise ChatRuleError("forbidden", "This chat is assigned to another agent.")


def check_retry_is_yours(stored_author: str, stored_agent_id: int | None, *, agent_id: int | None) -> None:
    """Client ids are per chat; a retry gets the original back only if it sent it
    (`agent_id` None: the visitor is asking)."""
    mine = (
        stored_author == AuthorType.VISITOR
        if agent_id is None
        else (stored_author == AuthorType.AGENT and stored_agent_id == agent_id)
    )
    if not mine:
        raise ChatRuleError("conflict", "client_id: already used in this chat; send with a new one", field="client_id")
