"""Queries for canned responses and scripted mode. The caller (an action) owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import CannedResponse, Chat, Department, DepartmentMember, Visitor

CANNED_COLUMNS = (
    CannedResponse.id,
    CannedResponse.scope,
    CannedResponse.department_id,
    CannedResponse.owner_id,
    CannedResponse.shortcut,
    CannedResponse.title,
    CannedResponse.body,
    CannedResponse.fallbacks,
    CannedResponse.use_count,
    CannedResponse.last_used_at,
    CannedResponse.created_at,
    CannedResponse.updated_at,
    Department.name.label("department_name"),
)


def _select():
    return select(*CANNED_COLUMNS).outerjoin(Department, Department.id == CannedResponse.department_id)


async def canned(conn: AsyncConnection, canned_id: int) -> Any | None:
    return (await conn.execute(_select().where(CannedResponse.id == canned_id))).first()


async def list_canned(
    conn: AsyncConnection,
    *,
    owner_id: int,
    department_ids: Iterable[int] | None,
) -> list[Any]:
    """Global ones, the department ones of `department_ids` (every department when None) and
    `owner_id`'s personal ones; by shortcut."""
    shared = [CannedResponse.scope == "global"]
    if department_ids is None:
        shared.append(CannedResponse.scope == "department")
    else:
        ids = list(department_ids)
        if ids:
            shared.append(and_(CannedResponse.scope == "department", CannedResponse.department_id.in_(ids)))
    mine = and_(CannedResponse.scope == "personal", CannedResponse.owner_id == owner_id)
    stmt = _select().where(or_(*shared, mine)).order_by(CannedResponse.shortcut, CannedResponse.id)
    return list((await conn.execute(stmt)).all())


async def insert_canned(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(CannedResponse).values(**values).returning(CannedResponse.id))
    return int(result.scalar_one())


async def update_canned(conn: AsyncConnection, canned_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(CannedResponse).where(CannedResponse.id == canned_id).values(**values))


async def delete_canned(conn: AsyncConnection, canned_id: int) -> None:
    await conn.execute(delete(CannedResponse).where(CannedResponse.id == canned_id))


async def count_use(conn: AsyncConnection, canned_id: int, now: datetime) -> None:
    await conn.execute(
        update(CannedResponse)
        .where(CannedResponse.id == canned_id)
        .values(use_count=CannedResponse.use_count + 1, last_used_at=now)
    )


async def chat_values(conn: AsyncConnection, chat_id: int) -> Any | None:
    """What a response's variables are filled from: the chat's visitor and department."""
    stmt = (
        select(
            Chat.id,
            Chat.department_id,
            Visitor.name.label("visitor_name"),
            Visitor.email.label("visitor_email"),
            Department.name.label("department_name"),
        )
        .join(Visitor, Visitor.id == Chat.visitor_id)
        .join(Department, Department.id == Chat.department_id)
        .where(Chat.id == chat_id)
    )
    return (await conn.execute(stmt)).first()


async def department_exists(conn: AsyncConnection, department_id: int) -> bool:
    return (await conn.execute(select(Department.id).where(Department.id == department_id))).first() is not None


async def scripted_levels(conn: AsyncConnection, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """(department id, user id) -> member level, for the pairs that are members."""
    pairs = list(set(pairs))
    if not pairs:
        return {}
    stmt = select(DepartmentMember.department_id, DepartmentMember.user_id, DepartmentMember.level).where(
        or_(*(and_(DepartmentMember.department_id == d, DepartmentMember.user_id == u) for d, u in pairs))
    )
    return {(d, u): level for d, u, level in await conn.execute(stmt)}


async def scripted_department_ids(conn: AsyncConnection) -> frozenset[int]:
    return frozenset(r[0] for r in await conn.execute(select(Department.id).where(Department.scripted)))
