"""Live visitors on one node: browsing visitors, chats and managers watching the live view at once.

    .venv/bin/python -m bench.visitors_live [--visitors 10000] [--interval 20] [--chats 200]
                                            [--rate 500] [--seconds 30] [--backend sqlite|postgres]
    bash scripts/test-services.sh .venv/bin/python -m bench.visitors_live --backend postgres
    .venv/bin/python -m bench.visitors_live --smoke          # 300 visitors, 20 chats, short phases

One `frontdesk serve` (a real child process, tracking mode "on"), and three load processes:
- the browsing visitors (BrowseWorker below, one uvloop process, bench.wsclient's callback
  client): each registers over HTTP from its own public address behind the trusted local proxy
  header (X-Forwarded-For: the server enriches it with a country), connects the widget socket
  with a phone/desktop user agent and says `hello` with `track` and its page - the page view of
  a full page load - then, while a phase browses, sends a `page.view` (a single-page-app
  navigation) at exponential intervals of --interval seconds on average, and `page.time` 15 s
  into a page it is still on, as the widget does;
- the chats (bench/load.py's worker): --chats visitors with an open chat each, assigned to
  agents, sending --rate messages/s together on a fixed schedule;
- --managers managers (in this process): each logs in, connects the agent socket and sends
  `visitors.watch`. Manager 0 watches everyone (the default sort); the others each watch a
  filter (`url` contains `/w<k>/`) that matches a sample of the visitors, small enough to fit
  their page, so that every page view of a sampled visitor must show in that manager's view.

Phases (each after the machine goes quiet, see bench/chat_throughput.wait_for_quiet):
1. idle: visitors connected, nobody browsing, no chat messages: the server's base CPU;
2. browse: the visitors browse, managers watch: server CPU per page view (above idle's);
3. full: browse + the chats' messages + managers: chat end-to-end latency (visitor send ->
   the agent's socket receives the event), page view -> live view latency (a sampled visitor's
   `page.view` sent -> the first `visitors.page` of a watching manager showing that URL), CPU.
Memory: the server's RSS before the browsing visitors connect and after (per connected visitor:
the difference / visitors), and after the phases. GC: the server's own histogram
(frontdesk_gc_pause_seconds, observability.Metrics.watch_gc): pauses per generation and the
bucket of the longest one (the histogram keeps buckets, not each pause).

Results: bench/results/visitors_live-*.json and a summary on stdout. Not a test: it exits 0
unless something broke.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.chat_throughput import Workers, machine, merge_phase, wait_for_quiet
from bench.cluster_idle import Idle, connect_visitor, create_visitors, run_visitors, take_tokens
from bench.load import WorkerSpec
from bench.procs import (
    REPO,
    CpuMeter,
    FrontdeskProcess,
    PipeProcess,
    drop_postgres_database,
    fresh_postgres_url,
    postgres_backend_pids,
    postgres_server_url,
    raise_nofile,
    rss_kib,
    session_priority,
)
from bench.wsclient import WSClient

RESULTS = REPO / "bench" / "results"
WELCOME = b'{"type":"welcome"'
ERROR = b'{"type":"error"'
PAGE = b'{"type":"visitors.page"'
PAGE_TIME_AFTER_S = 15.0  # the widget's page.time: 15 s into a page still visible
SAMPLE_PER_MANAGER = 90  # visitors each filtering manager follows (its page holds 100)
UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
)
# First octets of public IPv4 ranges (each /8 is allocated to some region): countries vary.
PUBLIC_FIRST_OCTETS = (2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93,
                       94, 95, 109, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217, 24, 50, 64, 65, 66, 67, 68,
                       69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61,
                       101, 103, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125,
                       177, 179, 181, 186, 187, 189, 190, 191, 200, 201, 41, 102, 105, 154, 196, 197)  # fmt: skip


# -- the browsing visitors (a load process of their own) -----------------------------------------
@dataclass
class BrowseSpec:
    host: str
    port: int
    visitors: int
    managers: int = 3  # filtering managers are 1..managers-1: visitor i is sampled for one of them
    interval: float = 20.0
    page_time: bool = True
    parallel: int = 48
    seed: int = 1


def sample_of(i: int, visitors: int, managers: int) -> int | None:
    """Which filtering manager (1..managers-1) follows visitor i, or None."""
    filtering = max(0, managers - 1)
    if filtering == 0:
        return None
    step = max(1, visitors // (SAMPLE_PER_MANAGER * filtering))
    k, r = divmod(i, step)
    return (k % filtering) + 1 if r == 0 and k < SAMPLE_PER_MANAGER * filtering else None


def public_address(i: int) -> str:
    rnd = random.Random(i * 7919 + 17)
    first = PUBLIC_FIRST_OCTETS[i % len(PUBLIC_FIRST_OCTETS)]
    return f"{first}.{rnd.randrange(1, 255)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"


class Browser(Idle):
    __slots__ = ("tag", "n", "page_at", "timer", "url")

    def __init__(self, i: int, tag: int | None) -> None:
        super().__init__(i)
        self.tag = tag  # the filtering manager following this visitor, or None
        self.n = 0  # page views so far
        self.page_at = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.url = ""


class BrowseWorker:
    def __init__(self, spec: BrowseSpec, conn: Any) -> None:
        self.spec, self.conn = spec, conn
        self.loop = asyncio.get_running_loop()
        self.rnd = random.Random(spec.seed)
        self.visitors = [Browser(i, sample_of(i, spec.visitors, spec.managers)) for i in range(spec.visitors)]
        self.errors: Counter[str] = Counter()
        self.closed: Counter[int] = Counter()
        self.browsing = False
        self.stop_at = 0.0
        self.views = 0
        self.times = 0
        self.sampled: dict[str, float] = {}  # url -> monotonic send time (sampled visitors)

    def url_of(self, v: Browser) -> str:
        where = f"w{v.tag}/" if v.tag is not None else ""
        return f"https://shop.bench/{where}v{v.i}/p{v.n}"

    async def register(self, tokens: list[str] | None) -> dict[str, Any]:
        t0 = time.monotonic()
        if take_tokens(self.visitors, tokens):  # seeded in the database by the orchestrator
            return {"registered": sum(v.token is not None for v in self.visitors), "seconds": 0.0, "seeded": True}
        spec = self.spec
        await create_visitors(self.visitors, spec.host, spec.port, spec.parallel, public_address, self.errors)
        registered = sum(v.token is not None for v in self.visitors)
        return {"registered": registered, "seconds": round(time.monotonic() - t0, 1), "seeded": False}

    def on_frame(self, v: Browser, data: bytes) -> None:
        if data.startswith(WELCOME):
            if v.welcome is not None and not v.welcome.done():
                v.welcome.set_result(None)
        elif data.startswith(ERROR):
            self.errors["error:" + str(orjson.loads(data).get("code"))] += 1

    async def connect(self) -> dict[str, Any]:
        t0 = time.monotonic()
        gate = asyncio.Semaphore(self.spec.parallel)
        lat: list[float] = []

        async def one(v: Browser) -> None:
            if v.token is None:
                return
            v.url = self.url_of(v)
            phone = v.i % len(UAS) in (1, 2)
            track = {
                "languages": ["en-GB", "en"] if v.i % 3 else ["de-DE", "de", "en"],
                "screen": "phone" if phone else "desktop",
                "dnt": False,
                "visits": 1,
                "spa": False,
            }
            page = {"url": v.url, "title": f"Product {v.i}", "referrer": "https://www.google.com/"}
            hello = orjson.dumps({"type": "hello", "v": 1, "token": v.token, "page": page, "track": track})
            headers = {"X-Forwarded-For": public_address(v.i), "User-Agent": UAS[v.i % len(UAS)]}
            async with gate:
                took = await connect_visitor(
                    v, self.spec.host, self.spec.port, hello, self.on_frame, self.errors, self.closed, headers
                )
            if took is not None:
                v.page_at = time.monotonic()
                lat.append(took)

        await asyncio.gather(*(one(v) for v in self.visitors))
        lat.sort()
        return {
            "connected": self.open_count(),
            "seconds": round(time.monotonic() - t0, 1),
            "hello_welcome_p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1) if lat else None,
        }

    def open_count(self) -> int:
        return sum(1 for v in self.visitors if v.ws is not None and not v.ws.closed.done())

    # -- browsing: one timer per visitor, exponential gaps --------------------------------------
    def schedule(self, v: Browser, now: float) -> None:
        gap = self.rnd.expovariate(1.0 / self.spec.interval)
        if self.spec.page_time and gap > PAGE_TIME_AFTER_S:
            v.timer = self.loop.call_later(PAGE_TIME_AFTER_S, self.page_time, v, gap - PAGE_TIME_AFTER_S)
        else:
            v.timer = self.loop.call_later(gap, self.page_view, v)

    def page_time(self, v: Browser, rest: float) -> None:
        if not self.browsing or v.ws is None or v.ws.closed.done():
            return
        ms = int(1000 * (time.monotonic() - v.page_at))
        with contextlib.suppress(ConnectionError):
            v.ws.send(b'{"type":"page.time","visible_ms":%d}' % ms)
            self.times += 1
        if self.spec.page_time and rest > PAGE_TIME_AFTER_S:
            v.timer = self.loop.call_later(PAGE_TIME_AFTER_S, self.page_time, v, rest - PAGE_TIME_AFTER_S)
        else:
            v.timer = self.loop.call_later(rest, self.page_view, v)

    def page_view(self, v: Browser) -> None:
        now = time.monotonic()
        if not self.browsing or now >= self.stop_at or v.ws is None or v.ws.closed.done():
            return
        prev_ms, previous = int(1000 * (now - v.page_at)), v.url
        v.n += 1
        v.url = self.url_of(v)
        frame = {"type": "page.view", "url": v.url, "title": f"Page {v.n}", "referrer": previous}
        frame["prev_visible_ms"] = prev_ms
        try:
            v.ws.send(orjson.dumps(frame))
        except ConnectionError:
            self.errors["send:closed"] += 1
            return
        v.page_at = now
        self.views += 1
        if v.tag is not None:
            self.sampled[v.url] = now
        self.schedule(v, now)

    async def browse(self, arg: dict[str, Any]) -> dict[str, Any]:
        """Browse from start_at for seconds; page views and the sampled ones' send times."""
        await asyncio.sleep(max(0.0, arg["start_at"] - time.monotonic()))
        self.browsing, self.stop_at = True, arg["start_at"] + arg["seconds"]
        self.views = self.times = 0
        self.sampled = {}
        errors0 = Counter(self.errors)
        now = time.monotonic()
        for v in self.visitors:
            if v.ws is not None:
                v.page_at = now - self.rnd.uniform(0, self.spec.interval)  # already some time on the page
                self.schedule(v, now)
        await asyncio.sleep(max(0.0, self.stop_at - time.monotonic()))
        self.browsing = False
        for v in self.visitors:
            if v.timer is not None:
                v.timer.cancel()
        await asyncio.sleep(0.5)
        return {
            "page_views": self.views,
            "page_times": self.times,
            "sampled": self.sampled,
            "errors": dict(self.errors - errors0),
            "open": self.open_count(),
            "closed": {str(k): n for k, n in self.closed.items()},
        }

    async def main(self) -> None:
        try:
            self.conn.send(("ready", {}))
            for _ in range(100):
                command, arg = await self.loop.run_in_executor(None, self.conn.recv)
                if command == "register":
                    self.conn.send(("registered", await self.register(arg)))
                elif command == "connect":
                    self.conn.send(("connected", await self.connect()))
                elif command == "browse":
                    self.conn.send(("browsed", await self.browse(arg)))
                else:
                    break
        except Exception:
            self.conn.send(("error", traceback.format_exc()))
        finally:
            for v in self.visitors:
                if v.ws is not None:
                    v.ws.close()
            await asyncio.sleep(0.2)


