"""The analytics reports (issue 14): summary, volume, times, agents, departments, transfers,
heatmap and the chats behind a figure (docs/api.md "Reports", docs/architecture/analytics.md).

Every report starts the same way: `report_scope` turns who asks (`report.view`) and the
`department` / `agent` asked for into the filter the queries apply, or a 403 naming the field;
`report_range` turns `from` / `to` / `tz` into a ReportRange (domain/report_params.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain.activity import agent_hours, segments
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.dates import parse_day
from frontdesk.domain.escalation import REASONS as ESCALATION_REASONS
from frontdesk.domain.metric_buckets import DURATION_METRICS, EDGES
from frontdesk.domain.metrics import (
    EXACT_LIMIT,
    ROLLUP_COLUMNS,
    add_increments,
    definitions,
    duration_buckets,
    duration_values,
    empty_rollup,
    rollup_increments,
    service_level,
    service_level_of,
    summarize_rollup,
    summarize_values,
)
from frontdesk.domain.report_params import ReportRange, check_interval, check_tz, parse_range
from frontdesk.permissions import department_scoped, own_figures_only, require
from frontdesk.store import activity_store, department_store, report_store

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


# -- the time budget ------------------------------------------------------------------------------
REPORT_BUDGET_S = 20.0  # a report that takes longer answers 503, never a silent time-out


@asynccontextmanager
async def _read(ctx: Context) -> AsyncIterator[AsyncConnection]:
    """A read connection under the report time budget."""
    try:
        async with asyncio.timeout(REPORT_BUDGET_S), ctx.db.read() as conn:
            yield conn
    except TimeoutError:
        raise ChatRuleError(
            "unavailable",
            f"The report took longer than {REPORT_BUDGET_S:g} s and was stopped; "
            "choose a shorter range, a department or an agent.",
        ) from None


# -- figures of a group of chats --------------------------------------------------------------------
SUMMED = ROLLUP_COLUMNS
COUNTS = ("chats", "answered", "missed", "dropped", "transfers", "escalations")
SHARE_KEYS = ("service_level", "satisfaction", "rating_average", "review_score")
ACTIVITY_KEYS = ("online_hours", "chatting_hours", "idle_hours")  # seconds; the summary leaves them null
SERVICE_SECONDS = 30


class _Groups:
    """Chats summed per key (a bucket, an agent, a department, a heatmap cell): from roll-up rows
    (histogram buckets, approximate percentiles) or from per-chat facts (exact values)."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.totals: dict[Any, dict[str, float]] = {}
        self.values: dict[Any, dict[str, list[float]]] = {}

    def add_rollup(self, key: Any, row: dict[str, Any]) -> None:
        add_increments(self.totals.setdefault(key, empty_rollup()), {c: row[c] for c in SUMMED if row.get(c)})

    def add_fact(self, key: Any, fact: dict[str, Any]) -> None:
        add_increments(self.totals.setdefault(key, empty_rollup()), rollup_increments(fact))
        values = self.values.setdefault(key, {m: [] for m in (*DURATION_METRICS, "concurrency")})
        for metric, value in duration_values(fact).items():
            if value is not None:
                values[metric].append(float(value))
        if fact.get("concurrency") is not None:
            values["concurrency"].append(float(fact["concurrency"]))

    def figures(self, key: Any, seconds: int) -> dict[str, Any]:
        return figures_of(self.totals.get(key) or empty_rollup(), self.values.get(key) if self.exact else None, seconds)


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _empty_values() -> dict[str, list[float]]:
    return {m: [] for m in (*DURATION_METRICS, "concurrency")}


