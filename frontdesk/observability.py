"""Operations: Prometheus metrics, readiness, structured logs.

Metrics live in one registry per app (tests run several apps in one process). Counters are
incremented where things happen; gauges that describe shared state (queue lengths, connections)
are read when /metrics is scraped, so no hot path pays for them."""

from __future__ import annotations

import contextlib
import gc
import hmac
import ipaddress
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from frontdesk.actions.context import Context
from frontdesk.store import department_store
from frontdesk.store.db import ping

LAG_TOPIC = "_lag"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("frontdesk_connections", "Open WebSockets on this node", ["kind"], registry=r)
        self.messages = Counter("frontdesk_messages_total", "Messages stored by this node", ["author"], registry=r)
        self.batch_size = Histogram(
            "frontdesk_group_commit_batch_size",
            "Messages per group commit",
            registry=r,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
        )
        self.commit_seconds = Histogram(
            "frontdesk_group_commit_seconds",
            "Time to store one group commit",
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.queue_length = Gauge("frontdesk_queue_length", "Chats waiting", ["department"], registry=r)
        self.assignment_wait = Histogram(
            "frontdesk_assignment_wait_seconds",
            "From queued to assigned",
            registry=r,
            buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1800),
        )
        self.bus_lag = Gauge("frontdesk_event_bus_lag_seconds", "Last measured publish-to-delivery time", registry=r)
        self.resyncs = Counter("frontdesk_socket_resyncs_total", "Sockets closed for falling behind", registry=r)
        # A full collection walks every object the process holds (thousands of sockets): the
        # event loop stops meanwhile, so its pauses are worth watching.
        self.gc_pauses = Histogram(
            "frontdesk_gc_pause_seconds",
            "Garbage collection pauses, by generation",
            ["generation"],
            registry=r,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
        )
        self._gc_started = 0.0
        self._gc_series = [self.gc_pauses.labels(str(g)) for g in range(3)]

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self._gc_series[info["generation"]].observe(time.perf_counter() - self._gc_started)

    def watch_gc(self) -> None:
        gc.callbacks.append(self._on_gc)

    def unwatch_gc(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)

    def observe_lag(self, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self.bus_lag.set(max(0.0, time.time() - float(payload)))


FORWARDED_HEADERS = (b"x-forwarded-for", b"x-real-ip", b"forwarded")


def metrics_refusal(scope: Mapping[str, Any], token: str | None) -> tuple[int, str, str] | None:
    """Who may read /metrics: with FRONTDESK_METRICS_TOKEN set, whoever sends it as a Bearer
    token; without one, only a direct request from this machine (a loopback peer and no
    forwarding header: a request through a proxy, even one on loopback, carries one). Returns
    (status, code, message) for a refusal, None when allowed."""
    headers = scope.get("headers") or []
    if token is not None:
        sent = next((v for k, v in headers if k == b"authorization"), b"")
        if not hmac.compare_digest(sent, f"Bearer {token}".encode()):
            return 401, "unauthorized", "Bearer token required (FRONTDESK_METRICS_TOKEN)."
        return None
    client = scope.get("client")
    try:
        loopback = client is not None and ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback or any(k in FORWARDED_HEADERS for k, _ in headers):
        return 403, "forbidden", "Metrics are served to this machine only, unless FRONTDESK_METRICS_TOKEN is set."
    return None


async def render_metrics(ctx: Context, metrics: Metrics, hub: Any) -> bytes:
    async with ctx.db.read() as conn:
        lengths = await department_store.queue_lengths(conn)
        depts = await department_store.all_departments(conn)
    for dept in depts:
        metrics.queue_length.labels(dept.slug).set(lengths.get(dept.id, 0))
    kinds: dict[str, int] = {"visitor": 0, "agent": 0}
    for channel in hub.channels():
        kind = channel.label.split(":", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind, n in kinds.items():
        metrics.connections.labels(kind).set(n)
    return generate_latest(metrics.registry)


async def readiness(ctx: Context) -> dict[str, Any]:
    """What a load balancer needs to know before sending traffic here."""
    checks: dict[str, Any] = {}
    try:
        async with ctx.db.read() as conn:
            await ping(conn)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    connected = getattr(ctx.bus, "connected", None)
    if connected is not None:
        checks["event_bus"] = "ok" if connected.is_set() else "reconnecting"
    checks["ready"] = all(v == "ok" for k, v in checks.items() if k != "ready")
    return checks


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """uvicorn's and our loggers: plain text for a terminal, JSON lines for a log pipeline."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {
                "handlers": ["default"],
                "level": "WARNING" if level != "DEBUG" else level,
                "propagate": False,
            },
        },
    }
