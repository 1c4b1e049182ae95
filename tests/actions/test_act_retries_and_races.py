"""Retries and races that once broke an invariant (found by these tests, fixed since):
retries after a chat closed, retries answered before permission checks, agent capacity on
accept, and close racing accept on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.support import chat, chats_of, frames, new_agent, new_cid, new_visitor, stored_events

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_visitor_retry_after_the_chat_closed_returns_the_original(ctx):
    """Weak network: the message was stored and the ack lost; the agent closed the chat; the
    widget reconnects (its welcome says: no open chat) and retries the same client id."""
    visitor, agent = await new_visitor(ctx), await new_agent(ctx)
    cid = new_cid()
    first = await do_send_visitor_message(ctx=ctx, actor=visitor, text="thanks, bye", client_id=cid)
    chat_id = first.event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    await do_close_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    retry = await do_send_visitor_message(ctx=ctx, actor=visitor, text="thanks, bye", client_id=cid)
    assert retry.duplicate and retry.event["chat_id"] == chat_id and retry.event["seq"] == first.event["seq"]
    assert len(await chats_of(ctx, visitor.visitor_id)) == 1


async def test_agent_retry_after_the_chat_closed_returns_the_original(sctx, send_path, request):
    visitor, agent = await new_visitor(sctx), await new_agent(sctx)
    chat_id = (await do_send_visitor_message(ctx=sctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    await do_accept_chat(ctx=sctx, actor=agent, chat_id=chat_id)
    cid = new_cid()
    first = await do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="bye", client_id=cid)
    await do_close_chat(ctx=sctx, actor=visitor, chat_id=chat_id)
    retry = await do_send_agent_message(ctx=sctx, actor=agent, chat_id=chat_id, text="bye", client_id=cid)
    assert retry.duplicate and retry.event["seq"] == first.event["seq"]


async def test_group_path_does_not_hand_a_visitor_another_visitors_message(ctx):
    alice, bob = await new_visitor(ctx), await new_visitor(ctx)
    bob_cid = new_cid()
    bob_msg = await do_send_visitor_message(ctx=ctx, actor=bob, text="my card ends 4242", client_id=bob_cid)
    bob_chat = bob_msg.event["chat_id"]
    try:
        result = await do_send_visitor_message(ctx=ctx, actor=alice, text="hello", client_id=bob_cid, chat_id=bob_chat)
    except ChatRuleError as err:
        assert err.code in ("not_found", "bad_request", "conflict")
        return
    assert result.event["chat_id"] != bob_chat
    assert result.event["text"] == "hello"


async def test_group_path_checks_the_assignee_before_answering_a_retry(ctx):
    visitor, owner, other = await new_visitor(ctx), await new_agent(ctx), await new_agent(ctx)
    chat_id = (await do_send_visitor_message(ctx=ctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=owner, chat_id=chat_id)
    cid = new_cid()
    await do_send_agent_message(ctx=ctx, actor=owner, chat_id=chat_id, text="hello", client_id=cid)
    with pytest.raises(ChatRuleError) as info:
        await do_send_agent_message(ctx=ctx, actor=other, chat_id=chat_id, text="hello", client_id=cid)
    assert info.value.code == "forbidden"


async def test_accept_respects_the_agents_maximum(ctx):
    agent = await new_agent(ctx)  # users.max_chats defaults to 3
    chat_ids = []
    for _ in range(4):
        v = await new_visitor(ctx)
        chat_ids.append(
            (await do_send_visitor_message(ctx=ctx, actor=v, text="hi", client_id=new_cid())).event["chat_id"]
        )
    for chat_id in chat_ids[:3]:
        await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    with pytest.raises(ChatRuleError):
        await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_ids[3])
    assert (await chat(ctx, chat_ids[3])).status == "queued"


async def _waiting_on_locks(ctx) -> int:
    async with ctx.db.read() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        ).scalar_one()


async def _until_waiting(ctx, n: int) -> None:
    for _ in range(500):
        if await _waiting_on_locks(ctx) >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never saw {n} sessions waiting on the chat's row lock")


async def test_close_checks_permission_on_the_chat_it_closes(ctx):
    """Agent A closes a queued chat (allowed: nobody has it) while agent B accepts it. If B wins,
    A is no longer allowed to close it; the close must then be refused, not applied."""
    if ctx.db.is_sqlite:
        pytest.skip("SQLite serialises write transactions from BEGIN IMMEDIATE: this race cannot happen")
    visitor = await new_visitor(ctx)
    chat_id = (await do_send_visitor_message(ctx=ctx, actor=visitor, text="hi", client_id=new_cid())).event["chat_id"]
    closer, taker = await new_agent(ctx), await new_agent(ctx)
    # Hold the chat's row lock so both actions read "queued" and then queue up behind it,
    # accept first, close second, exactly as two requests arriving together can.
    async with ctx.db.write_engine.connect() as blocker:
        await blocker.begin()
        await blocker.execute(text("SELECT id FROM chats WHERE id = :id FOR UPDATE"), {"id": chat_id})
        accept = asyncio.create_task(do_accept_chat(ctx=ctx, actor=taker, chat_id=chat_id))
        await _until_waiting(ctx, 1)
        close = asyncio.create_task(do_close_chat(ctx=ctx, actor=closer, chat_id=chat_id))
        await _until_waiting(ctx, 2)
        await blocker.commit()
    accepted, closed = await asyncio.gather(accept, close, return_exceptions=True)
    assert isinstance(accepted, dict), accepted  # B won the chat
    row = await chat(ctx, chat_id)
    closed_frames = [
        t
        for t, f in zip([t for t, _ in ctx.published], frames(ctx.published), strict=True)
        if f.get("kind") == "chat.closed"
    ]
    assert isinstance(closed, ChatRuleError) and closed.code == "forbidden", (
        f"agent {closer.id} closed agent {taker.id}'s chat (status {row.status}, closed_by "
        f"{row.closed_by}); chat.closed went to {closed_frames}"
    )
    assert row.status == "active"
    assert [e.kind for e in await stored_events(ctx, chat_id)][-1] == "chat.assigned"
