"""The read rule of frontdesk/domain/access.py applied to stored chats: every path that reads a
chat for an agent (REST, socket `sync`, files, reviews, annotations, watch, archive, lists) goes
through `readable_chat` / `check_readable` or, for lists, `read_scope`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.actions.context import AgentActor
from frontdesk.domain.access import may_read_chat, may_write_note
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.permissions import allowed, department_scoped, require
from frontdesk.store import access_store, chat_store, department_store

# The one answer for a chat that does not exist and for one the user may not read.
NOT_FOUND = "That chat does not exist or is not yours."


@dataclass(frozen=True, slots=True)
class ReadScope:
    """What a user may read, for lists: `departments` None means every chat."""

    departments: frozenset[int] | None
    user_id: int | None
    queued_anywhere: bool = False

    def condition(self) -> Any:
        """The scope as a condition on `chats`, or None when unrestricted."""
        if self.departments is None:
            return None
        return access_store.scope_condition(self.departments, self.user_id, queued_anywhere=self.queued_anywhere)


async def my_departments(conn, actor: AgentActor) -> frozenset[int]:  # type: ignore[no-untyped-def]
    return frozenset(await department_store.departments_of_user(conn, actor.id))


async def check_readable(conn, actor: AgentActor, chat: Any) -> None:  # type: ignore[no-untyped-def]
    """404 (as if the chat did not exist) unless the actor may read it. `chat` needs
    id, department_id, assignee_id and status."""
    require(actor.role, "chat.read")
    if not department_scoped(actor.role, "chat.read"):
        return
    mine = await my_departments(conn, actor)

    def allowed(handled: bool) -> bool:
        return may_read_chat(
            role=actor.role,
            user_id=actor.id,
            department_id=chat.department_id,
            assignee_id=chat.assignee_id,
            status=chat.status,
            my_departments=mine,
            handled=handled,
        )

    # The handled query only when department and assignment do not already decide it.
    if not allowed(False) and not allowed(await access_store.handled(conn, chat.id, actor.id)):
        raise ChatRuleError("not_found", NOT_FOUND)


async def readable_chat(conn, actor: AgentActor, chat_id: int, *, lock: bool = False) -> Any:  # type: ignore[no-untyped-def]
    """The chat's state (`chat_store.chat_status`) if the actor may read it; otherwise 404."""
    require(actor.role, "chat.read")
    chat = await chat_store.chat_status(conn, chat_id, lock=lock)
    if chat is None:
        raise ChatRuleError("not_found", NOT_FOUND)
    await check_readable(conn, actor, chat)
    return chat


async def handled(conn, actor: AgentActor, chat: Any) -> bool:  # type: ignore[no-untyped-def]
    """The actor holds the chat or handled it before (not: wrote a note in it)."""
    return chat.assignee_id == actor.id or await access_store.handled(conn, chat.id, actor.id)


async def check_note(conn, actor: AgentActor, chat: Any) -> None:  # type: ignore[no-untyped-def]
    """A note needs a readable chat (404 otherwise) that is the actor's, or one they handled or
    lead (403 otherwise): see domain/access.may_write_note."""
    require(actor.role, "chat.note")
    await check_readable(conn, actor, chat)
    mine = await my_departments(conn, actor) if department_scoped(actor.role, "chat.note_any") else frozenset()
    if not may_write_note(
        role=actor.role,
        user_id=actor.id,
        department_id=chat.department_id,
        assignee_id=chat.assignee_id,
        my_departments=mine,
        handled=await handled(conn, actor, chat),
    ):
        raise ChatRuleError(
            "forbidden", "Notes are for the chat's agent, the agents who handled it and its department's leads."
        )


async def read_scope(conn, actor: AgentActor) -> ReadScope:  # type: ignore[no-untyped-def]
    require(actor.role, "chat.read")
    if not department_scoped(actor.role, "chat.read"):
        return ReadScope(None, None)
    return ReadScope(
        await my_departments(conn, actor),
        actor.id,
        queued_anywhere=allowed(actor.role, "chat.accept_any_department"),
    )
