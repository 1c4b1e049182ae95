"""Queries for `leases`: which node runs the background jobs of a cluster."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Lease


async def renew_lease(conn: AsyncConnection, name: str, holder: str, *, now: datetime, until: datetime) -> bool:
    """Extend the lease held by `holder`, or take one that expired before `now`."""
    result = await conn.execute(
        update(Lease)
        .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
        .values(holder=holder, expires_at=until)
    )
    return result.rowcount == 1


async def create_lease(conn: AsyncConnection, name: str, holder: str, *, until: datetime, is_sqlite: bool) -> bool:
    """A new lease; False when somebody else holds it (ON CONFLICT DO NOTHING)."""
    dialect = sqlite if is_sqlite else postgresql
    result = await conn.execute(
        dialect.insert(Lease)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Lease.name)
    )
    return result.first() is not None
