"""Offline messages: validation, the stored ticket, the console frame, the e-mail outbox and its
delivery to a real (local) SMTP server, retries when it is down, and no header injection."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from frontdesk.actions import mail, tickets
from frontdesk.actions.context import VisitorActor
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import MailOutbox, OfflineTicket
from tests.actions.routing_support import make_admin, make_department, published_frames, routing_log
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]


def text_of(message) -> str:
    return message.get_content().replace("\r\n", "\n")


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    async def __aenter__(self) -> Inbox:
        await asyncio.to_thread(self.controller.start)
        return self.inbox

    async def __aexit__(self, *exc) -> None:
        await asyncio.to_thread(self.controller.stop)


def use_smtp(ctx, port: int) -> None:
    ctx.settings = ctx.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "mail_from": "Frontdesk <desk@example.org>"}
    )


async def outbox(ctx) -> list:
    async with ctx.db.read() as conn:
        return list((await conn.execute(select(MailOutbox).order_by(MailOutbox.id))).all())


async def ticket_rows(ctx) -> list:
    async with ctx.db.read() as conn:
        return list((await conn.execute(select(OfflineTicket).order_by(OfflineTicket.id))).all())


async def leave(ctx, department="sales", name="Jane Doe", email="jane@example.com", text="Please call me back", **kw):
    return await tickets.do_leave_offline_message(
        ctx=ctx, department=department, name=name, email=email, text=text, visitor=kw.get("visitor")
    )


async def sales(ctx, email: str | None = "sales@example.com"):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "sales", email=email)
    ctx.published.clear()
    return admin, dept


INVALID = [
    ({"email": None}, "email"),
    ({"email": ""}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "jane@example"}, "email"),
    ({"email": "jane@example.com\r\nBcc: evil@example.net"}, "email"),
    ({"email": "jane@example.com, evil@example.net"}, "email"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
    ({"text": ""}, "text"),
    ({"text": "   \n "}, "text"),
    ({"text": None}, "text"),
    ({"text": "x" * 4001}, "text"),
    ({"name": "n" * 101}, "name"),
    ({"name": 42}, "name"),
    ({"department": "nope"}, "department"),
    ({"department": 7}, "department"),
]


async def test_offline_message_validation(ctx):
    await sales(ctx)
    for changes, field in INVALID:
        with pytest.raises(ChatRuleError) as info:
            await leave(ctx, **changes)
        assert info.value.code in ("bad_request", "too_large") and info.value.field == field, (changes, info.value)
    assert await ticket_rows(ctx) == [] and await outbox(ctx) == []
    assert ctx.published == []


async def test_offline_message_is_stored_published_and_queued_for_email(ctx):
    admin, dept = await sales(ctx)
    visitor = await new_visitor(ctx)
    ticket = await leave(ctx, name="  Jane   Doe ", email=" jane@example.com ", text="  Call me  ", visitor=visitor)
    assert (ticket["name"], ticket["email"], ticket["text"], ticket["status"]) == (
        "Jane Doe",
        "jane@example.com",
        "Call me",
        "open",
    )
    assert ticket["department"] == {"id": dept["id"], "slug": "sales", "name": "Sales"}
    (row,) = await ticket_rows(ctx)
    assert (row.id, row.visitor_id, row.department_id) == (ticket["id"], visitor.visitor_id, dept["id"])
    # Agents watching the department's queue hear of it, and nobody else.
    assert [t for t, _ in ctx.published] == [f"queue:{dept['id']}"]
    (frame,) = published_frames(ctx, f"queue:{dept['id']}", "ticket.created")
    assert frame["ticket"] == ticket
    assert [t["id"] for t in await tickets.list_tickets(ctx=ctx, actor=admin)] == [ticket["id"]]
    (logged,) = await routing_log(ctx, kind="offline_ticket")
    assert (logged.department_id, logged.data) == (dept["id"], {"ticket_id": ticket["id"]})
    (queued,) = await outbox(ctx)
    assert (queued.to_addr, queued.reply_to, queued.sent_at, queued.attempts) == (
        "sales@example.com",
        "jane@example.com",
        None,
        0,
    )
    assert queued.subject == "[Sales] Offline message from Jane Doe"
    # Without an address nothing is mailed (the ticket is still there), and without SMTP nothing is sent.
    assert await mail.send_due_mail(ctx) == 0
    await tickets.do_mark_ticket_done(ctx=ctx, actor=admin, ticket_id=ticket["id"])
    assert await tickets.list_tickets(ctx=ctx, actor=admin) == []


async def test_no_email_without_a_department_address(ctx):
    await sales(ctx, email=None)
    await leave(ctx, name=None)
    await leave(ctx, department=None)  # the default department
    assert len(await ticket_rows(ctx)) == 2
    assert await outbox(ctx) == []


async def test_send_due_mail_delivers_to_an_smtp_server(ctx):
    await sales(ctx)
    await leave(ctx, name="Jane Doe", email="jane@example.com", text="Ærlig talt: ring meg.\nLinje to.")
    await leave(ctx, name=None, email="anon@example.com", text="No name")
    port = free_port()
    use_smtp(ctx, port)
    async with SmtpServer(port) as inbox:
        assert await mail.send_due_mail(ctx) == 2
    first, second = inbox.messages()
    assert [e.rcpt_tos for e in inbox.envelopes] == [["sales@example.com"], ["sales@example.com"]]
    assert inbox.envelopes[0].mail_from == "desk@example.org"
    assert first["Subject"] == "[Sales] Offline message from Jane Doe"
    assert first["To"] == "sales@example.com"
    assert first["Reply-To"] == "jane@example.com"
    assert first["From"] == "Frontdesk <desk@example.org>"
    body = text_of(first)
    assert "Jane Doe <jane@example.com> left a message for Sales" in body
    assert "Ærlig talt: ring meg.\nLinje to." in body
    assert second["Subject"] == "[Sales] Offline message from anon@example.com"
    assert second["Reply-To"] == "anon@example.com"
    rows = await outbox(ctx)
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)
    assert await mail.send_due_mail(ctx) == 0  # nothing is sent twice


async def test_a_down_smtp_server_is_retried_later_and_nothing_is_lost(ctx):
    await sales(ctx)
    await leave(ctx, text="first")
    port = free_port()  # nothing listens here yet
    use_smtp(ctx, port)
    before = utcnow()
    assert await mail.send_due_mail(ctx) == 0
    (row,) = await outbox(ctx)
    assert (row.attempts, row.sent_at) == (1, None)
    assert row.last_error
    assert as_utc(row.next_attempt_at) >= before + timedelta(seconds=9)  # backed off
    assert await mail.send_due_mail(ctx) == 0  # not due yet: not even tried
    assert (await outbox(ctx))[0].attempts == 1
    await leave(ctx, text="second")  # arrives while the server is down

    async with ctx.db.write() as conn:  # time passes
        await conn.execute(update(MailOutbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert await mail.send_due_mail(ctx) == 0
    assert [r.attempts for r in await outbox(ctx)] == [2, 1]
    async with ctx.db.write() as conn:
        await conn.execute(update(MailOutbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    async with SmtpServer(port) as inbox:
        assert await mail.send_due_mail(ctx) == 2
    assert sorted(text_of(m).split("\n\n")[1] for m in inbox.messages()) == ["first", "second"]
    rows = await outbox(ctx)
    assert [(r.attempts, r.sent_at is not None) for r in rows] == [(3, True), (2, True)]


NASTY_NAMES = [
    "Jane\r\nBcc: evil@example.net",
    "Jane\nBcc: evil@example.net",
    "Jane\rBcc: evil@example.net",
    "Jane\u2028Bcc: evil@example.net",
    "Jane\x85Bcc: evil@example.net",
    "Jane\x0bBcc: evil@example.net\x0c",
    "Jane\r\n\r\nInjected body",
]


async def test_a_name_cannot_inject_headers(ctx):
    await sales(ctx)
    for name in NASTY_NAMES:
        ticket = await leave(ctx, name=name, email="jane@example.com", text="hello")
        assert "\n" not in ticket["name"] and "\r" not in ticket["name"]
    rows = await outbox(ctx)
    assert len(rows) == len(NASTY_NAMES)
    for row in rows:
        assert not set(row.subject) & {"\r", "\n", "\u2028", "\x85", "\x0b", "\x0c"}, repr(row.subject)
    port = free_port()
    use_smtp(ctx, port)
    async with SmtpServer(port) as inbox:
        assert await mail.send_due_mail(ctx) == len(NASTY_NAMES)
    for envelope, message in zip(inbox.envelopes, inbox.messages(), strict=True):
        assert envelope.rcpt_tos == ["sales@example.com"]
        assert message["Bcc"] is None
        assert message["Subject"].startswith("[Sales] Offline message from Jane ")
        assert text_of(message).split("\n\n")[1] == "hello"
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
        assert sorted(names) == sorted(
            [
                b"From",
                b"To",
                b"Subject",
                b"Message-ID",
                b"Reply-To",
                b"Content-Type",
                b"Content-Transfer-Encoding",
                b"MIME-Version",
            ]
        ), head


async def test_an_email_with_a_line_break_is_refused(ctx):
    await sales(ctx)
    for email in ("jane@example.com\nBcc: evil@example.net", "jane@example.com\r\n", "jane@exa\u2028mple.com"):
        try:
            ticket = await leave(ctx, email=email)
        except ChatRuleError as error:
            assert error.field == "email"
        else:  # only surrounding whitespace may be stripped away
            assert ticket["email"] == "jane@example.com"
    assert all("\n" not in r.reply_to and "\r" not in r.reply_to for r in await outbox(ctx))


async def test_a_visitor_actor_is_optional(ctx):
    await sales(ctx)
    ticket = await leave(ctx, visitor=VisitorActor((await new_visitor(ctx)).visitor_id))
    assert ticket["id"] > 0


async def test_a_department_name_cannot_carry_a_line_break_into_mail_headers(ctx):
    """Regression (before 3ee727d): such a name was accepted, and every offline message to the department
    then failed in enqueue_mail, losing the visitor's message."""
    admin = await make_admin(ctx)
    for name in ("Sales\nTeam", "Sales\r\nBcc: evil@example.net"):
        with pytest.raises(ChatRuleError) as info:
            await make_department(ctx, admin, "sales", name=name, email="sales@example.com")
        assert info.value.field == "name"
    dept = await make_department(ctx, admin, "sales", email="sales@example.com")
    from frontdesk.actions.departments import do_update_department

    with pytest.raises(ChatRuleError) as info:
        await do_update_department(ctx=ctx, actor=admin, department_id=dept["id"], data={"name": "Sales\rX"})
    assert info.value.field == "name"
    ticket = await leave(ctx)
    assert ticket["id"]
    (row,) = await outbox(ctx)
    assert row.subject == "[Sales] Offline message from Jane Doe"
