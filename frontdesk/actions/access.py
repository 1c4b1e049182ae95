"""Who may do what with a stored chat, written once.

Reading: the rule of frontdesk/domain/access.py; every path that reads a chat for an agent (REST,
socket `sync`, files, reviews, annotations, watch, archive, lists) goes through `readable_chat`
/ `check_readable` or, for lists, `read_scope`.

Replying: every way an agent writes to a chat's visitor — free text (actions/chats.py and the
group-commit writer), a canned response (actions/canned.py), a file (actions/attachments.py) —
goes through `writable_chat`: the chat's assignee, or a supervisor who joined it as a visible
participant (docs/architecture/supervision.md). Whatever else applies to the assignee applies
to the participant too (scripted mode, the chat being open).

A chat that does not exist, and one the user may not read, is the same `NOT_FOUND`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import AgentActor, VisitorActor
from frontdesk.domain.access import may_read_chat, may_write_note
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus, can_reply
from frontdesk.permissions import allowed, department_scoped, require
from frontdesk.store import access_store, chat_store, department_store, supervision_store

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


async def my_departments(conn: AsyncConnection, actor: AgentActor) -> frozenset[int]:
    return frozenset(await department_store.departments_of_user(conn, actor.id))


async def check_readable(conn: AsyncConnection, actor: AgentActor, chat: Any) -> None:
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


async def readable_chat(conn: AsyncConnection, actor: AgentActor, chat_id: int, *, lock: bool = False) -> Any:
    """The chat's state (`chat_store.chat_status`) if the actor may read it; otherwise 404."""
    require(actor.role, "chat.read")
    chat = await chat_store.chat_status(conn, chat_id, lock=lock)
    if chat is None:
        raise ChatRuleError("not_found", NOT_FOUND)
    await check_readable(conn, actor, chat)
    return chat


async def handled(conn: AsyncConnection, actor: AgentActor, chat: Any) -> bool:
    """The actor holds the chat or handled it before (not: wrote a note in it)."""
    return chat.assignee_id == actor.id or await access_store.handled(conn, chat.id, actor.id)


async def check_note(conn: AsyncConnection, actor: AgentActor, chat: Any) -> None:
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


async def read_scope(conn: AsyncConnection, actor: AgentActor) -> ReadScope:
    require(actor.role, "chat.read")
    if not department_scoped(actor.role, "chat.read"):
        return ReadScope(None, None)
    return ReadScope(
        await my_departments(conn, actor),
        actor.id,
        queued_anywhere=allowed(actor.role, "chat.accept_any_department"),
    )


def not_found() -> ChatRuleError:
    return ChatRuleError("not_found", NOT_FOUND)


async def may_write_as_participant(conn: AsyncConnection, chat: Any, actor: AgentActor) -> bool:
    """A supervisor who joined an active chat writes to its visitor like its agent does."""
    return (
        chat.status == ChatStatus.ACTIVE
        and chat.assignee_id != actor.id
        and allowed(actor.role, "chat.join")
        and await supervision_store.is_participant(conn, chat.id, actor.id)
    )


def check_reply(chat: Any, actor: AgentActor, *, participant: bool) -> None:
    """The reply rule once the participant question is answered: a joined supervisor may
    reply; anyone else only in a chat they hold (domain/chat_rules.can_reply)."""
    if not participant:
        can_reply(chat.status, chat.assignee_id, actor.id)


async def writable_chat(conn: AsyncConnection, actor: AgentActor, chat_id: int) -> Any:
    """The chat (`chat_store.chat_status`, locked until the transaction ends) an agent is about
    to reply in with text, a canned response or a file: 404 when it does not exist; refused
    unless the agent holds it or joined it as a supervisor."""
    require(actor.role, "chat.reply")
    chat = await chat_store.chat_status(conn, chat_id, lock=True)
    if chat is None:
        raise not_found()
    check_reply(chat, actor, participant=await may_write_as_participant(conn, chat, actor))
    return chat


async def closable_chat(conn: AsyncConnection, actor: AgentActor | VisitorActor, chat_id: int) -> Any:
    """The chat (locked) its visitor, its agent or a supervisor is about to close: 404 for a
    chat that does not exist or is another visitor's; an agent closes a chat that is theirs or
    nobody's, and `chat.close_any` any chat."""
    chat = await chat_store.chat_status(conn, chat_id, lock=True)
    if chat is None:
        raise not_found()
    if isinstance(actor, VisitorActor):
        if chat.visitor_id != actor.visitor_id:
            raise not_found()
        return chat
    require(actor.role, "chat.close")
    if chat.assignee_id not in (None, actor.id) and not allowed(actor.role, "chat.close_any"):
        raise ChatRuleError("forbidden", "Only the assigned agent or a supervisor can close this chat.")
    return chat
