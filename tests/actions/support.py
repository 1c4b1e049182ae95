"""Helpers for action tests: people, ids, a bus that checks commits, and invariant checks.

Plain module (no fixtures, no tests); the fixtures are in tests/actions/conftest.py.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import select

from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.actions.users import do_create_user
from frontdesk.actions.visitors import do_create_visitor
from frontdesk.store.models import Chat, Message

_counter = itertools.count(1)
PASSWORD = "a-long-enough-password"


def new_cid() -> str:
    return uuid.uuid4().hex


async def new_visitor(ctx: Context) -> VisitorActor:
    visitor, _token = await do_create_visitor(ctx=ctx)
    return VisitorActor(visitor["id"])


async def new_agent(ctx: Context, role: str = "agent") -> AgentActor:
    n = next(_counter)
    user = await do_create_user(
        ctx=ctx,
        email=f"{role}{n}-{uuid.uuid4().hex[:6]}@example.com",
        name=f"{role} {n}",
        role=role,
        password=PASSWORD,
    )
    return AgentActor(id=user["id"], name=user["name"], role=user["role"])


async def stored_events(ctx: Context, chat_id: int) -> list[Any]:
    async with ctx.db.read() as conn:
        stmt = select(Message).where(Message.chat_id == chat_id).order_by(Message.seq)
        return list((await conn.execute(stmt)).all())


async def chats_of(ctx: Context, visitor_id: str) -> list[Any]:
    async with ctx.db.read() as conn:
        stmt = select(Chat).where(Chat.visitor_id == visitor_id).order_by(Chat.id)
        return list((await conn.execute(stmt)).all())


async def chat(ctx: Context, chat_id: int) -> Any:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(Chat).where(Chat.id == chat_id))).one()


def frames(published: Sequence[tuple[str, str]], topic: str | None = None) -> list[dict[str, Any]]:
    return [orjson.loads(p) for t, p in published if topic is None or t == topic]


def frame_chat_id(frame: dict[str, Any]) -> int | None:
    if frame.get("type") == "chat.updated":
        return frame["chat"]["id"]
    return frame.get("chat_id")


class CommitCheckingBus:
    """A real EventBus that, for every event it is given, looks in the database from another
    connection: an event published before its transaction committed would not be there yet."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.published: list[tuple[str, str]] = []
        self.uncommitted: list[tuple[str, dict[str, Any]]] = []

    async def start(self, receiver: Any) -> None:  # pragma: no cover - not used by actions
        pass

    async def publish(self, messages: Sequence[tuple[str, str]]) -> None:
        for topic, payload in messages:
            frame = orjson.loads(payload)
            if frame.get("type") == "event":
                async with self.ctx.db.read() as conn:
                    row = (
                        await conn.execute(
                            select(Message.kind, Message.client_id).where(
                                Message.chat_id == frame["chat_id"], Message.seq == frame["seq"]
                            )
                        )
                    ).first()
                if row is None or row.kind != frame["kind"] or row.client_id != frame["client_id"]:
                    self.uncommitted.append((topic, frame))
            self.published.append((topic, payload))

    async def close(self) -> None:
        pass


async def check_invariants(ctx: Context, visitor_ids: Sequence[str]) -> dict[int, list[Any]]:
    """The database invariants of the design; returns each chat's events for further checks."""
    events_by_chat: dict[int, list[Any]] = {}
    async with ctx.db.read() as conn:
        for visitor_id in visitor_ids:
            chats = (await conn.execute(select(Chat).where(Chat.visitor_id == visitor_id))).all()
            open_chats = [c for c in chats if c.status != "closed"]
            assert len(open_chats) <= 1, f"visitor {visitor_id} has {len(open_chats)} open chats"
            for c in chats:
                events = (
                    await conn.execute(select(Message).where(Message.chat_id == c.id).order_by(Message.seq))
                ).all()
                events_by_chat[c.id] = events
                seqs = [e.seq for e in events]
                assert seqs == list(range(1, c.last_seq + 1)), f"chat {c.id}: seqs {seqs}, last {c.last_seq}"
                assert events[0].kind == "chat.started"
                cids = Counter(e.client_id for e in events if e.client_id is not None)
                assert all(n == 1 for n in cids.values()), f"chat {c.id}: client ids stored twice {cids}"
                assigned = [e for e in events if e.kind == "chat.assigned"]
                assert len(assigned) <= 1, f"chat {c.id} assigned {len(assigned)} times"
                if assigned:
                    assert c.assignee_id == assigned[0].data["agent"]["id"]
                if c.status == "queued":
                    assert c.assignee_id is None and not assigned
                if c.status == "active":
                    assert c.assignee_id is not None and assigned
                closes = [e for e in events if e.kind == "chat.closed"]
                assert len(closes) == (1 if c.status == "closed" else 0)
                if closes:
                    assert events[-1].kind == "chat.closed"  # nothing after the close
    return events_by_chat
