"""Sneak peek: the agent holding a chat sees what the visitor is typing before it is sent.

The widget sends its draft with its typing frames (at most every 300 ms). The draft is relayed,
never stored, to the agent who holds the chat, and only when the chat's department has
`sneak_peek` on; otherwise (or while the chat waits in a queue, where a frame to every agent of
the department would cost a broadcast three times a second) the text is dropped and agents get
plain typing, at most once a second.

Typing frames come often, so they cost no database query each: a visitor socket keeps what it
last read of its chat (status, agent, department and its sneak_peek flag) for
`LOOKUP_TTL_SECONDS`. A setting turned off, or a chat that changed hands, takes effect within
that time."""

from __future__ import annotations

import time
from dataclasses import dataclass

from frontdesk.actions.context import Context, Outbox, VisitorActor
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus
from frontdesk.store import visitor_store
from frontdesk.wire import typing_frame, visitor_author

LOOKUP_TTL_SECONDS = 1.5
DRAFT_INTERVAL_SECONDS = 0.1  # the widget sends every 300 ms; network jitter may bunch two up
TYPING_INTERVAL_SECONDS = 1.0  # plain typing: at most once a second reaches agents


@dataclass(slots=True)
class ChatLookup:
    chat_id: int
    visitor_id: str
    status: str
    assignee_id: int | None
    department_id: int
    sneak_peek: bool


class VisitorTyping:
    """One visitor socket's typing relay: its cached chat lookup and its throttle."""

    def __init__(self) -> None:
        self.lookup: ChatLookup | None = None
        self.fetched_at = -1e9
        self.last_sent = -1e9

    def forget(self) -> None:
        """The chat may have changed (the visitor sent, started or closed one)."""
        self.fetched_at = -1e9

    async def chat(self, ctx: Context, actor: VisitorActor) -> ChatLookup | None:
        now = time.monotonic()
        if now - self.fetched_at > LOOKUP_TTL_SECONDS:
            self.lookup = await _open_chat(ctx, actor.visitor_id)
            self.fetched_at = now
        return self.lookup


async def _open_chat(ctx: Context, visitor_id: str) -> ChatLookup | None:
    async with ctx.db.read() as conn:
        row = await visitor_store.open_chat_for_typing(conn, visitor_id)
    return None if row is None else ChatLookup(*row)


def check_draft(value: object, *, max_chars: int) -> str | None:
    """The draft as relayed: a string, cut to the longest message the visitor could send."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ChatRuleError("bad_request", "text: must be a string", field="text")
    return value[:max_chars]


async def relay_visitor_typing(
    *, ctx: Context, actor: VisitorActor, state: VisitorTyping, typing: bool, draft: object = None
) -> bool:
    """Relay a visitor's typing (and draft) to the chat's agents; True when something was sent."""
    text = check_draft(draft, max_chars=ctx.settings.max_message_chars) if typing else None
    now = time.monotonic()
    # Cheap throttle before any lookup: drafts at most every 100 ms, anything else once a second.
    if typing and now - state.last_sent < (DRAFT_INTERVAL_SECONDS if text is not None else TYPING_INTERVAL_SECONDS):
        return False
    chat = await state.chat(ctx, actor)
    if chat is None or chat.status == ChatStatus.CLOSED:
        return False
    peek = text is not None and chat.sneak_peek and chat.status == ChatStatus.ACTIVE and chat.assignee_id is not None
    if typing and not peek and now - state.last_sent < TYPING_INTERVAL_SECONDS:
        return False  # no draft to show: plain typing keeps its once-a-second pace
    state.last_sent = now if typing else -1e9
    frame = typing_frame(chat.chat_id, visitor_author(), typing, text if peek else None)
    topics = audience.typing_audience(
        from_visitor=True,
        visitor_id=chat.visitor_id,
        status=chat.status,
        assignee_id=chat.assignee_id,
        department_id=chat.department_id,
    )
    outbox = Outbox()
    outbox.add(topics, frame)
    await ctx.bus.publish(outbox.messages())
    return True
