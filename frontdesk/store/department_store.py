"""Queries for departments, their members and agents' loads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Chat, Department, DepartmentMember, RoutingLog, User

DEPARTMENT_COLUMNS = (
    Department.id,
    Department.slug,
    Department.name,
    Department.description,
    Department.hours,
    Department.max_queue,
    Department.routing,
    Department.offer_timeout_seconds,
    Department.offline_message,
    Department.email,
    Department.fallback_department_id,
    Department.scripted,
    Department.sneak_peek,
    Department.reply_alert_seconds,
)


async def all_departments(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(*DEPARTMENT_COLUMNS).order_by(Department.id))).all())


async def department(conn: AsyncConnection, department_id: int, *, lock: bool = False) -> Any | None:
    stmt = select(*DEPARTMENT_COLUMNS).where(Department.id == department_id)
    if lock:
        # NO KEY UPDATE: rows that reference the department (chats, routing_log) stay insertable.
        stmt = stmt.with_for_update(key_share=True)
    return (await conn.execute(stmt)).first()


async def department_by_slug(conn: AsyncConnection, slug: str) -> Any | None:
    return (await conn.execute(select(*DEPARTMENT_COLUMNS).where(Department.slug == slug))).first()


async def default_department(conn: AsyncConnection) -> Any | None:
    """'general' if it exists, else the oldest department."""
    row = await department_by_slug(conn, "general")
    if row is not None:
        return row
    return (await conn.execute(select(*DEPARTMENT_COLUMNS).order_by(Department.id).limit(1))).first()


async def members(conn: AsyncConnection, department_id: int) -> list[Any]:
    stmt = (
        select(User.id, User.name, User.status, User.max_chats, User.last_assigned_at, DepartmentMember.level)
        .join(DepartmentMember, DepartmentMember.user_id == User.id)
        .where(DepartmentMember.department_id == department_id)
        .order_by(User.id)
    )
    return list((await conn.execute(stmt)).all())


async def member_counts(conn: AsyncConnection) -> dict[int, list[tuple[int, str]]]:
    """department id -> [(user id, status)] for every department."""
    rows = (
        await conn.execute(
            select(DepartmentMember.department_id, User.id, User.status).join(User, User.id == DepartmentMember.user_id)
        )
    ).all()
    out: dict[int, list[tuple[int, str]]] = {}
    for dept_id, user_id, status in rows:
        out.setdefault(dept_id, []).append((user_id, status))
    return out


async def departments_of_user(conn: AsyncConnection, user_id: int) -> list[int]:
    rows = await conn.execute(select(DepartmentMember.department_id).where(DepartmentMember.user_id == user_id))
    return [r[0] for r in rows]


async def set_members(conn: AsyncConnection, department_id: int, members: Iterable[tuple[int, int]]) -> None:
    await conn.execute(delete(DepartmentMember).where(DepartmentMember.department_id == department_id))
    rows = [{"department_id": department_id, "user_id": u, "level": lv} for u, lv in members]
    if rows:
        await conn.execute(insert(DepartmentMember), rows)


async def add_member(conn: AsyncConnection, department_id: int, user_id: int, level: int = 1) -> None:
    await conn.execute(insert(DepartmentMember).values(department_id=department_id, user_id=user_id, level=level))


async def queue_lengths(conn: AsyncConnection) -> dict[int, int]:
    rows = await conn.execute(
        select(Chat.department_id, func.count()).where(Chat.status == "queued").group_by(Chat.department_id)
    )
    return {d: n for d, n in rows}


async def waiting_chats(conn: AsyncConnection, department_id: int, *, lock: bool = False) -> list[Any]:
    """The department's queue, first come first served; with lock=True, locked."""
    stmt = (
        select(
            Chat.id, Chat.visitor_id, Chat.offered_to, Chat.queued_at, Chat.wait_estimate_seconds, Chat.required_level
        )
        .where(Chat.department_id == department_id, Chat.status == "queued")
        .order_by(Chat.queued_at, Chat.id)
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    return list((await conn.execute(stmt)).all())


async def loads(conn: AsyncConnection, agent_ids: list[int]) -> dict[int, int]:
    """Chats each agent holds now: assigned and active, or offered and waiting for them."""
    if not agent_ids:
        return {}
    holder = func.coalesce(Chat.assignee_id, Chat.offered_to)
    stmt = (
        select(holder, func.count())
        .where(
            or_(
                and_(Chat.status == "active", Chat.assignee_id.in_(agent_ids)),
                and_(Chat.status == "queued", Chat.offered_to.in_(agent_ids)),
            )
        )
        .group_by(holder)
    )
    counts = {a: 0 for a in agent_ids}
    for agent_id, n in await conn.execute(stmt):
        counts[agent_id] = n
    return counts


async def lock_users(conn: AsyncConnection, user_ids: list[int]) -> None:
    """Lock agents' rows in id order (no deadlocks) so capacity checks and assignments serialise."""
    if user_ids:
        await conn.execute(
            select(User.id).where(User.id.in_(sorted(user_ids))).order_by(User.id).with_for_update(key_share=True)
        )


async def max_chats(conn: AsyncConnection, user_id: int) -> int:
    return int((await conn.execute(select(User.max_chats).where(User.id == user_id))).scalar_one())


async def open_chats(conn: AsyncConnection, department_id: int) -> list[Any]:
    """(id, status, visitor_id, assignee_id, department_id) of the department's chats that have
    not ended, locked."""
    rows = await conn.execute(
        select(Chat.id, Chat.status, Chat.visitor_id, Chat.assignee_id, Chat.department_id)
        .where(Chat.department_id == department_id, Chat.status != "closed")
        .with_for_update(key_share=True)
    )
    return list(rows.all())


async def move_chat(conn: AsyncConnection, chat_id: int, department_id: int) -> None:
    """Move a chat to another department, taking back any offer of it."""
    await conn.execute(
        update(Chat)
        .where(Chat.id == chat_id)
        .values(department_id=department_id, offered_to=None, offer_expires_at=None)
    )


async def delete_department(conn: AsyncConnection, department_id: int, *, chats_to: int) -> None:
    """Delete a department: its remaining chats move to `chats_to`, its routing log keeps no link."""
    await conn.execute(update(Chat).where(Chat.department_id == department_id).values(department_id=chats_to))
    await conn.execute(update(RoutingLog).where(RoutingLog.department_id == department_id).values(department_id=None))
    await conn.execute(delete(Department).where(Department.id == department_id))


async def insert_department(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """A new department; a slug in use raises IntegrityError (the unique index)."""
    result = await conn.execute(insert(Department).values(**values).returning(Department.id))
    return int(result.scalar_one())


async def update_department(conn: AsyncConnection, department_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(Department).where(Department.id == department_id).values(**values))


async def memberships(conn: AsyncConnection) -> list[Any]:
    """(user_id, department_id, level) of every membership."""
    stmt = select(DepartmentMember.user_id, DepartmentMember.department_id, DepartmentMember.level)
    return list((await conn.execute(stmt)).all())
