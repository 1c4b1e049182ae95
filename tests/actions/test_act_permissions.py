"""Who may do what to a chat, checked by the actions themselves."""

from __future__ import annotations

import pytest

from frontdesk.actions import reads
from frontdesk.actions.chats import (
    do_accept_chat,
    do_close_chat,
    do_send_agent_message,
    do_send_visitor_message,
    relay_typing,
)
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.support import chat, new_agent, new_cid, new_visitor, stored_events

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def refused(coro) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    return info.value


async def queued_chat(ctx, visitor=None):
    visitor = visitor or await new_visitor(ctx)
    r = await do_send_visitor_message(ctx=ctx, actor=visitor, text="help please", client_id=new_cid())
    return visitor, r.event["chat_id"]


async def active_chat(ctx):
    visitor, chat_id = await queued_chat(ctx)
    owner = await new_agent(ctx)
    await do_accept_chat(ctx=ctx, actor=owner, chat_id=chat_id)
    return visitor, owner, chat_id


async def test_only_the_assignee_may_reply(sctx):
    _visitor, owner, chat_id = await active_chat(sctx)
    published = len(sctx.published)
    for role in ("agent", "admin"):
        other = await new_agent(sctx, role)
        err = await refused(
            do_send_agent_message(ctx=sctx, actor=other, chat_id=chat_id, text="hi", client_id=new_cid())
        )
        assert err.code == "forbidden"
    assert (await chat(sctx, chat_id)).last_seq == 3  # nothing reserved, nothing stored
    assert len(sctx.published) == published
    ok = await do_send_agent_message(ctx=sctx, actor=owner, chat_id=chat_id, text="hi", client_id=new_cid())
    assert ok.event["seq"] == 4


async def test_an_agent_who_is_not_the_assignee_cannot_close(ctx):
    _visitor, _owner, chat_id = await active_chat(ctx)
    other = await new_agent(ctx, "agent")
    assert (await refused(do_close_chat(ctx=ctx, actor=other, chat_id=chat_id))).code == "forbidden"
    row = await chat(ctx, chat_id)
    assert row.status == "active" and row.last_seq == 3


@pytest.mark.parametrize("role", ["supervisor", "admin"])
async def test_leads_may_close_any_chat(ctx, role):
    visitor, _owner, chat_id = await active_chat(ctx)
    lead = await new_agent(ctx, role)
    event = await do_close_chat(ctx=ctx, actor=lead, chat_id=chat_id)
    assert event["kind"] == "chat.closed" and event["data"] == {"by": "agent"} and event["seq"] == 4
    row = await chat(ctx, chat_id)
    assert row.status == "closed" and row.closed_by == "agent"
    assert (await refused(do_close_chat(ctx=ctx, actor=lead, chat_id=chat_id))).code == "chat_closed"


async def test_assignee_and_visitor_may_close_their_chat(ctx):
    _visitor, owner, chat_id = await active_chat(ctx)
    await do_close_chat(ctx=ctx, actor=owner, chat_id=chat_id)
    assert (await chat(ctx, chat_id)).closed_by == "agent"
    visitor, chat_id = await queued_chat(ctx)
    event = await do_close_chat(ctx=ctx, actor=visitor, chat_id=chat_id)
    assert event["data"] == {"by": "visitor", "reason": "missed"}  # gave up while waiting
    assert (await chat(ctx, chat_id)).missed


async def test_any_agent_may_close_a_queued_chat(ctx):
    _visitor, chat_id = await queued_chat(ctx)
    agent = await new_agent(ctx)
    await do_close_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    assert (await chat(ctx, chat_id)).status == "closed"


