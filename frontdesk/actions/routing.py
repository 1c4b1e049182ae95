"""Routing: who gets each waiting chat, offers and their expiry, transfers, availability,
missed chats and the queue position every waiting visitor sees.

All of it is conditional writes inside one transaction with the rows it decides on locked
(the department, the chat, the agents), so under any interleaving a chat goes to one agent
and no agent exceeds their maximum. `Router` runs dispatches in the background, coalescing
the reasons to run one (a new chat, a chat closed, an agent coming online…)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from frontdesk.actions.access import NOT_FOUND, check_note
from frontdesk.actions.audit import record_audit
from frontdesk.actions.chat_events import event_row, publish_summary, store_agent_message
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.actions.departments import department_availability
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.assignment import AgentLoad, estimate_wait_seconds, plan_assignments, typical_handle_seconds
from frontdesk.domain.chat_rules import (
    AuthorType,
    ChatRuleError,
    ChatStatus,
    EventKind,
    check_client_id,
    check_message_text,
)
from frontdesk.domain.ids import is_id
from frontdesk.permissions import allowed, require
from frontdesk.store import attachment_store, chat_store, department_store
from frontdesk.store.models import Chat, RoutingLog, User
from frontdesk.wire import chat_summary, event_frame, event_payload

log = logging.getLogger(__name__)

AGENT_STATUSES = ("online", "away", "offline")


async def log_routing(
    conn, *, kind: str, chat_id: int | None, department_id: int | None, agent_id=None, now, **data
) -> None:  # type: ignore[no-untyped-def]
    await conn.execute(
        insert(RoutingLog).values(
            chat_id=chat_id, department_id=department_id, kind=kind, agent_id=agent_id, data=data, created_at=now
        )
    )


# -- dispatch ------------------------------------------------------------------------------


async def dispatch(ctx: Context, department_id: int) -> list[tuple[int, int]]:
    """Offer the department's waiting chats, oldest first, to its available agents with room.
    Returns the (chat, agent) offers made."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        dept = await department_store.department(conn, department_id, lock=True)  # one dispatcher per department
        if dept is None or dept.routing != "auto":
            return []
        # Lock order everywhere: department, then agents, then chats (no deadlocks).
        members = [m.id for m in await department_store.members(conn, department_id)]
        queue = await department_store.waiting_chats(conn, department_id)
        if not members or not any(c.offered_to is None for c in queue):
            return []
        await department_store.lock_users(conn, members)  # all of them: one may come online meanwhile
        # Re-read who is there now that nobody can change it under us: an agent who left or went
        # away meanwhile is not offered anything (their withdraw waits for our commit, then runs).
        connected = await ctx.presence.connected_agents()
        people = [m for m in await department_store.members(conn, department_id) if m.status == "online"]
        people = [m for m in people if m.id in connected]
        if not people:
            return []
        # First come, first served: wait for a chat someone is writing to, rather than skip it.
        queue = await department_store.waiting_chats(conn, department_id, lock=True)
        waiting = [c for c in queue if c.offered_to is None]
        if not waiting:
            return []
        ids = [m.id for m in people]
        held = await department_store.loads(conn, ids)
        agents = [AgentLoad(m.id, True, held[m.id], m.max_chats, as_utc(m.last_assigned_at), m.level) for m in people]
        refused = await _refusals(conn, [c.id for c in waiting])
        # Escalated chats go only to agents of their level or higher (domain/escalation.py).
        required = {c.id: c.required_level for c in waiting if c.required_level > 1}
        plan = plan_assignments([c.id for c in waiting], agents, exclude=refused or None, required=required)
        expires = now + timedelta(seconds=dept.offer_timeout_seconds)
        made = []
        for chat_id, agent_id in plan:
            result = await conn.execute(
                update(Chat)
                .where(
                    Chat.id == chat_id, Chat.status == "queued", Chat.offered_to.is_(None), Chat.assignee_id.is_(None)
                )
                .values(offered_to=agent_id, offer_expires_at=expires)
            )
            if result.rowcount != 1:
                continue
            await conn.execute(update(User).where(User.id == agent_id).values(last_assigned_at=now))
            await log_routing(
                conn, kind="offered", chat_id=chat_id, department_id=department_id, agent_id=agent_id, now=now
            )
            row = await publish_summary(conn, outbox, chat_id)
            outbox.add(
                [audience.agent_topic(agent_id)],
                {"type": "chat.offered", "chat": chat_summary(row), "expires_at": iso(expires)},
            )
            made.append((chat_id, agent_id))
    return made