def figures_of(total: dict[str, float], values: dict[str, list[float]] | None, seconds: int) -> dict[str, Any]:
    """Every chat figure of a group: counts, duration summaries (exact from `values`, else from
    the roll-up buckets), service level, satisfaction, review score."""
    out: dict[str, Any] = {k: int(total.get(k) or 0) for k in COUNTS}
    if values is not None or total.get("chats", 0) == 0:
        values = values or _empty_values()
        for metric in DURATION_METRICS:
            out[metric] = summarize_values(values[metric])
        out["concurrency"] = summarize_values(values["concurrency"])
        level = service_level_of(values["first_response"], seconds)
    else:
        for metric in DURATION_METRICS:
            out[metric] = summarize_rollup(total, metric)
        out["concurrency"] = None  # kept per chat only: exact ranges (EXACT_LIMIT) show it
        level = service_level(duration_buckets(total, "first_response"), seconds)
    out["service_level"] = {"seconds": seconds, "value": level, "answered": int(total.get("first_response_n") or 0)}
    rated, reviewed = int(total.get("rated") or 0), int(total.get("reviewed") or 0)
    out["rated"] = rated
    out["satisfaction"] = _share(total.get("rating_good") or 0, rated)
    out["rating_average"] = _share(total.get("rating_sum") or 0, rated)
    out["reviewed"] = reviewed
    out["review_score"] = _share(total.get("review_sum") or 0, reviewed)
    out["invited"] = int(total.get("invited") or 0)
    return out


def check_seconds(value: object) -> int:
    """`seconds` of the service level: one of the bucket edges (default 30)."""
    if value is None or value == "":
        return SERVICE_SECONDS
    try:
        seconds = int(str(value))
    except ValueError:
        seconds = -1
    if seconds not in EDGES:
        raise ChatRuleError(
            "bad_request", "seconds: must be one of " + ", ".join(str(e) for e in EDGES), field="seconds"
        )
    return seconds


async def _is_exact(conn: AsyncConnection, scope: ReportScope, rng: ReportRange) -> bool:
    n = await report_store.count_chats(
        conn, hour_from=rng.hour_from, hour_to=rng.hour_to, department_ids=scope.department_ids, agent_id=scope.agent_id
    )
    return n <= EXACT_LIMIT


async def _grouped(
    conn: AsyncConnection,
    scope: ReportScope,
    rng: ReportRange,
    key: Callable[[dict[str, Any]], Any],
    group_by: tuple[str, ...],
    columns: tuple[str, ...] = SUMMED,
    local: tuple[str, Callable[[Any], Any]] | None = None,
) -> _Groups:
    """The chats of the range summed per `key(row)` (a row has hour_at / department_id / agent_id):
    exact from chat_facts up to EXACT_LIMIT chats, else from metric_hours grouped by `group_by`
    (only `columns` summed: a report that needs few figures reads few). `local` = (by, local_key):
    the roll-ups grouped in SQL by local day or weekday x hour (report_store.rollup_sums_local)
    instead of per UTC hour, each row's group being `local_key(row["key"])` - the same groups
    `key` gives, read as a few hundred rows rather than 8,760 a year."""
    exact = await _is_exact(conn, scope, rng)
    groups = _Groups(exact)
    if exact:
        for fact in await report_store.fact_rows(
            conn,
            hour_from=rng.hour_from,
            hour_to=rng.hour_to,
            department_ids=scope.department_ids,
            agent_id=scope.agent_id,
        ):
            fact["department_id"] = fact["department_id"] or 0
            fact["agent_id"] = fact["agent_id"] or 0
            groups.add_fact(key(fact), fact)
    elif local is not None:
        by, local_key = local
        for row in await report_store.rollup_sums_local(
            conn,
            stretches=rng.stretches(),
            by=by,
            department_ids=scope.department_ids,
            agent_id=scope.agent_id,
            columns=columns,
        ):
            groups.add_rollup(local_key(row["key"]), row)
    else:
        for row in await report_store.rollup_sums(
            conn,
            hour_from=rng.hour_from,
            hour_to=rng.hour_to,
            department_ids=scope.department_ids,
            agent_id=scope.agent_id,
            columns=columns,
            group_by=group_by,
        ):
            groups.add_rollup(key(row), row)
    return groups


def _definitions(*keys: str) -> dict[str, str]:
    return definitions(keys)


