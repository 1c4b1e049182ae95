"""Offices, holidays, agents' shifts and rotation templates (issue 15; docs/staffing.md "Shifts,
offices and rotations"). Reads follow `staffing.view` (offices, rotations) and `shift.view`
(shifts: supervisors their departments' agents, agents their own); every write is
`staffing.manage`, in one unit of work, audit-logged. The rules are domain/schedule.py's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import iso, utcnow
from frontdesk.domain.business_hours import check_timezone
from frontdesk.domain.chat_rules import ChatRuleError, bad_field
from frontdesk.domain.dates import parse_day
from frontdesk.domain.ids import check_id
from frontdesk.domain.schedule import (
    WEEKDAYS,
    ShiftSpec,
    check_no_overlap,
    clock,
    describe,
    overlapping,
    parse_rotation,
    parse_shift,
    rotation_shifts,
    shifts_ical,
)
from frontdesk.domain.text import clean_line
from frontdesk.permissions import department_scoped, own_figures_only, require
from frontdesk.store import department_store, schedule_store

VIEW = "staffing.view"
MANAGE = "staffing.manage"
SHIFT_VIEW = "shift.view"
MAX_HOLIDAYS = 400
MAX_ROTATION_AGENTS = 500
SHIFT_FIELDS = ("agent_id", "department_id", "weekday", "start", "minutes", "timezone", "cycle_weeks", "cycle_week")


def _forbidden(field: str, message: str) -> ChatRuleError:
    return ChatRuleError("forbidden", f"{field}: {message}", field=field)


def _unknown(data: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise bad_field(unknown[0], "unknown field")


# -- payloads -----------------------------------------------------------------------------------------


def spec_of(row: Any) -> ShiftSpec:
    return ShiftSpec(
        agent_id=row.agent_id,
        timezone=row.timezone,
        weekday=row.weekday,
        start_minute=row.start_minute,
        minutes=row.minutes,
        cycle_weeks=row.cycle_weeks,
        cycle_week=row.cycle_week,
        department_id=row.department_id,
        id=row.id,
    )


def shift_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "agent": {"id": row.agent_id, "name": row.agent_name},
        "office_id": row.office_id,
        "department_id": row.department_id,
        "timezone": row.timezone,
        "weekday": row.weekday,
        "day": WEEKDAYS[row.weekday],
        "start": clock(row.start_minute),
        "start_minute": row.start_minute,
        "minutes": row.minutes,
        "end": clock(row.start_minute + row.minutes),
        "cycle_weeks": row.cycle_weeks,
        "cycle_week": row.cycle_week,
        "rotation_id": row.rotation_id,
        "plan_id": row.plan_id,
        "label": describe(spec_of(row)),
        "created_at": iso(row.created_at),
    }


def office_payload(row: Any, holidays: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "timezone": row.timezone,
        "agents": getattr(row, "agents", None) or 0,
        "holidays": [{"date": h.day.isoformat(), "name": h.name} for h in holidays],
        "created_at": iso(row.created_at),
    }


def rotation_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "weeks": row.weeks,
        "pattern": [
            [{"weekday": s["weekday"], "start": clock(s["start"]), "minutes": s["minutes"]} for s in week]
            for week in row.pattern
        ],
        "shifts": getattr(row, "shifts", None) or 0,
        "created_at": iso(row.created_at),
    }


# -- for the other staffing parts (REQUIRED, PLANNER) ------------------------------------------------------


async def shifts_for_department(conn: AsyncConnection, department_id: int) -> list[ShiftSpec]:
    """The shifts that staff the department: its members' shifts for it or for every department."""
    return [spec_of(row) for row in await schedule_store.shifts(conn, department_id=department_id)]


async def holidays_by_agent(conn: AsyncConnection, agent_ids: Sequence[int]) -> dict[int, set[date]]:
    """agent id -> the local days off of the office they work from (empty without one)."""
    return await schedule_store.holidays_of_agents(conn, list(agent_ids))


