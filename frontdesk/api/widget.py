"""Visitor endpoints (`/api/v1/widget/...`), reachable cross-origin from allowed sites."""

from __future__ import annotations

import time

from fastapi import Depends, Query, Request
from pydantic import Field

from frontdesk.actions import attachments, departments, tickets, tracking, visitors, widget_settings
from frontdesk.actions.context import Context, VisitorActor
from frontdesk.api.auth import get_ctx
from frontdesk.api.schemas import In, Out, WidgetSettings, typed_router
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.rate_limit import KeyedLimiter
from frontdesk.security.tokens import verify_visitor_token

router = typed_router(prefix="/api/v1/widget", tags=["widget"])


class NewVisitor(Out):
    id: str
    name: str | None
    email: str | None


class VisitorCreated(Out):
    visitor_token: str = Field(description="keep it; send it in the socket's hello and X-Visitor-Token")
    visitor: NewVisitor


class WidgetDepartment(Out):
    slug: str
    name: str
    description: str | None
    accepting_chats: bool
    reason: str | None = Field(description="why not: closed, no_agents or queue_full")
    offline_message: str | None
    next_opening: str | None


class AttachmentLimits(Out):
    max_bytes: int
    types: list[str]


class WidgetConfig(WidgetSettings):
    departments: list[WidgetDepartment]
    online: bool = Field(description="some department takes chats now")
    attachments: AttachmentLimits
    tracking: str = Field(
        description="the site's tracking mode: on, respect_dnt, consent or off (docs/architecture/visitors.md)"
    )


class TicketRef(Out):
    id: int


class OfflineLeft(Out):
    ticket: TicketRef


# New visitor identities per client address: generous for offices behind one NAT, but bounded.
visitor_creation = KeyedLimiter(rate=1.0, burst=60)
offline_messages = KeyedLimiter(rate=1 / 60, burst=5)


def check_widget_request(request: Request, ctx: Context, limiter: KeyedLimiter, too_many: str) -> None:
    """Only sites allowed to embed the widget, and only so many requests per client address."""
    origin = request.headers.get("origin")
    if origin is not None and not ctx.settings.origin_allowed(origin):
        raise ChatRuleError("forbidden", "This site may not embed the chat widget.")
    address = request.client.host if request.client else "?"
    wait = limiter.take(address, time.monotonic())
    if wait:
        raise ChatRuleError("rate_limited", too_many, retry_after=wait)


@router.post("/visitors", status_code=201, response_model=VisitorCreated)
async def create_visitor(request: Request, ctx: Context = Depends(get_ctx)) -> dict:
    check_widget_request(request, ctx, visitor_creation, "Too many new visitors from your address; retry shortly.")
    visitor, token = await visitors.do_create_visitor(ctx=ctx, user_agent=request.headers.get("user-agent"))
    return {"visitor_token": token, "visitor": visitor}


@router.get("/config", response_model=WidgetConfig)
async def widget_config(department: str | None = Query(None, max_length=40), ctx: Context = Depends(get_ctx)) -> dict:
    config = await widget_settings.widget_config(ctx=ctx)
    config["departments"] = await departments.widget_departments(ctx=ctx, slug=department)
    if department is not None and not config["departments"]:
        raise ChatRuleError("not_found", f"No department {department!r}.", field="department")
    config["online"] = any(d["accepting_chats"] for d in config["departments"])
    config["attachments"] = attachments.limits(ctx)  # checked again by the server
    config["tracking"] = (await tracking.tracking_settings(ctx=ctx))["mode"]  # the widget caches it an hour
    return config


class OfflineBody(In):
    department: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=200)
    email: str = Field(max_length=300)
    text: str = Field(max_length=100_000)
    visitor_token: str | None = Field(None, max_length=200)


@router.post("/offline", status_code=201, response_model=OfflineLeft)
async def leave_offline_message(body: OfflineBody, request: Request, ctx: Context = Depends(get_ctx)) -> dict:
    check_widget_request(request, ctx, offline_messages, "Too many messages from your address; retry later.")
    visitor_id = verify_visitor_token(body.visitor_token, ctx.settings.signing_key) if body.visitor_token else None
    ticket = await tickets.do_leave_offline_message(
        ctx=ctx,
        department=body.department,
        name=body.name,
        email=body.email,
        text=body.text,
        visitor=VisitorActor(visitor_id) if visitor_id else None,
    )
    return {"ticket": {"id": ticket["id"]}}
