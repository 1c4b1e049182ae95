"""Chat actions: the only way chats and their events change.

check_* functions validate and raise ChatRuleError; do_* functions write in one transaction and
publish their events after commit (see actions.context.unit_of_work)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy.exc import IntegrityError

from frontdesk.actions.context import (
    AgentActor,
    Context,
    Outbox,
    Retry,
    SendResult,
    VisitorActor,
    is_unique_violation,
    unit_of_work,
)
from frontdesk.actions.group_commit import FALLBACK, PendingSend
from frontdesk.clock import utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import (
    AuthorType,
    ChatRuleError,
    ChatStatus,
    EventKind,
    can_accept,
    can_close,
    can_send,
    check_client_id,
    check_message_text,
    preview,
)
from frontdesk.permissions import allowed, require
from frontdesk.store import chat_store
from frontdesk.wire import chat_summary, event_frame, event_payload

NOT_FOUND = "That chat does not exist or is not yours."


def _event_row(chat_id: int, seq: int, kind: str, author_type: str, now, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    row = {
        "chat_id": chat_id,
        "seq": seq,
        "kind": kind,
        "author_type": author_type,
        "agent_id": None,
        "author_name": None,
        "body": "",
        "client_id": None,
        "data": {},
        "created_at": now,
    }
    row.update(extra)
    return row


def _publish_event(outbox: Outbox, row: dict[str, Any], *, visitor_id: str, status: str, assignee_id) -> None:  # type: ignore[no-untyped-def]
    topics = audience.chat_event_audience(internal=False, visitor_id=visitor_id, status=status, assignee_id=assignee_id)
    outbox.add(topics, event_frame(SimpleNamespace(**row)))


async def _publish_summary(
    conn, outbox: Outbox, chat_id: int, *, previous_assignee_id=None, queue_changed=False
) -> None:  # type: ignore[no-untyped-def]
    row = await chat_store.chat_row(conn, chat_id)
    if row is None:
        return
    topics = audience.chat_summary_audience(
        status=row.status,
        assignee_id=row.assignee_id,
        previous_assignee_id=previous_assignee_id,
        queue_changed=queue_changed,
    )
    outbox.add(topics, {"type": "chat.updated", "chat": chat_summary(row)})


async def do_send_visitor_message(
    *,
    ctx: Context,
    actor: VisitorActor,
    text: object,
    client_id: object,
    visitor_name: str | None = None,
    chat_id: int | None = None,
) -> SendResult:
    """Store a visitor's message in their open chat, opening one (queued) when there is none.

    `chat_id` is the open chat the caller believes the visitor has; with it the send can join a
    group commit, and anything unexpected (closed meanwhile) takes the full path below."""
    body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
    cid = check_client_id(client_id)
    if chat_id is not None and ctx.writer is not None:
        result = await ctx.writer.submit(PendingSend(actor, chat_id, body, cid, visitor_name))
        if result is not FALLBACK:
            return result
    for _attempt in range(3):
        try:
            return await _visitor_send_once(ctx, actor, body, cid, visitor_name)
        except Retry:
            continue
        except IntegrityError as exc:  # two first messages raced to open the chat
            if not is_unique_violation(exc):
                raise
    raise ChatRuleError("unavailable", "Could not store the message; please retry.")


async def _visitor_send_once(ctx: Context, actor: VisitorActor, body: str, cid: str, name: str | None) -> SendResult:
    now = utcnow()
    started = False
    async with unit_of_work(ctx) as (conn, outbox):
        # A retry of something already stored (perhaps in a chat that has closed since) is
        # answered with the original, whatever happened to the chat.
        existing = await chat_store.visitor_event_by_client_id(conn, actor.visitor_id, cid)
        if existing is not None:
            return SendResult(event=event_payload(existing), duplicate=True)
        chat = await chat_store.open_chat_of_visitor(conn, actor.visitor_id)
        values = {"last_message_at": now, "last_message_text": preview(body), "last_message_author": "visitor"}
        if chat is None:
            chat_id = await chat_store.create_chat(conn, visitor_id=actor.visitor_id, now=now)
            started = True
            locked = await chat_store.advance_seq(conn, chat_id, count=2, values=values)
            start_row = _event_row(chat_id, locked.last_seq - 1, EventKind.CHAT_STARTED, AuthorType.SYSTEM, now)
            await chat_store.insert_events(conn, [start_row])
        else:
            chat_id = chat.id
            locked = await chat_store.advance_seq(conn, chat_id, values=values, visitor_id=actor.visitor_id)
            if locked is None:
                raise Retry  # closed between the read and the update
        can_send(locked.status, AuthorType.VISITOR)
        row = _event_row(
            chat_id,
            locked.last_seq,
            EventKind.MESSAGE,
            AuthorType.VISITOR,
            now,
            body=body,
            client_id=cid,
            author_name=name,
        )
        await chat_store.insert_events(conn, [row])
        state = {"visitor_id": locked.visitor_id, "status": locked.status, "assignee_id": locked.assignee_id}
        if started:
            _publish_event(outbox, start_row, **state)
        _publish_event(outbox, row, **state)
        if started:  # agents' lists learn of new chats; later previews come from events
            await _publish_summary(conn, outbox, chat_id, queue_changed=True)
    return SendResult(event=event_payload(SimpleNamespace(**row)), duplicate=False, chat_started=started)


def check_agent_may_reply(chat: Any, agent_id: int) -> None:
    """Before answering a retry: a queued chat must be accepted first; someone else's is not yours."""
    if chat.status == ChatStatus.QUEUED:
        raise ChatRuleError("conflict", "Accept the chat before replying.")
    if chat.assignee_id != agent_id:
        raise ChatRuleError("forbidden", "This chat is assigned to another agent.")


