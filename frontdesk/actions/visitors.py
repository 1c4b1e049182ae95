"""Visitor actions: issuing identities and recording what the visitor tells us."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, select, update

from frontdesk.actions.context import Context, VisitorActor
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.security.tokens import new_visitor_id, sign_visitor
from frontdesk.store.models import Visitor
from frontdesk.wire import visitor_payload

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


async def do_create_visitor(*, ctx: Context, user_agent: str | None = None) -> tuple[dict[str, Any], str]:
    visitor_id = new_visitor_id()
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(Visitor).values(id=visitor_id, created_at=utcnow(), user_agent=(user_agent or "")[:500] or None)
        )
    return {"id": visitor_id, "name": None, "email": None}, sign_visitor(visitor_id, ctx.settings.signing_key)


def _clean_optional(value: object, field: str, max_len: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ChatRuleError("bad_request", f"{field}: must be a string", field=field)
    value = " ".join(value.split())
    if len(value) > max_len:
        raise ChatRuleError("bad_request", f"{field}: must be at most {max_len} characters", field=field)
    return value or None


def check_visitor_update(fields: dict[str, object]) -> dict[str, str | None]:
    """Only the fields given are changed: `{"name": "Ann"}` keeps the e-mail we have."""
    values: dict[str, str | None] = {}
    if "name" in fields:
        values["name"] = _clean_optional(fields["name"], "name", 100)
    if "email" in fields:
        email = _clean_optional(fields["email"], "email", 254)
        if email and not EMAIL.match(email):
            raise ChatRuleError("bad_request", "email: is not a valid e-mail address", field="email")
        values["email"] = email
    return values


async def do_update_visitor(*, ctx: Context, actor: VisitorActor, fields: dict[str, object]) -> dict[str, Any]:
    values = check_visitor_update({k: v for k, v in fields.items() if k in ("name", "email")})
    async with ctx.db.write() as conn:
        if values:
            await conn.execute(update(Visitor).where(Visitor.id == actor.visitor_id).values(**values))
        row = (await conn.execute(select(Visitor).where(Visitor.id == actor.visitor_id))).first()
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
            if isinstance(value, str):
                values[column] = value[:limit] or None
    async with ctx.db.write() as conn:
        await conn.execute(update(Visitor).where(Visitor.id == actor.visitor_id).values(**values))
        row = (await conn.execute(select(Visitor).where(Visitor.id == actor.visitor_id))).first()
    return None if row is None else visitor_payload(row)


async def visitor_name(*, ctx: Context, actor: VisitorActor) -> str | None:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(Visitor.name).where(Visitor.id == actor.visitor_id))).scalar_one_or_none()