async def test_a_visitor_reaches_only_their_own_chat(ctx):
    owner, chat_id = await queued_chat(ctx)
    stranger = await new_visitor(ctx)
    err = await refused(reads.events_for_visitor(ctx=ctx, actor=stranger, chat_id=chat_id))
    assert err.code == "not_found"
    err = await refused(do_close_chat(ctx=ctx, actor=stranger, chat_id=chat_id))
    assert err.code == "not_found"
    assert (await chat(ctx, chat_id)).status == "queued"
    # The same answer as for a chat that does not exist: nothing to learn from probing ids.
    missing = await refused(reads.events_for_visitor(ctx=ctx, actor=stranger, chat_id=chat_id + 10_000))
    assert (missing.code, missing.message) == (err.code, err.message)
    # The owner reads it, and the stranger's own first message opens a chat of their own.
    mine = await reads.events_for_visitor(ctx=ctx, actor=owner, chat_id=chat_id)
    assert [e["seq"] for e in mine["events"]] == [1, 2] and mine["last_seq"] == 2
    theirs = await do_send_visitor_message(ctx=ctx, actor=stranger, text="me too", client_id=new_cid(), chat_id=chat_id)
    assert theirs.event["chat_id"] != chat_id
    assert [e.body for e in await stored_events(ctx, chat_id) if e.kind == "message"] == ["help please"]


async def test_sending_into_a_closed_chat(sctx):
    _visitor, owner, chat_id = await active_chat(sctx)
    await do_close_chat(ctx=sctx, actor=owner, chat_id=chat_id)
    published = len(sctx.published)
    err = await refused(
        do_send_agent_message(ctx=sctx, actor=owner, chat_id=chat_id, text="still there?", client_id=new_cid())
    )
    assert err.code == "chat_closed"
    assert (await chat(sctx, chat_id)).last_seq == 4
    assert len(sctx.published) == published


async def test_replying_to_a_queued_chat_is_a_conflict(sctx):
    _visitor, chat_id = await queued_chat(sctx)
    agent = await new_agent(sctx)
    err = await refused(do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="hi", client_id=new_cid()))
    assert err.code == "conflict"
    assert (await chat(sctx, chat_id)).last_seq == 2


async def test_accepting_twice_or_a_closed_chat(ctx):
    _visitor, owner, chat_id = await active_chat(ctx)
    assert (await refused(do_accept_chat(ctx=ctx, actor=owner, chat_id=chat_id))).code == "conflict"
    await do_close_chat(ctx=ctx, actor=owner, chat_id=chat_id)
    other = await new_agent(ctx)
    assert (await refused(do_accept_chat(ctx=ctx, actor=other, chat_id=chat_id))).code == "chat_closed"
    assert (await chat(ctx, chat_id)).assignee_id == owner.id


async def test_missing_chats_are_not_found(sctx):
    agent = await new_agent(sctx)
    missing = 987_654
    for coro in (
        do_send_agent_message(ctx=sctx, actor=agent, chat_id=missing, text="hi", client_id=new_cid()),
        do_accept_chat(ctx=sctx, actor=agent, chat_id=missing),
        do_close_chat(ctx=sctx, actor=agent, chat_id=missing),
        reads.events_for_agent(ctx=sctx, actor=agent, chat_id=missing),
    ):
        assert (await refused(coro)).code == "not_found"
    assert sctx.published == []


async def test_unknown_role_is_refused_everywhere(sctx):
    visitor, owner, chat_id = await active_chat(sctx)
    intruder = owner.__class__(id=owner.id, name=owner.name, role="guest")  # the assignee, demoted
    for coro in (
        do_send_agent_message(ctx=sctx, actor=intruder, chat_id=chat_id, text="hi", client_id=new_cid()),
        do_close_chat(ctx=sctx, actor=intruder, chat_id=chat_id),
    ):
        assert (await refused(coro)).code == "forbidden"
    assert (await chat(sctx, chat_id)).status == "active"


async def test_typing_from_an_agent_who_is_not_the_assignee(ctx):
    visitor, _owner, chat_id = await active_chat(ctx)
    other = await new_agent(ctx)
    published = len(ctx.published)
    err = await refused(relay_typing(ctx=ctx, actor=other, chat_id=chat_id, typing=True))
    assert err.code == "forbidden"
    assert len(ctx.published) == published
