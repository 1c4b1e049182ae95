"""The operator's desk over HTTP and WebSockets against a real server: escalating a chat to a
level-2 agent, escalation reports, tags, and the visitor's draft reaching the agent (sneak
peek) — and none of the agents-only parts ever reaching the visitor's socket."""

from __future__ import annotations

import asyncio
import secrets

import orjson
import pytest

from tests.accounts import login
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

DETAIL = "order 5521 needs a manual refund"


async def write(client: AgentClient, method: str, path: str, json=None):  # type: ignore[no-untyped-def]
    return await client.http.request(method, path, json=json, headers={"X-CSRF-Token": client.csrf or ""})


async def department_with(admin: AgentClient, levels: dict[AgentClient, int], **fields) -> dict:
    slug = f"d{secrets.token_hex(3)}"
    r = await admin.post("/api/v1/departments", json={"slug": slug, "name": slug.title(), "routing": "auto", **fields})
    assert r.status_code == 201, r.text
    dept = r.json()["department"]
    members = [{"user_id": c.user["id"], "level": lv} for c, lv in levels.items()]
    r = await write(admin, "PUT", f"/api/v1/departments/{dept['id']}/members", {"members": members})
    assert r.status_code == 200, r.text
    return dept


async def start_chat(visitor: VisitorClient, dept: dict, text: str) -> int:
    await visitor.connect()
    await visitor.socket.send(
        {"type": "chat.start", "client_id": new_client_id(), "text": text, "department": dept["slug"]}
    )
    return (await visitor.socket.wait_type("ack"))["chat_id"]