# -- offices ------------------------------------------------------------------------------------------


def check_office(data: object, *, partial: bool = False) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise bad_field("office", "must be an object")
    _unknown(data, ("name", "timezone"))
    out: dict[str, Any] = {}
    for field in ("name", "timezone"):
        if field not in data and not partial:
            raise bad_field(field, "is required")
    if "name" in data:
        name = clean_line(data["name"], "name")
        if not 1 <= len(name) <= 100:
            raise bad_field("name", "must be 1 to 100 characters")
        out["name"] = name
    if "timezone" in data:
        out["timezone"] = check_timezone(data["timezone"])
    return out


async def list_offices(*, ctx: Context, actor: AgentActor) -> list[dict[str, Any]]:
    """Every office with its time zone, its number of agents and its holidays."""
    require(actor.role, VIEW)
    async with ctx.db.read() as conn:
        rows = await schedule_store.offices(conn)
        days = await schedule_store.holidays(conn, [r.id for r in rows])
    return [office_payload(r, days[r.id]) for r in rows]


async def _office_out(conn: AsyncConnection, office_id: int) -> dict[str, Any]:
    row = next(r for r in await schedule_store.offices(conn) if r.id == office_id)
    return office_payload(row, (await schedule_store.holidays(conn, [office_id]))[office_id])


def _name_taken(name: str | None) -> ChatRuleError:
    return ChatRuleError("conflict", f"name: an office {name!r} exists already", field="name")


