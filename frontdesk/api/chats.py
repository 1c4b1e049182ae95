"""Agent chat endpoints (`/api/v1/chats/...`): the same actions the agent socket calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from frontdesk.actions import chats, notes, offers, reads, transfers
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import Before, Cursor, PathId, SmallBodyId
from frontdesk.api.schemas import (
    CLIENT_ID_DOC,
    AgentCard,
    AgentRef,
    ChatPage,
    ChatSummary,
    DepartmentRef,
    EventResult,
    EventsPage,
    In,
    Ok,
    Out,
    SentEvent,
    typed_router,
)

router = typed_router(prefix="/api/v1/chats", tags=["chats"])

ChatId = int


# Texts: at most `max_message_chars` (4,000 by default; over it a 413 from the action); the
# 100,000 here only keeps a runaway body from being read as a message.
class MessageBody(In):
    text: str = Field(max_length=100_000, description="at most max_message_chars (413 when longer)")
    client_id: str = Field(max_length=64, json_schema_extra=CLIENT_ID_DOC)


class ReplyBody(In):
    text: str | None = Field(None, max_length=100_000)  # ignored with canned_id
    client_id: str = Field(max_length=64, json_schema_extra=CLIENT_ID_DOC)
    canned_id: SmallBodyId | None = Field(None, description="send this canned response, rendered for the chat")


@router.get("", response_model=ChatPage)
async def list_chats(
    status: Literal["queued", "active", "closed"] = "queued",
    before: Before = None,
    limit: int = Query(50, ge=1, le=200),
    mine: bool | None = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await reads.list_chats(ctx=ctx, actor=actor, status=status, before=before, limit=limit, mine=mine)


@router.get("/{chat_id}", response_model=ChatSummary)
async def get_chat(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> Mapping[str, Any]:  # a wire.ChatSummary
    return await reads.get_chat(ctx=ctx, actor=actor, chat_id=chat_id)


@router.get("/{chat_id}/messages", response_model=EventsPage)
async def chat_messages(
    chat_id: PathId,
    after: Cursor = 0,
    limit: int = Query(500, ge=1, le=500),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await reads.events_for_agent(ctx=ctx, actor=actor, chat_id=chat_id, after=after, limit=limit)


@router.post(
    "/{chat_id}/messages",
    status_code=201,
    response_model=SentEvent,
    responses={200: {"model": SentEvent, "description": "a retry: this client_id was stored before"}},
)
async def send_message(
    chat_id: PathId,
    body: ReplyBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> JSONResponse:
    result = await chats.do_send_agent_message(
        ctx=ctx, actor=actor, chat_id=chat_id, text=body.text, client_id=body.client_id, canned_id=body.canned_id
    )
    return JSONResponse(
        {"event": result.event, "duplicate": result.duplicate}, status_code=200 if result.duplicate else 201
    )


@router.post("/{chat_id}/accept", response_model=EventResult)
async def accept_chat(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"event": await chats.do_accept_chat(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/{chat_id}/close", response_model=EventResult)
async def close_chat(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"event": await chats.do_close_chat(ctx=ctx, actor=actor, chat_id=chat_id)}


class TransferBody(In):
    """Exactly one of to_agent_id and to_department_id."""

    to_agent_id: SmallBodyId | None = None
    to_department_id: SmallBodyId | None = None
    note: str | None = Field(None, max_length=100_000, description="an internal note for the new owner")


class Transferred(Out):
    chat_id: int
    seq: int = Field(description="the chat.transferred event")
    from_agent: AgentRef | None
    to_agent: AgentCard | None
    to_department: DepartmentRef | None


@router.post("/{chat_id}/transfer", response_model=Transferred)
async def transfer_chat(
    chat_id: PathId, body: TransferBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await transfers.do_transfer_chat(
        ctx=ctx,
        actor=actor,
        chat_id=chat_id,
        to_agent_id=body.to_agent_id,
        to_department_id=body.to_department_id,
        note=body.note,
    )


@router.post("/{chat_id}/decline", response_model=Ok)
async def decline_chat(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    await offers.do_decline_offer(ctx=ctx, actor=actor, chat_id=chat_id)
    return {"ok": True}


@router.post("/{chat_id}/notes", status_code=201, response_model=EventResult)
async def add_note(
    chat_id: PathId, body: MessageBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {
        "event": await notes.do_add_note(
            ctx=ctx, actor=actor, chat_id=chat_id, text=body.text, client_id=body.client_id
        )
    }
