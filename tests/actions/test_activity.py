"""Agent activity on both databases: the store read the reports use (activity_between), and the
rows the actions write when an agent's status or load changes (with the right reason and load)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from frontdesk.actions import availability, departments, escalation, offers, retention, supervision, transfers, users
from frontdesk.actions.chats import do_accept_chat, do_close_chat
from frontdesk.actions.context import Context, VisitorActor, unit_of_work
from frontdesk.domain import audience
from frontdesk.jobs import Jobs
from frontdesk.store import activity_store
from frontdesk.store.models import AgentActivity, Chat
from tests.actions.routing_support import (
    expire_offer_now,
    first_message,
    make_admin,
    make_agent,
    make_department,
    published_frames,
    staff,
)
from tests.actions.support import new_visitor

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


async def rows_of(ctx: Context, agent_id: int) -> list[Any]:
    async with ctx.db.read() as conn:
        result = await conn.execute(
            select(AgentActivity.status, AgentActivity.reason, AgentActivity.load)
            .where(AgentActivity.agent_id == agent_id)
            .order_by(AgentActivity.id)
        )
        return [tuple(r) for r in result]


async def visitor_of(ctx: Context, chat_id: int) -> VisitorActor:
    async with ctx.db.read() as conn:
        visitor_id = (await conn.execute(select(Chat.visitor_id).where(Chat.id == chat_id))).scalar_one()
    return VisitorActor(visitor_id)


async def test_activity_between_returns_the_range_and_the_last_row_before_it(ctx: Context) -> None:
    admin = await make_admin(ctx)
    a = await make_agent(ctx, admin, online=False)
    b = await make_agent(ctx, admin, online=False)
    quiet = await make_agent(ctx, admin, online=False)
    async with unit_of_work(ctx) as (conn, _outbox):
        for agent, n, status, load in [
            (a, -5, "online", 0),
            (a, -2, "online", 1),  # a's state when the range starts
            (a, 1, "away", 1),
            (a, 3, "online", 0),
            (a, 9, "offline", 0),  # after the range
            (b, 2, "online", 0),
            (quiet, -1, "away", 0),  # only a row before the range
        ]:
            await activity_store.record_activity(
                conn, agent.id, status=status, reason="manual", load=load, now=hours(n)
            )
    async with ctx.db.read() as conn:
        got = await activity_store.activity_between(conn, [a.id, b.id, quiet.id], hours(0), hours(8))
        everyone = await activity_store.activity_between(conn, None, hours(0), hours(8))
        nobody = await activity_store.activity_between(conn, [], hours(0), hours(8))
    assert [(r.at, r.status, r.load) for r in got[a.id]] == [
        (hours(-2), "online", 1),
        (hours(1), "away", 1),
        (hours(3), "online", 0),
    ]
    assert [(r.at, r.status) for r in got[b.id]] == [(hours(2), "online")]
    assert [(r.at, r.status) for r in got[quiet.id]] == [(hours(-1), "away")]
    assert {k: v for k, v in everyone.items() if k in got} == got
    assert nobody == {}


async def test_old_activity_goes_but_each_agents_state_at_the_cutoff_stays(ctx: Context) -> None:
    admin = await make_admin(ctx)
    a = await make_agent(ctx, admin, online=False)
    async with unit_of_work(ctx) as (conn, _outbox):
        for n, status in [(-30, "online"), (-20, "away"), (-10, "online"), (5, "offline")]:
            await activity_store.record_activity(conn, a.id, status=status, reason="manual", load=0, now=hours(n))
    async with unit_of_work(ctx) as (conn, _outbox):
        assert await activity_store.delete_activity_before(conn, hours(0), 500) == 2
    async with unit_of_work(ctx) as (conn, _outbox):
        assert await activity_store.delete_activity_before(conn, hours(0), 500) == 0
    async with ctx.db.read() as conn:
        left = await activity_store.activity_between(conn, [a.id], hours(-100), hours(100))
    assert [(r.at, r.status) for r in left[a.id]] == [(hours(-10), "online"), (hours(5), "offline")]


async def test_status_changes_write_a_row_with_their_reason_and_the_load(ctx: Context) -> None:
    admin = await make_admin(ctx)
    a = await make_agent(ctx, admin)  # online by hand (availability.do_set_agent_status)
    await availability.do_set_agent_status(ctx, a.id, "online")  # no change: no row
    await availability.do_set_agent_status(ctx, a.id, "away")
    await availability.do_set_agent_status(ctx, a.id, "offline", reason="disconnected")
    await availability.do_agent_came_online(ctx, a.id)  # the console connects
    assert await rows_of(ctx, a.id) == [
        ("online", "manual", 0),
        ("away", "manual", 0),
        ("offline", "disconnected", 0),
        ("online", "connected", 0),
    ]
    # The agent.status frame names the server's reasons only.
    statuses = published_frames(ctx, audience.agent_topic(a.id), "agent.status")
    assert [f.get("reason") for f in statuses[-3:]] == [None, "disconnected", None]
    await users.do_set_user_active(ctx=ctx, actor=admin, user_id=a.id, active=False)
    assert (await rows_of(ctx, a.id))[-1] == ("offline", "deactivated", 0)


async def test_accept_transfer_take_over_and_close_write_the_load_of_each_agent(ctx: Context) -> None:
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales")
    a, b = await make_agent(ctx, admin, name="Ann"), await make_agent(ctx, admin, name="Bob")
    sam = await make_agent(ctx, admin, role="supervisor", name="Sam")
    await staff(ctx, admin, sales["id"], [a, b, sam])
    first = await first_message(ctx, await new_visitor(ctx), "sales")
    second = await first_message(ctx, await new_visitor(ctx), "sales")
    waiting = await first_message(ctx, await new_visitor(ctx), "sales")
    base = {x.id: len(await rows_of(ctx, x.id)) for x in (a, b, sam)}

    await do_accept_chat(ctx=ctx, actor=a, chat_id=first)
    await do_accept_chat(ctx=ctx, actor=a, chat_id=second)
    await transfers.do_transfer_chat(ctx=ctx, actor=a, chat_id=first, to_agent_id=b.id)
    await availability.do_set_agent_status(ctx, b.id, "away")  # away still holding the chat
    await supervision.do_take_over(ctx=ctx, actor=sam, chat_id=second)
    await do_close_chat(ctx=ctx, actor=b, chat_id=first)
    await do_close_chat(ctx=ctx, actor=await visitor_of(ctx, waiting), chat_id=waiting)  # queued: nobody's load

    new = {x.id: (await rows_of(ctx, x.id))[base[x.id] :] for x in (a, b, sam)}
    assert new[a.id] == [
        ("online", "assigned", 1),
        ("online", "assigned", 2),
        ("online", "transferred", 1),
        ("online", "taken_over", 0),
    ]
    assert new[b.id] == [("online", "transferred_in", 1), ("away", "manual", 1), ("away", "closed", 0)]
    assert new[sam.id] == [("online", "took_over", 1)]


async def test_an_expired_offer_sets_the_agent_away_and_offers_change_no_load(ctx: Context) -> None:
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales")
    a = await make_agent(ctx, admin)
    await staff(ctx, admin, sales["id"], [a])
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await ctx.router.run_once()  # offered to a: nobody talks in it yet, no row
    assert await rows_of(ctx, a.id) == [("online", "manual", 0)]
    await expire_offer_now(ctx, chat_id)
    await offers.do_expire_offers(ctx)
    assert await rows_of(ctx, a.id) == [("online", "manual", 0), ("away", "offer_expired", 0)]


async def test_retention_deletes_old_activity_but_keeps_the_state_at_the_cutoff(ctx: Context) -> None:
    admin = await make_admin(ctx)
    a = await make_agent(ctx, admin)  # a row now
    now = datetime.now(UTC)
    async with unit_of_work(ctx) as (conn, _outbox):
        for days in (40, 35):
            old = now - timedelta(days=days)
            await activity_store.record_activity(conn, a.id, status="away", reason="manual", load=0, now=old)
    await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data={"retention_days": 30})
    report = await retention.do_run_retention(ctx, now=now)
    assert report.activity == 1
    async with ctx.db.read() as conn:
        left = await activity_store.activity_between(conn, [a.id], now - timedelta(days=50), now + timedelta(days=1))
    assert [round((now - r.at).total_seconds() / 86400) for r in left[a.id]] == [35, 0]


async def test_an_escalation_frees_the_agents_slot(ctx: Context) -> None:
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "tiers")
    ann, sam = await make_agent(ctx, admin, name="Ann"), await make_agent(ctx, admin, name="Sam")
    await departments.do_set_members(
        ctx=ctx,
        actor=admin,
        department_id=dept["id"],
        members=[{"user_id": ann.id, "level": 1}, {"user_id": sam.id, "level": 2}],
    )
    chat_id = await first_message(ctx, await new_visitor(ctx), "tiers")
    await do_accept_chat(ctx=ctx, actor=ann, chat_id=chat_id)
    await escalation.do_escalate_chat(ctx=ctx, actor=ann, chat_id=chat_id, reason="billing", detail=None)
    assert (await rows_of(ctx, ann.id))[-2:] == [("online", "assigned", 1), ("online", "escalated", 0)]


async def test_the_presence_sweep_records_a_lost_connection(ctx: Context) -> None:
    admin = await make_admin(ctx)
    a = await make_agent(ctx, admin)  # online, one console connected
    assert await ctx.presence.agent_disconnected(a.id)
    ctx.presence.agent_gone_since[a.id] -= 3600  # gone for an hour: past any grace
    await Jobs(ctx)._presence_sweeps()
    assert await rows_of(ctx, a.id) == [("online", "manual", 0), ("offline", "disconnected", 0)]
