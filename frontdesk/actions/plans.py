"""Suggested shift plans (issue 15; docs/staffing.md "Suggesting shifts"): the optimiser
(domain/shift_planner.suggest_shifts, OR-Tools CP-SAT) covers a department's required agents per
hour of a week with the shifts of its members in the chosen offices; the plan is kept as a
staffing_plans row for the manager to review, then applied (it replaces those agents' shifts for
the department, audit-logged) or discarded.

Who may: `staffing.view` reads plans (supervisors their departments'), `staffing.manage`
(admins, managers) suggests, applies and discards.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.actions.schedule import shifts_for_department, spec_of
from frontdesk.actions.staffing import (
    StaffedDepartment,
    coverage_status,
    parse_week,
    required_hours,
    staffing_department,
    week_hours,
)
from frontdesk.clock import iso, utcnow
from frontdesk.domain.chat_rules import ChatRuleError, bad_field
from frontdesk.domain.ids import check_id
from frontdesk.domain.schedule import WEEKDAYS, ShiftSpec, clock, describe, overlapping
from frontdesk.domain.shift_planner import PlannerAgent, PlanResult, PlanRules, parse_rules, suggest_shifts
from frontdesk.permissions import department_scoped, require
from frontdesk.store import department_store, plan_store, schedule_store

VIEW = "staffing.view"
MANAGE = "staffing.manage"
MAX_OFFICES = 20
MAX_LISTED = 50
MAX_REQUIRED = 10_000
BODY_FIELDS = ("department_id", "week", "offices", "rules", "required")
# One optimisation at a time per process (each takes up to time_limit_s of both cores): a second
# waits in its worker thread, not on the event loop.
_SOLVING = threading.Lock()

DEFINITIONS = {
    "plan": (
        "The optimiser (OR-Tools CP-SAT) covers the required agents per hour with the fewest agent-hours: cost = "
        "agent-hours + night_weight x hours outside each agent's local [day_start, day_end), within the shift "
        "lengths, at most one shift per agent per local day, max_shifts a week and rest_minutes between shifts "
        "(the week wraps around: its shifts recur weekly)."
    ),
    "uncovered": "Hours the plan still leaves short, with the number of agents missing (shortfall is minimised first).",
    "status": (
        "suggested -> applied (the agents' shifts for the department replaced by the plan's) or discarded. The "
        "solver's status: optimal (proved), feasible (the best found within time_limit_s; `bound` is the proved "
        "lower bound of the cost), infeasible (some hours cannot be covered: see uncovered)."
    ),
}


def _as_bad(exc: ChatRuleError) -> ChatRuleError:
    if exc.code in ("forbidden", "not_found", "bad_request"):
        return exc
    return ChatRuleError("bad_request", exc.message, field=exc.field)


@dataclass(frozen=True, slots=True)
class PlanAsk:
    department_id: int
    week: str | None
    offices: list[int]
    rules: PlanRules
    required: list[int] | None


def check_plan_body(data: object) -> PlanAsk:
    """The POST /plans body, each bad part a 400 naming it (rules.min_minutes, offices[1] ...)."""
    if not isinstance(data, Mapping):
        raise bad_field("body", "must be an object")
    unknown = sorted(set(data) - set(BODY_FIELDS))
    if unknown:
        raise bad_field(unknown[0], "unknown field")
    department_id = check_id(data.get("department_id"), "department_id")
    week = data.get("week")
    if week is not None and not isinstance(week, str):
        raise bad_field("week", "must be a date YYYY-MM-DD (a Monday)")
    offices = data.get("offices")
    if not isinstance(offices, list) or not 1 <= len(offices) <= MAX_OFFICES:
        raise bad_field("offices", f"must be a list of 1 to {MAX_OFFICES} office ids")
    office_ids = [check_id(o, f"offices[{i}]") for i, o in enumerate(offices)]
    if len(set(office_ids)) != len(office_ids):
        raise bad_field("offices", "lists an office twice")
    try:
        rules = parse_rules(data.get("rules"))
    except ChatRuleError as exc:
        raise _as_bad(exc) from None
    required = data.get("required")
    if required is not None:
        if not isinstance(required, list):
            raise bad_field("required", "must be a list of agents per hour of the week")
        for i, n in enumerate(required):
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_REQUIRED:
                raise bad_field(f"required[{i}]", f"must be a whole number of agents from 0 to {MAX_REQUIRED}")
    return PlanAsk(department_id, week, office_ids, rules, required)


# -- payloads -----------------------------------------------------------------------------------------


def _shift_out(
    shift: Mapping[str, Any], names: Mapping[int, str], offices: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    spec = ShiftSpec(
        agent_id=shift["agent_id"],
        timezone=shift["timezone"],
        weekday=shift["weekday"],
        start_minute=shift["start_minute"],
        minutes=shift["minutes"],
    )
    office = offices.get(shift["agent_id"], {})
    return {
        "agent_id": spec.agent_id,
        "agent_name": names.get(spec.agent_id, f"#{spec.agent_id}"),
        "office": office.get("name", ""),
        "office_id": office.get("id"),
        "timezone": spec.timezone,
        "weekday": spec.weekday,
        "day": WEEKDAYS[spec.weekday],
        "start": clock(spec.start_minute),
        "start_minute": spec.start_minute,
        "minutes": spec.minutes,
        "end": clock(spec.start_minute + spec.minutes),
        "label": describe(spec),
    }


def plan_payload(row: Any, names: Mapping[int, str], *, full: bool) -> dict[str, Any]:
    """A plan as the API answers it: the summary in lists, with its shifts and hours when `full`."""
    params: dict[str, Any] = row.params or {}
    result: dict[str, Any] = row.result or {}
    tz = params.get("timezone", "UTC")
    zone = ZoneInfo(tz)
    week = params.get("week")
    start = datetime.fromisoformat(result["start"]) if result.get("start") else None
    hour_list = week_hours(date.fromisoformat(week), zone) if week else []
    uncovered = [
        {
            "hour": h,
            "at": iso(hour_list[h]) if h < len(hour_list) else None,
            "local": hour_list[h].astimezone(zone).isoformat(timespec="minutes") if h < len(hour_list) else None,
            "short": n,
        }
        for h, n in result.get("uncovered", [])
    ]
    summary = {
        "status": result.get("status"),
        "agent_hours": result.get("agent_hours"),
        "cost": result.get("cost"),
        "night_hours": result.get("night_hours"),
        "uncovered": uncovered,
        "solve_s": result.get("solve_s"),
        "bound": result.get("bound"),
    }
    agent_office = {
        int(a["id"]): {"id": a.get("office_id"), "name": a.get("office", "")} for a in params.get("agents", [])
    }
    out: dict[str, Any] = {
        "id": row.id,
        "department_id": row.department_id,
        "week": week,
        "timezone": tz,
        "status": row.status,
        "offices": params.get("offices", []),
        "rules": params.get("rules", {}),
        "required_from": params.get("required_from"),
        "agents": [
            {"id": a["id"], "name": names.get(int(a["id"]), f"#{a['id']}"), "office": a.get("office", "")}
            for a in params.get("agents", [])
        ],
        "agent_hours": summary["agent_hours"],
        "cost": summary["cost"],
        "uncovered": uncovered,
        "result": summary,
        "start": iso(start) if start else None,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "applied_at": iso(row.applied_at) if row.applied_at else None,
        "applied_by": row.applied_by,
    }
    if full:
        out["shifts"] = [_shift_out(s, names, agent_office) for s in result.get("shifts", [])]
        required = result.get("required", [])
        coverage = result.get("coverage", [])
        closed = result.get("closed") or [False] * len(required)
        out["hours"] = [
            {
                "at": iso(at),
                "local": at.astimezone(zone).isoformat(timespec="minutes"),
                "weekday": at.astimezone(zone).weekday(),
                "hour": at.astimezone(zone).hour,
                "required": required[i] if i < len(required) else 0,
                "scheduled": coverage[i] if i < len(coverage) else 0,
                "status": coverage_status(
                    bool(closed[i]) if i < len(closed) else False,
                    required[i] if i < len(required) else 0,
                    coverage[i] if i < len(coverage) else 0,
                ),
            }
            for i, at in enumerate(hour_list)
        ]
        out["definitions"] = DEFINITIONS
    return out


def _result_json(
    result: PlanResult, required: Sequence[int], closed: Sequence[bool], start: datetime
) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "status": result.status,
        "shifts": [
            {
                "agent_id": s.agent_id,
                "timezone": s.timezone,
                "weekday": s.weekday,
                "start_minute": s.start_minute,
                "minutes": s.minutes,
            }
            for s in result.shifts
        ],
        "required": list(required),
        "closed": list(closed),
        "coverage": [round(c, 4) for c in result.coverage],
        "agent_hours": round(result.agent_hours, 4),
        "cost": round(result.cost, 4),
        "night_hours": round(result.night_hours, 4),
        "uncovered": [list(u) for u in result.uncovered],
        "solve_s": round(result.solve_s, 3),
        "bound": None if result.bound is None else round(result.bound, 4),
    }


# -- reads --------------------------------------------------------------------------------------------


async def _check_plan_scope(conn: Any, actor: AgentActor, department_id: int | None) -> None:
    if department_id is None or not department_scoped(actor.role, VIEW):
        return
    if department_id not in await department_store.departments_of_user(conn, actor.id):
        raise ChatRuleError(
            "forbidden", "department: you see the plans of your own departments only", field="department"
        )


async def list_plans(*, ctx: Context, actor: AgentActor, department_id: int | None = None) -> list[dict[str, Any]]:
    """The newest plans (at most MAX_LISTED), of one department or of every department in scope."""
    require(actor.role, VIEW)
    async with ctx.db.read() as conn:
        if department_id is not None:
            await staffing_department(conn, actor, department_id)
            scope: list[int] | None = [department_id]
        elif department_scoped(actor.role, VIEW):
            scope = list(await department_store.departments_of_user(conn, actor.id))
        else:
            scope = None
        rows = await plan_store.plans(conn, department_ids=scope, limit=MAX_LISTED)
        ids = {int(a["id"]) for r in rows for a in (r.params or {}).get("agents", [])}
        names = await plan_store.user_names(conn, sorted(ids))
    return [plan_payload(r, names, full=False) for r in rows]


async def get_plan(*, ctx: Context, actor: AgentActor, plan_id: int) -> dict[str, Any]:
    require(actor.role, VIEW)
    async with ctx.db.read() as conn:
        row = await plan_store.plan(conn, plan_id)
        if row is None:
            raise ChatRuleError("not_found", "No such plan.")
        await _check_plan_scope(conn, actor, row.department_id)
        ids = [int(a["id"]) for a in (row.params or {}).get("agents", [])]
        names = await plan_store.user_names(conn, ids)
    return plan_payload(row, names, full=True)


# -- writes -------------------------------------------------------------------------------------------


def _solve(
    required: list[int], start: datetime, agents: list[PlannerAgent], rules: PlanRules, existing: list[ShiftSpec]
) -> PlanResult:
    with _SOLVING:
        return suggest_shifts(required, start, agents, rules, existing=existing)


async def do_suggest_plan(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    """POST /plans: the optimiser's plan for the department's members in `offices` for the local
    week `week` (a Monday; default this week), covering the required agents per hour (REQUIRED's
    `required_hours`, the chat model) or, for what-if planning, the `required` list given (one
    number per real hour of that week). Kept as a suggested plan."""
    require(actor.role, MANAGE)
    ask = check_plan_body(data)
    async with ctx.db.read() as conn:
        dept: StaffedDepartment = await staffing_department(conn, actor, ask.department_id)
        zone = ZoneInfo(dept.timezone)
        week = parse_week(ask.week, zone)
        hours = week_hours(week, zone)
        offices = await plan_store.offices(conn, ask.offices)
        for i, office_id in enumerate(ask.offices):
            if office_id not in offices:
                raise bad_field(f"offices[{i}]", f"no office {office_id}")
        members = await plan_store.members_in_offices(conn, dept.id, ask.offices)
        if not members:
            raise bad_field("offices", "no member of the department works from these offices")
        closed = [False] * len(hours)
        if ask.required is None:
            try:
                needed = await required_hours(conn, dept, week)
            except ChatRuleError as exc:
                raise _as_bad(exc) from None
            required = list(needed.required["chat"])
            closed = list(needed.closed)
            required_from = "forecast"
        else:
            if len(ask.required) != len(hours):
                raise bad_field(
                    "required", f"one number per real hour of the week: {len(hours)} for {week.isoformat()}"
                )
            required = list(ask.required)
            required_from = "body"
        planned = {m.id for m in members}
        existing = [
            s
            for s in await shifts_for_department(conn, dept.id)
            if not (s.agent_id in planned and s.department_id == dept.id)
        ]
    agents = [
        PlannerAgent(
            agent_id=m.id,
            timezone=offices[m.office_id].timezone,
            office=offices[m.office_id].name,
            max_shifts=ask.rules.max_shifts,
        )
        for m in members
    ]
    try:
        result = await asyncio.to_thread(_solve, required, hours[0], agents, ask.rules, existing)
    except ChatRuleError as exc:
        raise _as_bad(exc) from None
    params = {
        "week": week.isoformat(),
        "timezone": dept.timezone,
        "offices": [{"id": o.id, "name": o.name, "timezone": o.timezone} for o in offices.values()],
        "agents": [{"id": m.id, "office_id": m.office_id, "office": offices[m.office_id].name} for m in members],
        "rules": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(ask.rules).items()},
        "required_from": required_from,
    }
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        if await department_store.department(conn, dept.id) is None:
            raise bad_field("department_id", "no such department")
        values = {
            "department_id": dept.id,
            "status": "suggested",
            "params": params,
            "result": _result_json(result, required, closed, hours[0]),
            "created_at": now,
            "created_by": actor.id,
        }
        plan_id = await plan_store.insert_plan(conn, values)
        await record_audit(
            conn,
            actor,
            "plan.suggest",
            ("staffing_plan", plan_id),
            {"department_id": dept.id, "week": week.isoformat(), "status": result.status, "shifts": len(result.shifts)},
        )
        row = await plan_store.plan(conn, plan_id)
        names = {m.id: m.name for m in members}
    return plan_payload(row, names, full=True)


async def _settle(conn: Any, plan_id: int, *, status: str = "suggested") -> Any:
    """The plan, locked, if it is in `status` (a suggested plan settles once: 409 otherwise)."""
    row = await plan_store.plan(conn, plan_id, lock=True)
    if row is None:
        raise ChatRuleError("not_found", "No such plan.")
    if status != "suggested":
        return row
    if row.department_id is None:
        raise ChatRuleError("conflict", "plan: its department was deleted", field="plan")
    if row.status != "suggested":
        raise ChatRuleError("conflict", f"plan: this plan was {row.status} already", field="plan")
    return row


async def do_apply_plan(*, ctx: Context, actor: AgentActor, plan_id: int) -> dict[str, Any]:
    """POST /plans/{id}/apply: the plan's agents' shifts for its department are replaced by the
    plan's (their shifts for every department or for other departments stay, and the new ones
    may not overlap them); audit-logged. A plan applies once."""
    require(actor.role, MANAGE)
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await _settle(conn, plan_id)
        department_id = row.department_id
        agent_ids = [int(a["id"]) for a in (row.params or {}).get("agents", [])]
        known = await schedule_store.agents(conn, agent_ids)
        removed = await schedule_store.delete_agents_shifts(conn, agent_ids, department_id=department_id)
        stays: dict[int, list[ShiftSpec]] = {a: [] for a in agent_ids}
        for r in await schedule_store.shifts(conn, agent_ids=agent_ids):
            stays[r.agent_id].append(spec_of(r))
        now = utcnow()
        created = 0
        for s in (row.result or {}).get("shifts", []):
            if s["agent_id"] not in known:
                continue  # the user was deleted since the plan was made
            spec = ShiftSpec(
                agent_id=s["agent_id"],
                timezone=s["timezone"],
                weekday=s["weekday"],
                start_minute=s["start_minute"],
                minutes=s["minutes"],
                department_id=department_id,
            )
            clash = overlapping(spec, stays[spec.agent_id])
            if clash is not None:
                raise ChatRuleError(
                    "conflict",
                    f"plan: {known[spec.agent_id].name}'s {describe(spec)} would overlap the agent's shift on "
                    f"{describe(clash)} (changed since the plan was made: suggest a new plan)",
                    field="plan",
                )
            stays[spec.agent_id].append(spec)
            await schedule_store.insert_shift(
                conn,
                {
                    "agent_id": spec.agent_id,
                    "department_id": department_id,
                    "timezone": spec.timezone,
                    "weekday": spec.weekday,
                    "start_minute": spec.start_minute,
                    "minutes": spec.minutes,
                    "cycle_weeks": 1,
                    "cycle_week": 0,
                    "plan_id": plan_id,
                    "created_at": now,
                    "created_by": actor.id,
                },
            )
            created += 1
        await plan_store.set_status(conn, plan_id, "applied", at=now, by=actor.id)
        await record_audit(
            conn,
            actor,
            "plan.apply",
            ("staffing_plan", plan_id),
            {"department_id": department_id, "agents": agent_ids, "removed": removed, "created": created},
        )
        row = await _settle(conn, plan_id, status="applied")
        names = await plan_store.user_names(conn, agent_ids)
    out = plan_payload(row, names, full=True)
    out["removed"] = removed
    out["created"] = created
    return out


async def do_discard_plan(*, ctx: Context, actor: AgentActor, plan_id: int) -> dict[str, Any]:
    """POST /plans/{id}/discard: the plan is kept as discarded; no shift changes."""
    require(actor.role, MANAGE)
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await _settle(conn, plan_id)
        await plan_store.set_status(conn, plan_id, "discarded")
        await record_audit(
            conn, actor, "plan.discard", ("staffing_plan", plan_id), {"department_id": row.department_id}
        )
        row = await _settle(conn, plan_id, status="discarded")
        ids = [int(a["id"]) for a in (row.params or {}).get("agents", [])]
        names = await plan_store.user_names(conn, ids)
    return plan_payload(row, names, full=False)
