"""Queries for users (agents, supervisors, admins) as other objects see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import User


async def user_name(conn: AsyncConnection, user_id: int) -> str | None:
    return (await conn.execute(select(User.name).where(User.id == user_id))).scalar_one_or_none()


async def agent_capacity(conn: AsyncConnection, user_id: int) -> Any | None:
    """(id, name, status, max_chats) of a user, or None."""
    return (
        await conn.execute(select(User.id, User.name, User.status, User.max_chats).where(User.id == user_id))
    ).first()
