"""Shared steps of the API tests against a real server: a department with members, a visitor's
first message that opens a chat."""

from __future__ import annotations

import secrets
from typing import Any

from tests.clients import AgentClient, VisitorClient, new_client_id


async def department(admin: AgentClient, members: list[AgentClient], routing: str = "pick") -> dict[str, Any]:
    """A new department (`routing`: pick or auto) whose members are `members`, all at level 1."""
    slug = f"d{secrets.token_hex(3)}"
    r = await admin.post("/api/v1/departments", json={"slug": slug, "name": slug.title(), "routing": routing})
    assert r.status_code == 201, r.text
    dept = r.json()["department"]
    r = await admin.http.put(
        f"/api/v1/departments/{dept['id']}/members",
        json={"members": [{"user_id": m.user["id"], "level": 1} for m in members]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    return dept


async def start_chat(server: Any, dept: dict[str, Any], text: str) -> tuple[VisitorClient, int]:
    """A new visitor, connected, whose first message (acked) opens a chat in `dept`."""
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    cid = new_client_id()
    await visitor.socket.send({"type": "message.send", "text": text, "client_id": cid, "department": dept["slug"]})
    ack = await visitor.socket.wait_for(lambda f: f.get("ref") == cid, timeout=10)
    assert ack["type"] == "ack", ack
    return visitor, ack["chat_id"]