FIGURE_KEYS = (
    "chats",
    "answered",
    "missed",
    "dropped",
    *DURATION_METRICS,
    "concurrency",
    "transfers",
    "escalations",
    "service_level",
    "satisfaction",
    "rating_average",
    "review_score",
)
SUMMARY_KEYS = (
    *FIGURE_KEYS,
    "offline_messages",
    "invitations_sent",
    "invitations_accepted",
    *ACTIVITY_KEYS,
)


def _whole(_row: dict[str, Any]) -> str:
    return "all"


# -- summary ----------------------------------------------------------------------------------------
async def _summary_figures(conn: AsyncConnection, scope: ReportScope, rng: ReportRange, seconds: int) -> dict[str, Any]:
    groups = await _grouped(conn, scope, rng, _whole, ())
    figures = groups.figures("all", seconds)
    if scope.agent_id is None:  # an offline message has no agent
        figures["offline_messages"] = await report_store.count_offline_messages(
            conn, start=rng.start, end=rng.end, department_ids=scope.department_ids
        )
    else:
        figures["offline_messages"] = None
    sent, accepted = await report_store.invitation_counts(
        conn, start=rng.start, end=rng.end, department_ids=scope.department_ids, agent_id=scope.agent_id
    )
    figures["invitations_sent"] = sent
    figures["invitations_accepted"] = accepted
    for key in ACTIVITY_KEYS:
        figures[key] = None
    return {"range": rng.as_dict(), "exact": groups.exact, "figures": figures}


async def summary_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    seconds: object = None,
) -> dict[str, Any]:
    """Every figure of the range (docs/metrics.md) with the previous period beside it."""
    level = check_seconds(seconds)
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz)
        body = await _summary_figures(conn, scope, rng, level)
        body["previous"] = await _summary_figures(conn, scope, rng.previous, level)
    body["definitions"] = _definitions(*SUMMARY_KEYS)
    return body


def _day_bucket(day: str, interval: str) -> str:
    """A local day's bucket: itself, or the Monday of its week (ReportRange.bucket_key)."""
    if interval != "week":
        return day
    one = date.fromisoformat(day)
    return (one - timedelta(days=one.weekday())).isoformat()


# -- volume -----------------------------------------------------------------------------------------
VOLUME_KEYS = ("chats", "answered", "missed", "dropped")


async def _volume(conn: AsyncConnection, scope: ReportScope, rng: ReportRange, interval: str) -> dict[str, Any]:
    groups = await _grouped(
        conn,
        scope,
        rng,
        lambda r: rng.bucket_key(r["hour_at"], interval),
        ("hour_at",),
        VOLUME_KEYS,
        None if interval == "hour" else ("day", lambda day: _day_bucket(day, interval)),
    )
    offline: dict[str, int] = {}
    if scope.agent_id is None:
        for at in await report_store.offline_message_times(
            conn, start=rng.hour_from, end=rng.hour_to, department_ids=scope.department_ids
        ):
            key = rng.bucket_key(as_utc(at), interval)
            offline[key] = offline.get(key, 0) + 1
    buckets = []
    for key in rng.buckets(interval):
        total = groups.totals.get(key) or {}
        row: dict[str, Any] = {"start": key, **{k: int(total.get(k) or 0) for k in VOLUME_KEYS}}
        row["offline_messages"] = offline.get(key, 0) if scope.agent_id is None else None
        buckets.append(row)
    totals = {k: sum(b[k] for b in buckets) for k in VOLUME_KEYS}
    totals["offline_messages"] = sum(offline.values()) if scope.agent_id is None else None
    return {"range": rng.as_dict(), "interval": interval, "totals": totals, "buckets": buckets}


async def volume_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    interval: object = None,
) -> dict[str, Any]:
    """Chats started, answered, missed, dropped and offline messages per local hour, day or week."""
    step = check_interval(interval, ("hour", "day", "week"))
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz, interval=step)
        body = await _volume(conn, scope, rng, step)
        body["previous"] = await _volume(conn, scope, rng.previous, step)
    body["definitions"] = _definitions(*VOLUME_KEYS, "offline_messages")
    return body


