"""Queries for `chat_facts` (one row per closed chat) and `metric_hours` (the hourly roll-ups).

What a fact means is domain/metrics.py; when facts are written is actions/facts.py. The roll-ups
are kept by adding each fact's increments (and subtracting a replaced fact's) with
INSERT ... ON CONFLICT (hour_at, department_id, agent_id) DO UPDATE SET col = col + excluded.col.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.clock import as_utc
from frontdesk.domain.chat_rules import EventKind
from frontdesk.domain.metrics import ROLLUP_COLUMNS, ChatRow, EventRow, Interval, RoutingRow, agent_holds
from frontdesk.store.models import Chat, ChatFact, Message, Review, RoutingLog, metric_hours

# The events and routing rows the facts read (docs/metrics.md).
_EVENT_KINDS = (EventKind.MESSAGE, EventKind.CHAT_TRANSFERRED, EventKind.CHAT_ESCALATED)
_ROUTING_KINDS = ("queued", "assigned", "transferred", "escalated", "taken_over", "missed")
# Concurrency looks for the agent's other chats started at most this long before this chat's
# assignment (chats.created_at is indexed; a chat held longer than this is not seen).
CONCURRENCY_LOOKBACK = timedelta(days=1)
# The routing rows that give a chat to an agent (domain/metrics.held_intervals).
_GIVING_KINDS = ("assigned", "taken_over", "transferred")
# Chat ids per IN (...) list.
_CHUNK = 5000


async def chats_without_facts(conn: AsyncConnection, *, limit: int, closed_since: datetime | None) -> list[int]:
    """Closed chats that have no fact yet, oldest close first. `closed_since` keeps the query on
    the recent end of ix_chats_closed_at (the job's every pass); None looks at every chat."""
    # closed_at is set when (and only when) a chat closes: the recent query is a range of
    # ix_chats_closed_at alone (with status in it too, SQLite would walk every closed chat).
    closed = Chat.closed_at >= closed_since if closed_since is not None else Chat.status == "closed"
    stmt = (
        select(Chat.id)
        .where(closed, Chat.closed_at.is_not(None), ~exists().where(ChatFact.chat_id == Chat.id))
        .order_by(Chat.closed_at, Chat.id)
        .limit(limit)
    )
    return [r[0] for r in await conn.execute(stmt)]


async def changed_facts(
    conn: AsyncConnection, *, limit: int, rated_since: datetime, read_since: datetime | None
) -> list[int]:
    """Facts to compute again: the chat was rated after the fact was computed (ratings come
    within domain/satisfaction's windows of the close, so only chats closed since `rated_since`
    are looked at), a review was written or edited after it, or - for dropped chats closed since
    `read_since` - the visitor has since read the agents' last message."""
    rated = (
        select(ChatFact.chat_id)
        .join(Chat, Chat.id == ChatFact.chat_id)
        .where(Chat.closed_at >= rated_since, Chat.rated_at.is_not(None), Chat.rated_at > ChatFact.computed_at)
        .limit(limit)
    )
    reviewed = (
        select(ChatFact.chat_id)
        .join(Review, Review.chat_id == ChatFact.chat_id)
        .where(Review.updated_at > ChatFact.computed_at)
        .limit(limit)
    )
    ids: list[int] = [r[0] for r in await conn.execute(rated)]
    ids += [r[0] for r in await conn.execute(reviewed)]
    if read_since is not None:
        last_agent_seq = (
            select(func.max(Message.seq))
            .where(
                Message.chat_id == Chat.id,
                Message.kind == EventKind.MESSAGE,
                Message.author_type == "agent",
                Message.internal.is_(False),
            )
            .scalar_subquery()
        )
        read = (
            select(ChatFact.chat_id)
            .join(Chat, Chat.id == ChatFact.chat_id)
            .where(Chat.closed_at >= read_since, ChatFact.dropped.is_(True), Chat.visitor_read_seq >= last_agent_seq)
            .limit(limit)
        )
        ids += [r[0] for r in await conn.execute(read)]
    return sorted(set(ids))[:limit]


async def all_closed_chat_ids(conn: AsyncConnection, *, after_id: int, limit: int) -> list[int]:
    """Closed chats by id (the rebuild walks them in batches)."""
    rows = await conn.execute(
        select(Chat.id).where(Chat.status == "closed", Chat.id > after_id).order_by(Chat.id).limit(limit)
    )
    return [r[0] for r in rows]


async def count_closed_chats(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(Chat).where(Chat.status == "closed"))).scalar_one())


