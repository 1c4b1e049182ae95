"""Canned responses over HTTP and the agent socket against a real server: managing them by role,
bad input named, a `canned_id` send rendered by the server (socket and REST), and scripted mode
refusing a first-level agent's free text with its own error code."""

from __future__ import annotations

import secrets

import pytest

from frontdesk.domain.canned import SCRIPTED_MESSAGE
from tests.accounts import login
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def patch(client: AgentClient, path: str, body: dict):
    return await client.http.patch(path, json=body, headers={"X-CSRF-Token": client.csrf})


async def delete(client: AgentClient, path: str):
    return await client.http.delete(path, headers={"X-CSRF-Token": client.csrf})


async def department_with(admin: AgentClient, members: list[tuple[AgentClient, int]], **fields) -> dict:
    slug = f"c{secrets.token_hex(3)}"
    r = await admin.post(
        "/api/v1/departments", json={"slug": slug, "name": f"Team {slug}", "routing": "pick", **fields}
    )
    assert r.status_code == 201, r.text
    dept = r.json()["department"]
    r = await admin.http.put(
        f"/api/v1/departments/{dept['id']}/members",
        json={"members": [{"user_id": m.user["id"], "level": level} for m, level in members]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    return dept


async def chat_with(server, agent: AgentClient, dept: dict, name: str | None) -> tuple[VisitorClient, int]:
    """A visitor's chat in `dept`, accepted by `agent` (whose socket is connected)."""
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    start = {"type": "chat.start", "client_id": new_client_id(), "text": "Hello?", "department": dept["slug"]}
    if name:
        start["name"] = name
    await visitor.socket.send(start)
    chat_id = (await visitor.socket.wait_type("ack"))["chat_id"]
    r = await agent.post(f"/api/v1/chats/{chat_id}/accept")
    assert r.status_code == 200, r.text
    await visitor.socket.wait_type("event", kind="chat.assigned")
    return visitor, chat_id


async def test_manage_by_role_and_bad_input(server):
    admin, supervisor, agent = await login(server, "admin"), await login(server, "supervisor"), await login(server)
    r = await supervisor.post(
        "/api/v1/canned", json={"title": "Hi", "shortcut": "#hi-all", "body": "Hi!", "scope": "global"}
    )
    assert r.status_code == 201, r.text
    shared = r.json()["canned"]
    assert shared["shortcut"] == "hi-all" and shared["scope"] == "global" and shared["use_count"] == 0

    r = await agent.post("/api/v1/canned", json={"title": "Hi", "shortcut": "x", "body": "Hi!", "scope": "global"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "scope"
    r = await agent.post("/api/v1/canned", json={"title": "Age", "shortcut": "age", "body": "You are {{visitor.age}}"})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "bad_request",
        "message": "body: unknown variable {{visitor.age}}",
        "field": "body",
    }
    r = await agent.post("/api/v1/canned", json=["not", "an", "object"])
    assert r.status_code == 400
    r = await agent.post("/api/v1/canned", json={"title": "Mine", "shortcut": "mine", "body": "Mine"})
    assert r.status_code == 201 and r.json()["canned"]["scope"] == "personal"
    mine = r.json()["canned"]
    r = await agent.post("/api/v1/canned", json={"title": "Mine", "shortcut": "mine", "body": "Again"})
    assert r.status_code == 409 and r.json()["error"]["field"] == "shortcut"

    assert (await patch(agent, f"/api/v1/canned/{shared['id']}", {"body": "x"})).status_code == 403
    assert (await delete(agent, f"/api/v1/canned/{shared['id']}")).status_code == 403
    assert (await patch(admin, f"/api/v1/canned/{mine['id']}", {"body": "x"})).status_code == 404
    r = await patch(agent, f"/api/v1/canned/{mine['id']}", {"body": "Mine, {{agent.name}}"})
    assert r.status_code == 200 and r.json()["canned"]["variables"] == ["agent.name"]

    listing = (await agent.http.get("/api/v1/canned")).json()
    assert {"hi-all", "mine"} <= {c["shortcut"] for c in listing["canned"]}
    assert [v["name"] for v in listing["variables"]] == [
        "visitor.name",
        "visitor.email",
        "agent.name",
        "department.name",
    ]
    assert "mine" not in {c["shortcut"] for c in (await admin.http.get("/api/v1/canned")).json()["canned"]}

    assert (await delete(agent, f"/api/v1/canned/{mine['id']}")).status_code == 200
    assert (await delete(agent, f"/api/v1/canned/{mine['id']}")).status_code == 404
    assert (await delete(supervisor, f"/api/v1/canned/{shared['id']}")).status_code == 200
    for c in (admin, supervisor, agent):
        await c.close()


async def test_send_by_canned_id_over_socket_and_rest(server):
    admin, agent = await login(server, "admin"), await login(server)
    await agent.connect()
    dept = await department_with(admin, [(agent, 1)])
    r = await admin.post(
        "/api/v1/canned",
        json={
            "title": "Greeting",
            "shortcut": f"greet{secrets.token_hex(2)}",
            "body": "Hello {{visitor.name}}, this is {{agent.name}} from {{department.name}}.",
            "fallbacks": {"visitor.name": "there"},
            "scope": "department",
            "department_id": dept["id"],
        },
    )
    assert r.status_code == 201, r.text
    greet = r.json()["canned"]
    visitor, chat_id = await chat_with(server, agent, dept, "Maria")
    expected = f"Hello Maria, this is {agent.user['name']} from {dept['name']}."

    listing = (await agent.http.get("/api/v1/canned", params={"chat_id": chat_id})).json()["canned"]
    assert [c["preview"] for c in listing if c["id"] == greet["id"]] == [expected]

    cid = new_client_id()
    await agent.socket.send({"type": "message.send", "chat_id": chat_id, "client_id": cid, "canned_id": greet["id"]})
    ack = await agent.socket.wait_for(lambda f: f.get("ref") == cid and f.get("type") in ("ack", "error"), timeout=10)
    assert ack["type"] == "ack", ack
    assert ack["event"]["text"] == expected and ack["event"]["data"] == {"canned_id": greet["id"]}
    seen = await visitor.socket.wait_type("event", kind="message", seq=ack["seq"])
    assert seen["text"] == expected and "{{" not in seen["text"]

    r = await agent.post(
        f"/api/v1/chats/{chat_id}/messages", json={"client_id": new_client_id(), "canned_id": greet["id"]}
    )
    assert r.status_code == 201 and r.json()["event"]["text"] == expected
    r = await agent.post(f"/api/v1/chats/{chat_id}/messages", json={"client_id": new_client_id(), "canned_id": 999999})
    assert r.status_code == 404 and r.json()["error"]["field"] == "canned_id"

    used = [c for c in (await admin.http.get("/api/v1/canned")).json()["canned"] if c["id"] == greet["id"]]
    assert used[0]["use_count"] == 2 and used[0]["last_used_at"]

    # a visitor without a name: the fallback, never braces
    other, other_chat = await chat_with(server, agent, dept, None)
    r = await agent.post(
        f"/api/v1/chats/{other_chat}/messages", json={"client_id": new_client_id(), "canned_id": greet["id"]}
    )
    assert r.json()["event"]["text"] == f"Hello there, this is {agent.user['name']} from {dept['name']}."
    for c in (visitor, other, agent, admin):
        await c.close()


async def test_scripted_department_over_socket_and_rest(server):
    admin, first, second = await login(server, "admin"), await login(server), await login(server)
    for a in (first, second):
        await a.connect()
    dept = await department_with(admin, [(first, 1), (second, 2)])
    r = await patch(admin, f"/api/v1/departments/{dept['id']}", {"scripted": True})
    assert r.status_code == 200 and r.json()["department"]["scripted"] is True
    r = await admin.post(
        "/api/v1/canned",
        json={
            "title": "Thanks",
            "shortcut": f"thanks{secrets.token_hex(2)}",
            "body": "Thanks {{visitor.name}}!",
            "scope": "global",
        },
    )
    thanks = r.json()["canned"]

    v1, chat1 = await chat_with(server, first, dept, "Ola")
    refused = await first.send(chat1, "Let me improvise")
    assert refused["type"] == "error" and refused["code"] == "scripted" and refused["message"] == SCRIPTED_MESSAGE
    r = await first.post(f"/api/v1/chats/{chat1}/messages", json={"client_id": new_client_id(), "text": "Improvising"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "scripted"
    cid = new_client_id()
    await first.socket.send({"type": "message.send", "chat_id": chat1, "client_id": cid, "canned_id": thanks["id"]})
    ack = await first.socket.wait_for(lambda f: f.get("ref") == cid, timeout=10)
    assert ack["type"] == "ack" and ack["event"]["text"] == "Thanks Ola!"
    r = await first.post(f"/api/v1/chats/{chat1}/notes", json={"client_id": new_client_id(), "text": "internal"})
    assert r.status_code == 201

    v2, chat2 = await chat_with(server, second, dept, "Per")
    assert (await second.send(chat2, "Level two may improvise"))["type"] == "ack"
    # The visitor only ever saw the canned reply from the first-level agent.
    texts = [f["text"] for f in v1.socket.frames if f.get("type") == "event" and f.get("kind") == "message"]
    assert "Let me improvise" not in texts and "Improvising" not in texts and "internal" not in texts
    for c in (v1, v2, first, second, admin):
        await c.close()
