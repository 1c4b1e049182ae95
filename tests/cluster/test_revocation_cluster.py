"""Revocation across nodes (issue 10, items 2 and 12): what one node ends closes the sockets
another node holds, through the Redis bus (docs/architecture/security.md, "Revocation").

The user's sockets are on node B; every revocation is made on node A. A new password must
close them within one second (measured from the answer of the request that changed it)."""

from __future__ import annotations

import time

import pytest
from websockets.asyncio.client import connect

from tests.accounts import make_agent
from tests.clients import AgentClient, Socket, VisitorClient
from tests.cluster.harness import Cluster, needs_cluster

pytestmark = [pytest.mark.asyncio(loop_scope="session"), needs_cluster]
REVOKED = 4001


async def login(node, creds: tuple[str, str] | None = None) -> AgentClient:  # type: ignore[no-untyped-def]
    email, password = creds or make_agent(node)
    client = AgentClient(node.base_url)
    await client.login(email, password)
    client.creds = (email, password)  # type: ignore[attr-defined]
    return client


async def token_socket(node, token: str) -> Socket:  # type: ignore[no-untyped-def]
    socket = Socket(await connect(node.base_url.replace("http", "ws", 1) + "/api/v1/agent/ws"))
    await socket.send({"type": "hello", "v": 1, "token": token})
    await socket.wait_type("welcome")
    return socket


async def closed_within(socket: Socket, since: float, limit: float) -> float:
    code = await socket.wait_closed(timeout=limit + 2)
    took = time.monotonic() - since
    assert code == REVOKED
    return took


async def test_a_new_password_on_node_a_closes_the_socket_on_node_b_within_a_second(nodes_up: Cluster):
    a, b, _ = nodes_up.nodes
    email, password = make_agent(a, "admin")
    admin = await login(a, (email, password))
    user = await login(b)
    await user.connect()
    r = await user.post("/api/v1/tokens", json={"label": "kept"})
    kept = await token_socket(b, r.json()["token"]["secret"])
    r = await admin.http.put(
        f"/api/v1/users/{user.user['id']}/password",
        json={"password": "changed-on-node-a", "keep_tokens": True},
        headers={"X-CSRF-Token": admin.csrf},
    )
    answered = time.monotonic()
    assert r.status_code == 200, r.text
    took = await closed_within(user.socket, answered, 1.0)
    assert took < 1.0, f"the socket on node B closed {took:.3f} s after the password change on node A"
    await kept.send({"type": "ping"})
    await kept.wait_type("pong")  # keep_tokens: the token's socket stays
    await kept.close()
    await user.close()
    await admin.close()


async def test_logout_deactivation_and_token_revoke_cross_nodes(nodes_up: Cluster):
    a, b, _ = nodes_up.nodes
    admin = await login(a, make_agent(a, "admin"))
    # Logout on node A ends the session's socket on node B, not another session's.
    user = await login(b)
    other_tab = await login(b, user.creds)  # type: ignore[attr-defined]
    await user.connect()
    await other_tab.connect()
    on_a = AgentClient(a.base_url)
    on_a.http.cookies.set("fd_session", user.http.cookies.get("fd_session"))
    on_a.csrf = user.csrf
    started = time.monotonic()
    assert (await on_a.post("/api/v1/auth/logout")).status_code == 200
    assert await closed_within(user.socket, started, 1.0) < 1.0
    await other_tab.socket.send({"type": "ping"})
    await other_tab.socket.wait_type("pong")
    # A token revoked on node A closes its socket on node B.
    r = await other_tab.post("/api/v1/tokens", json={})
    token = r.json()["token"]
    by_token = await token_socket(b, token["secret"])
    started = time.monotonic()
    r = await admin.http.delete(f"/api/v1/tokens/{token['id']}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200
    assert await closed_within(by_token, started, 1.0) < 1.0
    # Deactivation on node A closes the remaining socket on node B.
    started = time.monotonic()
    assert (await admin.post(f"/api/v1/users/{other_tab.user['id']}/deactivate")).status_code == 200
    assert await closed_within(other_tab.socket, started, 1.0) < 1.0
    for client in (user, other_tab, on_a, admin):
        await client.close()


async def test_a_visitor_deleted_on_node_a_is_disconnected_on_node_b(nodes_up: Cluster):
    a, b, _ = nodes_up.nodes
    admin = await login(a, make_agent(a, "admin"))
    visitor = VisitorClient(b.base_url)
    await visitor.connect()
    started = time.monotonic()
    r = await admin.http.delete(f"/api/v1/visitors/{visitor.visitor['id']}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    assert await closed_within(visitor.socket, started, 1.0) < 1.0
    await visitor.close()
    await admin.close()
