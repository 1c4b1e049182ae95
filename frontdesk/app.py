"""The ASGI application: wires settings, database, event bus and hub to the routes."""

from __future__ import annotations

import gc
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from frontdesk import __version__
from frontdesk.actions import invitations
from frontdesk.actions.context import Context
from frontdesk.actions.dispatch import Router
from frontdesk.actions.group_commit import GroupCommitWriter
from frontdesk.actions.tracking import tracker_of
from frontdesk.api import accounts as accounts_api
from frontdesk.api import archive as archive_api
from frontdesk.api import attachments as attachments_api
from frontdesk.api import canned as canned_api
from frontdesk.api import chats, departments, errors, session, tickets, users, widget
from frontdesk.api import desk as desk_api
from frontdesk.api import docs as docs_api
from frontdesk.api import invitations as invitations_api
from frontdesk.api import mail as mail_api
from frontdesk.api import openapi as openapi_document
from frontdesk.api import plans as plans_api
from frontdesk.api import privacy as privacy_api
from frontdesk.api import profile as profile_api
from frontdesk.api import report_extra as report_extra_api
from frontdesk.api import reports as reports_api
from frontdesk.api import satisfaction as satisfaction_api
from frontdesk.api import schedule as schedule_api
from frontdesk.api import staffing as staffing_api
from frontdesk.api import supervision as supervision_api
from frontdesk.api import vendor as vendor_api
from frontdesk.api import visitors_live as visitors_live_api
from frontdesk.api.clean import refuse_nul
from frontdesk.api.middleware import BodyLimit, SecurityHeaders, WidgetCORS
from frontdesk.api.route_log import RouteLog, route_log_dir
from frontdesk.bus.base import EventBus
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.domain.invitation_rules import RULES_TOPIC
from frontdesk.jobs import Jobs
from frontdesk.observability import LAG_TOPIC, Metrics, metrics_refusal, readiness, render_metrics
from frontdesk.realtime.agent_socket import agent_socket
from frontdesk.realtime.hub import RESYNC, Hub
from frontdesk.realtime.presence import Presence, RedisPresence
from frontdesk.realtime.visitor_socket import visitor_socket
from frontdesk.store.db import Database

log = logging.getLogger("frontdesk")
WEB = Path(__file__).with_name("web")
GOING_AWAY = 1001


def make_bus(settings: Settings, hub: Hub) -> EventBus:
    if settings.redis_url:
        from frontdesk.bus.redis import RedisBus

        return RedisBus(settings.redis_url, on_gap=lambda: hub.close_all(RESYNC))
    return InProcessBus()


async def make_presence(settings: Settings) -> Presence:
    if settings.redis_url:
        presence = RedisPresence(settings.redis_url, node=f"{socket.gethostname()}:{os.getpid()}")
        await presence.start()
        return presence
    return Presence()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.resolved_database_url(), busy_timeout_ms=settings.busy_timeout_ms)
        hub = Hub()
        metrics = Metrics()
        metrics.watch_gc()
        hub.special[LAG_TOPIC] = metrics.observe_lag
        bus = make_bus(settings, hub)
        await bus.start(hub.deliver)
        presence = await make_presence(settings)
        ctx = app.state.ctx = Context(db=db, settings=settings, bus=bus, presence=presence, metrics=metrics)
        # A department's invitation rules changed (on any node): this node forgets its copy.
        hub.special[RULES_TOPIC] = invitations.rules_changed_receiver(ctx)
        app.state.metrics = metrics
        ctx.writer = GroupCommitWriter(ctx)
        ctx.router = Router(ctx)
        jobs = Jobs(ctx)
        for service in (ctx.writer, ctx.router, jobs):
            service.start()
        app.state.hub = hub
        # Everything built so far (modules, routes, metadata, pools) lives as long as the process:
        # moved out of the collector's reach, full collections no longer walk it each time
        # (a full collection paused a node for ~0.3 s with 1,700 sockets, ~0.5 s with 5,200).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            hub.close_all(GOING_AWAY)  # clients reconnect with backoff and resync
            await jobs.stop()
            await ctx.router.stop()
            await ctx.writer.stop()
            await tracker_of(ctx).close()  # the page views still buffered (actions/tracking.py)
            if hasattr(presence, "close"):
                await presence.close()
            await bus.close()
            await db.dispose()
            metrics.unwatch_gc()

    app = FastAPI(
        title="frontdesk",
        version=__version__,
        description="Self-hosted live chat for customer support. See docs/api.md and docs/protocol.md.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # our own page, with Swagger UI served from here (api/docs.py)
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    errors.install(app)
    openapi_document.install(app)  # the document says what the server does (api/openapi.py)
    for router in (
        session.router,
        chats.router,
        departments.router,
        departments.settings_router,
        users.router,
        accounts_api.router,
        tickets.router,
        canned_api.router,
        desk_api.router,
        attachments_api.router,
        profile_api.router,
        privacy_api.router,
        mail_api.router,
        satisfaction_api.router,
        report_extra_api.router,
        reports_api.router,
        staffing_api.router,
        schedule_api.router,
        plans_api.router,
        supervision_api.router,
        archive_api.router,
        invitations_api.router,
        visitors_live_api.router,
        widget.router,
    ):
        app.include_router(router, dependencies=[Depends(refuse_nul)])  # NUL in a path or query: a 400
    if settings.api_docs:
        app.include_router(docs_api.router)
    app.include_router(vendor_api.router)  # plotly.js for the console's charts
    app.add_api_websocket_route("/api/v1/widget/ws", visitor_socket)
    app.add_api_websocket_route("/api/v1/agent/ws", agent_socket)

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(WEB / "demo" / "index.html", media_type="text/html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_js() -> FileResponse:
        return FileResponse(
            WEB / "widget.js",
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    @app.get("/console", include_in_schema=False)
    async def console_redirect() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.api_route("/console/", methods=["GET", "HEAD"], include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(
            WEB / "console" / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
        )

    app.mount("/console/static", StaticFiles(directory=WEB / "console", check_dir=False), name="console-static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        """Alive: the process serves requests."""
        return {"ok": True, "version": __version__}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """Ready: the database answers and the event bus is connected."""
        checks = await readiness(request.app.state.ctx)
        return JSONResponse(checks, status_code=200 if checks["ready"] else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        token = settings.metrics_token
        refused = metrics_refusal(request.scope, token.get_secret_value() if token is not None else None)
        if refused is not None:
            status, code, message = refused
            return JSONResponse({"error": {"code": code, "message": message}}, status)
        state = request.app.state
        body = await render_metrics(state.ctx, state.metrics, state.hub)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    app.add_middleware(SecurityHeaders)
    app.add_middleware(WidgetCORS, prefix="/api/v1/widget", origins=settings.allowed_origins)
    app.add_middleware(BodyLimit)
    if (route_log := route_log_dir()) is not None:  # the test suite's route coverage; unset in production
        app.add_middleware(RouteLog, directory=route_log, routes=app.router.routes)
    return app
