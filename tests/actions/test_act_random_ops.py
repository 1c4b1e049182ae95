"""Random sequences of chat operations, some of them concurrent, against the real database.

After every step: per-chat seqs are 1..last_seq without gaps, a visitor has at most one open
chat, a client id is stored at most once per chat, a chat has at most one assignee, no agent
holds more chats than their maximum, every acknowledged message is stored as acknowledged, a
retried client id (even after its chat closed) gets the original back, every published event
was committed first, and visitors hear only about their own chats.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.actions.context import SendResult
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import Chat, User
from tests.actions.support import (
    CommitCheckingBus,
    chats_of,
    check_invariants,
    frame_chat_id,
    frames,
    new_agent,
    new_cid,
    new_visitor,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

VISITORS = 2
AGENTS = 3  # two agents and a supervisor

visitor_ix = st.integers(0, VISITORS - 1)
agent_ix = st.integers(0, AGENTS - 1)
old_ix = st.integers(0, 30)
operation = st.one_of(
    st.tuples(st.just("visitor_send"), visitor_ix, st.booleans()),
    st.tuples(st.just("visitor_resend"), visitor_ix, old_ix, st.booleans()),
    st.tuples(st.just("accept"), agent_ix, visitor_ix),
    st.tuples(st.just("agent_send"), agent_ix, visitor_ix),
    st.tuples(st.just("assignee_send"), visitor_ix),
    st.tuples(st.just("assignee_send"), visitor_ix),
    st.tuples(st.just("agent_resend"), visitor_ix, old_ix),
    st.tuples(st.just("close"), st.integers(0, AGENTS), visitor_ix),  # AGENTS: the visitor
)
# Each step is a batch of operations run at the same time.
programs = st.lists(st.lists(operation, min_size=1, max_size=3), min_size=3, max_size=10)
OPENING = [("visitor_send", v, False) for v in range(VISITORS)]  # every program starts with chats


@dataclass
class Sent:
    client_id: str
    text: str
    chat_id: int
    seq: int
    agent: Any = None


@dataclass
class World:
    visitors: list
    agents: list
    sent: dict[int, list[Sent]] = field(default_factory=dict)  # by visitor index
    agent_sent: list[Sent] = field(default_factory=list)
    counter: int = 0

    def text(self) -> str:
        self.counter += 1
        return f"message {self.counter}"


async def latest_chat(ctx, visitor) -> Any:
    chats = await chats_of(ctx, visitor.visitor_id)
    return chats[-1] if chats else None


async def plan(ctx, world: World, op: tuple) -> tuple[str, Any, Any] | None:
    """(kind, expectation, coroutine) for one operation, or None when it does not apply."""
    kind = op[0]
    if kind == "visitor_resend":
        _, v, k, hint = op
        sent = world.sent.get(v)
        if not sent:
            return None
        old = sent[k % len(sent)]
        coro = do_send_visitor_message(
            ctx=ctx,
            actor=world.visitors[v],
            text=old.text,
            client_id=old.client_id,
            chat_id=old.chat_id if hint else None,
        )
        return kind, (v, old), coro
    if kind == "visitor_send":
        _, v, hint = op
        current = await latest_chat(ctx, world.visitors[v])
        cid, body = new_cid(), world.text()
        coro = do_send_visitor_message(
            ctx=ctx,
            actor=world.visitors[v],
            text=body,
            client_id=cid,
            chat_id=current.id if hint and current is not None else None,
        )
        return kind, (v, cid, body), coro
    if kind == "agent_resend":
        _, v, k = op
        mine = [s for s in world.agent_sent if s.agent.visitor == v]
        if not mine:
            return None
        old = mine[k % len(mine)]
        coro = do_send_agent_message(
            ctx=ctx, actor=old.agent.actor, chat_id=old.chat_id, text=old.text, client_id=old.client_id
        )
        return kind, old, coro
    current = await latest_chat(ctx, world.visitors[op[-1]])  # the visitor index comes last
    if current is None:
        return None
    if kind == "accept":
        return kind, op, do_accept_chat(ctx=ctx, actor=world.agents[op[1]], chat_id=current.id)
    if kind == "assignee_send":
        if current.assignee_id is None:
            return None
        index = next(i for i, a in enumerate(world.agents) if a.id == current.assignee_id)
        kind, op = "agent_send", ("agent_send", index, op[1])
    if kind == "agent_send":
        cid, body = new_cid(), world.text()
        agent = world.agents[op[1]]
        coro = do_send_agent_message(ctx=ctx, actor=agent, chat_id=current.id, text=body, client_id=cid)
        return kind, (op, cid, body, current.id), coro
    assert kind == "close"
    actor = world.visitors[op[2]] if op[1] == AGENTS else world.agents[op[1]]
    return kind, op, do_close_chat(ctx=ctx, actor=actor, chat_id=current.id)


ALLOWED_REFUSALS = {
    "visitor_send": set(),
    "visitor_resend": set(),
    "accept": {"conflict", "chat_closed"},
    "agent_send": {"conflict", "forbidden", "chat_closed"},
    "agent_resend": set(),  # by its author: the original, even after the chat closed
    "close": {"forbidden", "chat_closed"},
}


@dataclass
class AgentRef:
    actor: Any
    visitor: int


async def run_program(ctx, world: World, program: list[list[tuple]]) -> None:
    bus = ctx.bus
    visitor_ids = [v.visitor_id for v in world.visitors]
    for batch in program:
        planned = [p for p in [await plan(ctx, world, op) for op in batch] if p is not None]
        results = await asyncio.gather(*(coro for _, _, coro in planned), return_exceptions=True)
        events = await check_invariants(ctx, visitor_ids)

        def stored(chat_id: int, seq: int) -> Any:
            matches = [e for e in events[chat_id] if e.seq == seq]
            assert len(matches) == 1
            return matches[0]

        for (kind, expect, _), result in zip(planned, results, strict=True):
            if isinstance(result, ChatRuleError):
                event(f"{kind}: {result.code}")
                assert result.code in ALLOWED_REFUSALS[kind], (kind, result.code, result.message)
                continue
            if isinstance(result, BaseException):
                raise result
            event(f"{kind}: {'duplicate' if getattr(result, 'duplicate', False) else 'ok'}")
            if kind == "visitor_send":
                v, cid, body = expect
                assert isinstance(result, SendResult) and not result.duplicate
                row = stored(result.event["chat_id"], result.event["seq"])
                assert (row.client_id, row.body, row.author_type) == (cid, body, "visitor")
                world.sent.setdefault(v, []).append(Sent(cid, body, result.event["chat_id"], result.event["seq"]))
            elif kind == "visitor_resend":
                v, old = expect
                # Even after its chat closed: the original, never a second copy in a new chat.
                assert result.duplicate
                assert (result.event["chat_id"], result.event["seq"]) == (old.chat_id, old.seq)
                row = stored(old.chat_id, old.seq)
                assert (row.client_id, row.body) == (old.client_id, old.text)
            elif kind == "agent_send":
                op, cid, body, chat_id = expect
                assert not result.duplicate and result.event["chat_id"] == chat_id
                row = stored(chat_id, result.event["seq"])
                assert (row.client_id, row.body, row.agent_id) == (cid, body, world.agents[op[1]].id)
                world.agent_sent.append(
                    Sent(cid, body, chat_id, result.event["seq"], AgentRef(world.agents[op[1]], op[2]))
                )
            elif kind == "agent_resend":
                assert result.duplicate and (result.event["chat_id"], result.event["seq"]) == (
                    expect.chat_id,
                    expect.seq,
                )
            elif kind == "accept":
                row = stored(result["chat_id"], result["seq"])
                assert row.kind == "chat.assigned" and row.data["agent"]["id"] == world.agents[expect[1]].id
            elif kind == "close":
                assert stored(result["chat_id"], result["seq"]).kind == "chat.closed"

        # An agent never holds more chats than their maximum.
        async with ctx.db.read() as conn:
            load = (
                await conn.execute(
                    select(User.id, User.max_chats, func.count(Chat.id))
                    .join(Chat, (Chat.assignee_id == User.id) & (Chat.status == "active"))
                    .where(User.id.in_([a.id for a in world.agents]))
                    .group_by(User.id, User.max_chats)
                )
            ).all()
        assert all(active <= maximum for _, maximum, active in load), load

        # Publishing: committed first, and visitors hear only about their own chats.
        assert bus.uncommitted == []
        own = {vid: {c for c in events if c in {ch.id for ch in await chats_of(ctx, vid)}} for vid in visitor_ids}
        for topic, payload in bus.published:
            if topic.startswith("visitor:"):
                assert frame_chat_id(frames([(topic, payload)])[0]) in own[topic.removeprefix("visitor:")]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs, group_commit=st.booleans())
async def test_random_operations_keep_the_invariants(ctx, program, group_commit):
    agents = getattr(ctx, "_random_agents", None)
    if agents is None:  # once per database: password hashing is deliberately slow
        agents = ctx._random_agents = [
            await new_agent(ctx),
            await new_agent(ctx),
            await new_agent(ctx, "supervisor"),
        ]
    world = World(visitors=[await new_visitor(ctx) for _ in range(VISITORS)], agents=agents)
    writer, bus = ctx.writer, ctx.bus
    if not group_commit:
        ctx.writer = None  # the one-message path; the writer keeps running for the next example
    ctx.bus = CommitCheckingBus(ctx)
    try:
        await run_program(ctx, world, [OPENING, *program])
        # Close what is still open, so the agents (shared by all examples) have room again.
        for visitor in world.visitors:
            for c in await chats_of(ctx, visitor.visitor_id):
                if c.status != "closed":
                    await do_close_chat(ctx=ctx, actor=agents[2], chat_id=c.id)
    finally:
        ctx.writer, ctx.bus = writer, bus
