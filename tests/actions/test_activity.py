"""Agent activity on both databases: the store read the reports use (activity_between), and the
rows the actions write when an agent's status or load changes (with the right reason and load)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from frontdesk.actions.context import Context, unit_of_work
from frontdesk.store import activity_store
from frontdesk.store.models import AgentActivity
from tests.actions.routing_support import make_admin, make_agent

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
