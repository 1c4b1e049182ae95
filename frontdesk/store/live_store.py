"""The live view's queries: online visitors filtered, sorted and paged in SQL, their counters, and
one visitor's journey (docs/architecture/visitors.md, "Live view").

Online: a `visits` row with `left_at` and `ended_at` NULL whose `last_seen_at` is recent
(domain/live_view.ONLINE_WITHIN): the `ix_visits_ended_seen (ended_at, last_seen_at)` index is a
range scan over exactly those. Each row is joined to the visitor's open chat (at most one:
`uq_chats_visitor_open`, whose partial index the `status != 'closed'` join uses) and their
newest pending invitation; the page's rows (not the counters) also to the visitor (their name)
and the chat's agent.

A visitor's state: `chatting` (open chat, active), `waiting` (open chat, queued), `invited` (an
invitation `pending` or `shown` that has not expired), else `none`. Their department: their open
chat's, else the one the page set on the visit (NULL when neither is known).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.domain.live_view import ONLINE_WITHIN, LiveQuery
from frontdesk.store.models import Chat, Department, Invitation, PageView, User, Visit, Visitor

PENDING_OUTCOMES = ("pending", "shown")
JOURNEY_VISITS = 20
JOURNEY_PAGES = 500
JOURNEY_CHATS = 50


def _pending(now: datetime) -> Any:
    """Per visitor, the newest invitation still waiting for an answer."""
    return (
        select(Invitation.visitor_id, func.max(Invitation.id).label("invitation_id"))
        .where(
            Invitation.outcome.in_(PENDING_OUTCOMES),
            or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
        )
        .group_by(Invitation.visitor_id)
        .subquery("pending")
    )


def _online(now: datetime) -> ColumnElement[bool]:
    return and_(Visit.ended_at.is_(None), Visit.left_at.is_(None), Visit.last_seen_at >= now - ONLINE_WITHIN)


class _View:
    """The joined rows of the live view and the expressions filters, sorts and counters use."""

    def __init__(self, now: datetime) -> None:
        self.pending = _pending(now)
        self.state = case(
            (Chat.status == "active", "chatting"),
            (Chat.status == "queued", "waiting"),
            (self.pending.c.invitation_id.is_not(None), "invited"),
            else_="none",
        )
        self.department = func.coalesce(Chat.department_id, Visit.department_id)
        self.online = _online(now)

    def joined(self, stmt: Any) -> Any:
        return (
            stmt.select_from(Visit)
            .outerjoin(Chat, and_(Chat.visitor_id == Visit.visitor_id, Chat.status != "closed"))
            .outerjoin(self.pending, self.pending.c.visitor_id == Visit.visitor_id)
        )

    def scope(self, departments: frozenset[int] | None) -> ColumnElement[bool]:
        """Everything (None), or visitors of those departments and those of no known department."""
        if departments is None:
            return true()
        mine = sorted(departments)
        return or_(self.department.is_(None), self.department.in_(mine) if mine else false())

    def filters(self, query: LiveQuery) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if query.url is not None:
            parts.append(func.lower(Visit.page_url).contains(query.url.lower(), autoescape=True))
        if query.referrer is not None:
            parts.append(func.lower(Visit.referrer).contains(query.referrer.lower(), autoescape=True))
        if query.country is not None:
            parts.append(Visit.country == query.country)
        if query.returning is not None:
            parts.append(Visit.number > 1 if query.returning else Visit.number <= 1)
        if query.state is not None:
            parts.append(self.state == query.state)
        if query.department is not None:
            parts.append(self.department == query.department)
        return and_(true(), *parts)

    def order(self, query: LiveQuery) -> list[Any]:
        if query.sort == "time_on_site":  # a longer time on site is an earlier start
            keys: list[Any] = [Visit.started_at.desc() if not query.descending else Visit.started_at.asc()]
        elif query.sort == "country":  # visitors of no known country last, either way
            country = Visit.country
            keys = [country.is_(None), country.desc() if query.descending else country.asc()]
        else:
            column: Any = {"pages": Visit.pages, "page_since": Visit.page_since, "visit_number": Visit.number}[
                query.sort
            ]
            keys = [column.desc() if query.descending else column.asc()]
        keys.append(Visit.id.desc() if query.descending else Visit.id.asc())
        return keys


async def live_counters(
    conn: AsyncConnection, *, now: datetime, query: LiveQuery, departments: frozenset[int] | None
) -> dict[str, int]:
    """online, chatting, waiting, invited (of the visitors in scope) and total (those matching
    the filters): one aggregate over the online visits."""
    view = _View(now)

    def count(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    stmt = view.joined(
        select(
            func.count().label("online"),
            count(view.state == "chatting").label("chatting"),
            count(view.state == "waiting").label("waiting"),
            count(view.state == "invited").label("invited"),
            count(view.filters(query)).label("total"),
        )
    ).where(view.online, view.scope(departments))
    row = (await conn.execute(stmt)).one()
    return {key: int(getattr(row, key) or 0) for key in ("online", "chatting", "waiting", "invited", "total")}


async def live_visitors(
    conn: AsyncConnection, *, now: datetime, query: LiveQuery, departments: frozenset[int] | None
) -> list[Any]:
    """One page of online visitors: the visit's columns, the visitor's name, the open chat
    (chat_id, chat_status, agent_id, agent_name), invitation_id and state."""
    view = _View(now)
    stmt = (
        view.joined(
            select(
                Visit.id,
                Visit.visitor_id,
                Visit.number,
                Visit.started_at,
                Visit.page_url,
                Visit.page_title,
                Visit.page_since,
                Visit.referrer,
                Visit.country,
                Visit.city,
                Visit.browser,
                Visit.os,
                Visit.device,
                Visit.language,
                Visit.screen,
                Visit.pages,
                Visit.visible_ms,
                Visitor.name,
                Chat.id.label("chat_id"),
                User.id.label("agent_id"),
                User.name.label("agent_name"),
                view.pending.c.invitation_id,
                view.state.label("state"),
                view.department.label("department_id"),
            )
        )
        .join(Visitor, Visitor.id == Visit.visitor_id)
        .outerjoin(User, User.id == Chat.assignee_id)
        .where(view.online, view.scope(departments), view.filters(query))
        .order_by(*view.order(query))
        .offset(query.offset)
        .limit(query.page_size)
    )
    return list((await conn.execute(stmt)).all())


# ---- one visitor ------------------------------------------------------------------------------


async def journey_visitor(conn: AsyncConnection, visitor_id: str) -> Any | None:
    stmt = select(Visitor.id, Visitor.name, Visitor.email, Visitor.visits, Visitor.created_at).where(
        Visitor.id == visitor_id
    )
    return (await conn.execute(stmt)).first()


async def journey_visits(conn: AsyncConnection, visitor_id: str, *, limit: int = JOURNEY_VISITS) -> list[Any]:
    """The visitor's latest visits, newest first (every column of `visits`)."""
    stmt = select(Visit).where(Visit.visitor_id == visitor_id).order_by(Visit.id.desc()).limit(limit)
    return list((await conn.execute(stmt)).all())