async def chat_inputs(
    conn: AsyncConnection, chat_ids: Sequence[int], *, lock: bool = False
) -> tuple[list[ChatRow], dict[int, list[EventRow]], dict[int, list[RoutingRow]], dict[int, list[float]]]:
    """What the facts of these (closed) chats are computed from: the chats, their events, their
    routing log and their review scores. `lock`: the chats rows FOR UPDATE (PostgreSQL), so two
    writers of the same chat's fact take turns and the second sees the first's row to replace."""
    if not chat_ids:
        return [], {}, {}, {}
    ids = list(chat_ids)
    stmt = (
        select(
            Chat.id,
            Chat.department_id,
            Chat.assignee_id,
            Chat.created_at,
            Chat.closed_at,
            Chat.queued_at,
            Chat.assigned_at,
            Chat.missed,
            Chat.rating,
            Chat.invitation_id,
            Chat.visitor_read_seq,
        )
        .where(Chat.id.in_(ids), Chat.status == "closed", Chat.closed_at.is_not(None))
        .order_by(Chat.id)
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True)  # SQLite: no-op; BEGIN IMMEDIATE holds the lock
    chats = [
        ChatRow(
            id=r.id,
            department_id=r.department_id,
            assignee_id=r.assignee_id,
            created_at=as_utc(r.created_at),
            closed_at=as_utc(r.closed_at),
            queued_at=as_utc(r.queued_at),
            assigned_at=as_utc(r.assigned_at),
            missed=bool(r.missed),
            rating=r.rating,
            invitation_id=r.invitation_id,
            visitor_read_seq=r.visitor_read_seq or 0,
        )
        for r in await conn.execute(stmt)
    ]
    events: dict[int, list[EventRow]] = {}
    for r in await conn.execute(
        select(
            Message.chat_id,
            Message.seq,
            Message.kind,
            Message.author_type,
            Message.agent_id,
            Message.created_at,
            Message.internal,
        )
        .where(Message.chat_id.in_(ids), Message.kind.in_(_EVENT_KINDS))
        .order_by(Message.chat_id, Message.seq)
    ):
        events.setdefault(r.chat_id, []).append(
            EventRow(r.seq, r.kind, r.author_type, r.agent_id, as_utc(r.created_at), bool(r.internal))
        )
    routing: dict[int, list[RoutingRow]] = {}
    for rr in await conn.execute(
        select(RoutingLog.chat_id, RoutingLog.kind, RoutingLog.agent_id, RoutingLog.created_at)
        .where(RoutingLog.chat_id.in_(ids), RoutingLog.kind.in_(_ROUTING_KINDS))
        .order_by(RoutingLog.chat_id, RoutingLog.id)
    ):
        routing.setdefault(rr.chat_id, []).append(RoutingRow(rr.kind, rr.agent_id, as_utc(rr.created_at)))
    reviews: dict[int, list[float]] = {}
    for chat_id, score in await conn.execute(select(Review.chat_id, Review.score).where(Review.chat_id.in_(ids))):
        reviews.setdefault(chat_id, []).append(float(score))
    return chats, events, routing, reviews


