"""Canned responses (`/api/v1/canned/...`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from frontdesk.actions import canned
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx

router = APIRouter(prefix="/api/v1/canned", tags=["canned responses"])


@router.get("")
async def list_canned(
    chat_id: int | None = Query(None, ge=1, description="only those usable in this chat, each with its preview"),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await canned.list_canned(ctx=ctx, actor=actor, chat_id=chat_id)


@router.post("", status_code=201)
async def create_canned(
    data: Any = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"canned": await canned.do_create_canned(ctx=ctx, actor=actor, data=data)}


@router.patch("/{canned_id}")
async def update_canned(
    canned_id: int,
    data: Any = Body(...),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return {"canned": await canned.do_update_canned(ctx=ctx, actor=actor, canned_id=canned_id, data=data)}


@router.delete("/{canned_id}")
async def delete_canned(
    canned_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    await canned.do_delete_canned(ctx=ctx, actor=actor, canned_id=canned_id)
    return {"ok": True}
