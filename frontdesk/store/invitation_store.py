"""Queries for invitations and the automatic invitation rules. The caller (an action) owns the
transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Chat, Invitation, InvitationRule, PageView, User, Visit, Visitor

OPEN_OUTCOMES = ("pending", "shown")
OUTCOMES = ("pending", "shown", "accepted", "dismissed", "expired", "blocked")

# ---- rules -------------------------------------------------------------------------------


async def rules(conn: AsyncConnection, department_id: int | None = None) -> list[Any]:
    stmt = select(InvitationRule).order_by(InvitationRule.department_id, InvitationRule.position, InvitationRule.id)
    if department_id is not None:
        stmt = stmt.where(InvitationRule.department_id == department_id)
    return list((await conn.execute(stmt)).all())


async def rule(conn: AsyncConnection, rule_id: int) -> Any | None:
    return (await conn.execute(select(InvitationRule).where(InvitationRule.id == rule_id))).first()


async def count_rules(conn: AsyncConnection, department_id: int) -> int:
    stmt = select(func.count()).where(InvitationRule.department_id == department_id)
    return int((await conn.execute(stmt)).scalar_one())


async def next_position(conn: AsyncConnection, department_id: int) -> int:
    stmt = select(func.max(InvitationRule.position)).where(InvitationRule.department_id == department_id)
    top = (await conn.execute(stmt)).scalar_one()
    return 0 if top is None else int(top) + 1


async def insert_rule(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(InvitationRule).values(**values).returning(InvitationRule.id))
    return int(result.scalar_one())


async def update_rule(conn: AsyncConnection, rule_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(InvitationRule).where(InvitationRule.id == rule_id).values(**values))


async def delete_rule(conn: AsyncConnection, rule_id: int) -> None:
    await conn.execute(delete(InvitationRule).where(InvitationRule.id == rule_id))


async def set_positions(conn: AsyncConnection, positions: Iterable[tuple[int, int]], now: datetime) -> None:
    for rule_id, position in positions:
        await conn.execute(
            update(InvitationRule).where(InvitationRule.id == rule_id).values(position=position, updated_at=now)
        )


async def move_department(conn: AsyncConnection, department_id: int, to_department_id: int) -> None:
    """A department is deleted: its invitations (history for reports) move with its chats."""
    await conn.execute(
        update(Invitation).where(Invitation.department_id == department_id).values(department_id=to_department_id)
    )


async def user_exists(conn: AsyncConnection, user_id: int) -> bool:
    return (await conn.execute(select(User.id).where(User.id == user_id))).first() is not None


# ---- invitations -------------------------------------------------------------------------


async def insert_invitation(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(Invitation).values(**values).returning(Invitation.id))
    return int(result.scalar_one())


def _with_agent():
    return select(Invitation, User.name.label("agent_name"), User.avatar_id.label("agent_avatar_id")).outerjoin(
        User, User.id == Invitation.agent_id
    )


async def invitation(conn: AsyncConnection, invitation_id: int) -> Any | None:
    return (await conn.execute(_with_agent().where(Invitation.id == invitation_id))).first()


async def open_invitation_of_visitor(
    conn: AsyncConnection, visitor_id: str, now: datetime, invitation_id: int | None = None
) -> Any | None:
    """The visitor's latest pending or shown invitation that has not expired (or that one)."""
    stmt = _with_agent().where(
        Invitation.visitor_id == visitor_id,
        Invitation.outcome.in_(OPEN_OUTCOMES),
        or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
    )
    if invitation_id is not None:
        stmt = stmt.where(Invitation.id == invitation_id)
    return (await conn.execute(stmt.order_by(Invitation.id.desc()).limit(1))).first()


async def close_invitation(
    conn: AsyncConnection,
    invitation_id: int,
    *,
    outcome: str,
    now: datetime,
    visitor_id: str | None = None,
    chat_id: int | None = None,
) -> bool:
    """Move a pending or shown invitation to its final outcome: a conditional write, so only
    one outcome wins (a dismissal racing the expiry job...)."""
    conditions = [Invitation.id == invitation_id, Invitation.outcome.in_(OPEN_OUTCOMES)]
    if visitor_id is not None:
        conditions.append(Invitation.visitor_id == visitor_id)
    values: dict[str, Any] = {"outcome": outcome, "outcome_at": now}
    if chat_id is not None:
        values["chat_id"] = chat_id
    result = await conn.execute(update(Invitation).where(*conditions).values(**values))
    return bool(result.rowcount)


async def mark_shown(
    conn: AsyncConnection, invitation_id: int, visitor_id: str, now: datetime, expires: datetime
) -> bool:
    """The widget showed it: outcome shown (once), and its expiry counts from now."""
    result = await conn.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.visitor_id == visitor_id, Invitation.outcome == "pending")
        .values(outcome="shown", shown_at=now, outcome_at=now, expires_at=expires)
    )
    return bool(result.rowcount)


