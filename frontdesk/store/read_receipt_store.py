"""Queries for visitor read receipts: how far the visitor has read their open chat
(`chats.visitor_read_seq`, raised by the widget's `read` frame). The caller owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Chat


async def open_chat_for_read(conn: AsyncConnection, visitor_id: str) -> Any | None:
    """The visitor's open chat: id, status, assignee_id, department_id, last_seq, visitor_read_seq."""
    stmt = select(
        Chat.id, Chat.status, Chat.assignee_id, Chat.department_id, Chat.last_seq, Chat.visitor_read_seq
    ).where(Chat.visitor_id == visitor_id, Chat.status != "closed")
    return (await conn.execute(stmt)).first()


async def raise_read_seq(conn: AsyncConnection, chat_id: int, seq: int) -> bool:
    """visitor_read_seq = seq if that raises it (never lowers it); False when it would not."""
    result = await conn.execute(
        update(Chat)
        .where(Chat.id == chat_id, Chat.visitor_read_seq < seq, Chat.status != "closed")
        .values(visitor_read_seq=seq)
    )
    return result.rowcount == 1
