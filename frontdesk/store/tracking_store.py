"""Queries for `visits` and `page_views` (docs/architecture/visitors.md, "Tracking").

Page views and visible-time updates arrive far more often than anything else (one per visitor
every few seconds); actions/tracking.TrackingWriter buffers them and writes a batch with the
executemany functions here, in one transaction. Every function takes an open connection: the
caller (an action) owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import PageView, Visit, Visitor

VISIT_COLUMNS = (
    Visit.id,
    Visit.visitor_id,
    Visit.number,
    Visit.started_at,
    Visit.last_seen_at,
    Visit.ended_at,
    Visit.left_at,
    Visit.country,
    Visit.city,
    Visit.browser,
    Visit.os,
    Visit.device,
    Visit.language,
    Visit.screen,
    Visit.referrer,
    Visit.landing_url,
    Visit.page_url,
    Visit.page_title,
    Visit.page_since,
    Visit.pages,
    Visit.visible_ms,
    Visit.department_id,
)


# ---- the visit of a connecting visitor --------------------------------------------------------
async def visitor_visits(conn: AsyncConnection, visitor_id: str, *, lock: bool = False) -> Any | None:
    """(visits, last_visit_id) of the visitor, or None for an unknown visitor; lock=True locks
    the visitor's row so two tabs connecting at once agree on the visit."""
    stmt = select(Visitor.visits, Visitor.last_visit_id).where(Visitor.id == visitor_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def visit_row(conn: AsyncConnection, visit_id: int) -> Any | None:
    return (await conn.execute(select(*VISIT_COLUMNS).where(Visit.id == visit_id))).first()


async def insert_visit(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """A new visit (visitor_id, number, started_at, last_seen_at and what is known); its id."""
    return int((await conn.execute(insert(Visit).values(**values).returning(Visit.id))).scalar_one())


async def set_visitor_visit(conn: AsyncConnection, visitor_id: str, *, visits: int, last_visit_id: int) -> None:
    await conn.execute(
        update(Visitor).where(Visitor.id == visitor_id).values(visits=visits, last_visit_id=last_visit_id)
    )


async def update_visit(conn: AsyncConnection, visit_id: int, values: dict[str, Any]) -> None:
    if values:
        await conn.execute(update(Visit).where(Visit.id == visit_id).values(**values))


async def end_visit(conn: AsyncConnection, visit_id: int) -> None:
    """Over: ended when last seen (and left, if the node holding its socket went away)."""
    await conn.execute(
        update(Visit)
        .where(Visit.id == visit_id, Visit.ended_at.is_(None))
        .values(ended_at=Visit.last_seen_at, left_at=func.coalesce(Visit.left_at, Visit.last_seen_at))
    )


# ---- batched writes (actions/tracking.TrackingWriter) -----------------------------------------------
async def finish_last_page_views(conn: AsyncConnection, rows: Sequence[tuple[int, int]]) -> None:
    """(visit_id, visible_ms): the visible time of each visit's latest page view, in one executemany."""
    if not rows:
        return
    latest = select(func.max(PageView.id)).where(PageView.visit_id == bindparam("b_visit")).scalar_subquery()
    await conn.execute(
        update(PageView).where(PageView.id == latest).values(visible_ms=bindparam("b_ms")),
        [{"b_visit": visit_id, "b_ms": ms} for visit_id, ms in rows],
    )


async def insert_page_views(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Page views: dicts of visit_id, visitor_id, at, url, title, referrer, visible_ms."""
    if rows:
        await conn.execute(insert(PageView), list(rows))


async def update_visits(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Each visit's latest snapshot, in one executemany: dicts with b_id, b_seen, b_url, b_title,
    b_since, b_pages, b_ms, b_left (None while connected). Never touches a visit that has ended."""
    if not rows:
        return
    await conn.execute(
        update(Visit)
        .where(Visit.id == bindparam("b_id"), Visit.ended_at.is_(None))
        .values(
            last_seen_at=bindparam("b_seen"),
            page_url=bindparam("b_url"),
            page_title=bindparam("b_title"),
            page_since=bindparam("b_since"),
            pages=bindparam("b_pages"),
            visible_ms=bindparam("b_ms"),
            left_at=bindparam("b_left"),
        ),
        list(rows),
    )


async def touch_visits(conn: AsyncConnection, visit_ids: Sequence[int], now: datetime) -> int:
    """The heartbeat: visits of connected visitors were seen now and are not left (one UPDATE per
    node and beat; a tab on another node that closed may have set left_at)."""
    if not visit_ids:
        return 0
    stmt = (
        update(Visit)
        .where(Visit.id.in_(list(visit_ids)), Visit.ended_at.is_(None))
        .values(last_seen_at=now, left_at=None)
    )
    return (await conn.execute(stmt)).rowcount or 0


async def idle_visit_ids(conn: AsyncConnection, cutoff: datetime, limit: int) -> list[int]:
    """Visits still open but not seen since the cutoff (their visitor gone, or their node dead)."""
    stmt = select(Visit.id).where(Visit.ended_at.is_(None), Visit.last_seen_at < cutoff).order_by(Visit.id)
    return list((await conn.execute(stmt.limit(limit))).scalars())


async def end_visits(conn: AsyncConnection, visit_ids: Sequence[int]) -> int:
    if not visit_ids:
        return 0
    stmt = (
        update(Visit)
        .where(Visit.id.in_(list(visit_ids)), Visit.ended_at.is_(None))
        .values(ended_at=Visit.last_seen_at, left_at=func.coalesce(Visit.left_at, Visit.last_seen_at))
    )
    return (await conn.execute(stmt)).rowcount or 0


# ---- reads --------------------------------------------------------------------------------------------
async def visits_of_visitor(conn: AsyncConnection, visitor_id: str, limit: int = 50) -> list[Any]:
    """The visitor's visits, newest first."""
    stmt = select(*VISIT_COLUMNS).where(Visit.visitor_id == visitor_id).order_by(Visit.id.desc()).limit(limit)
    return list((await conn.execute(stmt)).all())


async def page_views_of_visits(conn: AsyncConnection, visit_ids: Sequence[int], limit: int = 1000) -> list[Any]:
    """Page views of these visits, in the order they happened."""
    if not visit_ids:
        return []
    stmt = (
        select(
            PageView.id,
            PageView.visit_id,
            PageView.at,
            PageView.url,
            PageView.title,
            PageView.referrer,
            PageView.visible_ms,
        )
        .where(PageView.visit_id.in_(list(visit_ids)))
        .order_by(PageView.visit_id, PageView.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


# ---- privacy: retention and deleting a visitor's data ---------------------------------------------
async def count_of_visitor(conn: AsyncConnection, visitor_id: str) -> tuple[int, int]:
    """(visits, page views) stored for the visitor."""
    visits = (await conn.execute(select(func.count()).where(Visit.visitor_id == visitor_id))).scalar_one()
    views = (await conn.execute(select(func.count()).where(PageView.visitor_id == visitor_id))).scalar_one()
    return int(visits), int(views)


async def old_visit_ids(conn: AsyncConnection, cutoff: datetime, limit: int) -> list[int]:
    """Visits over before the cutoff (ended, or last seen then), oldest first."""
    over = or_(Visit.ended_at < cutoff, Visit.last_seen_at < cutoff)
    stmt = select(Visit.id).where(over).order_by(Visit.id).limit(limit)
    return list((await conn.execute(stmt)).scalars())


async def delete_visits(conn: AsyncConnection, visit_ids: Sequence[int]) -> tuple[int, int]:
    """(visits, page views) deleted; the page views first (explicitly, not only by cascade)."""
    if not visit_ids:
        return 0, 0
    ids = list(visit_ids)
    views = (await conn.execute(delete(PageView).where(PageView.visit_id.in_(ids)))).rowcount or 0
    visits = (await conn.execute(delete(Visit).where(Visit.id.in_(ids)))).rowcount or 0
    return visits, views
