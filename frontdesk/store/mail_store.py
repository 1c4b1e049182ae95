"""Queries for `mail_outbox`: e-mail queued in a transaction and delivered by a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import MailOutbox


async def insert_mail(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(MailOutbox).values(**values))


async def due_mail(conn: AsyncConnection, now: datetime, *, max_attempts: int, limit: int) -> list[Any]:
    """Rows neither sent nor given up, due by `now`, oldest first."""
    rows = await conn.execute(
        select(MailOutbox)
        .where(
            MailOutbox.sent_at.is_(None),
            MailOutbox.failed_at.is_(None),
            MailOutbox.next_attempt_at <= now,
            MailOutbox.attempts < max_attempts,
        )
        .order_by(MailOutbox.id)
        .limit(limit)
    )
    return list(rows.all())


async def update_mail(conn: AsyncConnection, mail_id: int, **values: Any) -> None:
    await conn.execute(update(MailOutbox).where(MailOutbox.id == mail_id).values(**values))


def _failed(mail_id: int) -> list[Any]:
    return [MailOutbox.id == mail_id, MailOutbox.failed_at.is_not(None), MailOutbox.sent_at.is_(None)]


async def failed_mail(conn: AsyncConnection, limit: int) -> list[Any]:
    """E-mail given up on (and not sent), newest first."""
    rows = await conn.execute(
        select(MailOutbox)
        .where(MailOutbox.failed_at.is_not(None), MailOutbox.sent_at.is_(None))
        .order_by(MailOutbox.failed_at.desc(), MailOutbox.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def requeue_failed(conn: AsyncConnection, mail_id: int, now: datetime) -> bool:
    """A failed e-mail due again with a fresh set of attempts; False if there is no such row."""
    result = await conn.execute(
        update(MailOutbox).where(*_failed(mail_id)).values(failed_at=None, attempts=0, next_attempt_at=now)
    )
    return result.rowcount > 0


async def delete_failed(conn: AsyncConnection, mail_id: int) -> bool:
    """Delete a failed e-mail; False if there is no such row."""
    result = await conn.execute(delete(MailOutbox).where(*_failed(mail_id)))
    return result.rowcount > 0
