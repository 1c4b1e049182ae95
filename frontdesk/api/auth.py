"""Who is calling: a console session cookie (with CSRF on writes) or a Bearer API token."""

from __future__ import annotations

import hmac
import time

from fastapi import Depends, Request

from frontdesk.actions import users
from frontdesk.actions.context import AgentActor, Context
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.rate_limit import KeyedLimiter

SESSION_COOKIE = "fd_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Failed logins: five, then one more every 12 seconds, per e-mail and per client address.
login_failures = KeyedLimiter(rate=5 / 60, burst=5)


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


async def current_agent(request: Request, ctx: Context = Depends(get_ctx)) -> AgentActor:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found = await users.resolve_credential(ctx=ctx, secret=auth[7:].strip(), kind="api")
        if found is None:
            raise ChatRuleError("unauthorized", "The API token is not valid.")
        return found[0]
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise ChatRuleError("unauthorized", "Log in first.")
    found = await users.resolve_credential(ctx=ctx, secret=cookie, kind="session")
    if found is None:
        raise ChatRuleError("unauthorized", "Your session has ended; log in again.")
    actor, csrf = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not csrf or not hmac.compare_digest(sent, csrf):
            raise ChatRuleError("csrf", "Missing or wrong X-CSRF-Token header.")
    return actor


def _login_keys(email: str, address: str) -> tuple[str, str]:
    return f"e:{email.strip().lower()}", f"a:{address}"


def check_login_rate(email: str, address: str) -> None:
    now = time.monotonic()
    wait = max(login_failures.wait_time(key, now) for key in _login_keys(email, address))
    if wait:
        raise ChatRuleError("rate_limited", "Too many failed logins; try again in a minute.", retry_after=wait)


def record_login_failure(email: str, address: str) -> None:
    now = time.monotonic()
    for key in _login_keys(email, address):
        login_failures.take(key, now)