async def _refusals(conn, chat_ids: list[int]) -> dict[int, frozenset[int]]:  # type: ignore[no-untyped-def]
    """Agents who declined or let an offer of each chat expire: not offered it again. (An offer
    withdrawn because the agent's console closed is no refusal: they get it again when back.)"""
    rows = await conn.execute(
        select(RoutingLog.chat_id, RoutingLog.agent_id).where(
            RoutingLog.chat_id.in_(chat_ids), RoutingLog.kind.in_(("declined", "offer_expired"))
        )
    )
    out: dict[int, set[int]] = {}
    for chat_id, agent_id in rows:
        out.setdefault(chat_id, set()).add(agent_id)
    return {k: frozenset(v) for k, v in out.items()}


async def publish_queue_positions(ctx: Context, department_id: int) -> None:
    """Tell every waiting visitor of the department their position and expected wait; record
    the first estimate each chat got, to compare with what happened."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        dept = await department_store.department(conn, department_id)
        if dept is None:
            return
        waiting = await department_store.waiting_chats(conn, department_id)
        if not waiting:
            return
        connected = await ctx.presence.connected_agents()
        people = [
            m for m in await department_store.members(conn, department_id) if m.status == "online" and m.id in connected
        ]
        handle = typical_handle_seconds(await _recent_handle_seconds(conn, department_id))
        first_estimates = []
        for position, chat in enumerate(waiting, start=1):
            # An escalated chat is served only by agents of its level or higher.
            capacity = sum(m.max_chats for m in people if m.level >= chat.required_level)
            estimate = estimate_wait_seconds(position=position, capacity=capacity, handle_seconds=handle)
            if chat.wait_estimate_seconds is None and estimate is not None:
                waited = (now - as_utc(chat.queued_at)).total_seconds() if chat.queued_at else 0.0
                first_estimates.append({"b_id": chat.id, "b_est": round(estimate + waited, 1)})
            outbox.add(
                [audience.visitor_topic(chat.visitor_id)],
                {
                    "type": "queue",
                    "chat_id": chat.id,
                    "department": dept.slug,
                    "position": position,
                    "estimated_wait_seconds": None if estimate is None else round(estimate),
                },
            )
        if first_estimates:
            await conn.execute(
                update(Chat).where(Chat.id == bindparam("b_id")).values(wait_estimate_seconds=bindparam("b_est")),
                first_estimates,
            )


async def _recent_handle_seconds(conn, department_id: int, limit: int = 50) -> list[float]:  # type: ignore[no-untyped-def]
    rows = await conn.execute(
        select(Chat.assigned_at, Chat.closed_at)
        .where(Chat.department_id == department_id, Chat.status == "closed", Chat.assigned_at.is_not(None))
        .order_by(Chat.closed_at.desc())
        .limit(limit)
    )
    return [(as_utc(c) - as_utc(a)).total_seconds() for a, c in rows if a and c]


# -- offers --------------------------------------------------------------------------------


async def do_decline_offer(*, ctx: Context, actor: AgentActor, chat_id: int) -> None:
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None or chat.offered_to != actor.id or chat.status != ChatStatus.QUEUED:
            raise ChatRuleError("conflict", "This chat is not offered to you (any more).")
        await conn.execute(update(Chat).where(Chat.id == chat_id).values(offered_to=None, offer_expires_at=None))
        await log_routing(
            conn, kind="declined", chat_id=chat_id, department_id=chat.department_id, agent_id=actor.id, now=now
        )
        await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(actor.id)])
    ctx.router.kick(chat.department_id)


async def expire_offers(ctx: Context) -> int:
    """Offers not accepted in time: the agent is set away and the chat goes to the next."""
    now = utcnow()
    async with ctx.db.read() as conn:
        due = (
            await conn.execute(
                select(Chat.id).where(
                    Chat.status == "queued", Chat.offered_to.is_not(None), Chat.offer_expires_at < now
                )
            )
        ).all()
    for (chat_id,) in due:
        agent_id = None
        async with unit_of_work(ctx) as (conn, outbox):
            chat = await chat_store.chat_status(conn, chat_id, lock=True)
            if chat is None or chat.offered_to is None or chat.status != ChatStatus.QUEUED:
                continue
            if as_utc(chat.offer_expires_at) >= now:
                continue
            agent_id = chat.offered_to
            await conn.execute(update(Chat).where(Chat.id == chat_id).values(offered_to=None, offer_expires_at=None))
            await log_routing(
                conn,
                kind="offer_expired",
                chat_id=chat_id,
                department_id=chat.department_id,
                agent_id=agent_id,
                now=now,
            )
            await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(agent_id)])
        if agent_id is not None:
            await set_agent_status(ctx, agent_id, "away", reason="offer_expired")
            ctx.router.kick(chat.department_id)
    return len(due)


async def withdraw_offers(ctx: Context, agent_id: int, *, reason: str = "offer_withdrawn") -> list[int]:
    """Take back every chat offered to an agent (they went away or lost their connection)."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        await department_store.lock_users(conn, [agent_id])  # after any dispatch that is offering to them
        rows = (
            await conn.execute(
                select(Chat.id, Chat.department_id)
                .where(Chat.offered_to == agent_id, Chat.status == "queued")
                .with_for_update(key_share=True)
            )
        ).all()
        for chat_id, department_id in rows:
            await conn.execute(update(Chat).where(Chat.id == chat_id).values(offered_to=None, offer_expires_at=None))
            await log_routing(
                conn, kind=reason, chat_id=chat_id, department_id=department_id, agent_id=agent_id, now=now
            )
            await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(agent_id)])
    for _chat_id, department_id in rows:
        ctx.router.kick(department_id)
    return [r[0] for r in rows]


