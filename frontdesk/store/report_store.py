"""Queries of the analytics reports (issue 14; docs/architecture/analytics.md "Reports").

The figures come from `metric_hours` (hourly roll-ups per department x agent: sums in SQL, one
query per report) or, for ranges of at most `EXACT_LIMIT` chats, from the per-chat rows of
`chat_facts`; drill-downs read `chat_facts` joined to chats, visitors, users and departments.
Every range is of UTC hour rows: [hour_from, hour_to) (domain/report_params.ReportRange).
The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, false, func, literal_column, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import (
    Chat,
    ChatFact,
    Department,
    Invitation,
    OfflineTicket,
    RoutingLog,
    User,
    Visitor,
    metric_hours,
)


async def department_timezone(conn: AsyncConnection, department_id: int) -> tuple[bool, str | None]:
    """Whether the department exists, and the time zone of its business hours (None: none set)."""
    row = (await conn.execute(select(Department.hours).where(Department.id == department_id))).first()
    if row is None:
        return False, None
    hours = row[0] if isinstance(row[0], dict) else {}
    tz = hours.get("timezone")
    return True, tz if isinstance(tz, str) and tz else None


async def user_exists(conn: AsyncConnection, user_id: int) -> bool:
    return (await conn.execute(select(User.id).where(User.id == user_id))).first() is not None


# -- filters --------------------------------------------------------------------------------------
def _hour_filter(table: Any, hour_from: datetime, hour_to: datetime) -> list[Any]:
    return [table.c.hour_at >= hour_from, table.c.hour_at < hour_to]


def _scope_filter(
    department_col: Any, agent_col: Any, department_ids: Sequence[int] | None, agent_id: int | None
) -> list[Any]:
    """The department / agent filter (a department filter leaves chats of no department out:
    0 in metric_hours, NULL in chat_facts)."""
    conditions: list[Any] = []
    if department_ids is not None:
        conditions.append(department_col.in_(list(department_ids)) if department_ids else false())
    if agent_id is not None:
        conditions.append(agent_col == agent_id)
    return conditions


GROUPS = ("hour_at", "department_id", "agent_id")


# -- the roll-ups ---------------------------------------------------------------------------------
async def rollup_sums(
    conn: AsyncConnection,
    *,
    hour_from: datetime,
    hour_to: datetime,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
    columns: Sequence[str],
    group_by: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """SUM of each of `columns` over metric_hours rows in [hour_from, hour_to), grouped by any of
    hour_at / department_id / agent_id (0 standing for none): one query, the sums in SQL."""
    t = metric_hours
    keys = [t.c[g] for g in group_by]
    sums = [func.coalesce(func.sum(t.c[c]), 0).label(c) for c in columns]
    stmt = select(*keys, *sums).where(
        *_hour_filter(t, hour_from, hour_to),
        *_scope_filter(t.c.department_id, t.c.agent_id, department_ids, agent_id),
    )
    if keys:
        stmt = stmt.group_by(*keys)
    return [dict(r._mapping) for r in await conn.execute(stmt)]


LOCAL_GROUPS = ("day", "cell")


def _local_keys(conn: AsyncConnection, hour_col: Any, offset_s: int, by: str) -> list[Any]:
    """SQL for an hour row's local day ('YYYY-MM-DD') or local weekday and hour (text 'D HH'),
    the local time being `hour_at + offset_s`: SQLite's date functions with a seconds modifier,
    PostgreSQL's to_char of the UTC wall time plus an interval."""
    offset = int(offset_s)  # an int: written into the SQL, so SELECT and GROUP BY hold the same expression
    if conn.dialect.name == "postgresql":
        local = func.timezone(literal_column("'UTC'"), hour_col) + literal_column(f"interval '{offset} seconds'")
        fmt = "'YYYY-MM-DD'" if by == "day" else "'ID HH24'"
        return [func.to_char(local, literal_column(fmt)).label("local_key")]
    fmt = "'%Y-%m-%d'" if by == "day" else "'%w %H'"
    modifier: Any = literal_column(f"'{offset:+d} seconds'")
    return [func.strftime(literal_column(fmt), hour_col, modifier).label("local_key")]


