"""Files in chats: agents (`/api/v1/chats/{id}/attachments`) and visitors
(`/api/v1/widget/attachments`, with the visitor token in the `X-Visitor-Token` header).

Downloads are labelled with the type sniffed at upload, `nosniff`, a sandboxing CSP, and
`Content-Disposition: attachment` unless the file is a raster image (then `inline`).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from frontdesk.actions import attachments
from frontdesk.actions.attachments import StoredFile, incoming_path
from frontdesk.actions.context import AgentActor, Context, SendResult, VisitorActor
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.openapi import file_answer
from frontdesk.api.params import PathId
from frontdesk.api.schemas import SentEvent
from frontdesk.api.uploads import receive_file
from frontdesk.api.widget import check_widget_request
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.file_types import KINDS
from frontdesk.domain.rate_limit import KeyedLimiter
from frontdesk.security.tokens import verify_visitor_token

FILE_TYPES = sorted({kind.content_type for kind in KINDS.values()})  # what an upload may be (sniffed)

VISITOR_TOKEN_HEADER = "x-visitor-token"  # noqa: S105 — a header's name, not a secret
FILE_CSP = "default-src 'none'; sandbox"

router = APIRouter(tags=["attachments"])
# Sending a file: 201 with the stored event, 200 when this client_id was stored before.
_SENT: dict[str, Any] = {
    "response_model": SentEvent,
    "responses": {200: {"model": SentEvent, "description": "a retry: this client_id was stored before"}},
}

# Files a visitor may send: a few in a row, then one every six seconds (per address and visitor).
visitor_uploads = KeyedLimiter(rate=1 / 6, burst=10)


def file_response(stored: StoredFile, *, cache: str, cross_origin: bool = False) -> StreamingResponse:
    """The file as its sniffed type; inline only for raster images, never as a page."""
    disposition = "inline" if stored.image else "attachment"
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in stored.name) or "file"
    encoded = quote(stored.name, safe="")
    headers = {
        "Content-Length": str(stored.size),
        "Content-Disposition": f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}",
        "Content-Security-Policy": FILE_CSP,
        "Cache-Control": cache,
        "Cross-Origin-Resource-Policy": "cross-origin" if cross_origin else "same-origin",
    }
    return StreamingResponse(stored.chunks(), media_type=stored.content_type, headers=headers)


def sent(result: SendResult) -> JSONResponse:
    return JSONResponse(
        {"event": result.event, "duplicate": result.duplicate}, status_code=200 if result.duplicate else 201
    )


# ---- agents -----------------------------------------------------------------------------------
@router.post("/api/v1/chats/{chat_id}/attachments", status_code=201, **_SENT)
async def send_agent_file(
    chat_id: PathId, request: Request, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> JSONResponse:
    """multipart/form-data: `file` (one file) and optionally `client_id` (makes a retry safe)."""
    upload = await receive_file(request, temp=incoming_path(ctx), max_bytes=ctx.settings.attachment_max_bytes)
    return sent(await attachments.do_send_agent_file(ctx=ctx, actor=actor, chat_id=chat_id, upload=upload))


@router.get("/api/v1/chats/{chat_id}/attachments/{file_id}", responses=file_answer(*FILE_TYPES))
async def get_agent_file(
    chat_id: PathId, file_id: str, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> StreamingResponse:
    stored = await attachments.file_for_agent(ctx=ctx, actor=actor, chat_id=chat_id, file_id=file_id)
    return file_response(stored, cache="private, max-age=86400")


# ---- visitors ---------------------------------------------------------------------------------
def visitor_from_header(request: Request, ctx: Context) -> VisitorActor:
    visitor_id = verify_visitor_token(request.headers.get(VISITOR_TOKEN_HEADER), ctx.settings.signing_key)
    if visitor_id is None:
        raise ChatRuleError("unauthorized", "Missing or invalid X-Visitor-Token header.")
    return VisitorActor(visitor_id)


@router.post("/api/v1/widget/attachments", status_code=201, **_SENT)
async def send_visitor_file(request: Request, ctx: Context = Depends(get_ctx)) -> JSONResponse:
    """multipart/form-data: `file` and optionally `client_id`; goes into the visitor's open chat."""
    actor = visitor_from_header(request, ctx)
    check_widget_request(request, ctx, visitor_uploads, "You are sending files too fast; wait a moment.")
    wait = visitor_uploads.take("v:" + actor.visitor_id, time.monotonic())
    if wait:
        raise ChatRuleError("rate_limited", "You are sending files too fast; wait a moment.", retry_after=wait)
    upload = await receive_file(request, temp=incoming_path(ctx), max_bytes=ctx.settings.attachment_max_bytes)
    return sent(await attachments.do_send_visitor_file(ctx=ctx, actor=actor, upload=upload))


@router.get("/api/v1/widget/attachments/{file_id}", responses=file_answer(*FILE_TYPES))
async def get_visitor_file(file_id: str, request: Request, ctx: Context = Depends(get_ctx)) -> StreamingResponse:
    actor = visitor_from_header(request, ctx)
    stored = await attachments.file_for_visitor(ctx=ctx, actor=actor, file_id=file_id)
    return file_response(stored, cache="private, max-age=86400")
