"""The load generator: one worker process drives a share of the visitors and agents.

Setup (not measured), frontdesk mode: the worker's agents log in and connect (so they are
online), then its visitors connect and send a first message, which opens a chat. Agents accept
every chat they are offered (automatic routing); a chat nobody was offered after a while is
accepted by agent i mod n (manual routing), so either way every chat ends up assigned.

Then phases, on command from the orchestrator (bench.chat_throughput):

- closed: every visitor sends its next message as soon as the previous one is acknowledged
  (at most one in flight per visitor) - this finds the maximum sustainable throughput;
- paced: every visitor sends on a fixed schedule (the phase's rate spread evenly over visitors,
  random phase offsets), still at most one in flight. Latency is measured from the *scheduled*
  send time, so a server that falls behind is charged for the wait (no coordinated omission).

Everything is callbacks on one uvloop loop (bench.wsclient): no task per message, no queue.
All times are time.monotonic() (CLOCK_MONOTONIC, shared by every process on the machine), so
end-to-end latency is matched by client_id in the orchestrator even when a visitor's chat went
to an agent driven by another worker process.
"""

from __future__ import annotations

import asyncio
import gc
import random
import resource
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench.wsclient import WSClient

ACK = b'{"type":"ack"'
ERROR = b'{"type":"error"'
EVENT = b'{"type":"event"'
WELCOME = b'{"type":"welcome"'
ACCEPTED = b'{"type":"accepted"'
OFFERED = b'{"type":"chat.offered"'
ECHOED = b'{"type":"message.send"'

# The server closes a socket that sends more than 50 frames/s (burst 200) with 4002. Visitors
# and agents stay under it; when this cap is what limits a run, the report says so.
SEND_CAP_PER_S = 45.0
ACCEPT_RATE, ACCEPT_BURST = 40.0, 150.0
SETUP_PARALLEL = 64
REPLY_TIMEOUT = 15.0
ASSIGN_GRACE = 0.5  # seconds without progress before unoffered chats are accepted explicitly
ASSIGN_TIMEOUT = 90.0
OFFLINE_RETRIES = 40  # the department may need a moment to see the agents online
DRAIN_TIMEOUT = 15.0


@dataclass
class WorkerSpec:
    index: int
    mode: str  # "frontdesk" | "echo"
    port: int
    visitors: int
    agents: list[tuple[str, str]] = field(default_factory=list)
    text_chars: int = 64
    verify_sample: int = 100
    host: str = "127.0.0.1"


