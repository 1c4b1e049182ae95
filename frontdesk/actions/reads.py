"""Read paths with their permission checks: what an agent or a visitor may see."""

from __future__ import annotations

from typing import Any

from frontdesk.actions.access import read_scope, readable_chat
from frontdesk.actions.chats import NOT_FOUND
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus
from frontdesk.permissions import allowed, require
from frontdesk.store import attachment_store, chat_store, department_store
from frontdesk.wire import ChatSummary, chat_summary, event_payload

MAX_PAGE = 500


def _check_status(status: object) -> str:
    if status not in tuple(ChatStatus):
        raise ChatRuleError("bad_request", "status: must be queued, active or closed", field="status")
    return str(status)


async def list_chats(
    *,
    ctx: Context,
    actor: AgentActor,
    status: str,
    before: int | None = None,
    limit: int = 50,
    mine: bool | None = None,
) -> dict[str, Any]:
    require(actor.role, "chat.list")
    status = _check_status(status)
    limit = max(1, min(limit, 200))
    # Active chats: an agent sees their own. Every list holds only chats the actor may read
    # (actions/access.py): agents and supervisors their departments' and the chats they handled;
    # the queue of any department for those who may accept there.
    assignee = actor.id if (mine or (mine is None and status == ChatStatus.ACTIVE and actor.role == "agent")) else None
    leads = allowed(actor.role, "chat.accept_any_department")
    async with ctx.db.read() as conn:
        scope = await read_scope(conn, actor)
        rows = await chat_store.list_chats(
            conn,
            status=status,
            assignee_id=assignee,
            before=before,
            limit=limit + 1,
            oldest_first=status == ChatStatus.QUEUED,
            # An escalated chat waits for its level: agents below it do not see it in the queue.
            viewer_id=actor.id if status == ChatStatus.QUEUED and not leads else None,
            scope=scope.condition(),
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "chats": [chat_summary(r) for r in rows],
        "next_before": rows[-1].id if more and status != ChatStatus.QUEUED else None,
    }


async def get_chat(*, ctx: Context, actor: AgentActor, chat_id: int) -> ChatSummary:
    async with ctx.db.read() as conn:
        await readable_chat(conn, actor, chat_id)
        row = await chat_store.chat_row(conn, chat_id)
    if row is None:
        raise ChatRuleError("not_found", NOT_FOUND)
    return chat_summary(row)


async def events_for_agent(
    *, ctx: Context, actor: AgentActor, chat_id: int, after: int = 0, limit: int = MAX_PAGE
) -> dict[str, Any]:
    """A chat's events for the console (REST `/messages`, socket `sync`): internal ones (notes,
    whispers) included, for whoever may read the chat (actions/access.py); 404 otherwise."""
    async with ctx.db.read() as conn:
        chat = await readable_chat(conn, actor, chat_id)
        rows = await chat_store.events_after(conn, chat_id, max(0, after), min(max(1, limit), MAX_PAGE))
    return {"chat_id": chat_id, "events": [event_payload(r) for r in rows], "last_seq": chat.last_seq}


async def events_for_visitor(
    *, ctx: Context, actor: VisitorActor, chat_id: int, after: int = 0, limit: int = MAX_PAGE
) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        chat = await chat_store.chat_status(conn, chat_id)
        if chat is None or chat.visitor_id != actor.visitor_id:
            raise ChatRuleError("not_found", NOT_FOUND)
        rows = await chat_store.events_after(
            conn, chat_id, max(0, after), min(max(1, limit), MAX_PAGE), include_internal=False
        )
    return {"chat_id": chat_id, "events": [event_payload(r) for r in rows], "last_seq": chat.last_seq}


async def open_chat_for_visitor(*, ctx: Context, actor: VisitorActor) -> dict[str, Any] | None:
    async with ctx.db.read() as conn:
        row = await chat_store.open_chat_of_visitor(conn, actor.visitor_id)
        agent = None  # as visitors see them: name, job title, photo
        if row is not None and row.assignee_id is not None:
            agent = await attachment_store.agent_card(conn, row.assignee_id)
    if row is None:
        return None
    department = {"slug": row.department_slug, "name": row.department_name}
    return {
        "id": row.id,
        "status": row.status,
        "last_seq": row.last_seq,
        "agent": agent,
        "department": department,
        "department_id": row.department_id,
    }


async def watched_departments(*, ctx: Context, actor: AgentActor) -> list[int]:
    """Whose queues an agent watches: their departments; admins and supervisors, all."""
    async with ctx.db.read() as conn:
        if allowed(actor.role, "chat.accept_any_department"):
            return [d.id for d in await department_store.all_departments(conn)]
        return await department_store.departments_of_user(conn, actor.id)
