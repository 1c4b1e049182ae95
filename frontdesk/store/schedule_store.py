"""Offices, their holidays, agents' recurring shifts and rotation templates (0012, issue 15;
domain/schedule.py has the rules, actions/schedule.py the writes and reads)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Department, DepartmentMember, Office, OfficeHoliday, Rotation, Shift, User

# -- offices ------------------------------------------------------------------------------------------


async def offices(conn: AsyncConnection) -> list[Any]:
    """Every office with the number of users who work from it, by name."""
    agents = (
        select(func.count(User.id))
        .where(User.office_id == Office.id)
        .correlate(Office)
        .scalar_subquery()
        .label("agents")
    )
    stmt = select(Office.id, Office.name, Office.timezone, Office.created_at, agents).order_by(Office.name, Office.id)
    return list((await conn.execute(stmt)).all())


async def office(conn: AsyncConnection, office_id: int) -> Any | None:
    stmt = select(Office.id, Office.name, Office.timezone, Office.created_at).where(Office.id == office_id)
    return (await conn.execute(stmt)).first()


async def insert_office(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """A new office; a name in use raises IntegrityError (the unique index)."""
    result = await conn.execute(insert(Office).values(**values).returning(Office.id))
    return int(result.scalar_one())


async def update_office(conn: AsyncConnection, office_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(Office).where(Office.id == office_id).values(**values))


async def delete_office(conn: AsyncConnection, office_id: int) -> int:
    """The office and its holidays; its users keep their shifts and work from no office.
    Returns how many users it had."""
    moved = await conn.execute(update(User).where(User.office_id == office_id).values(office_id=None))
    await conn.execute(delete(OfficeHoliday).where(OfficeHoliday.office_id == office_id))
    await conn.execute(delete(Office).where(Office.id == office_id))
    return int(moved.rowcount or 0)


async def holidays(conn: AsyncConnection, office_ids: Sequence[int]) -> dict[int, list[Any]]:
    """office id -> its holidays (day, name) by day."""
    out: dict[int, list[Any]] = {office_id: [] for office_id in office_ids}
    if not office_ids:
        return out
    stmt = (
        select(OfficeHoliday.office_id, OfficeHoliday.day, OfficeHoliday.name)
        .where(OfficeHoliday.office_id.in_(list(office_ids)))
        .order_by(OfficeHoliday.office_id, OfficeHoliday.day)
    )
    for row in await conn.execute(stmt):
        out[row.office_id].append(row)
    return out


async def replace_holidays(conn: AsyncConnection, office_id: int, items: Iterable[tuple[date, str]]) -> None:
    """The office's whole list: days left out are removed."""
    await conn.execute(delete(OfficeHoliday).where(OfficeHoliday.office_id == office_id))
    rows = [{"office_id": office_id, "day": day, "name": name} for day, name in items]
    if rows:
        await conn.execute(insert(OfficeHoliday), rows)


# -- agents -------------------------------------------------------------------------------------------


async def agents(conn: AsyncConnection, user_ids: Sequence[int]) -> dict[int, Any]:
    """user id -> (id, name, role, office_id, office_timezone) for those that exist."""
    if not user_ids:
        return {}
    stmt = (
        select(User.id, User.name, User.role, User.office_id, Office.timezone.label("office_timezone"))
        .outerjoin(Office, Office.id == User.office_id)
        .where(User.id.in_(list(user_ids)))
    )
    return {row.id: row for row in await conn.execute(stmt)}


async def set_agent_office(conn: AsyncConnection, user_id: int, office_id: int | None) -> None:
    await conn.execute(update(User).where(User.id == user_id).values(office_id=office_id))


async def department_hours(conn: AsyncConnection, department_id: int) -> Any | None:
    """The department's id, name and business hours (JSON), or None."""
    stmt = select(Department.id, Department.name, Department.hours).where(Department.id == department_id)
    return (await conn.execute(stmt)).first()


async def departments_of(conn: AsyncConnection, user_ids: Sequence[int]) -> dict[int, set[int]]:
    """user id -> the departments they are a member of."""
    out: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    if not user_ids:
        return out
    stmt = select(DepartmentMember.user_id, DepartmentMember.department_id).where(
        DepartmentMember.user_id.in_(list(user_ids))
    )
    for user_id, department_id in await conn.execute(stmt):
        out[user_id].add(department_id)
    return out


async def member_ids(conn: AsyncConnection, department_ids: Iterable[int]) -> set[int]:
    """Users who are members of any of the departments."""
    ids = list(department_ids)
    if not ids:
        return set()
    stmt = select(DepartmentMember.user_id).where(DepartmentMember.department_id.in_(ids)).distinct()
    return {user_id for (user_id,) in await conn.execute(stmt)}


