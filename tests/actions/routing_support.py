"""Helpers for routing, availability and offline-message tests (plain module: no fixtures, no tests).

People are made with the real actions (users.do_create_user, departments.do_create_department,
do_set_members, availability.do_set_agent_status) and made "connected" through ctx.presence, as an
open console tab would."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import orjson
from argon2 import PasswordHasher
from sqlalchemy import select, update

from frontdesk.actions import availability, departments, users
from frontdesk.actions.chats import do_send_visitor_message
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.clock import utcnow
from frontdesk.store import department_store
from frontdesk.store.models import Chat, Message, RoutingLog, User

PASSWORD = "a-long-enough-password"
# argon2 at its defaults takes ~0.2 s per user on these machines; routing does not care how
# passwords are hashed, so tests that make many people swap in cheap parameters (monkeypatch).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)

_counter = itertools.count(1)


def new_cid() -> str:
    return uuid.uuid4().hex


async def make_admin(ctx: Context) -> AgentActor:
    n = next(_counter)
    user = await users.do_create_user(
        ctx=ctx,
        email=f"admin{n}-{uuid.uuid4().hex[:6]}@example.com",
        name=f"Admin {n}",
        role="admin",
        password=PASSWORD,
    )
    return AgentActor(user["id"], user["name"], user["role"])


async def make_department(ctx: Context, admin: AgentActor, slug: str, **fields: Any) -> dict[str, Any]:
    data = {"slug": slug, "name": slug.replace("-", " ").title(), "routing": "auto", **fields}
    return await departments.do_create_department(ctx=ctx, actor=admin, data=data)


async def make_agent(
    ctx: Context,
    admin: AgentActor,
    *,
    max_chats: int = 3,
    online: bool = True,
    role: str = "agent",
    name: str | None = None,
) -> AgentActor:
    """A new agent (member of the default department, as users are by default), online and
    connected unless `online=False`."""
    n = next(_counter)
    user = await users.do_create_user(
        ctx=ctx,
        email=f"{role}{n}-{uuid.uuid4().hex[:6]}@example.com",
        name=name or f"Agent {n}",
        role=role,
        password=PASSWORD,
    )
    if max_chats != 3:
        await users.do_update_user(ctx=ctx, actor=admin, user_id=user["id"], data={"max_chats": max_chats})
    agent = AgentActor(user["id"], user["name"], user["role"])
    if online:
        await bring_online(ctx, agent.id)
    return agent


async def bring_online(ctx: Context, agent_id: int) -> None:
    await availability.do_set_agent_status(ctx, agent_id, "online")
    await ctx.presence.agent_connected(agent_id)


async def staff(ctx: Context, admin: AgentActor, department_id: int, agents: list[AgentActor]) -> None:
    await departments.do_set_members(
        ctx=ctx, actor=admin, department_id=department_id, members=[{"user_id": a.id, "level": 1} for a in agents]
    )


async def first_message(ctx: Context, visitor: VisitorActor, department: str | None, text: str = "hello") -> int:
    result = await do_send_visitor_message(
        ctx=ctx, actor=visitor, text=text, client_id=new_cid(), department=department
    )
    assert result.chat_started
    return result.event["chat_id"]


async def chat(ctx: Context, chat_id: int) -> Any:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(Chat).where(Chat.id == chat_id))).one()


async def chats_in(ctx: Context, department_id: int | None = None) -> list[Any]:
    async with ctx.db.read() as conn:
        stmt = select(Chat).order_by(Chat.id)
        if department_id is not None:
            stmt = stmt.where(Chat.department_id == department_id)
        return list((await conn.execute(stmt)).all())


async def routing_log(ctx: Context, *, chat_id: int | None = None, kind: str | None = None) -> list[Any]:
    async with ctx.db.read() as conn:
        stmt = select(RoutingLog).order_by(RoutingLog.id)
        if chat_id is not None:
            stmt = stmt.where(RoutingLog.chat_id == chat_id)
        if kind is not None:
            stmt = stmt.where(RoutingLog.kind == kind)
        return list((await conn.execute(stmt)).all())


async def events(ctx: Context, chat_id: int) -> list[Any]:
    async with ctx.db.read() as conn:
        stmt = select(Message).where(Message.chat_id == chat_id).order_by(Message.seq)
        return list((await conn.execute(stmt)).all())


async def status_of(ctx: Context, user_id: int) -> str:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(User.status).where(User.id == user_id))).scalar_one()


async def held(ctx: Context, agent_ids: list[int]) -> dict[int, int]:
    """Active plus offered chats per agent, counted from the chats table directly."""
    out = {a: 0 for a in agent_ids}
    for c in await chats_in(ctx):
        if c.status == "active" and c.assignee_id in out:
            out[c.assignee_id] += 1
        if c.status == "queued" and c.offered_to in out:
            out[c.offered_to] += 1
    return out


async def expire_offer_now(ctx: Context, chat_id: int) -> None:
    """Move time: the offer's deadline passed a second ago."""
    async with ctx.db.write() as conn:
        await conn.execute(
            update(Chat).where(Chat.id == chat_id).values(offer_expires_at=utcnow() - timedelta(seconds=1))
        )


