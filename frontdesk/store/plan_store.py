"""Suggested shift plans (staffing_plans, 0012; issue 15): the optimiser's answers kept for review,
then applied or discarded (actions/plans.py). The shifts they write are in `shifts` (plan_id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import DepartmentMember, Office, StaffingPlan, User

PLAN_COLUMNS = (
    StaffingPlan.id,
    StaffingPlan.department_id,
    StaffingPlan.status,
    StaffingPlan.params,
    StaffingPlan.result,
    StaffingPlan.created_at,
    StaffingPlan.created_by,
    StaffingPlan.applied_at,
    StaffingPlan.applied_by,
)


async def insert_plan(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(StaffingPlan).values(**values).returning(StaffingPlan.id))
    return int(result.scalar_one())


async def plan(conn: AsyncConnection, plan_id: int, *, lock: bool = False) -> Any | None:
    """One plan; with lock=True its row is locked (PostgreSQL) for the rest of the transaction."""
    stmt = select(*PLAN_COLUMNS).where(StaffingPlan.id == plan_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def plans(conn: AsyncConnection, *, department_ids: Sequence[int] | None, limit: int) -> list[Any]:
    """The newest plans first, of those departments (None: every department)."""
    stmt = select(*PLAN_COLUMNS).order_by(StaffingPlan.created_at.desc(), StaffingPlan.id.desc()).limit(limit)
    if department_ids is not None:
        stmt = stmt.where(StaffingPlan.department_id.in_(list(department_ids)))
    return list((await conn.execute(stmt)).all())


async def set_status(
    conn: AsyncConnection, plan_id: int, status: str, *, at: datetime | None = None, by: int | None = None
) -> None:
    """Mark the plan applied (with when and by whom) or discarded."""
    values: dict[str, Any] = {"status": status}
    if status == "applied":
        values.update(applied_at=at, applied_by=by)
    await conn.execute(update(StaffingPlan).where(StaffingPlan.id == plan_id).values(**values))


async def offices(conn: AsyncConnection, office_ids: Sequence[int]) -> dict[int, Any]:
    """office id -> (id, name, timezone) for those that exist."""
    if not office_ids:
        return {}
    stmt = select(Office.id, Office.name, Office.timezone).where(Office.id.in_(list(office_ids)))
    return {row.id: row for row in await conn.execute(stmt)}


async def members_in_offices(conn: AsyncConnection, department_id: int, office_ids: Sequence[int]) -> list[Any]:
    """The department's active members who work from one of the offices: (id, name, office_id),
    by name."""
    if not office_ids:
        return []
    stmt = (
        select(User.id, User.name, User.office_id)
        .join(DepartmentMember, DepartmentMember.user_id == User.id)
        .where(
            DepartmentMember.department_id == department_id,
            User.office_id.in_(list(office_ids)),
            User.active.is_(True),
        )
        .order_by(User.name, User.id)
    )
    return list((await conn.execute(stmt)).all())


async def user_names(conn: AsyncConnection, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    stmt = select(User.id, User.name).where(User.id.in_(list(user_ids)))
    return {row.id: row.name for row in await conn.execute(stmt)}