# -- response and wait times ------------------------------------------------------------------------
TIME_KEYS = (*DURATION_METRICS, "concurrency")
# The roll-up columns the times read: the duration counts, sums and buckets (and `chats`).
TIME_COLUMNS = ("chats", *(c for c in SUMMED if c.startswith(tuple(f"{m}_" for m in DURATION_METRICS))))


async def _times(
    conn: AsyncConnection, scope: ReportScope, rng: ReportRange, interval: str, seconds: int
) -> dict[str, Any]:
    groups = await _grouped(
        conn,
        scope,
        rng,
        lambda r: rng.bucket_key(r["hour_at"], interval),
        ("hour_at",),
        TIME_COLUMNS,
        ("day", lambda day: _day_bucket(day, interval)),
    )
    buckets = []
    for key in rng.buckets(interval):
        figures = groups.figures(key, seconds)
        buckets.append({"start": key, "service_level": figures["service_level"], **{k: figures[k] for k in TIME_KEYS}})
    whole = _Groups(groups.exact)  # the range as one group: the buckets merged
    for key, total in groups.totals.items():
        add_increments(whole.totals.setdefault("all", empty_rollup()), total)
        if groups.exact:
            merged = whole.values.setdefault("all", _empty_values())
            for metric, values in groups.values.get(key, {}).items():
                merged[metric].extend(values)
    figures = whole.figures("all", seconds)
    return {
        "range": rng.as_dict(),
        "interval": interval,
        "exact": groups.exact,
        "totals": {"service_level": figures["service_level"], **{k: figures[k] for k in TIME_KEYS}},
        "buckets": buckets,
    }


async def times_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    interval: object = None,
    seconds: object = None,
) -> dict[str, Any]:
    """Median, 90th percentile, mean and count of each duration per local day or week."""
    step = check_interval(interval, ("day", "week"))
    level = check_seconds(seconds)
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz, interval=step)
        body = await _times(conn, scope, rng, step, level)
        previous = await _times(conn, scope, rng.previous, step, level)
    body["previous"] = {k: previous[k] for k in ("range", "exact", "totals")}
    body["definitions"] = _definitions(*TIME_KEYS, "service_level")
    return body


# -- per agent, per department ----------------------------------------------------------------------
ROW_KEYS = FIGURE_KEYS


async def _per(
    conn: AsyncConnection, scope: ReportScope, rng: ReportRange, column: str, seconds: int
) -> dict[str, Any]:
    groups = await _grouped(conn, scope, rng, lambda r: int(r[column] or 0), (column,))
    return {
        "range": rng.as_dict(),
        "exact": groups.exact,
        "groups": {k: groups.figures(k, seconds) for k in groups.totals},
    }


async def _activity_hours(conn: AsyncConnection, agent_ids: list[int], rng: ReportRange) -> dict[int, dict[str, Any]]:
    """Each agent's online, chatting and idle seconds over the range up to now, from their
    status and load changes (store/activity_store, domain/activity: the agents' activity report's
    figures). Agents without any recorded change are left out (null in the answer)."""
    if not agent_ids:
        return {}
    end = min(rng.end, max(rng.start, utcnow()))
    rows = await activity_store.activity_between(conn, agent_ids, rng.start, end)
    out = {}
    for agent, changes in rows.items():
        h = agent_hours(segments(changes, rng.start, end))
        out[agent] = {"online_hours": h.online_s, "chatting_hours": h.chatting_s, "idle_hours": h.idle_s}
    return out