def run_browsers(spec: BrowseSpec, conn: Any) -> None:
    """Process entry point (bench.cluster_idle.run_visitors: no garbage collector)."""
    run_visitors(BrowseWorker, spec, conn)


# -- the managers (in this process) ---------------------------------------------------------------
class Manager:
    def __init__(self, k: int, email: str, password: str) -> None:
        self.k, self.email, self.password = k, email, password
        self.ws: WSClient | None = None
        self.http: httpx.AsyncClient | None = None
        self.pages = 0
        self.items = 0
        self.last: dict[str, Any] = {}
        self.first_seen: dict[str, float] = {}  # url -> when a visitors.page first showed it
        self.welcome: asyncio.Future[None] | None = None
        self.errors: Counter[str] = Counter()

    def on_frame(self, data: bytes) -> None:
        now = time.monotonic()
        if data.startswith(PAGE):
            frame = orjson.loads(data)
            self.pages += 1
            self.items += len(frame.get("items") or ())
            self.last = {k: frame.get(k) for k in ("counters", "total")}
            for item in frame.get("items") or ():
                url = (item.get("page") or {}).get("url")
                if url and url not in self.first_seen:
                    self.first_seen[url] = now
        elif data.startswith(WELCOME):
            if self.welcome is not None and not self.welcome.done():
                self.welcome.set_result(None)
        elif data.startswith(ERROR):
            frame = orjson.loads(data)
            self.errors[f"{frame.get('code')}: {frame.get('message')}"] += 1

    async def connect(self, port: int) -> None:
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30.0)
        r = await self.http.post("/api/v1/auth/login", json={"email": self.email, "password": self.password})
        r.raise_for_status()
        cookie = self.http.cookies.get("fd_session")
        self.welcome = asyncio.get_running_loop().create_future()
        self.ws = await WSClient.connect(
            "127.0.0.1", port, "/api/v1/agent/ws", self.on_frame, {"Cookie": f"fd_session={cookie}"}
        )
        await asyncio.wait_for(self.welcome, 20.0)
        watch: dict[str, Any] = {"type": "visitors.watch", "ref": f"m{self.k}", "page": 1, "page_size": 100}
        if self.k > 0:
            watch["filter"] = {"url": f"/w{self.k}/"}
            watch["sort"] = "-page_since"
        else:
            watch["filter"] = {}
        self.ws.send(orjson.dumps(watch))

    async def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.http is not None:
            await self.http.aclose()


