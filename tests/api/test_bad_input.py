"""Bad input gets a precise error, costs only the offending socket, and never a stack trace."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.accounts import make_agent
from tests.clients import AgentClient, Socket, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_bad_frames_get_error_frames_and_the_socket_survives(server):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    s = visitor.socket
    await s.send_raw("this is not json")
    assert (await s.wait_type("error"))["code"] == "bad_request"
    await s.send_raw("[1, 2, 3]")
    assert "JSON object" in (await s.wait_type("error"))["message"]
    await s.send({"type": "no.such.thing"})
    assert "unknown frame type" in (await s.wait_type("error"))["message"]
    await s.send({"type": "message.send", "text": 42, "client_id": new_client_id()})
    err = await s.wait_type("error")
    assert err["code"] == "bad_request" and err["field"] == "text"
    await s.send({"type": "message.send", "text": "hi", "client_id": "short"})
    assert (await s.wait_type("error"))["field"] == "client_id"
    await s.send({"type": "message.send", "text": "x" * 5000, "client_id": new_client_id()})
    assert (await s.wait_type("error"))["code"] == "too_large"
    await s.send_raw('{"type": "message.send", "text": "' + "y" * 20000 + '"}')
    assert (await s.wait_type("error"))["code"] == "too_large"
    await s.send({"type": "sync", "chat_id": "one", "after": 0})
    assert (await s.wait_type("error"))["field"] == "chat_id"
    # Still usable.
    ack = await visitor.send("after all that, a real question")
    assert ack["type"] == "ack"
    await visitor.close()


async def test_a_socket_that_keeps_sending_garbage_is_closed(server):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    for _ in range(25):
        await visitor.socket.send_raw("{nope")
    assert await visitor.socket.wait_closed() == 4002


async def test_huge_frame_closes_only_that_socket(server):
    other = VisitorClient(server.base_url)
    await other.connect()
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    await visitor.socket.send_raw("z" * 200_000)
    assert await visitor.socket.wait_closed() == 1009  # message too big
    assert (await other.send("I am unaffected"))["type"] == "ack"
    await other.close()


async def test_bad_visitor_token_is_refused(server):
    ws = await connect(server.ws_url + "/api/v1/widget/ws")
    s = Socket(ws)
    await s.send({"type": "hello", "v": 1, "token": "V123.forged"})
    assert await s.wait_closed() == 4001


async def test_visitor_cannot_reach_another_visitors_chat(server):
    alice, mallory = VisitorClient(server.base_url), VisitorClient(server.base_url)
    await alice.connect()
    await mallory.connect()
    chat_id = (await alice.send("my private order number is 1234"))["chat_id"]
    await mallory.socket.send({"type": "sync", "chat_id": chat_id, "after": 0})
    err = await mallory.socket.wait_type("error")
    assert err["code"] == "not_found"
    await asyncio.sleep(0.2)
    assert not any(f.get("type") == "event" for f in mallory.socket.frames)
    await alice.close()
    await mallory.close()


async def test_message_rate_limit_tells_the_visitor(server):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    cids = [new_client_id() for _ in range(40)]
    for i, cid in enumerate(cids):
        await visitor.socket.send({"type": "message.send", "text": f"spam {i}", "client_id": cid})
    limited = await visitor.socket.wait_for(lambda f: f.get("code") == "rate_limited", timeout=10)
    assert limited["retry_after"] > 0 and limited["ref"] in cids
    await visitor.close()


async def test_http_errors_have_one_shape(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.get("/api/v1/chats")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        r = await http.post("/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        r = await http.post("/api/v1/auth/login", json={"email": "x@y.z"})
        assert r.status_code == 400 and r.json()["error"]["field"] == "password"
        r = await http.post("/api/v1/widget/visitors", content=b"x" * 70_000)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        r = await http.get("/api/v1/chats", headers={"Authorization": "Bearer fdt_wrong"})
        assert r.status_code == 401


async def test_cookie_writes_need_the_csrf_header(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("hi"))["chat_id"]
    r = await agent.http.post(f"/api/v1/chats/{chat_id}/accept")  # no X-CSRF-Token
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    r = await agent.post(f"/api/v1/chats/{chat_id}/messages", json={"text": "x" * 4001, "client_id": new_client_id()})
    assert r.status_code == 413 and r.json()["error"]["field"] == "text"
    r = await agent.post("/api/v1/chats/999999/close")
    assert r.status_code == 404
    await agent.close()
    await visitor.close()


async def test_agent_socket_refuses_a_foreign_origin(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    cookie = agent.http.cookies.get("fd_session")
    ws = await connect(
        server.ws_url + "/api/v1/agent/ws",
        additional_headers={"Cookie": f"fd_session={cookie}", "Origin": "https://evil.example"},
    )
    assert await Socket(ws).wait_closed() == 4003
    ws = await connect(server.ws_url + "/api/v1/agent/ws")  # no cookie, no hello
    s = Socket(ws)
    await s.send({"type": "hello", "v": 1, "token": "fdt_nope"})
    assert await s.wait_closed() == 4001
    await agent.close()


async def test_login_is_throttled_after_failures(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        codes = []
        for _ in range(7):
            r = await http.post(
                "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong-password"}
            )
            codes.append(r.status_code)
        assert codes[:5] == [401] * 5 and codes[-1] == 429
        assert int(r.headers["retry-after"]) >= 1
