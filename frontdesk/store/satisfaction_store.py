"""Queries for satisfaction ratings and their reports. The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.domain.chat_rules import EventKind
from frontdesk.store.models import Chat, Department, MailOutbox, Message, User, Visitor


async def chat_for_rating(conn: AsyncConnection, chat_id: int, *, lock: bool = False) -> Any | None:
    stmt = select(
        Chat.id,
        Chat.visitor_id,
        Chat.status,
        Chat.missed,
        Chat.closed_at,
        Chat.rated_at,
        Chat.assignee_id,
        Chat.department_id,
    ).where(Chat.id == chat_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)  # FOR NO KEY UPDATE: one rating at a time
    return (await conn.execute(stmt)).first()


async def store_rating(
    conn: AsyncConnection, chat_id: int, *, score: int, comment: str | None, rated_at: datetime
) -> None:
    await conn.execute(
        update(Chat).where(Chat.id == chat_id).values(rating=score, rating_comment=comment, rated_at=rated_at)
    )


def _aggregates(good_from: int):
    return (
        func.count(Chat.rating).label("count"),
        func.avg(Chat.rating).label("average"),
        func.sum(case((Chat.rating >= good_from, 1), else_=0)).label("good"),
    )


def _rated(since: datetime, until: datetime, department_ids: list[int] | None):
    conditions = [Chat.rating.is_not(None), Chat.closed_at >= since, Chat.closed_at < until]
    if department_ids is not None:
        conditions.append(Chat.department_id.in_(department_ids))
    return conditions


async def report(
    conn: AsyncConnection,
    *,
    since: datetime,
    until: datetime,
    department_ids: list[int] | None,
    good_from: int,
) -> dict[str, list[Any]]:
    """Rated chats closed in [since, until): totals, per agent (who handled them) and per department."""
    where = _rated(since, until, department_ids)
    total = (await conn.execute(select(*_aggregates(good_from)).where(*where))).all()
    agents = (
        await conn.execute(
            select(Chat.assignee_id, User.name, *_aggregates(good_from))
            .outerjoin(User, User.id == Chat.assignee_id)
            .where(*where)
            .group_by(Chat.assignee_id, User.name)
            .order_by(User.name)
        )
    ).all()
    departments = (
        await conn.execute(
            select(Chat.department_id, Department.slug, Department.name, *_aggregates(good_from))
            .join(Department, Department.id == Chat.department_id)
            .where(*where)
            .group_by(Chat.department_id, Department.slug, Department.name)
            .order_by(Department.name)
        )
    ).all()
    return {"total": list(total), "agents": list(agents), "departments": list(departments)}


# -- the transcript e-mail (actions/satisfaction.do_email_transcript) ----------------------------
TRANSCRIPT_BUDGET_LOCK = 0x66647478  # an arbitrary constant: PostgreSQL's advisory lock key


async def lock_mail_budget(conn: AsyncConnection) -> None:
    """Serialise budget checks across nodes until the transaction ends: an advisory lock on
    PostgreSQL; SQLite's write transaction already holds the database's one writer lock."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(TRANSCRIPT_BUDGET_LOCK)))


async def mails_since(conn: AsyncConnection, kind: str, since: datetime) -> tuple[int, datetime | None]:
    """How many e-mails of this kind were queued since `since` (sent or not), and the oldest's time."""
    stmt = select(func.count(), func.min(MailOutbox.created_at)).where(
        MailOutbox.kind == kind, MailOutbox.created_at >= since
    )
    count, oldest = (await conn.execute(stmt)).one()
    return int(count or 0), oldest


async def visitor_email(conn: AsyncConnection, visitor_id: str) -> str | None:
    """The address the visitor gave (pre-chat form, identify, offline form), if any."""
    return (await conn.execute(select(Visitor.email).where(Visitor.id == visitor_id))).scalar_one_or_none()


async def agent_answered(conn: AsyncConnection, chat_id: int) -> bool:
    """Whether an agent wrote to the visitor in the chat (a message, not a note or a whisper)."""
    stmt = select(Message.seq).where(
        Message.chat_id == chat_id,
        Message.kind == EventKind.MESSAGE.value,
        Message.author_type == "agent",
        Message.internal.is_(False),
    )
    return (await conn.execute(stmt.limit(1))).first() is not None