async def expired_invitations(conn: AsyncConnection, now: datetime, limit: int = 500) -> list[Any]:
    stmt = (
        select(Invitation.id, Invitation.visitor_id)
        .where(Invitation.outcome.in_(OPEN_OUTCOMES), Invitation.expires_at <= now)
        .order_by(Invitation.expires_at)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def visitor_history(conn: AsyncConnection, visitor_id: str) -> Any:
    """(last_invited_at: the latest invitation that reached them, open_chat: whether a chat is
    open, last_chat_closed_at) — what the caps need, in one round trip."""
    last_invited = (
        select(func.max(Invitation.created_at))
        .where(Invitation.visitor_id == visitor_id, Invitation.outcome != "blocked")
        .scalar_subquery()
    )
    open_chat = select(func.count()).where(Chat.visitor_id == visitor_id, Chat.status != "closed").scalar_subquery()
    last_closed = select(func.max(Chat.closed_at)).where(Chat.visitor_id == visitor_id).scalar_subquery()
    stmt = select(
        last_invited.label("last_invited_at"), open_chat.label("open_chats"), last_closed.label("last_chat_closed_at")
    )
    return (await conn.execute(stmt)).one()


async def latest_visit(conn: AsyncConnection, visitor_id: str) -> Any | None:
    """(visitor_exists, visit_id, department_id) of the visitor's latest visit; None: no such visitor."""
    stmt = (
        select(Visitor.id, Visit.id.label("visit_id"), Visit.department_id)
        .outerjoin(Visit, Visit.id == Visitor.last_visit_id)
        .where(Visitor.id == visitor_id)
    )
    return (await conn.execute(stmt)).first()


async def invited_in_visit(conn: AsyncConnection, visit_id: int) -> bool:
    stmt = select(Invitation.id).where(Invitation.visit_id == visit_id, Invitation.outcome != "blocked").limit(1)
    return (await conn.execute(stmt)).first() is not None


# ---- the simulator and the report ----------------------------------------------------------


async def page_views_since(conn: AsyncConnection, since: datetime, *, limit: int) -> list[Any]:
    """Stored page views from `since` with their visit's facts, in visit then time order."""
    stmt = (
        select(
            PageView.visit_id,
            PageView.at,
            PageView.url,
            PageView.title,
            PageView.visible_ms,
            Visit.visitor_id,
            Visit.number,
            Visit.started_at,
            Visit.referrer,
            Visit.country,
            Visit.device,
            Visit.language,
            Visit.department_id,
        )
        .join(Visit, Visit.id == PageView.visit_id)
        .where(PageView.at >= since)
        .order_by(PageView.visit_id, PageView.at, PageView.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def outcome_counts(
    conn: AsyncConnection, *, since: datetime, until: datetime, department_ids: Iterable[int] | None
) -> list[Any]:
    """(department_id, rule_id, agent_id, outcome, shown (0/1), n) of invitations created in [since, until)."""
    shown = case((Invitation.shown_at.is_(None), 0), else_=1)
    stmt = (
        select(
            Invitation.department_id,
            Invitation.rule_id,
            Invitation.agent_id,
            Invitation.outcome,
            shown.label("shown"),
            func.count().label("n"),
        )
        .where(Invitation.created_at >= since, Invitation.created_at < until)
        .group_by(Invitation.department_id, Invitation.rule_id, Invitation.agent_id, Invitation.outcome, shown)
    )
    if department_ids is not None:
        stmt = stmt.where(Invitation.department_id.in_(list(department_ids)))
    return list((await conn.execute(stmt)).all())


async def blocked_reasons(
    conn: AsyncConnection, *, since: datetime, until: datetime, department_ids: Iterable[int] | None
) -> list[Any]:
    stmt = (
        select(Invitation.rule_id, Invitation.blocked_reason, func.count().label("n"))
        .where(Invitation.created_at >= since, Invitation.created_at < until, Invitation.outcome == "blocked")
        .group_by(Invitation.rule_id, Invitation.blocked_reason)
    )
    if department_ids is not None:
        stmt = stmt.where(Invitation.department_id.in_(list(department_ids)))
    return list((await conn.execute(stmt)).all())


async def names(conn: AsyncConnection, rule_ids: Iterable[int], user_ids: Iterable[int]) -> tuple[dict, dict]:
    rule_names = {}
    if rule_ids:
        stmt = select(InvitationRule.id, InvitationRule.name).where(InvitationRule.id.in_(list(rule_ids)))
        rule_names = {r.id: r.name for r in await conn.execute(stmt)}
    user_names = {}
    if user_ids:
        stmt = select(User.id, User.name).where(User.id.in_(list(user_ids)))
        user_names = {u.id: u.name for u in await conn.execute(stmt)}
    return rule_names, user_names