# -- the server's own figures --------------------------------------------------------------------
async def scrape(base_url: str) -> dict[str, float]:
    from bench.cluster_stack import parse_metrics

    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(timeout=10.0) as client:
            r = await client.get(base_url + "/metrics")
            if r.status_code == 200:
                return parse_metrics(r.text)
    return {}


def gc_pauses(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """Collections per generation during a window, their total time, and the bucket of the
    longest (frontdesk_gc_pause_seconds keeps buckets: the longest is at most its bound)."""
    out: dict[str, Any] = {}
    for g in ("0", "1", "2"):

        def delta(key: str) -> float:
            return after.get(key, 0.0) - before.get(key, 0.0)

        count = delta(f'frontdesk_gc_pause_seconds_count{{generation="{g}"}}')
        total = delta(f'frontdesk_gc_pause_seconds_sum{{generation="{g}"}}')
        bounds = sorted(
            (float(k.split('le="')[1].split('"')[0]), k)
            for k in after
            if k.startswith("frontdesk_gc_pause_seconds_bucket") and f'generation="{g}"' in k and "+Inf" not in k
        )
        longest: str | None = None
        below, upper = 0.0, None
        for bound, key in bounds:
            n = delta(key)
            if n >= count:  # every pause is within this bound
                longest = f"<= {1000 * bound:g} ms" + (f" (> {1000 * below:g} ms)" if below else "")
                upper = bound
                break
            below = bound
        if count == 1:  # one pause: its length is the sum
            longest, upper = f"{1000 * total:.0f} ms", total
        elif count and longest is None:
            longest, upper = f"> {1000 * below:g} ms", math.inf
        out[f"gen{g}"] = {
            "count": int(count),
            "total_ms": round(1000 * total, 1),
            "mean_ms": round(1000 * total / count, 2) if count else None,
            "longest": longest if count else None,
            "longest_bound_s": upper if count else 0.0,
        }
    return out


def longest_pause(gcs: list[dict[str, Any]]) -> str:
    """The longest pause's bucket over several windows and every generation."""
    worst = max(
        (g for gc_ in gcs for g in gc_.values() if g["count"]),
        key=lambda g: g["longest_bound_s"] or 0.0,
        default=None,
    )
    return worst["longest"] if worst else "none"


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(1000 * s[min(len(s) - 1, int(q * len(s)))], 1)


def live_latency(sampled: dict[str, float], managers: list[Manager]) -> dict[str, Any]:
    """Page view (sent) -> the first visitors.page of any manager showing its URL."""
    lat: list[float] = []
    missing = 0
    for url, sent in sampled.items():
        seen = [m.first_seen[url] for m in managers if url in m.first_seen]
        if seen:
            lat.append(min(seen) - sent)
        else:
            missing += 1
    return {
        "n": len(lat),
        "not_seen": missing,
        "p50_ms": pct(lat, 0.5),
        "p95_ms": pct(lat, 0.95),
        "p99_ms": pct(lat, 0.99),
        "max_ms": pct(lat, 1.0),
    }


# -- the run --------------------------------------------------------------------------------------
async def seed_visitors(server: FrontdeskProcess, db_url: str, count: int) -> list[str]:
    """`count` visitors written straight into the database, with tokens signed by the server's
    key: what `POST /api/v1/widget/visitors` returns, minus thousands of requests during setup
    (bench/cluster_stack.seed_visitors does the same for the cluster). Sockets and hellos stay real."""
    from sqlalchemy.engine import make_url

    from frontdesk.security.tokens import new_visitor_id, sign_visitor

    key = server.env["FRONTDESK_SECRET_KEY"].encode()
    ids = [new_visitor_id() for _ in range(count)]
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        # One visitor through the API shows how this database stores a creation time.
        async with httpx.AsyncClient(timeout=30.0) as client:
            (await client.post(server.base_url + "/api/v1/widget/visitors", json={})).raise_for_status()

        def write() -> None:
            with contextlib.closing(sqlite3.connect(str(url.database), timeout=60)) as db, db:
                (created,) = db.execute("SELECT created_at FROM visitors ORDER BY created_at DESC LIMIT 1").fetchone()
                rows = [(i, created, "bench-seeded") for i in ids]
                db.executemany("INSERT INTO visitors (id, created_at, user_agent) VALUES (?, ?, ?)", rows)

        await asyncio.to_thread(write)
    else:
        import asyncpg

        conn = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username or "postgres", password=url.password,
            database=url.database,
        )  # fmt: skip
        try:
            now = datetime.now(UTC)
            await conn.copy_records_to_table(
                "visitors", records=[(i, now, "bench-seeded") for i in ids], columns=["id", "created_at", "user_agent"]
            )
        finally:
            await conn.close()
    return [sign_visitor(i, key) for i in ids]


