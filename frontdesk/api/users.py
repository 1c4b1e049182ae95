"""Agents (`/api/v1/users/...`) and your own availability."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from frontdesk.actions import users
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("")
async def list_users(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"users": await users.list_users(ctx=ctx, actor=actor)}


@router.post("", status_code=201)
async def create_user(
    body: dict[str, Any] = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"user": await users.do_create_user_as(ctx=ctx, actor=actor, data=body)}


@router.patch("/{user_id}")
async def update_user(
    user_id: int,
    body: dict[str, Any] = Body(...),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return {"user": await users.do_update_user(ctx=ctx, actor=actor, user_id=user_id, data=body)}
