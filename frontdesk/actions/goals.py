"""Department goals (issue 14): set by admins and managers (`goal.manage`), read by whoever may see
the department's reports (`report.view`), and drawn per local day against the actual figure
(docs/architecture/analytics.md, "Goals")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions import reports
from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.actions.supervision import check_scope
from frontdesk.clock import iso, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.goals import GOAL_METRICS, Goal, add_sums, check_goals, goal_figure, is_met
from frontdesk.domain.metric_buckets import BUCKETS, bucket_column
from frontdesk.permissions import require
from frontdesk.store import department_store, goal_store, report_store

NO_DEPARTMENT = "No such department."
# The metric_hours columns the goals read.
GOAL_COLUMNS: tuple[str, ...] = (
    "chats",
    "missed",
    "rated",
    "rating_good",
    *(f"{m}_{part}" for m in ("first_response", "handle") for part in ("n", "sum")),
    *(bucket_column(m, i) for m in ("first_response", "handle") for i in range(BUCKETS)),
)


def goal_payload(row: Any) -> dict[str, Any]:
    spec = GOAL_METRICS[row.metric]
    return {
        "metric": row.metric,
        "label": spec.label,
        "unit": spec.unit,
        "direction": spec.direction,
        "target": row.target,
        "seconds": row.seconds,
        "updated_at": iso(row.updated_at),
        "updated_by": None if row.updated_by is None else {"id": row.updated_by, "name": row.updated_by_name},
    }


def _metrics() -> list[dict[str, Any]]:
    return [
        {"key": m.key, "label": m.label, "unit": m.unit, "direction": m.direction, "definition": m.definition}
        for m in GOAL_METRICS.values()
    ]


async def _department(conn: AsyncConnection, actor: AgentActor, action: str, department_id: int) -> Any:
    """The department if the actor may do `action` there: 404 when it does not exist, 403 out of scope."""
    dept = await department_store.department(conn, department_id)
    if dept is None:
        raise ChatRuleError("not_found", NO_DEPARTMENT)
    await check_scope(conn, actor, action, department_id)
    return dept


async def goals_of(*, ctx: Context, actor: AgentActor, department_id: int) -> dict[str, Any]:
    """GET /api/v1/departments/{id}/goals: the department's goals and the metrics a goal can have."""
    require(actor.role, "report.view")
    async with ctx.db.read() as conn:
        dept = await _department(conn, actor, "report.view", department_id)
        rows = await goal_store.goals(conn, department_id)
    return {
        "department": {"id": dept.id, "slug": dept.slug, "name": dept.name},
        "goals": [goal_payload(r) for r in rows if r.metric in GOAL_METRICS],
        "metrics": _metrics(),
    }


async def do_set_goals(*, ctx: Context, actor: AgentActor, department_id: int, goals: object) -> dict[str, Any]:
    """PUT /api/v1/departments/{id}/goals: the department's whole set of goals (an empty list
    removes them), audit-logged."""
    require(actor.role, "goal.manage")
    items = check_goals(goals)
    async with unit_of_work(ctx) as (conn, _outbox):
        dept = await department_store.department(conn, department_id, lock=True)
        if dept is None:
            raise ChatRuleError("not_found", NO_DEPARTMENT)
        await check_scope(conn, actor, "goal.manage", department_id)
        await goal_store.replace_goals(conn, department_id, items, at=utcnow(), by=actor.id)
        await record_audit(
            conn,
            actor,
            "department.goals",
            ("department", department_id),
            {"goals": [{"metric": g.metric, "target": g.target, "seconds": g.seconds} for g in items]},
        )
    return await goals_of(ctx=ctx, actor=actor, department_id=department_id)


def figure(goal: Goal, sums: dict[str, float]) -> float | None:
    value = goal_figure(goal, sums)
    return None if value is None else round(value, 4)


async def goals_report(
    *,
    ctx: Context,
    actor: AgentActor,
    department_id: int | None,
    agent_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
) -> dict[str, Any]:
    """GET /api/v1/reports/goals: per local day of the range each goal's actual figure against its
    target, met or missed (null: no figure that day), and the whole range's figure. Read from the
    hourly roll-ups (percentiles interpolated in their buckets: `approx`). An agent's figures are
    their own chats' (reports.report_scope); `agent` narrows a lead's view the same way."""
    require(actor.role, "report.view")
    if department_id is None:
        raise ChatRuleError("bad_request", "department: goals are per department; choose one", field="department")
    async with ctx.db.read() as conn:
        scope = await reports.report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await reports.report_range(conn, scope, since=since, until=until, tz=tz)
        dept = await department_store.department(conn, department_id)
        goal_rows = [r for r in await goal_store.goals(conn, department_id) if r.metric in GOAL_METRICS]
        local_days = await report_store.rollup_sums_local(  # grouped by local day in SQL
            conn,
            stretches=rng.stretches(),
            by="day",
            department_ids=(department_id,),
            agent_id=scope.agent_id,
            columns=GOAL_COLUMNS,
        )
    days = rng.buckets("day")
    per_day: dict[str, dict[str, float]] = {d: {} for d in days}
    total: dict[str, float] = {}
    for row in local_days:
        add_sums(per_day.setdefault(row["key"], {}), row, GOAL_COLUMNS)
        add_sums(total, row, GOAL_COLUMNS)
    out_goals = []
    for row in goal_rows:
        goal = Goal(row.metric, row.target, row.seconds)
        series = []
        for day in days:
            actual = figure(goal, per_day[day])
            series.append({"day": day, "actual": actual, "met": is_met(goal.metric, actual, goal.target)})
        actual = figure(goal, total)
        out_goals.append(
            {
                **goal_payload(row),
                "actual": actual,
                "met": is_met(goal.metric, actual, goal.target),
                "days_missed": sum(1 for d in series if d["met"] is False),
                "days": series,
            }
        )
    assert dept is not None
    return {
        "range": rng.as_dict(),
        "department": {"id": dept.id, "slug": dept.slug, "name": dept.name},
        "agent_id": scope.agent_id,
        "approx": True,
        "goals": out_goals,
        "definitions": {g["metric"]: GOAL_METRICS[g["metric"]].definition for g in out_goals},
    }