async def agents_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    seconds: object = None,
) -> dict[str, Any]:
    """The leaderboard: every figure per credited agent (the chat's last assignee; `agent` null:
    chats no agent held, e.g. missed ones), busiest first, with their online, chatting and idle
    seconds (`*_hours`, in seconds like every duration; null without recorded activity, and for
    ranges read from the roll-ups)."""
    level = check_seconds(seconds)
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz)
        now = await _per(conn, scope, rng, "agent_id", level)
        before = await _per(conn, scope, rng.previous, "agent_id", level)
        found = await report_store.names(conn, user_ids=set(now["groups"]) | set(before["groups"]), department_ids=())
        # Status and load changes are about two rows per chat: read for ranges of exact size only
        # (a year of a busy site would read millions); above it the hours stay null and the
        # agents' activity report (/reports/activity) is the place for them.
        hours = {
            "now": await _activity_hours(conn, [a for a in now["groups"] if a], rng) if now["exact"] else {},
            "before": await _activity_hours(conn, [a for a in before["groups"] if a], rng.previous)
            if before["exact"]
            else {},
        }

    def rows(part: dict[str, Any], when: str) -> list[dict[str, Any]]:
        out = []
        for agent, figures in part["groups"].items():
            ref = {"id": agent, "name": found["users"].get(agent)} if agent else None
            out.append({"agent": ref, **figures, **hours[when].get(agent, dict.fromkeys(ACTIVITY_KEYS))})
        return sorted(out, key=lambda r: (-r["chats"], (r["agent"] or {}).get("name") or "~"))

    return {
        "range": now["range"],
        "exact": now["exact"],
        "agents": rows(now, "now"),
        "previous": {"range": before["range"], "exact": before["exact"], "agents": rows(before, "before")},
        "definitions": _definitions(*ROW_KEYS, *ACTIVITY_KEYS),
    }


