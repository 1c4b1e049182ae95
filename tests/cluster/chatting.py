"""Participants that keep chatting through faults, and the exactly-once checks afterwards.

A `Participant` is one side of one chat (the widget or the console) as a careful client
behaves (docs/protocol.md): every send has a client id and stays in the outbox until acked;
an `error` answer is retried after a short pause with the same client id; a lost socket is
reconnected through nginx with a short backoff, then `sync` asks for everything after the
last contiguous seq held, and the outbox is resent. Events are kept by seq.

It also records what the server did, for the assertions and the report: close codes, error
frames (code, when), how long each send waited for its answer, acks flagged `duplicate`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed

from tests.clients import AgentClient, VisitorClient, new_client_id

HANG_SECONDS = 15.0  # a send unanswered this long on a live socket is a hang
RETRY_BASE, RETRY_CAP = 0.25, 2.0  # backoff after an `error` answer, per client id


def aim(client: VisitorClient | AgentClient, base_url: str) -> None:
    """Point a client at another node, or at nginx."""
    path = "/api/v1/agent/ws" if isinstance(client, AgentClient) else "/api/v1/widget/ws"
    client.base_url = base_url
    client.ws_url = base_url.replace("http", "ws", 1) + path
    if isinstance(client, AgentClient):
        client.http.base_url = httpx.URL(base_url)


@dataclass
class Answer:
    kind: str  # "ack" or "error"
    at: float
    waited: float
    code: str | None = None
    duplicate: bool | None = None


@dataclass
class Participant:
    name: str
    client: VisitorClient | AgentClient
    chat_id: int
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)  # every client id -> text
    outbox: dict[str, str] = field(default_factory=dict)  # until acked
    acked: dict[str, int] = field(default_factory=dict)  # client id -> seq
    answers: dict[str, list[Answer]] = field(default_factory=dict)  # client id -> answers, in order
    first_sent: dict[str, float] = field(default_factory=dict)
    waiting: dict[str, float] = field(default_factory=dict)  # client id -> sent at, on the current socket
    retry_at: dict[str, float] = field(default_factory=dict)
    closes: list[int | None] = field(default_factory=list)
    connect_failures: list[str] = field(default_factory=list)
    hung: set[str] = field(default_factory=set)  # sends unanswered for HANG_SECONDS on a live socket
    problems: list[str] = field(default_factory=list)
    syncing: str | None = None
    sync_sent_at: float = 0.0
    synced_last_seq: int = 0
    counter: int = 0

    # -- state ---------------------------------------------------------------------------
    @property
    def is_agent(self) -> bool:
        return isinstance(self.client, AgentClient)

    @property
    def alive(self) -> bool:
        s = self.client.socket
        return s is not None and s.closed_code is None and not s._reader.done()

    @property
    def watermark(self) -> int:
        """The last seq up to which this side holds everything."""
        n = 0
        while n + 1 in self.seen:
            n += 1
        return n

    def errors(self, since: float = 0.0, until: float = float("inf")) -> list[Answer]:
        return [a for answers in self.answers.values() for a in answers if a.kind == "error" and since <= a.at <= until]

    def hangs(self) -> list[str]:
        now = time.monotonic()
        return [cid for cid, at in self.waiting.items() if self.alive and now - at > HANG_SECONDS]

    # -- frames --------------------------------------------------------------------------
    def message_frame(self, cid: str) -> dict[str, Any]:
        frame = {"type": "message.send", "text": self.sent[cid], "client_id": cid}
        if self.is_agent:
            frame["chat_id"] = self.chat_id
        return frame

    def pump(self) -> None:
        """Take every buffered frame off the socket into this side's state."""
        socket = self.client.socket
        if socket is None:
            return
        frames, socket.frames[:] = list(socket.frames), []
        now = time.monotonic()
        for frame in frames:
            kind = frame.get("type")
            if kind == "event" and frame.get("chat_id") == self.chat_id:
                self._record(frame)
            elif kind == "ack" and frame.get("ref") in self.sent:
                cid, seq = frame["ref"], frame["seq"]
                if cid in self.acked and self.acked[cid] != seq:
                    self.problems.append(f"{cid} acked at seq {self.acked[cid]} and again at {seq}")
                self.acked[cid] = seq
                self.outbox.pop(cid, None)
                self.retry_at.pop(cid, None)
                sent_at = self.waiting.pop(cid, now)
                self.answers.setdefault(cid, []).append(
                    Answer("ack", now, now - sent_at, duplicate=frame.get("duplicate"))
                )
                self._record(frame["event"])
            elif kind == "error" and frame.get("ref") in self.sent:
                cid = frame["ref"]
                sent_at = self.waiting.pop(cid, now)
                answers = self.answers.setdefault(cid, [])
                answers.append(Answer("error", now, now - sent_at, code=frame.get("code")))
                if cid in self.outbox:  # retry with backoff: the server counts every frame (4002 for floods)
                    failures = sum(1 for a in answers if a.kind == "error")
                    backoff = min(RETRY_BASE * 2 ** (failures - 1), RETRY_CAP) * random.uniform(0.75, 1.25)
                    self.retry_at[cid] = now + max(backoff, float(frame.get("retry_after") or 0))
            elif kind == "error" and self.syncing is not None and frame.get("ref") == self.syncing:
                self.syncing = None  # try again on the next tick
            elif kind == "synced" and frame.get("chat_id") == self.chat_id:
                self.syncing = None
                self.synced_last_seq = max(self.synced_last_seq, frame["last_seq"])

    def _record(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        existing = self.seen.get(seq)
        if existing is not None and existing != frame:
            self.problems.append(f"seq {seq} arrived with different content: {existing} != {frame}")
        self.seen[seq] = frame

    # -- sending ---------------------------------------------------------------------------
    async def transmit(self, frame: dict[str, Any]) -> bool:
        if not self.alive:
            return False
        try:
            await self.client.socket.send(frame)  # type: ignore[union-attr]
        except (ConnectionClosed, OSError):
            return False
        return True

    async def send_new(self, text: str | None = None) -> str:
        cid = new_client_id()
        self.counter += 1
        self.sent[cid] = self.outbox[cid] = text or f"{self.name} #{self.counter}"
        self.first_sent[cid] = time.monotonic()
        await self.resend(cid)
        return cid

    async def resend(self, cid: str) -> None:
        self.retry_at.pop(cid, None)
        if await self.transmit(self.message_frame(cid)):
            self.waiting[cid] = time.monotonic()

    async def retry_due(self) -> None:
        now = time.monotonic()
        for cid, at in list(self.retry_at.items()):
            if at <= now and cid in self.outbox:
                await self.resend(cid)

    async def request_sync(self) -> None:
        self.syncing = f"sync-{new_client_id()[:8]}"
        self.sync_sent_at = time.monotonic()
        frame = {"type": "sync", "chat_id": self.chat_id, "after": self.watermark, "ref": self.syncing}
        if not await self.transmit(frame):
            self.syncing = None

    async def sync_on_gap(self) -> None:
        """A seq beyond a hole (or an unanswered sync for a while): ask the database."""
        if self.syncing is not None and time.monotonic() - self.sync_sent_at < 3.0:
            return
        if self.seen and max(self.seen) > self.watermark:
            await self.request_sync()

    # -- connections -------------------------------------------------------------------------
    async def reconnect(self, base_url: str, *, deadline: float = 30.0) -> None:
        """Reconnect through `base_url` (nginx) with a short backoff, sync, resend the outbox."""
        old = self.client.socket
        if old is not None:
            await asyncio.gather(old._reader, return_exceptions=True)
            self.pump()
            self.closes.append(old.closed_code)
        self.waiting.clear()
        self.syncing = None
        aim(self.client, base_url)
        give_up = time.monotonic() + deadline
        delay = 0.05
        while True:
            try:
                await self.client.connect()
                break
            except Exception as exc:  # refused, 502, closed before welcome (database down)...
                self.connect_failures.append(f"{type(exc).__name__}: {exc}")
                if self.client.socket is not None:
                    await self.client.socket.close()
                if time.monotonic() > give_up:
                    raise AssertionError(f"{self.name} could not reconnect: {self.connect_failures[-3:]}") from exc
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 0.5)
        await self.request_sync()
        for cid in list(self.outbox):
            await self.resend(cid)

    async def tick(self, base_url: str) -> None:
        if not self.alive:
            await self.reconnect(base_url)
        self.pump()
        self.hung.update(self.hangs())
        await self.retry_due()
        await self.sync_on_gap()

    async def wait_until(self, predicate, base_url: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
        give_up = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > give_up:
                raise AssertionError(f"{self.name}: condition not met within {timeout}s")
            await self.tick(base_url)
            await asyncio.sleep(0.02)


async def chatter(parts: list[Participant], base_url: str, stop: asyncio.Event, *, burst: int = 1) -> None:
    """Every ~50 ms each participant sends `burst` new messages, handles what arrived,
    reconnects (through `base_url`) when its socket is gone, retries what failed."""
    while not stop.is_set():
        for p in parts:
            await p.tick(base_url)
            for _ in range(burst):
                await p.send_new()
        await asyncio.sleep(0.05)


async def settle(parts: list[Participant], base_url: str, timeout: float = 30.0) -> None:
    """No new messages: resend until every send is acked, then a final sync on every side."""
    give_up = time.monotonic() + timeout
    last_resend = 0.0
    while any(p.outbox or not p.alive for p in parts):
        if time.monotonic() > give_up:
            left = {p.name: len(p.outbox) for p in parts}
            raise AssertionError(f"sends never acknowledged within {timeout}s: {left}")
        resend = time.monotonic() - last_resend > 2.0  # every 2 s: an answer can be lost with its socket
        if resend:
            last_resend = time.monotonic()
        for p in parts:
            await p.tick(base_url)
            for cid in list(p.outbox) if resend else ():
                if cid not in p.waiting and cid not in p.retry_at:
                    await p.resend(cid)
        await asyncio.sleep(0.05)
    for p in parts:
        await final_sync(p, base_url)


async def final_sync(p: Participant, base_url: str) -> None:
    await p.request_sync()
    await p.wait_until(lambda: p.syncing is None and p.watermark >= p.synced_last_seq > 0, base_url, timeout=15)


# ---------------------------------------------------------------------------- checks


async def stored_events(http: httpx.AsyncClient, chat_id: int) -> list[dict[str, Any]]:
    """Every event of the chat, from the database (through nginx)."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        r = await http.get(f"/api/v1/chats/{chat_id}/messages", params={"after": after})
        assert r.status_code == 200, r.text
        page = r.json()["events"]
        events.extend(page)
        if len(page) < 500:
            return events
        after = page[-1]["seq"]


async def check_exactly_once(http: httpx.AsyncClient, parts: list[Participant]) -> list[dict[str, Any]]:
    """Every acknowledged message is stored exactly once, at the seq its ack named; nothing was
    stored that nobody sent; seqs are gapless; every side holds every seq, with the same content."""
    chat_id = parts[0].chat_id
    events = await stored_events(http, chat_id)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1)), f"seqs are not gapless: {seqs}"
    cids = [e["client_id"] for e in events if e["kind"] == "message"]
    assert len(cids) == len(set(cids)), "a client id was stored twice"
    by_cid = {e["client_id"]: e for e in events if e["kind"] == "message"}
    sent = {cid: text for p in parts for cid, text in p.sent.items()}
    assert set(by_cid) <= set(sent), f"stored messages nobody sent: {set(by_cid) - set(sent)}"
    for p in parts:
        assert not p.problems, f"{p.name}: {p.problems[:3]}"
        assert not p.outbox, f"{p.name}: {len(p.outbox)} sends never acknowledged"
        for cid, text in p.sent.items():
            stored = by_cid.get(cid)
            assert stored is not None, f"{p.name}: {cid} was acknowledged but is not stored"
            assert stored["text"] == text
            assert p.acked[cid] == stored["seq"], f"{p.name}: {cid} acked at {p.acked[cid]}, stored at {stored['seq']}"
        assert sorted(p.seen) == seqs, f"{p.name} holds {len(p.seen)} of {len(seqs)} events"
        for e in events:
            assert p.seen[e["seq"]] == {"type": "event", **e}, f"{p.name}: seq {e['seq']} differs from the database"
    return events


async def check_not_stuck(visitor: Participant, agent: Participant, base_url: str) -> None:
    """The chat still works: both sides are heard live, and the agent can close it."""
    for speaker, listener in ((visitor, agent), (agent, visitor)):
        cid = await speaker.send_new(f"{speaker.name}: still there?")
        await speaker.wait_until(lambda cid=cid, s=speaker: cid in s.acked, base_url)
        seq = speaker.acked[cid]
        await listener.wait_until(lambda seq=seq, li=listener: seq in li.seen, base_url)
    assert await agent.transmit({"type": "chat.close", "chat_id": agent.chat_id, "ref": "close-1"})

    def closed(p: Participant) -> bool:
        return any(e.get("kind") == "chat.closed" for e in p.seen.values())

    await agent.wait_until(lambda: closed(agent), base_url)
    await visitor.wait_until(lambda: closed(visitor), base_url)


def summary(parts: list[Participant]) -> str:
    """One line per participant, for the test log (`pytest -s` or a failure)."""
    lines = []
    for p in parts:
        waits = [a.waited for answers in p.answers.values() for a in answers]
        codes: dict[str, int] = {}
        for a in p.errors():
            codes[str(a.code)] = codes.get(str(a.code), 0) + 1
        dup_first = sum(1 for answers in p.answers.values() if answers[0].kind == "ack" and answers[0].duplicate)
        lines.append(
            f"{p.name}: sent {len(p.sent)}, acked {len(p.acked)}, errors {codes}, first answer "
            f"duplicate:true {dup_first}, closes {p.closes}, failed connects {len(p.connect_failures)}, "
            f"max wait {max(waits, default=0):.2f}s"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------- set-up


async def start_conversation(
    visitor_url: str, agent_url: str, agent_login: tuple[str, str]
) -> tuple[Participant, Participant]:
    """An agent on one node, a visitor on another, a chat between them that the agent accepted."""
    agent = AgentClient(agent_url)
    await agent.login(*agent_login)
    await agent.connect()
    visitor = VisitorClient(visitor_url)
    await visitor.connect()
    # The agent's presence reaches the visitor's node through Redis (cached for a second).
    give_up = time.monotonic() + 10
    while True:
        first = await visitor.send("hello, anyone there?")
        if first["type"] == "ack" or time.monotonic() > give_up:
            break
        await asyncio.sleep(0.2)
    assert first["type"] == "ack", first
    chat_id = first["chat_id"]
    # Automatic routing offers the chat to the only agent online; accepting works either way.
    while True:
        r = await agent.post(f"/api/v1/chats/{chat_id}/accept")
        if r.status_code == 200 or time.monotonic() > give_up:
            break
        await asyncio.sleep(0.2)
    assert r.status_code == 200, r.text
    v, a = Participant("visitor", visitor, chat_id), Participant("agent", agent, chat_id)
    v.sent[first["ref"]] = "hello, anyone there?"
    v.acked[first["ref"]] = first["seq"]
    for p in (v, a):
        await final_sync(p, p.client.base_url)
    return v, a


async def finish(*parts: Participant) -> None:
    """Log the agent off (so later chats are not offered to them) and close the sockets."""
    for p in parts:
        if p.is_agent and p.alive:
            await p.transmit({"type": "status.set", "status": "offline"})
            with contextlib.suppress(TimeoutError, ConnectionError):
                await p.client.socket.wait_type("agent.status", status="offline")  # type: ignore[union-attr]
        await p.client.close()
