"""A small archive for search and export tests (plain module: no fixtures, no tests).

Chats are made with the real actions (visitor message, accept, reply, note, close), so every
message reaches the full-text index through the same insert paths as in production; only the
things a test must control (start and end times, ratings, tags) are then set in the rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update

from frontdesk.actions import archive, notes
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.actions.visitors import do_create_visitor
from frontdesk.store.models import Chat, ChatTag, Tag, Visitor
from tests.actions.routing_support import bring_online, make_admin, make_agent, make_department, staff

XSS = '<img src=x onerror="window.__xss=1">'
FORMULA = "=cmd|' /C calc'!A0"


def cid() -> str:
    return uuid.uuid4().hex


@dataclass
class World:
    admin: AgentActor
    ann: AgentActor  # agent in sales
    bob: AgentActor  # agent in support
    sue: AgentActor  # supervisor of sales
    max: AgentActor  # manager (no department)
    sales: int
    support: int
    vip: int  # a tag id
    chats: dict[str, int] = field(default_factory=dict)


async def seed_chat(
    ctx: Context,
    *,
    department: str,
    agent: AgentActor,
    visitor_says: list[str],
    agent_says: list[str] = (),  # type: ignore[assignment]
    note: str | None = None,
    close: bool = True,
    visitor_name: str | None = None,
) -> int:
    visitor, _ = await do_create_visitor(ctx=ctx)
    who = VisitorActor(visitor["id"])
    if visitor_name:
        async with ctx.db.write() as conn:
            await conn.execute(update(Visitor).where(Visitor.id == who.visitor_id).values(name=visitor_name))
    first = await do_send_visitor_message(
        ctx=ctx, actor=who, text=visitor_says[0], client_id=cid(), department=department, visitor_name=visitor_name
    )
    chat_id = first.event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    for text in visitor_says[1:]:
        await do_send_visitor_message(ctx=ctx, actor=who, text=text, client_id=cid(), chat_id=chat_id)
    for text in agent_says:
        await do_send_agent_message(ctx=ctx, actor=agent, chat_id=chat_id, text=text, client_id=cid())
    if note:
        await notes.do_add_note(ctx=ctx, actor=agent, chat_id=chat_id, text=note, client_id=cid())
    if close:
        await do_close_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    return chat_id


async def set_chat(ctx: Context, chat_id: int, **values: Any) -> None:
    async with ctx.db.write() as conn:
        await conn.execute(update(Chat).where(Chat.id == chat_id).values(**values))


def at(day: str, minutes: float = 0) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(minutes=minutes)


async def build_world(ctx: Context) -> World:
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales", routing="pick")
    support = await make_department(ctx, admin, "support", routing="pick")
    ann = await make_agent(ctx, admin, name="Ann Sales")
    bob = await make_agent(ctx, admin, name="Bob Support")
    sue = await make_agent(ctx, admin, role="supervisor", name="Sue Supervisor", online=False)
    mgr = await make_agent(ctx, admin, role="manager", name="Max Manager", online=False)
    await staff(ctx, admin, sales["id"], [ann, sue])
    await staff(ctx, admin, support["id"], [bob])
    for person in (ann, bob):
        await bring_online(ctx, person.id)
    async with ctx.db.write() as conn:
        vip = (
            await conn.execute(
                insert(Tag).values(name="vip", colour="#aa0000", created_at=datetime.now(UTC)).returning(Tag.id)
            )
        ).scalar_one()
    world = World(admin, ann, bob, sue, mgr, sales["id"], support["id"], vip)
    c = world.chats
    c["tyres"] = await seed_chat(
        ctx,
        department="sales",
        agent=ann,
        visitor_says=["Do you have 29er tyres in stock?", FORMULA],
        agent_says=["Yes — Schwalbe tyres, both widths."],
        note="Customer asked for a zebra discount; said no.",
        visitor_name="Tina Tyres",
    )
    c["refund"] = await seed_chat(
        ctx,
        department="support",
        agent=bob,
        visitor_says=["My invoice is wrong", XSS],
        agent_says=["I will refund it today."],
    )
    c["wheel"] = await seed_chat(
        ctx,
        department="sales",
        agent=ann,
        visitor_says=["Write to jane@example.com about the rear wheel"],
        close=False,
    )
    c["unicode"] = await seed_chat(
        ctx,
        department="support",
        agent=bob,
        visitor_says=["Grüße aus München! Habt ihr 東京 tyres?"],
    )
    await set_chat(ctx, c["tyres"], created_at=at("2026-01-10"), closed_at=at("2026-01-10", 10), rating=5)
    await set_chat(ctx, c["refund"], created_at=at("2026-02-10"), closed_at=at("2026-02-10", 45), rating=1)
    await set_chat(ctx, c["unicode"], created_at=at("2026-03-01"), closed_at=at("2026-03-01", 20))
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(ChatTag).values(chat_id=c["tyres"], tag_id=vip, added_by=admin.id, added_at=datetime.now(UTC))
        )
    return world


async def found(ctx: Context, actor: AgentActor, q: str | None = None, **filters: Any) -> list[int]:
    """Chat ids the actor finds (every page)."""
    before = filters.pop("before", None)
    limit = filters.pop("limit", archive.SEARCH_PAGE)
    ids: list[int] = []
    while True:
        page = await archive.search(
            ctx=ctx, actor=actor, query=archive.ArchiveQuery(q=q, **filters), before=before, limit=limit
        )
        ids += [item["chat"]["id"] for item in page["chats"]]
        if page["next_before"] is None:
            return ids
        before = page["next_before"]


async def bulk_chats(db: Any, n: int, *, department_id: int = 1, day: str = "2025-06-01") -> list[int]:
    """`n` closed chats of three messages each, written in bulk (the index triggers still fire)."""
    from frontdesk.store.models import Message

    start = at(day)
    async with db.write() as conn:
        visitors = [{"id": uuid.uuid4().hex, "created_at": start} for _ in range(n)]
        await conn.execute(insert(Visitor), visitors)
        result = await conn.execute(
            insert(Chat).returning(Chat.id, sort_by_parameter_order=True),
            [
                {
                    "visitor_id": v["id"],
                    "status": "closed",
                    "department_id": department_id,
                    "last_seq": 3,
                    "created_at": start + timedelta(seconds=k),
                    "queued_at": start + timedelta(seconds=k),
                    "closed_at": start + timedelta(seconds=k, minutes=5),
                    "closed_by": "agent",
                }
                for k, v in enumerate(visitors)
            ],
        )
        ids = [row.id for row in result]
        rows = []
        for k, i in enumerate(ids):
            when = start + timedelta(seconds=k)
            rows += [
                _bulk_event(i, 1, "chat.started", "", "system", when),
                _bulk_event(i, 2, "message", f"bulk question {k} about pedals", "visitor", when),
                _bulk_event(i, 3, "chat.closed", "", "system", when),
            ]
        await conn.execute(insert(Message), rows)
    return ids


def _bulk_event(chat_id: int, seq: int, kind: str, body: str, author: str, when: datetime) -> dict[str, Any]:
    return {
        "chat_id": chat_id,
        "seq": seq,
        "kind": kind,
        "author_type": author,
        "body": body,
        "data": {},
        "created_at": when,
        "internal": False,
    }