async def departments_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    seconds: object = None,
) -> dict[str, Any]:
    """Every figure per department (the chat's department when it closed), busiest first."""
    level = check_seconds(seconds)
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz)
        now = await _per(conn, scope, rng, "department_id", level)
        before = await _per(conn, scope, rng.previous, "department_id", level)
        found = await report_store.names(conn, user_ids=(), department_ids=set(now["groups"]) | set(before["groups"]))

    def rows(part: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for dept, figures in part["groups"].items():
            slug, name = found["departments"].get(dept, (None, None))
            ref = {"id": dept, "slug": slug, "name": name} if dept else None
            out.append({"department": ref, **figures})
        return sorted(out, key=lambda r: (-r["chats"], (r["department"] or {}).get("name") or "~"))

    return {
        "range": now["range"],
        "exact": now["exact"],
        "departments": rows(now),
        "previous": {"range": before["range"], "exact": before["exact"], "departments": rows(before)},
        "definitions": _definitions(*ROW_KEYS),
    }


# -- transfers and escalations by reason -------------------------------------------------------------
TRANSFER_REASONS = {
    "to_agent": "Transferred to another agent",
    "to_department": "Transferred to another department",
    "taken_over": "Taken over by a supervisor",
}


def _moves(rows: list[Any], scope: ReportScope) -> dict[str, Any]:
    """Counted by kind and reason; a move counts in the department scope when it left or reached
    one of the departments, and for an agent when they handed the chat on or received it."""
    reasons: dict[tuple[str, str], int] = {}
    levels: dict[int, int] = {}
    routes: dict[tuple[int, int], int] = {}
    totals = {"transfers": 0, "escalations": 0, "taken_over": 0}
    for kind, _chat_id, department_id, agent_id, data in rows:
        data = data if isinstance(data, dict) else {}
        from_dept = data.get("from_department_id")
        from_agent = data.get("from_agent_id")
        if scope.department_ids is not None and not {department_id, from_dept} & set(scope.department_ids):
            continue
        if scope.agent_id is not None and scope.agent_id not in (agent_id, from_agent):
            continue
        if kind == "transferred":
            totals["transfers"] += 1
            reason = "to_department" if from_dept is not None and from_dept != department_id else "to_agent"
            key = ("transfer", reason)
            if reason == "to_department":
                route = (int(from_dept or 0), int(department_id or 0))
                routes[route] = routes.get(route, 0) + 1
        elif kind == "escalated":
            totals["escalations"] += 1
            key = ("escalation", str(data.get("reason") or "other"))
            if isinstance(data.get("to_level"), int):
                levels[data["to_level"]] = levels.get(data["to_level"], 0) + 1
        else:
            totals["taken_over"] += 1
            key = ("take_over", "taken_over")
        reasons[key] = reasons.get(key, 0) + 1
    return {
        "totals": totals,
        "reasons": [
            {"type": t, "reason": r, "label": ESCALATION_REASONS.get(r) or TRANSFER_REASONS.get(r, r), "count": n}
            for (t, r), n in sorted(reasons.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
        ],
        "levels": [{"to_level": lv, "count": n} for lv, n in sorted(levels.items())],
        "routes": [
            {"from_department_id": a or None, "to_department_id": b or None, "count": n}
            for (a, b), n in sorted(routes.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


async def transfers_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
) -> dict[str, Any]:
    """Transfers (to another agent / department, and between which departments), escalations by
    reason and level, and take-overs, made in the range (routing_log)."""
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz)
        now = _moves(await report_store.routing_moves(conn, start=rng.start, end=rng.end), scope)
        prev_rng = rng.previous
        before = _moves(await report_store.routing_moves(conn, start=prev_rng.start, end=prev_rng.end), scope)
        ids = {r[k] for r in now["routes"] for k in ("from_department_id", "to_department_id") if r[k]}
        found = await report_store.names(conn, user_ids=(), department_ids=ids)
    for route in now["routes"]:
        for k in ("from_department_id", "to_department_id"):
            route[k.removesuffix("_id") + "_name"] = found["departments"].get(route[k], (None, None))[1]
    return {
        "range": rng.as_dict(),
        **now,
        "previous": {"range": prev_rng.as_dict(), **before},
        "definitions": _definitions("transfers", "escalations"),
    }


# -- heatmap -----------------------------------------------------------------------------------------
HEATMAP_METRICS = ("chats", "missed", "wait_p90")


async def _heatmap(conn: AsyncConnection, scope: ReportScope, rng: ReportRange, metric: str) -> dict[str, Any]:
    def cell(row: dict[str, Any]) -> tuple[int, int]:
        local = rng.local(row["hour_at"])
        return local.weekday(), local.hour

    wait = tuple(c for c in SUMMED if c.startswith("queue_wait_"))
    groups = await _grouped(conn, scope, rng, cell, ("hour_at",), ("chats", "missed", *wait), ("cell", tuple))
    values: list[list[float | None]] = []
    counts: list[list[int]] = []
    for day in range(7):
        values.append([])
        counts.append([])
        for hour in range(24):
            figures = groups.figures((day, hour), SERVICE_SECONDS)
            counts[day].append(figures["chats"])
            if metric == "wait_p90":
                values[day].append(figures["queue_wait"]["p90"])
            else:
                values[day].append(figures[metric])
    return {"range": rng.as_dict(), "exact": groups.exact, "values": values, "chats": counts}


async def heatmap_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    metric: object = None,
) -> dict[str, Any]:
    """7 local weekdays (Monday first) x 24 local hours of chats, missed chats or the queue
    wait's 90th percentile."""
    what = "chats" if metric is None or metric == "" else metric
    if what not in HEATMAP_METRICS:
        raise ChatRuleError("bad_request", "metric: must be one of " + ", ".join(HEATMAP_METRICS), field="metric")
    assert isinstance(what, str)
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz)
        body = await _heatmap(conn, scope, rng, what)
        previous = await _heatmap(conn, scope, rng.previous, what)
    body["metric"] = what
    body["weekdays"] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    body["previous"] = previous
    body["definitions"] = _definitions("chats", "missed", "queue_wait")
    return body


# -- the chats behind a figure -------------------------------------------------------------------------
DRILL_LIMIT = 200


def _drill_int(value: object, field: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ChatRuleError("bad_request", f"{field}: must be a whole number from {low} to {high}", field=field)
    return number


def _outcome(row: Any) -> str:
    return "missed" if row.missed else "dropped" if row.dropped else "answered" if row.answered else "other"


def _drill_row(row: Any) -> dict[str, Any]:
    return {
        "id": row.chat_id,
        "started_at": iso(as_utc(row.started_at)),
        "ended_at": iso(as_utc(row.ended_at)),
        "department": None
        if row.department_id is None
        else {"id": row.department_id, "slug": row.department_slug, "name": row.department_name},
        "agent": None if row.agent_id is None else {"id": row.agent_id, "name": row.agent_name},
        "visitor": {"id": row.visitor_id, "name": row.visitor_name},
        "outcome": _outcome(row),
        "queue_wait_s": row.queue_wait_s,
        "first_response_s": row.first_response_s,
        "reply_mean_s": (row.reply_sum_s / row.reply_n) if row.reply_n else None,
        "reply_max_s": row.reply_max_s,
        "handle_s": row.handle_s,
        "duration_s": row.duration_s,
        "transfers": row.transfers,
        "escalations": row.escalations,
        "rating": row.rating,
        "review_score": row.review_score,
        "transcript": f"/api/v1/chats/{row.chat_id}/transcript.html",
    }


async def chats_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    tz: str | None = None,
    department_id: int | None = None,
    agent_id: int | None = None,
    outcome: object = None,
    metric: object = None,
    min_s: object = None,
    weekday: object = None,
    hour: object = None,
    day: object = None,
    before: object = None,
    limit: object = None,
) -> dict[str, Any]:
    """The closed chats behind a figure, newest first, `limit` at a time (`next_before` pages on):
    by outcome, slower than `min_s` in a duration `metric`, in a local `weekday` x `hour` cell, on
    a local `day`."""
    kind = "all" if outcome is None or outcome == "" else outcome
    if kind not in report_store.OUTCOMES:
        raise ChatRuleError(
            "bad_request", "outcome: must be one of " + ", ".join(report_store.OUTCOMES), field="outcome"
        )
    assert isinstance(kind, str)
    which: str | None = None if metric is None or metric == "" else str(metric)
    if which is not None and which not in report_store.DRILL_METRICS:
        names = ", ".join(report_store.DRILL_METRICS)
        raise ChatRuleError("bad_request", f"metric: must be one of {names}", field="metric")
    slower: float | None = None
    if min_s is not None and min_s != "":
        try:
            slower = float(str(min_s))
        except ValueError:
            slower = -1.0
        if not 0 <= slower <= 10**8:
            raise ChatRuleError("bad_request", "min_s: must be a number of seconds from 0", field="min_s")
        if which is None:
            raise ChatRuleError("bad_request", "min_s: needs a metric", field="min_s")
    wd = _drill_int(weekday, "weekday", 0, 6)
    hr = _drill_int(hour, "hour", 0, 23)
    if (wd is None) != (hr is None):
        field = "hour" if hr is None else "weekday"
        raise ChatRuleError("bad_request", f"{field}: weekday and hour go together", field=field)
    cursor = _drill_int(before, "before", 1, 2**53)
    size = _drill_int(limit, "limit", 1, DRILL_LIMIT) or 50
    async with _read(ctx) as conn:
        scope = await report_scope(conn, actor, department_id=department_id, agent_id=agent_id)
        rng = await report_range(conn, scope, since=since, until=until, tz=tz)
        if day is not None and day != "":
            one = parse_day(day, "day")
            if not rng.first <= one <= rng.last:
                raise ChatRuleError("bad_request", "day: must lie between from and to", field="day")
            rng = ReportRange(one, one, rng.tz)
        hours = None
        if wd is not None:
            hours = [h for h in rng.hours() if (rng.local(h).weekday(), rng.local(h).hour) == (wd, hr)]
        rows = await report_store.drill_chats(
            conn,
            hour_from=rng.hour_from,
            hour_to=rng.hour_to,
            hours=hours,
            department_ids=scope.department_ids,
            agent_id=scope.agent_id,
            outcome=kind,
            metric=which,
            min_s=slower,
            before=cursor,
            limit=size + 1,
        )
    more = len(rows) > size
    chats = [_drill_row(r) for r in rows[:size]]
    return {
        "range": rng.as_dict(),
        "chats": chats,
        "next_before": chats[-1]["id"] if more else None,
        "definitions": _definitions("answered", "missed", "dropped", *DURATION_METRICS),
    }
