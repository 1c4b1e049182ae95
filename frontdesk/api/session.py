"""Console login, logout and who-am-I (`/api/v1/auth/...`)."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from pydantic import Field

from frontdesk.actions import availability, live, users
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import (
    SESSION_COOKIE,
    check_login_rate,
    current_agent,
    get_ctx,
    record_login_failure,
)
from frontdesk.api.schemas import In, Me, Ok, Out, doc_limits, typed_router
from frontdesk.domain.chat_rules import ChatRuleError

router = typed_router(prefix="/api/v1/auth", tags=["auth"])


class LoggedIn(Out):
    user: Me
    csrf_token: str = Field(description="send it as X-CSRF-Token on every write")


class Session(Out):
    user: Me
    csrf_token: str | None = Field(description="null when calling with an API token")


class Status(Out):
    status: str = Field(description="online, away or offline")


class LoginBody(In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


def _user(actor: AgentActor) -> dict:
    return {"id": actor.id, "name": actor.name, "role": actor.role}


@router.post("/login", response_model=LoggedIn)
async def login(body: LoginBody, request: Request, response: Response, ctx: Context = Depends(get_ctx)) -> dict:
    address = request.client.host if request.client else "?"
    check_login_rate(body.email, address)
    actor = await users.authenticate(ctx=ctx, email=body.email, password=body.password)
    if actor is None:
        record_login_failure(body.email, address)
        raise ChatRuleError("unauthorized", "Wrong e-mail or password.")
    secret, csrf = await users.do_start_session(ctx=ctx, actor=actor)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        max_age=ctx.settings.session_days * 86400,
        path="/",
    )
    return {"user": {**_user(actor), **await live.visitor_flags(ctx=ctx, actor=actor)}, "csrf_token": csrf}


@router.post("/logout", response_model=Ok)
async def logout(
    request: Request,
    response: Response,
    ctx: Context = Depends(get_ctx),
    _actor: AgentActor = Depends(current_agent),
) -> dict:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await users.do_end_session(ctx=ctx, secret=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


@router.get("/me", response_model=Session)
async def me(request: Request, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    found = await users.resolve_credential(ctx=ctx, secret=request.cookies.get(SESSION_COOKIE, ""), kind="session")
    user = {**_user(actor), **await live.visitor_flags(ctx=ctx, actor=actor)}
    return {"user": user, "csrf_token": found[1] if found else None}


class StatusBody(In):
    status: str = doc_limits(enum=["online", "away", "offline"])


@router.put("/me/status", response_model=Status)
async def set_status(
    body: StatusBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"status": await availability.do_set_my_status(ctx=ctx, actor=actor, status=body.status)}
