"""The transcript archive: search closed and ongoing chats by their words, read one, export.

Who sees what (docs/permissions.md): `archive.search` — admins and managers every chat;
supervisors and agents the chats of the departments they work in, plus chats assigned to them.
Internal events (notes, whispers) are searchable and shown in the console (agents only), but
every export leaves them out unless `internal=true` is asked by a role with
`archive.export_internal`: an export is a file that leaves the product and may be forwarded to
the customer. Bulk exports (`archive.export`) stream keyset pages of chats, each read in its own
short transaction, so neither memory nor a database snapshot grows with the archive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from frontdesk.actions.access import check_readable
from frontdesk.actions.chats import NOT_FOUND
from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import utcnow
from frontdesk.domain.archive_query import SearchText, highlight, parse_search
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus, bad_field
from frontdesk.domain.dates import parse_bound
from frontdesk.domain.ids import check_id, is_id
from frontdesk.permissions import allowed, department_scoped, require
from frontdesk.presenters.transcripts import (
    CSV_COLUMNS,
    archive_event,
    csv_chat,
    csv_line,
    jsonl_chat,
    transcript_html,
    transcript_plain,
)
from frontdesk.store import archive_store, department_store
from frontdesk.store.archive_store import ArchiveFilters
from frontdesk.wire import chat_summary

SEARCH_PAGE = 20
MAX_SEARCH_PAGE = 100
EXPORT_PAGE = 200
MAX_TRANSCRIPT_EVENTS = 500  # per request of the console's transcript view


@dataclass(frozen=True, slots=True)
class ArchiveQuery:
    """The search box and the filters as they arrive (query-string values), before checks."""

    q: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    department_id: int | None = None
    agent_id: int | None = None
    tag_id: int | None = None
    rating_min: int | None = None
    rating_max: int | None = None
    min_minutes: float | None = None
    max_minutes: float | None = None
    status: str | None = None


def _parse_when(value: str | None, field: str, *, end: bool) -> datetime | None:
    """A date (a whole day, UTC) or an ISO 8601 time; for `to`, a date includes that day."""
    if value is None or value == "":
        return None
    return parse_bound(value.strip(), field, end=end)


def _check_id(value: int | None, field: str) -> int | None:
    return check_id(value, field, optional=True)


def _check_range(low: Any, high: Any, low_field: str, high_field: str, *, lowest: float, highest: float) -> None:
    for value, field in ((low, low_field), (high, high_field)):
        if value is not None and not lowest <= value <= highest:
            raise bad_field(field, f"must be between {lowest:g} and {highest:g}")
    if low is not None and high is not None and low > high:
        raise bad_field(high_field, f"must not be below {low_field}")


def check_query(query: ArchiveQuery) -> tuple[SearchText, ArchiveFilters]:
    """The search text and filters, validated; errors name the field."""
    search = parse_search(query.q)
    created_from = _parse_when(query.date_from, "from", end=False)
    created_before = _parse_when(query.date_to, "to", end=True)
    if created_from is not None and created_before is not None and created_before <= created_from:
        raise bad_field("to", "must be after from")
    if query.status not in (None, "", *tuple(ChatStatus)):
        raise bad_field("status", "must be queued, active or closed")
    _check_range(query.rating_min, query.rating_max, "rating_min", "rating_max", lowest=1, highest=5)
    _check_range(query.min_minutes, query.max_minutes, "min_minutes", "max_minutes", lowest=0, highest=525_600)
    filters = ArchiveFilters(
        created_from=created_from,
        created_before=created_before,
        department_id=_check_id(query.department_id, "department_id"),
        agent_id=_check_id(query.agent_id, "agent_id"),
        tag_id=_check_id(query.tag_id, "tag_id"),
        rating_min=query.rating_min,
        rating_max=query.rating_max,
        min_minutes=query.min_minutes,
        max_minutes=query.max_minutes,
        status=query.status or None,
        now=utcnow(),
    )
    return search, filters


async def _scoped(ctx: Context, actor: AgentActor, filters: ArchiveFilters, action: str) -> ArchiveFilters:
    """The filters narrowed to what the actor may see with `action`."""
    require(actor.role, action)
    if not department_scoped(actor.role, action):
        return filters
    async with ctx.db.read() as conn:
        mine = frozenset(await department_store.departments_of_user(conn, actor.id))
    return replace(filters, scope_departments=mine, scope_user_id=actor.id)


async def _page(conn: Any, search: SearchText, filters: ArchiveFilters, *, before: int | None, limit: int) -> list[int]:
    if search.empty:
        if search.raw.strip():
            return []  # only punctuation: nothing can match
        return await archive_store.browse_chat_ids(conn, filters, before=before, limit=limit)
    return await archive_store.archive_search(conn).chat_ids(conn, search, filters, before=before, limit=limit)


async def search(
    *, ctx: Context, actor: AgentActor, query: ArchiveQuery, before: int | None = None, limit: int = SEARCH_PAGE
) -> dict[str, Any]:
    """Chats newest first whose messages contain every term, with the first matching message
    as a snippet: `parts` alternate plain text and matched words (odd indexes)."""
    search_text, filters = check_query(query)
    if before is not None and not is_id(before):
        raise bad_field("before", "must be a chat id")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_SEARCH_PAGE:
        raise bad_field("limit", f"must be between 1 and {MAX_SEARCH_PAGE}")
    filters = await _scoped(ctx, actor, filters, "archive.search")
    async with ctx.db.read() as conn:
        ids = await _page(conn, search_text, filters, before=before, limit=limit + 1)
        more = len(ids) > limit
        ids = ids[:limit]
        chats = await archive_store.chat_rows(conn, ids)
        hits: dict[int, archive_store.Hit] = {}
        if ids and not search_text.empty:
            hits = await archive_store.archive_search(conn).hits(conn, search_text, ids)
    results = []
    for chat_id in ids:
        row = chats.get(chat_id)
        if row is None:  # deleted between the two reads
            continue
        item: dict[str, Any] = {"chat": chat_summary(row), "hit": None}
        found = hits.get(chat_id)
        if found is not None:
            message = found.message
            event = archive_event(message)
            item["hit"] = {
                "seq": found.seq,
                "count": found.count,
                "kind": event["kind"],
                "internal": event["internal"],
                "author": event["author"],
                "created_at": event["created_at"],
                "parts": highlight(message.body, search_text),
            }
        results.append(item)
    return {"chats": results, "next_before": ids[-1] if more and ids else None}


async def _readable_chat(ctx: Context, actor: AgentActor, chat_id: int) -> Any:
    """The chat's row when the actor may find it in the archive; otherwise not found (the
    same answer as a chat that does not exist, so ids cannot be probed)."""
    require(actor.role, "archive.search")
    async with ctx.db.read() as conn:
        row = (await archive_store.chat_rows(conn, [chat_id])).get(chat_id)
        if row is None:
            raise ChatRuleError("not_found", NOT_FOUND)
        await check_readable(conn, actor, row)  # the one read rule (actions/access.py)
    return row


async def transcript(*, ctx: Context, actor: AgentActor, chat_id: int, after: int = 0) -> dict[str, Any]:
    """One chat of the archive, read-only, internal events included and marked (console)."""
    if not is_id(after, minimum=0):
        raise bad_field("after", "must be 0 or a seq")
    row = await _readable_chat(ctx, actor, chat_id)
    async with ctx.db.read() as conn:
        events = await archive_store.events_of_chats(
            conn, [chat_id], include_internal=True, after=after, limit=MAX_TRANSCRIPT_EVENTS + 1
        )
    more = len(events) > MAX_TRANSCRIPT_EVENTS
    events = events[:MAX_TRANSCRIPT_EVENTS]
    return {
        "chat": chat_summary(row),
        "events": [archive_event(e) for e in events],
        "next_after": events[-1].seq if more and events else None,
    }


def _check_internal(actor: AgentActor, internal: bool) -> None:
    if internal and not allowed(actor.role, "archive.export_internal"):
        raise ChatRuleError(
            "forbidden",
            f"internal: your role ({actor.role}) may not export internal notes and whispers",
            field="internal",
        )


# -- one transcript as a file ------------------------------------------------------------------
async def export_transcript(
    *, ctx: Context, actor: AgentActor, chat_id: int, fmt: str, internal: bool = False
) -> tuple[str, str]:
    """(content, media type) of one chat's transcript as `txt`, `html` or `json`."""
    if fmt not in ("txt", "html", "json"):
        raise bad_field("format", "must be txt, html or json")
    _check_internal(actor, internal)
    row = await _readable_chat(ctx, actor, chat_id)
    events: list[Any] = []
    after = 0
    while True:  # keyset pages of events: a long chat is not read in one statement
        async with ctx.db.read() as conn:
            page = await archive_store.events_of_chats(
                conn, [chat_id], include_internal=internal, after=after, limit=MAX_TRANSCRIPT_EVENTS
            )
        events.extend(page)
        if len(page) < MAX_TRANSCRIPT_EVENTS:
            break
        after = page[-1].seq
    chat = chat_summary(row)
    payload = [archive_event(e) for e in events]
    if fmt == "json":
        return orjson.dumps({"chat": chat, "events": payload}, option=orjson.OPT_INDENT_2).decode(), "application/json"
    if fmt == "txt":
        return transcript_plain(chat, payload), "text/plain; charset=utf-8"
    return transcript_html(chat, payload), "text/html; charset=utf-8"


