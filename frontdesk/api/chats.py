"""Agent chat endpoints (`/api/v1/chats/...`): the same actions the agent socket calls."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from frontdesk.actions import chats, reads, routing
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx

router = APIRouter(prefix="/api/v1/chats", tags=["chats"])

ChatId = int


class MessageBody(BaseModel):
    text: str = Field(max_length=100_000)
    client_id: str = Field(max_length=64)


class ReplyBody(BaseModel):
    text: str | None = Field(None, max_length=100_000)  # ignored with canned_id
    client_id: str = Field(max_length=64)
    canned_id: int | None = Field(None, ge=1, description="send this canned response, rendered for the chat")


@router.get("")
async def list_chats(
    status: Literal["queued", "active", "closed"] = "queued",
    before: int | None = Query(None, ge=1),
    limit: int = Query(50, ge=1, le=200),
    mine: bool | None = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await reads.list_chats(ctx=ctx, actor=actor, status=status, before=before, limit=limit, mine=mine)


@router.get("/{chat_id}")
async def get_chat(chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return await reads.get_chat(ctx=ctx, actor=actor, chat_id=chat_id)


@router.get("/{chat_id}/messages")
async def chat_messages(
    chat_id: int,
    after: int = Query(0, ge=0),
    limit: int = Query(500, ge=1, le=500),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await reads.events_for_agent(ctx=ctx, actor=actor, chat_id=chat_id, after=after, limit=limit)


@router.post("/{chat_id}/messages", status_code=201)
async def send_message(
    chat_id: int,
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


@router.post("/{chat_id}/accept")
async def accept_chat(
    chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"event": await chats.do_accept_chat(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/{chat_id}/close")
async def close_chat(chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"event": await chats.do_close_chat(ctx=ctx, actor=actor, chat_id=chat_id)}


class TransferBody(BaseModel):
    to_agent_id: int | None = None
    to_department_id: int | None = None
    note: str | None = Field(None, max_length=100_000)


@router.post("/{chat_id}/transfer")
async def transfer_chat(
    chat_id: int, body: TransferBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await routing.do_transfer_chat(
        ctx=ctx,
        actor=actor,
        chat_id=chat_id,
        to_agent_id=body.to_agent_id,
        to_department_id=body.to_department_id,
        note=body.note,
    )


@router.post("/{chat_id}/decline")
async def decline_chat(
    chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    await routing.do_decline_offer(ctx=ctx, actor=actor, chat_id=chat_id)
    return {"ok": True}


@router.post("/{chat_id}/notes", status_code=201)
async def add_note(
    chat_id: int, body: MessageBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {
        "event": await routing.do_add_note(
            ctx=ctx, actor=actor, chat_id=chat_id, text=body.text, client_id=body.client_id
        )
    }