async def make_users(
    server: FrontdeskProcess, agents: int, max_chats: int, managers: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Agents (each holding up to max_chats chats) and managers, made over the API by the admin
    `frontdesk serve` created on its first start (printed to its log): a request each instead
    of a CLI process each (~3.5 s of CPU apiece)."""
    text = server.log_path.read_text(errors="replace")
    found = [re.search(rf"^\s*{label}:\s+(\S+)\s*$", text, re.M) for label in ("E-mail", "Password")]
    if not all(found):
        raise RuntimeError("no first-start admin in the server's log")
    admin_email, admin_password = (m.group(1) for m in found if m is not None)
    made: dict[str, list[tuple[str, str]]] = {"agent": [], "manager": []}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as http:
        r = await http.post("/api/v1/auth/login", json={"email": admin_email, "password": admin_password})
        r.raise_for_status()
        headers = {"X-CSRF-Token": r.json()["csrf_token"]}
        for role, count in (("agent", agents), ("manager", managers)):
            for k in range(count):
                email = f"bench-{role}-{k}-{secrets.token_hex(3)}@example.com"
                password = "pw-" + secrets.token_urlsafe(12)
                body = {"email": email, "name": f"{role.title()} {k}", "role": role, "password": password}
                r = await http.post("/api/v1/users", json=body, headers=headers)
                r.raise_for_status()
                if role == "agent":
                    user_id = r.json()["user"]["id"]
                    patch = await http.patch(f"/api/v1/users/{user_id}", json={"max_chats": max_chats}, headers=headers)
                    patch.raise_for_status()
                made[role].append((email, password))
    return made["agent"], made["manager"]


def run_patient_chat_worker(spec: WorkerSpec, conn: Any) -> None:
    """bench.load's worker (the chats) without a garbage collector (bench.cluster_idle.quiet_gc),
    setting its chats up 16 at a time and waiting up to 60 s for an answer: with tracking, each
    hello records a visit, and on a busy shared machine 64 at once outlasted its 15 s."""
    import bench.load
    from bench.cluster_idle import run_chat_worker

    bench.load.SETUP_PARALLEL = 16
    bench.load.REPLY_TIMEOUT = 60.0
    run_chat_worker(spec, conn)


async def phase(
    args: argparse.Namespace,
    name: str,
    server: FrontdeskProcess,
    db_url: str,
    browse: PipeProcess | None,
    chats: Workers | None,
    managers: list[Manager],
    seconds: float,
) -> dict[str, Any]:
    quiet = await wait_for_quiet(args.quiet_wait)
    pids: dict[str, list[int]] = {"server": [server.pid]}
    if not db_url.startswith("sqlite"):
        pids["postgres"] = await postgres_backend_pids(db_url)
    clients = [browse.pid] if browse is not None else []
    if chats is not None:
        clients += chats.pids
    pids["client"] = clients
    warmup = args.warmup
    start_at = time.monotonic() + 0.5
    if browse is not None:
        browse.send("browse", {"start_at": start_at, "seconds": warmup + seconds})
    if chats is not None:
        command = {"name": name, "kind": "paced", "start_at": start_at, "warmup": warmup, "seconds": seconds}
        command["rate"] = args.rate
        chats.send("phase", command)
    for m in managers:
        m.first_seen.clear()
    pages0 = sum(m.pages for m in managers)
    await asyncio.sleep(max(0.0, start_at + warmup - time.monotonic()))
    meter = CpuMeter(pids, main_thread_of=server.pid)
    meter.start()
    before = await scrape(server.base_url)
    await asyncio.sleep(max(0.0, start_at + warmup + seconds - time.monotonic()))
    cpu = meter.stop()
    after = await scrape(server.base_url)
    out: dict[str, Any] = {"name": name, "seconds": seconds, "quiet_before_pct": round(quiet, 1), **cpu}
    out["gc"] = gc_pauses(before, after)
    if browse is not None:
        browsed = await browse.answer("browsed", seconds + warmup + 120)
        await asyncio.sleep(2.5)  # the last page views' live updates
        window = warmup + seconds
        out["page_views"] = browsed["page_views"]
        out["page_views_s"] = round(browsed["page_views"] / window, 1)
        out["page_times_s"] = round(browsed["page_times"] / window, 1)
        out["browse_errors"] = browsed["errors"]
        out["visitors_open"] = browsed["open"]
        out["live_latency"] = live_latency(browsed["sampled"], managers)
    if chats is not None:
        parts = await chats.expect("phase_done", seconds + warmup + 120)
        merged = merge_phase(parts, cpu, args.rate)
        out["chat"] = {
            k: merged[k] for k in ("msg_s", "ack_ms", "e2e_ms", "errors", "late", "unsent", "acks_in_window")
        }
    out["manager_pages_s"] = round((sum(m.pages for m in managers) - pages0) / (warmup + seconds), 2)
    out["manager_errors"] = {str(m.k): dict(m.errors) for m in managers if m.errors}
    return out


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    data_dir = tmp / "frontdesk"
    data_dir.mkdir()
    if args.backend == "postgres":
        base = postgres_server_url()
        if base is None:
            raise SystemExit("--backend postgres needs FRONTDESK_TEST_POSTGRES_URL (scripts/test-services.sh)")
        db_url = await fresh_postgres_url(base)
    else:
        db_url = f"sqlite:///{data_dir / 'frontdesk.db'}"
    need = args.visitors + args.chats + 2048
    raise_nofile(need)
    server = FrontdeskProcess(data_dir, db_url)
    server.env["FRONTDESK_MAX_CONNECTIONS"] = str(max(10_000, 2 * need))
    browse: PipeProcess | None = None
    chats: Workers | None = None
    managers: list[Manager] = []
    report: dict[str, Any] = {"backend": args.backend}
    try:
        await server.start()
        t0 = time.monotonic()
        agents_n = max(1, math.ceil(args.chats / 20))
        max_chats = math.ceil(1.25 * args.chats / agents_n) + 1
        agents, manager_users = await make_users(server, agents_n, max_chats, args.managers)
        print(f"  {agents_n} agents, {args.managers} managers created in {time.monotonic() - t0:.1f}s", flush=True)
        rss0 = rss_kib(server.pid)
        if args.chats:
            spec = WorkerSpec(index=0, mode="frontdesk", port=server.port, visitors=args.chats, agents=agents)
            chats = Workers([spec], run_patient_chat_worker)
            setup = (await chats.expect("ready", 300))[0]
            print(f"  {args.chats} chats set up ({setup.get('visitors_s')}s)", flush=True)
        for k, (email, password) in enumerate(manager_users):
            m = Manager(k, email, password)
            await m.connect(server.port)
            managers.append(m)
        await asyncio.sleep(2.0)
        await wait_for_quiet(args.quiet_wait)
        rss_before = rss_kib(server.pid)
        browse_spec = BrowseSpec(
            "127.0.0.1", server.port, args.visitors, args.managers, args.interval, not args.no_page_time
        )
        browse = PipeProcess(run_browsers, browse_spec, "browsing visitors", join_s=10.0)
        await browse.answer("ready", 60)
        t_reg = time.monotonic()
        tokens = await seed_visitors(server, db_url, args.visitors) if args.register == "db" else None
        reg = await browse.ask("register", tokens, "registered", 900)
        how = "seeded in the database" if reg["seeded"] else "registered over HTTP"
        print(f"  {reg['registered']} visitors {how} in {time.monotonic() - t_reg:.1f}s", flush=True)
        con = await browse.ask("connect", None, "connected", 900)
        print(
            f"  {con['connected']} visitors connected in {con['seconds']}s "
            f"(hello -> welcome p99 {con['hello_welcome_p99_ms']} ms)",
            flush=True,
        )
        await asyncio.sleep(5.0)  # the visits' writes and the live view settle
        await wait_for_quiet(args.quiet_wait)
        rss_after = rss_kib(server.pid)
        report["setup"] = {"registered": reg, "connected": con, "agents": agents_n, "chats": args.chats}
        report["memory"] = {
            "rss_start_kib": rss0,
            "rss_before_visitors_kib": rss_before,
            "rss_after_visitors_kib": rss_after,
            "kib_per_visitor": round((rss_after - rss_before) / max(1, con["connected"]), 1)
            if rss_after and rss_before
            else None,
        }
        print(f"  memory: {report['memory']}", flush=True)
        phases = report["phases"] = {}
        for name, b, c, secs in (
            ("idle", None, None, args.idle_seconds),
            ("browse", browse, None, args.seconds),
            ("full", browse, chats, args.seconds),
        ):
            if name == "full" and chats is None:
                continue
            p = phases[name] = await phase(args, name, server, db_url, b, c, managers, secs)
            summary = f"server CPU {p.get('server_cpu_pct')}% (loop {p.get('server_loop_cpu_pct')}%)"
            if "page_views_s" in p:
                lat = p["live_latency"]
                summary += (
                    f", {p['page_views_s']} page views/s + {p['page_times_s']} page.time/s, live view p50/p99 "
                    f"{lat['p50_ms']}/{lat['p99_ms']} ms (n={lat['n']}, not seen {lat['not_seen']})"
                )
            if "chat" in p:
                summary += f", chat {p['chat']['msg_s']} msg/s e2e p99 {p['chat']['e2e_ms']['p99']} ms"
            summary += f", machine {p.get('machine_cpu_pct')}% (other {p.get('other_cpu_pct')}%)"
            print(f"  {name}: {summary}", flush=True)
        idle, browse_p = phases["idle"], phases["browse"]
        extra_pct = browse_p["server_cpu_pct"] - idle["server_cpu_pct"]
        report["cpu_per_page_view_us"] = (
            round(10_000 * extra_pct / browse_p["page_views_s"], 1) if browse_p.get("page_views_s") else None
        )
        report["cpu_per_page_view_us_gross"] = (
            round(10_000 * browse_p["server_cpu_pct"] / browse_p["page_views_s"], 1)
            if browse_p.get("page_views_s")
            else None
        )
        report["memory"]["rss_end_kib"] = rss_kib(server.pid)
        everything = await scrape(server.base_url)
        report["gc_whole_run"] = gc_pauses({}, everything)
        report["managers"] = [{"k": m.k, "pages": m.pages, "last": m.last} for m in managers]
        log = server.log_tail(200_000)
        report["server_log_errors"] = [ln for ln in log.splitlines() if " ERROR " in ln or "Traceback" in ln][:20]
        return report
    finally:
        for m in managers:
            await m.close()
        if browse is not None:
            await browse.stop()
        if chats is not None:
            await chats.stop()
        await server.stop()
        if args.backend == "postgres":
            with contextlib.suppress(Exception):
                await drop_postgres_database(db_url)


def summary(report: dict[str, Any]) -> str:
    s = report["settings"]
    full = report["phases"].get("full") or report["phases"]["browse"]
    lat = full["live_latency"]
    chat = full.get("chat") or {}
    measured = longest_pause([p["gc"] for p in report["phases"].values()])
    lines = [
        "| backend | visitors | page views/s | chat msg/s | KiB/visitor | CPU µs/page view (gross) | chat e2e p99 ms "
        "| page view -> live view p50 / p99 ms | longest GC pause (measured phases) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
        f"| {report['backend']} | {report['setup']['connected']['connected']} | {full['page_views_s']} "
        f"| {chat.get('msg_s', '–')} | {report['memory']['kib_per_visitor']} "
        f"| {report['cpu_per_page_view_us']} ({report['cpu_per_page_view_us_gross']}) "
        f"| {(chat.get('e2e_ms') or {}).get('p99', '–')} | {lat['p50_ms']} / {lat['p99_ms']} "
        f"| {measured} |",
        "",
        f"GC in the measured phases: { {name: p['gc'] for name, p in report['phases'].items()} }",
        f"GC over the whole run (setup included): {report['gc_whole_run']}",
        f"settings: {s}",
    ]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadavg_before": os.getloadavg(),
        "settings": {
            k: getattr(args, k)
            for k in (
                "visitors",
                "interval",
                "chats",
                "rate",
                "managers",
                "seconds",
                "idle_seconds",
                "warmup",
                "register",
            )
        }
        | {"page_time": not args.no_page_time},
    }
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-live-"))
    priority = session_priority(args.nice) if args.nice else contextlib.nullcontext("unchanged")
    try:
        print(f"== {args.visitors} visitors, {args.chats} chats, {args.backend} ==", flush=True)
        with priority as how:
            report["settings"]["priority"] = how
            if args.nice:
                print(f"priority: {how}", flush=True)
            report.update(await run(args, tmp))
    finally:
        if args.keep:
            print(f"server logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"visitors_live-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print()
    print(summary(report))
    print(
        f"\n{report['machine']['nproc']} cores, {report['machine']['cpu_model']}; load average before "
        f"{report['loadavg_before']}; commit {report['machine']['commit']}"
    )
    print(f"results: {out.relative_to(REPO)}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.visitors_live", description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("--backend", choices=["sqlite", "postgres"], default=None, help="default: postgres when available")
    p.add_argument("--visitors", type=int, default=10_000, help="connected visitors browsing")
    p.add_argument("--interval", type=float, default=20.0, help="mean seconds between a visitor's page views")
    p.add_argument("--no-page-time", action="store_true", help="no page.time frames (the widget sends them)")
    p.add_argument("--chats", type=int, default=200, help="open chats exchanging messages (0: none)")
    p.add_argument("--rate", type=float, default=500.0, help="chat messages/s offered by the chats together")
    p.add_argument("--managers", type=int, default=3, help="managers watching the live view")
    p.add_argument("--seconds", type=float, default=30.0, help="measured window of the browse and full phases")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="measured window of the idle phase")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of load before each window")
    p.add_argument("--quiet-wait", type=float, default=5.0, help="wait up to this long for other jobs to go idle")
    p.add_argument(
        "--register",
        choices=["db", "http"],
        default="db",
        help="visitors seeded in the database with signed tokens (fast), or each made by POST /api/v1/widget/visitors",
    )
    p.add_argument("--smoke", action="store_true", help="a small run: 300 visitors, 20 chats at 50 msg/s, 8 s phases")
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="this session's autogroup nice for the run (e.g. -10; root): other jobs on a shared machine take less",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir with the server log")
    args = p.parse_args(argv)
    if args.smoke:
        args.visitors, args.chats, args.rate = 300, 20, 50.0
        args.seconds, args.idle_seconds, args.warmup, args.quiet_wait = 8.0, 4.0, 1.0, 1.0
    if args.backend is None:
        args.backend = "postgres" if postgres_server_url() else "sqlite"
    if args.managers < 1:
        p.error("--managers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import uvloop

    sys.exit(uvloop.run(main_async(args)))


if __name__ == "__main__":
    main()
