"""Invariants under real concurrency: many sends and accepts in flight against the database."""

from __future__ import annotations

import asyncio
from collections import Counter

import orjson
import pytest

from frontdesk.actions.chats import do_accept_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.support import (
    chat,
    chats_of,
    check_invariants,
    frames,
    new_agent,
    new_cid,
    new_visitor,
    stored_events,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def open_chat(ctx, visitor) -> int:
    r = await do_send_visitor_message(ctx=ctx, actor=visitor, text="opening", client_id=new_cid())
    return r.event["chat_id"]


@pytest.mark.parametrize("n", [50])
async def test_concurrent_sends_get_gapless_unique_seqs(sctx, n):
    visitor = await new_visitor(sctx)
    chat_id = await open_chat(sctx, visitor)
    cids = [new_cid() for _ in range(n)]
    batched_before = sctx.writer.messages if sctx.writer else 0
    results = await asyncio.gather(
        *(
            do_send_visitor_message(ctx=sctx, actor=visitor, text=f"m{i}", client_id=cid, chat_id=chat_id)
            for i, cid in enumerate(cids)
        )
    )
    assert all(not r.duplicate and r.event["chat_id"] == chat_id for r in results)
    seqs = sorted(r.event["seq"] for r in results)
    assert seqs == list(range(3, n + 3))
    events = await stored_events(sctx, chat_id)
    assert [e.seq for e in events] == list(range(1, n + 3))
    by_cid = {e.client_id: e for e in events if e.client_id}
    for i, (cid, r) in enumerate(zip(cids, results, strict=True)):
        assert by_cid[cid].seq == r.event["seq"] and by_cid[cid].body == f"m{i}"  # acked = stored
    assert (await chat(sctx, chat_id)).last_seq == n + 2
    if sctx.writer is not None:  # the group path really stored them, not the fallback
        assert sctx.writer.messages - batched_before == n
    # Every event was published once to each audience, in a consistent numbering.
    published = [f["seq"] for f in frames(sctx.published, f"visitor:{visitor.visitor_id}") if f["type"] == "event"]
    assert sorted(published) == list(range(1, n + 3))
    await check_invariants(sctx, [visitor.visitor_id])


async def test_concurrent_first_messages_share_one_chat(ctx):
    visitor = await new_visitor(ctx)
    n = 12
    results = await asyncio.gather(
        *(do_send_visitor_message(ctx=ctx, actor=visitor, text=f"first {i}", client_id=new_cid()) for i in range(n))
    )
    chats = await chats_of(ctx, visitor.visitor_id)
    assert len(chats) == 1
    assert {r.event["chat_id"] for r in results} == {chats[0].id}
    assert sum(r.chat_started for r in results) == 1
    assert sorted(r.event["seq"] for r in results) == list(range(2, n + 2))
    events = await stored_events(ctx, chats[0].id)
    assert [e.seq for e in events] == list(range(1, n + 2))
    # The attempts that lost the race to open the chat were rolled back, unannounced.
    started = [f for f in frames(ctx.published) if f.get("kind") == "chat.started"]
    assert {(f["chat_id"], f["seq"]) for f in started} == {(chats[0].id, 1)}
    assert len(started) == 3  # the queue, the visitor and the chat's watchers, once each
    await check_invariants(ctx, [visitor.visitor_id])


async def test_two_racing_first_messages(ctx):
    visitor = await new_visitor(ctx)
    a, b = await asyncio.gather(
        do_send_visitor_message(ctx=ctx, actor=visitor, text="a", client_id=new_cid()),
        do_send_visitor_message(ctx=ctx, actor=visitor, text="b", client_id=new_cid()),
    )
    assert a.event["chat_id"] == b.event["chat_id"]
    assert {a.event["seq"], b.event["seq"]} == {2, 3}
    assert [c.status for c in await chats_of(ctx, visitor.visitor_id)] == ["queued"]
    bodies = [e.body for e in await stored_events(ctx, a.event["chat_id"]) if e.kind == "message"]
    assert sorted(bodies) == ["a", "b"]


@pytest.mark.parametrize("existing_chat", [True, False], ids=["in-chat", "first-message"])
async def test_concurrent_retries_of_one_client_id_store_it_once(sctx, existing_chat):
    visitor = await new_visitor(sctx)
    chat_id = await open_chat(sctx, visitor) if existing_chat else None
    cid = new_cid()
    results = await asyncio.gather(
        *(
            do_send_visitor_message(ctx=sctx, actor=visitor, text="same", client_id=cid, chat_id=chat_id)
            for _ in range(20)
        )
    )
    assert sum(not r.duplicate for r in results) == 1
    assert len({(r.event["chat_id"], r.event["seq"]) for r in results}) == 1
    (chat_row,) = await chats_of(sctx, visitor.visitor_id)
    events = await stored_events(sctx, chat_row.id)
    assert [e.client_id for e in events].count(cid) == 1
    stored = next(e for e in events if e.client_id == cid)
    assert results[0].event["seq"] == stored.seq and results[0].event["text"] == "same"
    assert chat_row.last_seq == (3 if existing_chat else 2)
    # Announced once per audience, however many retries.
    topics = [t for t, p in sctx.published if orjson.loads(p).get("client_id") == cid]
    assert sorted(topics) == sorted(set(topics)) and f"visitor:{visitor.visitor_id}" in topics
    assert f"chat:{chat_row.id}" in topics and len(topics) == 3  # the visitor, the queue, chat watchers
    await check_invariants(sctx, [visitor.visitor_id])


async def test_ten_agents_race_to_accept_one_chat(ctx):
    visitor = await new_visitor(ctx)
    chat_id = await open_chat(ctx, visitor)
    agents = [await new_agent(ctx) for _ in range(10)]
    results = await asyncio.gather(
        *(do_accept_chat(ctx=ctx, actor=a, chat_id=chat_id) for a in agents), return_exceptions=True
    )
    winners = [(a, r) for a, r in zip(agents, results, strict=True) if isinstance(r, dict)]
    losers = [r for r in results if not isinstance(r, dict)]
    assert len(winners) == 1
    assert len(losers) == 9
    assert all(isinstance(e, ChatRuleError) and e.code == "conflict" for e in losers), losers
    winner, event = winners[0]
    row = await chat(ctx, chat_id)
    assert row.status == "active" and row.assignee_id == winner.id and row.last_seq == 3
    assigned = [e for e in await stored_events(ctx, chat_id) if e.kind == "chat.assigned"]
    assert len(assigned) == 1 and assigned[0].seq == event["seq"] == 3
    assert assigned[0].data["agent"]["id"] == winner.id
    announced = [f for f in frames(ctx.published, f"visitor:{visitor.visitor_id}") if f.get("kind") == "chat.assigned"]
    assert len(announced) == 1
    # Only the winner may reply.
    reply = await do_send_agent_message(ctx=ctx, actor=winner, chat_id=chat_id, text="hi", client_id=new_cid())
    assert reply.event["seq"] == 4
    await check_invariants(ctx, [visitor.visitor_id])


async def test_one_agent_racing_to_accept_many_chats_stops_at_their_maximum(ctx):
    agent = await new_agent(ctx)  # users.max_chats defaults to 3
    visitors = [await new_visitor(ctx) for _ in range(7)]
    chat_ids = [await open_chat(ctx, v) for v in visitors]
    results = await asyncio.gather(
        *(do_accept_chat(ctx=ctx, actor=agent, chat_id=c) for c in chat_ids), return_exceptions=True
    )
    accepted = [c for c, r in zip(chat_ids, results, strict=True) if isinstance(r, dict)]
    refused = [r for r in results if not isinstance(r, dict)]
    assert len(accepted) == 3
    assert all(isinstance(e, ChatRuleError) and e.code == "conflict" for e in refused), refused
    for c in chat_ids:
        row = await chat(ctx, c)
        assert (row.status, row.assignee_id) == (("active", agent.id) if c in accepted else ("queued", None))
    await check_invariants(ctx, [v.visitor_id for v in visitors])


async def test_visitor_and_agent_writing_at_once(sctx):
    visitor, agent = await new_visitor(sctx), await new_agent(sctx)
    chat_id = await open_chat(sctx, visitor)
    await do_accept_chat(ctx=sctx, actor=agent, chat_id=chat_id)
    sends = []
    for i in range(15):
        sends.append(
            do_send_visitor_message(ctx=sctx, actor=visitor, text=f"v{i}", client_id=new_cid(), chat_id=chat_id)
        )
        sends.append(do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text=f"a{i}", client_id=new_cid()))
    results = await asyncio.gather(*sends)
    assert sorted(r.event["seq"] for r in results) == list(range(4, 34))
    events = await stored_events(sctx, chat_id)
    kinds = Counter(e.author_type for e in events if e.kind == "message")
    assert kinds == {"visitor": 16, "agent": 15}
    await check_invariants(sctx, [visitor.visitor_id])


async def test_many_visitors_at_once(sctx):
    visitors = [await new_visitor(sctx) for _ in range(8)]

    async def conversation(v):
        first = await do_send_visitor_message(ctx=sctx, actor=v, text="hello", client_id=new_cid())
        chat_id = first.event["chat_id"]
        await asyncio.gather(
            *(
                do_send_visitor_message(ctx=sctx, actor=v, text=f"m{i}", client_id=new_cid(), chat_id=chat_id)
                for i in range(5)
            )
        )
        return chat_id

    chat_ids = await asyncio.gather(*(conversation(v) for v in visitors))
    assert len(set(chat_ids)) == len(visitors)
    events = await check_invariants(sctx, [v.visitor_id for v in visitors])
    assert all(len(events[c]) == 7 for c in chat_ids)
