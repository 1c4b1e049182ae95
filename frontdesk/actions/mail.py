"""Outgoing e-mail: queued in the transaction that decides to send it, delivered by a job with
retries, so a slow or down SMTP server never blocks or loses anything."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import iso, utcnow
from frontdesk.config import Settings
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.text import parse_email_address, strip_controls
from frontdesk.permissions import require
from frontdesk.store import mail_store

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


async def enqueue_mail(
    conn: AsyncConnection, *, to: str, subject: str, body: str, reply_to: str | None = None, kind: str | None = None
) -> None:
    """Queue one e-mail in the caller's transaction. The addresses go through the one parser
    (frontdesk.domain.text.parse_email_address): a bad one is a 400 naming `to` or `email`."""
    now = utcnow()
    await mail_store.insert_mail(
        conn,
        to_addr=parse_email_address(to, "to"),
        subject=" ".join(strip_controls(subject).split())[:300],  # our own text: folded, never refused
        body=strip_controls(body, multiline=True),
        reply_to=None if reply_to is None else parse_email_address(reply_to, "email"),
        created_at=now,
        next_attempt_at=now,
        kind=kind,  # `transcript` e-mails are counted by their site-wide budget
    )


def _send_blocking(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=15) as smtp:  # set: see send_due_mail
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(
                settings.smtp_username, settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            )
        smtp.send_message(message)


class UnbuildableMail(Exception):
    """A queued row that can never become a message (e.g. an address an old version let in)."""


def build_message(settings: Settings, row: Any) -> EmailMessage:
    """The message of one outbox row; UnbuildableMail when its addresses or headers are not ones
    we would accept today, or the e-mail library refuses them."""
    try:
        to_addr = parse_email_address(row.to_addr, "to")
        reply_to = parse_email_address(row.reply_to, "reply_to") if row.reply_to else None
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = to_addr
        message["Subject"] = " ".join(strip_controls(row.subject or "").split())
        message["Message-ID"] = make_msgid(domain="frontdesk")
        if reply_to:
            message["Reply-To"] = reply_to
        message.set_content(strip_controls(row.body or "", multiline=True))
        message.as_bytes()  # everything the SMTP client will do with it, now, inside this row's handling
    except ChatRuleError as exc:
        raise UnbuildableMail(exc.message) from exc
    except Exception as exc:  # the header registry and the generator raise several kinds
        raise UnbuildableMail(f"{type(exc).__name__}: {exc}") from exc
    return message


async def send_due_mail(ctx: Context, *, limit: int = 20) -> int:
    """Deliver what is due, each row on its own: a row that cannot be built is marked failed for
    good (`failed_at`, `last_error`) and never retried; a refused or failed delivery backs off
    exponentially and is given up (`failed_at`) after MAX_ATTEMPTS. Nothing one row does stops
    the rows behind it. Returns how many were sent."""
    settings = ctx.settings
    if not settings.smtp_host:
        return 0
    now = utcnow()
    async with ctx.db.read() as conn:
        due = await mail_store.due_mail(conn, now, max_attempts=MAX_ATTEMPTS, limit=limit)
    sent = 0
    for row in due:
        try:
            sent += await _deliver(ctx, row)
        except asyncio.CancelledError:
            raise
        except Exception:  # e.g. the database refused the update: the next pass tries this row again
            log.exception("mail %s: could not be handled", row.id)
    return sent


async def _deliver(ctx: Context, row: Any) -> int:
    try:
        message = build_message(ctx.settings, row)
    except UnbuildableMail as exc:
        log.warning("mail %s cannot be sent and is given up: %s", row.id, exc)
        await _mark(row.id, ctx, failed_at=utcnow(), last_error=f"cannot be built: {exc}"[:500])
        return 0
    try:
        await asyncio.to_thread(_send_blocking, ctx.settings, message)
    except Exception as exc:  # network, refusal, auth: retried later, given up after MAX_ATTEMPTS
        attempts = row.attempts + 1
        delay = timedelta(seconds=min(3600, 5 * 2**attempts))
        reason = f"{type(exc).__name__}: {exc}"[:500]
        gave_up = attempts >= MAX_ATTEMPTS
        log.warning("mail %s failed (attempt %d%s): %s", row.id, attempts, ", given up" if gave_up else "", reason)
        await _mark(
            row.id,
            ctx,
            attempts=attempts,
            next_attempt_at=utcnow() + delay,
            last_error=reason,
            failed_at=utcnow() if gave_up else None,
        )
        return 0
    await _mark(row.id, ctx, sent_at=utcnow(), attempts=row.attempts + 1)
    return 1


async def _mark(row_id: int, ctx: Context, **values: Any) -> None:
    """One row's outcome, in its own transaction (nothing to publish)."""
    async with unit_of_work(ctx) as (conn, _outbox):
        await mail_store.update_mail(conn, row_id, **values)


# ---- failed mail, for admins (GET /api/v1/mail/failed) -------------------------------------------
def failed_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "to": row.to_addr,
        "subject": row.subject,
        "reason": row.last_error,
        "attempts": row.attempts,
        "created_at": iso(row.created_at),
        "failed_at": iso(row.failed_at),
    }


async def list_failed_mail(*, ctx: Context, actor: AgentActor, limit: int = 100) -> list[dict[str, Any]]:
    """E-mail given up on, newest first: what it was, to whom, and why."""
    require(actor.role, "mail.read")
    async with ctx.db.read() as conn:
        rows = await mail_store.failed_mail(conn, limit)
    return [failed_payload(r) for r in rows]


async def do_retry_mail(*, ctx: Context, actor: AgentActor, mail_id: int) -> dict[str, Any]:
    """Queue a failed e-mail again (e.g. after the SMTP settings were fixed): a fresh set of
    attempts. A row that cannot be built fails again at once, with its reason."""
    require(actor.role, "mail.manage")
    async with unit_of_work(ctx) as (conn, _outbox):
        if not await mail_store.requeue_failed(conn, mail_id, utcnow()):
            raise ChatRuleError("not_found", "No such failed e-mail.")
    return {"id": mail_id, "queued": True}


async def do_discard_mail(*, ctx: Context, actor: AgentActor, mail_id: int) -> dict[str, Any]:
    """Delete a failed e-mail (it may hold a transcript: no reason to keep it)."""
    require(actor.role, "mail.manage")
    async with unit_of_work(ctx) as (conn, _outbox):
        if not await mail_store.delete_failed(conn, mail_id):
            raise ChatRuleError("not_found", "No such failed e-mail.")
    return {"id": mail_id, "deleted": True}
