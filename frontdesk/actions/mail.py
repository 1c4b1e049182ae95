"""Outgoing e-mail: queued in the transaction that decides to send it, delivered by a job with
retries, so a slow or down SMTP server never blocks or loses anything."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import insert, select, update

from frontdesk.actions.context import Context
from frontdesk.clock import utcnow
from frontdesk.config import Settings
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import MailOutbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def _header(value: str, field: str) -> str:
    """Header values with line breaks would let a visitor inject headers: refuse them."""
    if "\r" in value or "\n" in value:
        raise ChatRuleError("bad_request", f"{field}: must not contain line breaks", field=field)
    return value


async def enqueue_mail(conn, *, to: str, subject: str, body: str, reply_to: str | None = None) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    await conn.execute(
        insert(MailOutbox).values(
            to_addr=_header(to, "to"),
            subject=" ".join(subject.split())[:300],  # our own text: folded, never refused
            body=body,
            reply_to=None if reply_to is None else _header(reply_to, "email"),
            created_at=now,
            next_attempt_at=now,
        )
    )


def _send_blocking(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(
                settings.smtp_username, settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            )
        smtp.send_message(message)


async def send_due_mail(ctx: Context, *, limit: int = 20) -> int:
    """Deliver what is due; failures back off exponentially and give up after MAX_ATTEMPTS."""
    settings = ctx.settings
    if not settings.smtp_host:
        return 0
    now = utcnow()
    async with ctx.db.read() as conn:
        due = (
            await conn.execute(
                select(MailOutbox)
                .where(
                    MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at <= now, MailOutbox.attempts < MAX_ATTEMPTS
                )
                .order_by(MailOutbox.id)
                .limit(limit)
            )
        ).all()
    sent = 0
    for row in due:
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = row.to_addr
        message["Subject"] = row.subject
        message["Message-ID"] = make_msgid(domain="frontdesk")
        if row.reply_to:
            message["Reply-To"] = row.reply_to
        message.set_content(row.body)
        try:
            await asyncio.to_thread(_send_blocking, settings, message)
        except Exception as exc:  # network, refusal, auth: retried later
            attempts = row.attempts + 1
            delay = timedelta(seconds=min(3600, 5 * 2**attempts))
            log.warning("mail %s to %s failed (attempt %d): %s", row.id, row.to_addr, attempts, exc)
            async with ctx.db.write() as conn:
                await conn.execute(
                    update(MailOutbox)
                    .where(MailOutbox.id == row.id)
                    .values(attempts=attempts, next_attempt_at=utcnow() + delay, last_error=str(exc)[:500])
                )
            continue
        async with ctx.db.write() as conn:
            await conn.execute(
                update(MailOutbox).where(MailOutbox.id == row.id).values(sent_at=utcnow(), attempts=row.attempts + 1)
            )
        sent += 1
    return sent
