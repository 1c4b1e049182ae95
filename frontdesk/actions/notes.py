"""Internal notes: written in a chat by agents for agents; the visitor never sees them."""

from __future__ import annotations

from frontdesk.actions.access import NOT_FOUND, check_note
from frontdesk.actions.chat_events import append_agent_message
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError, EventKind, check_client_id, check_message_text
from frontdesk.permissions import require
from frontdesk.store import chat_store
from frontdesk.wire import EventPayload, event_payload


async def do_add_note(
    *, ctx: Context, actor: AgentActor, chat_id: int, text: object, client_id: object
) -> EventPayload:
    """An internal note in a chat: agents see it, the visitor never does. Scoped like replies
    (domain/access.may_write_note): the chat's agent and those who handled it, also once it has
    ended, and the leads of its department; a chat the actor may not read is not found. Writing
    a note does not make a chat "handled" (store/access_store.py)."""
    require(actor.role, "chat.note")
    body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
    cid = check_client_id(client_id)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None:
            raise ChatRuleError("not_found", NOT_FOUND)
        await check_note(conn, actor, chat)
        existing = await chat_store.event_by_client_id(conn, chat_id, cid)
        if existing is not None:
            return event_payload(existing)
        event = await append_agent_message(
            conn, outbox, chat_id, actor, client_id=cid, body=body, now=now, kind=EventKind.NOTE, require_open=False
        )
    return event_payload(event)
