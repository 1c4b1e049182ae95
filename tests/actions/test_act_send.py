"""Sending messages: opening a chat, numbering events, and retried client ids."""

from __future__ import annotations

import pytest

from frontdesk.actions.chats import (
    do_accept_chat,
    do_close_chat,
    do_send_agent_message,
    do_send_visitor_message,
)
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


async def test_first_message_opens_a_chat_and_later_ones_continue_the_seq(sctx):
    visitor = await new_visitor(sctx)
    first = await do_send_visitor_message(ctx=sctx, actor=visitor, text="  Hello?  ", client_id=new_cid())
    assert first.chat_started and not first.duplicate
    assert first.event["seq"] == 2 and first.event["kind"] == "message" and first.event["text"] == "Hello?"
    chat_id = first.event["chat_id"]
    events = await stored_events(sctx, chat_id)
    assert [(e.seq, e.kind, e.author_type) for e in events] == [
        (1, "chat.started", "system"),
        (2, "message", "visitor"),
    ]
    assert events[1].body == "Hello?"

    seqs = []
    for i in range(3):
        r = await do_send_visitor_message(
            ctx=sctx, actor=visitor, text=f"more {i}", client_id=new_cid(), chat_id=chat_id
        )
        assert not r.chat_started and not r.duplicate and r.event["chat_id"] == chat_id
        seqs.append(r.event["seq"])
    assert seqs == [3, 4, 5]
    row = await chat(sctx, chat_id)
    assert row.status == "queued" and row.last_seq == 5 and row.last_message_text == "more 2"
    assert len(await chats_of(sctx, visitor.visitor_id)) == 1
    await check_invariants(sctx, [visitor.visitor_id])


async def test_same_client_id_twice_returns_the_original(sctx):
    visitor = await new_visitor(sctx)
    cid = new_cid()
    first = await do_send_visitor_message(ctx=sctx, actor=visitor, text="only once", client_id=cid)
    chat_id = first.event["chat_id"]
    published = len(sctx.published)
    for hint in (None, chat_id):
        again = await do_send_visitor_message(ctx=sctx, actor=visitor, text="only once", client_id=cid, chat_id=hint)
        assert again.duplicate and not again.chat_started
        assert again.event["seq"] == first.event["seq"] and again.event["chat_id"] == chat_id
        assert again.event["text"] == "only once" and again.event["client_id"] == cid
    assert len(sctx.published) == published, "a retry must not be announced again"
    events = await stored_events(sctx, chat_id)
    assert [e.client_id for e in events].count(cid) == 1
    assert (await chat(sctx, chat_id)).last_seq == 2


async def test_retry_between_other_messages_keeps_its_place(sctx):
    visitor = await new_visitor(sctx)
    cid = new_cid()
    first = await do_send_visitor_message(ctx=sctx, actor=visitor, text="one", client_id=cid)
    chat_id = first.event["chat_id"]
    await do_send_visitor_message(ctx=sctx, actor=visitor, text="two", client_id=new_cid(), chat_id=chat_id)
    again = await do_send_visitor_message(ctx=sctx, actor=visitor, text="one", client_id=cid, chat_id=chat_id)
    assert again.duplicate and again.event["seq"] == 2
    third = await do_send_visitor_message(ctx=sctx, actor=visitor, text="three", client_id=new_cid(), chat_id=chat_id)
    assert third.event["seq"] == 4  # the retry reserved no seq
    await check_invariants(sctx, [visitor.visitor_id])


async def test_agent_reply_and_its_retry(sctx):
    visitor, agent = await new_visitor(sctx), await new_agent(sctx)
    chat_id = (await do_send_visitor_message(ctx=sctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    assigned = await do_accept_chat(ctx=sctx, actor=agent, chat_id=chat_id)
    assert assigned["seq"] == 3 and assigned["kind"] == "chat.assigned"
    assert assigned["data"]["agent"] == {"id": agent.id, "name": agent.name}
    cid = new_cid()
    reply = await do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text=" hello ", client_id=cid)
    assert not reply.duplicate and reply.event["seq"] == 4 and reply.event["text"] == "hello"
    assert reply.event["author"] == {"type": "agent", "id": agent.id, "name": agent.name}
    again = await do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="hello", client_id=cid)
    assert again.duplicate and again.event["seq"] == 4
    row = await chat(sctx, chat_id)
    assert row.status == "active" and row.assignee_id == agent.id and row.last_seq == 4
    assert row.last_message_author == "agent"
    await check_invariants(sctx, [visitor.visitor_id])


async def test_invalid_input_stores_nothing(sctx):
    visitor = await new_visitor(sctx)
    for text, cid, code in [
        ("", new_cid(), "bad_request"),
        ("x" * (sctx.settings.max_message_chars + 1), new_cid(), "too_large"),
        ("hi", "short", "bad_request"),
        ("hi", None, "bad_request"),
        ("a\x00b", new_cid(), "bad_request"),
    ]:
        with pytest.raises(ChatRuleError) as info:
            await do_send_visitor_message(ctx=sctx, actor=visitor, text=text, client_id=cid)
        assert info.value.code == code
    assert await chats_of(sctx, visitor.visitor_id) == []
    assert sctx.published == []


async def test_a_message_after_close_opens_a_new_chat(sctx):
    visitor = await new_visitor(sctx)
    old = (await do_send_visitor_message(ctx=sctx, actor=visitor, text="first", client_id=new_cid())).event
    await do_close_chat(ctx=sctx, actor=visitor, chat_id=old["chat_id"])
    # Even with the stale hint of the closed chat, the message goes to a new one.
    new = await do_send_visitor_message(
        ctx=sctx, actor=visitor, text="second", client_id=new_cid(), chat_id=old["chat_id"]
    )
    assert new.chat_started and new.event["chat_id"] != old["chat_id"] and new.event["seq"] == 2
    statuses = [c.status for c in await chats_of(sctx, visitor.visitor_id)]
    assert statuses == ["closed", "queued"]
    await check_invariants(sctx, [visitor.visitor_id])
    # The closed chat's events are unchanged.
    assert [e.kind for e in await stored_events(sctx, old["chat_id"])] == [
        "chat.started",
        "message",
        "chat.closed",
    ]


async def test_visitor_name_is_stored_with_the_message(sctx):
    visitor = await new_visitor(sctx)
    r = await do_send_visitor_message(ctx=sctx, actor=visitor, text="hi", client_id=new_cid(), visitor_name="Ana")
    assert r.event["author"] == {"type": "visitor", "name": "Ana"}
    started = [f for f in frames(sctx.published) if f.get("kind") == "chat.started"]
    assert len(started) == 3  # to the queue, the chat's followers and the visitor