async def do_create_office(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    require(actor.role, MANAGE)
    values = check_office(data)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            office_id = await schedule_store.insert_office(conn, {**values, "created_at": utcnow()})
            await record_audit(conn, actor, "office.create", ("office", office_id), values)
            out = await _office_out(conn, office_id)
    except IntegrityError:
        raise _name_taken(values["name"]) from None
    return out


async def do_update_office(*, ctx: Context, actor: AgentActor, office_id: int, data: object) -> dict[str, Any]:
    """Name or time zone. A new time zone is the default of shifts made from now on; existing
    shifts keep the zone they were made in."""
    require(actor.role, MANAGE)
    values = check_office(data, partial=True)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            if await schedule_store.office(conn, office_id) is None:
                raise ChatRuleError("not_found", "No such office.")
            if values:
                await schedule_store.update_office(conn, office_id, values)
                await record_audit(conn, actor, "office.update", ("office", office_id), values)
            out = await _office_out(conn, office_id)
    except IntegrityError:
        raise _name_taken(values.get("name")) from None
    return out


async def do_delete_office(*, ctx: Context, actor: AgentActor, office_id: int) -> dict[str, Any]:
    """The office and its holidays; its agents work from no office and keep their shifts."""
    require(actor.role, MANAGE)
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await schedule_store.office(conn, office_id)
        if row is None:
            raise ChatRuleError("not_found", "No such office.")
        agents = await schedule_store.delete_office(conn, office_id)
        await record_audit(conn, actor, "office.delete", ("office", office_id), {"name": row.name, "agents": agents})
    return {"deleted": office_id, "agents": agents}


def check_holidays(items: object) -> list[tuple[date, str]]:
    if not isinstance(items, list) or len(items) > MAX_HOLIDAYS:
        raise bad_field("holidays", f"must be a list of at most {MAX_HOLIDAYS} {{date, name}}")
    seen: dict[date, int] = {}
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad_field(f"holidays[{i}]", "must be an object {date, name}")
        _unknown({f"holidays[{i}].{k}": v for k, v in item.items()}, (f"holidays[{i}].date", f"holidays[{i}].name"))
        day = parse_day(item.get("date"), f"holidays[{i}].date")
        if day in seen:
            raise bad_field(f"holidays[{i}].date", f"{day} is listed twice")
        seen[day] = i
        name = clean_line(item.get("name") or "", f"holidays[{i}].name")
        if len(name) > 100:
            raise bad_field(f"holidays[{i}].name", "must be at most 100 characters")
        out.append((day, name))
    return sorted(out)


async def do_set_holidays(*, ctx: Context, actor: AgentActor, office_id: int, holidays: object) -> dict[str, Any]:
    """The office's whole list of holidays (local dates: its agents' shifts starting that day do
    not happen); an empty list removes them."""
    require(actor.role, MANAGE)
    items = check_holidays(holidays)
    async with unit_of_work(ctx) as (conn, _outbox):
        if await schedule_store.office(conn, office_id) is None:
            raise ChatRuleError("not_found", "No such office.")
        await schedule_store.replace_holidays(conn, office_id, items)
        await record_audit(
            conn, actor, "office.holidays", ("office", office_id), {"days": [d.isoformat() for d, _ in items]}
        )
        out = await _office_out(conn, office_id)
    return out


async def do_set_agent_office(*, ctx: Context, actor: AgentActor, agent_id: int, office_id: object) -> dict[str, Any]:
    """The office an agent works from (None: none). Their shifts keep their own time zones."""
    require(actor.role, MANAGE)
    office = check_id(office_id, "office_id", optional=True)
    async with unit_of_work(ctx) as (conn, _outbox):
        if agent_id not in await schedule_store.agents(conn, [agent_id]):
            raise ChatRuleError("not_found", "No such user.")
        if office is not None and await schedule_store.office(conn, office) is None:
            raise bad_field("office_id", f"no office {office}")
        await schedule_store.set_agent_office(conn, agent_id, office)
        await record_audit(conn, actor, "user.office", ("user", agent_id), {"office_id": office})
    return {"agent_id": agent_id, "office_id": office}


# -- who may see whose shifts -----------------------------------------------------------------------------


async def shift_scope(
    conn: AsyncConnection, actor: AgentActor, *, agent_id: int | None = None, department_id: int | None = None
) -> list[int] | None:
    """The agents whose shifts the actor may see for this request (None: everyone), following
    `shift.view`: agents themselves only (another agent: 403 `agent`); supervisors the agents of
    their departments (another department: 403 `department`; an agent outside them: 403 `agent`)."""
    require(actor.role, SHIFT_VIEW)
    if department_id is not None and await schedule_store.department_hours(conn, department_id) is None:
        raise bad_field("department", "no such department")
    if agent_id is not None and agent_id != actor.id and not await schedule_store.agents(conn, [agent_id]):
        raise bad_field("agent", "no such user")
    if own_figures_only(actor.role, SHIFT_VIEW):
        if agent_id is not None and agent_id != actor.id:
            raise _forbidden("agent", "agents see their own shifts only")
        return [actor.id]
    if not department_scoped(actor.role, SHIFT_VIEW):
        return None if agent_id is None else [agent_id]
    mine = set(await department_store.departments_of_user(conn, actor.id))
    if department_id is not None and department_id not in mine:
        raise _forbidden("department", "you see the shifts of your own departments only")
    if agent_id is not None:
        theirs = (await schedule_store.departments_of(conn, [agent_id]))[agent_id]
        if agent_id != actor.id and not mine & theirs:
            raise _forbidden("agent", "this agent works in none of your departments")
        return [agent_id]
    return sorted(await schedule_store.member_ids(conn, mine) | {actor.id})


async def list_shifts(
    *,
    ctx: Context,
    actor: AgentActor,
    agent_id: int | None = None,
    department_id: int | None = None,
    office_id: int | None = None,
) -> list[dict[str, Any]]:
    """Shifts, narrowed by agent, department (the shifts staffing it) and office, within scope."""
    async with ctx.db.read() as conn:
        agents = await shift_scope(conn, actor, agent_id=agent_id, department_id=department_id)
        if office_id is not None and await schedule_store.office(conn, office_id) is None:
            raise bad_field("office", "no such office")
        rows = await schedule_store.shifts(conn, agent_ids=agents, department_id=department_id, office_id=office_id)
    return [shift_payload(r) for r in rows]


async def agent_shifts_ical(*, ctx: Context, actor: AgentActor, agent_id: int) -> tuple[str, bytes]:
    """(file name, the agent's shifts as iCalendar) with their office's holidays left out."""
    async with ctx.db.read() as conn:
        await shift_scope(conn, actor, agent_id=agent_id)
        agent = (await schedule_store.agents(conn, [agent_id])).get(agent_id)
        if agent is None:
            raise ChatRuleError("not_found", "No such user.")
        rows = await schedule_store.shifts(conn, agent_ids=[agent_id])
        days_off = (await schedule_store.holidays_of_agents(conn, [agent_id]))[agent_id]
    now = utcnow()
    body = shifts_ical(
        [spec_of(r) for r in rows],
        agent_name=agent.name or f"Agent {agent_id}",
        holidays=days_off,
        from_day=now.date() - timedelta(days=7),
        stamp=now,
    )
    return f"shifts-{agent_id}.ics", body


# -- shifts -------------------------------------------------------------------------------------------


async def _default_timezone(conn: AsyncConnection, agent: Any, department_id: int | None) -> str:
    """The agent's office's zone, else the department's business-hours zone, else UTC."""
    if agent.office_timezone:
        return str(agent.office_timezone)
    if department_id is not None:
        dept = await schedule_store.department_hours(conn, department_id)
        hours = dept.hours if dept is not None and isinstance(dept.hours, dict) else {}
        if isinstance(hours.get("timezone"), str) and hours["timezone"]:
            return str(hours["timezone"])
    return "UTC"


async def _check_agent_department(conn: AsyncConnection, agent_id: int, department_id: int | None) -> None:
    if department_id is None:
        return
    if await schedule_store.department_hours(conn, department_id) is None:
        raise bad_field("department_id", f"no department {department_id}")
    if department_id not in (await schedule_store.departments_of(conn, [agent_id]))[agent_id]:
        raise bad_field("department_id", "the agent is not a member of this department")


async def _shift_out(conn: AsyncConnection, agent_id: int, shift_id: int) -> dict[str, Any]:
    row = next(r for r in await schedule_store.shifts(conn, agent_ids=[agent_id]) if r.id == shift_id)
    return shift_payload(row)


def _audit_shift(values: dict[str, Any]) -> dict[str, Any]:
    keys = ("agent_id", "department_id", "timezone", "weekday", "start_minute", "minutes", "cycle_weeks", "cycle_week")
    return {k: values[k] for k in keys if k in values}


async def do_create_shift(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    """A recurring shift for an agent: weekday, start, minutes, time zone (default: their office's,
    else the department's, else UTC), cycle; it may not overlap the agent's other shifts."""
    require(actor.role, MANAGE)
    if not isinstance(data, dict):
        raise bad_field("shift", "must be an object")
    _unknown(data, SHIFT_FIELDS)
    agent_id = check_id(data.get("agent_id"), "agent_id")
    department_id = check_id(data.get("department_id"), "department_id", optional=True)
    async with unit_of_work(ctx) as (conn, _outbox):
        agent = (await schedule_store.agents(conn, [agent_id])).get(agent_id)
        if agent is None:
            raise bad_field("agent_id", f"no user {agent_id}")
        await _check_agent_department(conn, agent_id, department_id)
        values = parse_shift(data, default_timezone=await _default_timezone(conn, agent, department_id))
        values.update(agent_id=agent_id, department_id=department_id)
        existing = [spec_of(r) for r in await schedule_store.shifts(conn, agent_ids=[agent_id])]
        check_no_overlap(ShiftSpec(**values), existing)
        shift_id = await schedule_store.insert_shift(conn, {**values, "created_at": utcnow(), "created_by": actor.id})
        await record_audit(conn, actor, "shift.create", ("shift", shift_id), _audit_shift(values))
        out = await _shift_out(conn, agent_id, shift_id)
    return out


async def do_update_shift(*, ctx: Context, actor: AgentActor, shift_id: int, data: object) -> dict[str, Any]:
    """Change any of a shift's fields but its agent; checked as a whole again (overlaps too)."""
    require(actor.role, MANAGE)
    if not isinstance(data, dict):
        raise bad_field("shift", "must be an object")
    _unknown(data, SHIFT_FIELDS)
    if "agent_id" in data:
        raise bad_field("agent_id", "cannot be changed: delete the shift and make one for the other agent")
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await schedule_store.shift(conn, shift_id)
        if row is None:
            raise ChatRuleError("not_found", "No such shift.")
        department_id = row.department_id
        if "department_id" in data:
            department_id = check_id(data.get("department_id"), "department_id", optional=True)
            await _check_agent_department(conn, row.agent_id, department_id)
        merged = {
            "weekday": row.weekday,
            "start": row.start_minute,
            "minutes": row.minutes,
            "timezone": row.timezone,
            "cycle_weeks": row.cycle_weeks,
            "cycle_week": row.cycle_week,
            **{k: v for k, v in data.items() if k != "department_id"},
        }
        if "cycle_weeks" in data and "cycle_week" not in data:
            merged["cycle_week"] = row.cycle_week if row.cycle_week < merged["cycle_weeks"] else 0
        values = parse_shift(merged, default_timezone=row.timezone)
        values["department_id"] = department_id
        existing = [spec_of(r) for r in await schedule_store.shifts(conn, agent_ids=[row.agent_id])]
        check_no_overlap(ShiftSpec(agent_id=row.agent_id, id=shift_id, **values), existing)
        await schedule_store.update_shift(conn, shift_id, values)
        await record_audit(conn, actor, "shift.update", ("shift", shift_id), _audit_shift(values))
        out = await _shift_out(conn, row.agent_id, shift_id)
    return out


async def do_delete_shift(*, ctx: Context, actor: AgentActor, shift_id: int) -> dict[str, Any]:
    require(actor.role, MANAGE)
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await schedule_store.shift(conn, shift_id)
        if row is None:
            raise ChatRuleError("not_found", "No such shift.")
        await schedule_store.delete_shift(conn, shift_id)
        await record_audit(conn, actor, "shift.delete", ("shift", shift_id), _audit_shift(row._asdict()))
    return {"deleted": shift_id}


# -- rotations ----------------------------------------------------------------------------------------


async def list_rotations(*, ctx: Context, actor: AgentActor) -> list[dict[str, Any]]:
    require(actor.role, VIEW)
    async with ctx.db.read() as conn:
        rows = await schedule_store.rotations(conn)
    return [rotation_payload(r) for r in rows]


async def do_create_rotation(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    """A template of N weeks of shifts ({weekday, start, minutes} in each agent's own zone)."""
    require(actor.role, MANAGE)
    if not isinstance(data, dict):
        raise bad_field("rotation", "must be an object")
    _unknown(data, ("name", "weeks", "pattern"))
    values = parse_rotation(data)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            rotation_id = await schedule_store.insert_rotation(
                conn, {**values, "created_at": utcnow(), "created_by": actor.id}
            )
            await record_audit(
                conn,
                actor,
                "rotation.create",
                ("rotation", rotation_id),
                {"name": values["name"], "weeks": values["weeks"]},
            )
            row = await schedule_store.rotation(conn, rotation_id)
    except IntegrityError:
        raise ChatRuleError("conflict", f"name: a rotation {values['name']!r} exists already", field="name") from None
    return rotation_payload(row)


async def do_delete_rotation(*, ctx: Context, actor: AgentActor, rotation_id: int) -> dict[str, Any]:
    """The template; the shifts it made stay."""
    require(actor.role, MANAGE)
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await schedule_store.rotation(conn, rotation_id)
        if row is None:
            raise ChatRuleError("not_found", "No such rotation.")
        await schedule_store.delete_rotation(conn, rotation_id)
        await record_audit(conn, actor, "rotation.delete", ("rotation", rotation_id), {"name": row.name})
    return {"deleted": rotation_id}


def check_apply(data: object) -> tuple[list[int], int | None, bool]:
    if not isinstance(data, dict):
        raise bad_field("rotation", "must be an object")
    _unknown(data, ("agents", "department_id", "replace"))
    agents = data.get("agents")
    if not isinstance(agents, list) or not 1 <= len(agents) <= MAX_ROTATION_AGENTS:
        raise bad_field("agents", f"must be a list of 1 to {MAX_ROTATION_AGENTS} agent ids")
    ids = [check_id(a, f"agents[{i}]") for i, a in enumerate(agents)]
    if len(set(ids)) != len(ids):
        raise bad_field("agents", "lists an agent twice")
    department_id = check_id(data.get("department_id"), "department_id", optional=True)
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise bad_field("replace", "must be true or false")
    return ids, department_id, replace


async def do_apply_rotation(*, ctx: Context, actor: AgentActor, rotation_id: int, data: object) -> dict[str, Any]:
    """The template as the agents' shifts, staggered (agent i starts at pattern week i % N), each
    in their office's zone (else the department's, else UTC). `replace`: their shifts for the
    same department (department_id, or the every-department ones without it) go first; the new
    shifts may not overlap what stays."""
    require(actor.role, MANAGE)
    agent_ids, department_id, replace = check_apply(data)
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await schedule_store.rotation(conn, rotation_id)
        if row is None:
            raise ChatRuleError("not_found", "No such rotation.")
        agents = await schedule_store.agents(conn, agent_ids)
        for i, agent_id in enumerate(agent_ids):
            if agent_id not in agents:
                raise bad_field(f"agents[{i}]", f"no user {agent_id}")
            await _check_agent_department(conn, agent_id, department_id)
        zones = {a: await _default_timezone(conn, agents[a], department_id) for a in agent_ids}
        new = rotation_shifts(row.pattern, agent_ids, timezone_of=zones, department_id=department_id)
        removed = (
            await schedule_store.delete_agents_shifts(conn, agent_ids, department_id=department_id) if replace else 0
        )
        mine: dict[int, list[ShiftSpec]] = {a: [] for a in agent_ids}
        for r in await schedule_store.shifts(conn, agent_ids=agent_ids):
            mine[r.agent_id].append(spec_of(r))
        placed: list[ShiftSpec] = []
        for spec in new:
            clash = overlapping(spec, mine[spec.agent_id])
            if clash is not None:
                name = agents[spec.agent_id].name
                raise bad_field(
                    "agents",
                    f"{name}'s {describe(spec)} would overlap the agent's shift on {describe(clash)}"
                    + ("" if replace else " (replace: true removes their shifts for this department first)"),
                )
            placed.append(spec)
            mine[spec.agent_id].append(spec)
        now = utcnow()
        for spec in placed:
            await schedule_store.insert_shift(
                conn,
                {
                    "agent_id": spec.agent_id,
                    "department_id": spec.department_id,
                    "timezone": spec.timezone,
                    "weekday": spec.weekday,
                    "start_minute": spec.start_minute,
                    "minutes": spec.minutes,
                    "cycle_weeks": spec.cycle_weeks,
                    "cycle_week": spec.cycle_week,
                    "rotation_id": rotation_id,
                    "created_at": now,
                    "created_by": actor.id,
                },
            )
        await record_audit(
            conn,
            actor,
            "rotation.apply",
            ("rotation", rotation_id),
            {"agents": agent_ids, "department_id": department_id, "replace": replace, "removed": removed},
        )
        rows = await schedule_store.shifts(conn, agent_ids=agent_ids)
    return {
        "rotation_id": rotation_id,
        "removed": removed,
        "created": len(placed),
        "shifts": [shift_payload(r) for r in rows],
    }