async def do_send_agent_message(
    *, ctx: Context, actor: AgentActor, chat_id: int, text: object, client_id: object
) -> SendResult:
    require(actor.role, "chat.reply")
    body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
    cid = check_client_id(client_id)
    if ctx.writer is not None:
        result = await ctx.writer.submit(PendingSend(actor, chat_id, body, cid, actor.name))
        if result is not FALLBACK:
            return result
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None:
            raise ChatRuleError("not_found", NOT_FOUND)
        check_agent_may_reply(chat, actor.id)
        existing = await chat_store.event_by_client_id(conn, chat_id, cid)
        if existing is not None:  # a retry: the original, even if the chat has closed since
            return SendResult(event=event_payload(existing), duplicate=True)
        can_send(chat.status, AuthorType.AGENT)
        values = {"last_message_at": now, "last_message_text": preview(body), "last_message_author": "agent"}
        locked = await chat_store.advance_seq(conn, chat_id, values=values)
        row = _event_row(
            chat_id,
            locked.last_seq,
            EventKind.MESSAGE,
            AuthorType.AGENT,
            now,
            body=body,
            client_id=cid,
            agent_id=actor.id,
            author_name=actor.name,
        )
        await chat_store.insert_events(conn, [row])
        _publish_event(outbox, row, visitor_id=chat.visitor_id, status=chat.status, assignee_id=chat.assignee_id)
    return SendResult(event=event_payload(SimpleNamespace(**row)), duplicate=False)


