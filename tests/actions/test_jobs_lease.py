"""The jobs lease: one holder at a time, renewed by its holder, taken over once it lapses."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from frontdesk.jobs import take_lease
from frontdesk.store.models import Lease

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_one_holder_at_a_time_and_renewal(ctx):
    assert await take_lease(ctx, "t-one", "node-a")
    assert not await take_lease(ctx, "t-one", "node-b")  # held: no error, just no
    assert await take_lease(ctx, "t-one", "node-a")  # renewed by its holder
    async with ctx.db.read() as conn:
        holder = (await conn.execute(select(Lease.holder).where(Lease.name == "t-one"))).scalar_one()
    assert holder == "node-a"


async def test_lapsed_lease_is_taken_over(ctx):
    assert await take_lease(ctx, "t-lapse", "node-a", seconds=0.05)
    await asyncio.sleep(0.1)
    assert await take_lease(ctx, "t-lapse", "node-b")
    assert not await take_lease(ctx, "t-lapse", "node-a")


async def test_racing_nodes_get_exactly_one_lease(ctx):
    results = await asyncio.gather(*(take_lease(ctx, "t-race", f"node-{i}") for i in range(8)))
    assert sum(results) == 1
