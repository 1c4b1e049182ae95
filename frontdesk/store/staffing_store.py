"""The reads of staffing (issue 15, docs/staffing.md "Required agents and coverage"): a department's
hourly arrivals, the samples its staffing parameters are fitted from, its agents online per hour
and its goals. Read-only; the caller owns the connection.

- arrivals: chats started in each UTC hour (metric_hours `chats`, summed over the credited agents)
  plus the offline messages left in that hour (offline_tickets.created_at): a visitor who found
  nobody to chat with still came.
- fit samples (chat_facts): for each answered chat its service time (`duration_s - queue_wait_s`:
  accepted -> closed, the time it held a slot of its agent) and `concurrency`; the queue waits of
  the chats an agent accepted and of those that left the queue first (never accepted: their wait
  is `duration_s`).
- online: time-weighted agents with status online in each hour (agent_activity through
  domain/activity.segments), of the department's members.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.clock import as_utc
from frontdesk.domain.activity import segments
from frontdesk.store import activity_store
from frontdesk.store.models import (
    ChatFact,
    Department,
    DepartmentGoal,
    DepartmentMember,
    OfflineTicket,
    User,
    metric_hours,
)

HOUR = timedelta(hours=1)


def _hour(at: datetime) -> datetime:
    return as_utc(at).replace(minute=0, second=0, microsecond=0)


async def department(conn: AsyncConnection, department_id: int) -> Any | None:
    """(id, name, hours) of the department, None when there is none."""
    stmt = select(Department.id, Department.name, Department.hours).where(Department.id == department_id)
    return (await conn.execute(stmt)).first()


async def hourly_arrivals(
    conn: AsyncConnection, department_id: int, start: datetime, end: datetime, *, offline: bool = True
) -> dict[datetime, float]:
    """Arrivals per UTC hour in [start, end) (hours without any are absent): chats started
    (metric_hours `chats`) and, with `offline`, offline messages left."""
    stmt = (
        select(metric_hours.c.hour_at, func.sum(metric_hours.c.chats))
        .where(
            metric_hours.c.department_id == department_id,
            metric_hours.c.hour_at >= start,
            metric_hours.c.hour_at < end,
        )
        .group_by(metric_hours.c.hour_at)
    )
    out: dict[datetime, float] = {}
    for hour_at, chats in await conn.execute(stmt):
        if chats:
            key = as_utc(hour_at)
            out[key] = out.get(key, 0.0) + float(chats)
    if offline:
        left = select(OfflineTicket.created_at).where(
            OfflineTicket.department_id == department_id,
            OfflineTicket.created_at >= start,
            OfflineTicket.created_at < end,
        )
        for (created_at,) in await conn.execute(left):
            key = _hour(created_at)
            out[key] = out.get(key, 0.0) + 1.0
    return out


@dataclass(slots=True)
class FitSamples:
    """What the staffing parameters are fitted from (domain/staffing_fit)."""

    service: list[tuple[float, float]] = field(default_factory=list)  # (seconds held, concurrency)
    answered_waits: list[float] = field(default_factory=list)  # waits of the chats an agent accepted
    abandoned_waits: list[float] = field(default_factory=list)  # waits of those who left the queue first


async def fit_samples(conn: AsyncConnection, department_id: int, start: datetime, end: datetime) -> FitSamples:
    """The department's chats started in [start, end) (ix_chat_facts_department_hour)."""
    stmt = select(
        ChatFact.answered, ChatFact.missed, ChatFact.queue_wait_s, ChatFact.duration_s, ChatFact.concurrency
    ).where(ChatFact.department_id == department_id, ChatFact.hour_at >= start, ChatFact.hour_at < end)
    out = FitSamples()
    for answered, missed, wait, duration, concurrency in await conn.execute(stmt):
        if wait is not None:
            out.answered_waits.append(max(0.0, float(wait)))
            if answered and duration is not None and concurrency is not None and duration > wait:
                out.service.append((float(duration) - float(wait), max(1.0, float(concurrency))))
        elif missed and duration is not None:
            out.abandoned_waits.append(max(0.0, float(duration)))
    return out


async def goals(conn: AsyncConnection, department_id: int) -> dict[str, tuple[float, int | None]]:
    """The department's analytics goals: metric -> (target, seconds)."""
    stmt = select(DepartmentGoal.metric, DepartmentGoal.target, DepartmentGoal.seconds).where(
        DepartmentGoal.department_id == department_id
    )
    return {metric: (float(target), seconds) for metric, target, seconds in await conn.execute(stmt)}


async def member_ids(conn: AsyncConnection, department_id: int) -> list[int]:
    """The department's active members."""
    stmt = (
        select(User.id)
        .join(DepartmentMember, DepartmentMember.user_id == User.id)
        .where(and_(DepartmentMember.department_id == department_id, User.active.is_(True)))
        .order_by(User.id)
    )
    return [i for (i,) in await conn.execute(stmt)]


async def max_chats(conn: AsyncConnection, department_id: int) -> int | None:
    """The largest number of chats one of the department's active members may hold (None: no members)."""
    stmt = (
        select(func.max(User.max_chats))
        .join(DepartmentMember, DepartmentMember.user_id == User.id)
        .where(and_(DepartmentMember.department_id == department_id, User.active.is_(True)))
    )
    value = (await conn.execute(stmt)).scalar_one_or_none()
    return int(value) if value else None


async def online_per_hour(conn: AsyncConnection, agent_ids: Sequence[int], start: datetime, hours: int) -> list[float]:
    """For each UTC hour from `start`: the time-weighted number of these agents with status online
    (an agent online for half the hour counts 0.5)."""
    out = [0.0] * hours
    if not agent_ids or hours <= 0:
        return out
    start = as_utc(start)
    end = start + hours * HOUR
    rows = await activity_store.activity_between(conn, agent_ids, start, end)
    for changes in rows.values():
        for seg in segments(changes, start, end):
            if seg.status != "online":
                continue
            cursor = seg.start
            while cursor < seg.end:
                index = int((cursor - start) // HOUR)
                hour_end = start + (index + 1) * HOUR
                until = min(hour_end, seg.end)
                out[index] += (until - cursor).total_seconds() / 3600.0
                cursor = until
    return out
