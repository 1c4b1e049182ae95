"""Department goals (0011, `department_goals`) and the reads of the dashboard and the
one-row-per-chat export (docs/architecture/analytics.md, "Goals", "Dashboard", "Export")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import (
    Chat,
    ChatFact,
    ChatTag,
    Department,
    DepartmentGoal,
    DepartmentMember,
    Invitation,
    InvitationRule,
    Tag,
    User,
    Visitor,
)


async def goals(conn: AsyncConnection, department_id: int) -> list[Any]:
    stmt = (
        select(
            DepartmentGoal.metric,
            DepartmentGoal.target,
            DepartmentGoal.seconds,
            DepartmentGoal.updated_at,
            DepartmentGoal.updated_by,
            User.name.label("updated_by_name"),
        )
        .outerjoin(User, User.id == DepartmentGoal.updated_by)
        .where(DepartmentGoal.department_id == department_id)
        .order_by(DepartmentGoal.id)
    )
    return list((await conn.execute(stmt)).all())


async def replace_goals(
    conn: AsyncConnection, department_id: int, items: Iterable[Any], *, at: datetime, by: int | None
) -> None:
    """The department's whole set: goals left out are removed."""
    await conn.execute(delete(DepartmentGoal).where(DepartmentGoal.department_id == department_id))
    rows = [
        {
            "department_id": department_id,
            "metric": g.metric,
            "target": g.target,
            "seconds": g.seconds,
            "updated_at": at,
            "updated_by": by,
        }
        for g in items
    ]
    if rows:
        await conn.execute(insert(DepartmentGoal), rows)


# -- the dashboard's "now" -------------------------------------------------------------------


async def open_chats_now(
    conn: AsyncConnection, *, department_ids: Sequence[int] | None, agent_id: int | None
) -> dict[str, Any]:
    """Chats in progress (active), waiting (queued) and the oldest queued chat's queue time,
    of the departments (None: all) or of one agent (their active chats; nothing waits for them)."""
    waiting_since = func.coalesce(Chat.queued_at, Chat.created_at)
    stmt = select(
        func.coalesce(func.sum(case((Chat.status == "active", 1), else_=0)), 0).label("in_progress"),
        func.coalesce(func.sum(case((Chat.status == "queued", 1), else_=0)), 0).label("waiting"),
        func.min(case((Chat.status == "queued", waiting_since), else_=None)).label("oldest_queued"),
    ).where(Chat.status.in_(("queued", "active")))
    if agent_id is not None:
        stmt = stmt.where(Chat.assignee_id == agent_id)
    if department_ids is not None:
        stmt = stmt.where(Chat.department_id.in_(list(department_ids)) if department_ids else literal(False))
    row = (await conn.execute(stmt)).one()
    return {"in_progress": int(row.in_progress or 0), "waiting": int(row.waiting or 0), "oldest": row.oldest_queued}


async def agent_statuses(
    conn: AsyncConnection, *, department_ids: Sequence[int] | None, agent_id: int | None
) -> dict[str, int]:
    """Active users who answer chats, counted by status (online, away, offline)."""
    stmt = select(User.status, func.count(func.distinct(User.id)).label("n")).where(User.active.is_(true()))
    if agent_id is not None:
        stmt = stmt.where(User.id == agent_id)
    if department_ids is not None:
        if not department_ids:
            return {}
        stmt = stmt.join(DepartmentMember, DepartmentMember.user_id == User.id).where(
            DepartmentMember.department_id.in_(list(department_ids))
        )
    rows = await conn.execute(stmt.group_by(User.status))
    return {r.status: int(r.n) for r in rows}