# -- bulk exports: streamed ----------------------------------------------------------------------
async def open_export(
    *,
    ctx: Context,
    actor: AgentActor,
    query: ArchiveQuery,
    fmt: str,
    internal: bool = False,
    page_size: int = EXPORT_PAGE,
) -> AsyncIterator[bytes]:
    """Checks everything first (errors are answers, not broken downloads), then returns the
    export as chunks: `csv` one row per event, `jsonl` one chat with its events per line."""
    require(actor.role, "archive.export")
    if fmt not in ("csv", "jsonl"):
        raise bad_field("format", "must be csv or jsonl")
    search_text, filters = check_query(query)
    _check_internal(actor, internal)
    filters = await _scoped(ctx, actor, filters, "archive.export")
    render: Callable[[Any, list[Any]], bytes] = csv_chat if fmt == "csv" else jsonl_chat

    async def chunks() -> AsyncIterator[bytes]:
        if fmt == "csv":
            yield csv_line(CSV_COLUMNS)
        before: int | None = None
        while True:
            # One short read per page; the connection goes back to the pool before the client
            # is sent anything, so a slow download holds no database resources.
            async with ctx.db.read() as conn:
                ids = await _page(conn, search_text, filters, before=before, limit=page_size)
                chats = await archive_store.chat_rows(conn, ids)
                events = await archive_store.events_of_chats(conn, ids, include_internal=internal)
            by_chat: dict[int, list[Any]] = {}
            for event in events:
                by_chat.setdefault(event.chat_id, []).append(event)
            out = [render(chats[i], by_chat.get(i, [])) for i in ids if i in chats]
            if out:
                yield b"".join(out)
            if len(ids) < page_size:
                return
            before = ids[-1]

    return chunks()


def export_filename(kind: str, query: ArchiveQuery) -> str:
    """e.g. chats-2026-01-01-to-2026-01-31.csv (only digits and dashes from the request)."""
    parts = ["chats"]
    for value in (query.date_from, query.date_to):
        day = (value or "")[:10]
        if len(day) == 10 and all(c.isdigit() or c == "-" for c in day):
            parts.append(day)
    name = "-to-".join(parts[1:]) if len(parts) > 1 else utcnow().strftime("%Y-%m-%d")
    return f"chats-{name}.{kind}"