async def set_last_assigned(ctx: Context, agent_id: int, minutes_ago: float | None) -> None:
    value = None if minutes_ago is None else utcnow() - timedelta(minutes=minutes_ago)
    async with ctx.db.write() as conn:
        await conn.execute(update(User).where(User.id == agent_id).values(last_assigned_at=value))


async def department_id_of(ctx: Context, slug: str) -> int:
    async with ctx.db.read() as conn:
        return (await department_store.department_by_slug(conn, slug)).id


def published_frames(ctx: Context, topic: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
    out = []
    for t, payload in ctx.published:  # type: ignore[attr-defined]
        if topic is not None and t != topic:
            continue
        frame = orjson.loads(payload)
        if type_ is not None and frame.get("type") != type_:
            continue
        out.append(frame)
    return out


def published_topics(ctx: Context, predicate) -> list[str]:  # type: ignore[no-untyped-def]
    return [t for t, payload in ctx.published if predicate(orjson.loads(payload))]  # type: ignore[attr-defined]


async def check_chat_invariants(ctx: Context, visitor_ids: list[str] | None = None) -> list[Any]:
    """What must hold for every chat whatever routing did (transfers may assign a chat again, so
    this does not insist on one chat.assigned event): gapless seqs, one open chat per visitor,
    nothing after the close, an assignee exactly when active, offers only while queued and
    unassigned. Returns the chats."""
    async with ctx.db.read() as conn:
        stmt = select(Chat).order_by(Chat.id)
        if visitor_ids is not None:
            stmt = stmt.where(Chat.visitor_id.in_(visitor_ids))
        chats = list((await conn.execute(stmt)).all())
        rows = (
            await conn.execute(
                select(Message.chat_id, Message.seq, Message.kind).where(Message.chat_id.in_([c.id for c in chats]))
            )
        ).all()
    seqs: dict[int, list[tuple[int, str]]] = {}
    for chat_id, seq, kind in rows:
        seqs.setdefault(chat_id, []).append((seq, kind))
    open_per_visitor: dict[str, int] = {}
    for c in chats:
        mine = sorted(seqs.get(c.id, []))
        assert [s for s, _ in mine] == list(range(1, c.last_seq + 1)), f"chat {c.id}: seqs {mine}, last {c.last_seq}"
        assert mine[0][1] == "chat.started"
        closes = [s for s, k in mine if k == "chat.closed"]
        if c.status == "closed":
            assert closes == [c.last_seq], f"chat {c.id}: closes at {closes}, last {c.last_seq}"
            assert c.offered_to is None
        else:
            assert not closes
            open_per_visitor[c.visitor_id] = open_per_visitor.get(c.visitor_id, 0) + 1
        if c.status == "active":
            assert c.assignee_id is not None and c.offered_to is None, f"chat {c.id} active, offered {c.offered_to}"
        if c.status == "queued":
            assert c.assignee_id is None, f"chat {c.id} queued with assignee {c.assignee_id}"
            assert (c.offered_to is None) == (c.offer_expires_at is None)
    assert all(n <= 1 for n in open_per_visitor.values()), open_per_visitor
    return chats