async def fact_window(
    conn: AsyncConnection,
    *,
    start: datetime,
    end: datetime,
    hour_start: datetime,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
) -> tuple[dict[str, int], list[float]]:
    """Counts of the closed chats (chat_facts) started in [start, end), and their first response
    times: the dashboard's today and the same weekday last week. `hour_start` (start truncated to
    its UTC hour) lets the (department_id, hour_at) / (agent_id, hour_at) indexes bound the scan."""
    where = [ChatFact.hour_at >= hour_start, ChatFact.hour_at < end, ChatFact.started_at >= start]
    where.append(ChatFact.started_at < end)
    if agent_id is not None:
        where.append(ChatFact.agent_id == agent_id)
    if department_ids is not None:
        where.append(ChatFact.department_id.in_(list(department_ids)) if department_ids else literal(False))
    rows = (
        await conn.execute(select(ChatFact.answered, ChatFact.missed, ChatFact.first_response_s).where(and_(*where)))
    ).all()
    counts = {"chats": len(rows), "answered": 0, "missed": 0}
    firsts: list[float] = []
    for r in rows:
        counts["answered"] += 1 if r.answered else 0
        counts["missed"] += 1 if r.missed else 0
        if r.answered and r.first_response_s is not None:
            firsts.append(float(r.first_response_s))
    return counts, firsts


# -- the one-row-per-chat export ---------------------------------------------------------------


async def export_window(
    conn: AsyncConnection,
    *,
    start: datetime,
    end: datetime,
    department_ids: Sequence[int] | None,
    agent_id: int | None,
) -> list[Any]:
    """The ended chats started in [start, end), oldest first, with their department, agents,
    visitor, rating comment and invitation rule. `hour_at` (the start's UTC hour) bounds the scan
    on the (hour_at), (department_id, hour_at) or (agent_id, hour_at) index."""
    agent = User.__table__.alias("credited")
    first = User.__table__.alias("first_agent")
    where: list[Any] = [
        ChatFact.hour_at >= start.replace(minute=0, second=0, microsecond=0),
        ChatFact.hour_at < end,
        ChatFact.started_at >= start,
        ChatFact.started_at < end,
    ]
    if department_ids is not None:
        where.append(ChatFact.department_id.in_(list(department_ids)) if department_ids else literal(False))
    if agent_id is not None:
        where.append(ChatFact.agent_id == agent_id)
    stmt = (
        select(
            ChatFact,
            Department.name.label("department_name"),
            agent.c.name.label("agent_name"),
            first.c.name.label("first_agent_name"),
            Visitor.name.label("visitor_name"),
            Chat.rating_comment,
            Invitation.rule_id.label("invitation_rule_id"),
            InvitationRule.name.label("invitation_rule_name"),
        )
        .join(Chat, Chat.id == ChatFact.chat_id)
        .join(Visitor, Visitor.id == Chat.visitor_id)
        .outerjoin(Department, Department.id == ChatFact.department_id)
        .outerjoin(agent, agent.c.id == ChatFact.agent_id)
        .outerjoin(first, first.c.id == ChatFact.first_agent_id)
        .outerjoin(Invitation, Invitation.id == ChatFact.invitation_id)
        .outerjoin(InvitationRule, InvitationRule.id == Invitation.rule_id)
        .where(and_(*where))
        .order_by(ChatFact.started_at, ChatFact.chat_id)
    )
    return list((await conn.execute(stmt)).all())


async def tags_of_chats(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, list[str]]:
    if not chat_ids:
        return {}
    rows = await conn.execute(
        select(ChatTag.chat_id, Tag.name)
        .join(Tag, Tag.id == ChatTag.tag_id)
        .where(ChatTag.chat_id.in_(list(chat_ids)))
        .order_by(ChatTag.chat_id, Tag.name)
    )
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r.chat_id, []).append(r.name)
    return out


# -- the activity report's agents -------------------------------------------------------------


async def people(conn: AsyncConnection, *, department_ids: Sequence[int] | None, agent_id: int | None) -> list[Any]:
    """Users a report of agents' activity lists: one agent, the members of the departments, or
    everyone (None), by name."""
    stmt = select(User.id, User.name, User.role, User.active)
    if agent_id is not None:
        stmt = stmt.where(User.id == agent_id)
    if department_ids is not None:
        if not department_ids:
            return []
        members = select(DepartmentMember.user_id).where(DepartmentMember.department_id.in_(list(department_ids)))
        stmt = stmt.where(User.id.in_(members))
    return list((await conn.execute(stmt.order_by(User.name, User.id))).all())
