"""Suggested shift plans (issue 15; docs/api.md "Staffing"): thin routes over actions/plans.py.
The optimiser runs in a worker thread for up to the rules' time_limit_s (10 s by default)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from pydantic import Field

from frontdesk.actions import plans
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallPathId, SmallQueryId
from frontdesk.api.schemas import SMALL_ID_DOC, Checked, Out, doc_limits, doc_only, typed_router

router = typed_router(prefix="/api/v1/staffing", tags=["staffing"])

_RULES = {
    "type": "object",
    "description": (
        "domain/shift_planner.PlanRules; every field optional: min_minutes (240), max_minutes (540, at most "
        "1440), step_minutes (60), rest_minutes (660), day_start (420), day_end (1260), night_weight (0.5), "
        "time_limit_s (10, at most 60), start_hours (null: every hour), max_shifts (5 per agent per week), "
        "workers (2)"
    ),
    "properties": {
        "min_minutes": {"type": "integer", "minimum": 15, "maximum": 1440},
        "max_minutes": {"type": "integer", "minimum": 15, "maximum": 1440},
        "step_minutes": {"type": "integer", "minimum": 15},
        "rest_minutes": {"type": "integer", "minimum": 0, "maximum": 10080},
        "day_start": {"type": "integer", "minimum": 0, "maximum": 1440},
        "day_end": {"type": "integer", "minimum": 0, "maximum": 1440},
        "night_weight": {"type": "number", "minimum": 0, "maximum": 100},
        "time_limit_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 60},
        "start_hours": {"type": ["array", "null"], "items": {"type": "integer", "minimum": 0, "maximum": 23}},
        "max_shifts": {"type": "integer", "minimum": 0, "maximum": 7},
        "workers": {"type": "integer", "minimum": 1, "maximum": 8},
    },
    "additionalProperties": False,
}


class PlanBody(Checked):
    department_id: int = doc_limits(**SMALL_ID_DOC)
    week: str | None = doc_limits(None, format="date", description="the local Monday; default: this week")
    offices: list[Annotated[Any, doc_only({"type": "integer", **SMALL_ID_DOC})]] = Field(
        max_length=plans.MAX_OFFICES, description="the agents: the department's members working from these offices"
    )
    rules: Annotated[Any, doc_only(_RULES)] = None
    required: list[Annotated[Any, doc_only({"type": "integer", "minimum": 0})]] | None = Field(
        None,
        description="agents per real UTC hour of the week (167-169); default: the forecast's required (chat model)",
    )


class Uncovered(Out):
    hour: int = Field(description="index of the hour in the week")
    at: str | None
    local: str | None
    short: int = Field(description="agents missing")


class PlanSummary(Out):
    status: str | None = Field(description="optimal | feasible | infeasible")
    agent_hours: float | None
    cost: float | None
    night_hours: float | None
    uncovered: list[Uncovered]
    solve_s: float | None
    bound: float | None = Field(description="the proved lower bound of the cost when not optimal")


class PlanShift(Out):
    agent_id: int
    agent_name: str
    office: str
    timezone: str
    weekday: int
    day: str
    start: str
    start_minute: int
    minutes: int
    end: str
    label: str


class PlanHour(Out):
    at: str
    local: str
    weekday: int
    hour: int
    required: int
    scheduled: float = Field(description="agents on shift: existing shifts kept plus the plan's")
    status: str = Field(description="under | over | ok | closed")


class Plan(Out):
    id: int
    department_id: int | None
    week: str | None
    timezone: str
    status: str = Field(description="suggested | applied | discarded")
    agent_hours: float | None
    cost: float | None
    uncovered: list[Uncovered]
    result: PlanSummary
    created_at: str | None
    applied_at: str | None
    shifts: list[PlanShift] | None = Field(None, description="one plan only")
    hours: list[PlanHour] | None = Field(None, description="one plan only")


class PlanList(Out):
    plans: list[Plan]


Ctx = Annotated[Context, Depends(get_ctx)]
Actor = Annotated[AgentActor, Depends(current_agent)]


@router.get("/plans", response_model=PlanList)
async def list_plans(ctx: Ctx, actor: Actor, department: SmallQueryId = None) -> dict:
    return {"plans": await plans.list_plans(ctx=ctx, actor=actor, department_id=department)}


@router.post("/plans", status_code=201, response_model=Plan)
async def suggest_plan(body: PlanBody, ctx: Ctx, actor: Actor) -> dict:
    return await plans.do_suggest_plan(ctx=ctx, actor=actor, data=body.model_dump(exclude_unset=True))


@router.get("/plans/{plan_id}", response_model=Plan)
async def get_plan(plan_id: SmallPathId, ctx: Ctx, actor: Actor) -> dict:
    return await plans.get_plan(ctx=ctx, actor=actor, plan_id=plan_id)


@router.post("/plans/{plan_id}/apply", response_model=Plan)
async def apply_plan(plan_id: SmallPathId, ctx: Ctx, actor: Actor) -> dict:
    return await plans.do_apply_plan(ctx=ctx, actor=actor, plan_id=plan_id)


@router.post("/plans/{plan_id}/discard", response_model=Plan)
async def discard_plan(plan_id: SmallPathId, ctx: Ctx, actor: Actor) -> dict:
    return await plans.do_discard_plan(ctx=ctx, actor=actor, plan_id=plan_id)
