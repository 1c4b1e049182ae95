"""The chats a user handled, and the read scope as SQL (frontdesk/domain/access.py has the rule).

"Handled" means: assigned to the chat (now, or before a transfer or a take-over) or joined it as
a visible participant — never "wrote an internal note". Every way a chat gets an agent writes a
`routing_log` row with that agent (`assigned` on accept, `transferred` to an agent,
`taken_over`), and joining writes `joined`; a participant still in the chat also has its
`chat_participants` row. An agent replies only in a chat they hold or joined, so replying is
covered too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Chat, ChatParticipant, RoutingLog

HANDLED_KINDS = ("assigned", "transferred", "taken_over", "joined")


def handled_chat_ids(user_id: int) -> Any:
    """SELECT of the ids of the chats the user handled (may repeat an id)."""
    return union_all(
        select(RoutingLog.chat_id).where(
            RoutingLog.agent_id == user_id, RoutingLog.kind.in_(HANDLED_KINDS), RoutingLog.chat_id.is_not(None)
        ),
        select(ChatParticipant.chat_id).where(ChatParticipant.user_id == user_id),
    )


async def handled(conn: AsyncConnection, chat_id: int, user_id: int) -> bool:
    """Whether the user handled this chat (see the module's docstring)."""
    logged = select(RoutingLog.id).where(
        RoutingLog.chat_id == chat_id, RoutingLog.agent_id == user_id, RoutingLog.kind.in_(HANDLED_KINDS)
    )
    if (await conn.execute(logged.limit(1))).first() is not None:
        return True
    joined = select(ChatParticipant.chat_id).where(
        ChatParticipant.chat_id == chat_id, ChatParticipant.user_id == user_id
    )
    return (await conn.execute(joined.limit(1))).first() is not None


def scope_condition(departments: Iterable[int], user_id: int | None, *, queued_anywhere: bool = False) -> Any:
    """`chats` rows a scoped user may read: their departments' chats, chats assigned to them or
    that they handled, and (`queued_anywhere`) waiting chats of any department."""
    mine = sorted(departments)
    parts: list[ColumnElement[bool]] = [Chat.department_id.in_(mine) if mine else false()]
    if user_id is not None:
        parts += [Chat.assignee_id == user_id, Chat.id.in_(handled_chat_ids(user_id))]
    if queued_anywhere:
        parts.append(Chat.status == "queued")
    return or_(*parts)
