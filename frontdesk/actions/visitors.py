"""Visitor actions: issuing identities and recording what the visitor tells us."""

from __future__ import annotations

from typing import Any

from frontdesk.actions.context import Context, VisitorActor, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.text import clean_optional_line, parse_email_address, scrub
from frontdesk.security.tokens import new_visitor_id, sign_visitor
from frontdesk.store import visitor_store
from frontdesk.wire import visitor_payload


async def do_create_visitor(*, ctx: Context, user_agent: str | None = None) -> tuple[dict[str, Any], str]:
    visitor_id = new_visitor_id()
    async with unit_of_work(ctx) as (conn, _outbox):
        await visitor_store.create_visitor(conn, visitor_id, now=utcnow(), user_agent=scrub(user_agent, max_chars=500))
    return {"id": visitor_id, "name": None, "email": None}, sign_visitor(visitor_id, ctx.settings.signing_key)


def check_visitor_update(fields: dict[str, object]) -> dict[str, str | None]:
    """Only the fields given are changed: `{"name": "Ann"}` keeps the e-mail we have."""
    values: dict[str, str | None] = {}
    if "name" in fields:
        values["name"] = clean_optional_line(fields["name"], "name", max_chars=100)
    if "email" in fields:
        email = fields["email"]
        blank = email is None or (isinstance(email, str) and not email.strip())
        values["email"] = None if blank else parse_email_address(email, "email")
    return values


async def do_update_visitor(*, ctx: Context, actor: VisitorActor, fields: dict[str, object]) -> dict[str, Any]:
    values = check_visitor_update({k: v for k, v in fields.items() if k in ("name", "email")})
    async with unit_of_work(ctx) as (conn, _outbox):
        await visitor_store.update_visitor(conn, actor.visitor_id, values)
        row = await visitor_store.visitor_row(conn, actor.visitor_id)
    if row is None:
        raise ChatRuleError("not_found", "Unknown visitor.")
    return visitor_payload(row)


async def do_record_visit(*, ctx: Context, actor: VisitorActor, page: object) -> dict[str, Any] | None:
    """Note the page the visitor is on (shown to agents); returns the visitor, or None if unknown."""
    values: dict[str, Any] = {"last_seen_at": utcnow()}
    if isinstance(page, dict):
        for key, column, limit in (
            ("url", "page_url", 2000),
            ("title", "page_title", 300),
            ("referrer", "referrer", 2000),
        ):
            value = page.get(key)
            if isinstance(value, str):  # sent by the browser, not typed: cleaned silently, never refused
                values[column] = scrub(value, max_chars=limit)
    async with unit_of_work(ctx) as (conn, _outbox):
        await visitor_store.update_visitor(conn, actor.visitor_id, values)
        row = await visitor_store.visitor_row(conn, actor.visitor_id)
    return None if row is None else visitor_payload(row)


async def visitor_name(*, ctx: Context, actor: VisitorActor) -> str | None:
    async with ctx.db.read() as conn:
        return await visitor_store.visitor_name(conn, actor.visitor_id)