def _local_key_value(conn: AsyncConnection, text: str, by: str) -> Any:
    """'YYYY-MM-DD' as it is; 'D HH' as (weekday Monday 0, hour)."""
    if by == "day":
        return text
    day, hour = text.split()
    weekday = int(day) - 1 if conn.dialect.name == "postgresql" else (int(day) + 6) % 7  # ISO 1-7 / Sunday 0
    return weekday, int(hour)


def _sum_type(column: Any) -> Any:
    """The type of a sum of sums: PostgreSQL's sum of a bigint is numeric; cast back."""
    return BigInteger() if isinstance(column.type, Integer) else column.type


async def rollup_sums_local(
    conn: AsyncConnection,
    *,
    stretches: Sequence[tuple[datetime, datetime, int]],
    by: str,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
    columns: Sequence[str],
) -> list[dict[str, Any]]:
    """SUM of each of `columns` over metric_hours rows grouped by LOCAL day (`by="day"`: key
    'YYYY-MM-DD') or local weekday x hour (`by="cell"`: key (weekday, hour), Monday 0), in SQL:
    one query per stretch of constant UTC offset (hour_from, hour_to, offset_s) - ReportRange.
    stretches(). A day cut by an offset change comes in two rows (the caller adds them up);
    each row is {"key": ..., column: sum, ...}."""
    if by not in LOCAL_GROUPS:
        raise ValueError(by)
    t = metric_hours
    out: list[dict[str, Any]] = []
    for hour_from, hour_to, offset_s in stretches:
        # Summed per hour first (the primary key's order: nothing to sort), then the hours per
        # local key: grouping the stretch's rows by the key directly sorts every row with all its
        # columns (on SQLite 0.8 s more of CPU for a year of 121 columns).
        per_hour = (
            select(t.c.hour_at, *[func.sum(t.c[c]).label(c) for c in columns])
            .where(
                *_hour_filter(t, hour_from, hour_to),
                *_scope_filter(t.c.department_id, t.c.agent_id, department_ids, agent_id),
            )
            .group_by(t.c.hour_at)
            .subquery()
        )
        keys = _local_keys(conn, per_hour.c.hour_at, offset_s, by)
        sums = [cast(func.coalesce(func.sum(per_hour.c[c]), 0), _sum_type(t.c[c])).label(c) for c in columns]
        stmt = select(*keys, *sums).group_by(*keys)
        for r in await conn.execute(stmt):
            row = dict(r._mapping)
            row["key"] = _local_key_value(conn, row.pop("local_key"), by)
            out.append(row)
    return out


async def count_chats(
    conn: AsyncConnection,
    *,
    hour_from: datetime,
    hour_to: datetime,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
) -> int:
    """Chats in the range according to the roll-ups (decides exact or roll-up figures)."""
    rows = await rollup_sums(
        conn,
        hour_from=hour_from,
        hour_to=hour_to,
        department_ids=department_ids,
        agent_id=agent_id,
        columns=("chats",),
    )
    return int(rows[0]["chats"]) if rows else 0


# -- the per-chat rows (exact figures, drill-downs) -----------------------------------------------
FACT_VALUES = (
    "chat_id",
    "hour_at",
    "department_id",
    "agent_id",
    "answered",
    "missed",
    "dropped",
    "queue_wait_s",
    "first_response_s",
    "reply_n",
    "reply_sum_s",
    "handle_s",
    "duration_s",
    "concurrency",
    "transfers",
    "escalations",
    "rating",
    "review_score",
    "invitation_id",
)


