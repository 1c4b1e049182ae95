"""Queries for attachments and agent profiles. Every function takes an open connection; the
caller (an action) owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Attachment, Chat, User

AVATAR_PATH = "/api/v1/avatars/"


async def insert_attachment(
    conn: AsyncConnection,
    *,
    file_id: str,
    kind: str,
    name: str,
    content_type: str,
    size: int,
    now: datetime,
    chat_id: int | None = None,
    seq: int | None = None,
    user_id: int | None = None,
    visitor_id: str | None = None,
    width: int | None = None,
    height: int | None = None,
) -> None:
    await conn.execute(
        insert(Attachment).values(
            id=file_id,
            kind=kind,
            chat_id=chat_id,
            seq=seq,
            user_id=user_id,
            visitor_id=visitor_id,
            name=name,
            content_type=content_type,
            size=size,
            width=width,
            height=height,
            created_at=now,
        )
    )


async def chat_attachment(conn: AsyncConnection, file_id: str) -> Any | None:
    """A file sent in a chat, with what deciding who may read it needs."""
    stmt = (
        select(
            Attachment.id,
            Attachment.chat_id,
            Attachment.name,
            Attachment.content_type,
            Attachment.size,
            Attachment.width,
            Attachment.height,
            Chat.visitor_id,
            Chat.assignee_id,
            Chat.department_id,
        )
        .join(Chat, Chat.id == Attachment.chat_id)
        .where(Attachment.id == file_id, Attachment.kind == "chat")
    )
    return (await conn.execute(stmt)).first()


async def current_avatar(conn: AsyncConnection, file_id: str) -> Any | None:
    """An agent's photo, only while it is their current one."""
    stmt = (
        select(Attachment.id, Attachment.name, Attachment.content_type, Attachment.size)
        .join(User, User.avatar_id == Attachment.id)
        .where(Attachment.id == file_id, Attachment.kind == "avatar")
    )
    return (await conn.execute(stmt)).first()


async def chat_file_ids(conn: AsyncConnection, chat_ids: list[int]) -> list[str]:
    """The files of these chats (for whoever deletes chats: their files go too)."""
    if not chat_ids:
        return []
    stmt = select(Attachment.id).where(Attachment.chat_id.in_(chat_ids))
    return list((await conn.execute(stmt)).scalars())


async def delete_chat_attachments(conn: AsyncConnection, chat_ids: list[int]) -> list[str]:
    """Forget the files of these chats (their rows); returns their ids, whose bytes the caller
    deletes from storage after its commit."""
    ids = await chat_file_ids(conn, chat_ids)
    if ids:
        await conn.execute(delete(Attachment).where(Attachment.id.in_(ids)))
    return ids


# ---- profiles -------------------------------------------------------------------------------
def avatar_url(avatar_id: str | None) -> str | None:
    return AVATAR_PATH + avatar_id if avatar_id else None


async def profile(conn: AsyncConnection, user_id: int, *, lock: bool = False) -> Any | None:
    stmt = select(User.id, User.email, User.name, User.role, User.title, User.avatar_id).where(User.id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def update_profile(conn: AsyncConnection, user_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(User).where(User.id == user_id).values(**values))


async def delete_attachment(conn: AsyncConnection, file_id: str) -> None:
    await conn.execute(delete(Attachment).where(Attachment.id == file_id))


async def agent_card(conn: AsyncConnection, user_id: int, name: str | None = None) -> dict[str, Any]:
    """How an agent is shown to visitors: name, job title and photo when they have them."""
    row = (await conn.execute(select(User.name, User.title, User.avatar_id).where(User.id == user_id))).first()
    card: dict[str, Any] = {"id": user_id, "name": row.name if row else name}
    if row is not None and row.title:
        card["title"] = row.title
    if row is not None and row.avatar_id:
        card["avatar_url"] = avatar_url(row.avatar_id)
    return card
