"""Satisfaction reports (`/api/v1/reports/satisfaction`): ratings per agent and per department."""

from __future__ import annotations

from fastapi import Depends, Query
from pydantic import Field

from frontdesk.actions import satisfaction
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallQueryId
from frontdesk.api.schemas import AgentRef, Out, typed_router

router = typed_router(prefix="/api/v1/reports", tags=["reports"])


class RatingFigures(Out):
    count: int = Field(description="rated chats")
    average: float | None = Field(description="null when nothing was rated")
    good_percent: float | None = Field(description="share of ratings of 4 or 5")


class AgentRatings(RatingFigures):
    agent: AgentRef | None = Field(description="null: chats closed without an agent")


class RatedDepartment(Out):
    id: int
    slug: str | None
    name: str | None


class DepartmentRatings(RatingFigures):
    department: RatedDepartment


class SatisfactionReport(Out):
    from_: str | None = Field(alias="from", description="ISO 8601, UTC")
    to: str | None = Field(description="ISO 8601, UTC (excluded)")
    scale: str
    total: RatingFigures
    agents: list[AgentRatings]
    departments: list[DepartmentRatings]


@router.get("/satisfaction", response_model=SatisfactionReport)
async def satisfaction_report(
    since: str | None = Query(None, alias="from", max_length=40, description="a date (whole day) or ISO date-time"),
    until: str | None = Query(None, alias="to", max_length=40, description="a date (included) or ISO date-time"),
    department_id: SmallQueryId = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await satisfaction.satisfaction_report(
        ctx=ctx, actor=actor, since=since, until=until, department_id=department_id
    )
