"""Queries for retention and data deletion. Every function takes an open connection; the caller
(an action) owns the transaction. Batches are chosen by what still has to be done, so running
again after a crash (or twice) picks up exactly what is left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.domain.chat_rules import EventKind
from frontdesk.store.models import Chat, MailOutbox, Message, OfflineTicket, Visitor

MAIL_GAVE_UP = 8  # actions.mail.MAX_ATTEMPTS: mail that will not be retried


# ---- chats ------------------------------------------------------------------------------------
async def due_chat_ids(conn: AsyncConnection, cutoff: datetime, limit: int, *, anonymise: bool) -> list[int]:
    """Closed before the cutoff (and, to anonymise, not anonymised yet), oldest first."""
    stmt = select(Chat.id).where(Chat.status == "closed", Chat.closed_at < cutoff)
    if anonymise:
        stmt = stmt.where(Chat.anonymised_at.is_(None))
    return list((await conn.execute(stmt.order_by(Chat.id).limit(limit))).scalars())


async def count_messages(conn: AsyncConnection, chat_ids: list[int]) -> int:
    if not chat_ids:
        return 0
    stmt = select(func.count()).select_from(Message).where(Message.chat_id.in_(chat_ids))
    return int((await conn.execute(stmt)).scalar_one())


async def delete_chats(conn: AsyncConnection, chat_ids: list[int]) -> int:
    """Their messages, routing records, tags, reviews and attachment rows go by ON DELETE CASCADE."""
    if not chat_ids:
        return 0
    return (await conn.execute(delete(Chat).where(Chat.id.in_(chat_ids)))).rowcount or 0


async def anonymise_chats(conn: AsyncConnection, chat_ids: list[int], *, removed: str, now: datetime) -> int:
    """Keep every row and its metadata (seq, kind, author type, agent, times, rating score) for
    reports; remove what people wrote: every text (messages, notes), the data of messages
    (attachments), the visitor's name on their messages, the list preview, the rating comment."""
    if not chat_ids:
        return 0
    in_chats = Message.chat_id.in_(chat_ids)
    await conn.execute(update(Message).where(in_chats, Message.body != "").values(body=removed))
    await conn.execute(update(Message).where(in_chats, Message.kind == EventKind.MESSAGE.value).values(data={}))
    await conn.execute(update(Message).where(in_chats, Message.author_type == "visitor").values(author_name=None))
    await conn.execute(
        update(Chat)
        .where(Chat.id.in_(chat_ids))
        .values(
            last_message_text=case((Chat.last_message_text.is_(None), None), else_=removed),
            rating_comment=None,
            anonymised_at=now,
        )
    )
    return len(chat_ids)


# ---- visitors ---------------------------------------------------------------------------------
def _last_seen():
    return func.coalesce(Visitor.last_seen_at, Visitor.created_at)


async def idle_visitor_ids_without_chats(conn: AsyncConnection, cutoff: datetime, limit: int) -> list[str]:
    """Visitors not seen since the cutoff who have no chat left."""
    no_chats = ~exists().where(Chat.visitor_id == Visitor.id)
    stmt = select(Visitor.id).where(_last_seen() < cutoff, no_chats).order_by(Visitor.id).limit(limit)
    return list((await conn.execute(stmt)).scalars())


async def delete_visitors(conn: AsyncConnection, visitor_ids: list[str]) -> int:
    if not visitor_ids:
        return 0
    return (await conn.execute(delete(Visitor).where(Visitor.id.in_(visitor_ids)))).rowcount or 0


PERSONAL = ("name", "email", "page_url", "page_title", "referrer", "user_agent")


