"""Queries for routing: the routing log, offers on waiting chats, wait estimates, agents' status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.clock import as_utc
from frontdesk.store.models import Chat, RoutingLog, User


async def log_routing(
    conn: AsyncConnection,
    *,
    kind: str,
    chat_id: int | None,
    department_id: int | None,
    agent_id: int | None = None,
    now: datetime,
    **data: Any,
) -> None:
    """One `routing_log` row: what routing did to a chat (offered, declined, transferred, missed…)."""
    await conn.execute(
        insert(RoutingLog).values(
            chat_id=chat_id, department_id=department_id, kind=kind, agent_id=agent_id, data=data, created_at=now
        )
    )


async def refusals(conn: AsyncConnection, chat_ids: list[int]) -> dict[int, frozenset[int]]:
    """Agents who declined or let an offer of each chat expire."""
    rows = await conn.execute(
        select(RoutingLog.chat_id, RoutingLog.agent_id).where(
            RoutingLog.chat_id.in_(chat_ids), RoutingLog.kind.in_(("declined", "offer_expired"))
        )
    )
    out: dict[int, set[int]] = {}
    for chat_id, agent_id in rows:
        if chat_id is not None and agent_id is not None:  # always set for these kinds
            out.setdefault(chat_id, set()).add(agent_id)
    return {k: frozenset(v) for k, v in out.items()}


async def recent_handle_seconds(conn: AsyncConnection, department_id: int, limit: int = 50) -> list[float]:
    """How long the department's last closed chats were in an agent's hands, newest first."""
    rows = await conn.execute(
        select(Chat.assigned_at, Chat.closed_at)
        .where(Chat.department_id == department_id, Chat.status == "closed", Chat.assigned_at.is_not(None))
        .order_by(Chat.closed_at.desc())
        .limit(limit)
    )
    return [(as_utc(c) - as_utc(a)).total_seconds() for a, c in rows if a and c]


async def set_wait_estimates(conn: AsyncConnection, estimates: list[tuple[int, float]]) -> None:
    """Record the first wait estimate of each (chat id, seconds)."""
    if estimates:
        await conn.execute(
            update(Chat).where(Chat.id == bindparam("b_id")).values(wait_estimate_seconds=bindparam("b_est")),
            [{"b_id": chat_id, "b_est": seconds} for chat_id, seconds in estimates],
        )


async def offer_chat(conn: AsyncConnection, chat_id: int, agent_id: int, expires: datetime) -> bool:
    """Offer a waiting chat that is offered to nobody and assigned to nobody; False if it is not."""
    result = await conn.execute(
        update(Chat)
        .where(Chat.id == chat_id, Chat.status == "queued", Chat.offered_to.is_(None), Chat.assignee_id.is_(None))
        .values(offered_to=agent_id, offer_expires_at=expires)
    )
    return result.rowcount == 1


async def clear_offer(conn: AsyncConnection, chat_id: int) -> None:
    await conn.execute(update(Chat).where(Chat.id == chat_id).values(offered_to=None, offer_expires_at=None))


async def expired_offer_chat_ids(conn: AsyncConnection, now: datetime) -> list[int]:
    """Waiting chats whose offer was not accepted before `now`."""
    rows = await conn.execute(
        select(Chat.id).where(Chat.status == "queued", Chat.offered_to.is_not(None), Chat.offer_expires_at < now)
    )
    return [chat_id for (chat_id,) in rows]


async def chats_offered_to(conn: AsyncConnection, agent_id: int) -> list[Any]:
    """(id, department_id) of the waiting chats offered to an agent, locked."""
    rows = await conn.execute(
        select(Chat.id, Chat.department_id)
        .where(Chat.offered_to == agent_id, Chat.status == "queued")
        .with_for_update(key_share=True)
    )
    return list(rows.all())


def closed_as_missed(now: datetime) -> dict[str, Any]:
    """The chat's columns when it ends without anyone having answered."""
    return {
        "status": "closed",
        "closed_at": now,
        "closed_by": "system",
        "missed": True,
        "offered_to": None,
        "offer_expires_at": None,
    }


async def agent_status(conn: AsyncConnection, agent_id: int, *, lock: bool = False) -> str | None:
    """The agent's status (online, away, offline); None for no such user."""
    stmt = select(User.status).where(User.id == agent_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def set_agent_status(conn: AsyncConnection, agent_id: int, status: str) -> None:
    await conn.execute(update(User).where(User.id == agent_id).values(status=status))


async def note_assigned(conn: AsyncConnection, agent_id: int, now: datetime) -> None:
    """The agent was last offered a chat at `now` (the least recently offered goes first)."""
    await conn.execute(update(User).where(User.id == agent_id).values(last_assigned_at=now))
