"""Queries for users (agents, supervisors, admins) as other objects see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import User


async def user_name(conn: AsyncConnection, user_id: int) -> str | None:
    return (await conn.execute(select(User.name).where(User.id == user_id))).scalar_one_or_none()


async def agent_capacity(conn: AsyncConnection, user_id: int) -> Any | None:
    """(id, name, status, max_chats) of a user, or None."""
    return (
        await conn.execute(select(User.id, User.name, User.status, User.max_chats).where(User.id == user_id))
    ).first()


async def roles(conn: AsyncConnection, user_ids: Iterable[int]) -> dict[int, str]:
    """user id -> role, for those of `user_ids` that exist."""
    rows = await conn.execute(select(User.id, User.role).where(User.id.in_(list(user_ids))))
    return {user_id: role for user_id, role in rows}


async def insert_user(conn: AsyncConnection, **values: Any) -> int:
    """A new user; an e-mail in use raises IntegrityError (the unique index)."""
    result = await conn.execute(insert(User).values(**values).returning(User.id))
    return int(result.scalar_one())


async def user_id_by_email(conn: AsyncConnection, email: str) -> int | None:
    return (await conn.execute(select(User.id).where(User.email == email))).scalar_one_or_none()


async def user_exists(conn: AsyncConnection, user_id: int) -> bool:
    return (await conn.execute(select(User.id).where(User.id == user_id))).first() is not None


async def any_user(conn: AsyncConnection) -> bool:
    return (await conn.execute(select(User.id).limit(1))).first() is not None


async def login_row(conn: AsyncConnection, email: str) -> Any | None:
    """(id, name, role, password_hash, active) of the user with that e-mail, or None."""
    stmt = select(User.id, User.name, User.role, User.password_hash, User.active).where(User.email == email)
    return (await conn.execute(stmt)).first()


async def owner(conn: AsyncConnection, user_id: int) -> Any | None:
    """(id, active) of a user, or None."""
    return (await conn.execute(select(User.id, User.active).where(User.id == user_id))).first()


async def all_users(conn: AsyncConnection) -> list[Any]:
    stmt = select(
        User.id,
        User.email,
        User.name,
        User.role,
        User.status,
        User.max_chats,
        User.active,
        User.greeter,
        User.office_id,
    ).order_by(User.id)
    return list((await conn.execute(stmt)).all())


async def update_user(conn: AsyncConnection, user_id: int, values: dict[str, Any]) -> bool:
    """False if there is no such user."""
    result = await conn.execute(update(User).where(User.id == user_id).values(**values))
    return result.rowcount > 0


async def user_settings(conn: AsyncConnection, user_id: int) -> Any | None:
    """(id, email, name, role, max_chats, greeter) of a user, or None."""
    stmt = select(User.id, User.email, User.name, User.role, User.max_chats, User.greeter).where(User.id == user_id)
    return (await conn.execute(stmt)).first()


async def user_for_activation(conn: AsyncConnection, user_id: int) -> Any | None:
    """(id, role, active) of a user, locked; None for no such user."""
    stmt = select(User.id, User.role, User.active).where(User.id == user_id).with_for_update()
    return (await conn.execute(stmt)).first()


async def active_admin_ids(conn: AsyncConnection) -> list[int]:
    """The active admins, locked (so two deactivations cannot each leave the other as the last)."""
    stmt = select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    return [user_id for (user_id,) in await conn.execute(stmt)]


async def set_active(conn: AsyncConnection, user_id: int, active: bool, now: datetime) -> None:
    await conn.execute(
        update(User).where(User.id == user_id).values(active=active, deactivated_at=None if active else now)
    )


async def user_activity(conn: AsyncConnection, user_id: int) -> Any:
    """(id, email, name, role, active, deactivated_at) of an existing user."""
    stmt = select(User.id, User.email, User.name, User.role, User.active, User.deactivated_at).where(User.id == user_id)
    return (await conn.execute(stmt)).one()


async def set_password_hash(conn: AsyncConnection, user_id: int, password_hash: str) -> None:
    await conn.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