# -- availability --------------------------------------------------------------------------


def check_status(status: object) -> str:
    if status not in AGENT_STATUSES:
        raise ChatRuleError("bad_request", "status: must be online, away or offline", field="status")
    return str(status)


async def set_agent_status(ctx: Context, agent_id: int, status: str, *, reason: str | None = None) -> str:
    status = check_status(status)
    async with unit_of_work(ctx) as (conn, outbox):
        previous = (
            await conn.execute(select(User.status).where(User.id == agent_id).with_for_update(key_share=True))
        ).scalar_one_or_none()
        if previous is None:
            raise ChatRuleError("not_found", "No such user.")
        if previous != status:
            await conn.execute(update(User).where(User.id == agent_id).values(status=status))
        frame: dict[str, Any] = {"type": "agent.status", "status": status}
        if reason:
            frame["reason"] = reason
        outbox.add([audience.agent_topic(agent_id)], frame)
    if status != "online":
        await withdraw_offers(ctx, agent_id)
    ctx.router.kick(None)  # someone online (or not) changes who can be offered chats, and every wait estimate
    return status


async def agent_came_online(ctx: Context, agent_id: int) -> str:
    """An agent opened the console: offline becomes online (away stays away, by their choice)."""
    async with ctx.db.read() as conn:
        status = (await conn.execute(select(User.status).where(User.id == agent_id))).scalar_one()
    if status == "offline":
        return await set_agent_status(ctx, agent_id, "online")
    ctx.router.kick(None)
    return status


async def do_set_my_status(*, ctx: Context, actor: AgentActor, status: object) -> str:
    return await set_agent_status(ctx, actor.id, check_status(status))


