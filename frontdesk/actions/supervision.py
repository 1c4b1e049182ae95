"""Supervision: the Monitor page, watching a chat, whispering, joining and taking over.

A supervisor acts only in the departments they are a member of; managers and admins in all
(`permissions.in_scope`). Every whisper, join, leave and take-over is a stored chat event, so
the transcript records it; whispers are internal and never reach the visitor
(`domain/audience.whisper_audience`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.access import not_found, readable_chat
from frontdesk.actions.activity import record_load_changes
from frontdesk.actions.audit import record_audit
from frontdesk.actions.chat_events import append_agent_message, append_events, publish_summary
from frontdesk.actions.context import AgentActor, Context, Outbox, unit_of_work
from frontdesk.clock import iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus, EventKind, check_client_id, check_message_text
from frontdesk.domain.events import EventDraft
from frontdesk.permissions import department_scoped, in_scope, require
from frontdesk.store import chat_store, department_store, supervision_store
from frontdesk.store.routing_store import log_routing
from frontdesk.wire import ChatSummary, EventPayload, chat_summary, event_payload, monitor_participants_frame

MONITOR_LIMIT = 1000

# Event kinds this module stores (the widget shows joined, left and taken over; never whispers).
WHISPER = EventKind.WHISPER
JOINED = EventKind.CHAT_JOINED
LEFT = EventKind.CHAT_LEFT
TAKEN_OVER = EventKind.CHAT_TAKEN_OVER


async def departments_in_scope(conn: AsyncConnection, actor: AgentActor, action: str) -> list[int] | None:
    """The departments where the actor may do `action`: None means all of them."""
    require(actor.role, action)
    if not department_scoped(actor.role, action):
        return None
    return await department_store.departments_of_user(conn, actor.id)


async def check_scope(conn: AsyncConnection, actor: AgentActor, action: str, department_id: int) -> None:
    """Refuse a supervisor acting on a chat or department outside their own departments."""
    mine = await department_store.departments_of_user(conn, actor.id) if department_scoped(actor.role, action) else ()
    if not in_scope(actor.role, action, department_id, mine):
        dept = await department_store.department(conn, department_id)
        name = dept.name if dept is not None else "another department"
        raise ChatRuleError("forbidden", f"You supervise only your own departments; this is {name}.")


async def _chat_in_scope(
    conn: AsyncConnection, actor: AgentActor, action: str, chat_id: int, *, lock: bool = False
) -> Any:
    """The chat if the actor may do `action` there: 404 when they may not even read it
    (actions/access.py), 403 when they may read it but not supervise its department."""
    require(actor.role, action)
    chat = await readable_chat(conn, actor, chat_id, lock=lock)
    await check_scope(conn, actor, action, chat.department_id)
    return chat


# -- monitoring ----------------------------------------------------------------------------


async def monitor_chats(*, ctx: Context, actor: AgentActor, department_id: int | None = None) -> dict[str, Any]:
    """Every ongoing (queued and active) chat of the departments the actor supervises, with
    who is in it: the Monitor page's first read; live changes come over the socket."""
    async with ctx.db.read() as conn:
        scope = await departments_in_scope(conn, actor, "chat.monitor")
        if department_id is not None:
            await check_scope(conn, actor, "chat.monitor", department_id)
            scope = [department_id]
        rows = await supervision_store.ongoing_chats(conn, scope, MONITOR_LIMIT)
        people = await supervision_store.participants_of_chats(conn, [r.id for r in rows])
        departments = await department_store.all_departments(conn)
    shown = {d.id for d in departments} if scope is None else set(scope)
    return {
        "chats": [{**chat_summary(r), "participants": people.get(r.id, [])} for r in rows],
        "departments": [{"id": d.id, "slug": d.slug, "name": d.name} for d in departments if d.id in shown],
    }


async def monitored_departments(*, ctx: Context, actor: AgentActor) -> list[int]:
    """For the socket: the departments whose monitor topics this actor may subscribe to."""
    async with ctx.db.read() as conn:
        scope = await departments_in_scope(conn, actor, "chat.monitor")
        if scope is None:
            return [d.id for d in await department_store.all_departments(conn)]
        return scope


async def check_watch(*, ctx: Context, actor: AgentActor, chat_id: int) -> ChatSummary:
    """May the actor follow this chat live (read-only)? Returns its summary."""
    async with ctx.db.read() as conn:
        await _chat_in_scope(conn, actor, "chat.monitor", chat_id)
        row = await chat_store.chat_row(conn, chat_id)
    return chat_summary(row)


async def joined_chats(*, ctx: Context, actor: AgentActor) -> list[int]:
    """Open chats the actor joined: their sockets follow them from the start."""
    async with ctx.db.read() as conn:
        return await supervision_store.open_chats_joined_by(conn, actor.id)


