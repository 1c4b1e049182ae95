"""The live view: who is on the site now, and one visitor's journey (reads only; docs/architecture/
visitors.md, "Live view").

Who may look (`visitor.view`, frontdesk/permissions.py): admins and managers every visitor;
supervisors, and agents marked as greeters (`users.greeter`), the visitors of their own
departments and those whose department is not known (no open chat, no department set by the
page). `visitor_scope` decides that once per request or `visitors.watch`; INVITE's
`visitor.invite` is checked the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.access import my_departments, read_scope
from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import iso, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.live_view import LiveQuery
from frontdesk.permissions import allowed, department_scoped, greeter_rule, require
from frontdesk.store import live_store
from frontdesk.wire import live_visitor

NO_VISITOR = "No such visitor, or not one you may see."

# An answer of visitor_scope: None (every visitor) or the departments whose visitors (plus those
# of no known department) the actor sees.
Scope = frozenset[int] | None


async def scope_in(conn: AsyncConnection, actor: AgentActor, action: str = "visitor.view") -> Scope:
    """visitor_scope on an open connection."""
    if greeter_rule(actor.role, action):
        if not await live_store.greeter(conn, actor.id):
            raise ChatRuleError(
                "forbidden", f"Only agents marked as greeters may do {action}; ask a manager to mark you."
            )
        return await my_departments(conn, actor)
    require(actor.role, action)
    if department_scoped(actor.role, action):
        return await my_departments(conn, actor)
    return None


async def visitor_scope(*, ctx: Context, actor: AgentActor, action: str = "visitor.view") -> Scope:
    """The visitors the actor may see (or invite, with action="visitor.invite"); `forbidden`
    for a role outside the rule, and for an agent not marked as a greeter."""
    async with ctx.db.read() as conn:
        return await scope_in(conn, actor, action)


async def visitor_flags(*, ctx: Context, actor: AgentActor) -> dict[str, bool]:
    """For the console (GET /api/v1/auth/me): `greeter` (the user's mark) and
    `may_view_visitors` (whether the Visitors page is open to them)."""
    async with ctx.db.read() as conn:
        greeter = await live_store.greeter(conn, actor.id)
        try:
            await scope_in(conn, actor)
        except ChatRuleError:
            return {"greeter": greeter, "may_view_visitors": False}
    return {"greeter": greeter, "may_view_visitors": True}


async def live_page(*, ctx: Context, query: LiveQuery, scope: Scope) -> dict[str, Any]:
    """One page of the online visitors the scope shows, filtered and sorted, with the counters:
    {counters: {online, chatting, waiting, invited}, total, page, page_size, items}."""
    now = utcnow()
    async with ctx.db.read() as conn:
        counts = await live_store.live_counters(conn, now=now, query=query, departments=scope)
        rows = await live_store.live_visitors(conn, now=now, query=query, departments=scope) if counts["total"] else []
    total = counts.pop("total")
    return {
        "counters": counts,
        "total": total,
        "page": query.page,
        "page_size": query.page_size,
        "items": [live_visitor(row) for row in rows],
    }


async def list_live(*, ctx: Context, actor: AgentActor, query: LiveQuery) -> dict[str, Any]:
    """GET /api/v1/visitors/live."""
    return await live_page(ctx=ctx, query=query, scope=await visitor_scope(ctx=ctx, actor=actor))


def _visit(row: Any, pages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "started_at": iso(row.started_at),
        "last_seen_at": iso(row.last_seen_at),
        "ended_at": iso(row.ended_at),
        "left_at": iso(row.left_at),
        "referrer": row.referrer,
        "landing_url": row.landing_url,
        "country": row.country,
        "city": row.city,
        "browser": row.browser,
        "os": row.os,
        "device": row.device,
        "language": row.language,
        "screen": row.screen,
        "pages_count": row.pages or 0,
        "visible_ms": row.visible_ms or 0,
        "department_id": row.department_id,
        "pages": pages,
    }


async def journey(*, ctx: Context, actor: AgentActor, visitor_id: str) -> dict[str, Any]:
    """A visitor's latest visits with their pages and times, their chats (ids: links to the
    transcripts) and where they are and what they use (their latest visit's place and device).

    Whoever may see the visitor in the live view may read it; so may whoever may read one of
    the visitor's chats (their agent, in the chat's side panel). Anyone else: 404, as for a
    visitor that does not exist. The chats listed are only those the reader may read."""
    require(actor.role, "chat.read")
    async with ctx.db.read() as conn:
        visitor = await live_store.journey_visitor(conn, visitor_id)
        if visitor is None:
            raise ChatRuleError("not_found", NO_VISITOR)
        chats = await live_store.journey_chats(conn, visitor_id, (await read_scope(conn, actor)).condition())
        if not chats and not await _may_view(conn, actor, visitor_id):
            raise ChatRuleError("not_found", NO_VISITOR)
        visits = await live_store.journey_visits(conn, visitor_id)
        pages = await live_store.journey_pages(conn, [v.id for v in visits])
    by_visit: dict[int, list[dict[str, Any]]] = {}
    for p in pages:
        by_visit.setdefault(p.visit_id, []).append(
            {"id": p.id, "at": iso(p.at), "url": p.url, "title": p.title, "visible_ms": p.visible_ms}
        )
    latest = visits[0] if visits else None
    return {
        "visitor": {
            "id": visitor.id,
            "name": visitor.name,
            "email": visitor.email,
            "visits": visitor.visits or 0,
            "first_seen_at": iso(visitor.created_at),
        },
        "location": None
        if latest is None
        else {"country": latest.country, "city": latest.city, "language": latest.language},
        "device": None
        if latest is None
        else {"device": latest.device, "browser": latest.browser, "os": latest.os, "screen": latest.screen},
        "visits": [_visit(v, by_visit.get(v.id, [])) for v in visits],
        "chats": [
            {
                "id": c.id,
                "status": c.status,
                "created_at": iso(c.created_at),
                "closed_at": iso(c.closed_at),
                "last_message": c.last_message_text,
                "invitation_id": c.invitation_id,
                "department": {"id": c.department_id, "name": c.department_name},
                "agent": None if c.agent_id is None else {"id": c.agent_id, "name": c.agent_name},
            }
            for c in chats
        ],
    }


async def _may_view(conn: AsyncConnection, actor: AgentActor, visitor_id: str) -> bool:
    """visitor.view over this visitor: the department of their latest visit (or open chat) is
    in the actor's scope, or not known."""
    if not (allowed(actor.role, "visitor.view") or greeter_rule(actor.role, "visitor.view")):
        return False
    try:
        scope = await scope_in(conn, actor)
    except ChatRuleError:
        return False
    if scope is None:
        return True
    _, department_id = await live_store.visitor_department(conn, visitor_id)
    return department_id is None or department_id in scope