async def anonymisable_visitor_ids(conn: AsyncConnection, cutoff: datetime, limit: int) -> list[str]:
    """Visitors not seen since the cutoff, still holding personal data, whose every chat is
    anonymised (a visitor with a recent chat keeps their name on it)."""
    recent_chat = exists().where(Chat.visitor_id == Visitor.id, Chat.anonymised_at.is_(None))
    holds_data = or_(*(getattr(Visitor, column).is_not(None) for column in PERSONAL))
    stmt = select(Visitor.id).where(_last_seen() < cutoff, ~recent_chat, holds_data).order_by(Visitor.id).limit(limit)
    return list((await conn.execute(stmt)).scalars())


async def anonymise_visitors(conn: AsyncConnection, visitor_ids: list[str]) -> int:
    if not visitor_ids:
        return 0
    values = dict.fromkeys(PERSONAL)
    return (await conn.execute(update(Visitor).where(Visitor.id.in_(visitor_ids)).values(**values))).rowcount or 0


async def visitor(conn: AsyncConnection, visitor_id: str, *, lock: bool = False) -> Any | None:
    stmt = select(Visitor.id, Visitor.email).where(Visitor.id == visitor_id)
    if lock:
        stmt = stmt.with_for_update()  # a chat being opened for them waits, then finds them gone
    return (await conn.execute(stmt)).first()


async def chats_of_visitor(conn: AsyncConnection, visitor_id: str) -> list[Any]:
    return list((await conn.execute(select(Chat.id, Chat.status).where(Chat.visitor_id == visitor_id))).all())


# ---- offline messages and e-mail --------------------------------------------------------------
async def due_ticket_ids(conn: AsyncConnection, cutoff: datetime, limit: int, *, removed: str | None) -> list[int]:
    """Handled offline messages left before the cutoff (open ones wait for an answer);
    to anonymise (`removed` given), those not anonymised yet."""
    stmt = select(OfflineTicket.id).where(OfflineTicket.status == "done", OfflineTicket.created_at < cutoff)
    if removed is not None:
        stmt = stmt.where(OfflineTicket.body != removed)
    return list((await conn.execute(stmt.order_by(OfflineTicket.id).limit(limit))).scalars())


async def delete_tickets(conn: AsyncConnection, ticket_ids: list[int]) -> int:
    if not ticket_ids:
        return 0
    return (await conn.execute(delete(OfflineTicket).where(OfflineTicket.id.in_(ticket_ids)))).rowcount or 0


async def anonymise_tickets(conn: AsyncConnection, ticket_ids: list[int], *, removed: str) -> int:
    if not ticket_ids:
        return 0
    stmt = update(OfflineTicket).where(OfflineTicket.id.in_(ticket_ids)).values(name=None, email="", body=removed)
    return (await conn.execute(stmt)).rowcount or 0


async def delete_tickets_of_visitor(conn: AsyncConnection, visitor_id: str, email: str | None) -> int:
    """Left with their token, or with their e-mail address."""
    match = OfflineTicket.visitor_id == visitor_id
    if email:
        match = or_(match, func.lower(OfflineTicket.email) == email.lower())
    return (await conn.execute(delete(OfflineTicket).where(match))).rowcount or 0


async def delete_old_mail(conn: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """Sent (or given-up) e-mail created before the cutoff: it holds transcripts and messages."""
    done = or_(MailOutbox.sent_at.is_not(None), MailOutbox.failed_at.is_not(None), MailOutbox.attempts >= MAIL_GAVE_UP)
    ids = select(MailOutbox.id).where(MailOutbox.created_at < cutoff, done).order_by(MailOutbox.id).limit(limit)
    found = list((await conn.execute(ids)).scalars())
    if not found:
        return 0
    return (await conn.execute(delete(MailOutbox).where(MailOutbox.id.in_(found)))).rowcount or 0


async def delete_mail_to(conn: AsyncConnection, email: str) -> int:
    """Every e-mail to or from (Reply-To) this address, sent or not."""
    address = email.lower()
    match = or_(func.lower(MailOutbox.to_addr) == address, func.lower(MailOutbox.reply_to) == address)
    return (await conn.execute(delete(MailOutbox).where(match))).rowcount or 0
