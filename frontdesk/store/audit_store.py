"""Queries for the audit log. The caller (an action) owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import AuditEntry


async def insert_entry(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(AuditEntry).values(**values))


async def list_entries(
    conn: AsyncConnection,
    *,
    action: str | None,
    actor_id: int | None,
    target_type: str | None,
    target_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before: int | None,
    limit: int,
) -> list[Any]:
    stmt = select(AuditEntry)
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    return list((await conn.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit))).all())
