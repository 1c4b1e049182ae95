"""The home dashboard and the agents' activity reports (issue 14; docs/architecture/analytics.md,
"Dashboard" and "Agent activity"). Scope and range as every report: actions/reports.report_scope
and report_range (`report.view`: supervisors their departments, agents their own figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from frontdesk.actions import reports
from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain.activity import Hours, agent_hours, segments
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.dates import parse_day
from frontdesk.domain.goals import is_met
from frontdesk.domain.live_view import LiveQuery
from frontdesk.domain.metrics import definitions, service_level_of, summarize_values
from frontdesk.domain.report_params import check_tz, local_midnight, parse_range
from frontdesk.permissions import require
from frontdesk.store import activity_store, goal_store, live_store, report_store, user_store

DEFAULT_SERVICE_SECONDS = 30  # the dashboard's service level without a goal (one of metric_buckets.EDGES)
ACTIVITY_METRICS = ("online_hours", "chatting_hours", "idle_hours", "concurrency")


def _window(counts: dict[str, int], firsts: list[float], seconds: int) -> dict[str, Any]:
    return {
        **counts,
        "service_level": service_level_of(firsts, seconds),
        "first_response_p50": summarize_values(firsts)["p50"],
    }


async def dashboard(
    *, ctx: Context, actor: AgentActor, department_id: int | None, tz: str | None = None
) -> dict[str, Any]:
    """GET /api/v1/reports/dashboard: now (visitors online, chats in progress, waiting, the longest
    wait, agents by status, today's service level against the department's goal) and today so far
    against the same weekday last week up to the same local time. A handful of indexed queries:
    the console polls it every 30 s."""
    now = utcnow()
    async with ctx.db.read() as conn:
        scope = await reports.report_scope(conn, actor, department_id=department_id, agent_id=None)
        default_tz = "UTC"
        if department_id is not None:
            default_tz = (await report_store.department_timezone(conn, department_id))[1] or "UTC"
        zone_name = tz or default_tz
        zone = check_tz(zone_name)
        goal = None
        if department_id is not None:
            goal = next((g for g in await goal_store.goals(conn, department_id) if g.metric == "service_level"), None)
        seconds = goal.seconds if goal is not None and goal.seconds else DEFAULT_SERVICE_SECONDS
        departments = scope.department_ids
        visitors = None
        if not scope.own_only:  # visitors are no agent's own figure
            counts = await live_store.live_counters(
                conn,
                now=now,
                query=LiveQuery(department=department_id),
                departments=None if departments is None else frozenset(departments),
            )
            visitors = counts["total"] if department_id is not None else counts["online"]
        chats = await goal_store.open_chats_now(conn, department_ids=departments, agent_id=scope.agent_id)
        statuses = await goal_store.agent_statuses(conn, department_ids=departments, agent_id=scope.agent_id)
        local_now = now.astimezone(zone)
        windows = []
        for weeks_ago in (0, 1):
            day = local_now.date() - timedelta(days=7 * weeks_ago)
            start = local_midnight(day, zone)
            # the same local wall time that day (a time skipped by a DST change reads as the one after it)
            end = datetime.combine(day, local_now.time().replace(tzinfo=None), tzinfo=zone).astimezone(UTC)
            counts_, firsts = await goal_store.fact_window(
                conn,
                start=start,
                end=max(start, end),
                hour_start=start.replace(minute=0, second=0, microsecond=0),
                department_ids=departments,
                agent_id=scope.agent_id,
            )
            windows.append((day, _window(counts_, firsts, seconds)))
    oldest = as_utc(chats["oldest"])
    today = windows[0][1]
    return {
        "at": iso(now),
        "tz": zone_name,
        "department_id": department_id,
        "agent_id": scope.agent_id,
        "now": {
            "visitors_online": visitors,
            "chats_in_progress": chats["in_progress"],
            "waiting": chats["waiting"],
            "longest_wait_s": None if oldest is None else max(0.0, round((now - oldest).total_seconds(), 1)),
            "agents": {s: statuses.get(s, 0) for s in ("online", "away", "offline")},
            "service_level": {
                "seconds": seconds,
                "actual": today["service_level"],
                "target": None if goal is None else goal.target,
                "met": None if goal is None else is_met("service_level", today["service_level"], goal.target),
            },
        },
        "today": {"day": windows[0][0].isoformat(), **today},
        "last_week": {"day": windows[1][0].isoformat(), **windows[1][1]},
        "definitions": definitions(("chats", "answered", "missed", "service_level", "first_response")),
    }


def _hours(h: Hours) -> dict[str, Any]:
    return {
        "online_s": round(h.online_s, 1),
        "away_s": round(h.away_s, 1),
        "chatting_s": round(h.chatting_s, 1),
        "idle_s": round(h.idle_s, 1),
        "concurrency": None if h.concurrency is None else round(h.concurrency, 3),
    }


async def activity_report(
    *,
    ctx: Context,
    actor: AgentActor,
    department_id: int | None = None,
    agent_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
) -> dict[str, Any]:
    """GET /api/v1/reports/activity: per agent their online, away, chatting and idle seconds and
    concurrency over the range (local days in tz; the part of the range still to come counts
    nothing), from the agent_activity rows (domain/activity.py)."""
    now = utcnow()
    async with ctx.db.read() as conn:
        scope = await reports.report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await reports.report_range(conn, scope, since=since, until=until, tz=tz)
        who = await goal_store.people(conn, department_ids=scope.department_ids, agent_id=scope.agent_id)
        end = min(rng.end, max(rng.start, now))
        rows = await activity_store.activity_between(conn, [p.id for p in who], rng.start, end)
    agents = []
    for person in who:
        if person.id not in rows and not person.active:
            continue  # a deactivated user with nothing in the range
        hours = agent_hours(segments(rows.get(person.id, []), rng.start, end))
        agents.append({"agent": {"id": person.id, "name": person.name}, **_hours(hours)})
    return {"range": rng.as_dict(), "agents": agents, "definitions": definitions(ACTIVITY_METRICS)}


async def agent_timeline(
    *, ctx: Context, actor: AgentActor, agent_id: int, day: str | None, tz: str | None = None
) -> dict[str, Any]:
    """GET /api/v1/reports/agents/{id}/timeline: the agent's segments of one local day (status and
    load, with the reason that began each), clipped at now, and that day's hours."""
    require(actor.role, reports.VIEW)
    parse_day(day, "day")
    now = utcnow()
    async with ctx.db.read() as conn:
        name = await user_store.user_name(conn, agent_id)
        if name is None:
            raise ChatRuleError("not_found", "No such agent.")
        scope = await reports.report_scope(conn, actor, department_id=None, agent_id=agent_id)
        zone = check_tz(tz or "UTC")
        rng = parse_range(day, day, tz or "UTC", today=now.astimezone(zone).date())
        end = min(rng.end, max(rng.start, now))
        rows = await activity_store.activity_between(conn, [agent_id], rng.start, end)
    segs = segments(rows.get(agent_id, []), rng.start, end)
    return {
        "agent": {"id": agent_id, "name": name},
        "day": rng.first.isoformat(),
        "tz": rng.tz,
        "start": iso(rng.start),
        "end": iso(rng.end),
        "until": iso(end),
        "own_only": scope.own_only,
        "segments": [
            {"start": iso(s.start), "end": iso(s.end), "status": s.status, "load": s.load, "reason": s.reason}
            for s in segs
        ],
        **_hours(agent_hours(segs)),
        "definitions": definitions(ACTIVITY_METRICS),
    }
