"""The transcript archive (`/api/v1/archive/...`) and transcript exports of one chat."""

from __future__ import annotations

from fastapi import Depends, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import Field

from frontdesk.actions import archive
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.openapi import file_answer
from frontdesk.api.params import Before, Cursor, PathId, SmallQueryId
from frontdesk.api.schemas import Author, ChatSummary, Event, Out, typed_router

router = typed_router(tags=["archive"])


class ArchiveEvent(Event):
    internal: bool = Field(description="a note or whisper: never shown to the visitor")


class Hit(Out):
    """The first matching message of a chat."""

    seq: int
    count: int = Field(description="how many of the chat's messages match")
    kind: str
    internal: bool
    author: Author
    created_at: str | None
    parts: list[str] = Field(description="a snippet: even indexes plain text, odd indexes the matched words")


class SearchResult(Out):
    chat: ChatSummary
    hit: Hit | None = Field(description="null without search words")


class SearchPage(Out):
    chats: list[SearchResult]
    next_before: int | None


class ArchivedChat(Out):
    chat: ChatSummary
    events: list[ArchiveEvent]
    next_after: int | None = Field(description="more events: pass as `after`")


# Exports are files: downloaded, never run (no script, sandboxed if opened), never cached.
# (nosniff comes from the SecurityHeaders middleware on every response.)
_FILE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}


def archive_query(
    q: str | None = Query(None, description='words (all must appear), "a phrase", prefix*'),
    date_from: str | None = Query(None, alias="from", max_length=40, description="YYYY-MM-DD or ISO 8601 (UTC)"),
    date_to: str | None = Query(None, alias="to", max_length=40, description="a date includes that whole day"),
    department_id: SmallQueryId = None,
    agent_id: SmallQueryId = None,
    tag_id: SmallQueryId = None,
    rating_min: int | None = Query(None, ge=1, le=5),
    rating_max: int | None = Query(None, ge=1, le=5),
    min_minutes: float | None = Query(None, ge=0, le=525_600),
    max_minutes: float | None = Query(None, ge=0, le=525_600),
    status: str | None = Query(None, max_length=10, description="queued, active or closed"),
) -> archive.ArchiveQuery:
    return archive.ArchiveQuery(
        q=q,
        date_from=date_from,
        date_to=date_to,
        department_id=department_id,
        agent_id=agent_id,
        tag_id=tag_id,
        rating_min=rating_min,
        rating_max=rating_max,
        min_minutes=min_minutes,
        max_minutes=max_minutes,
        status=status,
    )


@router.get("/api/v1/archive/search", response_model=SearchPage)
async def search(
    query: archive.ArchiveQuery = Depends(archive_query),
    before: Before = None,
    limit: int = Query(archive.SEARCH_PAGE, ge=1, le=archive.MAX_SEARCH_PAGE),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await archive.search(ctx=ctx, actor=actor, query=query, before=before, limit=limit)


@router.get("/api/v1/archive/chats/{chat_id}", response_model=ArchivedChat)
async def archived_chat(
    chat_id: PathId,
    after: Cursor = 0,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await archive.transcript(ctx=ctx, actor=actor, chat_id=chat_id, after=after)


async def _transcript_file(ctx: Context, actor: AgentActor, chat_id: PathId, fmt: str, internal: bool) -> Response:
    content, media_type = await archive.export_transcript(
        ctx=ctx, actor=actor, chat_id=chat_id, fmt=fmt, internal=internal
    )
    headers = {**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="chat-{chat_id}.{fmt}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.get(
    "/api/v1/chats/{chat_id}/transcript.txt",
    responses=file_answer("text/plain", description="the transcript as text"),
)
async def transcript_txt(
    chat_id: PathId,
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Response:
    return await _transcript_file(ctx, actor, chat_id, "txt", internal)


@router.get(
    "/api/v1/chats/{chat_id}/transcript.html",
    responses=file_answer("text/html", description="the transcript as a page"),
)
async def transcript_html(
    chat_id: PathId,
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Response:
    return await _transcript_file(ctx, actor, chat_id, "html", internal)


@router.get("/api/v1/chats/{chat_id}/transcript.json")
async def transcript_json(
    chat_id: PathId,
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Response:
    return await _transcript_file(ctx, actor, chat_id, "json", internal)


async def _export(ctx: Context, actor: AgentActor, query: archive.ArchiveQuery, fmt: str, internal: bool):
    chunks = await archive.open_export(ctx=ctx, actor=actor, query=query, fmt=fmt, internal=internal)
    media_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    filename = archive.export_filename(fmt, query)
    headers = {**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


@router.get(
    "/api/v1/archive/export.csv",
    responses=file_answer("text/csv", description="one row per event"),
)
async def export_csv(
    query: archive.ArchiveQuery = Depends(archive_query),
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> StreamingResponse:
    return await _export(ctx, actor, query, "csv", internal)


@router.get(
    "/api/v1/archive/export.jsonl",
    responses=file_answer("application/x-ndjson", description="JSON Lines: one chat with its events per line"),
)
async def export_jsonl(
    query: archive.ArchiveQuery = Depends(archive_query),
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> StreamingResponse:
    return await _export(ctx, actor, query, "jsonl", internal)
