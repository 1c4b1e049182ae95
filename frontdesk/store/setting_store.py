"""Queries for `settings`: one JSON value per key (the widget, retention)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Setting


async def setting(conn: AsyncConnection, key: str, *, lock: bool = False) -> Any | None:
    """The stored value, or None; with lock=True the row is locked (when it exists)."""
    stmt = select(Setting.value).where(Setting.key == key)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).scalar_one_or_none()


async def put_setting(conn: AsyncConnection, key: str, value: Any, *, exists: bool) -> None:
    """Store a value: an UPDATE of the row read under lock, or an INSERT of a new key."""
    if exists:
        await conn.execute(update(Setting).where(Setting.key == key).values(value=value))
    else:
        await conn.execute(insert(Setting).values(key=key, value=value))
