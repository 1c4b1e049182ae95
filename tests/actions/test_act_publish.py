"""Events are published after commit, only on success, and only to their audience."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import insert

from frontdesk.actions.chats import (
    do_accept_chat,
    do_close_chat,
    do_send_agent_message,
    do_send_visitor_message,
    relay_typing,
)
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import Message
from tests.actions.support import (
    CommitCheckingBus,
    chats_of,
    frame_chat_id,
    frames,
    new_agent,
    new_cid,
    new_visitor,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def full_conversation(ctx, visitor, agent, *, n: int = 3) -> int:
    first = await do_send_visitor_message(ctx=ctx, actor=visitor, text="hello", client_id=new_cid())
    chat_id = first.event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    sends = []
    for i in range(n):
        sends.append(
            do_send_visitor_message(ctx=ctx, actor=visitor, text=f"v{i}", client_id=new_cid(), chat_id=chat_id)
        )
        sends.append(do_send_agent_message(ctx=ctx, actor=agent, chat_id=chat_id, text=f"a{i}", client_id=new_cid()))
    await asyncio.gather(*sends)
    await do_close_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    return chat_id


async def test_every_published_event_was_already_committed(sctx):
    bus = CommitCheckingBus(sctx)
    sctx.bus = bus
    visitor, agent = await new_visitor(sctx), await new_agent(sctx)
    chat_id = await full_conversation(sctx, visitor, agent, n=5)
    seqs = sorted({f["seq"] for f in frames(bus.published) if f["type"] == "event"})
    assert seqs == list(range(1, 3 + 10 + 2))
    assert bus.uncommitted == []
    assert all(frame_chat_id(f) == chat_id for f in frames(bus.published))


async def test_the_commit_check_catches_an_uncommitted_event(ctx):
    """The probe above can fail: an event published inside its transaction is caught."""
    bus = CommitCheckingBus(ctx)
    visitor = await new_visitor(ctx)
    chat_id = (await do_send_visitor_message(ctx=ctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    frame = {"type": "event", "chat_id": chat_id, "seq": 3, "kind": "message", "client_id": "c" * 10}
    with pytest.raises(RuntimeError):
        async with ctx.db.write() as conn:
            await conn.execute(
                insert(Message).values(
                    chat_id=chat_id,
                    seq=3,
                    kind="message",
                    author_type="visitor",
                    body="early",
                    client_id="c" * 10,
                    data={},
                    created_at=utcnow(),
                )
            )
            await bus.publish([("queue", orjson.dumps(frame).decode())])
            raise RuntimeError("roll back")
    assert [f["seq"] for _, f in bus.uncommitted] == [3]


async def test_failed_actions_publish_nothing(sctx):
    visitor, agent, other = await new_visitor(sctx), await new_agent(sctx), await new_agent(sctx)
    chat_id = (await do_send_visitor_message(ctx=sctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    before = list(sctx.published)

    async def fails(coro, code):
        with pytest.raises(ChatRuleError) as info:
            await coro
        assert info.value.code == code
        assert sctx.published == before, f"{code}: published {sctx.published[len(before) :]}"

    await fails(
        do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="x", client_id=new_cid()),
        "conflict",
    )
    await do_accept_chat(ctx=sctx, actor=agent, chat_id=chat_id)
    before = list(sctx.published)
    await fails(do_accept_chat(ctx=sctx, actor=other, chat_id=chat_id), "conflict")
    await fails(
        do_send_agent_message(ctx=sctx, actor=other, chat_id=chat_id, text="x", client_id=new_cid()),
        "forbidden",
    )
    await fails(do_close_chat(ctx=sctx, actor=other, chat_id=chat_id), "forbidden")
    await fails(do_close_chat(ctx=sctx, actor=await new_visitor(sctx), chat_id=chat_id), "not_found")
    await fails(do_send_visitor_message(ctx=sctx, actor=visitor, text=" ", client_id=new_cid()), "bad_request")
    await do_close_chat(ctx=sctx, actor=agent, chat_id=chat_id)
    before = list(sctx.published)
    await fails(
        do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="x", client_id=new_cid()),
        "chat_closed",
    )
    await fails(do_close_chat(ctx=sctx, actor=agent, chat_id=chat_id), "chat_closed")
    await fails(do_accept_chat(ctx=sctx, actor=other, chat_id=chat_id), "chat_closed")


async def test_duplicate_sends_publish_nothing(sctx):
    visitor = await new_visitor(sctx)
    cid = new_cid()
    first = await do_send_visitor_message(ctx=sctx, actor=visitor, text="hi", client_id=cid)
    before = list(sctx.published)
    for hint in (None, first.event["chat_id"]):
        r = await do_send_visitor_message(ctx=sctx, actor=visitor, text="hi", client_id=cid, chat_id=hint)
        assert r.duplicate
    assert sctx.published == before


async def test_visitors_hear_only_about_their_own_chats(sctx):
    agent = await new_agent(sctx)
    alice, bob = await new_visitor(sctx), await new_visitor(sctx)
    alice_chat, bob_chat = await asyncio.gather(
        full_conversation(sctx, alice, agent), full_conversation(sctx, bob, agent)
    )
    await relay_typing(ctx=sctx, actor=alice, chat_id=None, typing=True)  # closed: nothing to relay
    carol = await new_visitor(sctx)
    carol_chat = (await do_send_visitor_message(ctx=sctx, actor=carol, text="yo", client_id=new_cid())).event["chat_id"]
    await relay_typing(ctx=sctx, actor=carol, chat_id=None, typing=True)
    mine = {alice.visitor_id: {alice_chat}, bob.visitor_id: {bob_chat}, carol.visitor_id: {carol_chat}}
    for topic, payload in sctx.published:
        if topic.startswith("visitor:"):
            frame = frames([(topic, payload)])[0]
            assert frame["type"] in ("event", "typing"), frame  # no agent-side summaries
            assert frame_chat_id(frame) in mine[topic.removeprefix("visitor:")], (topic, frame)
    # Each visitor saw their whole conversation, in order of seq.
    alice_seqs = [f["seq"] for f in frames(sctx.published, f"visitor:{alice.visitor_id}") if f["type"] == "event"]
    assert sorted(alice_seqs) == list(range(1, 3 + 6 + 2))
    # The visitor's own typing goes to the agents' side only.
    carol_typing = [
        t for t, p in sctx.published if '"typing"' in p and frame_chat_id(frames([(t, p)])[0]) == carol_chat
    ]
    assert carol_typing == ["queue:1"]


async def test_an_assigned_chat_reaches_only_its_assignee_and_visitor(sctx):
    visitor, agent, bystander = await new_visitor(sctx), await new_agent(sctx), await new_agent(sctx)
    first = await do_send_visitor_message(ctx=sctx, actor=visitor, text="hello", client_id=new_cid())
    chat_id = first.event["chat_id"]
    queued_topics = {t for t, p in sctx.published if frame_chat_id(frames([(t, p)])[0]) == chat_id}
    # A queued chat: the queue hears, and so do its followers, the department's monitors and the
    # live view of visitors (its chat state: waiting).
    assert queued_topics == {"queue:1", f"visitor:{visitor.visitor_id}", f"chat:{chat_id}", "monitor:1", "visitors"}

    await do_accept_chat(ctx=sctx, actor=agent, chat_id=chat_id)
    mark = len(sctx.published)
    await do_send_visitor_message(ctx=sctx, actor=visitor, text="thanks", client_id=new_cid(), chat_id=chat_id)
    await do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="sure", client_id=new_cid())
    await relay_typing(ctx=sctx, actor=visitor, chat_id=None, typing=True)
    await relay_typing(ctx=sctx, actor=agent, chat_id=chat_id, typing=True)
    after = sctx.published[mark:]
    event_topics = sorted(t for t, p in after if frames([(t, p)])[0]["type"] == "event")
    assert event_topics == sorted([f"agent:{agent.id}", f"visitor:{visitor.visitor_id}", f"chat:{chat_id}"] * 2)
    typing_topics = [t for t, p in after if frames([(t, p)])[0]["type"] == "typing"]
    assert typing_topics == [f"agent:{agent.id}", f"visitor:{visitor.visitor_id}"]
    assert not any(t in ("queue:1", f"agent:{bystander.id}") for t, _ in after)


async def test_accept_and_close_announcements(ctx):
    visitor, agent = await new_visitor(ctx), await new_agent(ctx)
    chat_id = (await do_send_visitor_message(ctx=ctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    mark = len(ctx.published)
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    accepted = [(t, f) for t, f in zip([t for t, _ in ctx.published[mark:]], frames(ctx.published[mark:]), strict=True)]
    assigned_topics = sorted(t for t, f in accepted if f.get("kind") == "chat.assigned")
    # The assignee and the visitor, and the queue so other agents see the chat leave it.
    assert assigned_topics == sorted(
        ["queue:1", f"agent:{agent.id}", f"visitor:{visitor.visitor_id}", f"chat:{chat_id}"]
    )
    summaries = {t: f["chat"] for t, f in accepted if f["type"] == "chat.updated"}
    assert set(summaries) == {"queue:1", f"agent:{agent.id}", "monitor:1", f"chat:{chat_id}", "visitors"}
    assert all(s["status"] == "active" and s["assignee"]["id"] == agent.id for s in summaries.values())

    mark = len(ctx.published)
    await do_close_chat(ctx=ctx, actor=visitor, chat_id=chat_id)
    closed = frames(ctx.published[mark:])
    closed_topics = sorted(
        t for (t, _), f in zip(ctx.published[mark:], closed, strict=True) if f.get("kind") == "chat.closed"
    )
    assert closed_topics == sorted([f"agent:{agent.id}", f"visitor:{visitor.visitor_id}", f"chat:{chat_id}"])
    assert [c.status for c in await chats_of(ctx, visitor.visitor_id)] == ["closed"]
