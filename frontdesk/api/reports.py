"""The analytics reports (`/api/v1/reports/...`, issue 14): summary, volume, times, agents,
departments, transfers, heatmap and the chats behind a figure; each as JSON or, with
`format=csv`, as a CSV file of the same figures (docs/api.md "Reports")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from frontdesk.actions import reports
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import Before
from frontdesk.api.schemas import AgentRef, Out, typed_router
from frontdesk.domain.archive_query import csv_cell
from frontdesk.domain.ids import MAX_SMALL_ID
from frontdesk.domain.metric_buckets import DURATION_METRICS, EDGES
from frontdesk.presenters.transcripts import csv_line

router = typed_router(prefix="/api/v1/reports", tags=["reports"])

# -- the common parameters ------------------------------------------------------------------------
Department = Annotated[
    int | None, Query(alias="department", ge=1, le=MAX_SMALL_ID, description="a department's id (1 .. 2^31-1)")
]
Agent = Annotated[int | None, Query(alias="agent", ge=1, le=MAX_SMALL_ID, description="an agent's id (1 .. 2^31-1)")]
From = Annotated[
    str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD, local (default: 6 days before to)")
]
To = Annotated[str | None, Query(alias="to", max_length=10, description="YYYY-MM-DD, local, included (default: today)")]
Tz = Annotated[str | None, Query(max_length=64, description="an IANA time zone (default: the department's, else UTC)")]
Format = Annotated[
    Literal["json", "csv"], Query(alias="format", description="json, or csv: the same figures as a file")
]
Seconds = Annotated[
    int | None,
    Query(
        ge=EDGES[0],
        le=EDGES[-1],
        description="service level: answered within this many seconds, one of " + ", ".join(map(str, EDGES)),
    ),
]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}
}


# -- the answers ------------------------------------------------------------------------------------
class Range(Out):
    from_: str = Field(alias="from", description="YYYY-MM-DD, local")
    to: str = Field(description="YYYY-MM-DD, local, included")
    tz: str


class Summary(Out):
    n: int
    mean: float | None = Field(description="seconds; null when n = 0")
    p50: float | None
    p90: float | None
    approx: bool = Field(description="true: read from the hourly roll-ups' histogram buckets")


class ServiceLevel(Out):
    seconds: int
    value: float | None = Field(description="share 0-1 of answered chats first answered within `seconds`")
    answered: int = Field(description="the denominator: answered chats")


class Figures(Out):
    chats: int
    answered: int
    missed: int
    dropped: int
    transfers: int
    escalations: int
    queue_wait: Summary
    first_response: Summary
    reply: Summary
    handle: Summary
    duration: Summary
    concurrency: Summary | None = Field(description="null when the range is read from the roll-ups")
    service_level: ServiceLevel
    rated: int
    satisfaction: float | None = Field(description="share 0-1 of good ratings (4-5)")
    rating_average: float | None
    reviewed: int
    review_score: float | None
    invited: int = Field(description="chats started from an invitation")


class SummaryFigures(Figures):
    offline_messages: int | None = Field(description="null when the report is of one agent")
    invitations_sent: int
    invitations_accepted: int
    online_hours: float | None = Field(description="the agents' activity report has these")
    chatting_hours: float | None
    idle_hours: float | None


class SummaryPart(Out):
    range: Range
    exact: bool = Field(description="true: from the per-chat facts; false: from the hourly roll-ups")
    figures: SummaryFigures


class SummaryReport(SummaryPart):
    previous: SummaryPart
    definitions: dict[str, str]


class VolumeTotals(Out):
    chats: int
    answered: int
    missed: int
    dropped: int
    offline_messages: int | None


class VolumeBucket(VolumeTotals):
    start: str = Field(description="the local hour (ISO, with its offset), day or week's Monday")


class VolumePart(Out):
    range: Range
    interval: str
    totals: VolumeTotals
    buckets: list[VolumeBucket]


class VolumeReport(VolumePart):
    previous: VolumePart
    definitions: dict[str, str]


class TimeFigures(Out):
    service_level: ServiceLevel
    queue_wait: Summary
    first_response: Summary
    reply: Summary
    handle: Summary
    duration: Summary
    concurrency: Summary | None


class TimeBucket(TimeFigures):
    start: str


class TimesPrevious(Out):
    range: Range
    exact: bool
    totals: TimeFigures


class TimesReport(TimesPrevious):
    interval: str
    buckets: list[TimeBucket]
    previous: TimesPrevious
    definitions: dict[str, str]


class AgentRow(Figures):
    agent: AgentRef | None = Field(description="null: chats no agent held (missed ones)")
    online_hours: float | None = Field(description="seconds online in the range (null: no recorded activity)")
    chatting_hours: float | None = Field(description="seconds holding a chat")
    idle_hours: float | None = Field(description="seconds online holding none")


class AgentsPart(Out):
    range: Range
    exact: bool
    agents: list[AgentRow]


class AgentsReport(AgentsPart):
    previous: AgentsPart
    definitions: dict[str, str]


class DepartmentName(Out):
    id: int
    slug: str | None
    name: str | None


class DepartmentRow(Figures):
    department: DepartmentName | None


class DepartmentsPart(Out):
    range: Range
    exact: bool
    departments: list[DepartmentRow]


class DepartmentsReport(DepartmentsPart):
    previous: DepartmentsPart
    definitions: dict[str, str]


class MoveTotals(Out):
    transfers: int
    escalations: int
    taken_over: int


class MoveReason(Out):
    type: str = Field(description="transfer | escalation | take_over")
    reason: str
    label: str
    count: int


class MoveLevel(Out):
    to_level: int
    count: int


class MoveRoute(Out):
    from_department_id: int | None
    to_department_id: int | None
    count: int
    from_department_name: str | None = None
    to_department_name: str | None = None


class TransfersPart(Out):
    range: Range
    totals: MoveTotals
    reasons: list[MoveReason]
    levels: list[MoveLevel]
    routes: list[MoveRoute]


class TransfersReport(TransfersPart):
    previous: TransfersPart
    definitions: dict[str, str]


class HeatmapPart(Out):
    range: Range
    exact: bool
    values: list[list[float | None]] = Field(description="7 local weekdays (Monday first) x 24 local hours")
    chats: list[list[int]]


class HeatmapReport(HeatmapPart):
    metric: str
    weekdays: list[str]
    previous: HeatmapPart
    definitions: dict[str, str]


class VisitorName(Out):
    id: str | None
    name: str | None


class DrillChat(Out):
    id: int
    started_at: str | None
    ended_at: str | None
    department: DepartmentName | None
    agent: AgentRef | None
    visitor: VisitorName
    outcome: str = Field(description="answered | missed | dropped | other")
    queue_wait_s: float | None
    first_response_s: float | None
    reply_mean_s: float | None
    reply_max_s: float | None
    handle_s: float | None
    duration_s: float | None
    transfers: int
    escalations: int
    rating: int | None
    review_score: float | None
    transcript: str


class ChatsReport(Out):
    range: Range
    chats: list[DrillChat]
    next_before: int | None = Field(description="the next page: pass it as `before`")
    definitions: dict[str, str]


# -- CSV --------------------------------------------------------------------------------------------
# Report files are downloaded, never run (as the archive's exports; nosniff from the middleware).
FILE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def csv_download(filename: str, header: list[str], rows: Iterable[list[Any]]) -> Response:
    """A report as a CSV file: one header row, text cells through csv_cell (no formulas), None empty."""
    lines = [csv_line(header)]
    lines += [csv_line([csv_cell(v) if isinstance(v, str) else ("" if v is None else v) for v in row]) for row in rows]
    headers = {**FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(b"".join(lines), media_type="text/csv; charset=utf-8", headers=headers)


def _csv(name: str, body: dict[str, Any], header: list[str], rows: Iterable[list[Any]]) -> Response:
    r = body["range"]
    return csv_download(f"report-{name}-{r['from']}-{r['to']}.csv", header, rows)


def _periods(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("current", body), ("previous", body["previous"])]


def _num(value: Any) -> Any:
    return "" if value is None else value


def _summary_cells(s: dict[str, Any] | None) -> list[Any]:
    s = s or {}
    return [_num(s.get("n")), _num(s.get("mean")), _num(s.get("p50")), _num(s.get("p90"))]


FIGURE_HEADER = [
    "chats",
    "answered",
    "missed",
    "dropped",
    "transfers",
    "escalations",
    *[f"{m}_{x}" for m in (*DURATION_METRICS, "concurrency") for x in ("n", "mean", "p50", "p90")],
    "service_level_seconds",
    "service_level",
    "rated",
    "satisfaction",
    "rating_average",
    "reviewed",
    "review_score",
]


def _figure_cells(f: dict[str, Any]) -> list[Any]:
    cells: list[Any] = [f[k] for k in ("chats", "answered", "missed", "dropped", "transfers", "escalations")]
    for m in (*DURATION_METRICS, "concurrency"):
        cells += _summary_cells(f.get(m))
    level = f["service_level"]
    cells += [level["seconds"], _num(level["value"]), f["rated"], _num(f["satisfaction"])]
    cells += [_num(f["rating_average"]), f["reviewed"], _num(f["review_score"])]
    return cells


def summary_csv(body: dict[str, Any]) -> Response:
    rows = []
    for period, part in _periods(body):
        for key, value in part["figures"].items():
            if isinstance(value, dict) and "p50" in value:
                rows.append([period, key, "", *_summary_cells(value)])
            elif isinstance(value, dict):  # the service level
                rows.append([period, key, _num(value["value"]), value["answered"], "", "", ""])
            elif value is None and key in ("concurrency",):
                rows.append([period, key, "", "", "", "", ""])
            else:
                rows.append([period, key, _num(value), "", "", "", ""])
    return _csv("summary", body, ["period", "metric", "value", "n", "mean", "p50", "p90"], rows)


def volume_csv(body: dict[str, Any]) -> Response:
    keys = ["chats", "answered", "missed", "dropped", "offline_messages"]
    rows = [[p, b["start"], *[_num(b[k]) for k in keys]] for p, part in _periods(body) for b in part["buckets"]]
    return _csv("volume", body, ["period", "start", *keys], rows)


def times_csv(body: dict[str, Any]) -> Response:
    rows = []
    parts = [("current", [*body["buckets"], {"start": "total", **body["totals"]}])]
    parts.append(("previous", [{"start": "total", **body["previous"]["totals"]}]))
    for period, buckets in parts:
        for b in buckets:
            for m in (*DURATION_METRICS, "concurrency"):
                rows.append([period, b["start"], m, *_summary_cells(b.get(m)), ""])
            level = b["service_level"]
            metric = f"service_level_{level['seconds']}s"
            rows.append([period, b["start"], metric, level["answered"], "", "", "", _num(level["value"])])
    return _csv("times", body, ["period", "start", "metric", "n", "mean", "p50", "p90", "share"], rows)


def agents_csv(body: dict[str, Any]) -> Response:
    rows = []
    for period, part in _periods(body):
        for r in part["agents"]:
            agent = r["agent"] or {}
            rows.append([period, _num(agent.get("id")), agent.get("name") or "", *_figure_cells(r)])
    return _csv("agents", body, ["period", "agent_id", "agent", *FIGURE_HEADER], rows)


def departments_csv(body: dict[str, Any]) -> Response:
    rows = []
    for period, part in _periods(body):
        for r in part["departments"]:
            dept = r["department"] or {}
            rows.append([period, _num(dept.get("id")), dept.get("name") or "", *_figure_cells(r)])
    return _csv("departments", body, ["period", "department_id", "department", *FIGURE_HEADER], rows)


def transfers_csv(body: dict[str, Any]) -> Response:
    rows = [[p, r["type"], r["reason"], r["label"], r["count"]] for p, part in _periods(body) for r in part["reasons"]]
    return _csv("transfers", body, ["period", "type", "reason", "label", "count"], rows)


def heatmap_csv(body: dict[str, Any]) -> Response:
    rows = []
    for period, part in _periods(body):
        for day, name in enumerate(body["weekdays"]):
            for hour in range(24):
                rows.append([period, name, hour, _num(part["values"][day][hour]), part["chats"][day][hour]])
    return _csv(f"heatmap-{body['metric']}", body, ["period", "weekday", "hour", body["metric"], "chats"], rows)


CHAT_COLUMNS = [
    "id",
    "started_at",
    "ended_at",
    "department",
    "agent",
    "visitor",
    "outcome",
    "queue_wait_s",
    "first_response_s",
    "reply_mean_s",
    "reply_max_s",
    "handle_s",
    "duration_s",
    "transfers",
    "escalations",
    "rating",
    "review_score",
]


def chats_csv(body: dict[str, Any]) -> Response:
    rows = []
    for c in body["chats"]:
        names = {
            "department": (c["department"] or {}).get("name") or "",
            "agent": (c["agent"] or {}).get("name") or "",
            "visitor": c["visitor"].get("name") or c["visitor"].get("id") or "",
        }
        rows.append([names.get(k, _num(c.get(k))) for k in CHAT_COLUMNS])
    return _csv("chats", body, CHAT_COLUMNS, rows)


def _answer(body: dict[str, Any], fmt: str, to_csv: Callable[[dict[str, Any]], Response]) -> Any:
    return to_csv(body) if fmt == "csv" else body


# -- the routes -------------------------------------------------------------------------------------
@router.get("/summary", response_model=SummaryReport, responses=CSV_ANSWER)
async def summary(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    seconds: Seconds = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.summary_report(
        ctx=ctx, actor=actor, since=since, until=until, tz=tz, department_id=department, agent_id=agent, seconds=seconds
    )
    return _answer(body, fmt, summary_csv)


@router.get("/volume", response_model=VolumeReport, responses=CSV_ANSWER)
async def volume(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    interval: Annotated[Literal["hour", "day", "week"], Query(description="local hours (at most 31 days)")] = "day",
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.volume_report(
        ctx=ctx,
        actor=actor,
        since=since,
        until=until,
        tz=tz,
        department_id=department,
        agent_id=agent,
        interval=interval,
    )
    return _answer(body, fmt, volume_csv)


@router.get("/times", response_model=TimesReport, responses=CSV_ANSWER)
async def times(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    interval: Annotated[Literal["day", "week"], Query()] = "day",
    seconds: Seconds = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.times_report(
        ctx=ctx,
        actor=actor,
        since=since,
        until=until,
        tz=tz,
        department_id=department,
        agent_id=agent,
        interval=interval,
        seconds=seconds,
    )
    return _answer(body, fmt, times_csv)


@router.get("/agents", response_model=AgentsReport, responses=CSV_ANSWER)
async def agents(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    seconds: Seconds = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.agents_report(
        ctx=ctx, actor=actor, since=since, until=until, tz=tz, department_id=department, agent_id=agent, seconds=seconds
    )
    return _answer(body, fmt, agents_csv)


@router.get("/departments", response_model=DepartmentsReport, responses=CSV_ANSWER)
async def departments(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    seconds: Seconds = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.departments_report(
        ctx=ctx, actor=actor, since=since, until=until, tz=tz, department_id=department, agent_id=agent, seconds=seconds
    )
    return _answer(body, fmt, departments_csv)


@router.get("/transfers", response_model=TransfersReport, responses=CSV_ANSWER)
async def transfers(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.transfers_report(
        ctx=ctx, actor=actor, since=since, until=until, tz=tz, department_id=department, agent_id=agent
    )
    return _answer(body, fmt, transfers_csv)


@router.get("/heatmap", response_model=HeatmapReport, responses=CSV_ANSWER)
async def heatmap(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    metric: Annotated[Literal["chats", "missed", "wait_p90"], Query()] = "chats",
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.heatmap_report(
        ctx=ctx, actor=actor, since=since, until=until, tz=tz, department_id=department, agent_id=agent, metric=metric
    )
    return _answer(body, fmt, heatmap_csv)


@router.get("/chats", response_model=ChatsReport, responses=CSV_ANSWER)
async def chats(
    department: Department = None,
    agent: Agent = None,
    since: From = None,
    until: To = None,
    tz: Tz = None,
    outcome: Annotated[Literal["all", "answered", "missed", "dropped"], Query()] = "all",
    metric: Annotated[
        Literal["queue_wait", "first_response", "reply", "handle", "duration"] | None,
        Query(description="with min_s: chats slower than min_s in this duration (reply: the chat's slowest reply)"),
    ] = None,
    min_s: Annotated[float | None, Query(ge=0, le=10**8, description="seconds")] = None,
    weekday: Annotated[int | None, Query(ge=0, le=6, description="local weekday, 0 = Monday (with hour)")] = None,
    hour: Annotated[int | None, Query(ge=0, le=23, description="local hour (with weekday)")] = None,
    day: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD, local, between from and to")] = None,
    before: Before = None,
    limit: Annotated[int, Query(ge=1, le=reports.DRILL_LIMIT)] = 50,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await reports.chats_report(
        ctx=ctx,
        actor=actor,
        since=since,
        until=until,
        tz=tz,
        department_id=department,
        agent_id=agent,
        outcome=outcome,
        metric=metric,
        min_s=min_s,
        weekday=weekday,
        hour=hour,
        day=day,
        before=before,
        limit=limit,
    )
    return _answer(body, fmt, chats_csv)
