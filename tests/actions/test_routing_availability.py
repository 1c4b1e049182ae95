"""Queue positions and wait estimates, whether a department takes chats (hours, agents, queue
limit), and missed chats (visitor gave up, left, or the presence sweep noticed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.actions import availability, departments, dispatch, transfers
from frontdesk.actions.chats import OfflineError, do_accept_chat, do_close_chat, do_send_visitor_message
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.jobs import Jobs
from tests.actions.routing_support import (
    chat,
    chats_in,
    events,
    first_message,
    make_admin,
    make_agent,
    make_department,
    new_cid,
    published_frames,
    routing_log,
    staff,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def team(ctx, n: int, *, slug: str = "support", max_chats: int = 3, online: bool = True, **fields):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, slug, **fields)
    agents = [await make_agent(ctx, admin, max_chats=max_chats, online=online) for _ in range(n)]
    await staff(ctx, admin, dept["id"], agents)
    ctx.published.clear()
    return admin, dept, agents


async def offline_error(ctx, visitor, slug) -> OfflineError:
    with pytest.raises(OfflineError) as info:
        await do_send_visitor_message(ctx=ctx, actor=visitor, text="anyone?", client_id=new_cid(), department=slug)
    assert info.value.code == "offline"
    assert info.value.department == slug
    return info.value


async def widget(ctx, slug):
    (entry,) = await departments.widget_departments(ctx=ctx, slug=slug)
    return entry


# ---------------------------------------------------------------- queue positions


async def test_queue_positions_and_estimates(ctx):
    _admin, dept, (a,) = await team(ctx, 1, max_chats=2, routing="pick")
    visitors = [await new_visitor(ctx) for _ in range(4)]
    chat_ids = [await first_message(ctx, v, "support") for v in visitors]
    ctx.published.clear()
    await dispatch.do_publish_queue_positions(ctx, dept["id"])
    estimates = []
    for position, (visitor, chat_id) in enumerate(zip(visitors, chat_ids, strict=True), start=1):
        frames = published_frames(ctx, f"visitor:{visitor.visitor_id}", "queue")
        assert len(frames) == 1
        frame = frames[0]
        assert (frame["chat_id"], frame["department"], frame["position"]) == (chat_id, "support", position)
        estimates.append(frame["estimated_wait_seconds"])
    # Two slots, five-minute chats by default: 150 s per release, the first half a release in.
    assert estimates == [150, 300, 450, 600]
    assert not [t for t, _ in ctx.published if not t.startswith("visitor:")]  # only the waiting visitors
    recorded = [(await chat(ctx, c)).wait_estimate_seconds for c in chat_ids]
    assert all(r is not None for r in recorded)
    assert [round(r) for r in recorded] == pytest.approx(estimates, abs=2)

    # The first estimate is kept: a later pass (here with more capacity) does not overwrite it.
    admin2 = await make_admin(ctx)
    b = await make_agent(ctx, admin2, max_chats=4)
    await staff(ctx, admin2, dept["id"], [a, b])
    ctx.published.clear()
    await dispatch.do_publish_queue_positions(ctx, dept["id"])
    frame = published_frames(ctx, f"visitor:{visitors[3].visitor_id}", "queue")[0]
    assert frame["estimated_wait_seconds"] == 200  # 4 * 300 / 6
    assert [(await chat(ctx, c)).wait_estimate_seconds for c in chat_ids] == recorded

    # Assignment records how long the visitor waited against what they were told.
    await asyncio.sleep(0.05)
    await do_accept_chat(ctx=ctx, actor=a, chat_id=chat_ids[0])
    (assigned,) = await routing_log(ctx, chat_id=chat_ids[0], kind="assigned")
    assert assigned.agent_id == a.id
    assert assigned.data["estimate_seconds"] == pytest.approx(recorded[0])
    assert 0.05 <= assigned.data["waited_seconds"] < 30

    # Positions close up behind the chat that left the queue.
    ctx.published.clear()
    await dispatch.do_publish_queue_positions(ctx, dept["id"])
    assert not published_frames(ctx, f"visitor:{visitors[0].visitor_id}", "queue")
    positions = [published_frames(ctx, f"visitor:{v.visitor_id}", "queue")[0]["position"] for v in visitors[1:]]
    assert positions == [1, 2, 3]


async def test_estimate_is_none_when_nobody_can_serve(ctx):
    _admin, dept, (a,) = await team(ctx, 1, routing="pick")
    visitor = await new_visitor(ctx)
    chat_id = await first_message(ctx, visitor, "support")
    await availability.do_set_agent_status(ctx, a.id, "away")
    ctx.published.clear()
    await dispatch.do_publish_queue_positions(ctx, dept["id"])
    (frame,) = published_frames(ctx, f"visitor:{visitor.visitor_id}", "queue")
    assert frame["position"] == 1 and frame["estimated_wait_seconds"] is None
    assert (await chat(ctx, chat_id)).wait_estimate_seconds is None  # nothing to record yet
    # The router's pass does both: dispatch and positions.
    await availability.do_set_agent_status(ctx, a.id, "online")
    ctx.published.clear()
    await ctx.router.run_once()
    (frame,) = published_frames(ctx, f"visitor:{visitor.visitor_id}", "queue")
    assert frame["estimated_wait_seconds"] == 100  # 300 s chats, 3 slots
    assert (await chat(ctx, chat_id)).wait_estimate_seconds is not None


async def test_estimates_use_recent_handle_times(ctx):
    _admin, dept, (a,) = await team(ctx, 1, max_chats=1, routing="pick")
    first = await first_message(ctx, await new_visitor(ctx), "support")
    await do_accept_chat(ctx=ctx, actor=a, chat_id=first)
    await do_close_chat(ctx=ctx, actor=a, chat_id=first)
    # Make the closed chat a 60-second one: the typical handle time is the median of recent chats.
    from sqlalchemy import update

    from frontdesk.store.models import Chat

    async with ctx.db.write() as conn:
        await conn.execute(
            update(Chat)
            .where(Chat.id == first)
            .values(assigned_at=utcnow() - timedelta(seconds=60), closed_at=utcnow())
        )
    visitor = await new_visitor(ctx)
    await first_message(ctx, visitor, "support")
    ctx.published.clear()
    await dispatch.do_publish_queue_positions(ctx, dept["id"])
    (frame,) = published_frames(ctx, f"visitor:{visitor.visitor_id}", "queue")
    assert frame["estimated_wait_seconds"] == 60


# ---------------------------------------------------------------- taking chats or not


async def test_a_department_closed_by_its_hours_refuses_chats(ctx):
    today = datetime.now(UTC).date()
    closed = [{"date": (today + timedelta(days=d)).isoformat(), "closed": True} for d in (-1, 0, 1)]
    _admin, dept, _agents = await team(ctx, 1, hours={"timezone": "UTC", "weekly": {}, "exceptions": closed})
    visitor = await new_visitor(ctx)
    error = await offline_error(ctx, visitor, "support")
    assert error.reason == "closed" and "closed" in error.message
    assert await chats_in(ctx, dept["id"]) == []  # nothing was stored
    entry = await widget(ctx, "support")
    assert (entry["accepting_chats"], entry["reason"]) == (False, "closed")
    opening = datetime.fromisoformat(entry["next_opening"].replace("Z", "+00:00"))
    assert opening == datetime.combine(today + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    # The admin view says the same.
    (listed,) = [d for d in await departments.list_departments(ctx=ctx, actor=_admin) if d["slug"] == "support"]
    assert (listed["open_now"], listed["accepting_chats"], listed["reason"]) == (False, False, "closed")


async def test_weekly_hours_that_exclude_now(ctx):
    now = datetime.now(UTC)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    other_day = days[(now.weekday() + 3) % 7]
    _admin, dept, _agents = await team(ctx, 1, hours={"timezone": "UTC", "weekly": {other_day: [["10:00", "11:00"]]}})
    error = await offline_error(ctx, await new_visitor(ctx), "support")
    assert error.reason == "closed"
    entry = await widget(ctx, "support")
    assert entry["reason"] == "closed" and entry["next_opening"] is not None


async def test_next_opening_is_given_in_utc(ctx):
    today = datetime.now(UTC).date()
    closed = [{"date": (today + timedelta(days=d)).isoformat(), "closed": True} for d in (-1, 0, 1)]
    hours = {"timezone": "Asia/Tokyo", "weekly": {}, "exceptions": closed}  # no DST: always UTC+9
    await team(ctx, 1, hours=hours)
    entry = await widget(ctx, "support")
    assert entry["reason"] == "closed"
    opening = datetime.fromisoformat(entry["next_opening"].replace("Z", "+00:00"))
    midnight_tokyo = datetime.combine(today + timedelta(days=2), datetime.min.time(), tzinfo=UTC) - timedelta(hours=9)
    assert opening == midnight_tokyo or opening == midnight_tokyo - timedelta(days=1)
    assert entry["next_opening"].endswith("Z")


async def test_nobody_online_means_no_agents(ctx):
    admin, dept, (a,) = await team(ctx, 1, online=False)
    visitor = await new_visitor(ctx)
    error = await offline_error(ctx, visitor, "support")
    assert error.reason == "no_agents"
    entry = await widget(ctx, "support")
    assert (entry["accepting_chats"], entry["reason"], entry["next_opening"]) == (False, "no_agents", None)
    # Online but without a console open is not enough; connected but away neither.
    await availability.do_set_agent_status(ctx, a.id, "online")
    assert (await offline_error(ctx, visitor, "support")).reason == "no_agents"
    await ctx.presence.agent_connected(a.id)
    await availability.do_set_agent_status(ctx, a.id, "away")
    assert (await offline_error(ctx, visitor, "support")).reason == "no_agents"
    # Someone online in another department does not count (the default one has the on-duty agent).
    assert (await widget(ctx, "general"))["accepting_chats"] is True
    await availability.do_set_agent_status(ctx, a.id, "online")
    assert (await widget(ctx, "support"))["accepting_chats"] is True
    await first_message(ctx, visitor, "support")


async def test_a_full_queue_refuses_new_chats(ctx):
    _admin, dept, (a,) = await team(ctx, 1, max_queue=2)
    waiting = [await first_message(ctx, await new_visitor(ctx), "support") for _ in range(2)]
    visitor = await new_visitor(ctx)
    error = await offline_error(ctx, visitor, "support")
    assert error.reason == "queue_full"
    entry = await widget(ctx, "support")
    assert (entry["accepting_chats"], entry["reason"]) == (False, "queue_full")
    # An offered chat still waits; an accepted one leaves the queue and makes room.
    await ctx.router.run_once()
    assert (await offline_error(ctx, visitor, "support")).reason == "queue_full"
    offered = [c for c in waiting if (await chat(ctx, c)).offered_to == a.id][0]
    await do_accept_chat(ctx=ctx, actor=a, chat_id=offered)
    assert (await widget(ctx, "support"))["accepting_chats"] is True
    await first_message(ctx, visitor, "support")


async def test_an_unknown_department_is_a_bad_request(ctx):
    with pytest.raises(ChatRuleError) as info:
        await do_send_visitor_message(
            ctx=ctx, actor=await new_visitor(ctx), text="hi", client_id=new_cid(), department="nope"
        )
    assert (info.value.code, info.value.field) == ("bad_request", "department")
    assert await departments.widget_departments(ctx=ctx, slug="nope") == []


async def test_queue_limit_holds_under_concurrent_first_messages(ctx):
    """Regression (PostgreSQL, before 3ee727d): the queue length was read without a lock and all 12 got in."""
    _admin, dept, _agents = await team(ctx, 1, max_queue=3, routing="pick")
    visitors = [await new_visitor(ctx) for _ in range(12)]
    results = await asyncio.gather(
        *(
            do_send_visitor_message(ctx=ctx, actor=v, text="hi", client_id=new_cid(), department="support")
            for v in visitors
        ),
        return_exceptions=True,
    )
    started = [r for r in results if not isinstance(r, BaseException)]
    refusals = [r for r in results if isinstance(r, OfflineError)]
    assert len(started) + len(refusals) == len(visitors), [r for r in results if isinstance(r, BaseException)]
    assert {r.reason for r in refusals} <= {"queue_full"}
    queued = [c for c in await chats_in(ctx, dept["id"]) if c.status == "queued"]
    assert len(queued) == len(started) == 3


# ---------------------------------------------------------------- missed chats


async def test_a_visitor_who_gives_up_while_waiting_is_a_missed_chat(ctx):
    _admin, dept, (a,) = await team(ctx, 1)
    visitor = await new_visitor(ctx)
    chat_id = await first_message(ctx, visitor, "support")
    await ctx.router.run_once()
    assert (await chat(ctx, chat_id)).offered_to == a.id
    ctx.published.clear()
    await do_close_chat(ctx=ctx, actor=visitor, chat_id=chat_id)
    row = await chat(ctx, chat_id)
    assert (row.status, row.missed, row.closed_by, row.offered_to) == ("closed", True, "visitor", None)
    (missed,) = await routing_log(ctx, chat_id=chat_id, kind="missed")
    assert missed.department_id == dept["id"] and missed.data["waited_seconds"] >= 0
    assert (await events(ctx, chat_id))[-1].data == {"by": "visitor", "reason": "missed"}
    # The agent it was offered to hears that it is gone.
    assert any(f["chat"]["status"] == "closed" for f in published_frames(ctx, f"agent:{a.id}", "chat.updated"))

    # A chat that was answered is not missed when the visitor closes it.
    visitor2 = await new_visitor(ctx)
    answered = await first_message(ctx, visitor2, "support")
    await ctx.router.run_once()
    await do_accept_chat(ctx=ctx, actor=a, chat_id=answered)
    await do_close_chat(ctx=ctx, actor=visitor2, chat_id=answered)
    assert (await chat(ctx, answered)).missed is False
    assert await routing_log(ctx, chat_id=answered, kind="missed") == []


async def test_mark_missed(ctx):
    _admin, dept, (a,) = await team(ctx, 1)
    visitor = await new_visitor(ctx)
    chat_id = await first_message(ctx, visitor, "support")
    await ctx.router.run_once()
    assert await dispatch.do_mark_missed(ctx, chat_id) is True
    row = await chat(ctx, chat_id)
    assert (row.status, row.missed, row.closed_by, row.offered_to) == ("closed", True, "system", None)
    assert [r.kind for r in await routing_log(ctx, chat_id=chat_id)][-1] == "missed"
    assert await dispatch.do_mark_missed(ctx, chat_id) is False  # once
    # Not for a chat in progress.
    other = await first_message(ctx, visitor, "support")
    await ctx.router.run_once()
    await do_accept_chat(ctx=ctx, actor=a, chat_id=other)
    assert await dispatch.do_mark_missed(ctx, other) is False
    assert (await chat(ctx, other)).status == "active"


async def test_presence_sweep_marks_a_departed_queued_visitor_missed(ctx):
    ctx.settings = ctx.settings.model_copy(update={"visitor_leave_grace_seconds": 0})
    _admin, dept, (a,) = await team(ctx, 1, routing="pick")
    gone, staying, answered = [await new_visitor(ctx) for _ in range(3)]
    gone_chat = await first_message(ctx, gone, "support")
    staying_chat = await first_message(ctx, staying, "support")
    answered_chat = await first_message(ctx, answered, "support")
    await do_accept_chat(ctx=ctx, actor=a, chat_id=answered_chat)
    for v in (gone, staying, answered):
        await ctx.presence.visitor_connected(v.visitor_id)
    await ctx.presence.visitor_disconnected(gone.visitor_id)
    await ctx.presence.visitor_disconnected(answered.visitor_id)  # left, but an agent has the chat
    await ctx.presence.visitor_connected(staying.visitor_id)
    await ctx.presence.visitor_disconnected(staying.visitor_id)  # one tab of two closed

    await Jobs(ctx).run_once()
    assert ((await chat(ctx, gone_chat)).status, (await chat(ctx, gone_chat)).missed) == ("closed", True)
    assert (await chat(ctx, staying_chat)).status == "queued"
    assert (await chat(ctx, answered_chat)).status == "active"
    assert [r.kind for r in await routing_log(ctx, chat_id=gone_chat)][-1] == "missed"


async def test_queue_limit_holds_under_concurrent_transfers_into_the_department(ctx, backend):
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales", routing="pick")
    billing = await make_department(ctx, admin, "billing", routing="pick", max_queue=2)
    agents = [await make_agent(ctx, admin) for _ in range(6)]
    await staff(ctx, admin, sales["id"], agents)
    await staff(ctx, admin, billing["id"], agents[:1])
    chat_ids = []
    for agent in agents:
        chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
        await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
        chat_ids.append(chat_id)
    results = await asyncio.gather(
        *(
            transfers.do_transfer_chat(ctx=ctx, actor=agent, chat_id=chat_id, to_department_id=billing["id"])
            for agent, chat_id in zip(agents, chat_ids, strict=True)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, ChatRuleError) and r.code == "conflict" for r in refused), refused
    queued = [c for c in await chats_in(ctx, billing["id"]) if c.status == "queued"]
    assert len(queued) == len(results) - len(refused) == 2
