"""The analytics reports (issue 14): summary, volume, times, agents, departments, transfers,
heatmap and the chats behind a figure (docs/api.md "Reports", docs/architecture/analytics.md).

Every report starts the same way: `report_scope` turns who asks (`report.view`) and the
`department` / `agent` asked for into the filter the queries apply, or a 403 naming the field;
`report_range` turns `from` / `to` / `tz` into a ReportRange (domain/report_params.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import AgentActor
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.report_params import ReportRange, check_tz, parse_range
from frontdesk.permissions import department_scoped, own_figures_only, require
from frontdesk.store import department_store, report_store

VIEW = "report.view"


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What a report may count. `department_ids`: the departments whose chats count (None: every
    department, chats of no department included); `agent_id`: only the chats credited to this
    agent (None: every agent); `own_only`: the actor is an agent forced to their own figures."""

    department_ids: tuple[int, ...] | None
    agent_id: int | None
    own_only: bool = False
    department_id: int | None = None  # the one department asked for, if any


def _forbidden(field: str, message: str) -> ChatRuleError:
    return ChatRuleError("forbidden", f"{field}: {message}", field=field)


async def report_scope(
    conn: AsyncConnection, actor: AgentActor, *, department_id: int | None, agent_id: int | None
) -> ReportScope:
    """The filter of a report for this actor (docs/permissions.md `report.view`): admins and
    managers anything; supervisors their departments (another department: 403 `department`; an
    agent who works in none of them: 403 `agent`); agents themselves only (another agent: 403
    `agent`; `department` narrows their own chats). An unknown department or agent is a 400."""
    require(actor.role, VIEW)
    if department_id is not None and not (await report_store.department_timezone(conn, department_id))[0]:
        raise ChatRuleError("bad_request", "department: no such department", field="department")
    one = (department_id,) if department_id is not None else None
    if own_figures_only(actor.role, VIEW):
        if agent_id is not None and agent_id != actor.id:
            raise _forbidden("agent", "agents see their own figures only")
        return ReportScope(one, actor.id, own_only=True, department_id=department_id)
    if agent_id is not None and agent_id != actor.id and not await report_store.user_exists(conn, agent_id):
        raise ChatRuleError("bad_request", "agent: no such user", field="agent")
    if not department_scoped(actor.role, VIEW):
        return ReportScope(one, agent_id, department_id=department_id)
    mine = set(await department_store.departments_of_user(conn, actor.id))
    if department_id is not None and department_id not in mine:
        raise _forbidden("department", "you see the figures of your own departments only")
    others = agent_id is not None and agent_id != actor.id
    if others and not mine & set(await department_store.departments_of_user(conn, agent_id or 0)):
        raise _forbidden("agent", "this agent works in none of your departments")
    return ReportScope(one or tuple(sorted(mine)), agent_id, department_id=department_id)


async def report_range(
    conn: AsyncConnection,
    scope: ReportScope,
    *,
    since: str | None,
    until: str | None,
    tz: str | None,
    interval: str | None = None,
) -> ReportRange:
    """`from` / `to` / `tz` as a ReportRange. No `tz`: the time zone of the department asked
    for (its business hours'), else UTC. No `to`: today in that zone; no `from`: 7 days."""
    default_tz = "UTC"
    if scope.department_id is not None:
        default_tz = (await report_store.department_timezone(conn, scope.department_id))[1] or "UTC"
    zone = check_tz(tz or default_tz)
    today = utcnow().astimezone(zone).date()
    return parse_range(since, until, tz, today=today, default_tz=default_tz, interval=interval)
