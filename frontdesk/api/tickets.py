"""Offline messages (`/api/v1/tickets/...`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends

from frontdesk.actions import tickets
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


@router.get("")
async def list_tickets(
    status: Literal["open", "done"] = "open",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return {"tickets": await tickets.list_tickets(ctx=ctx, actor=actor, status=status)}


@router.post("/{ticket_id}/done")
async def mark_done(
    ticket_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"ticket": await tickets.do_mark_ticket_done(ctx=ctx, actor=actor, ticket_id=ticket_id)}