async def fact_rows(
    conn: AsyncConnection,
    *,
    hour_from: datetime,
    hour_to: datetime,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
    columns: Sequence[str] = FACT_VALUES,
) -> list[dict[str, Any]]:
    """The chat_facts rows (some columns) of the chats started in [hour_from, hour_to)."""
    t = ChatFact.__table__
    stmt = select(*[t.c[c] for c in columns]).where(
        *_hour_filter(t, hour_from, hour_to),
        *_scope_filter(t.c.department_id, t.c.agent_id, department_ids, agent_id),
    )
    return [dict(r._mapping) for r in await conn.execute(stmt)]


async def names(conn: AsyncConnection, *, user_ids: Iterable[int], department_ids: Iterable[int]) -> dict[str, Any]:
    """{"users": {id: name}, "departments": {id: (slug, name)}} for the ids given."""
    users = {u for u in user_ids if u}
    depts = {d for d in department_ids if d}
    out: dict[str, Any] = {"users": {}, "departments": {}}
    if users:
        rows = await conn.execute(select(User.id, User.name).where(User.id.in_(sorted(users))))
        out["users"] = {r.id: r.name for r in rows}
    if depts:
        rows = await conn.execute(
            select(Department.id, Department.slug, Department.name).where(Department.id.in_(sorted(depts)))
        )
        out["departments"] = {r.id: (r.slug, r.name) for r in rows}
    return out


# -- offline messages and invitations (the summary) -----------------------------------------------
async def offline_message_times(
    conn: AsyncConnection, *, start: datetime, end: datetime, department_ids: Sequence[int] | None
) -> list[datetime]:
    """When each offline message of the range was left (offline_tickets.created_at)."""
    stmt = select(OfflineTicket.created_at).where(OfflineTicket.created_at >= start, OfflineTicket.created_at < end)
    if department_ids is not None:
        stmt = stmt.where(OfflineTicket.department_id.in_(list(department_ids)) if department_ids else false())
    return [r[0] for r in await conn.execute(stmt)]


async def count_offline_messages(
    conn: AsyncConnection, *, start: datetime, end: datetime, department_ids: Sequence[int] | None
) -> int:
    stmt = select(func.count()).where(OfflineTicket.created_at >= start, OfflineTicket.created_at < end)
    if department_ids is not None:
        stmt = stmt.where(OfflineTicket.department_id.in_(list(department_ids)) if department_ids else false())
    return int((await conn.execute(stmt)).scalar_one())


async def invitation_counts(
    conn: AsyncConnection,
    *,
    start: datetime,
    end: datetime,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
) -> tuple[int, int]:
    """(sent, accepted) invitations created in [start, end); `agent_id`: the inviting agent's."""
    stmt = select(func.count(), func.coalesce(func.sum(case((Invitation.outcome == "accepted", 1), else_=0)), 0)).where(
        Invitation.created_at >= start, Invitation.created_at < end
    )
    if department_ids is not None:
        stmt = stmt.where(Invitation.department_id.in_(list(department_ids)) if department_ids else false())
    if agent_id is not None:
        stmt = stmt.where(Invitation.agent_id == agent_id)
    sent, accepted = (await conn.execute(stmt)).one()
    return int(sent or 0), int(accepted or 0)


# -- transfers and escalations --------------------------------------------------------------------
async def routing_moves(conn: AsyncConnection, *, start: datetime, end: datetime) -> list[Any]:
    """The transferred / escalated / taken_over routing_log rows of [start, end) (their data holds
    from_agent_id, from_department_id, reason, to_level): counted in Python, JSON access differs
    between SQLite and PostgreSQL."""
    stmt = select(
        RoutingLog.kind, RoutingLog.chat_id, RoutingLog.department_id, RoutingLog.agent_id, RoutingLog.data
    ).where(
        RoutingLog.kind.in_(("transferred", "escalated", "taken_over")),
        RoutingLog.created_at >= start,
        RoutingLog.created_at < end,
    )
    return list((await conn.execute(stmt)).all())


