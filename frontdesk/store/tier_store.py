"""Queries for escalation tiers: agents' levels per department and escalations by reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import DepartmentMember, RoutingLog


async def member_levels(conn: AsyncConnection, department_id: int) -> dict[int, int]:
    """user id -> level, for everyone working in the department."""
    rows = await conn.execute(
        select(DepartmentMember.user_id, DepartmentMember.level).where(DepartmentMember.department_id == department_id)
    )
    return {user_id: level for user_id, level in rows}


async def levels_of_user(conn: AsyncConnection, user_id: int) -> dict[int, int]:
    """department id -> the user's level there."""
    rows = await conn.execute(
        select(DepartmentMember.department_id, DepartmentMember.level).where(DepartmentMember.user_id == user_id)
    )
    return {department_id: level for department_id, level in rows}


async def escalation_rows(
    conn: AsyncConnection, *, department_id: int | None, since: datetime | None, until: datetime | None
) -> list[Any]:
    """The `escalated` routing_log rows (data holds reason, from_level, to_level) in a period.
    Counted in Python: JSON field access differs between SQLite and PostgreSQL, and a report
    reads a period's escalations once."""
    stmt = select(RoutingLog.department_id, RoutingLog.data).where(RoutingLog.kind == "escalated")
    if department_id is not None:
        stmt = stmt.where(RoutingLog.department_id == department_id)
    if since is not None:
        stmt = stmt.where(RoutingLog.created_at >= since)
    if until is not None:
        stmt = stmt.where(RoutingLog.created_at < until)
    return list((await conn.execute(stmt)).all())


async def count_escalations(conn: AsyncConnection, chat_id: int) -> int:
    stmt = select(func.count()).where(RoutingLog.chat_id == chat_id, RoutingLog.kind == "escalated")
    return int((await conn.execute(stmt)).scalar_one())
