"""Idle visitors for the cluster benchmark: widget sockets that said hello and stay connected.

One process (uvloop, bench.wsclient's callback client: no task per socket) holds them all, so
thousands of sockets cost the machine little besides the server's side of them. Commands come
from the orchestrator (bench.cluster_load) over a pipe:

- `register`: take the visitor tokens the orchestrator seeded, or (given none) create the
  visitors over HTTP (`POST /api/v1/widget/visitors` through nginx), each from its own address
  behind the trusted proxy (X-Forwarded-For, as nginx passes it);
- `connect`: open every socket, send `hello`, wait for `welcome`;
- `status`: how many are still open, close codes seen, frames received since `connect`;
- `stop`: close them all.

bench.visitors_live's browsing visitors register, say hello and run their process with the same
functions (take_tokens, create_visitors, connect_visitor, run_visitors).
"""

from __future__ import annotations

import asyncio
import gc
import resource
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson

from bench.wsclient import WSClient

WELCOME = b'{"type":"welcome"'
ATTEMPTS = 5
REPLY_TIMEOUT = 20.0


@dataclass
class IdleSpec:
    host: str
    port: int
    visitors: int
    parallel: int = 128
    index: int = 0


class Idle:
    __slots__ = ("i", "token", "ws", "welcome")

    def __init__(self, i: int) -> None:
        self.i = i
        self.token: str | None = None
        self.ws: WSClient | None = None
        self.welcome: asyncio.Future[None] | None = None


V = TypeVar("V", bound=Idle)


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def take_tokens(visitors: Sequence[Idle], tokens: list[str] | None) -> bool:
    """Give the visitors the tokens the orchestrator seeded, if it did (True); False: none given."""
    if not tokens:
        return False
    for v, token in zip(visitors, tokens, strict=False):
        v.token = token
    return True


async def create_visitors(
    visitors: Sequence[Idle], host: str, port: int, parallel: int, address: Callable[[int], str], errors: Counter[str]
) -> None:
    """Create each visitor over HTTP (`POST /api/v1/widget/visitors`, `parallel` at a time) from
    its own address(i) behind the trusted proxy (X-Forwarded-For), up to ATTEMPTS tries each;
    failures are counted in `errors`."""
    gate = asyncio.Semaphore(parallel)
    limits = httpx.Limits(max_connections=parallel, max_keepalive_connections=parallel)
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30.0, limits=limits) as http:

        async def one(v: Idle) -> None:
            async with gate:
                for attempt in range(ATTEMPTS):
                    try:
                        r = await http.post(
                            "/api/v1/widget/visitors", json={}, headers={"X-Forwarded-For": address(v.i)}
                        )
                    except httpx.HTTPError as exc:
                        errors[f"register:{type(exc).__name__}"] += 1
                    else:
                        if r.status_code == 201:
                            v.token = r.json()["visitor_token"]
                            return
                        errors[f"register:{r.status_code}"] += 1
                    await asyncio.sleep(0.2 * (attempt + 1))

        await asyncio.gather(*(one(v) for v in visitors))


async def connect_visitor(
    v: V,
    host: str,
    port: int,
    hello: bytes,
    on_frame: Callable[[V, bytes], None],
    errors: Counter[str],
    closed: Counter[int],
    headers: dict[str, str] | None = None,
) -> float | None:
    """Open visitor v's widget socket, send `hello` and wait for the welcome (on_frame resolves
    v.welcome), up to ATTEMPTS tries; then v.ws is the socket and its close code goes to `closed`.
    The seconds from connecting to the welcome of the try that worked, or None (each failure
    counted in `errors`)."""
    loop = asyncio.get_running_loop()
    for attempt in range(ATTEMPTS):
        t = time.monotonic()
        ws: WSClient | None = None
        try:
            ws = await WSClient.connect(
                host, port, "/api/v1/widget/ws", lambda d: on_frame(v, d), headers=headers, wait_s=REPLY_TIMEOUT
            )
            v.welcome = loop.create_future()
            ws.send(hello)
            await asyncio.wait_for(asyncio.shield(v.welcome), REPLY_TIMEOUT)
        except (OSError, TimeoutError, ConnectionError) as exc:
            errors[f"connect:{type(exc).__name__}"] += 1
            if ws is not None:
                ws.close()
            await asyncio.sleep(0.2 * (attempt + 1))
            continue
        v.ws = ws
        ws.closed.add_done_callback(lambda f: closed.update([f.result()]))
        return time.monotonic() - t
    return None


