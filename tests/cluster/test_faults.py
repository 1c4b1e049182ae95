"""Faults in a running cluster while a visitor and an agent on different nodes keep chatting.

Each fault starts a conversation (visitor pinned to node 1, agent to node 2), lets both sides
send bursts (`chatting.chatter`: client ids, retries, reconnects through nginx, `sync` after the
last contiguous seq), injects the fault, and stops the chatter by itself. The fault runs once,
in a module-scoped fixture, and the tests below it look at what happened:
- what the sides were told during the fault (close codes, error codes, how long answers took);
- the delivery invariants afterwards (`check_after_fault`): every acknowledged message is
  stored exactly once, at the seq its ack named, and nothing else is stored (REST history
  through nginx); seqs are gapless; both sides hold every seq exactly once with the database's
  content after a final sync; the chat is not stuck (both sides heard live, the agent closes it).
Every wait is bounded: reconnects, settling and syncs give up with an assertion.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.accounts import make_agent
from tests.clients import VisitorClient, new_client_id
from tests.cluster.chatting import (
    Participant,
    aim,
    chatter,
    check_exactly_once,
    check_not_stuck,
    finish,
    settle,
    start_conversation,
    stored_events,
    summary,
)
from tests.cluster.harness import Cluster, needs_cluster

pytestmark = [pytest.mark.asyncio(loop_scope="session"), needs_cluster]


@dataclass
class Fault:
    """A conversation that went through a fault: [visitor, agent], and when the fault lasted."""

    parts: list[Participant]
    down: float = 0.0
    up: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def sent_during(self, p: Participant) -> list[str]:
        return [cid for cid, at in p.first_sent.items() if self.down <= at <= self.up]


async def conversation(cluster: Cluster) -> list[Participant]:
    await cluster.ensure_nodes_up()
    n1, n2, _ = cluster.nodes
    login = make_agent(n1)
    visitor, agent = await start_conversation(n1.base_url, n2.base_url, login)
    return [visitor, agent]


class Talking:
    """Both sides chatting in the background until the block ends."""

    def __init__(self, parts: list[Participant], url: str) -> None:
        self.parts, self.url = parts, url
        self.stop = asyncio.Event()

    async def __aenter__(self) -> Talking:
        self.task = asyncio.create_task(chatter(self.parts, self.url, self.stop))
        await asyncio.sleep(0.6)  # bursts in flight before the fault
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        await self.task

    async def until(self, predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
        give_up = time.monotonic() + timeout
        while not predicate():
            if self.task.done():
                self.task.result()  # raises what stopped the chatter
            assert time.monotonic() < give_up, f"not within {timeout}s:\n{summary(self.parts)}"
            await asyncio.sleep(0.05)


async def check_after_fault(cluster: Cluster, fault: Fault) -> None:
    parts = fault.parts
    visitor, agent = parts
    await settle(parts, cluster.url)
    for p in parts:
        assert not p.hung, f"{p.name}: sends never answered on a live socket: {len(p.hung)}\n{summary(parts)}"
        assert 4002 not in p.closes, f"{p.name}: a careful client was closed as a flood\n{summary(parts)}"
    agent.client.http.base_url = cluster.url  # the record, read through nginx
    await check_exactly_once(agent.client.http, parts)
    await check_not_stuck(visitor, agent, cluster.url)
    await finish(*parts)


# ---------------------------------------------------------------------------- a node killed


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def node_kills(cluster: Cluster) -> Fault:
    """SIGKILL the visitor's node, then the agent's, while both send; restart each."""
    parts = await conversation(cluster)
    visitor, agent = parts
    n1, n2, _ = cluster.nodes
    async with Talking(parts, cluster.url) as talk:
        for node, victim in ((n1, visitor), (n2, agent)):
            before = len(victim.closes)
            await node.stop(kill=True)
            restart = asyncio.create_task(node.start())
            await talk.until(lambda v=victim, b=before: len(v.closes) > b and v.alive, timeout=10)
            await asyncio.sleep(0.5)  # chatting on the surviving nodes
            await restart
    print(f"\nnode kills:\n{summary(parts)}")
    return Fault(parts)


async def test_node_kill_sockets_move_to_surviving_nodes(node_kills: Fault):
    visitor, agent = node_kills.parts
    assert visitor.closes and agent.closes, "both sides lost a socket to a killed node"
    assert all(code == 1006 for p in node_kills.parts for code in p.closes), "a killed node closes nothing cleanly"
    assert all(p.alive for p in node_kills.parts)


async def test_node_kill_loses_and_duplicates_nothing(cluster: Cluster, node_kills: Fault):
    await check_after_fault(cluster, node_kills)


# ---------------------------------------------------------------------------- Redis restarted


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def redis_restart(cluster: Cluster) -> Fault:
    """Redis killed, down for ~2 s, then started again, empty, on the same port.

    Besides the chatting pair, a second visitor on the agent's node (where the agent is
    online in the node's own view, so a chat can open) sends its first message during the
    outage: that takes the one-message path that opens a chat. The agent accepts that chat
    over HTTP, still during the outage."""
    parts = await conversation(cluster)
    agent = parts[1].client
    newcomer = VisitorClient(cluster.nodes[1].base_url)
    await newcomer.connect()
    fault = Fault(parts)
    async with Talking(parts, cluster.url) as talk:
        fault.down = time.monotonic()
        await cluster.redis.stop()
        await asyncio.sleep(0.3)
        cid = new_client_id()
        fault.extra.update(newcomer=newcomer, newcomer_cid=cid, newcomer_first=await newcomer.send("hi, new here", cid))
        queued = (await agent.http.get("/api/v1/chats", params={"status": "queued"})).json()["chats"]
        mine = [c["id"] for c in queued if c["visitor"]["id"] == newcomer.visitor["id"]]  # type: ignore[index]
        if mine:
            fault.extra["newcomer_chat"] = mine[0]
            fault.extra["accept"] = await agent.post(f"/api/v1/chats/{mine[0]}/accept")
        await asyncio.sleep(1.5)
        fault.up = time.monotonic()
        await cluster.redis.start()
        await talk.until(lambda: all(4000 in p.closes for p in parts), timeout=15)
        await asyncio.sleep(0.5)
    print(f"\nredis restart (down {fault.up - fault.down:.1f}s):\n{summary(parts)}")
    print(f"newcomer's first message during the outage was answered: {fault.extra['newcomer_first']}")
    if "accept" in fault.extra:
        r = fault.extra["accept"]
        print(f"accepting that chat during the outage was answered: {r.status_code} {r.text}")
    return fault


async def test_redis_restart_tells_every_socket_to_resync(redis_restart: Fault):
    for p in redis_restart.parts:
        assert 4000 in p.closes, f"{p.name}: closes {p.closes}"


async def test_redis_outage_sends_are_stored_and_acked(redis_restart: Fault):
    """Publishing fails after the commit; the sender is still acknowledged (the group-commit
    writer falls back to the one-message path, which finds the stored row: `duplicate: true`)."""
    for p in redis_restart.parts:
        during = redis_restart.sent_during(p)
        assert during, f"{p.name} sent nothing while Redis was down"
        first = [p.answers[cid][0] for cid in during if cid in p.answers]
        errors = sorted({str(a.code) for a in first if a.kind == "error"})
        assert not errors, f"{p.name}: sends while Redis was down were answered with errors {errors}"


async def test_redis_outage_new_chat_retry_returns_the_original(cluster: Cluster, redis_restart: Fault):
    """A chat opened while Redis is down is stored; retrying the same client id afterwards
    returns that message (same chat, same seq), never a second one."""
    newcomer: VisitorClient = redis_restart.extra["newcomer"]
    cid = redis_restart.extra["newcomer_cid"]
    first = redis_restart.extra["newcomer_first"]
    aim(newcomer, cluster.url)
    await newcomer.socket.wait_closed(timeout=15)
    await newcomer.connect()
    retry = await newcomer.send("hi, new here", cid)
    assert retry["type"] == "ack" and retry["duplicate"] is True, retry
    if first["type"] == "ack":
        assert (first["chat_id"], first["seq"]) == (retry["chat_id"], retry["seq"])
    assert redis_restart.extra.get("newcomer_chat") == retry["chat_id"], "the chat was in the queue at once"
    agent = redis_restart.parts[1].client
    async with httpx.AsyncClient(
        base_url=cluster.url, cookies=agent.http.cookies, headers={"X-CSRF-Token": agent.csrf or ""}
    ) as http:
        # The accept during the outage was committed whatever its answer: retrying it says so.
        again = await http.post(f"/api/v1/chats/{retry['chat_id']}/accept")
        assert again.status_code == 409 and "already have" in again.json()["error"]["message"], again.text
        events = await stored_events(http, retry["chat_id"])
    assert [e["client_id"] for e in events if e["kind"] == "message"] == [cid]
    assert [e["data"]["agent"]["id"] for e in events if e["kind"] == "chat.assigned"] == [agent.user["id"]]  # type: ignore[index]
    await newcomer.socket.send({"type": "chat.close"})
    await newcomer.socket.wait_type("event", kind="chat.closed", timeout=10)
    await newcomer.close()


async def test_redis_outage_committed_actions_answer_success(redis_restart: Fault):
    """What should happen: the message and the accept are committed, so they are answered as done."""
    first = redis_restart.extra["newcomer_first"]
    assert first["type"] == "ack", first
    assert redis_restart.extra["accept"].status_code == 200, redis_restart.extra["accept"].text


async def test_redis_restart_loses_and_duplicates_nothing(cluster: Cluster, redis_restart: Fault):
    await check_after_fault(cluster, redis_restart)


# ---------------------------------------------------------------------------- PostgreSQL down


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def postgres_outage(cluster: Cluster) -> Fault:
    """PostgreSQL stopped (`pg_ctl stop -m fast`) for ~2 s, then started on the same port."""
    parts = await conversation(cluster)
    fault = Fault(parts)
    latecomer = VisitorClient(cluster.url)
    await latecomer.register()
    async with Talking(parts, cluster.url):
        fault.down = time.monotonic()
        await cluster.pg.stop("fast")
        await asyncio.sleep(0.5)
        # The history over HTTP (through nginx), and a new widget socket, during the outage.
        async with httpx.AsyncClient(base_url=cluster.url, cookies=parts[1].client.http.cookies) as http:
            fault.extra["rest"] = await http.get(f"/api/v1/chats/{parts[0].chat_id}/messages")
        started = time.monotonic()
        try:
            await latecomer.connect()
            fault.extra["hello"] = "welcome"
        except Exception as exc:
            fault.extra["hello"] = f"{type(exc).__name__}: {exc}"
        fault.extra["hello_seconds"] = time.monotonic() - started
        if latecomer.socket is not None:
            await latecomer.socket.close()
        await asyncio.sleep(max(0.0, fault.down + 2.0 - time.monotonic()))
        fault.up = time.monotonic()
        await cluster.pg.start()
        await asyncio.sleep(1.5)
    print(f"\npostgres outage ({fault.up - fault.down:.1f}s):\n{summary(parts)}")
    rest = fault.extra["rest"]
    print(f"REST history during the outage: {rest.status_code} {rest.text[:200]}")
    print(f"a new widget socket during the outage: {fault.extra['hello']} after {fault.extra['hello_seconds']:.2f}s")
    return fault


async def test_postgres_outage_sends_fail_fast(postgres_outage: Fault):
    """Not a hang: every send during the outage is answered, within seconds, with an error the
    client retries (the ack comes once the database is back)."""
    for p in postgres_outage.parts:
        errors = p.errors(since=postgres_outage.down)
        assert errors, f"{p.name}: no send failed while PostgreSQL was down?"
        waits = [a.waited for answers in p.answers.values() for a in answers if a.at >= postgres_outage.down]
        assert max(waits) < 5.0, f"{p.name}: a send waited {max(waits):.1f}s for its answer"
        assert not p.hung
    assert postgres_outage.extra["rest"].status_code >= 500
    assert postgres_outage.extra["hello"] != "welcome" and postgres_outage.extra["hello_seconds"] < 5.0


async def test_postgres_outage_errors_say_unavailable(postgres_outage: Fault):
    for p in postgres_outage.parts:
        codes = {a.code for a in p.errors(since=postgres_outage.down)}
        assert codes == {"unavailable"}, f"{p.name}: error codes while PostgreSQL was down: {codes}"
    rest = postgres_outage.extra["rest"]
    assert rest.status_code == 503 and rest.json()["error"]["code"] == "unavailable", rest.text


async def test_postgres_outage_loses_and_duplicates_nothing(cluster: Cluster, postgres_outage: Fault):
    await check_after_fault(cluster, postgres_outage)
