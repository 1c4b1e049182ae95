"""Offline messages: what a visitor leaves when nobody can chat, for agents and by e-mail."""

from __future__ import annotations

from typing import Any

from frontdesk.actions.context import AgentActor, Context, VisitorActor, unit_of_work
from frontdesk.actions.mail import enqueue_mail
from frontdesk.clock import iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError, check_message_text
from frontdesk.domain.text import clean_line, clean_optional_line, clean_text, parse_email_address
from frontdesk.permissions import require
from frontdesk.store import department_store, ticket_store
from frontdesk.store.routing_store import log_routing
from frontdesk.wire import ticket_created_frame


def check_offline_message(name: object, email: object, text: object, *, max_chars: int) -> tuple[str | None, str, str]:
    clean_name = clean_optional_line(name, "name", max_chars=100)
    if email is None:
        raise ChatRuleError("bad_request", "email: we need your e-mail address to answer you", field="email")
    address = parse_email_address(email, "email")
    body = check_message_text(clean_text(text, "text", multiline=True), max_chars=max_chars)
    return clean_name, address, body


def ticket_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "department": None
        if row.department_id is None
        else {"id": row.department_id, "slug": row.slug, "name": row.dept_name},
        "name": row.name,
        "email": row.email,
        "text": row.body,
        "status": row.status,
        "created_at": iso(row.created_at),
        "done_at": iso(row.done_at),
    }


async def do_leave_offline_message(
    *, ctx: Context, department: object, name: object, email: object, text: object, visitor: VisitorActor | None
) -> dict[str, Any]:
    clean_name, clean_email, body = check_offline_message(name, email, text, max_chars=ctx.settings.max_message_chars)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        if department is None:
            dept = await department_store.default_department(conn)
        elif isinstance(department, str):
            dept = await department_store.department_by_slug(conn, clean_line(department, "department"))
        else:
            dept = None
        if dept is None:
            raise ChatRuleError("bad_request", "department: no such department", field="department")
        ticket_id = await ticket_store.insert_ticket(
            conn,
            department_id=dept.id,
            visitor_id=visitor.visitor_id if visitor else None,
            name=clean_name,
            email=clean_email,
            body=body,
            created_at=now,
        )
        if dept.email:
            who = f"{clean_name} <{clean_email}>" if clean_name else clean_email
            await enqueue_mail(
                conn,
                to=dept.email,
                subject=f"[{dept.name}] Offline message from {clean_name or clean_email}",
                body=f"{who} left a message for {dept.name} while nobody was available:\n\n{body}\n\n"
                f"Reply to this e-mail to answer them.\n",
                reply_to=clean_email,
            )
        await log_routing(
            conn, kind="offline_ticket", chat_id=None, department_id=dept.id, now=now, ticket_id=ticket_id
        )
        row = await ticket_store.ticket(conn, ticket_id)
        outbox.add([audience.queue_topic(dept.id)], ticket_created_frame(ticket_payload(row)))
    return ticket_payload(row)


async def list_tickets(
    *, ctx: Context, actor: AgentActor, status: str = "open", limit: int = 100
) -> list[dict[str, Any]]:
    require(actor.role, "ticket.read")
    if status not in ("open", "done"):
        raise ChatRuleError("bad_request", "status: must be open or done", field="status")
    async with ctx.db.read() as conn:
        rows = await ticket_store.tickets(conn, status, limit)
    return [ticket_payload(r) for r in rows]


async def do_mark_ticket_done(*, ctx: Context, actor: AgentActor, ticket_id: int) -> dict[str, Any]:
    require(actor.role, "ticket.update")
    async with unit_of_work(ctx) as (conn, _outbox):
        if not await ticket_store.mark_done(conn, ticket_id, now=utcnow(), by=actor.id):
            raise ChatRuleError("not_found", "No such offline message.")
        row = await ticket_store.ticket(conn, ticket_id)
    return ticket_payload(row)
