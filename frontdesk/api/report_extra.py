"""The home dashboard, department goals, the one-row-per-chat export and the agents' activity
(issue 14; docs/api.md "Reports", docs/architecture/analytics.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import Field

from frontdesk.actions import goals, report_export, report_extra
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.openapi import file_answer
from frontdesk.api.params import SmallPathId
from frontdesk.api.reports import (
    CSV_ANSWER,
    FILE_HEADERS,
    Agent,
    Department,
    Format,
    From,
    Range,
    To,
    Tz,
    csv_download,
)
from frontdesk.api.schemas import AgentRef, In, Out, doc_only, typed_router
from frontdesk.domain.goals import GOAL_METRICS, MAX_SECONDS_TARGET
from frontdesk.domain.metric_buckets import EDGES

router = typed_router(tags=["reports"])


class DepartmentName(Out):
    id: int
    slug: str | None
    name: str | None


class GoalOut(Out):
    metric: str
    label: str
    unit: str = Field(description="share (0-1) or seconds")
    direction: str = Field(description="min: met at or above the target; max: at or below it")
    target: float
    seconds: int | None = Field(description="service_level: answered within this many seconds")
    updated_at: str | None
    updated_by: AgentRef | None


class GoalMetricOut(Out):
    key: str
    label: str
    unit: str
    direction: str
    definition: str


class Goals(Out):
    department: DepartmentName
    goals: list[GoalOut]
    metrics: list[GoalMetricOut]


_GOAL = {
    "type": "object",
    "properties": {
        "metric": {"type": "string", "enum": list(GOAL_METRICS)},
        "target": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS_TARGET},
        "seconds": {"type": "integer", "enum": list(EDGES)},
    },
    "required": ["metric", "target"],
}


class GoalsBody(In):
    goals: list[Annotated[Any, doc_only(_GOAL)]] = Field(
        max_length=100, json_schema_extra={"maxItems": len(GOAL_METRICS)}
    )


class GoalDay(Out):
    day: str
    actual: float | None
    met: bool | None = Field(description="null: nothing to measure that day")


class GoalFigures(GoalOut):
    actual: float | None = Field(description="the whole range's figure")
    met: bool | None
    days_missed: int
    days: list[GoalDay]


class GoalsReport(Out):
    range: Range
    department: DepartmentName
    agent_id: int | None
    approx: bool = Field(description="percentiles interpolated in the hourly roll-ups' buckets")
    goals: list[GoalFigures]
    definitions: dict[str, str]


class ServiceLevelNow(Out):
    seconds: int
    actual: float | None
    target: float | None
    met: bool | None


class AgentsByStatus(Out):
    online: int
    away: int
    offline: int


class Now(Out):
    visitors_online: int | None = Field(description="null for an agent's own dashboard")
    chats_in_progress: int
    waiting: int
    longest_wait_s: float | None
    agents: AgentsByStatus
    service_level: ServiceLevelNow


class DayFigures(Out):
    day: str
    chats: int
    answered: int
    missed: int
    service_level: float | None
    first_response_p50: float | None


class Dashboard(Out):
    at: str
    tz: str
    department_id: int | None
    agent_id: int | None
    now: Now
    today: DayFigures
    last_week: DayFigures = Field(description="the same weekday a week ago, up to the same local time")
    definitions: dict[str, str]


class Hours(Out):
    online_s: float
    away_s: float
    chatting_s: float
    idle_s: float
    concurrency: float | None


class AgentHours(Hours):
    agent: AgentRef


class ActivityReport(Out):
    range: Range
    agents: list[AgentHours]
    definitions: dict[str, str]


class Segment(Out):
    start: str
    end: str
    status: str
    load: int
    reason: str | None


class Timeline(Hours):
    agent: AgentRef
    day: str
    tz: str
    start: str
    end: str
    until: str = Field(description="the segments end here: the day's end, or now")
    own_only: bool
    segments: list[Segment]
    definitions: dict[str, str]


@router.get("/api/v1/departments/{department_id}/goals", response_model=Goals)
async def get_goals(
    department_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await goals.goals_of(ctx=ctx, actor=actor, department_id=department_id)


@router.put("/api/v1/departments/{department_id}/goals", response_model=Goals)
async def set_goals(
    department_id: SmallPathId,
    body: GoalsBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await goals.do_set_goals(ctx=ctx, actor=actor, department_id=department_id, goals=body.goals)


# -- CSV: the same figures, one header row, durations in seconds, shares 0-1 ----------------------


def dashboard_csv(body: dict[str, Any]) -> Response:
    now = body["now"]
    rows: list[list[Any]] = [
        ["now", key, now[key]] for key in ("visitors_online", "chats_in_progress", "waiting", "longest_wait_s")
    ]
    rows += [["now", f"agents_{k}", v] for k, v in now["agents"].items()]
    rows += [["now", f"service_level_{k}", v] for k, v in now["service_level"].items()]
    for part in ("today", "last_week"):
        rows += [[part, key, value] for key, value in body[part].items()]
    return csv_download(f"report-dashboard-{body['today']['day']}.csv", ["part", "figure", "value"], rows)


def goals_csv(body: dict[str, Any]) -> Response:
    rows: list[list[Any]] = []
    for g in body["goals"]:
        fixed = [g["metric"], g["direction"], g["target"], g["seconds"]]
        rows += [[d["day"], *fixed, d["actual"], d["met"]] for d in g["days"]]
        rows.append(["range", *fixed, g["actual"], g["met"]])
    r = body["range"]
    header = ["day", "metric", "direction", "target", "seconds", "actual", "met"]
    return csv_download(f"report-goals-{r['from']}-{r['to']}.csv", header, rows)


HOURS = ["online_s", "away_s", "chatting_s", "idle_s", "concurrency"]


def activity_csv(body: dict[str, Any]) -> Response:
    rows = [[a["agent"]["id"], a["agent"]["name"], *(a[k] for k in HOURS)] for a in body["agents"]]
    r = body["range"]
    return csv_download(f"report-activity-{r['from']}-{r['to']}.csv", ["agent_id", "agent", *HOURS], rows)


def timeline_csv(body: dict[str, Any]) -> Response:
    rows = [[s["start"], s["end"], s["status"], s["load"], s["reason"]] for s in body["segments"]]
    name = f"report-timeline-{body['agent']['id']}-{body['day']}.csv"
    return csv_download(name, ["start", "end", "status", "load", "reason"], rows)


@router.get("/api/v1/reports/goals", response_model=GoalsReport, responses=CSV_ANSWER)
async def goals_report(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await goals.goals_report(
        ctx=ctx, actor=actor, department_id=department, agent_id=agent, since=since, until=until, tz=tz
    )
    return goals_csv(body) if fmt == "csv" else body


@router.get("/api/v1/reports/dashboard", response_model=Dashboard, responses=CSV_ANSWER)
async def dashboard(
    department: Department = None,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await report_extra.dashboard(ctx=ctx, actor=actor, department_id=department, tz=tz)
    return dashboard_csv(body) if fmt == "csv" else body


@router.get("/api/v1/reports/activity", response_model=ActivityReport, responses=CSV_ANSWER)
async def activity(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await report_extra.activity_report(
        ctx=ctx, actor=actor, department_id=department, agent_id=agent, since=since, until=until, tz=tz
    )
    return activity_csv(body) if fmt == "csv" else body


@router.get("/api/v1/reports/agents/{agent_id}/timeline", response_model=Timeline, responses=CSV_ANSWER)
async def timeline(
    agent_id: SmallPathId,
    day: str | None = Query(None, max_length=10, description="YYYY-MM-DD, local"),
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await report_extra.agent_timeline(ctx=ctx, actor=actor, agent_id=agent_id, day=day, tz=tz)
    return timeline_csv(body) if fmt == "csv" else body


@router.get(
    "/api/v1/reports/export",
    responses=file_answer("text/csv", description="one row per closed chat (UTF-8 with a BOM, CRLF)"),
)
async def export(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> StreamingResponse:
    filename, chunks = await report_export.open_export(
        ctx=ctx, actor=actor, department_id=department, agent_id=agent, since=since, until=until, tz=tz
    )
    headers = {**FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)
