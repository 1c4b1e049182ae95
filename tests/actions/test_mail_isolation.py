"""One bad e-mail never stops the others, nor the other background jobs (issue 10, item 1): a row
that cannot be built is marked failed with its reason and shown to admins, the rows behind it are
delivered to a real (local) SMTP server, and the retention run still runs in the same pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from frontdesk.actions import mail, retention
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.jobs import Jobs
from frontdesk.store.models import MailOutbox
from tests.actions.routing_support import make_admin
from tests.actions.support import new_agent
from tests.actions.test_offline_tickets import SmtpServer, free_port, use_smtp

pytestmark = pytest.mark.asyncio(loop_scope="session")

POISONED = "=?utf-8?q?a=0D=0ABcc=3A_x=40evil.test?=@b.cd"


async def put_row(ctx, to: str, subject: str = "Hello", **values) -> int:  # type: ignore[no-untyped-def]
    """A row written straight into the outbox, as an old database (or an older version) holds it."""
    now = utcnow()
    async with ctx.db.write() as conn:
        result = await conn.execute(
            insert(MailOutbox)
            .values(
                to_addr=to,
                subject=subject,
                body="Body text",
                created_at=values.pop("created_at", now),
                next_attempt_at=now,
                **values,
            )
            .returning(MailOutbox.id)
        )
        return int(result.scalar_one())


async def row(ctx, row_id: int):  # type: ignore[no-untyped-def]
    async with ctx.db.read() as conn:
        return (await conn.execute(select(MailOutbox).where(MailOutbox.id == row_id))).first()


async def test_a_poisoned_row_is_failed_for_good_and_the_rows_behind_it_are_delivered(ctx):
    poisoned = await put_row(ctx, POISONED, subject="Transcript")
    first = await put_row(ctx, "ann@example.com", subject="One")
    bad_reply = await put_row(ctx, "bob@example.com", subject="Reply", reply_to="x@example.com\r\nBcc: y@evil.test")
    second = await put_row(ctx, "cid@example.com", subject="Two")
    use_smtp(ctx, free_port())
    async with SmtpServer(ctx.settings.smtp_port) as inbox:
        assert await mail.send_due_mail(ctx) == 2
    assert [e.rcpt_tos for e in inbox.envelopes] == [["ann@example.com"], ["cid@example.com"]]
    assert [m["Subject"] for m in inbox.messages()] == ["One", "Two"]
    for row_id, field in ((poisoned, "to"), (bad_reply, "reply_to")):
        failed = await row(ctx, row_id)
        assert failed.failed_at is not None and failed.sent_at is None
        assert failed.last_error.startswith("cannot be built:") and f"{field}:" in failed.last_error
    assert "encoded words" in (await row(ctx, poisoned)).last_error
    assert [(await row(ctx, r)).sent_at is not None for r in (first, second)] == [True, True]
    # Never tried again: nothing is due, even with the retry time long past.
    async with ctx.db.write() as conn:
        await conn.execute(update(MailOutbox).values(next_attempt_at=utcnow() - timedelta(days=1)))
    async with SmtpServer(ctx.settings.smtp_port) as inbox:
        assert await mail.send_due_mail(ctx) == 0
    assert inbox.envelopes == []

    admin = await make_admin(ctx)
    listed = await mail.list_failed_mail(ctx=ctx, actor=admin)
    assert {m["id"] for m in listed} == {poisoned, bad_reply}
    shown = next(m for m in listed if m["id"] == poisoned)
    assert (shown["to"], shown["subject"]) == (POISONED, "Transcript")
    assert "encoded words" in shown["reason"] and shown["failed_at"]
    agent = await new_agent(ctx, "manager")
    with pytest.raises(ChatRuleError) as refused:
        await mail.list_failed_mail(ctx=ctx, actor=agent)
    assert refused.value.code == "forbidden"


async def test_the_jobs_pass_survives_a_poisoned_row_and_still_runs_retention(ctx):
    admin = await make_admin(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data={"retention_days": 30, "mode": "delete"})
    old_sent = await put_row(ctx, "old@example.com", created_at=utcnow() - timedelta(days=40), sent_at=utcnow())
    poisoned = await put_row(ctx, POISONED)
    behind = [await put_row(ctx, f"n{i}@example.com", subject=f"Behind {i}") for i in range(3)]
    use_smtp(ctx, free_port())
    jobs = Jobs(ctx)
    async with SmtpServer(ctx.settings.smtp_port) as inbox:
        await jobs.run_once()
    assert jobs.failures == {}
    assert [m["Subject"] for m in inbox.messages()] == ["Behind 0", "Behind 1", "Behind 2"]
    assert (await row(ctx, poisoned)).failed_at is not None
    assert [(await row(ctx, r)).sent_at is not None for r in behind] == [True] * 3
    assert await row(ctx, old_sent) is None  # the retention run ran in the same pass


async def test_a_job_that_raises_does_not_stop_the_others(ctx, monkeypatch):
    admin = await make_admin(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data={"retention_days": 30, "mode": "delete"})
    old_sent = await put_row(ctx, "old@example.com", created_at=utcnow() - timedelta(days=40), sent_at=utcnow())
    queued = await put_row(ctx, "ann@example.com", subject="Still sent")

    async def broken(*_args, **_kwargs):  # a bug in one job (not a mock of something we could run)
        raise RuntimeError("offer expiry is broken")

    monkeypatch.setattr("frontdesk.actions.offers.do_expire_offers", broken)
    use_smtp(ctx, free_port())
    jobs = Jobs(ctx)
    async with SmtpServer(ctx.settings.smtp_port) as inbox:
        await jobs.run_once()
    assert jobs.failures == {"offer expiry": 1}
    assert [m["Subject"] for m in inbox.messages()] == ["Still sent"]
    assert (await row(ctx, queued)).sent_at is not None
    assert await row(ctx, old_sent) is None
    assert jobs.passes == 1


async def test_mail_that_keeps_failing_is_given_up_and_can_be_retried_or_discarded(ctx):
    row_id = await put_row(ctx, "ann@example.com", attempts=mail.MAX_ATTEMPTS - 1)
    use_smtp(ctx, free_port())  # nothing listens: the delivery fails
    assert await mail.send_due_mail(ctx) == 0
    gave_up = await row(ctx, row_id)
    assert gave_up.attempts == mail.MAX_ATTEMPTS and gave_up.failed_at is not None and gave_up.last_error
    admin = await make_admin(ctx)
    assert [m["id"] for m in await mail.list_failed_mail(ctx=ctx, actor=admin)] == [row_id]
    assert await mail.do_retry_mail(ctx=ctx, actor=admin, mail_id=row_id) == {"id": row_id, "queued": True}
    again = await row(ctx, row_id)
    assert (again.failed_at, again.attempts) == (None, 0)
    async with SmtpServer(ctx.settings.smtp_port) as inbox:
        assert await mail.send_due_mail(ctx) == 1
    assert len(inbox.envelopes) == 1
    with pytest.raises(ChatRuleError) as info:  # sent: no longer a failed e-mail
        await mail.do_discard_mail(ctx=ctx, actor=admin, mail_id=row_id)
    assert info.value.code == "not_found"
    poisoned = await put_row(ctx, POISONED)
    assert await mail.send_due_mail(ctx) == 0
    assert await mail.do_discard_mail(ctx=ctx, actor=admin, mail_id=poisoned) == {"id": poisoned, "deleted": True}
    assert await row(ctx, poisoned) is None


async def test_enqueue_refuses_an_address_the_parser_refuses(ctx):
    async with ctx.db.write() as conn:
        with pytest.raises(ChatRuleError) as info:
            await mail.enqueue_mail(conn, to=POISONED, subject="x", body="y")
    assert (info.value.code, info.value.field) == ("bad_request", "to")
