"""Automatic routing against a real database: offers to the agent with the fewest chats, accept
only by the offered agent, decline, expiry (agent set away), withdrawal on disconnect, capacity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from frontdesk.actions import availability, dispatch, offers
from frontdesk.actions.chats import do_accept_chat, do_close_chat
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.routing_support import (
    bring_online,
    chat,
    expire_offer_now,
    first_message,
    held,
    make_admin,
    make_agent,
    make_department,
    published_frames,
    routing_log,
    set_last_assigned,
    staff,
    status_of,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def team(ctx, n: int, *, slug: str = "sales", max_chats: int = 3, **fields):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, slug, **fields)
    agents = [await make_agent(ctx, admin, max_chats=max_chats) for _ in range(n)]
    await staff(ctx, admin, dept["id"], agents)
    ctx.published.clear()
    return admin, dept, agents


async def refused(coro, code: str) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    assert info.value.code == code, info.value.message
    return info.value


async def test_first_message_queues_and_dispatch_offers_fewest_then_longest_idle(ctx):
    admin, dept, (a, b, c) = await team(ctx, 3, offer_timeout_seconds=30)
    assert dept["routing"] == "auto"
    # a already has a chat (in the default department); b and c none; b has been idle longer than c.
    v0 = await new_visitor(ctx)
    general_chat = await first_message(ctx, v0, None)
    await do_accept_chat(ctx=ctx, actor=a, chat_id=general_chat)
    await set_last_assigned(ctx, b.id, 10)
    await set_last_assigned(ctx, c.id, 5)

    v1 = await new_visitor(ctx)
    chat1 = await first_message(ctx, v1, "sales")
    row = await chat(ctx, chat1)
    assert (row.status, row.department_id, row.offered_to, row.assignee_id) == ("queued", dept["id"], None, None)
    assert [r.kind for r in await routing_log(ctx, chat_id=chat1)] == ["queued"]

    before = utcnow()
    await ctx.router.run_once()
    row = await chat(ctx, chat1)
    assert row.offered_to == b.id  # 0 chats and idle longest
    assert before + timedelta(seconds=29) <= as_utc(row.offer_expires_at) <= utcnow() + timedelta(seconds=31)
    offers = published_frames(ctx, f"agent:{b.id}", "chat.offered")
    assert [f["chat"]["id"] for f in offers] == [chat1] and offers[0]["expires_at"].endswith("Z")
    assert not published_frames(ctx, f"agent:{c.id}", "chat.offered")
    assert [(r.kind, r.agent_id) for r in await routing_log(ctx, chat_id=chat1)][-1] == ("offered", b.id)

    chat2 = await first_message(ctx, await new_visitor(ctx), "sales")
    await dispatch.do_dispatch(ctx, dept["id"])
    assert (await chat(ctx, chat2)).offered_to == c.id  # b now holds an offer, c holds nothing

    # Everyone holds one: the tie goes to the longest idle, a (never offered anything).
    chat3 = await first_message(ctx, await new_visitor(ctx), "sales")
    await dispatch.do_dispatch(ctx, dept["id"])
    assert (await chat(ctx, chat3)).offered_to == a.id

    # Only the offered agent may accept; the others get a conflict and nothing changes.
    error = await refused(do_accept_chat(ctx=ctx, actor=c, chat_id=chat1), "conflict")
    assert "offered to another agent" in error.message
    await refused(do_accept_chat(ctx=ctx, actor=admin, chat_id=chat1), "conflict")
    assert (await chat(ctx, chat1)).offered_to == b.id
    await do_accept_chat(ctx=ctx, actor=b, chat_id=chat1)
    row = await chat(ctx, chat1)
    assert (row.status, row.assignee_id, row.offered_to, row.offer_expires_at) == ("active", b.id, None, None)
    assert (await routing_log(ctx, chat_id=chat1))[-1].kind == "assigned"
    await refused(do_accept_chat(ctx=ctx, actor=b, chat_id=chat1), "conflict")  # already theirs


async def test_accept_needs_membership(ctx):
    admin, dept, (a,) = await team(ctx, 1, routing="pick")
    outsider = await make_agent(ctx, admin)
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to is None  # pick: nobody is offered anything
    await refused(do_accept_chat(ctx=ctx, actor=outsider, chat_id=chat_id), "forbidden")
    await do_accept_chat(ctx=ctx, actor=a, chat_id=chat_id)
    assert (await chat(ctx, chat_id)).assignee_id == a.id


async def test_decline_passes_the_chat_to_the_next_agent(ctx):
    _admin, dept, (a, b) = await team(ctx, 2)
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    first = (await chat(ctx, chat_id)).offered_to
    second = b if first == a.id else a
    first_agent = a if first == a.id else b
    await refused(offers.do_decline_offer(ctx=ctx, actor=second, chat_id=chat_id), "conflict")  # not theirs

    await offers.do_decline_offer(ctx=ctx, actor=first_agent, chat_id=chat_id)
    row = await chat(ctx, chat_id)
    assert (row.status, row.offered_to, row.offer_expires_at) == ("queued", None, None)
    await refused(offers.do_decline_offer(ctx=ctx, actor=first_agent, chat_id=chat_id), "conflict")
    await ctx.router.run_once()  # the decline kicked the router
    assert (await chat(ctx, chat_id)).offered_to == second.id
    assert [(r.kind, r.agent_id) for r in await routing_log(ctx, chat_id=chat_id)] == [
        ("queued", None),
        ("offered", first_agent.id),
        ("declined", first_agent.id),
        ("offered", second.id),
    ]
    # The one who declined cannot take it from under the new offer.
    await refused(do_accept_chat(ctx=ctx, actor=first_agent, chat_id=chat_id), "conflict")
    await do_accept_chat(ctx=ctx, actor=second, chat_id=chat_id)
    assert await status_of(ctx, first_agent.id) == "online"  # declining is not a timeout


async def test_expired_offer_sets_the_agent_away_and_goes_to_the_next(ctx):
    _admin, dept, (a, b) = await team(ctx, 2, offer_timeout_seconds=5)
    await set_last_assigned(ctx, b.id, 1)  # a is idle longer: a is offered first
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    row = await chat(ctx, chat_id)
    assert row.offered_to == a.id
    assert as_utc(row.offer_expires_at) <= utcnow() + timedelta(seconds=5)

    assert await offers.do_expire_offers(ctx) == 0  # not due yet: nothing happens
    assert (await chat(ctx, chat_id)).offered_to == a.id
    await expire_offer_now(ctx, chat_id)
    assert await offers.do_expire_offers(ctx) == 1
    assert await status_of(ctx, a.id) == "away"
    status_frames = published_frames(ctx, f"agent:{a.id}", "agent.status")
    assert status_frames[-1] == {"type": "agent.status", "status": "away", "reason": "offer_expired"}
    assert (await chat(ctx, chat_id)).offered_to is None
    await ctx.router.run_once()
    row = await chat(ctx, chat_id)
    assert row.offered_to == b.id
    kinds = [(r.kind, r.agent_id) for r in await routing_log(ctx, chat_id=chat_id)]
    assert ("offer_expired", a.id) in kinds and kinds[-1] == ("offered", b.id)
    # The late agent can no longer accept; an expired offer already taken back is not expired twice.
    await refused(do_accept_chat(ctx=ctx, actor=a, chat_id=chat_id), "conflict")
    assert await offers.do_expire_offers(ctx) == 0


async def test_expiry_by_waiting_for_the_real_timeout(ctx):
    _admin, dept, (a, b) = await team(ctx, 2, offer_timeout_seconds=5)
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    offered = (await chat(ctx, chat_id)).offered_to
    # Time moves by itself too: set the deadline 0.3 s ahead and wait for it.
    from sqlalchemy import update

    from frontdesk.store.models import Chat

    async with ctx.db.write() as conn:
        await conn.execute(
            update(Chat).where(Chat.id == chat_id).values(offer_expires_at=utcnow() + timedelta(seconds=0.3))
        )
    assert await offers.do_expire_offers(ctx) == 0
    import asyncio

    await asyncio.sleep(0.4)
    assert await offers.do_expire_offers(ctx) == 1
    assert await status_of(ctx, offered) == "away"
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == ({a.id, b.id} - {offered}).pop()


async def test_an_agent_whose_last_tab_closes_does_not_hold_the_offer(ctx):
    _admin, dept, (a, b) = await team(ctx, 2)
    await set_last_assigned(ctx, b.id, 1)
    await ctx.presence.agent_connected(a.id)  # a second tab
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == a.id

    assert await ctx.presence.agent_disconnected(a.id) is False  # one tab of two: still there
    assert (await chat(ctx, chat_id)).offered_to == a.id
    assert await ctx.presence.agent_disconnected(a.id) is True  # the last one
    assert await offers.do_withdraw_offers(ctx, a.id) == [chat_id]  # what the socket does on close
    assert (await chat(ctx, chat_id)).offered_to is None
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == b.id
    assert ("offer_withdrawn", a.id) in [(r.kind, r.agent_id) for r in await routing_log(ctx, chat_id=chat_id)]
    # a is not connected: never offered anything now, even with room.
    other = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    assert (await chat(ctx, other)).offered_to == b.id


async def test_an_agent_who_reconnects_is_offered_the_chat_again(ctx):
    """A withdrawn offer is no refusal (regression: before 3ee727d it counted like a decline forever)."""
    _admin, dept, (a,) = await team(ctx, 1)
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == a.id
    assert await ctx.presence.agent_disconnected(a.id) is True  # a page reload
    await offers.do_withdraw_offers(ctx, a.id)
    await ctx.presence.agent_connected(a.id)
    await availability.do_agent_came_online(ctx, a.id)
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == a.id


async def test_going_away_withdraws_offers_and_no_new_ones_come(ctx):
    _admin, dept, (a, b) = await team(ctx, 2)
    await set_last_assigned(ctx, b.id, 1)
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == a.id
    await availability.do_set_my_status(ctx=ctx, actor=a, status="away")
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == b.id
    await refused(availability.do_set_my_status(ctx=ctx, actor=a, status="busy"), "bad_request")


async def test_capacity_counts_offers_and_accepts_and_the_queue_moves_when_a_chat_closes(ctx):
    admin, dept, (a, b) = await team(ctx, 2, max_chats=2)
    from frontdesk.actions.users import do_update_user

    await do_update_user(ctx=ctx, actor=admin, user_id=a.id, data={"max_chats": 1})
    chat_ids = [await first_message(ctx, await new_visitor(ctx), "sales") for _ in range(5)]
    await ctx.router.run_once()
    rows = [await chat(ctx, c) for c in chat_ids]
    offered = [r.offered_to for r in rows]
    # Three slots (a: 1, b: 2), first come first served: the three oldest are offered.
    assert sorted(offered[:3]) == sorted([a.id, b.id, b.id]) and offered[3:] == [None, None]
    assert await held(ctx, [a.id, b.id]) == {a.id: 1, b.id: 2}

    mine = chat_ids[offered.index(a.id)]
    await do_accept_chat(ctx=ctx, actor=a, chat_id=mine)
    # Full: a cannot also take a waiting chat from the queue (offers and accepts count together).
    error = await refused(do_accept_chat(ctx=ctx, actor=a, chat_id=chat_ids[3]), "conflict")
    assert "maximum" in error.message
    b_offers = [c for c, o in zip(chat_ids, offered, strict=True) if o == b.id]
    await refused(do_accept_chat(ctx=ctx, actor=b, chat_id=chat_ids[3]), "conflict")  # b holds 2 offers
    await do_accept_chat(ctx=ctx, actor=b, chat_id=b_offers[0])
    await ctx.router.run_once()
    assert [(await chat(ctx, c)).offered_to for c in chat_ids[3:]] == [None, None]  # still nobody with room
    assert await held(ctx, [a.id, b.id]) == {a.id: 1, b.id: 2}

    # The moment a chat closes, the oldest waiting chat is offered to whoever got room.
    await do_close_chat(ctx=ctx, actor=a, chat_id=mine)
    await ctx.router.run_once()
    assert (await chat(ctx, chat_ids[3])).offered_to == a.id
    assert (await chat(ctx, chat_ids[4])).offered_to is None
    assert await held(ctx, [a.id, b.id]) == {a.id: 1, b.id: 2}
    await do_close_chat(ctx=ctx, actor=b, chat_id=b_offers[0])
    await ctx.router.run_once()
    assert (await chat(ctx, chat_ids[4])).offered_to == b.id


async def test_an_agent_coming_online_gets_the_waiting_chats(ctx):
    admin, dept, (a,) = await team(ctx, 1, max_chats=1)
    late = await make_agent(ctx, admin, online=False)
    await staff(ctx, admin, dept["id"], [a, late])
    chat_ids = [await first_message(ctx, await new_visitor(ctx), "sales") for _ in range(3)]
    await ctx.router.run_once()
    assert [(await chat(ctx, c)).offered_to for c in chat_ids] == [a.id, None, None]
    await availability.do_set_agent_status(ctx, late.id, "online")  # online but no console open: not yet
    await ctx.router.run_once()
    assert (await chat(ctx, chat_ids[1])).offered_to is None
    await bring_online(ctx, late.id)
    await ctx.router.run_once()
    assert [(await chat(ctx, c)).offered_to for c in chat_ids] == [a.id, late.id, late.id]
