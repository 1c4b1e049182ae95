"""Queries for `visitors`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Chat, Department, Visitor


async def create_visitor(conn: AsyncConnection, visitor_id: str, *, now: datetime, user_agent: str | None) -> None:
    await conn.execute(insert(Visitor).values(id=visitor_id, created_at=now, user_agent=user_agent))


async def update_visitor(conn: AsyncConnection, visitor_id: str, values: dict[str, Any]) -> None:
    if values:
        await conn.execute(update(Visitor).where(Visitor.id == visitor_id).values(**values))


async def visitor_row(conn: AsyncConnection, visitor_id: str) -> Any | None:
    """The whole row (wire.visitor_payload shows it), or None."""
    return (await conn.execute(select(Visitor).where(Visitor.id == visitor_id))).first()


async def visitor_name(conn: AsyncConnection, visitor_id: str) -> str | None:
    return (await conn.execute(select(Visitor.name).where(Visitor.id == visitor_id))).scalar_one_or_none()


async def open_chat_for_typing(conn: AsyncConnection, visitor_id: str) -> Any | None:
    """(id, visitor_id, status, assignee_id, department_id, sneak_peek) of the visitor's open
    chat, with its department's sneak-peek setting; None without one."""
    stmt = (
        select(Chat.id, Chat.visitor_id, Chat.status, Chat.assignee_id, Chat.department_id, Department.sneak_peek)
        .join(Department, Department.id == Chat.department_id)
        .where(Chat.visitor_id == visitor_id, Chat.status != "closed")
    )
    return (await conn.execute(stmt)).first()
