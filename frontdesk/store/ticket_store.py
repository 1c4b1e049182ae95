"""Queries for `offline_tickets`: what visitors leave when nobody can chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Department, OfflineTicket


def _ticket_select():
    return select(
        OfflineTicket.id,
        OfflineTicket.department_id,
        OfflineTicket.name,
        OfflineTicket.email,
        OfflineTicket.body,
        OfflineTicket.status,
        OfflineTicket.created_at,
        OfflineTicket.done_at,
        Department.slug,
        Department.name.label("dept_name"),
    ).outerjoin(Department, Department.id == OfflineTicket.department_id)


async def insert_ticket(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(OfflineTicket).values(**values).returning(OfflineTicket.id))
    return int(result.scalar_one())


async def ticket(conn: AsyncConnection, ticket_id: int) -> Any | None:
    """A ticket with its department's slug and name (`dept_name`), or None."""
    return (await conn.execute(_ticket_select().where(OfflineTicket.id == ticket_id))).first()


async def tickets(conn: AsyncConnection, status: str, limit: int) -> list[Any]:
    """Tickets of a status, newest first, shaped like `ticket`."""
    stmt = _ticket_select().where(OfflineTicket.status == status).order_by(OfflineTicket.id.desc()).limit(limit)
    return list((await conn.execute(stmt)).all())


async def mark_done(conn: AsyncConnection, ticket_id: int, *, now: datetime, by: int) -> bool:
    """False if there is no such ticket."""
    result = await conn.execute(
        update(OfflineTicket).where(OfflineTicket.id == ticket_id).values(status="done", done_at=now, done_by=by)
    )
    return result.rowcount > 0
