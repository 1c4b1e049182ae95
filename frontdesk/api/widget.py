"""Visitor endpoints (`/api/v1/widget/...`), reachable cross-origin from allowed sites."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from frontdesk.actions import visitors
from frontdesk.actions.context import Context
from frontdesk.api.auth import get_ctx
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.rate_limit import KeyedLimiter

router = APIRouter(prefix="/api/v1/widget", tags=["widget"])

# New visitor identities per client address: generous for offices behind one NAT, but bounded.
visitor_creation = KeyedLimiter(rate=1.0, burst=60)


@router.post("/visitors", status_code=201)
async def create_visitor(request: Request, ctx: Context = Depends(get_ctx)) -> dict:
    origin = request.headers.get("origin")
    if origin is not None and not ctx.settings.origin_allowed(origin):
        raise ChatRuleError("forbidden", "This site may not embed the chat widget.")
    address = request.client.host if request.client else "?"
    wait = visitor_creation.take(address, time.monotonic())
    if wait:
        raise ChatRuleError("rate_limited", "Too many new visitors from your address; retry shortly.", retry_after=wait)
    visitor, token = await visitors.do_create_visitor(ctx=ctx, user_agent=request.headers.get("user-agent"))
    return {"visitor_token": token, "visitor": visitor}


@router.get("/config")
async def widget_config(ctx: Context = Depends(get_ctx)) -> dict:
    return {
        "title": "Chat with us",
        "greeting": "Hi! How can we help you today?",
        "accent_color": "#2563eb",
        "online": True,
    }