# -- shifts -------------------------------------------------------------------------------------------
SHIFT_COLUMNS = (
    Shift.id,
    Shift.agent_id,
    Shift.department_id,
    Shift.timezone,
    Shift.weekday,
    Shift.start_minute,
    Shift.minutes,
    Shift.cycle_weeks,
    Shift.cycle_week,
    Shift.rotation_id,
    Shift.plan_id,
    Shift.created_at,
)


async def shifts(
    conn: AsyncConnection,
    *,
    agent_ids: Sequence[int] | None = None,
    department_id: int | None = None,
    office_id: int | None = None,
) -> list[Any]:
    """Shifts with their agent's name and office, by agent, weekday and start. `agent_ids`
    narrows to those agents; `department_id` to shifts staffing it (its own or every-department
    shifts of its members); `office_id` to agents working from that office."""
    stmt = select(*SHIFT_COLUMNS, User.name.label("agent_name"), User.office_id).join(User, User.id == Shift.agent_id)
    if agent_ids is not None:
        stmt = stmt.where(Shift.agent_id.in_(list(agent_ids)))
    if department_id is not None:
        members = select(DepartmentMember.user_id).where(DepartmentMember.department_id == department_id)
        stmt = stmt.where(
            Shift.agent_id.in_(members),
            or_(Shift.department_id == department_id, Shift.department_id.is_(None)),
        )
    if office_id is not None:
        stmt = stmt.where(User.office_id == office_id)
    stmt = stmt.order_by(User.name, Shift.agent_id, Shift.cycle_week, Shift.weekday, Shift.start_minute, Shift.id)
    return list((await conn.execute(stmt)).all())


async def shift(conn: AsyncConnection, shift_id: int) -> Any | None:
    stmt = select(*SHIFT_COLUMNS).where(Shift.id == shift_id)
    return (await conn.execute(stmt)).first()


async def insert_shift(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(Shift).values(**values).returning(Shift.id))
    return int(result.scalar_one())


async def update_shift(conn: AsyncConnection, shift_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(Shift).where(Shift.id == shift_id).values(**values))


async def delete_shift(conn: AsyncConnection, shift_id: int) -> None:
    await conn.execute(delete(Shift).where(Shift.id == shift_id))


async def delete_agents_shifts(conn: AsyncConnection, agent_ids: Sequence[int], *, department_id: int | None) -> int:
    """The agents' shifts that staff exactly `department_id` (None: their every-department ones)."""
    if not agent_ids:
        return 0
    same = Shift.department_id.is_(None) if department_id is None else Shift.department_id == department_id
    result = await conn.execute(delete(Shift).where(Shift.agent_id.in_(list(agent_ids)), same))
    return int(result.rowcount or 0)


async def holidays_of_agents(conn: AsyncConnection, agent_ids: Sequence[int]) -> dict[int, set[date]]:
    """agent id -> the holidays of the office they work from (empty without one)."""
    out: dict[int, set[date]] = {agent_id: set() for agent_id in agent_ids}
    if not agent_ids:
        return out
    stmt = (
        select(User.id, OfficeHoliday.day)
        .join(OfficeHoliday, OfficeHoliday.office_id == User.office_id)
        .where(User.id.in_(list(agent_ids)))
    )
    for agent_id, day in await conn.execute(stmt):
        out[agent_id].add(day)
    return out


# -- rotations ----------------------------------------------------------------------------------------


async def rotations(conn: AsyncConnection) -> list[Any]:
    """Every rotation template with the number of shifts made from it, by name."""
    made = (
        select(func.count(Shift.id))
        .where(Shift.rotation_id == Rotation.id)
        .correlate(Rotation)
        .scalar_subquery()
        .label("shifts")
    )
    stmt = select(
        Rotation.id, Rotation.name, Rotation.weeks, Rotation.pattern, Rotation.created_at, Rotation.created_by, made
    ).order_by(Rotation.name, Rotation.id)
    return list((await conn.execute(stmt)).all())


async def rotation(conn: AsyncConnection, rotation_id: int) -> Any | None:
    stmt = select(Rotation.id, Rotation.name, Rotation.weeks, Rotation.pattern, Rotation.created_at).where(
        Rotation.id == rotation_id
    )
    return (await conn.execute(stmt)).first()


async def insert_rotation(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """A new template; a name in use raises IntegrityError (the unique index)."""
    result = await conn.execute(insert(Rotation).values(**values).returning(Rotation.id))
    return int(result.scalar_one())


async def delete_rotation(conn: AsyncConnection, rotation_id: int) -> None:
    """The template; the shifts made from it stay (no longer linked to it)."""
    await conn.execute(update(Shift).where(Shift.rotation_id == rotation_id).values(rotation_id=None))
    await conn.execute(delete(Rotation).where(Rotation.id == rotation_id))
