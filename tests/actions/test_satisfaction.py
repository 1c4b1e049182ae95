"""Satisfaction: who may rate which chat and when, the agent hearing of it, the transcript e-mail
(never with internal notes), the report per agent and department, and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from frontdesk.actions import satisfaction, visitors, widget_settings
from frontdesk.actions.audit import list_audit, record_audit
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.actions.context import unit_of_work
from frontdesk.actions.mail import enqueue_mail
from frontdesk.actions.notes import do_add_note
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.events import ChatEvent
from frontdesk.domain.satisfaction import CHANGE_WINDOW, check_range
from frontdesk.store import chat_store
from frontdesk.store.models import AuditEntry, Chat, MailOutbox
from tests.actions.support import frames, new_agent, new_cid, new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def ended_chat(ctx, *, close_by: str = "agent", agent=None, email="ann@example.com", answer=True):  # type: ignore[no-untyped-def]
    """A visitor's chat (the visitor gave `email` in the chat form) that an agent took and
    (`answer`) answered, then closed: (visitor, agent, chat id)."""
    visitor = await new_visitor(ctx)
    if email is not None:
        await visitors.do_update_visitor(ctx=ctx, actor=visitor, fields={"email": email})
    agent = agent or await new_agent(ctx)
    sent = await do_send_visitor_message(ctx=ctx, actor=visitor, text="My order is late", client_id=new_cid())
    chat_id = sent.event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    if answer:
        await do_send_agent_message(ctx=ctx, actor=agent, chat_id=chat_id, text="It ships today.", client_id=new_cid())
    await do_close_chat(ctx=ctx, actor=agent if close_by == "agent" else visitor, chat_id=chat_id)
    return visitor, agent, chat_id


async def stored_chat(ctx, chat_id):  # type: ignore[no-untyped-def]
    async with ctx.db.read() as conn:
        return (await conn.execute(select(Chat).where(Chat.id == chat_id))).one()


async def test_the_visitor_rates_their_ended_chat_and_the_agent_hears_it(ctx):
    visitor, agent, chat_id = await ended_chat(ctx)
    ctx.published.clear()
    rating = await satisfaction.do_rate_chat(
        ctx=ctx, actor=visitor, chat_id=chat_id, rating="good", comment="  Quick and kind.  "
    )
    assert rating["score"] == 5 and rating["comment"] == "Quick and kind."
    row = await stored_chat(ctx, chat_id)
    assert (row.rating, row.rating_comment) == (5, "Quick and kind.") and row.rated_at is not None
    to_agent = [f for f in frames(ctx.published, f"agent:{agent.id}") if f["type"] == "chat.rated"]
    assert len(to_agent) == 1
    assert to_agent[0]["chat"]["rating"]["score"] == 5 and to_agent[0]["chat"]["assignee"]["id"] == agent.id
    assert to_agent[0]["changed"] is False
    to_visitor = frames(ctx.published, f"visitor:{visitor.visitor_id}")
    assert [f["type"] for f in to_visitor] == ["chat.rated"] and "chat" not in to_visitor[0]  # no agent summary


async def test_a_visitor_who_ended_the_chat_rates_it_on_stars(ctx):
    visitor, _agent, chat_id = await ended_chat(ctx, close_by="visitor")
    rating = await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating=3)
    assert rating["score"] == 3 and rating["comment"] is None


async def test_only_the_chats_own_visitor_may_rate_it(ctx):
    _visitor, _agent, chat_id = await ended_chat(ctx)
    stranger = await new_visitor(ctx)
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_rate_chat(ctx=ctx, actor=stranger, chat_id=chat_id, rating=1)
    assert err.value.code == "not_found"
    assert (await stored_chat(ctx, chat_id)).rating is None


async def test_only_an_ended_chat_can_be_rated(ctx):
    visitor = await new_visitor(ctx)
    agent = await new_agent(ctx)
    sent = await do_send_visitor_message(ctx=ctx, actor=visitor, text="Hello", client_id=new_cid())
    chat_id = sent.event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating=5)
    assert err.value.code == "conflict" and "ended" in err.value.message


async def test_a_missed_chat_cannot_be_rated(ctx):
    visitor = await new_visitor(ctx)
    sent = await do_send_visitor_message(ctx=ctx, actor=visitor, text="Anyone?", client_id=new_cid())
    await do_close_chat(ctx=ctx, actor=visitor, chat_id=sent.event["chat_id"])  # gave up while queued
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=sent.event["chat_id"], rating=1)
    assert err.value.code == "conflict"


@pytest.mark.parametrize(
    ("rating", "comment", "field"),
    [
        (0, None, "rating"),
        (6, None, "rating"),
        (True, None, "rating"),
        ("meh", None, "rating"),
        (4.5, None, "rating"),
        (4, "x" * 1001, "comment"),
        (4, 12, "comment"),
        (4, "a\x00b", "comment"),
    ],
)
async def test_ratings_out_of_range_are_refused_naming_the_field(ctx, rating, comment, field):
    visitor, _agent, chat_id = await ended_chat(ctx)
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating=rating, comment=comment)
    assert err.value.code == "bad_request" and err.value.field == field
    assert (await stored_chat(ctx, chat_id)).rating is None


async def test_a_rating_can_be_changed_for_ten_minutes_then_it_stands(ctx):
    visitor, agent, chat_id = await ended_chat(ctx)
    first = await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating="bad")
    ctx.published.clear()
    changed = await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating=4, comment="Fixed!")
    assert changed["score"] == 4 and changed["rated_at"] == first["rated_at"]  # the window does not slide
    assert [f["changed"] for f in frames(ctx.published, f"agent:{agent.id}") if f["type"] == "chat.rated"] == [True]
    # Eleven minutes later the rating stands.
    async with ctx.db.write() as conn:
        await conn.execute(
            update(Chat).where(Chat.id == chat_id).values(rated_at=utcnow() - CHANGE_WINDOW - timedelta(minutes=1))
        )
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating=1)
    assert err.value.code == "conflict" and "already" in err.value.message
    assert (await stored_chat(ctx, chat_id)).rating == 4


async def test_the_transcript_email_holds_the_conversation_but_never_internal_notes(ctx):
    visitor, agent, chat_id = await ended_chat(ctx)
    await do_add_note(ctx=ctx, actor=agent, chat_id=chat_id, text="SECRET: customer is a reseller", client_id=new_cid())
    # Any internal event, whatever its kind (here one that looks like a message), stays out too.
    async with ctx.db.write() as conn:
        locked = await chat_store.advance_seq(conn, chat_id, require_open=False)
        await chat_store.insert_events(
            conn,
            [
                ChatEvent(
                    chat_id,
                    locked.last_seq,
                    "message",
                    "agent",
                    agent.id,
                    agent.name,
                    "WHISPERED to the agent",
                    None,
                    {},
                    utcnow(),
                    True,  # internal, though its kind is not
                )
            ],
        )
    sent = await satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=" ann@example.com ")
    assert sent == {"chat_id": chat_id, "email": "ann@example.com"}
    async with ctx.db.read() as conn:
        mail = (await conn.execute(select(MailOutbox).order_by(MailOutbox.id.desc()))).first()
    assert mail.to_addr == "ann@example.com" and "Transcript" in mail.subject
    assert "My order is late" in mail.body and "It ships today." in mail.body
    assert "You: My order is late" in mail.body and f"{agent.name}: It ships today." in mail.body
    assert "SECRET" not in mail.body and "reseller" not in mail.body and "WHISPERED" not in mail.body


@pytest.mark.parametrize(
    "email",
    ["ann@example.com\r\nBcc: all@example.com", "ann@example.com\nX: y", "not-an-address", "a@b.c,d@e.fg", 7],
)
async def test_transcript_addresses_that_could_inject_headers_or_are_invalid_are_refused(ctx, email):
    visitor, _agent, chat_id = await ended_chat(ctx)
    async with ctx.db.read() as conn:
        before = len((await conn.execute(select(MailOutbox.id))).all())
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=email)
    assert err.value.code == "bad_request" and err.value.field == "email"
    async with ctx.db.read() as conn:
        assert len((await conn.execute(select(MailOutbox.id))).all()) == before


async def mails(ctx):  # type: ignore[no-untyped-def]
    async with ctx.db.read() as conn:
        return (await conn.execute(select(MailOutbox).order_by(MailOutbox.id))).all()


async def test_a_transcript_goes_only_to_the_address_the_visitor_gave_before(ctx):
    visitor, _agent, chat_id = await ended_chat(ctx, email="ann@example.com")
    before = len(await mails(ctx))
    err = await refused(satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email="x@evil.test"))
    assert (err.code, err.field) == ("bad_request", "email") and "address you gave" in err.message
    assert len(await mails(ctx)) == before
    # Naming it again (any case) or naming none sends it there.
    for asked in ("ANN@example.com", None, ""):
        sent = await satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=asked)
        assert sent == {"chat_id": chat_id, "email": "ann@example.com"}
    rows = await mails(ctx)
    assert [r.to_addr for r in rows[before:]] == ["ann@example.com"] * 3
    assert {r.kind for r in rows[before:]} == {"transcript"}


async def test_a_visitor_who_gave_no_address_gets_no_transcript(ctx):
    visitor, _agent, chat_id = await ended_chat(ctx, email=None)
    for asked in ("x@example.com", None):
        err = await refused(satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=asked))
        assert (err.code, err.field) == ("bad_request", "email")
    assert not [r for r in await mails(ctx) if r.to_addr == "x@example.com"]


async def test_a_chat_no_agent_answered_has_no_transcript(ctx):
    # The visitor writes anything, an agent takes the chat but never answers (or nobody takes it).
    visitor, agent, chat_id = await ended_chat(ctx, answer=False)
    await do_add_note(ctx=ctx, actor=agent, chat_id=chat_id, text="internal only", client_id=new_cid())
    before = len(await mails(ctx))
    err = await refused(satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=None))
    assert err.code == "conflict" and "answered" in err.message
    lonely = await new_visitor(ctx)
    await visitors.do_update_visitor(ctx=ctx, actor=lonely, fields={"email": "lonely@example.com"})
    sent = await do_send_visitor_message(ctx=ctx, actor=lonely, text="Buy cheap pills at x.test", client_id=new_cid())
    await do_close_chat(ctx=ctx, actor=lonely, chat_id=sent.event["chat_id"])
    err = await refused(
        satisfaction.do_email_transcript(ctx=ctx, actor=lonely, chat_id=sent.event["chat_id"], email=None)
    )
    assert err.code == "conflict"
    assert len(await mails(ctx)) == before


async def test_transcript_emails_have_a_site_wide_budget_per_hour(ctx):
    ctx.settings = ctx.settings.model_copy(update={"transcript_mails_per_hour": 2})
    try:
        chats = [await ended_chat(ctx, email=f"v{i}@example.com") for i in range(3)]
        async with unit_of_work(ctx) as (conn, _outbox):  # other e-mail (offline messages) does not count
            for _ in range(3):
                await enqueue_mail(conn, to="sales@example.com", subject="Offline message", body="Call me")
        for visitor, _agent, chat_id in chats[:2]:  # different visitors: a per-visitor limit would not hold
            await satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=None)
        visitor, _agent, chat_id = chats[2]
        err = await refused(satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=None))
        assert err.code == "rate_limited" and err.retry_after is not None and 3000 < err.retry_after <= 3600
        # An hour later there is room again.
        async with ctx.db.write() as conn:
            await conn.execute(update(MailOutbox).values(created_at=utcnow() - timedelta(minutes=61)))
        await satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email=None)
    finally:
        ctx.settings = ctx.settings.model_copy(update={"transcript_mails_per_hour": 100})


async def refused(coro):  # type: ignore[no-untyped-def]
    with pytest.raises(ChatRuleError) as info:
        await coro
    return info.value


async def test_only_the_visitors_own_ended_chat_is_emailed(ctx):
    visitor, _agent, chat_id = await ended_chat(ctx)
    stranger = await new_visitor(ctx)
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_email_transcript(ctx=ctx, actor=stranger, chat_id=chat_id, email="x@example.com")
    assert err.value.code == "not_found"
    sent = await do_send_visitor_message(ctx=ctx, actor=visitor, text="Another question", client_id=new_cid())
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.do_email_transcript(
            ctx=ctx, actor=visitor, chat_id=sent.event["chat_id"], email="x@example.com"
        )
    assert err.value.code == "conflict"


async def test_report_per_agent_and_department(ctx):
    lead = await new_agent(ctx, "admin")
    ada, bob = await new_agent(ctx), await new_agent(ctx)
    for agent, score in ((ada, "good"), (ada, 4), (ada, "bad"), (bob, 2)):
        visitor, _, chat_id = await ended_chat(ctx, agent=agent)
        await satisfaction.do_rate_chat(ctx=ctx, actor=visitor, chat_id=chat_id, rating=score)
    await ended_chat(ctx, agent=bob)  # not rated: not counted
    report = await satisfaction.satisfaction_report(ctx=ctx, actor=lead)
    by_agent = {a["agent"]["id"]: a for a in report["agents"] if a["agent"]}
    assert by_agent[ada.id]["count"] == 3 and by_agent[ada.id]["average"] == pytest.approx(3.33, abs=0.01)
    assert by_agent[ada.id]["good_percent"] == pytest.approx(66.7, abs=0.1)
    assert (by_agent[bob.id]["count"], by_agent[bob.id]["average"], by_agent[bob.id]["good_percent"]) == (1, 2.0, 0.0)
    general = [d for d in report["departments"] if d["department"]["slug"] == "general"][0]
    assert general["count"] == report["total"]["count"] >= 4
    # A range that ended yesterday has none of them.
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    empty = await satisfaction.satisfaction_report(ctx=ctx, actor=lead, since="2020-01-01", until=yesterday)
    assert empty["total"] == {"count": 0, "average": None, "good_percent": None} and empty["agents"] == []
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.satisfaction_report(ctx=ctx, actor=lead, since="tomorrow")
    assert err.value.field == "from"
    with pytest.raises(ChatRuleError) as err:
        await satisfaction.satisfaction_report(ctx=ctx, actor=ada)
    assert err.value.code == "forbidden"


@pytest.mark.asyncio(loop_scope="session")
async def test_report_ranges_take_whole_days():
    now = utcnow()
    start, end = check_range("2026-11-01", "2026-11-30", now)
    assert (start.isoformat(), end.isoformat()) == ("2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    start, end = check_range(None, None, now)
    assert end == now and (end - start).days == 30
    with pytest.raises(ChatRuleError):
        check_range("2026-11-30", "2026-11-01", now)


async def test_the_rating_scale_is_a_widget_setting(ctx):
    admin = await new_agent(ctx, "admin")
    assert (await widget_settings.widget_config(ctx=ctx))["rating"] == {
        "enabled": True,
        "scale": "thumbs",
        "transcript": True,
    }
    config = await widget_settings.do_update_widget_settings(
        ctx=ctx, actor=admin, data={"rating": {"scale": "stars", "transcript": False}}
    )
    assert config["rating"] == {"enabled": True, "scale": "stars", "transcript": False}
    for bad, field in (({"scale": "smileys"}, "rating.scale"), ({"enabled": "yes"}, "rating.enabled"), ("x", "rating")):
        with pytest.raises(ChatRuleError) as err:
            await widget_settings.do_update_widget_settings(ctx=ctx, actor=admin, data={"rating": bad})
        assert err.value.field == field
    for body, field in (({"title": "Help", "sparkles": 1}, "sparkles"), (["title"], "body")):  # domain/settings
        with pytest.raises(ChatRuleError) as err:
            await widget_settings.do_update_widget_settings(ctx=ctx, actor=admin, data=body)
        assert err.value.field == field
    entries = (await list_audit(ctx=ctx, actor=admin, action="settings.update"))["entries"]
    assert entries[0]["actor"] == {"id": admin.id, "name": admin.name}
    assert entries[0]["target"] == {"type": "settings", "id": "widget"} and entries[0]["details"]["changed"] == [
        "rating"
    ]


async def test_an_audit_entry_is_part_of_its_transaction(ctx):
    admin = await new_agent(ctx, "admin")

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with unit_of_work(ctx) as (conn, _outbox):
            await record_audit(conn, admin, "test.rolled_back", ("chat", 1), {"n": 1})
            raise Boom
    async with unit_of_work(ctx) as (conn, _outbox):
        await record_audit(conn, admin, "test.kept", ("chat", 2), {"n": 2})
    async with ctx.db.read() as conn:
        actions = set((await conn.execute(select(AuditEntry.action))).scalars())
    assert "test.kept" in actions and "test.rolled_back" not in actions
    page = await list_audit(ctx=ctx, actor=admin, action="test.")
    assert [e["action"] for e in page["entries"]] == ["test.kept"]
    assert page["entries"][0]["target"] == {"type": "chat", "id": "2"}
    agent = await new_agent(ctx)
    with pytest.raises(ChatRuleError) as err:
        await list_audit(ctx=ctx, actor=agent)
    assert err.value.code == "forbidden"