async def do_accept_chat(*, ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    """Assign a queued chat to the agent: a conditional write, so exactly one agent wins."""
    require(actor.role, "chat.accept")
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        current = await chat_store.chat_status(conn, chat_id, lock=True)
        if current is None:
            raise ChatRuleError("not_found", NOT_FOUND)
        can_accept(current.status, current.assignee_id, actor.id)
        # Capacity is checked in the transaction that assigns, with the agent's row locked.
        active, maximum = await chat_store.lock_agent_load(conn, actor.id)
        if active >= maximum:
            raise ChatRuleError(
                "conflict", f"You already have {active} chats, your maximum; close one before accepting another."
            )
        locked = await chat_store.advance_seq(
            conn,
            chat_id,
            values={"status": ChatStatus.ACTIVE, "assignee_id": actor.id, "assigned_at": now},
            require_open=True,
            only_unassigned=True,
        )
        if locked is None:  # someone else won between our read and our write
            raise ChatRuleError("conflict", "Another agent took this chat.")
        row = _event_row(
            chat_id,
            locked.last_seq,
            EventKind.CHAT_ASSIGNED,
            AuthorType.SYSTEM,
            now,
            data={"agent": {"id": actor.id, "name": actor.name}},
        )
        await chat_store.insert_events(conn, [row])
        _publish_event(outbox, row, visitor_id=locked.visitor_id, status=locked.status, assignee_id=actor.id)
        # Agents still watching the queue see the chat leave it.
        outbox.add([audience.QUEUE_TOPIC], event_frame(SimpleNamespace(**row)))
        await _publish_summary(conn, outbox, chat_id, queue_changed=True)
    return event_payload(SimpleNamespace(**row))


async def do_close_chat(*, ctx: Context, actor: AgentActor | VisitorActor, chat_id: int) -> dict[str, Any]:
    now = utcnow()
    by = "visitor" if isinstance(actor, VisitorActor) else "agent"
    async with unit_of_work(ctx) as (conn, outbox):
        current = await chat_store.chat_status(conn, chat_id, lock=True)  # decide on what we change
        if current is None:
            raise ChatRuleError("not_found", NOT_FOUND)
        if isinstance(actor, VisitorActor):
            if current.visitor_id != actor.visitor_id:
                raise ChatRuleError("not_found", NOT_FOUND)
        else:
            require(actor.role, "chat.close")
            mine = current.assignee_id in (None, actor.id)
            if not mine and not allowed(actor.role, "chat.close_any"):
                raise ChatRuleError("forbidden", "Only the assigned agent or a supervisor can close this chat.")
        can_close(current.status)
        locked = await chat_store.advance_seq(
            conn, chat_id, values={"status": ChatStatus.CLOSED, "closed_at": now, "closed_by": by}
        )
        if locked is None:
            raise ChatRuleError("chat_closed", "This chat has already ended.")
        row = _event_row(chat_id, locked.last_seq, EventKind.CHAT_CLOSED, AuthorType.SYSTEM, now, data={"by": by})
        await chat_store.insert_events(conn, [row])
        # Audience as it was before closing: the assignee, or the queue for a queued chat.
        _publish_event(
            outbox, row, visitor_id=locked.visitor_id, status=current.status, assignee_id=current.assignee_id
        )
        await _publish_summary(conn, outbox, chat_id, queue_changed=current.status == ChatStatus.QUEUED)
    return event_payload(SimpleNamespace(**row))


async def relay_typing(*, ctx: Context, actor: AgentActor | VisitorActor, chat_id: int | None, typing: bool) -> None:
    """Typing is ephemeral: published to the other side of the chat, never stored."""
    async with ctx.db.read() as conn:
        if isinstance(actor, VisitorActor):
            chat = await chat_store.open_chat_of_visitor(conn, actor.visitor_id)
        else:
            chat = None if chat_id is None else await chat_store.chat_status(conn, chat_id)
    if chat is None or chat.status == ChatStatus.CLOSED:
        return
    if isinstance(actor, AgentActor) and chat.assignee_id != actor.id:
        raise ChatRuleError("forbidden", "This chat is assigned to another agent.")
    from_visitor = isinstance(actor, VisitorActor)
    topics = audience.typing_audience(
        from_visitor=from_visitor,
        visitor_id=chat.visitor_id,
        status=chat.status,
        assignee_id=chat.assignee_id,
    )
    author: dict[str, Any] = (
        {"type": "visitor"} if from_visitor else {"type": "agent", "id": actor.id, "name": actor.name}
    )  # type: ignore[union-attr]
    outbox = Outbox()
    outbox.add(topics, {"type": "typing", "chat_id": chat.id, "author": author, "typing": bool(typing)})
    await ctx.bus.publish(outbox.messages())
