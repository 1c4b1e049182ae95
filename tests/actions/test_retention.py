"""Retention and privacy: the job deletes or anonymises exactly what is older than the period
(and is idempotent and resumable), one visitor's data is deleted on request, and each of these
is in the audit log, written in the same transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from frontdesk.actions import retention, satisfaction, tickets
from frontdesk.actions.audit import list_audit
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.actions.mail import enqueue_mail
from frontdesk.actions.notes import do_add_note
from frontdesk.actions.visitors import do_update_visitor
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.retention import REMOVED
from frontdesk.store import attachment_store
from frontdesk.store.files import new_file_id, storage_for
from frontdesk.store.models import Attachment, AuditEntry, Chat, MailOutbox, Message, OfflineTicket, Visitor
from tests.actions.support import frames, new_agent, new_cid, new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")

LONG_AGO = timedelta(days=40)  # the tests keep 30 days


async def talk(ctx: Context, visitor: VisitorActor, agent: AgentActor, *, close: bool = True) -> int:
    sent = await do_send_visitor_message(
        ctx=ctx, actor=visitor, text="I am Ann, call me on 555-1234", client_id=new_cid()
    )
    chat_id = sent.event["chat_id"]
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    await do_send_agent_message(ctx=ctx, actor=agent, chat_id=chat_id, text="Thanks Ann, noted.", client_id=new_cid())
    await do_add_note(ctx=ctx, actor=agent, chat_id=chat_id, text="Ann is a VIP", client_id=new_cid())
    if close:
        await do_close_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    return chat_id


async def named_visitor(ctx: Context, name: str) -> VisitorActor:
    visitor = await new_visitor(ctx)
    await do_update_visitor(ctx=ctx, actor=visitor, fields={"name": name, "email": f"{name.lower()}@example.com"})
    async with ctx.db.write() as conn:
        await conn.execute(
            update(Visitor).where(Visitor.id == visitor.visitor_id).values(page_url="https://shop/x", referrer="r")
        )
    return visitor


async def age(ctx: Context, *, chats: list[int] = (), visitors: list[str] = (), tickets_: list[int] = ()) -> None:  # type: ignore[assignment]
    old = utcnow() - LONG_AGO
    async with ctx.db.write() as conn:
        if chats:
            await conn.execute(update(Chat).where(Chat.id.in_(chats)).values(closed_at=old, created_at=old))
        if visitors:
            await conn.execute(update(Visitor).where(Visitor.id.in_(visitors)).values(created_at=old, last_seen_at=old))
        if tickets_:
            await conn.execute(update(OfflineTicket).where(OfflineTicket.id.in_(tickets_)).values(created_at=old))


async def attach(ctx: Context, chat_id: int) -> str:
    """A file in the chat, stored as the attachments feature stores one."""
    storage = storage_for(ctx.settings)
    temp = storage.incoming()
    temp.write_bytes(b"passport scan")
    file_id = new_file_id()
    await storage.keep(temp, file_id)
    async with ctx.db.write() as conn:
        await attachment_store.insert_attachment(
            conn,
            file_id=file_id,
            kind="chat",
            name="passport.png",
            content_type="image/png",
            size=13,
            now=utcnow(),
            chat_id=chat_id,
        )
    return file_id


async def count(ctx: Context, table: Any, *where: Any) -> int:
    async with ctx.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def world(ctx: Context) -> dict[str, Any]:
    """Old and recent chats, visitors, offline messages and e-mail."""
    admin = await new_agent(ctx, "admin")
    agent = await new_agent(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data={"retention_days": 30})
    ann = await named_visitor(ctx, "Ann")  # one old chat only
    bob = await named_visitor(ctx, "Bob")  # an old chat and a recent one
    cat = await named_visitor(ctx, "Cat")  # a recent chat only
    dan = await named_visitor(ctx, "Dan")  # an old chat still open (never closed)
    idle = await new_visitor(ctx)  # no chat, long gone
    fresh = await new_visitor(ctx)  # no chat, here now
    w: dict[str, Any] = {"admin": admin, "agent": agent, "ann": ann, "bob": bob, "cat": cat, "dan": dan}
    w["ann_chat"] = await talk(ctx, ann, agent)
    w["bob_old"] = await talk(ctx, bob, agent)
    w["bob_new"] = await talk(ctx, bob, agent)
    w["cat_chat"] = await talk(ctx, cat, agent)
    w["dan_chat"] = await talk(ctx, dan, agent, close=False)
    await satisfaction.do_rate_chat(ctx=ctx, actor=ann, chat_id=w["ann_chat"], rating=5, comment="Ann loved it")
    w["file"] = await attach(ctx, w["ann_chat"])
    w["recent_file"] = await attach(ctx, w["cat_chat"])
    old_done = await tickets.do_leave_offline_message(
        ctx=ctx, department=None, name="Eve", email="eve@example.com", text="Old question", visitor=None
    )
    old_open = await tickets.do_leave_offline_message(
        ctx=ctx, department=None, name="Fay", email="fay@example.com", text="Still unanswered", visitor=None
    )
    new_done = await tickets.do_leave_offline_message(
        ctx=ctx, department=None, name="Gus", email="gus@example.com", text="New question", visitor=None
    )
    for t in (old_done, new_done):
        await tickets.do_mark_ticket_done(ctx=ctx, actor=agent, ticket_id=t["id"])
    w["tickets"] = {"old_done": old_done["id"], "old_open": old_open["id"], "new_done": new_done["id"]}
    async with ctx.db.write() as conn:
        await enqueue_mail(conn, to="ann@example.com", subject="old sent", body="transcript")
        await enqueue_mail(conn, to="ann@example.com", subject="old unsent", body="transcript")
        await enqueue_mail(conn, to="cat@example.com", subject="new sent", body="transcript")
        old = utcnow() - LONG_AGO
        await conn.execute(update(MailOutbox).where(MailOutbox.subject.like("old%")).values(created_at=old))
        await conn.execute(update(MailOutbox).where(MailOutbox.subject.like("%sent")).values(sent_at=utcnow()))
        await conn.execute(update(MailOutbox).where(MailOutbox.subject == "old unsent").values(sent_at=None))
    await age(
        ctx,
        chats=[w["ann_chat"], w["bob_old"]],
        visitors=[ann.visitor_id, bob.visitor_id, dan.visitor_id, idle.visitor_id],
        tickets_=[old_done["id"], old_open["id"]],
    )
    async with ctx.db.write() as conn:  # Dan's chat began long ago and is still going
        await conn.execute(update(Chat).where(Chat.id == w["dan_chat"]).values(created_at=utcnow() - LONG_AGO))
    w["idle"], w["fresh"] = idle, fresh
    return w


async def test_delete_mode_removes_exactly_what_is_older_than_the_period(ctx):
    w = await world(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=w["admin"], data={"mode": "delete"})
    report = await retention.do_run_retention(ctx)
    assert report.done and (report.chats, report.visitors, report.tickets, report.mails) == (2, 2, 1, 1)
    assert report.attachments == 1 and report.messages >= 10
    async with ctx.db.read() as conn:
        chat_ids = set((await conn.execute(select(Chat.id))).scalars())
        visitor_ids = set((await conn.execute(select(Visitor.id))).scalars())
        ticket_ids = set((await conn.execute(select(OfflineTicket.id))).scalars())
        subjects = set((await conn.execute(select(MailOutbox.subject))).scalars())
    assert w["ann_chat"] not in chat_ids and w["bob_old"] not in chat_ids
    assert {w["bob_new"], w["cat_chat"], w["dan_chat"]} <= chat_ids
    assert await count(ctx, Message, Message.chat_id.in_([w["ann_chat"], w["bob_old"]])) == 0
    assert w["ann"].visitor_id not in visitor_ids and w["idle"].visitor_id not in visitor_ids
    assert {w["bob"].visitor_id, w["cat"].visitor_id, w["dan"].visitor_id, w["fresh"].visitor_id} <= visitor_ids
    assert ticket_ids >= {w["tickets"]["old_open"], w["tickets"]["new_done"]}
    assert w["tickets"]["old_done"] not in ticket_ids
    assert subjects == {"old unsent", "new sent"}
    storage = storage_for(ctx.settings)
    assert not storage.exists(w["file"]) and storage.exists(w["recent_file"])
    assert await count(ctx, Attachment, Attachment.id == w["file"]) == 0

    audit = (await list_audit(ctx=ctx, actor=w["admin"], action="retention.run"))["entries"]
    assert audit and all(e["actor"] is None for e in audit)
    assert sum(e["details"].get("chats", 0) for e in audit) == 2
    assert sum(e["details"].get("visitors", 0) for e in audit) == 2

    again = await retention.do_run_retention(ctx)  # idempotent: nothing left to do, nothing logged
    assert (again.chats, again.visitors, again.tickets, again.mails, again.batches) == (0, 0, 0, 0, 0)
    assert len((await list_audit(ctx=ctx, actor=w["admin"], action="retention.run"))["entries"]) == len(audit)


async def test_anonymise_mode_keeps_metadata_and_removes_what_people_wrote(ctx):
    w = await world(ctx)
    report = await retention.do_run_retention(ctx)  # anonymise is the default mode
    assert report.done and report.chats == 2 and report.mails == 1
    async with ctx.db.read() as conn:
        chats = {c.id: c for c in (await conn.execute(select(Chat))).all()}
        messages = (await conn.execute(select(Message).where(Message.chat_id == w["ann_chat"]))).all()
        visitors = {v.id: v for v in (await conn.execute(select(Visitor))).all()}
        old_ticket = (
            await conn.execute(select(OfflineTicket).where(OfflineTicket.id == w["tickets"]["old_done"]))
        ).one()
    ann_chat = chats[w["ann_chat"]]
    # Kept for reports: the chat, its times, agent, department, rating score and every event row.
    assert ann_chat.status == "closed" and ann_chat.assignee_id == w["agent"].id and ann_chat.rating == 5
    assert ann_chat.anonymised_at is not None and ann_chat.rating_comment is None
    assert ann_chat.last_message_text == REMOVED
    assert [m.seq for m in sorted(messages, key=lambda m: m.seq)] == list(range(1, ann_chat.last_seq + 1))
    written = [m for m in messages if m.kind in ("message", "note")]
    assert written and all(m.body == REMOVED for m in written)
    assert all(m.author_name is None for m in messages if m.author_type == "visitor")
    assert any(m.author_name == w["agent"].name for m in messages if m.author_type == "agent")
    # The recent chats are untouched.
    assert chats[w["cat_chat"]].anonymised_at is None and chats[w["bob_new"]].anonymised_at is None
    assert chats[w["dan_chat"]].anonymised_at is None
    # Ann's data is gone; Bob keeps his (he has a recent chat); the idle visitor without chats is deleted.
    ann = visitors[w["ann"].visitor_id]
    assert (ann.name, ann.email, ann.page_url, ann.referrer, ann.user_agent) == (None, None, None, None, None)
    assert visitors[w["bob"].visitor_id].name == "Bob" and visitors[w["cat"].visitor_id].email == "cat@example.com"
    assert w["idle"].visitor_id not in visitors and w["fresh"].visitor_id in visitors
    assert (old_ticket.name, old_ticket.email, old_ticket.body) == (None, "", REMOVED)
    assert not storage_for(ctx.settings).exists(w["file"])
    assert storage_for(ctx.settings).exists(w["recent_file"])

    again = await retention.do_run_retention(ctx)
    assert again.batches == 0 and (again.chats, again.visitors, again.tickets) == (0, 0, 0)


async def test_a_run_stopped_midway_resumes_where_it_left_off(ctx):
    w = await world(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=w["admin"], data={"mode": "delete"})
    first = await retention.do_run_retention(ctx, batch_size=1, max_batches=1)
    assert not first.done and first.chats == 1
    assert await count(ctx, Chat, Chat.id.in_([w["ann_chat"], w["bob_old"]])) == 1
    rest = await retention.do_run_retention(ctx, batch_size=1)
    assert rest.done and rest.chats == 1 and rest.visitors == 2
    assert await count(ctx, Chat, Chat.id.in_([w["ann_chat"], w["bob_old"]])) == 0


async def test_keep_forever_touches_nothing(ctx):
    w = await world(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=w["admin"], data={"retention_days": 0})
    report = await retention.do_run_retention(ctx)
    assert report.cutoff is None and report.batches == 0
    assert await count(ctx, Chat, Chat.id == w["ann_chat"]) == 1


async def test_privacy_settings_are_validated_and_audited(ctx):
    admin = await new_agent(ctx, "admin")
    assert await retention.read_privacy_settings(ctx=ctx, actor=admin) == {"retention_days": 0, "mode": "anonymise"}
    saved = await retention.do_update_privacy_settings(
        ctx=ctx, actor=admin, data={"retention_days": 365, "mode": "delete"}
    )
    assert saved == {"retention_days": 365, "mode": "delete"}
    for bad, field in (
        ({"retention_days": -1}, "retention_days"),
        ({"retention_days": 1.5}, "retention_days"),
        ({"retention_days": 99999}, "retention_days"),
        ({"mode": "shred"}, "mode"),
        ({"keep": 1}, "keep"),
    ):
        with pytest.raises(ChatRuleError) as err:
            await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data=bad)
        assert (err.value.code, err.value.field) == ("bad_request", field)
    entries = (await list_audit(ctx=ctx, actor=admin, action="settings.update", target_type="settings"))["entries"]
    assert entries[0]["details"]["changed"] == {
        "retention_days": {"from": 0, "to": 365},
        "mode": {"from": "anonymise", "to": "delete"},
    }
    for role in ("supervisor", "agent"):
        other = await new_agent(ctx, role)
        with pytest.raises(ChatRuleError) as err:
            await retention.do_update_privacy_settings(ctx=ctx, actor=other, data={"retention_days": 1})
        assert err.value.code == "forbidden"


async def test_one_visitors_data_is_deleted_on_request(ctx):
    admin = await new_agent(ctx, "admin")
    agent = await new_agent(ctx)
    ann = await named_visitor(ctx, "Ann")
    other = await named_visitor(ctx, "Zoe")
    chats = [await talk(ctx, ann, agent), await talk(ctx, ann, agent)]
    kept = await talk(ctx, other, agent)
    file_id = await attach(ctx, chats[0])
    by_token = await tickets.do_leave_offline_message(
        ctx=ctx, department=None, name="Ann", email="x@example.com", text="hi", visitor=ann
    )
    by_email = await tickets.do_leave_offline_message(
        ctx=ctx, department=None, name="Ann", email="ANN@example.com", text="hi again", visitor=None
    )
    async with ctx.db.write() as conn:
        await enqueue_mail(conn, to="ann@example.com", subject="Transcript", body="…")
    ctx.published.clear()

    result = await retention.do_delete_visitor_data(ctx=ctx, actor=admin, visitor_id=ann.visitor_id)
    assert result["deleted"]["chats"] == 2 and result["deleted"]["tickets"] == 2
    assert result["deleted"]["attachments"] == 1 and result["deleted"]["mails"] == 1
    assert await count(ctx, Visitor, Visitor.id == ann.visitor_id) == 0
    assert await count(ctx, Chat, Chat.id.in_(chats)) == 0
    assert await count(ctx, Message, Message.chat_id.in_(chats)) == 0
    assert await count(ctx, OfflineTicket, OfflineTicket.id.in_([by_token["id"], by_email["id"]])) == 0
    assert await count(ctx, MailOutbox, MailOutbox.to_addr == "ann@example.com") == 0
    assert not storage_for(ctx.settings).exists(file_id)
    assert await count(ctx, Chat, Chat.id == kept) == 1  # nobody else's
    assert {"type": "visitor.forgotten"} in frames(ctx.published, f"visitor:{ann.visitor_id}")
    entry = (await list_audit(ctx=ctx, actor=admin, action="visitor.delete"))["entries"][0]
    assert entry["actor"]["id"] == admin.id and entry["target"] == {"type": "visitor", "id": ann.visitor_id}
    assert entry["details"]["chats"] == 2 and "ann" not in str(entry["details"]).lower()  # no personal data

    with pytest.raises(ChatRuleError) as err:
        await retention.do_delete_visitor_data(ctx=ctx, actor=admin, visitor_id=ann.visitor_id)
    assert err.value.code == "not_found"


async def test_deleting_is_refused_while_the_visitor_has_an_open_chat_or_for_non_admins(ctx):
    admin = await new_agent(ctx, "admin")
    agent = await new_agent(ctx)
    ann = await named_visitor(ctx, "Ann")
    open_chat = await talk(ctx, ann, agent, close=False)
    entries_before = await count(ctx, AuditEntry, AuditEntry.action == "visitor.delete")
    with pytest.raises(ChatRuleError) as err:
        await retention.do_delete_visitor_data(ctx=ctx, actor=admin, visitor_id=ann.visitor_id)
    assert err.value.code == "conflict" and "open chat" in err.value.message
    assert await count(ctx, Chat, Chat.id == open_chat) == 1
    assert await count(ctx, AuditEntry, AuditEntry.action == "visitor.delete") == entries_before  # rolled back
    await do_close_chat(ctx=ctx, actor=agent, chat_id=open_chat)
    for role in ("manager", "supervisor", "agent"):
        with pytest.raises(ChatRuleError) as err:
            await retention.do_delete_visitor_data(ctx=ctx, actor=await new_agent(ctx, role), visitor_id=ann.visitor_id)
        assert err.value.code == "forbidden"
    with pytest.raises(ChatRuleError) as err:
        await retention.do_delete_visitor_data(ctx=ctx, actor=admin, visitor_id="../../etc")
    assert err.value.field == "visitor_id"
    await retention.do_delete_visitor_data(ctx=ctx, actor=admin, visitor_id=ann.visitor_id)


async def test_department_user_and_login_changes_are_audited(ctx):
    from frontdesk.actions import departments, users

    admin = await new_agent(ctx, "admin")
    dept = await departments.do_create_department(ctx=ctx, actor=admin, data={"slug": "sales", "name": "Sales"})
    await departments.do_update_department(ctx=ctx, actor=admin, department_id=dept["id"], data={"max_queue": 5})
    agent = await new_agent(ctx)
    await departments.do_set_members(
        ctx=ctx, actor=admin, department_id=dept["id"], members=[{"user_id": agent.id, "level": 2}]
    )
    await users.do_update_user(ctx=ctx, actor=admin, user_id=agent.id, data={"max_chats": 4})
    await users.do_start_session(ctx=ctx, actor=agent)
    entries = (await list_audit(ctx=ctx, actor=admin, limit=200))["entries"]
    seen = [(e["action"], e["target"]["id"] if e["target"] else None) for e in entries]
    assert ("department.create", str(dept["id"])) in seen and ("department.update", str(dept["id"])) in seen
    assert ("department.members", str(dept["id"])) in seen and ("user.update", str(agent.id)) in seen
    assert ("user.create", str(agent.id)) in seen and ("auth.login", str(agent.id)) in seen
    update_entry = next(e for e in entries if e["action"] == "user.update")
    assert update_entry["details"] == {"changed": {"max_chats": 4}} and update_entry["actor"]["id"] == admin.id
    page = await list_audit(ctx=ctx, actor=admin, limit=2)
    older = await list_audit(ctx=ctx, actor=admin, limit=2, before=page["next_before"])
    assert page["entries"][-1]["id"] > older["entries"][0]["id"]
    only_admin = await list_audit(ctx=ctx, actor=admin, actor_id=admin.id, action="department.")
    assert {e["action"] for e in only_admin["entries"]} == {
        "department.create",
        "department.update",
        "department.members",
    }


async def test_the_jobs_run_retention_only_on_the_lease_holder(ctx):
    from frontdesk.jobs import Jobs, take_lease

    w = await world(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=w["admin"], data={"mode": "delete"})
    other = Jobs(ctx)
    assert await take_lease(ctx, "jobs", "another-node", seconds=60)  # somebody else holds it
    await other.run_once()
    assert await count(ctx, Chat, Chat.id == w["ann_chat"]) == 1  # not the holder: nothing ran
    async with ctx.db.write() as conn:
        from frontdesk.store.models import Lease

        await conn.execute(update(Lease).where(Lease.name == "jobs").values(expires_at=utcnow() - timedelta(seconds=1)))
    await other.run_once()  # takes the lapsed lease and runs the job
    assert await count(ctx, Chat, Chat.id.in_([w["ann_chat"], w["bob_old"]])) == 0
    assert other.retention_due > 0  # next run in RETENTION_EVERY, not on every pass