# -- the chats behind a figure --------------------------------------------------------------------
OUTCOMES = ("all", "answered", "missed", "dropped")
DRILL_METRICS = {
    "queue_wait": ChatFact.queue_wait_s,
    "first_response": ChatFact.first_response_s,
    "reply": ChatFact.reply_max_s,  # a chat with any reply slower than min_s
    "handle": ChatFact.handle_s,
    "duration": ChatFact.duration_s,
}


def _unindexed(column: Any) -> Any:
    """`+chat_facts.column` on SQLite: the same value, but no index can serve it (SQLite's way to
    keep the planner off an index), typed as the column so parameters bind the same."""
    return type_coerce(literal_column(f"+{column.table.name}.{column.name}"), column.type)


async def _walk_ids(conn: AsyncConnection, hour_from: datetime, hour_to: datetime) -> bool:
    """Whether a drill-down should walk chat ids backwards: the range holds at least a third of
    all chats (the roll-ups count the range's), so even a filter that matches few chats reads at
    most about three times the range's rows, in primary-key order, with nothing to sort."""
    t = metric_hours
    in_range = select(func.coalesce(func.sum(t.c.chats), 0)).where(*_hour_filter(t, hour_from, hour_to))
    inside = int((await conn.execute(in_range)).scalar_one())
    if not inside:
        return False
    total = int((await conn.execute(select(func.count()).select_from(ChatFact))).scalar_one())
    return inside * 3 >= total


async def drill_chats(
    conn: AsyncConnection,
    *,
    hour_from: datetime,
    hour_to: datetime,
    hours: Sequence[datetime] | None,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
    outcome: str,
    metric: str | None,
    min_s: float | None,
    before: int | None,
    limit: int,
) -> list[Any]:
    """Closed chats with their facts, newest first (by id), after the filters; `hours`: only these
    UTC hour rows (a weekday x hour cell). On SQLite, when the range holds a large part of the
    chats started since `hour_from` (`_walk_ids`), the query walks the primary key backwards and
    stops at the page's last match, rather than reading every chat of the range through the hour
    index and sorting them (docs/performance.md "Reports")."""
    f = ChatFact
    hour_col, dept_col, agent_col = f.hour_at, f.department_id, f.agent_id
    if hours is None and conn.dialect.name == "sqlite" and await _walk_ids(conn, hour_from, hour_to):
        hour_col, dept_col, agent_col = (_unindexed(c) for c in (f.hour_at, f.department_id, f.agent_id))
    stmt = (
        select(
            f.chat_id,
            f.started_at,
            f.ended_at,
            f.department_id,
            Department.slug.label("department_slug"),
            Department.name.label("department_name"),
            f.agent_id,
            User.name.label("agent_name"),
            Chat.visitor_id,
            Visitor.name.label("visitor_name"),
            f.answered,
            f.missed,
            f.dropped,
            f.queue_wait_s,
            f.first_response_s,
            f.reply_n,
            f.reply_sum_s,
            f.reply_max_s,
            f.handle_s,
            f.duration_s,
            f.transfers,
            f.escalations,
            f.rating,
            f.review_score,
        )
        .join(Chat, Chat.id == f.chat_id)
        .outerjoin(Visitor, Visitor.id == Chat.visitor_id)
        .outerjoin(User, User.id == f.agent_id)
        .outerjoin(Department, Department.id == f.department_id)
        .where(
            hour_col >= hour_from,
            hour_col < hour_to,
            *_scope_filter(dept_col, agent_col, department_ids, agent_id),
        )
    )
    if hours is not None:
        stmt = stmt.where(f.hour_at.in_(list(hours)) if hours else false())
    if outcome in ("answered", "missed", "dropped"):
        stmt = stmt.where(getattr(f, outcome).is_(True))
    if metric is not None:
        column = DRILL_METRICS[metric]
        stmt = stmt.where(column.is_not(None))
        if min_s is not None:
            stmt = stmt.where(column > min_s)
    if before is not None:
        stmt = stmt.where(f.chat_id < before)
    return list((await conn.execute(stmt.order_by(f.chat_id.desc()).limit(limit))).all())
