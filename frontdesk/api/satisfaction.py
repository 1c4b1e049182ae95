"""Satisfaction reports (`/api/v1/reports/satisfaction`): ratings per agent and per department."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from frontdesk.actions import satisfaction
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/satisfaction")
async def satisfaction_report(
    since: str | None = Query(None, alias="from", max_length=40, description="a date (whole day) or ISO date-time"),
    until: str | None = Query(None, alias="to", max_length=40, description="a date (included) or ISO date-time"),
    department_id: int | None = Query(None, ge=1),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await satisfaction.satisfaction_report(
        ctx=ctx, actor=actor, since=since, until=until, department_id=department_id
    )
