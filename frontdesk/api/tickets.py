"""Offline messages (`/api/v1/tickets/...`)."""

from __future__ import annotations

from typing import Literal

from fastapi import Depends
from pydantic import Field

from frontdesk.actions import tickets
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import PathId
from frontdesk.api.schemas import Out, typed_router

router = typed_router(prefix="/api/v1/tickets", tags=["tickets"])


class TicketDepartment(Out):
    id: int
    slug: str | None
    name: str | None


class Ticket(Out):
    id: int
    department: TicketDepartment | None
    name: str | None
    email: str
    text: str
    status: str = Field(description="open or done")
    created_at: str | None
    done_at: str | None


class TicketList(Out):
    tickets: list[Ticket]


class OneTicket(Out):
    ticket: Ticket


@router.get("", response_model=TicketList)
async def list_tickets(
    status: Literal["open", "done"] = "open",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return {"tickets": await tickets.list_tickets(ctx=ctx, actor=actor, status=status)}


@router.post("/{ticket_id}/done", response_model=OneTicket)
async def mark_done(
    ticket_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"ticket": await tickets.do_mark_ticket_done(ctx=ctx, actor=actor, ticket_id=ticket_id)}
