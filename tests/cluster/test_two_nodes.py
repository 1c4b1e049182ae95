"""Two nodes sharing PostgreSQL and Redis: a visitor on one, the agent on the other."""

from __future__ import annotations

import asyncio
import subprocess

import pytest
import pytest_asyncio

from tests.clients import AgentClient, VisitorClient, make_agent
from tests.conftest import ServerProcess, fresh_postgres_url
from tests.services import postgres_url, redis_url

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(not (postgres_url() and redis_url()), reason="needs PostgreSQL and Redis"),
]


@pytest_asyncio.fixture(loop_scope="session")
async def nodes(tmp_path):
    url = await fresh_postgres_url()
    procs = [ServerProcess(tmp_path / f"node{i}", url, FRONTDESK_REDIS_URL=redis_url()) for i in range(2)]
    for p in procs:
        p.data_dir.mkdir()
    await procs[0].start()  # migrates first
    await procs[1].start()
    yield procs
    for p in procs:
        await p.stop()


async def test_visitor_and_agent_on_different_nodes(nodes):
    a, b = nodes
    email, password = make_agent(a)
    agent = AgentClient(b.base_url)
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(a.base_url)
    await visitor.connect()
    ack = await visitor.send("hello from node A")
    chat_id = ack["chat_id"]
    event = await agent.socket.wait_type("event", chat_id=chat_id, kind="message")
    assert event["text"] == "hello from node A"
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    reply = await agent.send(chat_id, "hello from node B")
    assert reply["type"] == "ack"
    seen = await visitor.socket.wait_type("event", seq=reply["seq"])
    assert seen["text"] == "hello from node B"
    await visitor.close()
    await agent.close()


async def test_sockets_resync_after_redis_restarts(nodes):
    """Redis keeps nothing for an absent subscriber: after it comes back, sockets are told to resync."""
    a, b = nodes
    email, password = make_agent(a)
    agent = AgentClient(b.base_url)  # on duty on the other node, so the visitor can start a chat
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(a.base_url)
    await visitor.connect()
    host_port = redis_url().split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    # Drop every client connection; the server itself stays up, as after a failover.
    subprocess.run(["redis-cli", "-h", host, "-p", port, "CLIENT", "KILL", "TYPE", "pubsub"], check=True, capture_output=True)
    code = await visitor.socket.wait_closed(timeout=15)
    assert code == 4000
    assert await agent.socket.wait_closed(timeout=15) == 4000  # every node's sockets resync
    await agent.connect()
    await asyncio.sleep(0.1)
    await visitor.connect()
    assert (await visitor.send("still here"))["type"] == "ack"
    await visitor.close()
    await agent.close()