# -- missed chats --------------------------------------------------------------------------


def closed_as_missed(now) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The chat's columns when it ends without anyone having answered."""
    return {
        "status": "closed",
        "closed_at": now,
        "closed_by": "system",
        "missed": True,
        "offered_to": None,
        "offer_expires_at": None,
    }


async def mark_missed(ctx: Context, chat_id: int) -> bool:
    """A visitor who left while waiting: the chat closes as missed (reports count these)."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None or chat.status != ChatStatus.QUEUED:
            return False
        locked = await chat_store.advance_seq(
            conn,
            chat_id,
            values=closed_as_missed(now),
        )
        row = event_row(chat_id, locked.last_seq, EventKind.CHAT_CLOSED, now, data={"by": "system", "reason": "missed"})
        await chat_store.insert_events(conn, [row])
        waited = (now - as_utc(chat.queued_at)).total_seconds() if chat.queued_at else None
        await log_routing(
            conn, kind="missed", chat_id=chat_id, department_id=chat.department_id, now=now, waited_seconds=waited
        )
        topics = audience.chat_event_audience(
            internal=False,
            visitor_id=chat.visitor_id,
            status=ChatStatus.QUEUED,
            assignee_id=None,
            department_id=chat.department_id,
            chat_id=chat_id,
        )
        outbox.add(topics, event_frame(SimpleNamespace(**row)))
        await publish_summary(
            conn,
            outbox,
            chat_id,
            queue_changed=True,
            extra_topics=[audience.agent_topic(chat.offered_to)] if chat.offered_to else [],
        )
    ctx.router.kick(chat.department_id)
    return True


# -- transfers and notes -------------------------------------------------------------------


async def do_transfer_chat(
    *,
    ctx: Context,
    actor: AgentActor,
    chat_id: int,
    to_agent_id: object = None,
    to_department_id: object = None,
    note: object = None,
) -> dict[str, Any]:
    require(actor.role, "chat.transfer")
    if (to_agent_id is None) == (to_department_id is None):
        raise ChatRuleError(
            "bad_request", "Transfer to exactly one of to_agent_id or to_department_id.", field="to_agent_id"
        )
    for name, value in (("to_agent_id", to_agent_id), ("to_department_id", to_department_id)):
        if value is not None and not is_id(value, field=name):
            raise ChatRuleError("bad_request", f"{name}: must be an id", field=name)
    note_text = None if note in (None, "") else check_message_text(note, max_chars=ctx.settings.max_message_chars)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        if to_agent_id is not None:
            await department_store.lock_users(conn, [to_agent_id])  # lock order: agents, then chats
        else:  # the target's queue is counted under its lock, so max_queue holds
            await department_store.department(conn, to_department_id, lock=True)  # type: ignore[arg-type]
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None:
            raise ChatRuleError("not_found", "That chat does not exist.")
        if chat.status != ChatStatus.ACTIVE:
            raise ChatRuleError("conflict", "Only a chat in progress can be transferred.")
        if chat.assignee_id != actor.id and not allowed(actor.role, "chat.transfer_any"):
            raise ChatRuleError("forbidden", "Only the chat's agent or a supervisor can transfer it.")
        from_agent = None
        if chat.assignee_id is not None:
            name = (await conn.execute(select(User.name).where(User.id == chat.assignee_id))).scalar_one_or_none()
            from_agent = {"id": chat.assignee_id, "name": name}
        if to_agent_id is not None:
            target = (
                await conn.execute(
                    select(User.id, User.name, User.status, User.max_chats).where(User.id == to_agent_id)
                )
            ).first()
            if target is None:
                raise ChatRuleError("not_found", "No such agent.", field="to_agent_id")
            if target.id == chat.assignee_id:
                raise ChatRuleError("conflict", "The chat is already theirs.", field="to_agent_id")
            if target.status != "online" or not await ctx.presence.is_agent_connected(target.id):
                raise ChatRuleError("conflict", f"{target.name} is not online right now.", field="to_agent_id")
            held = (await department_store.loads(conn, [target.id]))[target.id]
            if held >= target.max_chats:
                raise ChatRuleError(
                    "conflict", f"{target.name} has no room ({held} of {target.max_chats} chats).", field="to_agent_id"
                )
            locked = await chat_store.advance_seq(
                conn, chat_id, count=2 if note_text else 1, values={"assignee_id": target.id, "assigned_at": now}
            )
            to_agent = await attachment_store.agent_card(conn, target.id, target.name)  # the visitor sees who
            data = {"from_agent": from_agent, "to_agent": to_agent, "to_department": None}
            new_status, new_assignee, new_department = ChatStatus.ACTIVE, target.id, chat.department_id
        else:
            dept = await department_store.department(conn, to_department_id)  # type: ignore[arg-type]
            if dept is None:
                raise ChatRuleError("not_found", "No such department.", field="to_department_id")
            live = await department_availability(ctx, conn, dept)
            if not live.accepting:
                why = {
                    "closed": "it is closed now",
                    "no_agents": "nobody is online there",
                    "queue_full": "its queue is full",
                }
                raise ChatRuleError(
                    "conflict",
                    f"Cannot transfer to {dept.name}: {why.get(live.reason, live.reason)}.",
                    field="to_department_id",
                )
            locked = await chat_store.advance_seq(
                conn,
                chat_id,
                count=2 if note_text else 1,
                values={
                    "status": "queued",
                    "assignee_id": None,
                    "department_id": dept.id,
                    "queued_at": now,
                    "offered_to": None,
                    "offer_expires_at": None,
                    "wait_estimate_seconds": None,
                    # Levels are per department: another department starts it at its first level.
                    "required_level": chat.required_level if dept.id == chat.department_id else 1,
                },
            )
            data = {
                "from_agent": from_agent,
                "to_agent": None,
                "to_department": {"id": dept.id, "slug": dept.slug, "name": dept.name},
            }
            new_status, new_assignee, new_department = ChatStatus.QUEUED, None, dept.id
        first = locked.last_seq - (1 if note_text else 0)
        rows = [event_row(chat_id, first, "chat.transferred", now, data=data)]
        if note_text:
            rows.append(
                event_row(
                    chat_id,
                    first + 1,
                    "note",
                    now,
                    author_type=AuthorType.AGENT,
                    agent_id=actor.id,
                    author_name=actor.name,
                    body=note_text,
                    internal=True,
                )
            )
        await chat_store.insert_events(conn, rows)
        await log_routing(
            conn,
            kind="transferred",
            chat_id=chat_id,
            department_id=new_department,
            agent_id=new_assignee,
            now=now,
            from_agent_id=chat.assignee_id,
            from_department_id=chat.department_id,
        )
        followers = audience.agents_of_chat(new_status, new_assignee, new_department)
        previous = [audience.agent_topic(chat.assignee_id)] if chat.assignee_id else []
        agent_topics = followers + [t for t in previous if t not in followers] + [audience.chat_topic(chat_id)]
        outbox.add(agent_topics + [audience.visitor_topic(chat.visitor_id)], event_frame(SimpleNamespace(**rows[0])))
        if note_text:
            outbox.add(agent_topics, event_frame(SimpleNamespace(**rows[1])))  # internal: never the visitor
        await publish_summary(
            conn,
            outbox,
            chat_id,
            previous_assignee_id=chat.assignee_id,
            previous_department_id=chat.department_id,
            queue_changed=new_status == ChatStatus.QUEUED,
        )
    ctx.router.kick(None)
    return {"chat_id": chat_id, "seq": rows[0]["seq"], **data}


async def do_add_note(
    *, ctx: Context, actor: AgentActor, chat_id: int, text: object, client_id: object
) -> dict[str, Any]:
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
        row = await store_agent_message(
            conn, outbox, chat, actor, client_id=cid, body=body, now=now, kind="note", internal=True, require_open=False
        )
    return event_payload(SimpleNamespace(**row))


# -- deleting a department -----------------------------------------------------------------


async def do_delete_department(*, ctx: Context, actor: AgentActor, department_id: int) -> dict[str, Any]:
    """Waiting chats move to the fallback department, or close as missed (their visitors are
    offered the offline form); chats in progress stay with their agents, moved to the fallback
    or, without one, to the default department."""
    require(actor.role, "department.manage")
    now = utcnow()
    moved, missed = [], []
    async with unit_of_work(ctx) as (conn, outbox):
        dept = await department_store.department(conn, department_id, lock=True)
        if dept is None:
            raise ChatRuleError("not_found", "No such department.")
        fallback = dept.fallback_department_id
        home = fallback
        if home is None:
            default = await department_store.default_department(conn)
            home = default.id if default is not None and default.id != department_id else None
            if home is None:
                others = [d for d in await department_store.all_departments(conn) if d.id != department_id]
                home = others[0].id if others else None
        if home is None:
            raise ChatRuleError("conflict", "The last department cannot be deleted.")
        rows = (
            await conn.execute(
                select(Chat.id, Chat.status, Chat.visitor_id)
                .where(Chat.department_id == department_id, Chat.status != "closed")
                .with_for_update(key_share=True)
            )
        ).all()
        for chat_id, status, visitor_id in rows:
            if status == ChatStatus.QUEUED and fallback is None:
                locked = await chat_store.advance_seq(
                    conn,
                    chat_id,
                    values={**closed_as_missed(now), "department_id": home},
                )
                row = event_row(
                    chat_id,
                    locked.last_seq,
                    EventKind.CHAT_CLOSED,
                    now,
                    data={"by": "system", "reason": "department_deleted"},
                )
                await chat_store.insert_events(conn, [row])
                outbox.add(
                    [
                        audience.visitor_topic(visitor_id),
                        audience.queue_topic(department_id),
                        audience.chat_topic(chat_id),
                    ],
                    event_frame(SimpleNamespace(**row)),
                )
                await log_routing(
                    conn, kind="missed", chat_id=chat_id, department_id=None, now=now, reason="department_deleted"
                )
                missed.append(chat_id)
            else:
                await conn.execute(
                    update(Chat)
                    .where(Chat.id == chat_id)
                    .values(department_id=home, offered_to=None, offer_expires_at=None)
                )
                await log_routing(
                    conn, kind="moved", chat_id=chat_id, department_id=home, now=now, from_department_id=department_id
                )
                moved.append(chat_id)
            await publish_summary(conn, outbox, chat_id, previous_department_id=department_id, queue_changed=True)
        await conn.execute(update(Chat).where(Chat.department_id == department_id).values(department_id=home))

        from frontdesk.store.models import Department  # noqa: F401

        await conn.execute(
            update(RoutingLog).where(RoutingLog.department_id == department_id).values(department_id=None)
        )
        await conn.execute(delete(Department).where(Department.id == department_id))
        await record_audit(
            conn,
            actor,
            "department.delete",
            ("department", department_id),
            {"slug": dept.slug, "moved": len(moved), "missed": len(missed), "moved_to": home},
        )
    ctx.router.kick(None)
    return {"moved": moved, "missed": missed, "moved_to": home}


# -- the background dispatcher -------------------------------------------------------------


class Router:
    """Runs dispatch and queue-position updates for departments whose situation changed."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._pending: set[int | None] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="router")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def kick(self, department_id: int | None) -> None:
        """Something changed in this department (None: in all of them)."""
        self._pending.add(department_id)
        self._wake.set()

    async def run_once(self) -> None:
        pending, self._pending = self._pending, set()
        if None in pending:
            async with self.ctx.db.read() as conn:
                pending = {d.id for d in await department_store.all_departments(conn)}
        for department_id in sorted(d for d in pending if d is not None):
            await dispatch(self.ctx, department_id)
            await publish_queue_positions(self.ctx, department_id)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("routing pass failed; the next kick or sweep retries")
                await asyncio.sleep(0.5)
