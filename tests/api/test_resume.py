"""Dropped sockets, retried sends and a server restart lose and duplicate nothing."""

from __future__ import annotations

import asyncio
import random

import pytest
import pytest_asyncio

from tests.accounts import make_agent
from tests.clients import AgentClient, Socket, VisitorClient, new_client_id
from tests.conftest import BACKENDS, ServerProcess, database_url

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Side:
    """One participant that keeps what it has seen by seq and resends what was not acked."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[int, dict] = {}
        self.outbox: dict[str, str] = {}  # client_id -> text, until acked
        self.acked: dict[str, int] = {}  # client_id -> seq

    def take(self, socket: Socket, chat_id: int) -> None:
        """Move every buffered event/ack of the chat into what this side has seen."""
        for frame in list(socket.frames):
            if frame.get("type") == "event" and frame.get("chat_id") == chat_id:
                existing = self.seen.get(frame["seq"])
                assert existing is None or existing == frame, "the same seq arrived with different content"
                self.seen[frame["seq"]] = frame
                socket.frames.remove(frame)
            elif frame.get("type") == "ack" and frame.get("chat_id") == chat_id:
                self.acked[frame["ref"]] = frame["seq"]
                self.outbox.pop(frame["ref"], None)
                # The ack carries the stored event: the sending socket is not sent it again.
                event = frame["event"]
                existing = self.seen.get(event["seq"])
                same = ("kind", "text", "client_id")
                assert existing is None or [existing[k] for k in same] == [event[k] for k in same]
                self.seen.setdefault(event["seq"], event)
                socket.frames.remove(frame)

    @property
    def last_seq(self) -> int:
        return max(self.seen, default=0)


async def drain(socket: Socket, side: Side, chat_id: int, seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)
    side.take(socket, chat_id)


async def resync(socket: Socket, side: Side, chat_id: int) -> None:
    await socket.send({"type": "sync", "chat_id": chat_id, "after": side.last_seq})
    await socket.wait_for(lambda f: f.get("type") == "synced" and f.get("chat_id") == chat_id, timeout=10)
    side.take(socket, chat_id)


def abort(socket: Socket) -> None:
    """Drop the TCP connection without a closing handshake, as a flaky network does."""
    socket.ws.transport.abort()


@pytest_asyncio.fixture(loop_scope="session", params=BACKENDS)
async def own_server(request, tmp_path):
    url = await database_url(request.param, tmp_path)
    proc = ServerProcess(tmp_path, url)
    await proc.start()
    yield proc
    await proc.stop()


async def test_resume_after_drops_and_restart(own_server: ServerProcess):
    rng = random.Random(7)
    email, password = make_agent(own_server)
    agent = AgentClient(own_server.base_url)
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(own_server.base_url)
    await visitor.connect()
    first = await visitor.send("hello, anyone there?")
    chat_id = first["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200

    v_side, a_side = Side("visitor"), Side("agent")
    v_side.acked[first["event"]["client_id"]] = first["seq"]

    async def reconnect_visitor() -> None:
        await visitor.connect()
        await resync(visitor.socket, v_side, chat_id)
        for cid, text in list(v_side.outbox.items()):
            await visitor.socket.send({"type": "message.send", "text": text, "client_id": cid})

    async def reconnect_agent() -> None:
        await agent.connect()
        await resync(agent.socket, a_side, chat_id)
        for cid, text in list(a_side.outbox.items()):
            await agent.socket.send({"type": "message.send", "chat_id": chat_id, "text": text, "client_id": cid})

    for round_ in range(6):
        # Both sides send a burst; some frames are in flight when the trouble starts.
        for i in range(5):
            cid = new_client_id()
            v_side.outbox[cid] = f"visitor r{round_} m{i}"
            await visitor.socket.send({"type": "message.send", "text": v_side.outbox[cid], "client_id": cid})
            cid = new_client_id()
            a_side.outbox[cid] = f"agent r{round_} m{i}"
            await agent.socket.send(
                {"type": "message.send", "chat_id": chat_id, "text": a_side.outbox[cid], "client_id": cid}
            )
        trouble = rng.choice(["visitor", "agent", "both", "restart"]) if round_ else "restart"
        if trouble == "restart":
            await own_server.stop()  # SIGTERM: uvicorn closes sockets going away
            side_sockets = [(visitor.socket, v_side), (agent.socket, a_side)]
            for socket, side in side_sockets:
                await asyncio.gather(socket._reader, return_exceptions=True)
                side.take(socket, chat_id)
            await own_server.start()
            await reconnect_visitor()
            await reconnect_agent()
        else:
            if trouble in ("visitor", "both"):
                abort(visitor.socket)
                await asyncio.gather(visitor.socket._reader, return_exceptions=True)
                v_side.take(visitor.socket, chat_id)
                await reconnect_visitor()
            if trouble in ("agent", "both"):
                abort(agent.socket)
                await asyncio.gather(agent.socket._reader, return_exceptions=True)
                a_side.take(agent.socket, chat_id)
                await reconnect_agent()
        await drain(visitor.socket, v_side, chat_id)
        await drain(agent.socket, a_side, chat_id)

    # Settle: resend until everything is acked, then a final sync on both sides.
    for _ in range(20):
        if not v_side.outbox and not a_side.outbox:
            break
        for cid, text in list(v_side.outbox.items()):
            await visitor.socket.send({"type": "message.send", "text": text, "client_id": cid})
        for cid, text in list(a_side.outbox.items()):
            await agent.socket.send({"type": "message.send", "chat_id": chat_id, "text": text, "client_id": cid})
        await drain(visitor.socket, v_side, chat_id, 0.5)
        await drain(agent.socket, a_side, chat_id, 0.5)
    assert not v_side.outbox and not a_side.outbox, "some sends were never acknowledged"
    await resync(visitor.socket, v_side, chat_id)
    await resync(agent.socket, a_side, chat_id)

    stored = (await agent.http.get(f"/api/v1/chats/{chat_id}/messages", params={"after": 0})).json()
    events = stored["events"]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1)), "seqs must be gapless"
    client_ids = [e["client_id"] for e in events if e["client_id"]]
    assert len(client_ids) == len(set(client_ids)), "a client_id was stored twice"
    # Every acknowledged message is stored exactly once, at the seq its ack named.
    by_cid = {e["client_id"]: e["seq"] for e in events if e["client_id"]}
    for side in (v_side, a_side):
        for cid, seq in side.acked.items():
            assert by_cid.get(cid) == seq
    assert len(v_side.acked) == 31 and len(a_side.acked) == 30
    # Both sides hold the whole conversation, each event exactly once (seen is keyed by seq).
    for side in (v_side, a_side):
        assert sorted(side.seen) == seqs
        assert [side.seen[s]["text"] for s in seqs] == [e["text"] for e in events]
    await visitor.close()
    await agent.close()
