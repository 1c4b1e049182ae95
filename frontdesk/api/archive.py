"""The transcript archive (`/api/v1/archive/...`) and transcript exports of one chat."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from frontdesk.actions import archive
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx

router = APIRouter(tags=["archive"])

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
    department_id: int | None = Query(None, ge=1),
    agent_id: int | None = Query(None, ge=1),
    tag_id: int | None = Query(None, ge=1),
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


@router.get("/api/v1/archive/search")
async def search(
    query: archive.ArchiveQuery = Depends(archive_query),
    before: int | None = Query(None, ge=1, description="next_before of the previous page"),
    limit: int = Query(archive.SEARCH_PAGE, ge=1, le=archive.MAX_SEARCH_PAGE),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await archive.search(ctx=ctx, actor=actor, query=query, before=before, limit=limit)


@router.get("/api/v1/archive/chats/{chat_id}")
async def archived_chat(
    chat_id: int,
    after: int = Query(0, ge=0),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await archive.transcript(ctx=ctx, actor=actor, chat_id=chat_id, after=after)


async def _transcript_file(ctx: Context, actor: AgentActor, chat_id: int, fmt: str, internal: bool) -> Response:
    content, media_type = await archive.export_transcript(
        ctx=ctx, actor=actor, chat_id=chat_id, fmt=fmt, internal=internal
    )
    headers = {**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="chat-{chat_id}.{fmt}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.get("/api/v1/chats/{chat_id}/transcript.txt")
async def transcript_txt(
    chat_id: int,
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Response:
    return await _transcript_file(ctx, actor, chat_id, "txt", internal)


@router.get("/api/v1/chats/{chat_id}/transcript.html")
async def transcript_html(
    chat_id: int,
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Response:
    return await _transcript_file(ctx, actor, chat_id, "html", internal)


@router.get("/api/v1/chats/{chat_id}/transcript.json")
async def transcript_json(
    chat_id: int,
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Response:
    return await _transcript_file(ctx, actor, chat_id, "json", internal)


async def _export(ctx: Context, actor: AgentActor, query: archive.ArchiveQuery, fmt: str, internal: bool):  # type: ignore[no-untyped-def]
    chunks = await archive.open_export(ctx=ctx, actor=actor, query=query, fmt=fmt, internal=internal)
    media_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    filename = archive.export_filename(fmt, query)
    headers = {**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


@router.get("/api/v1/archive/export.csv")
async def export_csv(
    query: archive.ArchiveQuery = Depends(archive_query),
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> StreamingResponse:
    return await _export(ctx, actor, query, "csv", internal)


@router.get("/api/v1/archive/export.jsonl")
async def export_jsonl(
    query: archive.ArchiveQuery = Depends(archive_query),
    internal: bool = Query(False, description="include internal notes and whispers (archive.export_internal)"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> StreamingResponse:
    return await _export(ctx, actor, query, "jsonl", internal)
