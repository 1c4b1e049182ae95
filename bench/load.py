"""The load generator: one worker process drives a share of the visitors and agents.

A worker sets up its chats (visitors connect and open a chat, its agents accept them), then runs
phases on command from the orchestrator (bench.chat_throughput):

- closed: every visitor sends its next message as soon as the previous one is acknowledged
  (at most one in flight per visitor) - this finds the maximum sustainable throughput;
- paced: every visitor sends on a fixed schedule (the phase's rate spread evenly over visitors,
  random phase offsets), still at most one in flight. Latency is measured from the *scheduled*
  send time, so a server that falls behind is charged for the wait (no coordinated omission).

Everything is callbacks on one uvloop loop (bench.wsclient): no task per message, no queue.
All times are time.monotonic() (CLOCK_MONOTONIC, shared by every process on the machine).
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from bench.wsclient import WSClient

ACK = b'{"type":"ack"'
ERROR = b'{"type":"error"'
EVENT = b'{"type":"event"'
WELCOME = b'{"type":"welcome"'
ACCEPTED = b'{"type":"accepted"'
ECHOED = b'{"type":"message.send"'

# The server closes a socket that sends more than 50 frames/s (burst 200) with 4002. Visitors
# stay under it; when this cap is what limits a run, the report says so.
FLOOD_FRAMES_PER_S = 50.0
SEND_CAP_PER_S = 45.0
ACCEPT_BURST = 150
SETUP_PARALLEL = 64
REPLY_TIMEOUT = 15.0
DRAIN_TIMEOUT = 15.0


@dataclass
class WorkerSpec:
    index: int
    mode: str  # "frontdesk" | "echo"
    port: int
    visitors: int
    text_chars: int = 64
    verify_sample: int = 100
    host: str = "127.0.0.1"


class Visitor:
    __slots__ = (
        "i", "prefix", "ws", "chat_id", "n", "cid", "t_sent", "t_intended", "pending", "waiter",
        "acked", "failed", "waiting",
    )  # fmt: skip

    def __init__(self, i: int, prefix: str) -> None:
        self.i, self.prefix = i, prefix
        self.ws: WSClient | None = None
        self.chat_id = 0
        self.n = 0
        self.cid: str | None = None  # the message in flight
        self.t_sent = 0.0
        self.t_intended = 0.0
        self.pending: deque[float] = deque()  # paced: scheduled sends waiting for the in-flight one
        self.waiter: asyncio.Future[dict[str, Any]] | None = None
        self.acked = 0  # acknowledged messages after setup (for verification)
        self.failed = 0  # error answers or unanswered sends (might or might not be stored)
        self.waiting = False  # paced: a send is held back by the per-visitor cap


class Agent:
    __slots__ = ("email", "password", "http", "ws", "csrf", "waiters", "delivered", "chats")

    def __init__(self, email: str, password: str, http: httpx.AsyncClient) -> None:
        self.email, self.password, self.http = email, password, http
        self.ws: WSClient | None = None
        self.csrf = ""
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.delivered = 0
        self.chats: list[int] = []


class Phase:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.name: str = spec["name"]
        self.kind: str = spec["kind"]  # closed | paced
        self.start: float = spec["start_at"]
        self.w0 = self.start + spec["warmup"]
        self.w1 = self.w0 + spec["seconds"]
        self.stop = self.w1  # no new sends after this
        self.rate: float = spec.get("rate", 0.0)  # this worker's share, msg/s
        self.ack_lat: list[float] = []
        self.e2e: list[float] = []
        self.acks_in_window = 0
        self.acks_total = 0
        self.sent_total = 0
        self.sent_in_window = 0
        self.errors: Counter[str] = Counter()
        self.duplicates = 0
        self.cap_delayed = 0
        self.late = 0
        self.unsent = 0
        self.deliveries = 0
        self.stray = 0
        self.cpu0 = self.cpu1 = 0.0


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Worker:
    def __init__(self, spec: WorkerSpec, conn: Any) -> None:
        self.spec = spec
        self.conn = conn
        self.loop = asyncio.get_running_loop()
        self.visitors: list[Visitor] = []
        self.agents: list[Agent] = []
        self.phase: Phase | None = None
        self.sent_at: dict[str, float] = {}  # client_id -> scheduled send time, for end-to-end latency
        self.closed_sockets: Counter[int] = Counter()
        self.setup_steps: Counter[str] = Counter()  # seconds summed over visitors, per setup step
        self.text = ("x" * spec.text_chars).encode()
        self.min_interval = 0.0 if spec.mode == "echo" else 1.0 / SEND_CAP_PER_S
        self.http = httpx.AsyncClient(
            base_url=f"http://{spec.host}:{spec.port}",
            timeout=30.0,
            limits=httpx.Limits(max_connections=SETUP_PARALLEL, max_keepalive_connections=SETUP_PARALLEL),
        )

    # -- protocol callbacks (hot path) ---------------------------------------------------------
    def on_visitor_frame(self, v: Visitor, data: bytes) -> None:
        if data.startswith(EVENT):
            return  # the visitor's copy of its own message
        if data.startswith(ACK) or data.startswith(ERROR) or data.startswith(ECHOED):
            frame = orjson.loads(data)
            if v.waiter is not None:
                if not v.waiter.done():
                    v.waiter.set_result(frame)
                return
            self.on_answer(v, frame, time.monotonic())
        elif data.startswith(WELCOME) and v.waiter is not None and not v.waiter.done():
            v.waiter.set_result(orjson.loads(data))

    def on_answer(self, v: Visitor, frame: dict[str, Any], now: float) -> None:
        ph = self.phase
        ref = frame.get("ref", frame.get("client_id"))
        if ph is None or ref != v.cid:
            if ph is not None:
                ph.stray += 1
            return
        v.cid = None
        if frame["type"] == "error":
            v.failed += 1
            ph.errors[frame.get("code", "?")] += 1
            self.sent_at.pop(ref, None)
        else:
            v.acked += 1
            ph.acks_total += 1
            if frame.get("duplicate"):
                ph.duplicates += 1
            if ph.w0 <= now < ph.w1:
                ph.acks_in_window += 1
            if ph.w0 <= v.t_intended < ph.w1:
                ph.ack_lat.append(now - v.t_intended)
        if ph.kind == "closed":
            if now < ph.stop:
                earliest = v.t_sent + self.min_interval
                if earliest > now:
                    ph.cap_delayed += 1
                    self.loop.call_later(earliest - now, self.send_closed, v)
                else:
                    self.send(v, now, now)
        elif v.pending and not v.waiting:
            self.pump(v, now)

    def on_agent_frame(self, a: Agent, data: bytes) -> None:
        if data.startswith(EVENT):
            ph = self.phase
            if ph is None:
                return
            frame = orjson.loads(data)
            if frame.get("kind") != "message":
                return
            now = time.monotonic()
            ph.deliveries += 1
            a.delivered += 1
            t = self.sent_at.pop(frame.get("client_id"), None)
            if t is not None:
                ph.e2e.append(now - t)
        elif (data.startswith(ACCEPTED) or data.startswith(ERROR)) and a.waiters:
            frame = orjson.loads(data)
            waiter = a.waiters.pop(str(frame.get("ref")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)

    def send(self, v: Visitor, intended: float, now: float) -> None:
        ph = self.phase
        assert ph is not None and v.ws is not None
        v.n += 1
        cid = f"{v.prefix}{v.n:08d}"
        v.cid, v.t_sent, v.t_intended = cid, now, intended
        try:
            v.ws.send(b'{"type":"message.send","client_id":"%s","text":"%s"}' % (cid.encode(), self.text))
        except ConnectionError:
            v.cid = None
            v.failed += 1
            ph.errors["socket_closed"] += 1
            return
        ph.sent_total += 1
        if ph.w0 <= intended < ph.w1:
            ph.sent_in_window += 1
            if self.spec.mode == "frontdesk":
                self.sent_at[cid] = intended

    def pump(self, v: Visitor, now: float) -> None:
        """Paced: send the oldest due message, unless the per-visitor cap says wait."""
        ph = self.phase
        if ph is None or not v.pending:
            return
        earliest = v.t_sent + self.min_interval
        if earliest > now:
            ph.cap_delayed += 1
            v.waiting = True
            self.loop.call_later(earliest - now, self.unwait, v)
            return
        self.send(v, v.pending.popleft(), now)

    def unwait(self, v: Visitor) -> None:
        v.waiting = False
        if v.cid is None:
            self.pump(v, time.monotonic())

    def send_closed(self, v: Visitor) -> None:
        now = time.monotonic()
        if self.phase is not None and v.cid is None and now < self.phase.stop:
            self.send(v, now, now)

    def tick(self, v: Visitor, scheduled: float, period: float) -> None:
        """Paced: a send is due. It goes now unless one is in flight, queued or held by the cap."""
        ph = self.phase
        if ph is None or scheduled >= ph.stop:
            return
        busy = v.cid is not None or v.waiting or bool(v.pending)
        v.pending.append(scheduled)
        if busy:
            ph.late += 1
        else:
            self.pump(v, time.monotonic())
        nxt = scheduled + period
        if nxt < ph.stop:
            self.loop.call_later(max(0.0, nxt - time.monotonic()), self.tick, v, nxt, period)

    # -- setup ----------------------------------------------------------------------------------
    async def setup_visitors(self) -> dict[str, Any]:
        """Visitors connect and open their chats (queued: agents come later)."""
        t0 = time.monotonic()
        gate = asyncio.Semaphore(SETUP_PARALLEL)

        async def one(i: int) -> None:
            async with gate:
                await self.setup_visitor(i)

        self.visitors = [Visitor(i, f"w{self.spec.index}v{i}m") for i in range(self.spec.visitors)]
        await asyncio.gather(*(one(i) for i in range(self.spec.visitors)))
        n = max(1, len(self.visitors))
        mean = {f"{k}_ms": round(1000 * v / n, 1) for k, v in self.setup_steps.items()}
        return {"visitors_s": round(time.monotonic() - t0, 2), **mean}

    async def setup_agents(self, creds: list[tuple[str, str]]) -> dict[str, Any]:
        """Agents log in, connect, and accept the chats evenly (visitor i -> agent i mod n)."""
        t0 = time.monotonic()
        await asyncio.gather(*(self.setup_agent(email, pw) for email, pw in creds))
        self.agents.sort(key=lambda a: a.email)
        for v in self.visitors:
            self.agents[v.i % len(self.agents)].chats.append(v.chat_id)
        t1 = time.monotonic()
        await asyncio.gather(*(self.accept_all(a) for a in self.agents))
        return {"agents_login_s": round(t1 - t0, 2), "accept_s": round(time.monotonic() - t1, 2)}

    async def setup_agent(self, email: str, password: str) -> None:
        http = httpx.AsyncClient(base_url=f"http://{self.spec.host}:{self.spec.port}", timeout=30.0)
        a = Agent(email, password, http)
        r = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        a.csrf = r.json()["csrf_token"]
        cookie = http.cookies.get("fd_session")
        welcome = self.loop.create_future()
        a.waiters["welcome"] = welcome

        def on_text(data: bytes) -> None:
            if data.startswith(WELCOME):
                w = a.waiters.pop("welcome", None)
                if w is not None and not w.done():
                    w.set_result(orjson.loads(data))
                return
            self.on_agent_frame(a, data)

        headers = {"Cookie": f"fd_session={cookie}"}
        a.ws = await WSClient.connect(self.spec.host, self.spec.port, "/api/v1/agent/ws", on_text, headers=headers)
        a.ws.closed.add_done_callback(lambda f: self.closed_sockets.update([f.result()]))
        await asyncio.wait_for(welcome, REPLY_TIMEOUT)
        self.agents.append(a)

    async def setup_visitor(self, i: int) -> None:
        v = self.visitors[i]
        spec = self.spec
        if spec.mode == "echo":
            v.ws = await WSClient.connect(spec.host, spec.port, "/ws", lambda d: self.on_visitor_frame(v, d))
            v.ws.closed.add_done_callback(lambda f: self.closed_sockets.update([f.result()]))
            return
        # Many visitors, one address: present each as its own client through the trusted local
        # proxy header, or the per-address limit on new visitor identities (60) would refuse them.
        n = spec.index * 1_000_000 + i
        xff = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        steps = self.setup_steps
        t0 = time.monotonic()
        r = await self.http.post("/api/v1/widget/visitors", json={}, headers={"X-Forwarded-For": xff})
        r.raise_for_status()
        token = r.json()["visitor_token"]
        t1 = time.monotonic()
        path = "/api/v1/widget/ws"
        v.ws = await WSClient.connect(spec.host, spec.port, path, lambda d: self.on_visitor_frame(v, d))
        v.ws.closed.add_done_callback(lambda f: self.closed_sockets.update([f.result()]))
        t2 = time.monotonic()
        v.waiter = self.loop.create_future()
        v.ws.send(orjson.dumps({"type": "hello", "v": 1, "token": token, "page": {"url": "https://bench/"}}))
        await asyncio.wait_for(v.waiter, REPLY_TIMEOUT)
        t3 = time.monotonic()
        v.waiter = self.loop.create_future()
        cid = f"{v.prefix}first"
        v.ws.send(orjson.dumps({"type": "message.send", "client_id": cid, "text": "Hello, I need help."}))
        ack = await asyncio.wait_for(v.waiter, REPLY_TIMEOUT)
        v.waiter = None
        t4 = time.monotonic()
        for name, dt in (("register", t1 - t0), ("connect", t2 - t1), ("hello", t3 - t2), ("first", t4 - t3)):
            steps[name] += dt
        if ack.get("type") != "ack":
            raise RuntimeError(f"first message of visitor {i} failed: {ack}")
        v.chat_id = ack["chat_id"]

    async def accept_all(self, a: Agent) -> None:
        """Accept this agent's chats over its socket, paced under the per-socket frame limit."""
        assert a.ws is not None
        futures = []
        for k, chat_id in enumerate(a.chats):
            if k >= ACCEPT_BURST:
                await asyncio.sleep(1.0 / (FLOOD_FRAMES_PER_S * 0.8))
            ref = f"acc-{chat_id}"
            fut = self.loop.create_future()
            a.waiters[ref] = fut
            a.ws.send(orjson.dumps({"type": "chat.accept", "chat_id": chat_id, "ref": ref}))
            futures.append(fut)
        for fut in futures:
            frame = await asyncio.wait_for(fut, REPLY_TIMEOUT)
            if frame.get("type") != "accepted":
                raise RuntimeError(f"accept failed: {frame}")

    # -- phases ---------------------------------------------------------------------------------
    async def run_phase(self, spec: dict[str, Any]) -> dict[str, Any]:
        ph = self.phase = Phase(spec)
        self.sent_at.clear()
        closed_before = sum(self.closed_sockets.values())

        def snap0() -> None:
            ph.cpu0 = cpu_seconds()

        def snap1() -> None:
            ph.cpu1 = cpu_seconds()

        now = time.monotonic()
        self.loop.call_later(max(0.0, ph.w0 - now), snap0)
        self.loop.call_later(max(0.0, ph.w1 - now), snap1)
        if ph.kind == "closed":
            for v in self.visitors:
                self.loop.call_later(max(0.0, ph.start - now + random.random() * 0.01), self.send_closed, v)
        else:
            per_visitor = ph.rate / len(self.visitors)
            period = 1.0 / per_visitor
            for v in self.visitors:
                first = ph.start + random.random() * period
                self.loop.call_later(max(0.0, first - now), self.tick, v, first, period)
        await asyncio.sleep(max(0.0, ph.stop - time.monotonic()))
        # Drain: nothing new is sent; wait for answers in flight and for agents' copies.
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            inflight = sum(1 for v in self.visitors if v.cid is not None)
            if inflight == 0 and (self.spec.mode == "echo" or not self.sent_at):
                break
            await asyncio.sleep(0.05)
        unanswered = 0
        for v in self.visitors:
            ph.unsent += len(v.pending)
            v.pending.clear()
            v.waiting = False
            if v.cid is not None:  # no answer in time: may or may not be stored
                unanswered += 1
                v.failed += 1
                v.cid = None
        self.phase = None
        return {
            "name": ph.name,
            "kind": ph.kind,
            "window_s": ph.w1 - ph.w0,
            "acks_in_window": ph.acks_in_window,
            "acks_total": ph.acks_total,
            "sent_total": ph.sent_total,
            "sent_in_window": ph.sent_in_window,
            "ack_lat": ph.ack_lat,
            "e2e": ph.e2e,
            "undelivered_in_window": len(self.sent_at),
            "deliveries": ph.deliveries,
            "errors": dict(ph.errors),
            "duplicates": ph.duplicates,
            "cap_delayed": ph.cap_delayed,
            "late": ph.late,
            "unsent": ph.unsent,
            "unanswered": unanswered,
            "stray": ph.stray,
            "sockets_closed": sum(self.closed_sockets.values()) - closed_before,
            "client_cpu_s": ph.cpu1 - ph.cpu0,
        }

    # -- verification ---------------------------------------------------------------------------
    async def verify(self) -> dict[str, Any]:
        """Stored messages (through the REST API) against what visitors saw acknowledged."""
        if self.spec.mode != "frontdesk":
            return {}
        http = self.agents[0].http
        gate = asyncio.Semaphore(8)
        problems: list[str] = []
        checked_all = checked_full = 0
        count = len(self.visitors)
        sample = set(random.sample(range(count), min(self.spec.verify_sample, count)))

        async def check(v: Visitor) -> None:
            nonlocal checked_all, checked_full
            async with gate:
                # Events: chat.started, the first message, chat.assigned, then one per acked message.
                lo, hi = 3 + v.acked, 3 + v.acked + v.failed
                r = await http.get(f"/api/v1/chats/{v.chat_id}")
                r.raise_for_status()
                last_seq = r.json()["last_seq"]
                checked_all += 1
                if not lo <= last_seq <= hi:
                    problems.append(f"chat {v.chat_id}: last_seq {last_seq}, expected {lo}..{hi}")
                if v.i not in sample:
                    return
                events: list[dict[str, Any]] = []
                after = 0
                for _page in range(1000):
                    r = await http.get(f"/api/v1/chats/{v.chat_id}/messages", params={"after": after})
                    r.raise_for_status()
                    page = r.json()["events"]
                    events.extend(page)
                    if len(page) < 500:
                        break
                    after = page[-1]["seq"]
                checked_full += 1
                seqs = [e["seq"] for e in events]
                if seqs != list(range(1, len(seqs) + 1)):
                    problems.append(f"chat {v.chat_id}: seqs not 1..{len(seqs)} without gaps")
                messages = [e for e in events if e["kind"] == "message"]
                cids = [e["client_id"] for e in messages]
                if len(set(cids)) != len(cids):
                    problems.append(f"chat {v.chat_id}: a client_id is stored twice")
                if not 1 + v.acked <= len(messages) <= 1 + v.acked + v.failed:
                    problems.append(f"chat {v.chat_id}: {len(messages)} stored messages, {1 + v.acked} acknowledged")

        await asyncio.gather(*(check(v) for v in self.visitors))
        return {
            "chats_checked_last_seq": checked_all,
            "chats_checked_messages": checked_full,
            "acked_total": sum(v.acked for v in self.visitors),
            "failed_total": sum(v.failed for v in self.visitors),
            "delivered_total": sum(a.delivered for a in self.agents),
            "problems": problems[:50],
            "problem_count": len(problems),
        }

    async def close(self) -> None:
        for v in self.visitors:
            if v.ws is not None:
                v.ws.close()
        for a in self.agents:
            if a.ws is not None:
                a.ws.close()
            await a.http.aclose()
        await self.http.aclose()
        await asyncio.sleep(0.1)

    # -- the command loop -----------------------------------------------------------------------
    async def recv(self, wait_s: float = 600.0) -> Any:
        def get() -> Any:
            if not self.conn.poll(wait_s):
                raise TimeoutError("no command from the orchestrator")
            return self.conn.recv()

        return await self.loop.run_in_executor(None, get)

    async def main(self) -> None:
        try:
            info = await self.setup_visitors()
            if self.spec.mode == "frontdesk":
                self.conn.send(("visitors_ready", info))
                command, creds = await self.recv()
                if command != "agents":
                    return
                info.update(await self.setup_agents(creds))
            self.conn.send(("ready", info))
            for _ in range(100):
                command, arg = await self.recv()
                if command == "phase":
                    self.conn.send(("phase_done", await self.run_phase(arg)))
                elif command == "verify":
                    self.conn.send(("verified", await self.verify()))
                else:
                    break
        except Exception:
            self.conn.send(("error", traceback.format_exc()))
        finally:
            await self.close()


def run_worker(spec: WorkerSpec, conn: Any) -> None:
    """Process entry point."""
    import uvloop

    async def go() -> None:
        await Worker(spec, conn).main()

    uvloop.run(go())
