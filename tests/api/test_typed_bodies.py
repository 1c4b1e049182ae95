"""Typed request and response models against a real server: a body's unknown fields and
wrong types are a 400 naming the field (in the action's own words where it has them), and a
typed response sends what the action returned, no key added or dropped."""

from __future__ import annotations

import secrets

import pytest

from tests.accounts import login
from tests.clients import AgentClient, VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def write(client: AgentClient, method: str, path: str, json=None):  # type: ignore[no-untyped-def]
    return await client.http.request(method, path, json=json, headers={"X-CSRF-Token": client.csrf or ""})


def refused(r, field: str, message: str | None = None) -> bool:  # type: ignore[no-untyped-def]
    error = r.json().get("error", {})
    return (
        r.status_code == 400
        and error.get("code") == "bad_request"
        and error.get("field") == field
        and (message is None or error.get("message") == message)
    )


async def test_bodies_name_the_field_and_patch_keeps_the_actions_words(server):
    admin = await login(server, "admin")
    agent = await login(server)
    # PATCH: an unknown field is refused by the action, as before ("cannot be changed here").
    r = await write(admin, "PATCH", f"/api/v1/users/{agent.user['id']}", {"email": "x@example.com"})
    assert refused(r, "email", "email: cannot be changed here"), r.text
    r = await write(admin, "PATCH", "/api/v1/profile", {"role": "agent"})
    assert refused(r, "role", "role: cannot be changed here"), r.text
    # Values are taken as they are: "5" is not a number, 5 is not a name.
    r = await write(admin, "PATCH", f"/api/v1/users/{agent.user['id']}", {"max_chats": "5"})
    assert refused(r, "max_chats"), r.text
    r = await admin.post("/api/v1/tags", json={"name": 5})
    assert refused(r, "name"), r.text
    # A body without its own unknown-field check refuses extras by name.
    r = await admin.post("/api/v1/departments", json={"slug": f"d{secrets.token_hex(3)}", "name": "D", "colour": 1})
    assert refused(r, "colour", "colour: unknown field"), r.text
    r = await write(admin, "PUT", "/api/v1/auth/me/status", {"status": "online", "mood": "good"})
    assert refused(r, "mood"), r.text
    # The action's limits and messages still apply (the document only repeats them).
    r = await admin.post("/api/v1/tags", json={"name": "x" * 41})
    assert refused(r, "name", "name: must be at most 40 characters"), r.text
    r = await write(admin, "PATCH", f"/api/v1/users/{agent.user['id']}", {"max_chats": 51})
    assert refused(r, "max_chats", "max_chats: must be a whole number from 1 to 50"), r.text
    r = await write(admin, "PATCH", f"/api/v1/users/{agent.user['id']}", {"max_chats": 4})
    assert r.status_code == 200 and r.json()["user"]["max_chats"] == 4
    await admin.close()
    await agent.close()


async def test_typed_responses_add_no_key_and_drop_none(server, duty_agent):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("hello there"))["chat_id"]
    r = await duty_agent.http.get(f"/api/v1/chats/{chat_id}/messages")
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    said = [e for e in events if e["kind"] == "message"][0]
    # A visitor's author has no id: the key stays absent rather than becoming null.
    assert said["author"]["type"] == "visitor" and "id" not in said["author"]
    assert set(said) == {"chat_id", "seq", "kind", "author", "text", "client_id", "data", "created_at"}
    summary = (await duty_agent.http.get(f"/api/v1/chats/{chat_id}")).json()
    assert summary["id"] == chat_id and summary["assignee"] is None and summary["tags"] == []
    assert {"visitor", "department", "last_message", "rating", "required_level", "offered_to"} <= set(summary)
    # Unknown keys pass through (the console reads fields the document may not list yet).
    r = await duty_agent.http.get("/api/v1/departments")
    assert all("members" in d and "accepting_chats" in d for d in r.json()["departments"])
    await visitor.close()