async def test_escalation_reaches_the_level_two_agent_and_not_the_reason_the_visitor(server):
    admin = await login(server, "admin")
    first, specialist = await login(server), await login(server)
    dept = await department_with(admin, {first: 1, specialist: 2})
    await first.connect()
    visitor = VisitorClient(server.base_url)
    chat_id = await start_chat(visitor, dept, "I was charged twice")
    offer = await first.socket.wait_type("chat.offered", timeout=10)
    assert offer["chat"]["id"] == chat_id and offer["chat"]["required_level"] == 1
    assert (await first.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200

    reasons = (await first.http.get("/api/v1/escalations/reasons")).json()["reasons"]
    assert {"code": "billing", "label": "Billing, refund or account decision"} in reasons
    for body, field in [({"reason": "nope"}, "reason"), ({"reason": "other"}, "detail"), ({}, "reason")]:
        r = await first.post(f"/api/v1/chats/{chat_id}/escalate", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["field"] == field, r.json()
    # Nobody of level 2 is connected: it waits, and the visitor sees their place in the queue.
    r = await first.post(f"/api/v1/chats/{chat_id}/escalate", json={"reason": "billing", "detail": DETAIL})
    assert r.status_code == 200, r.text
    assert r.json()["to_level"] == 2
    notice = await visitor.socket.wait_type("event", kind="chat.escalated")
    assert notice["data"]["to_level"] == 2
    queue = await visitor.socket.wait_type("queue", timeout=10)
    assert queue["position"] == 1
    await asyncio.sleep(0.5)
    assert not [f for f in first.socket.frames if f.get("type") == "chat.offered" and f["chat"]["id"] == chat_id]

    # The specialist connects: offered it, with the history and the reason.
    await specialist.connect()
    offer = await specialist.socket.wait_for(
        lambda f: f.get("type") == "chat.offered" and f["chat"]["id"] == chat_id, timeout=10
    )
    assert offer["chat"]["required_level"] == 2
    await specialist.socket.send({"type": "chat.accept", "chat_id": chat_id, "ref": "s1"})
    await specialist.socket.wait_type("accepted", ref="s1")
    history = (await specialist.http.get(f"/api/v1/chats/{chat_id}/messages")).json()["events"]
    assert history[1]["text"] == "I was charged twice"
    note = next(e for e in history if e["kind"] == "note")
    assert DETAIL in note["text"] and note["data"]["escalation"]["reason"] == "billing"

    # The visitor's socket never carried the reason, live or on sync; a transcript request by
    # the visitor does not exist, and the agent's transcript has it as a note only for agents.
    await visitor.socket.send({"type": "sync", "chat_id": chat_id, "after": 0})
    await visitor.socket.wait_type("synced", chat_id=chat_id)
    seen = orjson.dumps(visitor.socket.frames).decode()
    assert DETAIL not in seen and "billing" not in seen.lower()
    assert "chat.escalated" in seen

    # Escalating at the top level is refused clearly.
    r = await specialist.post(f"/api/v1/chats/{chat_id}/escalate", json={"reason": "technical"})
    assert r.status_code == 409 and "no higher level" in r.json()["error"]["message"]

    # Reports count escalations by reason (leads only).
    r = await admin.http.get("/api/v1/escalations/report", params={"department_id": dept["id"]})
    assert r.status_code == 200 and r.json()["by_reason"][0]["reason"] == "billing"
    assert (await first.http.get("/api/v1/escalations/report")).status_code == 403
    for c in (visitor, first, specialist, admin):
        await c.close()


async def test_tags_over_http_never_reach_the_visitor(server, duty_agent):
    admin, lead = await login(server, "admin"), await login(server, "supervisor")
    name = f"VIP-{secrets.token_hex(2)}"
    assert (await duty_agent.post("/api/v1/tags", json={"name": name})).status_code == 403
    r = await lead.post("/api/v1/tags", json={"name": name, "colour": "#7C3AED"})
    assert r.status_code == 201, r.text
    tag = r.json()["tag"]
    r = await lead.post("/api/v1/tags", json={"name": name.lower()})
    assert r.status_code == 409 and r.json()["error"]["field"] == "name"
    r = await lead.post("/api/v1/tags", json={"name": "x", "colour": "purple"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "colour"

    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("hello"))["chat_id"]
    assert (await duty_agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    r = await write(duty_agent, "PUT", f"/api/v1/chats/{chat_id}/tags/{tag['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == [{"id": tag["id"], "name": name, "colour": "#7c3aed"}]
    updated = await duty_agent.socket.wait_for(
        lambda f: f.get("type") == "chat.updated" and f["chat"]["id"] == chat_id and f["chat"]["tags"], timeout=10
    )
    assert updated["chat"]["tags"][0]["name"] == name
    summary = (await duty_agent.http.get(f"/api/v1/chats/{chat_id}")).json()
    assert [t["id"] for t in summary["tags"]] == [tag["id"]]
    assert (await write(duty_agent, "PUT", f"/api/v1/chats/{chat_id}/tags/999999")).status_code == 404
    r = await write(duty_agent, "DELETE", f"/api/v1/chats/{chat_id}/tags/{tag['id']}")
    assert r.status_code == 200 and r.json()["tags"] == []
    r = await write(admin, "PATCH", f"/api/v1/tags/{tag['id']}", {"name": name + "!"})
    assert r.status_code == 200 and r.json()["tag"]["name"] == name + "!"
    listed = (await duty_agent.http.get("/api/v1/tags")).json()["tags"]
    assert any(t["id"] == tag["id"] for t in listed)
    assert (await write(duty_agent, "DELETE", f"/api/v1/tags/{tag['id']}")).status_code == 403
    assert (await write(lead, "DELETE", f"/api/v1/tags/{tag['id']}")).status_code == 200
    await asyncio.sleep(0.3)
    assert name not in orjson.dumps(visitor.socket.frames).decode()
    for c in (visitor, admin, lead):
        await c.close()


async def test_the_visitors_draft_reaches_the_agent_only_with_sneak_peek_on(server):
    admin, agent = await login(server, "admin"), await login(server)
    dept = await department_with(admin, {agent: 1})
    await agent.connect()
    visitor = VisitorClient(server.base_url)
    chat_id = await start_chat(visitor, dept, "hi")
    await agent.socket.wait_type("chat.offered", timeout=10)
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    await asyncio.sleep(1.6)  # the visitor socket's cached chat (1.5 s) now sees it active
    await visitor.socket.send({"type": "typing", "typing": True, "text": "my order number is 12"})
    frame = await agent.socket.wait_for(lambda f: f.get("type") == "typing" and "text" in f, timeout=10)
    assert frame == {
        "type": "typing",
        "chat_id": chat_id,
        "author": {"type": "visitor"},
        "typing": True,
        "text": "my order number is 12",
    }
    # A bad draft is a bad frame, named.
    await visitor.socket.send({"type": "typing", "typing": True, "text": ["no"]})
    err = await visitor.socket.wait_type("error")
    assert err["field"] == "text"
    # An agent's typing never carries text to the visitor.
    await agent.socket.send({"type": "typing", "chat_id": chat_id, "typing": True, "text": "internal musing"})
    await visitor.socket.wait_for(lambda f: f.get("type") == "typing", timeout=10)
    assert "internal musing" not in orjson.dumps(visitor.socket.frames).decode()

    r = await write(admin, "PATCH", f"/api/v1/departments/{dept['id']}", {"sneak_peek": False})
    assert r.status_code == 200 and r.json()["department"]["sneak_peek"] is False
    await asyncio.sleep(1.6)
    agent.socket.frames.clear()
    await visitor.socket.send({"type": "typing", "typing": True, "text": "my password is hunter2"})
    frame = await agent.socket.wait_type("typing", timeout=10)
    assert frame["typing"] is True and "text" not in frame
    await asyncio.sleep(0.3)
    assert "hunter2" not in orjson.dumps(agent.socket.frames).decode()
    r = await write(admin, "PATCH", f"/api/v1/departments/{dept['id']}", {"reply_alert_seconds": 5})
    assert r.status_code == 400 and r.json()["error"]["field"] == "reply_alert_seconds"
    for c in (visitor, agent, admin):
        await c.close()
