"""Privacy: the retention period and its background job, and deleting one visitor's data on
request. Every change is recorded in the audit log in its own transaction
(docs/architecture/privacy.md)."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.retention import DEFAULT, REMOVED, check_privacy_settings, cutoff
from frontdesk.permissions import require
from frontdesk.store import activity_store, attachment_store, privacy_store, setting_store, tracking_store
from frontdesk.store.files import storage_for
from frontdesk.wire import revoke_frame, visitor_forgotten_frame

log = logging.getLogger(__name__)
KEY = "privacy"
BATCH = 500
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


# ---- settings ---------------------------------------------------------------------------------
async def privacy_settings(*, ctx: Context) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        stored = await setting_store.setting(conn, KEY)
    return {**DEFAULT, **(stored if isinstance(stored, dict) else {})}


async def read_privacy_settings(*, ctx: Context, actor: AgentActor) -> dict[str, Any]:
    require(actor.role, "privacy.manage")
    return await privacy_settings(ctx=ctx)


async def do_update_privacy_settings(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    require(actor.role, "privacy.manage")
    values = check_privacy_settings(data)
    async with unit_of_work(ctx) as (conn, _outbox):
        stored = await setting_store.setting(conn, KEY, lock=True)
        before = {**DEFAULT, **(stored if isinstance(stored, dict) else {})}
        after = {**before, **values}
        await setting_store.put_setting(conn, KEY, after, exists=stored is not None)
        changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        if changed:
            await record_audit(conn, actor, "settings.update", ("settings", KEY), {"changed": changed})
    return after


# ---- files ----------------------------------------------------------------------------------------
async def _forget_files(ctx: Context, conn: AsyncConnection, chat_ids: list[int]) -> list[str]:
    """Delete the chats' attachment files before their rows: if the transaction then fails, the
    next run finds the rows again (their files already gone), never a file nobody can find."""
    file_ids = await attachment_store.chat_file_ids(conn, chat_ids)
    storage = storage_for(ctx.settings)
    for file_id in file_ids:
        await storage.delete(file_id)
    return file_ids


# ---- the retention job --------------------------------------------------------------------------
@dataclass
class RetentionReport:
    mode: str
    cutoff: str | None
    chats: int = 0
    messages: int = 0
    attachments: int = 0
    visitors: int = 0
    visits: int = 0
    page_views: int = 0
    tickets: int = 0
    mails: int = 0
    activity: int = 0  # agent_activity rows (each agent's state at the cutoff stays)
    batches: int = 0
    done: bool = True  # False: stopped at max_batches with more to do
    failed: list[str] = field(default_factory=list)  # the kinds whose batch failed (logged)

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            setattr(self, key, getattr(self, key) + value)


async def do_run_retention(
    ctx: Context, *, now: datetime | None = None, batch_size: int = BATCH, max_batches: int = 20
) -> RetentionReport:
    """Delete or anonymise what is older than the retention period, one batch per transaction.
    Each batch chooses what is still to be done, so the job is idempotent and picks up after a
    crash; each batch's audit entry (action `retention.run`) is written in that batch's
    transaction. Runs on the node holding the jobs lease (frontdesk/jobs.py)."""
    settings = await privacy_settings(ctx=ctx)
    now = now or utcnow()
    limit_at = cutoff(int(settings["retention_days"]), now)
    report = RetentionReport(mode=settings["mode"], cutoff=iso(limit_at))
    if limit_at is None:
        return report
    anonymise = settings["mode"] == "anonymise"
    run = uuid.uuid4().hex[:12]
    # Chats first: visitors whose last chat went are then due themselves. Visits (with their page
    # views) over before the cutoff go in both modes: they are what the visitor browsed.
    # Each kind on its own: a batch that fails (its transaction rolls back) is logged and the
    # run goes on with the next kind, so e.g. one undeletable file never keeps old e-mail.
    for step in (_chat_batch, _visit_batch, _visitor_batch, _ticket_batch, _mail_batch, _activity_batch):
        while True:
            if report.batches >= max_batches:
                report.done = False
                return report
            try:
                async with unit_of_work(ctx) as (conn, _outbox):
                    counts = await step(ctx, conn, limit_at, batch_size, anonymise, now)
                    if not any(counts.values()):
                        break
                    report.batches += 1
                    details = {"run": run, "mode": report.mode, "cutoff": report.cutoff, **counts}
                    await record_audit(conn, None, "retention.run", None, details)
            except Exception:
                log.exception("retention: %s failed; going on with the next kind", step.__name__.strip("_"))
                report.failed.append(step.__name__.strip("_"))
                break
            report.add(counts)
    if report.batches:
        log.info("retention: %s", asdict(report))
    return report


async def _chat_batch(
    ctx: Context, conn: AsyncConnection, limit_at: datetime, batch_size: int, anonymise: bool, now: datetime
) -> dict[str, int]:
    ids = await privacy_store.due_chat_ids(conn, limit_at, batch_size, anonymise=anonymise)
    if not ids:
        return {"chats": 0}
    messages = await privacy_store.count_messages(conn, ids)
    files = await _forget_files(ctx, conn, ids)
    if anonymise:
        for file_id in files:  # the chat stays; what was sent in it goes
            await attachment_store.delete_attachment(conn, file_id)
        await privacy_store.anonymise_chats(conn, ids, removed=REMOVED, now=now)
    else:
        await privacy_store.delete_chats(conn, ids)
    return {"chats": len(ids), "messages": messages, "attachments": len(files)}


async def _visit_batch(
    ctx: Context, conn: AsyncConnection, limit_at: datetime, batch_size: int, anonymise: bool, now: datetime
) -> dict[str, int]:
    ids = await tracking_store.old_visit_ids(conn, limit_at, batch_size)
    visits, views = await tracking_store.delete_visits(conn, ids)
    return {"visits": visits, "page_views": views}


async def _visitor_batch(
    ctx: Context, conn: AsyncConnection, limit_at: datetime, batch_size: int, anonymise: bool, now: datetime
) -> dict[str, int]:
    # Visitors with no chat left go in either mode; in anonymise mode the others lose their data.
    gone = await privacy_store.idle_visitor_ids_without_chats(conn, limit_at, batch_size)
    if gone:
        return {"visitors": await privacy_store.delete_visitors(conn, gone)}
    if anonymise:
        ids = await privacy_store.anonymisable_visitor_ids(conn, limit_at, batch_size)
        return {"visitors": await privacy_store.anonymise_visitors(conn, ids)}
    return {"visitors": 0}


async def _ticket_batch(
    ctx: Context, conn: AsyncConnection, limit_at: datetime, batch_size: int, anonymise: bool, now: datetime
) -> dict[str, int]:
    ids = await privacy_store.due_ticket_ids(conn, limit_at, batch_size, removed=REMOVED if anonymise else None)
    if anonymise:
        return {"tickets": await privacy_store.anonymise_tickets(conn, ids, removed=REMOVED)}
    return {"tickets": await privacy_store.delete_tickets(conn, ids)}


async def _mail_batch(
    ctx: Context, conn: AsyncConnection, limit_at: datetime, batch_size: int, anonymise: bool, now: datetime
) -> dict[str, int]:
    return {"mails": await privacy_store.delete_old_mail(conn, limit_at, batch_size)}


async def _activity_batch(
    ctx: Context, conn: AsyncConnection, limit_at: datetime, batch_size: int, anonymise: bool, now: datetime
) -> dict[str, int]:
    # Agents' status and load history (the activity reports) goes in both modes; each agent's
    # last row before the cutoff stays: the state the later timeline starts from.
    return {"activity": await activity_store.delete_activity_before(conn, limit_at, batch_size)}


# ---- one visitor's data, on request -------------------------------------------------------------
async def do_delete_visitor_data(*, ctx: Context, actor: AgentActor, visitor_id: object) -> dict[str, Any]:
    """Remove a visitor and everything about them: chats (with messages, tags, reviews),
    attachments, visits and page views, offline messages (by token or e-mail) and e-mail to them. Refused while they
    have an open chat: an agent is talking to them (close it first)."""
    require(actor.role, "visitor.delete")
    if not isinstance(visitor_id, str) or not VISITOR_ID.fullmatch(visitor_id):
        raise ChatRuleError("bad_request", "visitor_id: is not a visitor's id", field="visitor_id")
    async with unit_of_work(ctx) as (conn, outbox):
        visitor = await privacy_store.visitor(conn, visitor_id, lock=True)
        if visitor is None:
            raise ChatRuleError("not_found", "No such visitor (perhaps already deleted).")
        chats = await privacy_store.chats_of_visitor(conn, visitor_id)
        if any(c.status != "closed" for c in chats):
            raise ChatRuleError("conflict", "This visitor has an open chat; close it before deleting their data.")
        ids = [c.id for c in chats]
        visits, page_views = await tracking_store.count_of_visitor(conn, visitor_id)
        counts = {
            "chats": len(ids),
            "messages": await privacy_store.count_messages(conn, ids),
            "attachments": len(await _forget_files(ctx, conn, ids)),
            "tickets": await privacy_store.delete_tickets_of_visitor(conn, visitor_id, visitor.email),
            "mails": await privacy_store.delete_mail_to(conn, visitor.email) if visitor.email else 0,
            "visits": visits,  # with their page views, by ON DELETE CASCADE with the visitor
            "page_views": page_views,
        }
        await privacy_store.delete_chats(conn, ids)
        await privacy_store.delete_visitors(conn, [visitor_id])
        # No name or e-mail in the log: it outlives the data it describes.
        await record_audit(conn, actor, "visitor.delete", ("visitor", visitor_id), counts)
        # Their open widgets forget the transcript they hold and start afresh: told so, then their
        # sockets are closed with 4001 on every node (the widget drops its token on that code).
        outbox.add([audience.visitor_topic(visitor_id)], visitor_forgotten_frame())
        outbox.add([audience.visitor_topic(visitor_id)], revoke_frame(None))
    return {"visitor_id": visitor_id, "deleted": counts}
