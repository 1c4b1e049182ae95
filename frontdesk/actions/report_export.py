"""The one-row-per-chat export (issue 14; docs/architecture/analytics.md, "Export"): every closed
chat of a range with all its figures (chat_facts), as CSV that opens cleanly in a spreadsheet:
a UTF-8 byte order mark (Excel reads the file as UTF-8), CRLF line ends, one header row, every
text cell through csv_cell (no formula runs). Streamed in windows of time, like the archive's export
in pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.actions import reports
from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import as_utc, iso
from frontdesk.domain.archive_query import csv_cell
from frontdesk.domain.report_params import ReportRange
from frontdesk.presenters.transcripts import csv_line
from frontdesk.store import goal_store

# One read per 6 hours of the range: an indexed range of chat_facts (a busy site's 6 hours are a
# few thousand chats), so the whole export is one pass over the rows whatever its length.
WINDOW = timedelta(hours=6)
BOM = "\ufeff".encode()
COLUMNS = (
    "chat_id",
    "started_local",
    "ended_local",
    "started_utc",
    "ended_utc",
    "department",
    "agent",
    "first_agent",
    "visitor_name",
    "outcome",
    "queue_wait_s",
    "first_response_s",
    "reply_mean_s",
    "reply_max_s",
    "replies",
    "handle_s",
    "duration_s",
    "concurrency",
    "visitor_messages",
    "agent_messages",
    "transfers",
    "escalations",
    "tags",
    "rating",
    "rating_comment",
    "review_score",
    "invitation_id",
    "invitation_rule",
)


def outcome(row: Any) -> str:
    """answered (an agent replied), missed (the visitor left before any reply), dropped (left
    after a reply with agent messages unread), or unanswered (closed without a reply otherwise)."""
    if row.dropped:
        return "dropped"
    if row.missed:
        return "missed"
    return "answered" if row.answered else "unanswered"


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else as_utc(value).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{round(float(value), digits):g}" if digits else str(round(value))


def export_row(row: Any, tags: list[str], zone: ZoneInfo) -> list[str]:
    started, ended = as_utc(row.started_at), as_utc(row.ended_at)
    reply_mean = row.reply_sum_s / row.reply_n if row.reply_n else None
    return [
        str(row.chat_id),
        _local(started, zone),
        _local(ended, zone),
        iso(started) or "",
        iso(ended) or "",
        csv_cell(row.department_name),
        csv_cell(row.agent_name),
        csv_cell(row.first_agent_name),
        csv_cell(row.visitor_name),
        outcome(row),
        _number(row.queue_wait_s),
        _number(row.first_response_s),
        _number(reply_mean),
        _number(row.reply_max_s),
        str(row.reply_n or 0),
        _number(row.handle_s),
        _number(row.duration_s),
        _number(row.concurrency, 3),
        str(row.visitor_messages),
        str(row.agent_messages),
        str(row.transfers),
        str(row.escalations),
        csv_cell(", ".join(tags)),
        _number(row.rating),
        csv_cell(row.rating_comment),
        _number(row.review_score, 2),
        _number(row.invitation_id),
        csv_cell(row.invitation_rule_name),
    ]


def export_filename(rng: ReportRange) -> str:
    return f"chats-{rng.first.isoformat()}-to-{rng.last.isoformat()}.csv"


async def open_export(
    *,
    ctx: Context,
    actor: AgentActor,
    department_id: int | None = None,
    agent_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
) -> tuple[str, AsyncIterator[bytes]]:
    """Checks everything first (an error is an answer, never a broken download), then returns the
    file name and the CSV as chunks: the chats of 6 hours of the range per chunk, oldest first,
    each read on its own short connection (a slow download holds no database resources)."""
    async with ctx.db.read() as conn:
        scope = await reports.report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await reports.report_range(conn, scope, since=since, until=until, tz=tz)
    zone = rng.zone

    async def chunks() -> AsyncIterator[bytes]:
        yield BOM + csv_line(COLUMNS)
        at = rng.start
        while at < rng.end:
            until = min(rng.end, at + WINDOW)
            async with ctx.db.read() as conn:
                rows = await goal_store.export_window(
                    conn, start=at, end=until, department_ids=scope.department_ids, agent_id=scope.agent_id
                )
                tags = await goal_store.tags_of_chats(conn, [r.chat_id for r in rows])
            if rows:
                yield b"".join(csv_line(export_row(r, tags.get(r.chat_id, []), zone)) for r in rows)
            at = until

    return export_filename(rng), chunks()
