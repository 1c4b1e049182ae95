"""Offices, holidays, agents' shifts (and their iCalendar file) and rotation templates (issue 15;
docs/api.md "Staffing"): thin routes over actions/schedule.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import Response
from pydantic import Field

from frontdesk.actions import schedule
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.openapi import file_answer
from frontdesk.api.params import SmallPathId, SmallQueryId
from frontdesk.api.reports import FILE_HEADERS
from frontdesk.api.schemas import SMALL_ID_DOC, AgentRef, Checked, Out, Patch, doc_limits, doc_only, typed_router
from frontdesk.domain.schedule import MAX_CYCLE_WEEKS, MAX_MINUTES, MIN_MINUTES, WEEKDAYS

router = typed_router(prefix="/api/v1/staffing", tags=["staffing"])

_WEEKDAY = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "maximum": 6},
        {"type": "string", "enum": list(WEEKDAYS)},
    ],
    "description": "0 = Monday .. 6 = Sunday, or mon..sun",
}
_START = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "local HH:MM"}
_DAY = {"type": "string", "format": "date", "description": "YYYY-MM-DD"}


# -- bodies -------------------------------------------------------------------------------------------
class OfficePatch(Patch):
    name: str = doc_limits(None, minLength=1, maxLength=100)
    timezone: str = doc_limits(None, description="an IANA time zone, e.g. Europe/Oslo")


class OfficeBody(OfficePatch):
    name: str = doc_limits(minLength=1, maxLength=100)
    timezone: str = doc_limits(description="an IANA time zone, e.g. Europe/Oslo")


class HolidaysBody(Checked):
    holidays: list[
        Annotated[Any, doc_only({"type": "object", "properties": {"date": _DAY, "name": {"type": "string"}}})]
    ] = Field(max_length=schedule.MAX_HOLIDAYS)


class AgentOfficeBody(Checked):
    office_id: int | None = doc_limits(**SMALL_ID_DOC, description="null: no office")


class ShiftPatch(Patch):
    department_id: int | None = doc_limits(None, **SMALL_ID_DOC, description="null: every department of the agent")
    weekday: Annotated[Any, doc_only(_WEEKDAY)] = None
    start: Annotated[Any, doc_only(_START)] = None
    minutes: int = doc_limits(None, minimum=MIN_MINUTES, maximum=MAX_MINUTES, description="real minutes, at most 24 h")
    timezone: str = doc_limits(None, description="default: the agent's office's, else the department's, else UTC")
    cycle_weeks: int = doc_limits(None, minimum=1, maximum=MAX_CYCLE_WEEKS)
    cycle_week: int = doc_limits(None, minimum=0, maximum=MAX_CYCLE_WEEKS - 1, description="below cycle_weeks")


class ShiftBody(ShiftPatch):
    agent_id: int = doc_limits(**SMALL_ID_DOC)
    weekday: Annotated[Any, doc_only(_WEEKDAY)]
    start: Annotated[Any, doc_only(_START)]
    minutes: int = doc_limits(minimum=MIN_MINUTES, maximum=MAX_MINUTES, description="real minutes, at most 24 h")


_PATTERN_SHIFT = {
    "type": "object",
    "properties": {
        "weekday": _WEEKDAY,
        "start": _START,
        "minutes": {"type": "integer", "minimum": MIN_MINUTES, "maximum": MAX_MINUTES},
    },
    "required": ["weekday", "start", "minutes"],
}


class RotationBody(Checked):
    name: str = doc_limits(minLength=1, maxLength=100)
    weeks: int = doc_limits(None, minimum=1, maximum=MAX_CYCLE_WEEKS, description="default: len(pattern)")
    pattern: Annotated[
        Any,
        doc_only(
            {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_CYCLE_WEEKS,
                "items": {"type": "array", "items": _PATTERN_SHIFT},
                "description": "one list of shifts per week",
            }
        ),
    ]


class ApplyRotationBody(Checked):
    agents: list[Annotated[Any, doc_only({"type": "integer", **SMALL_ID_DOC})]] = Field(
        max_length=schedule.MAX_ROTATION_AGENTS, description="agent i starts at pattern week i % weeks"
    )
    department_id: int | None = doc_limits(None, **SMALL_ID_DOC, description="null: every department of each agent")
    replace: bool = doc_limits(False, description="first remove the agents' shifts for this department")


# -- answers ------------------------------------------------------------------------------------------
class Holiday(Out):
    date: str
    name: str


class Office(Out):
    id: int
    name: str
    timezone: str
    agents: int = Field(description="users working from it")
    holidays: list[Holiday]
    created_at: str | None


class OfficeList(Out):
    offices: list[Office]


class OneOffice(Out):
    office: Office


class OfficeDeleted(Out):
    deleted: int
    agents: int = Field(description="users who worked from it (they keep their shifts)")


class AgentOffice(Out):
    agent_id: int
    office_id: int | None


class Shift(Out):
    id: int
    agent: AgentRef
    office_id: int | None = Field(description="the agent's office now")
    department_id: int | None = Field(description="null: it staffs every department of the agent")
    timezone: str
    weekday: int = Field(description="0 = Monday")
    day: str = Field(description="mon..sun")
    start: str = Field(description="local HH:MM")
    start_minute: int
    minutes: int
    end: str = Field(description="local HH:MM it ends (perhaps the next day)")
    cycle_weeks: int
    cycle_week: int
    rotation_id: int | None
    plan_id: int | None
    label: str = Field(description='e.g. "Tuesday 22:00–06:00 (week 1 of 2)"')
    created_at: str | None


class ShiftList(Out):
    shifts: list[Shift]


class OneShift(Out):
    shift: Shift


class Deleted(Out):
    deleted: int


class PatternShift(Out):
    weekday: int
    start: str
    minutes: int


class Rotation(Out):
    id: int
    name: str
    weeks: int
    pattern: list[list[PatternShift]]
    shifts: int = Field(description="shifts made from it")
    created_at: str | None


class RotationList(Out):
    rotations: list[Rotation]


class OneRotation(Out):
    rotation: Rotation


class RotationApplied(Out):
    rotation_id: int
    removed: int = Field(description="shifts replaced")
    created: int
    shifts: list[Shift] = Field(description="the agents' shifts now")


Ctx = Annotated[Context, Depends(get_ctx)]
Actor = Annotated[AgentActor, Depends(current_agent)]


# -- offices ------------------------------------------------------------------------------------------
@router.get("/offices", response_model=OfficeList)
async def list_offices(ctx: Ctx, actor: Actor) -> dict:
    return {"offices": await schedule.list_offices(ctx=ctx, actor=actor)}


@router.post("/offices", status_code=201, response_model=OneOffice)
async def create_office(body: OfficeBody, ctx: Ctx, actor: Actor) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"office": await schedule.do_create_office(ctx=ctx, actor=actor, data=data)}


@router.patch("/offices/{office_id}", response_model=OneOffice)
async def update_office(office_id: SmallPathId, body: OfficePatch, ctx: Ctx, actor: Actor) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"office": await schedule.do_update_office(ctx=ctx, actor=actor, office_id=office_id, data=data)}


@router.delete("/offices/{office_id}", response_model=OfficeDeleted)
async def delete_office(office_id: SmallPathId, ctx: Ctx, actor: Actor) -> dict:
    return await schedule.do_delete_office(ctx=ctx, actor=actor, office_id=office_id)


@router.put("/offices/{office_id}/holidays", response_model=OneOffice)
async def set_holidays(office_id: SmallPathId, body: HolidaysBody, ctx: Ctx, actor: Actor) -> dict:
    office = await schedule.do_set_holidays(ctx=ctx, actor=actor, office_id=office_id, holidays=body.holidays)
    return {"office": office}


@router.put("/agents/{agent_id}/office", response_model=AgentOffice)
async def set_agent_office(agent_id: SmallPathId, body: AgentOfficeBody, ctx: Ctx, actor: Actor) -> dict:
    return await schedule.do_set_agent_office(ctx=ctx, actor=actor, agent_id=agent_id, office_id=body.office_id)


# -- shifts -------------------------------------------------------------------------------------------
@router.get("/shifts", response_model=ShiftList)
async def list_shifts(
    ctx: Ctx,
    actor: Actor,
    agent: SmallQueryId = None,
    department: SmallQueryId = None,
    office: SmallQueryId = None,
) -> dict:
    shifts = await schedule.list_shifts(
        ctx=ctx, actor=actor, agent_id=agent, department_id=department, office_id=office
    )
    return {"shifts": shifts}


@router.post("/shifts", status_code=201, response_model=OneShift)
async def create_shift(body: ShiftBody, ctx: Ctx, actor: Actor) -> dict:
    return {"shift": await schedule.do_create_shift(ctx=ctx, actor=actor, data=body.model_dump(exclude_unset=True))}


@router.patch("/shifts/{shift_id}", response_model=OneShift)
async def update_shift(shift_id: SmallPathId, body: ShiftPatch, ctx: Ctx, actor: Actor) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"shift": await schedule.do_update_shift(ctx=ctx, actor=actor, shift_id=shift_id, data=data)}


@router.delete("/shifts/{shift_id}", response_model=Deleted)
async def delete_shift(shift_id: SmallPathId, ctx: Ctx, actor: Actor) -> dict:
    return await schedule.do_delete_shift(ctx=ctx, actor=actor, shift_id=shift_id)


@router.get(
    "/agents/{agent_id}/shifts.ics",
    response_class=Response,
    responses=file_answer("text/calendar", description="the agent's shifts, weekly recurring"),
)
async def agent_shifts_ics(agent_id: SmallPathId, ctx: Ctx, actor: Actor) -> Response:
    filename, body = await schedule.agent_shifts_ical(ctx=ctx, actor=actor, agent_id=agent_id)
    headers = {**FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


# -- rotations ----------------------------------------------------------------------------------------
@router.get("/rotations", response_model=RotationList)
async def list_rotations(ctx: Ctx, actor: Actor) -> dict:
    return {"rotations": await schedule.list_rotations(ctx=ctx, actor=actor)}


@router.post("/rotations", status_code=201, response_model=OneRotation)
async def create_rotation(body: RotationBody, ctx: Ctx, actor: Actor) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"rotation": await schedule.do_create_rotation(ctx=ctx, actor=actor, data=data)}


@router.delete("/rotations/{rotation_id}", response_model=Deleted)
async def delete_rotation(rotation_id: SmallPathId, ctx: Ctx, actor: Actor) -> dict:
    return await schedule.do_delete_rotation(ctx=ctx, actor=actor, rotation_id=rotation_id)


@router.post("/rotations/{rotation_id}/apply", response_model=RotationApplied)
async def apply_rotation(rotation_id: SmallPathId, body: ApplyRotationBody, ctx: Ctx, actor: Actor) -> dict:
    data = body.model_dump(exclude_unset=True)
    return await schedule.do_apply_rotation(ctx=ctx, actor=actor, rotation_id=rotation_id, data=data)