class IdleWorker:
    def __init__(self, spec: IdleSpec, conn: Any) -> None:
        self.spec, self.conn = spec, conn
        self.loop = asyncio.get_running_loop()
        self.visitors = [Idle(i) for i in range(spec.visitors)]
        self.closed: Counter[int] = Counter()
        self.frames: Counter[str] = Counter()  # frame types received after welcome
        self.errors: Counter[str] = Counter()

    def address(self, i: int) -> str:
        # 100.64.0.0/10 (shared address space): distinct from bench.load's 10.x visitors.
        n = self.spec.index * 1_000_000 + i
        return f"100.{64 + ((n >> 16) & 63)}.{(n >> 8) & 255}.{n & 255}"

    async def register(self, tokens: list[str] | None) -> dict[str, Any]:
        t0, c0 = time.monotonic(), cpu_seconds()
        if take_tokens(self.visitors, tokens):
            return {"registered": sum(v.token is not None for v in self.visitors), "seconds": 0.0, "seeded": True}
        spec = self.spec
        await create_visitors(self.visitors, spec.host, spec.port, spec.parallel, self.address, self.errors)
        return {
            "registered": sum(v.token is not None for v in self.visitors),
            "seconds": round(time.monotonic() - t0, 2),
            "client_cpu_s": round(cpu_seconds() - c0, 2),
            "errors": dict(self.errors),
            "seeded": False,
        }

    def on_frame(self, v: Idle, data: bytes) -> None:
        if data.startswith(WELCOME) and v.welcome is not None and not v.welcome.done():
            v.welcome.set_result(None)
            return
        try:
            kind = str(orjson.loads(data).get("type"))
        except orjson.JSONDecodeError:
            kind = "?"
        self.frames[kind] += 1

    async def connect(self) -> dict[str, Any]:
        t0, c0 = time.monotonic(), cpu_seconds()
        gate = asyncio.Semaphore(self.spec.parallel)
        hello_ms: list[float] = []

        async def one(v: Idle) -> None:
            if v.token is None:
                return
            hello = {"type": "hello", "v": 1, "token": v.token, "page": {"url": "https://bench/idle"}}
            async with gate:
                took = await connect_visitor(
                    v, self.spec.host, self.spec.port, orjson.dumps(hello), self.on_frame, self.errors, self.closed
                )
            if took is not None:
                hello_ms.append(1000 * took)

        await asyncio.gather(*(one(v) for v in self.visitors))
        hello_ms.sort()
        n = len(hello_ms)
        return {
            "connected": self.open_count(),
            "seconds": round(time.monotonic() - t0, 2),
            "client_cpu_s": round(cpu_seconds() - c0, 2),
            "connect_hello_ms": {
                "p50": round(hello_ms[n // 2], 1) if n else None,
                "p99": round(hello_ms[min(n - 1, int(0.99 * n))], 1) if n else None,
                "max": round(hello_ms[-1], 1) if n else None,
            },
            "errors": dict(self.errors),
        }

    def open_count(self) -> int:
        return sum(1 for v in self.visitors if v.ws is not None and not v.ws.closed.done())

    def status(self) -> dict[str, Any]:
        return {
            "open": self.open_count(),
            "closed": {str(k): n for k, n in self.closed.items()},
            "frames_after_welcome": dict(self.frames),
            "errors": dict(self.errors),
            "cpu_s": round(cpu_seconds(), 2),
        }

    async def close(self) -> None:
        for v in self.visitors:
            if v.ws is not None:
                v.ws.close()
        await asyncio.sleep(0.2)

    async def recv(self, wait_s: float = 900.0) -> Any:
        def get() -> Any:
            if not self.conn.poll(wait_s):
                raise TimeoutError("no command from the orchestrator")
            return self.conn.recv()

        return await self.loop.run_in_executor(None, get)

    async def main(self) -> None:
        try:
            self.conn.send(("ready", {}))
            for _ in range(100):
                command, arg = await self.recv()
                if command == "register":
                    self.conn.send(("registered", await self.register(arg)))
                elif command == "connect":
                    self.conn.send(("connected", await self.connect()))
                elif command == "status":
                    self.conn.send(("status", self.status()))
                else:
                    break
        except Exception:
            self.conn.send(("error", traceback.format_exc()))
        finally:
            await self.close()


def quiet_gc() -> None:
    """No garbage collector in the load generators. Measured: with thousands of sockets, or a
    phase's worth of latency samples, a full collection stalls a load generator for 100-300 ms,
    and even young ones take 10-40 ms with a high threshold; the latency figures would charge
    that to the server. Their hot paths make no reference cycles (reference counting frees
    everything), so the cost is at most some leaked cyclic garbage until the process ends."""
    gc.collect()
    gc.freeze()
    gc.disable()


def run_chat_worker(spec: Any, conn: Any) -> None:
    """bench.load's worker (the chats), without the garbage collector (see quiet_gc)."""
    from bench.load import run_worker

    quiet_gc()
    run_worker(spec, conn)


def run_visitors(worker: Callable[[Any, Any], Any], spec: Any, conn: Any) -> None:
    """A visitors process's body: no garbage collector (quiet_gc), room for spec.visitors
    sockets in the open files limit, then worker(spec, conn).main() on uvloop."""
    import uvloop

    quiet_gc()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = spec.visitors + 1024
    if soft < need and (hard == resource.RLIM_INFINITY or hard >= need):
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    async def go() -> None:
        await worker(spec, conn).main()

    uvloop.run(go())


def run_idle(spec: IdleSpec, conn: Any) -> None:
    """Process entry point."""
    run_visitors(IdleWorker, spec, conn)
