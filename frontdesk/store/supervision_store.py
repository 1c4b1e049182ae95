"""Queries for supervision and quality: participants, the monitor's chats, annotations,
scorecards and reviews. Every function takes an open connection; the action owns the
transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.domain.chat_rules import EventKind
from frontdesk.store.chat_store import _chat_select
from frontdesk.store.models import (
    Annotation,
    Chat,
    ChatParticipant,
    Department,
    Message,
    Review,
    ScorecardCriterion,
    User,
)

# -- participants --------------------------------------------------------------------------


async def user_name(conn: AsyncConnection, user_id: int) -> str | None:
    """The name of a user (the agent a supervisor takes a chat from)."""
    return (await conn.execute(select(User.name).where(User.id == user_id))).scalar_one_or_none()


async def is_participant(conn: AsyncConnection, chat_id: int, user_id: int) -> bool:
    stmt = select(ChatParticipant.user_id).where(ChatParticipant.chat_id == chat_id, ChatParticipant.user_id == user_id)
    return (await conn.execute(stmt)).first() is not None


async def participants(conn: AsyncConnection, chat_id: int) -> list[Any]:
    stmt = (
        select(User.id, User.name, ChatParticipant.joined_at)
        .join(ChatParticipant, ChatParticipant.user_id == User.id)
        .where(ChatParticipant.chat_id == chat_id)
        .order_by(ChatParticipant.joined_at, User.id)
    )
    return list((await conn.execute(stmt)).all())


async def add_participant(conn: AsyncConnection, chat_id: int, user_id: int, now: datetime) -> None:
    await conn.execute(insert(ChatParticipant).values(chat_id=chat_id, user_id=user_id, joined_at=now))


async def remove_participant(conn: AsyncConnection, chat_id: int, user_id: int) -> bool:
    result = await conn.execute(
        delete(ChatParticipant).where(ChatParticipant.chat_id == chat_id, ChatParticipant.user_id == user_id)
    )
    return result.rowcount > 0


async def open_chats_joined_by(conn: AsyncConnection, user_id: int) -> list[int]:
    """Chats not closed in which the user is a participant: their sockets follow them."""
    stmt = (
        select(ChatParticipant.chat_id)
        .join(Chat, Chat.id == ChatParticipant.chat_id)
        .where(ChatParticipant.user_id == user_id, Chat.status != "closed")
    )
    return [r[0] for r in await conn.execute(stmt)]


async def participants_of_chats(conn: AsyncConnection, chat_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not chat_ids:
        return {}
    stmt = (
        select(ChatParticipant.chat_id, User.id, User.name)
        .join(User, User.id == ChatParticipant.user_id)
        .where(ChatParticipant.chat_id.in_(chat_ids))
        .order_by(ChatParticipant.joined_at)
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for chat_id, user_id, name in await conn.execute(stmt):
        out.setdefault(chat_id, []).append({"id": user_id, "name": name})
    return out


# -- the monitor ---------------------------------------------------------------------------


async def ongoing_chats(conn: AsyncConnection, department_ids: list[int] | None, limit: int) -> list[Any]:
    """Queued and active chats (of these departments; None: all), oldest first."""
    stmt = _chat_select().where(Chat.status.in_(("queued", "active")))
    if department_ids is not None:
        stmt = stmt.where(Chat.department_id.in_(department_ids))
    return list((await conn.execute(stmt.order_by(Chat.id).limit(limit))).all())


# -- annotations ---------------------------------------------------------------------------

ANNOTATION_COLUMNS = (
    Annotation.id,
    Annotation.chat_id,
    Annotation.message_seq,
    Annotation.author_id,
    Annotation.author_name,
    Annotation.body,
    Annotation.created_at,
)


async def message_at(conn: AsyncConnection, chat_id: int, seq: int) -> Any | None:
    stmt = select(Message.seq, Message.kind, Message.agent_id).where(Message.chat_id == chat_id, Message.seq == seq)
    return (await conn.execute(stmt)).first()


async def add_annotation(conn: AsyncConnection, **values: Any) -> Any:
    result = await conn.execute(insert(Annotation).values(**values).returning(*ANNOTATION_COLUMNS))
    return result.first()


async def chat_annotations(conn: AsyncConnection, chat_id: int) -> list[Any]:
    stmt = (
        select(*ANNOTATION_COLUMNS).where(Annotation.chat_id == chat_id).order_by(Annotation.message_seq, Annotation.id)
    )
    return list((await conn.execute(stmt)).all())


async def annotation(conn: AsyncConnection, annotation_id: int) -> Any | None:
    return (await conn.execute(select(*ANNOTATION_COLUMNS).where(Annotation.id == annotation_id))).first()


async def delete_annotation(conn: AsyncConnection, annotation_id: int) -> None:
    await conn.execute(delete(Annotation).where(Annotation.id == annotation_id))


# -- scorecards ----------------------------------------------------------------------------

CRITERION_COLUMNS = (
    ScorecardCriterion.id,
    ScorecardCriterion.department_id,
    ScorecardCriterion.name,
    ScorecardCriterion.description,
    ScorecardCriterion.weight,
    ScorecardCriterion.position,
)


async def criteria(conn: AsyncConnection, department_id: int) -> list[Any]:
    stmt = (
        select(*CRITERION_COLUMNS)
        .where(ScorecardCriterion.department_id == department_id)
        .order_by(ScorecardCriterion.position, ScorecardCriterion.id)
    )
    return list((await conn.execute(stmt)).all())


async def replace_criteria(conn: AsyncConnection, department_id: int, items: list[dict[str, Any]]) -> None:
    """Keep criteria whose id is given (updated), add new ones, delete the rest. Reviews keep
    their own copy of names and weights, so nothing stored changes with them."""
    existing = {c.id for c in await criteria(conn, department_id)}
    keep = {i["id"] for i in items if i.get("id") in existing}
    gone = existing - keep
    if gone:
        await conn.execute(delete(ScorecardCriterion).where(ScorecardCriterion.id.in_(gone)))
    # Names are unique per department: park kept ones under temporary names first, so a swap
    # of two names does not trip the constraint halfway (a leading space: no real name has one).
    for cid in keep:
        await conn.execute(update(ScorecardCriterion).where(ScorecardCriterion.id == cid).values(name=f" {cid}"))
    for position, item in enumerate(items):
        values = {
            "name": item["name"],
            "description": item["description"],
            "weight": item["weight"],
            "position": position,
        }
        if item.get("id") in keep:
            await conn.execute(update(ScorecardCriterion).where(ScorecardCriterion.id == item["id"]).values(**values))
        else:
            await conn.execute(insert(ScorecardCriterion).values(department_id=department_id, **values))


# -- reviews -------------------------------------------------------------------------------

REVIEW_COLUMNS = (
    Review.id,
    Review.chat_id,
    Review.reviewer_id,
    Review.reviewer_name,
    Review.agent_id,
    Review.department_id,
    Review.scores,
    Review.score,
    Review.comment,
    Review.created_at,
    Review.updated_at,
)


async def review_of(conn: AsyncConnection, chat_id: int, reviewer_id: int) -> Any | None:
    stmt = select(*REVIEW_COLUMNS).where(Review.chat_id == chat_id, Review.reviewer_id == reviewer_id)
    return (await conn.execute(stmt)).first()


async def insert_review(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(Review).values(**values))


async def update_review(conn: AsyncConnection, review_id: int, **values: Any) -> None:
    await conn.execute(update(Review).where(Review.id == review_id).values(**values))


async def reviews_of_chat(conn: AsyncConnection, chat_id: int) -> list[Any]:
    stmt = select(*REVIEW_COLUMNS).where(Review.chat_id == chat_id).order_by(Review.created_at, Review.id)
    return list((await conn.execute(stmt)).all())


async def reviews_of_agent(conn: AsyncConnection, agent_id: int, *, before: int | None, limit: int) -> list[Any]:
    """An agent's reviews, newest chat first, with the chat's visitor and time for the list."""
    stmt = (
        select(
            *REVIEW_COLUMNS,
            Chat.created_at.label("chat_created_at"),
            Chat.visitor_id,
            Department.name.label("department_name"),
        )
        .join(Chat, Chat.id == Review.chat_id)
        .outerjoin(Department, Department.id == Review.department_id)
        .where(Review.agent_id == agent_id)
    )
    if before is not None:
        stmt = stmt.where(Review.id < before)
    return list((await conn.execute(stmt.order_by(Review.id.desc()).limit(limit))).all())


async def score_averages(
    conn: AsyncConnection,
    *,
    start: datetime,
    end: datetime,
    department_ids: list[int] | None,
    by: str,
) -> list[Any]:
    """Average review score per agent or per department, over reviews of chats started in
    [start, end)."""
    key = Review.agent_id if by == "agent" else Review.department_id
    stmt = (
        select(
            key.label("key"),
            func.avg(Review.score).label("average"),
            func.count().label("reviews"),
            func.count(func.distinct(Review.chat_id)).label("chats"),
            func.min(Review.score).label("lowest"),
            func.max(Review.score).label("highest"),
        )
        .join(Chat, Chat.id == Review.chat_id)
        .where(Chat.created_at >= start, Chat.created_at < end, key.is_not(None))
        .group_by(key)
    )
    if department_ids is not None:
        stmt = stmt.where(Review.department_id.in_(department_ids))
    return list((await conn.execute(stmt)).all())


async def names(conn: AsyncConnection, *, users: set[int], departments: set[int]) -> tuple[dict, dict]:
    u = {i: n for i, n in await conn.execute(select(User.id, User.name).where(User.id.in_(users)))} if users else {}
    d = (
        {
            i: (s, n)
            for i, s, n in await conn.execute(
                select(Department.id, Department.slug, Department.name).where(Department.id.in_(departments))
            )
        }
        if departments
        else {}
    )
    return u, d


async def taken_from(conn: AsyncConnection, chat_id: int, user_id: int) -> int | None:
    """The agent this user last took the chat over from, if they did."""
    stmt = (
        select(Message.data)
        .where(Message.chat_id == chat_id, Message.kind == EventKind.CHAT_TAKEN_OVER.value)
        .order_by(Message.seq.desc())
    )
    for (data,) in await conn.execute(stmt):
        if ((data or {}).get("to_agent") or {}).get("id") == user_id:
            return ((data or {}).get("from_agent") or {}).get("id")
    return None
