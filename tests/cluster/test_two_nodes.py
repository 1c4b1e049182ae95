"""Nodes sharing PostgreSQL and Redis behind nginx: a visitor on one node, the agent on another,
and nginx proxying HTTP and WebSockets to every node (deploy/nginx.conf, rendered by harness.py)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time

import httpx
import pytest

from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id
from tests.cluster.harness import NGINX_SAMPLE, Cluster, needs_cluster, nginx_binary

pytestmark = [pytest.mark.asyncio(loop_scope="session"), needs_cluster]


async def visitor_sockets(node_url: str) -> int:
    async with httpx.AsyncClient() as http:
        text = (await http.get(node_url + "/metrics")).text
    m = re.search(r'^frontdesk_connections\{kind="visitor"\} (\S+)$', text, re.M)
    return int(float(m.group(1))) if m else 0


async def test_sample_nginx_conf_is_valid(tmp_path):
    """deploy/nginx.conf as shipped (one upstream line, port 80) passes `nginx -t`."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {NGINX_SAMPLE}; }}\n"
    )
    out = subprocess.run(
        [nginx_binary(), "-t", "-q", "-p", f"{tmp_path}/", "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


async def test_visitor_and_agent_on_different_nodes(nodes_up: Cluster):
    a, b, _ = nodes_up.nodes
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
    assert (await agent.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200
    await visitor.close()
    await agent.close()


async def test_everything_through_nginx(nodes_up: Cluster):
    """Login, the console socket (its Origin check sees the Host nginx passes on), the widget
    socket, a conversation and the REST history, all through the proxy."""
    email, password = make_agent(nodes_up.nodes[0])
    agent = AgentClient(nodes_up.url)
    await agent.login(email, password)
    # A browser sends its page's origin; the node compares it with the Host header it gets.
    from websockets.asyncio.client import connect

    from tests.clients import Socket

    cookie = agent.http.cookies.get("fd_session")
    ws = await connect(agent.ws_url, additional_headers={"Cookie": f"fd_session={cookie}", "Origin": nodes_up.url})
    agent.socket = Socket(ws)
    await agent.socket.wait_type("welcome")
    visitor = VisitorClient(nodes_up.url)
    await visitor.connect()
    ack = await visitor.send("hello through nginx")
    chat_id = ack["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    reply = await agent.send(chat_id, "hello back")
    assert reply["type"] == "ack"
    assert (await visitor.socket.wait_type("event", seq=reply["seq"]))["text"] == "hello back"
    events = (await agent.http.get(f"/api/v1/chats/{chat_id}/messages")).json()["events"]
    assert [e["text"] for e in events if e["kind"] == "message"] == ["hello through nginx", "hello back"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200
    await visitor.close()
    await agent.close()


async def test_nginx_spreads_sockets_and_skips_a_dead_node(nodes_up: Cluster):
    nodes = nodes_up.nodes
    before = [await visitor_sockets(n.base_url) for n in nodes]
    visitors = [VisitorClient(nodes_up.url) for _ in range(6)]
    for v in visitors:
        await v.register()
    for v in visitors:
        await v.connect()
    after = [await visitor_sockets(n.base_url) for n in nodes]
    spread = [x - y for x, y in zip(after, before, strict=True)]
    assert sum(spread) == 6 and all(n >= 1 for n in spread), f"sockets per node: {spread}"
    for v in visitors:
        await v.close()

    # A dead node: nginx passes on to the next one (`proxy_next_upstream error`), for HTTP
    # and for WebSocket handshakes alike.
    await nodes[2].stop(kill=True)
    try:
        async with httpx.AsyncClient(base_url=nodes_up.url) as http:
            for _ in range(6):
                assert (await http.get("/healthz")).status_code == 200
        for v in visitors[:4]:
            await v.connect()
            await v.close()
    finally:
        await nodes[2].start()


async def test_sockets_resync_after_redis_drops_subscribers(nodes_up: Cluster):
    """Redis keeps nothing for an absent subscriber: after it comes back, sockets are told to resync."""
    a, b, _ = nodes_up.nodes
    email, password = make_agent(a)
    agent = AgentClient(b.base_url)  # on duty on another node, so the visitor can start a chat
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(a.base_url)
    await visitor.connect()
    # Drop every subscriber connection; the server itself stays up, as after a failover.
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(nodes_up.redis.port), "CLIENT", "KILL", "TYPE", "pubsub"],
        check=True,
        capture_output=True,
    )
    assert await visitor.socket.wait_closed(timeout=15) == 4000
    assert await agent.socket.wait_closed(timeout=15) == 4000  # every node's sockets resync
    await agent.connect()
    await asyncio.sleep(0.1)
    await visitor.connect()
    assert (await visitor.send("still here"))["type"] == "ack"
    await visitor.close()
    await agent.close()


async def test_a_visitor_on_node_b_appears_in_a_managers_live_view_on_node_a(nodes_up: Cluster):
    """The live view reads visits from the shared database; the change is announced on the bus
    topic `visitors` (realtime/live_visitors.py), so node A re-reads its watcher's page within
    about a second of node B storing the visit. Then the visitor's chat state follows too."""
    a, b, _ = nodes_up.nodes
    email, password = make_agent(a, "manager")
    manager = AgentClient(a.base_url)
    await manager.login(email, password)
    await manager.connect()
    agent_email, agent_password = make_agent(a)  # on duty, so the visitor can start a chat
    agent = AgentClient(b.base_url)
    await agent.login(agent_email, agent_password)
    await agent.connect()
    url = f"https://shop.example/cluster?probe={new_client_id()}"
    await manager.socket.send({"type": "visitors.watch", "ref": "live", "filter": {"url": url}})
    first = await manager.socket.wait_type("visitors.page", ref="live")
    assert first["total"] == 0
    visitor = VisitorClient(b.base_url)
    started = time.monotonic()
    await visitor.connect({"url": url, "title": "Cluster", "referrer": ""})
    seen = await manager.socket.wait_for(lambda f: f.get("type") == "visitors.page" and f.get("total") == 1, 10)
    took = time.monotonic() - started
    assert took < 2.5, f"a visitor on node B showed in the live view on node A after {took:.2f} s"
    assert seen["items"][0]["visitor_id"] == visitor.visitor["id"] and seen["items"][0]["state"] == "none"
    assert (await visitor.send("hello from node B"))["type"] == "ack"
    waiting = await manager.socket.wait_for(
        lambda f: f.get("type") == "visitors.page" and f["items"] and f["items"][0]["state"] == "waiting", 10
    )
    assert waiting["counters"]["waiting"] >= 1
    await visitor.close()
    gone = await manager.socket.wait_for(lambda f: f.get("type") == "visitors.page" and f.get("total") == 0, 10)
    assert gone["items"] == []
    await manager.close()
    await agent.close()


async def test_an_invitation_from_node_a_reaches_a_visitor_on_node_b(nodes_up: Cluster):
    """The invitation is published to `visitor:{id}` through Redis, so it reaches the visitor's
    socket on whichever node holds it; presence is the cluster's, so node A knows they are there
    (and answers 409 visitor_gone once they have left node B)."""
    a, b, _ = nodes_up.nodes
    email, password = make_agent(a, "manager")
    manager = AgentClient(a.base_url)
    await manager.login(email, password)
    # Node A has just looked at the cluster's presence (a visitor who left: 409) when the next
    # visitor arrives on node B: the invitation must still find them (a fresh look, not A's copy).
    early = VisitorClient(b.base_url)
    await early.connect({"url": "https://shop.example/", "title": "Home", "referrer": ""})
    await early.close()
    for _ in range(100):
        r = await manager.post(f"/api/v1/visitors/{early.visitor['id']}/invitations", json={"text": "Hi"})
        if r.status_code == 409:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 409, r.text
    visitor = VisitorClient(b.base_url)
    await visitor.connect({"url": "https://shop.example/pricing", "title": "Pricing", "referrer": ""})
    path = f"/api/v1/visitors/{visitor.visitor['id']}/invitations"
    r = await manager.post(path, json={"text": "Hello from node A"})
    assert r.status_code == 201, r.text
    sent = r.json()["invitation"]
    frame = await visitor.socket.wait_type("invitation", timeout=10)
    assert frame["invitation"]["id"] == sent["id"] and frame["invitation"]["text"] == "Hello from node A"
    await visitor.socket.send({"type": "invitation.dismiss", "invitation_id": sent["id"]})
    closed = await visitor.socket.wait_type("invitation.closed", timeout=10)
    assert closed["reason"] == "dismissed"
    await visitor.close()
    for _ in range(100):  # node B's presence in Redis drops the visitor
        r = await manager.post(path, json={"text": "Still there?"})
        if r.status_code == 409:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 409 and r.json()["error"]["code"] == "visitor_gone", r.text
    await manager.close()
