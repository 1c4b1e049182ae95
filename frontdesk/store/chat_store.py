"""Queries for chats and their events. Every function takes an open connection; the caller
(an action) owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.domain.events import ChatEvent
from frontdesk.store.models import Chat, Department, DepartmentMember, Message, User, Visitor
from frontdesk.store.tag_store import chat_tags_column

MESSAGE_COLUMNS = (
    Message.chat_id,
    Message.seq,
    Message.kind,
    Message.author_type,
    Message.agent_id,
    Message.author_name,
    Message.body,
    Message.client_id,
    Message.data,
    Message.created_at,
)

CHAT_COLUMNS = (
    Chat.id,
    Chat.visitor_id,
    Chat.status,
    Chat.assignee_id,
    Chat.last_seq,
    Chat.created_at,
    Chat.assigned_at,
    Chat.closed_at,
    Chat.closed_by,
    Chat.last_message_at,
    Chat.last_message_text,
    Chat.last_message_author,
    Visitor.name.label("visitor_name"),
    Visitor.email.label("visitor_email"),
    Visitor.page_url.label("visitor_page_url"),
    Visitor.page_title.label("visitor_page_title"),
    User.name.label("assignee_name"),
    Chat.department_id,
    Department.slug.label("department_slug"),
    Department.name.label("department_name"),
    Chat.queued_at,
    Chat.offered_to,
    Chat.offer_expires_at,
    Chat.missed,
    Chat.rating,
    Chat.rating_comment,
    Chat.rated_at,
    Chat.required_level,
    chat_tags_column(),
    Chat.visitor_read_seq,
)


def _chat_select():
    return (
        select(*CHAT_COLUMNS)
        .join(Visitor, Visitor.id == Chat.visitor_id)
        .join(Department, Department.id == Chat.department_id)
        .outerjoin(User, User.id == Chat.assignee_id)
    )


async def chat_row(conn: AsyncConnection, chat_id: int) -> Any | None:
    return (await conn.execute(_chat_select().where(Chat.id == chat_id))).first()


async def open_chat_of_visitor(conn: AsyncConnection, visitor_id: str) -> Any | None:
    stmt = _chat_select().where(Chat.visitor_id == visitor_id, Chat.status != "closed")
    return (await conn.execute(stmt)).first()


async def list_chats(
    conn: AsyncConnection,
    *,
    status: str,
    assignee_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
    oldest_first: bool = False,
    viewer_id: int | None = None,
    scope: Any = None,
) -> list[Any]:
    """With `viewer_id`, leaves out escalated chats the viewer is below the level of (they
    work in the department at a lower level, or not at all). `scope`: a condition on `chats`
    limiting the list to what the viewer may read (store/access_store.scope_condition)."""
    stmt = _chat_select().where(Chat.status == status)
    if scope is not None:
        stmt = stmt.where(scope)
    if assignee_id is not None:
        stmt = stmt.where(Chat.assignee_id == assignee_id)
    if viewer_id is not None:
        stmt = stmt.where(
            or_(
                Chat.required_level <= 1,
                exists().where(
                    DepartmentMember.department_id == Chat.department_id,
                    DepartmentMember.user_id == viewer_id,
                    DepartmentMember.level >= Chat.required_level,
                ),
            )
        )
    if before is not None:
        stmt = stmt.where(Chat.id < before)
    stmt = stmt.order_by(Chat.id.asc() if oldest_first else Chat.id.desc()).limit(limit)
    return list((await conn.execute(stmt)).all())


async def create_chat(conn: AsyncConnection, *, visitor_id: str, department_id: int, now: datetime) -> int:
    result = await conn.execute(
        insert(Chat)
        .values(
            visitor_id=visitor_id,
            status="queued",
            last_seq=0,
            created_at=now,
            queued_at=now,
            department_id=department_id,
        )
        .returning(Chat.id)
    )
    return int(result.scalar_one())


async def advance_seq(
    conn: AsyncConnection,
    chat_id: int,
    *,
    count: int = 1,
    require_open: bool = True,
    visitor_id: str | None = None,
    only_unassigned: bool = False,
    values: dict[str, Any] | None = None,
) -> Any | None:
    """Reserve the next `count` seqs of a chat (and apply `values`) in one conditional UPDATE.

    The row lock this takes serialises every writer of the chat until commit, so seqs are
    gapless and ordered. Returns (last_seq, visitor_id, status, assignee_id) or None when the
    chat does not exist, is closed (with require_open) or belongs to another visitor."""
    conditions = [Chat.id == chat_id]
    if require_open:
        conditions.append(Chat.status != "closed")
    if visitor_id is not None:
        conditions.append(Chat.visitor_id == visitor_id)
    if only_unassigned:
        conditions.append(Chat.assignee_id.is_(None))
    stmt = (
        update(Chat)
        .where(and_(*conditions))
        .values(last_seq=Chat.last_seq + count, **(values or {}))
        .returning(Chat.last_seq, Chat.visitor_id, Chat.status, Chat.assignee_id, Chat.department_id)
    )
    return (await conn.execute(stmt)).first()


def event_values(event: ChatEvent) -> dict[str, Any]:
    """A ChatEvent as the values of its `messages` row."""
    return {
        "chat_id": event.chat_id,
        "seq": event.seq,
        "kind": event.kind,
        "author_type": event.author_type,
        "agent_id": event.agent_id,
        "author_name": event.author_name,
        "body": event.body,
        "client_id": event.client_id,
        "data": event.data,
        "created_at": event.created_at,
        "internal": event.internal,
    }


async def insert_events(conn: AsyncConnection, events: Sequence[ChatEvent]) -> None:
    """Insert stored events (one executemany INSERT): actions/chat_events.append_events and the
    group-commit writer."""
    await conn.execute(insert(Message), [event_values(e) for e in events])


async def lock_chats(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, Any]:
    """The group-commit writer's chats, locked until commit, by id: (id, last_seq, status,
    visitor_id, assignee_id, department_id)."""
    stmt = (
        select(Chat.id, Chat.last_seq, Chat.status, Chat.visitor_id, Chat.assignee_id, Chat.department_id)
        .where(Chat.id.in_(chat_ids))
        .with_for_update(key_share=True)  # SQLite: no-op; BEGIN IMMEDIATE holds the lock
    )
    return {row.id: row for row in (await conn.execute(stmt)).all()}


async def events_by_client_ids(conn: AsyncConnection, pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Any]:
    """Stored events by (chat id, client id), for the retries in a batch."""
    if conn.dialect.name == "sqlite":
        # (chat = ? AND client_id = ?) OR …: one unique-index probe per send (SQLite scans the
        # whole table for a row-value IN).
        condition = or_(*(and_(Message.chat_id == c, Message.client_id == k) for c, k in pairs))
    else:  # PostgreSQL probes the index for a row-value IN.
        condition = tuple_(Message.chat_id, Message.client_id).in_(pairs)
    rows = (await conn.execute(select(*MESSAGE_COLUMNS).where(condition))).all()
    return {(row.chat_id, row.client_id): row for row in rows}


async def set_last_seqs(conn: AsyncConnection, chats: Sequence[tuple[int, int, datetime, str, str]]) -> None:
    """The group-commit writer's seqs, already counted under the lock of `lock_chats`: per
    chat (id, last_seq, last message at, its preview, its author), in one executemany."""
    await conn.execute(
        update(Chat)
        .where(Chat.id == bindparam("b_id"))
        .values(
            last_seq=bindparam("b_seq"),
            last_message_at=bindparam("b_at"),
            last_message_text=bindparam("b_text"),
            last_message_author=bindparam("b_author"),
        ),
        [{"b_id": cid, "b_seq": seq, "b_at": at, "b_text": text, "b_author": who} for cid, seq, at, text, who in chats],
    )


async def event_by_client_id(conn: AsyncConnection, chat_id: int, client_id: str) -> Any | None:
    stmt = select(*MESSAGE_COLUMNS).where(Message.chat_id == chat_id, Message.client_id == client_id)
    return (await conn.execute(stmt)).first()


async def events_after(
    conn: AsyncConnection, chat_id: int, after: int, limit: int = 500, *, include_internal: bool = True
) -> list[Any]:
    stmt = (
        select(*MESSAGE_COLUMNS)
        .where(Message.chat_id == chat_id, Message.seq > after, *(() if include_internal else (~Message.internal,)))
        .order_by(Message.seq)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def count_events(conn: AsyncConnection, chat_id: int) -> int:
    stmt = select(func.count()).select_from(Message).where(Message.chat_id == chat_id)
    return int((await conn.execute(stmt)).scalar_one())


async def chat_status(conn: AsyncConnection, chat_id: int, *, lock: bool = False) -> Any | None:
    """The chat's state; with lock=True the row stays locked until the transaction ends
    (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    stmt = select(
        Chat.id,
        Chat.visitor_id,
        Chat.status,
        Chat.assignee_id,
        Chat.last_seq,
        Chat.department_id,
        Chat.offered_to,
        Chat.offer_expires_at,
        Chat.queued_at,
        Chat.wait_estimate_seconds,
        Chat.required_level,
    ).where(Chat.id == chat_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)  # NO KEY UPDATE: messages may still reference it
    return (await conn.execute(stmt)).first()


async def visitor_event_by_client_id(conn: AsyncConnection, visitor_id: str, client_id: str) -> Any | None:
    """A message this visitor already sent with this client id, in any of their chats."""
    stmt = (
        select(*MESSAGE_COLUMNS)
        .join(Chat, Chat.id == Message.chat_id)
        .where(Chat.visitor_id == visitor_id, Message.client_id == client_id, Message.author_type == "visitor")
    )
    return (await conn.execute(stmt)).first()