class Visitor:
    __slots__ = (
        "i", "prefix", "ws", "chat_id", "n", "cid", "t_sent", "t_intended", "pending", "waiter",
        "acked", "failed", "waiting", "assignee",
    )  # fmt: skip

    def __init__(self, i: int, prefix: str) -> None:
        self.i, self.prefix = i, prefix
        self.ws: WSClient | None = None
        self.chat_id = 0
        self.assignee: int | None = None  # from the chat.assigned event
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
    __slots__ = ("email", "http", "ws", "id", "waiters", "tokens", "t_tokens", "accepted", "refused")

    def __init__(self, email: str, http: httpx.AsyncClient) -> None:
        self.email, self.http = email, http
        self.ws: WSClient | None = None
        self.id = 0
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.tokens, self.t_tokens = ACCEPT_BURST, time.monotonic()
        self.accepted: set[int] = set()
        self.refused: Counter[str] = Counter()


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
        self.ack_at: list[float] = []  # scheduled send time (from the window start) of each ack_lat
        self.sends: dict[str, float] = {}  # acked in-window messages: client_id -> scheduled send time
        self.recvs: list[tuple[str, float]] = []  # agents: (client_id, received at) of visitor messages
        self.acks_in_window = 0
        self.acks_total = 0
        self.sent_total = 0
        self.sent_in_window = 0
        self.errors: Counter[str] = Counter()
        self.duplicates = 0
        self.cap_delayed = 0
        self.late = 0
        self.unsent = 0
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
            if self.phase is None:  # setup: learn who took the chat
                frame = orjson.loads(data)
                if frame.get("kind") == "chat.assigned":
                    v.assignee = ((frame.get("data") or {}).get("agent") or {}).get("id", -1)
            return  # otherwise: the visitor's copy of its own message
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
        else:
            v.acked += 1
            ph.acks_total += 1
            if frame.get("duplicate"):
                ph.duplicates += 1
            if ph.w0 <= now < ph.w1:
                ph.acks_in_window += 1
            if ph.w0 <= v.t_intended < ph.w1:
                ph.ack_lat.append(now - v.t_intended)
                ph.ack_at.append(v.t_intended - ph.w0)
                ph.sends[ref] = v.t_intended
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
            if frame.get("kind") == "message" and (frame.get("author") or {}).get("type") == "visitor":
                ph.recvs.append((frame.get("client_id"), time.monotonic()))
        elif data.startswith(OFFERED):
            chat = orjson.loads(data).get("chat") or {}
            if isinstance(chat.get("id"), int):
                self.accept(a, chat["id"])
        elif data.startswith(ACCEPTED) or data.startswith(ERROR):
            frame = orjson.loads(data)
            ref = str(frame.get("ref"))
            if ref.startswith("acc-"):
                chat_id = int(ref[4:])
                if frame["type"] == "accepted":
                    a.accepted.add(chat_id)
                else:
                    a.refused[str(frame.get("code"))] += 1
            waiter = a.waiters.pop(ref, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
        elif data.startswith(WELCOME):
            waiter = a.waiters.pop("welcome", None)
            if waiter is not None and not waiter.done():
                waiter.set_result(orjson.loads(data))

    def accept(self, a: Agent, chat_id: int) -> None:
        """chat.accept over the agent's socket, under the server's per-socket frame limit."""
        now = time.monotonic()
        a.tokens = min(ACCEPT_BURST, a.tokens + (now - a.t_tokens) * ACCEPT_RATE)
        a.t_tokens = now
        if a.tokens < 1.0:
            self.loop.call_later((1.0 - a.tokens) / ACCEPT_RATE, self.accept, a, chat_id)
            return
        a.tokens -= 1.0
        if a.ws is not None and not a.ws.transport.is_closing():  # type: ignore[union-attr]
            a.ws.send(b'{"type":"chat.accept","chat_id":%d,"ref":"acc-%d"}' % (chat_id, chat_id))

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

    def pump(self, v: Visitor, now: float) -> None:
        """Paced: send the oldest due message, unless the per-visitor cap says wait."""
        ph = self.phase
        if ph is None or not v.pending or now >= ph.stop:  # after the window, a backlog stays unsent
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
    async def setup(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        t0 = time.monotonic()
        if self.spec.mode == "frontdesk":
            await asyncio.gather(*(self.setup_agent(email, pw) for email, pw in self.spec.agents))
            self.agents.sort(key=lambda a: a.email)
            info["agents_s"] = round(time.monotonic() - t0, 2)
        t1 = time.monotonic()
        gate = asyncio.Semaphore(SETUP_PARALLEL)

        async def one(i: int) -> None:
            async with gate:
                await self.setup_visitor(i)

        self.visitors = [Visitor(i, f"w{self.spec.index}v{i}m") for i in range(self.spec.visitors)]
        await asyncio.gather(*(one(i) for i in range(self.spec.visitors)))
        info["visitors_s"] = round(time.monotonic() - t1, 2)
        n = max(1, len(self.visitors))
        info.update({f"{k}_ms": round(1000 * v / n, 1) for k, v in self.setup_steps.items()})
        if self.spec.mode == "frontdesk":
            t2 = time.monotonic()
            info.update(await self.wait_assigned())
            info["assign_s"] = round(time.monotonic() - t2, 2)
            await asyncio.sleep(0.5)  # let the last setup frames arrive before counting them
        info["setup_frames_to_visitors"], info["setup_frames_to_agents"] = self.frames_in()
        return info

    async def setup_agent(self, email: str, password: str) -> None:
        http = httpx.AsyncClient(base_url=f"http://{self.spec.host}:{self.spec.port}", timeout=30.0)
        a = Agent(email, http)
        r = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        cookie = http.cookies.get("fd_session")
        welcome = self.loop.create_future()
        a.waiters["welcome"] = welcome
        headers = {"Cookie": f"fd_session={cookie}"}
        path = "/api/v1/agent/ws"
        a.ws = await WSClient.connect(
            self.spec.host, self.spec.port, path, lambda d: self.on_agent_frame(a, d), headers
        )
        a.ws.closed.add_done_callback(lambda f: self.closed_sockets.update([f.result()]))
        a.id = (await asyncio.wait_for(welcome, REPLY_TIMEOUT))["agent"]["id"]
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
        for attempt in range(OFFLINE_RETRIES):
            v.waiter = self.loop.create_future()
            cid = f"{v.prefix}first"
            v.ws.send(orjson.dumps({"type": "message.send", "client_id": cid, "text": "Hello, I need help."}))
            ack = await asyncio.wait_for(v.waiter, REPLY_TIMEOUT)
            if ack.get("code") not in ("offline", "unavailable") or attempt == OFFLINE_RETRIES - 1:
                break
            await asyncio.sleep(0.25)
        v.waiter = None
        t4 = time.monotonic()
        for name, dt in (("register", t1 - t0), ("connect", t2 - t1), ("hello", t3 - t2), ("first", t4 - t3)):
            steps[name] += dt
        if ack.get("type") != "ack":
            raise RuntimeError(f"first message of visitor {i} failed: {ack}")
        v.chat_id = ack["chat_id"]
        if self.agents and v.assignee is None:
            # Take it now rather than after everyone has queued: a long queue costs the server a
            # position update to every waiting visitor whenever it changes. With automatic
            # routing an offer may win instead; the loser gets `conflict`, which is fine.
            self.accept(self.agents[i % len(self.agents)], v.chat_id)

    async def wait_assigned(self) -> dict[str, Any]:
        """Until every chat has an agent. Offers are accepted as they come, and each chat was
        also accepted by agent i mod n as soon as it opened; what is left after a pause (a
        refused accept, a lost offer) is accepted again by that agent."""
        deadline = time.monotonic() + ASSIGN_TIMEOUT
        last_progress, last_count, explicit = time.monotonic(), -1, 0
        while time.monotonic() < deadline:
            left = [v for v in self.visitors if v.assignee is None]
            if not left:
                break
            if len(left) != last_count:
                last_count, last_progress = len(left), time.monotonic()
            elif time.monotonic() - last_progress > ASSIGN_GRACE:
                for v in left:
                    self.accept(self.agents[v.i % len(self.agents)], v.chat_id)
                explicit += len(left)
                last_progress = time.monotonic() + 5.0  # give those accepts time before retrying
            await asyncio.sleep(0.1)
        left = [v for v in self.visitors if v.assignee is None]
        if left:
            refused = sum((a.refused for a in self.agents), Counter())
            raise RuntimeError(f"{len(left)} chats were never assigned (agents refused: {dict(refused)})")
        load = Counter(v.assignee for v in self.visitors)
        return {
            "late_accepts": explicit,
            "chats_per_agent_min": min(load.values()),
            "chats_per_agent_max": max(load.values()),
            "agents_with_chats": len(load),
        }

    # -- phases ---------------------------------------------------------------------------------
    async def run_phase(self, spec: dict[str, Any]) -> dict[str, Any]:
        # No cyclic garbage collection while measuring: a full collection over the sockets and
        # latency lists pauses this process for milliseconds, and that pause would be charged to
        # the server's latency. Frames are plain dicts and lists, freed by reference counting.
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            return await self._run_phase(spec)
        finally:
            gc.enable()

    async def _run_phase(self, spec: dict[str, Any]) -> dict[str, Any]:
        ph = self.phase = Phase(spec)
        closed_before = sum(self.closed_sockets.values())
        frames_before = self.frames_in()

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
        elif self.visitors:
            period = len(self.visitors) / ph.rate
            for v in self.visitors:
                first = ph.start + random.random() * period
                self.loop.call_later(max(0.0, first - now), self.tick, v, first, period)
        await asyncio.sleep(max(0.0, ph.stop - time.monotonic()))
        # Drain: nothing new is sent; wait for answers in flight, then a moment for agents' copies.
        for _ in range(int(DRAIN_TIMEOUT / 0.05)):
            if all(v.cid is None for v in self.visitors):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
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
            "visitors": len(self.visitors),
            "window_s": ph.w1 - ph.w0,
            "acks_in_window": ph.acks_in_window,
            "acks_total": ph.acks_total,
            "sent_total": ph.sent_total,
            "sent_in_window": ph.sent_in_window,
            "ack_lat": ph.ack_lat,
            "ack_at": ph.ack_at,
            "sends": ph.sends,
            "recvs": ph.recvs,
            "errors": dict(ph.errors),
            "duplicates": ph.duplicates,
            "cap_delayed": ph.cap_delayed,
            "late": ph.late,
            "unsent": ph.unsent,
            "unanswered": unanswered,
            "stray": ph.stray,
            "sockets_closed": sum(self.closed_sockets.values()) - closed_before,
            "frames_to_visitors": self.frames_in()[0] - frames_before[0],
            "frames_to_agents": self.frames_in()[1] - frames_before[1],
            "client_cpu_s": ph.cpu1 - ph.cpu0,
        }

    def frames_in(self) -> tuple[int, int]:
        """Frames received so far by (visitors, agents)."""
        return (
            sum(v.ws.frames_in for v in self.visitors if v.ws is not None),
            sum(a.ws.frames_in for a in self.agents if a.ws is not None),
        )

    # -- verification ---------------------------------------------------------------------------
    async def verify(self) -> dict[str, Any]:
        """Stored messages (through the REST API) against what visitors saw acknowledged.

        A sample of chats is read in full: their messages must be exactly the acknowledged ones
        (plus the first), seqs 1..n without gaps, no client_id twice. Every chat's last_seq must
        then agree: acknowledged messages + 1 + the non-message events (chat.started,
        chat.assigned...) that the sample shows a chat has."""
        if self.spec.mode != "frontdesk" or not self.visitors:
            return {}
        http = self.agents[0].http
        gate = asyncio.Semaphore(8)
        problems: list[str] = []
        count = len(self.visitors)
        sample = set(random.sample(range(count), min(self.spec.verify_sample, count)))
        other_events: Counter[int] = Counter()  # non-message events per chat in the sample
        last_seqs: dict[int, int] = {}

        async def full(v: Visitor) -> None:
            async with gate:
                events: list[dict[str, Any]] = []
                after = 0
                for _page in range(1000):
                    r = await http.get(f"/api/v1/chats/{v.chat_id}/messages", params={"after": after})
                    r.raise_for_status()
                    body = r.json()
                    events.extend(body["events"])
                    if len(body["events"]) < 500:
                        break
                    after = body["events"][-1]["seq"]
            seqs = [e["seq"] for e in events]
            if seqs != list(range(1, len(seqs) + 1)):
                problems.append(f"chat {v.chat_id}: seqs are not 1..{len(seqs)} without gaps")
            messages = [e for e in events if e["kind"] == "message" and e["author"]["type"] == "visitor"]
            cids = [e["client_id"] for e in messages]
            if len(set(cids)) != len(cids):
                problems.append(f"chat {v.chat_id}: a client_id is stored twice")
            if not 1 + v.acked <= len(messages) <= 1 + v.acked + v.failed:
                problems.append(
                    f"chat {v.chat_id}: {len(messages)} visitor messages stored, {1 + v.acked} acknowledged"
                )
            other_events[len(events) - len(messages)] += 1

        async def seq(v: Visitor) -> None:
            async with gate:
                r = await http.get(f"/api/v1/chats/{v.chat_id}")
                r.raise_for_status()
                last_seqs[v.i] = r.json()["last_seq"]

        await asyncio.gather(*(full(v) for v in self.visitors if v.i in sample))
        await asyncio.gather(*(seq(v) for v in self.visitors))
        lo, hi = (min(other_events), max(other_events)) if other_events else (0, 0)
        for v in self.visitors:
            extra = last_seqs[v.i] - 1 - v.acked
            if not lo <= extra <= hi + v.failed:
                problems.append(f"chat {v.chat_id}: last_seq {last_seqs[v.i]} but {1 + v.acked} messages acknowledged")
        return {
            "chats_checked_last_seq": len(last_seqs),
            "chats_checked_messages": len(sample),
            "acked_total": sum(v.acked for v in self.visitors),
            "failed_total": sum(v.failed for v in self.visitors),
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
            self.conn.send(("ready", await self.setup()))
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