async def journey_pages(conn: AsyncConnection, visit_ids: Iterable[int], *, limit: int = JOURNEY_PAGES) -> list[Any]:
    """Page views of those visits, newest first (at most `limit`)."""
    ids = sorted(set(visit_ids))
    if not ids:
        return []
    stmt = (
        select(PageView.id, PageView.visit_id, PageView.at, PageView.url, PageView.title, PageView.visible_ms)
        .where(PageView.visit_id.in_(ids))
        .order_by(PageView.visit_id.desc(), PageView.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def journey_chats(conn: AsyncConnection, visitor_id: str, scope: Any, *, limit: int = JOURNEY_CHATS) -> list[Any]:
    """The visitor's chats (newest first) that `scope` (a condition on `chats`, or None) lets
    the reader see, with their agent and department."""
    stmt = (
        select(
            Chat.id,
            Chat.status,
            Chat.created_at,
            Chat.closed_at,
            Chat.last_message_text,
            Chat.invitation_id,
            Chat.department_id,
            Department.name.label("department_name"),
            User.id.label("agent_id"),
            User.name.label("agent_name"),
        )
        .join(Department, Department.id == Chat.department_id)
        .outerjoin(User, User.id == Chat.assignee_id)
        .where(Chat.visitor_id == visitor_id)
        .order_by(Chat.id.desc())
        .limit(limit)
    )
    if scope is not None:
        stmt = stmt.where(scope)
    return list((await conn.execute(stmt)).all())


async def visitor_department(conn: AsyncConnection, visitor_id: str) -> tuple[bool, int | None]:
    """(has a visit, the department of their latest visit or open chat)."""
    stmt = (
        select(func.coalesce(Chat.department_id, Visit.department_id))
        .select_from(Visit)
        .outerjoin(Chat, and_(Chat.visitor_id == Visit.visitor_id, Chat.status != "closed"))
        .where(Visit.visitor_id == visitor_id)
        .order_by(Visit.id.desc())
        .limit(1)
    )
    row = (await conn.execute(stmt)).first()
    return (row is not None, None if row is None else row[0])


async def greeter(conn: AsyncConnection, user_id: int) -> bool:
    """Whether the user is marked as a greeter (users.greeter)."""
    value = (await conn.execute(select(User.greeter).where(User.id == user_id))).scalar_one_or_none()
    return bool(value)
