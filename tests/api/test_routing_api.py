"""Departments, automatic offers, the queue a visitor sees, transfers and offline messages over
HTTP and WebSockets against a real server."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.accounts import login
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def make_department(admin: AgentClient, **fields) -> dict:
    slug = fields.pop("slug", f"d{secrets.token_hex(3)}")
    body = {"slug": slug, "name": slug.title(), "routing": "auto", **fields}
    r = await admin.post("/api/v1/departments", json=body)
    assert r.status_code == 201, r.text
    return r.json()["department"]


async def test_department_validation_names_the_field(server):
    admin = await login(server, "admin")
    bad = [
        ({"slug": "x", "name": "X", "hours": {"timezone": "Mars/Olympus"}}, "timezone"),
        (
            {"slug": "x", "name": "X", "hours": {"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}},
            "hours.weekly.mon",
        ),
        ({"slug": "x", "name": "X", "hours": {"weekly": {"mon": [["17:00", "09:00"]]}}}, "hours.weekly.mon[0]"),
        ({"slug": "x", "name": "X", "max_queue": -1}, "max_queue"),
        ({"slug": "Not A Slug", "name": "X"}, "slug"),
        ({"slug": "x", "name": "X", "routing": "random"}, "routing"),
        ({"slug": "x", "name": "X", "email": "not-an-address"}, "email"),
    ]
    for body, field in bad:
        r = await admin.post("/api/v1/departments", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["field"] == field, r.json()
    agent = await login(server)
    r = await agent.post("/api/v1/departments", json={"slug": "nope", "name": "Nope"})
    assert r.status_code == 403
    await admin.close()
    await agent.close()


async def test_auto_offer_accept_and_queue_position(server):
    admin = await login(server, "admin")
    agent = await login(server)
    dept = await make_department(admin, offer_timeout_seconds=30)
    r = await admin.http.put(
        f"/api/v1/departments/{dept['id']}/members",
        json={"members": [{"user_id": agent.user["id"], "level": 1}]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    assert (
        await admin.http.patch(
            f"/api/v1/users/{agent.user['id']}", json={"max_chats": 1}, headers={"X-CSRF-Token": admin.csrf}
        )
    ).status_code == 200
    await agent.connect()

    # The widget sees the department accepting chats; the first visitor is offered to the agent.
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        config = (await http.get("/api/v1/widget/config", params={"department": dept["slug"]})).json()
    assert [d["accepting_chats"] for d in config["departments"]] == [True]

    first = VisitorClient(server.base_url)
    await first.connect()
    await first.socket.send(
        {
            "type": "chat.start",
            "client_id": new_client_id(),
            "text": "Do you do quotes?",
            "department": dept["slug"],
            "name": "Ann",
            "email": "ann@example.com",
        }
    )
    ack = await first.socket.wait_type("ack")
    offer = await agent.socket.wait_type("chat.offered", timeout=10)
    assert offer["chat"]["id"] == ack["chat_id"] and offer["chat"]["visitor"]["name"] == "Ann"
    await agent.socket.send({"type": "chat.accept", "chat_id": ack["chat_id"], "ref": "a1"})
    await agent.socket.wait_type("accepted", ref="a1")
    await first.socket.wait_type("event", kind="chat.assigned")

    # The agent is now full (max 1): a second visitor waits at position 1 with an estimate…
    second = VisitorClient(server.base_url)
    await second.connect()
    await second.socket.send(
        {"type": "chat.start", "client_id": new_client_id(), "text": "Hello?", "department": dept["slug"]}
    )
    ack2 = await second.socket.wait_type("ack")
    queue = await second.socket.wait_type("queue", timeout=10)
    assert queue["position"] == 1 and queue["estimated_wait_seconds"] is not None
    # …and is offered to the agent the moment the first chat closes.
    assert (await agent.post(f"/api/v1/chats/{ack['chat_id']}/close")).status_code == 200
    offer2 = await agent.socket.wait_for(
        lambda f: f.get("type") == "chat.offered" and f["chat"]["id"] == ack2["chat_id"], timeout=10
    )
    assert offer2["chat"]["status"] == "queued"
    for c in (first, second, agent, admin):
        await c.close()


async def test_transfer_to_department_with_nobody_is_refused_and_note_stays_internal(server, duty_agent):
    admin = await login(server, "admin")
    empty = await make_department(admin)
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("I need billing"))["chat_id"]
    assert (await duty_agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    r = await duty_agent.post(
        f"/api/v1/chats/{chat_id}/transfer", json={"to_department_id": empty["id"], "note": "VIP"}
    )
    assert r.status_code == 409 and empty["name"] in r.json()["error"]["message"]

    colleague = await login(server)
    await colleague.connect()
    r = await duty_agent.post(
        f"/api/v1/chats/{chat_id}/transfer",
        json={"to_agent_id": colleague.user["id"], "note": "Customer since 2019, be nice"},
    )
    assert r.status_code == 200, r.text
    moved = await visitor.socket.wait_type("event", kind="chat.transferred")
    assert moved["data"]["to_agent"]["id"] == colleague.user["id"]
    note = await colleague.socket.wait_type("event", kind="note", timeout=10)
    assert note["text"] == "Customer since 2019, be nice"
    # The visitor never receives the note, live or on sync.
    await visitor.socket.send({"type": "sync", "chat_id": chat_id, "after": 0})
    await visitor.socket.wait_type("synced")
    assert not any(f.get("kind") == "note" for f in visitor.socket.frames)
    assert "be nice" not in str(visitor.socket.frames)
    for c in (visitor, colleague, admin):
        await c.close()


async def test_offline_message_from_a_closed_department(server):
    admin = await login(server, "admin")
    closed = await make_department(
        admin,
        hours={"timezone": "UTC", "weekly": {}, "exceptions": [{"date": d, "closed": True} for d in _next_days(3)]},
        offline_message="We're closed for the holidays.",
    )
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        config = (await http.get("/api/v1/widget/config", params={"department": closed["slug"]})).json()
        assert config["departments"][0]["accepting_chats"] is False
        assert config["departments"][0]["reason"] == "closed"
        r = await http.post(
            "/api/v1/widget/offline", json={"department": closed["slug"], "email": "nope", "text": "hi"}
        )
        assert r.status_code == 400 and r.json()["error"]["field"] == "email"
        r = await http.post(
            "/api/v1/widget/offline",
            json={"department": closed["slug"], "name": "Bo", "email": "bo@example.com", "text": "Please call me back"},
        )
        assert r.status_code == 201
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    await visitor.socket.send(
        {"type": "chat.start", "client_id": new_client_id(), "text": "hi", "department": closed["slug"]}
    )
    err = await visitor.socket.wait_type("error")
    assert err["code"] == "offline" and err["reason"] == "closed"
    tickets = (await admin.http.get("/api/v1/tickets")).json()["tickets"]
    assert any(t["text"] == "Please call me back" and t["department"]["slug"] == closed["slug"] for t in tickets)
    await visitor.close()
    await admin.close()


def _next_days(n: int) -> list[str]:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return [(today + timedelta(days=i)).isoformat() for i in range(-1, n)]


async def test_admin_configures_the_prechat_form(server):
    admin = await login(server, "admin")
    r = await admin.http.put(
        "/api/v1/settings/widget",
        headers={"X-CSRF-Token": admin.csrf},
        json={
            "prechat": {
                "enabled": True,
                "fields": [
                    {"name": "email", "label": "Work e-mail", "required": True},
                    {"name": "question", "label": "Your question", "required": True},
                ],
            },
            "accent_color": "#0b7a5c",
        },
    )
    assert r.status_code == 200, r.text
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        config = (await http.get("/api/v1/widget/config")).json()
    assert config["accent_color"] == "#0b7a5c"
    assert config["prechat"]["fields"][0] == {"name": "email", "label": "Work e-mail", "required": True}
    r = await admin.http.put(
        "/api/v1/settings/widget",
        headers={"X-CSRF-Token": admin.csrf},
        json={"prechat": {"fields": [{"name": "shoe_size", "required": True}]}},
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "prechat.fields[0].name"
    agent = await login(server)
    r = await agent.http.put("/api/v1/settings/widget", headers={"X-CSRF-Token": agent.csrf}, json={"title": "Hi"})
    assert r.status_code == 403
    await admin.close()
    await agent.close()