async def participants(*, ctx: Context, actor: AgentActor, chat_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        await readable_chat(conn, actor, chat_id)
        rows = await supervision_store.participants(conn, chat_id)
    return [{"id": r.id, "name": r.name, "joined_at": iso(r.joined_at)} for r in rows]


# -- whisper -------------------------------------------------------------------------------


async def do_whisper(*, ctx: Context, actor: AgentActor, chat_id: int, text: object, client_id: object) -> EventPayload:
    """A message to the chat's agent that the visitor never sees: stored internal, kind
    `whisper`, published to the agents of the chat only."""
    require(actor.role, "chat.whisper")
    body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
    cid = check_client_id(client_id)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await _chat_in_scope(conn, actor, "chat.whisper", chat_id, lock=True)
        existing = await chat_store.event_by_client_id(conn, chat_id, cid)
        if existing is not None:
            if existing.kind != WHISPER or existing.agent_id != actor.id:
                raise ChatRuleError("conflict", "client_id: already used in this chat", field="client_id")
            return event_payload(existing)
        if chat.status == ChatStatus.CLOSED:
            raise ChatRuleError("chat_closed", "This chat has ended.")
        # domain/audience.event_audience: a whisper reaches the chat's agent, its author and followers
        event = await append_agent_message(
            conn, outbox, chat_id, actor, client_id=cid, body=body, now=now, kind=WHISPER
        )
    return event_payload(event)


# -- join, leave, take over ----------------------------------------------------------------


def _agent(actor: AgentActor) -> dict[str, Any]:
    return {"id": actor.id, "name": actor.name}


async def _participants_frame(conn: AsyncConnection, outbox: Outbox, chat: Any) -> None:
    """Monitor pages show who is in each chat."""
    people = await supervision_store.participants(conn, chat.id)
    outbox.add(
        [audience.monitor_topic(chat.department_id)],
        monitor_participants_frame(chat.id, [{"id": p.id, "name": p.name} for p in people]),
    )


async def do_join(*, ctx: Context, actor: AgentActor, chat_id: int) -> EventPayload:
    """The supervisor becomes a visible participant: the visitor sees them join, and they may
    write to the visitor beside the chat's agent (actions/chats.do_send_agent_message)."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await _chat_in_scope(conn, actor, "chat.join", chat_id, lock=True)
        if chat.status != ChatStatus.ACTIVE:
            raise ChatRuleError(
                "chat_closed" if chat.status == ChatStatus.CLOSED else "conflict",
                "Only a chat in progress can be joined.",
            )
        if chat.assignee_id == actor.id:
            raise ChatRuleError("conflict", "This is your own chat.")
        if await supervision_store.is_participant(conn, chat_id, actor.id):
            raise ChatRuleError("conflict", "You are already in this chat.")
        await supervision_store.add_participant(conn, chat_id, actor.id, now)
        # Its agents, followers and the visitor hear of it (domain/audience.participation_audience).
        (event,) = await append_events(
            conn, outbox, chat_id, [EventDraft(JOINED, data={"agent": _agent(actor)})], now=now, agents=(actor.id,)
        )
        # A participant handled the chat (store/access_store.py): they still read it after leaving.
        await log_routing(
            conn, kind="joined", chat_id=chat_id, department_id=chat.department_id, agent_id=actor.id, now=now
        )
        await _participants_frame(conn, outbox, chat)
    return event_payload(event)


async def do_leave(*, ctx: Context, actor: AgentActor, chat_id: int) -> EventPayload | dict[str, Any]:
    """A participant leaves the chat (the visitor sees it). Closing a chat does not need this."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        require(actor.role, "chat.join")
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None:
            raise not_found()
        if not await supervision_store.remove_participant(conn, chat_id, actor.id):
            raise ChatRuleError("conflict", "You are not in this chat.")
        if chat.status == ChatStatus.CLOSED:
            return {"chat_id": chat_id, "left": True}
        (event,) = await append_events(
            conn, outbox, chat_id, [EventDraft(LEFT, data={"agent": _agent(actor)})], now=now, agents=(actor.id,)
        )
        await _participants_frame(conn, outbox, chat)
    return event_payload(event)


async def do_take_over(*, ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    """The chat becomes the supervisor's: they are its assignee from now on, whatever their
    maximum of chats (a supervisor stepping in must not be refused for being busy). The agent
    who had it is told by the event and a summary; routing_log records `taken_over`."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        require(actor.role, "chat.take_over")
        await department_store.lock_users(conn, [actor.id])  # lock order: agents, then chats
        chat = await _chat_in_scope(conn, actor, "chat.take_over", chat_id, lock=True)
        if chat.status == ChatStatus.CLOSED:
            raise ChatRuleError("chat_closed", "This chat has ended.")
        if chat.status != ChatStatus.ACTIVE:
            raise ChatRuleError("conflict", "Nobody has this chat yet: accept it instead.")
        if chat.assignee_id == actor.id:
            raise ChatRuleError("conflict", "This chat is already yours.")
        previous = None
        if chat.assignee_id is not None:
            previous = {"id": chat.assignee_id, "name": await supervision_store.user_name(conn, chat.assignee_id)}
        await supervision_store.remove_participant(conn, chat_id, actor.id)  # the assignee now
        data = {"from_agent": previous, "to_agent": _agent(actor), "agent": _agent(actor)}
        # The chat's new agent, the one who lost it, followers and the visitor hear of it.
        (event,) = await append_events(
            conn,
            outbox,
            chat_id,
            [EventDraft(TAKEN_OVER, data=data)],
            now=now,
            chat_values={"assignee_id": actor.id, "assigned_at": now},
            agents=(chat.assignee_id,),
        )
        await log_routing(
            conn,
            kind="taken_over",
            chat_id=chat_id,
            department_id=chat.department_id,
            agent_id=actor.id,
            now=now,
            from_agent_id=chat.assignee_id,
        )
        await record_audit(conn, actor, "chat.take_over", ("chat", chat_id), {"from_agent_id": chat.assignee_id})
        await record_load_changes(conn, {chat.assignee_id: "taken_over", actor.id: "took_over"}, now)
        summary_row = await publish_summary(conn, outbox, chat_id, previous_assignee_id=chat.assignee_id)
        await _participants_frame(conn, outbox, chat)
    ctx.router.kick(chat.department_id)  # the previous agent has room again
    return {**event_payload(event), "chat": chat_summary(summary_row) if summary_row else None}
