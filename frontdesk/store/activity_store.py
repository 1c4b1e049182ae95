"""Queries for agent activity (`agent_activity`): one row per change of an agent's status or load,
written in the transaction of the change (actions/activity.py), read by the reports
(domain/activity.py turns the rows into segments and hours). The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.clock import as_utc
from frontdesk.domain.activity import ActivityRow
from frontdesk.store.models import AgentActivity, Chat, User


async def record_activity(
    conn: AsyncConnection, agent_id: int, *, status: str, reason: str, load: int, now: datetime
) -> None:
    """From `now` on the agent is `status` holding `load` chats, because of `reason`."""
    await conn.execute(insert(AgentActivity).values(agent_id=agent_id, at=now, status=status, reason=reason, load=load))


async def active_loads(conn: AsyncConnection, agent_ids: Sequence[int]) -> dict[int, int]:
    """Active chats assigned to each agent now (offered chats not counted: nobody talks in them
    yet). Uses ix_chats_assignee_status."""
    ids = sorted(set(agent_ids))
    if not ids:
        return {}
    rows = await conn.execute(
        select(Chat.assignee_id, func.count())
        .where(Chat.assignee_id.in_(ids), Chat.status == "active")
        .group_by(Chat.assignee_id)
    )
    counts = {a: 0 for a in ids}
    for agent_id, n in rows:
        if agent_id is not None:
            counts[agent_id] = n
    return counts


async def statuses(conn: AsyncConnection, agent_ids: Sequence[int]) -> dict[int, str]:
    """Each (existing) agent's status now."""
    ids = sorted(set(agent_ids))
    if not ids:
        return {}
    rows = await conn.execute(select(User.id, User.status).where(User.id.in_(ids)))
    return {agent_id: status for agent_id, status in rows}


def _row(r: Any) -> ActivityRow:
    return ActivityRow(at=as_utc(r.at), status=r.status, load=r.load, reason=r.reason, agent_id=r.agent_id)


async def activity_between(
    conn: AsyncConnection, agent_ids: Sequence[int] | None, start: datetime, end: datetime
) -> dict[int, list[ActivityRow]]:
    """Each agent's rows with start <= at < end, oldest first, preceded by their last row before
    `start` (the state they were in when the range began) when there is one. `agent_ids` None:
    every user. Agents without any row are absent."""
    cols = (AgentActivity.id, AgentActivity.agent_id, AgentActivity.at, AgentActivity.status, AgentActivity.reason)
    cols += (AgentActivity.load,)  # type: ignore[assignment]
    who = select(User.id).select_from(User)
    inside: ColumnElement[bool] = true()
    if agent_ids is not None:
        ids = sorted(set(agent_ids))
        if not ids:
            return {}
        who = who.where(User.id.in_(ids))
        inside = AgentActivity.agent_id.in_(ids)
    # The last row before start, one index probe per agent (ix_agent_activity_agent_at).
    earlier = AgentActivity.__table__.alias("earlier")
    last_before = (
        select(earlier.c.id)
        .where(earlier.c.agent_id == User.id, earlier.c.at < start)
        .order_by(earlier.c.at.desc(), earlier.c.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    carried_ids = [i for (i,) in await conn.execute(who.with_only_columns(last_before)) if i is not None]
    stmt = select(*cols).where(and_(inside, AgentActivity.at >= start, AgentActivity.at < end))
    rows = list(await conn.execute(stmt))
    if carried_ids:
        rows += list(await conn.execute(select(*cols).where(AgentActivity.id.in_(carried_ids))))
    out: dict[int, list[ActivityRow]] = {}
    for r in sorted(rows, key=lambda r: (r.agent_id, as_utc(r.at), r.id)):
        out.setdefault(r.agent_id, []).append(_row(r))
    return out


async def delete_activity_before(conn: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` rows older than `cutoff`, keeping each agent's newest row before it:
    the state they were in at the cutoff, which the segments after it start from."""
    newest = select(func.max(AgentActivity.id)).where(AgentActivity.at < cutoff).group_by(AgentActivity.agent_id)
    found = [
        i
        for (i,) in await conn.execute(
            select(AgentActivity.id)
            .where(AgentActivity.at < cutoff, AgentActivity.id.not_in(newest))
            .order_by(AgentActivity.id)
            .limit(limit)
        )
    ]
    if not found:
        return 0
    return (await conn.execute(delete(AgentActivity).where(AgentActivity.id.in_(found)))).rowcount or 0
