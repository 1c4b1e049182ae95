"""For the test suite only: which routes answered, and with what status.

When FRONTDESK_TEST_ROUTE_LOG names a directory, `create_app` adds `RouteLog` as the outermost
middleware and every request that matches a route appends "METHOD /route/{template} STATUS" to
<dir>/routes-<pid>.log (a WebSocket that is accepted counts as 101). The suite sets the variable
for every server it starts (tests/conftest.py) and, in the full run, checks that every route
answered 2xx at least once (tests/test_route_coverage.py; docs/contributing.md).

Unset (production), the middleware is not installed at all: no cost per request.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV = "FRONTDESK_TEST_ROUTE_LOG"


def route_log_dir() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def route_template(scope: Scope, routes: list[BaseRoute], original: Scope) -> str | None:
    """The path template ('/api/v1/chats/{chat_id}') of the route that served the request: the
    one FastAPI put in `scope["route"]`, else the top-level route (a mount, a plain Starlette route)
    that fully matches the request as it arrived."""
    route = scope.get("route")
    if route is None:
        for candidate in routes:
            if candidate.matches(original)[0] == Match.FULL:
                route = candidate
                break
    path = getattr(route, "path", None)
    return str(path) if path else None


class RouteLog:
    """Pure ASGI middleware: after each HTTP request or WebSocket, one line per matched route."""

    def __init__(self, app: ASGIApp, directory: Path, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the application's route list (read at request time: routes added later count)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"routes-{os.getpid()}.log"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        original: Scope = dict(scope)  # as it arrived: the router rewrites path/root_path in mounts
        status: int | None = None

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "websocket.accept":
                status = 101
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if status is not None:
                self._record(scope, original, status)

    def _record(self, scope: Scope, original: Scope, status: int) -> None:
        template = route_template(scope, self.routes, original)
        if template is None:
            return
        method = original.get("method", "WS") if original["type"] == "http" else "WS"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{method} {template} {status}\n")
