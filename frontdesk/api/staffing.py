"""Staffing reads (`/api/v1/staffing/...`, issue 15): a department's forecast of arrivals, its fitted
parameters, the agents each hour of a week requires, the coverage of that week by shifts and the
what-if calculator; JSON or, with `format=csv`, a CSV file of the same figures (docs/api.md
"Staffing", docs/staffing.md "Required agents and coverage")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from frontdesk.actions import staffing
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.reports import CSV_ANSWER, csv_download
from frontdesk.api.schemas import In, Out, doc_only, typed_router
from frontdesk.domain.ids import MAX_SMALL_ID

router = typed_router(prefix="/api/v1/staffing", tags=["staffing"])

Department = Annotated[
    int | None, Query(alias="department", ge=1, le=MAX_SMALL_ID, description="a department's id (1 .. 2^31-1)")
]
Week = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD, a local Monday (default: this week's)")]
Tz = Annotated[str | None, Query(max_length=64, description="an IANA time zone (default: the department's)")]
Format = Annotated[
    Literal["json", "csv"], Query(alias="format", description="json, or csv: the same figures as a file")
]


# -- the answers ------------------------------------------------------------------------------------
class DepartmentName(Out):
    id: int
    name: str


class HistoryPoint(Out):
    at: str = Field(description="the UTC hour")
    arrivals: float


class ForecastPoint(Out):
    at: str = Field(description="the UTC hour")
    local: str = Field(description="its local start, ISO with offset")
    expected: float
    low: float
    high: float


class Accuracy(Out):
    held_out_weeks: int
    hours: int
    model_wape: float | None
    naive_wape: float | None
    model_mae: float | None
    naive_mae: float | None


class ForecastAnswer(Out):
    department: DepartmentName
    timezone: str
    method: str
    weeks_used: int
    history: list[HistoryPoint]
    points: list[ForecastPoint]
    accuracy: Accuracy | None = Field(description="null with fewer than 3 weeks of history")
    definitions: dict[str, str]


class Samples(Out):
    chats: int = Field(description="answered chats with a service time and concurrency")
    abandoned: int = Field(description="visitors who left the queue before an agent accepted")


class ParametersAnswer(Out):
    aht_by_load: list[float] = Field(description="seconds: AHT_1 .. AHT_m")
    patience_s: float | None
    max_chats: int
    samples: Samples
    days: int
    defaults: list[str] = Field(description="parameters taken from the defaults (too few samples)")
    notes: list[str]


class ParametersReport(ParametersAnswer):
    department: DepartmentName
    definitions: dict[str, str]


class StaffingGoal(Out):
    service_level: float
    seconds: float
    max_abandon: float | None
    defaults: list[str] = Field(description="the parts the department has no goal for (defaults used)")


class Prediction(Out):
    agents: int
    service_level: float
    abandonment: float
    avg_wait_s: float
    occupancy: float
    prob_wait: float
    meets: bool | None


class PerModel(Out):
    chat: int
    erlang_a: int
    erlang_c: int


class RequiredHour(Out):
    at: str
    local: str
    closed: bool
    arrivals: float = Field(description="the forecast's expected arrivals (0 when closed)")
    required: PerModel
    predicted: dict[str, Prediction] = Field(description="the chat model at its required n")


class RequiredAnswer(Out):
    department: DepartmentName
    timezone: str
    week: str
    goal: StaffingGoal
    parameters: ParametersAnswer
    hours: list[RequiredHour]
    agent_hours: PerModel
    definitions: dict[str, str]


class CoverageHour(Out):
    at: str
    local: str
    weekday: int = Field(description="local weekday, 0 = Monday")
    hour: int = Field(description="local hour 0-23")
    arrivals: float
    required: int
    scheduled: float
    online: float | None = Field(description="null for hours not yet over")
    status: Literal["under", "over", "ok", "closed"]


class CoverageTotals(Out):
    required: float
    scheduled: float
    online: float
    under_hours: int
    over_hours: int
    short: float = Field(description="agent-hours missing in the under-staffed hours")


class CoverageAnswer(Out):
    department: DepartmentName
    timezone: str
    week: str
    goal: StaffingGoal
    hours: list[CoverageHour]
    totals: CoverageTotals
    definitions: dict[str, str]


class WhatIfModels(Out):
    chat: Prediction
    erlang_a: Prediction
    erlang_c: Prediction


class WhatIfHour(Out):
    arrivals: float
    models: WhatIfModels


class WhatIfAnswer(Out):
    goal: dict[str, Any]
    aht_by_load: list[float]
    patience_s: float | None
    concurrency: float | None
    hours: list[WhatIfHour]
    agent_hours: PerModel
    definitions: dict[str, str]


_NUMBER = {"type": "number"}


class WhatIfBody(In):
    """Checked by actions/staffing.check_whatif (each bad value a 400 naming it)."""

    arrivals: Annotated[
        Any,
        doc_only(
            {
                "type": "array",
                "minItems": 1,
                "maxItems": staffing.MAX_WHATIF_HOURS,
                "items": {"type": "number", "minimum": 0, "maximum": staffing.MAX_ARRIVALS},
                "description": "arrivals per hour",
            }
        ),
    ] = None
    aht_by_load: Annotated[
        Any,
        doc_only(
            {
                "type": "array",
                "minItems": 1,
                "maxItems": staffing.MAX_LOADS,
                "items": {"type": "number", "exclusiveMinimum": 0},
                "description": "seconds: AHT_1 .. AHT_m (m = the chats an agent may hold)",
            }
        ),
    ] = None
    patience_s: Annotated[
        Any, doc_only({"type": ["number", "null"], "exclusiveMinimum": 0, "description": "null: nobody leaves"})
    ] = None
    goal: Annotated[
        Any,
        doc_only(
            {
                "type": "object",
                "properties": {
                    "service_level": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "seconds": {"type": "number", "minimum": 0},
                    "max_abandon": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1},
                },
                "additionalProperties": False,
                "description": "default 0.8 within 60 s, abandonment at most 0.05",
            }
        ),
    ] = None
    concurrency: Annotated[
        Any,
        doc_only({"type": ["number", "null"], "exclusiveMinimum": 0, "description": "Erlang C's factor (default m)"}),
    ] = None


# -- CSV --------------------------------------------------------------------------------------------
def _num(value: Any) -> Any:
    return "" if value is None else value


def forecast_csv(body: dict[str, Any]) -> Response:
    rows = [[p["at"], p["local"], "forecast", p["expected"], p["low"], p["high"]] for p in body["points"]]
    rows = [[h["at"], "", "history", h["arrivals"], "", ""] for h in body["history"]] + rows
    name = f"staffing-forecast-{body['department']['id']}.csv"
    return csv_download(name, ["at", "local", "kind", "arrivals", "low", "high"], rows)


def parameters_csv(body: dict[str, Any]) -> Response:
    rows: list[list[Any]] = [[f"aht_{k + 1}", v] for k, v in enumerate(body["aht_by_load"])]
    rows += [["patience_s", _num(body["patience_s"])], ["max_chats", body["max_chats"]]]
    rows += [["samples_chats", body["samples"]["chats"]], ["samples_abandoned", body["samples"]["abandoned"]]]
    rows += [["days", body["days"]], ["defaults", " ".join(body["defaults"])]]
    return csv_download(f"staffing-parameters-{body['department']['id']}.csv", ["parameter", "value"], rows)


PREDICTION_KEYS = ["service_level", "abandonment", "avg_wait_s", "occupancy", "prob_wait"]


def required_csv(body: dict[str, Any]) -> Response:
    header = ["at", "local", "closed", "arrivals", "chat", "erlang_a", "erlang_c"]
    header += [f"chat_{k}" for k in PREDICTION_KEYS]
    rows = []
    for h in body["hours"]:
        predicted = h["predicted"]["chat"]
        rows.append(
            [h["at"], h["local"], h["closed"], h["arrivals"], *h["required"].values()]
            + [predicted[k] for k in PREDICTION_KEYS]
        )
    return csv_download(f"staffing-required-{body['department']['id']}-{body['week']}.csv", header, rows)


def coverage_csv(body: dict[str, Any]) -> Response:
    keys = ["at", "local", "weekday", "hour", "arrivals", "required", "scheduled", "online", "status"]
    rows = [[_num(h[k]) for k in keys] for h in body["hours"]]
    return csv_download(f"staffing-coverage-{body['department']['id']}-{body['week']}.csv", keys, rows)


def whatif_csv(body: dict[str, Any]) -> Response:
    header = ["hour", "arrivals", "model", "agents", *PREDICTION_KEYS, "meets"]
    rows = [
        [i, h["arrivals"], m, p["agents"], *[p[k] for k in PREDICTION_KEYS], _num(p["meets"])]
        for i, h in enumerate(body["hours"])
        for m, p in h["models"].items()
    ]
    return csv_download("staffing-whatif.csv", header, rows)


# -- the routes -------------------------------------------------------------------------------------
@router.get("/forecast", response_model=ForecastAnswer, responses=CSV_ANSWER)
async def forecast(
    department: Department = None,
    weeks: Annotated[int, Query(ge=1, le=staffing.MAX_WEEKS, description="weeks ahead, from this week's Monday")] = 2,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await staffing.forecast(ctx, actor, department_id=department, weeks=weeks, tz=tz)
    return forecast_csv(body) if fmt == "csv" else body


@router.get("/parameters", response_model=ParametersReport, responses=CSV_ANSWER)
async def parameters(
    department: Department = None,
    days: Annotated[int, Query(ge=1, le=staffing.MAX_DAYS, description="fitted over the last days")] = 28,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await staffing.parameters(ctx, actor, department_id=department, days=days)
    return parameters_csv(body) if fmt == "csv" else body


@router.get("/required", response_model=RequiredAnswer, responses=CSV_ANSWER)
async def required(
    department: Department = None,
    week: Week = None,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await staffing.required(ctx, actor, department_id=department, week=week, tz=tz)
    return required_csv(body) if fmt == "csv" else body


@router.get("/coverage", response_model=CoverageAnswer, responses=CSV_ANSWER)
async def coverage(
    department: Department = None,
    week: Week = None,
    tz: Tz = None,
    fmt: Format = "json",
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> Any:
    body = await staffing.coverage(ctx, actor, department_id=department, week=week, tz=tz)
    return coverage_csv(body) if fmt == "csv" else body


@router.post("/whatif", response_model=WhatIfAnswer, responses=CSV_ANSWER)
async def whatif(body: WhatIfBody, fmt: Format = "json", actor: AgentActor = Depends(current_agent)) -> Any:
    answer = await staffing.whatif(actor, body.model_dump(exclude_unset=True))
    return whatif_csv(answer) if fmt == "csv" else answer