async def held_intervals_of(
    conn: AsyncConnection, agent_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, list[tuple[int, Interval]]]:
    """Each agent's holds of the chats that started between start - CONCURRENCY_LOOKBACK and end:
    (chat id, interval), one per stretch the agent held the chat (domain/metrics.agent_holds),
    so a chat the agent held and then transferred or escalated away counts too. The chats are
    those the agent is the last assignee of or has a routing row giving it to them
    (ix_chats_created_at for the range, ix_routing_log_agent_chat for each chat); their routing
    rows come by ix_routing_log_chat_id."""
    agents = sorted(set(agent_ids))
    if not agents:
        return {}
    given = exists().where(
        RoutingLog.chat_id == Chat.id, RoutingLog.agent_id.in_(agents), RoutingLog.kind.in_(_GIVING_KINDS)
    )
    chats = (
        await conn.execute(
            select(Chat.id, Chat.created_at, Chat.assignee_id, Chat.assigned_at, Chat.closed_at).where(
                Chat.created_at >= start - CONCURRENCY_LOOKBACK,
                Chat.created_at <= end,
                or_(and_(Chat.assignee_id.in_(agents), Chat.assigned_at.is_not(None)), given),
            )
        )
    ).all()
    routing: dict[int, list[RoutingRow]] = {}
    ids = [c.id for c in chats]
    for i in range(0, len(ids), _CHUNK):
        for rr in await conn.execute(
            select(RoutingLog.chat_id, RoutingLog.kind, RoutingLog.agent_id, RoutingLog.created_at)
            .where(RoutingLog.chat_id.in_(ids[i : i + _CHUNK]), RoutingLog.kind.in_(_ROUTING_KINDS))
            .order_by(RoutingLog.chat_id, RoutingLog.id)
        ):
            routing.setdefault(rr.chat_id, []).append(RoutingRow(rr.kind, rr.agent_id, as_utc(rr.created_at)))
    wanted = set(agents)
    out: dict[int, list[tuple[int, Interval]]] = {}
    for c in chats:
        closed = as_utc(c.closed_at) if c.closed_at is not None else None
        assigned = as_utc(c.assigned_at) if c.assigned_at is not None else None
        for agent, interval in agent_holds(
            c.id, as_utc(c.created_at), c.assignee_id, assigned, closed, routing.get(c.id, [])
        ):
            if agent in wanted:
                out.setdefault(agent, []).append((c.id, interval))
    return out


async def facts_of(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The stored facts of these chats, as column mappings."""
    if not chat_ids:
        return {}
    rows = await conn.execute(select(ChatFact.__table__).where(ChatFact.chat_id.in_(list(chat_ids))))
    return {r.chat_id: dict(r._mapping) for r in rows}


async def upsert_facts(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, is_sqlite: bool) -> None:
    """Insert or replace chat_facts rows (every column given): one statement, executed for many
    rows (compiled once and cached)."""
    if not rows:
        return
    dialect = sqlite if is_sqlite else postgresql
    table = ChatFact.__table__
    stmt = dialect.insert(table)
    columns = [c.name for c in table.columns if c.name != "chat_id"]
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["chat_id"], set_={c: getattr(stmt.excluded, c) for c in columns}),
        [dict(r) for r in rows],
    )


async def add_to_rollups(
    conn: AsyncConnection, deltas: Mapping[tuple[datetime, int, int], Mapping[str, float]], *, is_sqlite: bool
) -> None:
    """Add each key's column deltas to metric_hours (negative deltas subtract), creating rows as
    needed; rows left with no chats are deleted."""
    keys = [k for k, d in deltas.items() if any(d.values())]
    if not keys:
        return
    dialect = sqlite if is_sqlite else postgresql
    stmt = dialect.insert(metric_hours)
    upsert = stmt.on_conflict_do_update(
        index_elements=["hour_at", "department_id", "agent_id"],
        set_={c: metric_hours.c[c] + getattr(stmt.excluded, c) for c in ROLLUP_COLUMNS},
    )
    values = [
        {
            "hour_at": hour,
            "department_id": department,
            "agent_id": agent,
            **{c: deltas[(hour, department, agent)].get(c, 0) for c in ROLLUP_COLUMNS},
        }
        for hour, department, agent in keys
    ]
    await conn.execute(upsert, values)
    emptied = [k for k in keys if deltas[k].get("chats", 0) < 0]
    for hour, department, agent in emptied:
        await conn.execute(
            delete(metric_hours).where(
                metric_hours.c.chats <= 0,
                metric_hours.c.hour_at == hour,
                metric_hours.c.department_id == department,
                metric_hours.c.agent_id == agent,
            )
        )


async def clear_all(conn: AsyncConnection) -> None:
    """Empty chat_facts and metric_hours (the rebuild starts from nothing)."""
    await conn.execute(delete(metric_hours))
    await conn.execute(delete(ChatFact))


async def rollup_rows(conn: AsyncConnection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The metric_hours rows of hours in [start, end) (tests and the rebuild's check)."""
    rows = await conn.execute(select(metric_hours).where(metric_hours.c.hour_at >= start, metric_hours.c.hour_at < end))
    return [dict(r._mapping) for r in rows]


async def facts_between(conn: AsyncConnection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The chat_facts rows of chats started in [start, end)."""
    rows = await conn.execute(
        select(ChatFact.__table__).where(ChatFact.hour_at >= start, ChatFact.hour_at < end).order_by(ChatFact.chat_id)
    )
    return [dict(r._mapping) for r in rows]
