"""Scopes that agree (issue 10, items 3–5) against a real server and real sockets, on both
databases: one read rule for every way a chat is read, notes scoped like replies, and
supervisors managing only agents' memberships of their own departments."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests import files
from tests.accounts import login
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOT_FOUND = "That chat does not exist or is not yours."


async def put_members(
    client: AgentClient, department_id: int, members: list[tuple[AgentClient, int]]
) -> httpx.Response:
    return await client.http.put(
        f"/api/v1/departments/{department_id}/members",
        json={"members": [{"user_id": c.user["id"], "level": level} for c, level in members]},
        headers={"X-CSRF-Token": client.csrf or ""},
    )


async def department(admin: AgentClient, members: list[AgentClient]) -> dict:
    slug = f"s{secrets.token_hex(3)}"
    r = await admin.post("/api/v1/departments", json={"slug": slug, "name": slug.title(), "routing": "pick"})
    assert r.status_code == 201, r.text
    dept = r.json()["department"]
    r = await put_members(admin, dept["id"], [(m, 1) for m in members])
    assert r.status_code == 200, r.text
    return dept


async def answer(socket, frame: dict) -> dict:  # type: ignore[no-untyped-def]
    ref = new_client_id()
    await socket.send({**frame, "ref": ref})
    return await socket.wait_for(lambda f: f.get("ref") == ref or f.get("type") == "synced", timeout=10)


async def test_an_agent_reads_only_the_chats_of_their_departments_and_those_they_handled(server):
    admin, manager = await login(server, "admin"), await login(server, "manager")
    ann, bob = await login(server), await login(server)
    sales = await department(admin, [ann])
    billing = await department(admin, [bob])
    await ann.connect()  # online: Sales takes chats
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    await visitor.socket.send(
        {
            "type": "message.send",
            "text": "Here is my passport",
            "client_id": "first-message",
            "department": sales["slug"],
        }
    )
    ack = await visitor.socket.wait_for(lambda f: f.get("ref") == "first-message", timeout=10)
    assert ack["type"] == "ack", ack
    chat_id = ack["chat_id"]
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post(
            "/api/v1/widget/attachments",
            files={"file": ("passport.png", files.png(20, 20), "image/png")},
            data={"client_id": new_client_id()},
            headers={"X-Visitor-Token": visitor.token or ""},
        )
    assert r.status_code == 201, r.text
    file_id = r.json()["event"]["data"]["attachment"]["id"]
    assert (await ann.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    r = await ann.post(f"/api/v1/chats/{chat_id}/notes", json={"text": "VIP, careful", "client_id": new_client_id()})
    assert r.status_code == 201, r.text
    reads = [
        f"/api/v1/chats/{chat_id}",
        f"/api/v1/chats/{chat_id}/messages",
        f"/api/v1/chats/{chat_id}/participants",
        f"/api/v1/chats/{chat_id}/transcript.json",
        f"/api/v1/chats/{chat_id}/transcript.txt",
        f"/api/v1/archive/chats/{chat_id}",
        f"/api/v1/chats/{chat_id}/annotations",
        f"/api/v1/chats/{chat_id}/reviews",
        f"/api/v1/chats/{chat_id}/attachments/{file_id}",
    ]
    # Bob works in Billing: every read of the Sales chat is 404 with one wording, exactly as for
    # a chat that does not exist (so sequential ids cannot be probed).
    for path in reads:
        r = await bob.http.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "not_found", path
        missing = await bob.http.get(path.replace(f"/chats/{chat_id}", "/chats/99999999"))
        assert missing.status_code == 404 and missing.json()["error"]["message"] == r.json()["error"]["message"]
    assert "VIP" not in (await bob.http.get(f"/api/v1/chats/{chat_id}/messages")).text
    # Nor over his socket: `sync` answers not found and sends no event.
    await bob.connect()
    got = await answer(bob.socket, {"type": "sync", "chat_id": chat_id, "after": 0})
    assert (got["type"], got["code"], got["message"]) == ("error", "not_found", NOT_FOUND)
    # Nor in his lists (history and queue), nor may he note or tag it.
    for status in ("active", "closed", "queued"):
        listed = (await bob.http.get("/api/v1/chats", params={"status": status, "mine": "false"})).json()["chats"]
        assert chat_id not in [c["id"] for c in listed]
    r = await bob.post(f"/api/v1/chats/{chat_id}/notes", json={"text": "I was here", "client_id": new_client_id()})
    assert r.status_code == 404, r.text
    # The chat's agent and a manager read all of it, the internal note included.
    for reader in (ann, manager):
        for path in reads:
            r = await reader.http.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text)
        events = (await reader.http.get(f"/api/v1/chats/{chat_id}/messages")).json()["events"]
        assert "VIP, careful" in [e["text"] for e in events]
    # Ann hands the chat to Billing: she handled it, so she still reads it; Bob now does too.
    r = await ann.post(f"/api/v1/chats/{chat_id}/transfer", json={"to_department_id": billing["id"]})
    assert r.status_code == 200, r.text
    assert (await ann.http.get(f"/api/v1/chats/{chat_id}/messages")).status_code == 200
    assert (await bob.http.get(f"/api/v1/chats/{chat_id}/messages")).status_code == 200
    # The visitor never gets the note.
    await visitor.socket.send({"type": "sync", "chat_id": chat_id, "after": 0})
    await visitor.socket.wait_type("synced", chat_id=chat_id)
    assert not [f for f in visitor.socket.frames if f.get("text") == "VIP, careful"]
    for client in (visitor, admin, manager, ann, bob):
        await client.close()


async def test_notes_are_for_the_chats_agent_and_leads_and_do_not_unlock_reviews(server):
    admin = await login(server, "admin")
    ann, cat, sam = await login(server), await login(server), await login(server, "supervisor")
    sales = await department(admin, [ann, cat, sam])
    await ann.connect()
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    await visitor.socket.send(
        {"type": "message.send", "text": "Hello", "client_id": "first-message", "department": sales["slug"]}
    )
    chat_id = (await visitor.socket.wait_for(lambda f: f.get("ref") == "first-message", timeout=10))["chat_id"]
    assert (await ann.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    assert (await ann.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200

    def note(text: str) -> dict:
        return {"text": text, "client_id": new_client_id()}

    # Cat works in Sales and may read the chat, but it is not hers: no note, and so no way into
    # its reviews and annotations.
    r = await cat.post(f"/api/v1/chats/{chat_id}/notes", json=note("me too"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    for path in (f"/api/v1/chats/{chat_id}/reviews", f"/api/v1/chats/{chat_id}/annotations"):
        assert (await cat.http.get(path)).status_code == 403
    # Ann (its agent, also once it has ended) and Sam (who leads Sales) may.
    for author in (ann, sam):
        r = await author.post(f"/api/v1/chats/{chat_id}/notes", json=note("follow up"))
        assert r.status_code == 201, r.text
    assert (await ann.http.get(f"/api/v1/chats/{chat_id}/reviews")).status_code == 200
    for client in (visitor, admin, ann, cat, sam):
        await client.close()


async def test_supervisors_manage_only_agents_memberships_of_their_own_departments(server):
    admin, manager = await login(server, "admin"), await login(server, "manager")
    sam, other_lead = await login(server, "supervisor"), await login(server, "supervisor")
    ann, bob, new = await login(server), await login(server), await login(server)
    sales = await department(admin, [sam, ann])
    billing = await department(admin, [bob, other_lead])

    # Billing is not Sam's: he can neither join it nor empty it.
    for members in ([(bob, 1), (other_lead, 1), (sam, 1)], []):
        r = await put_members(sam, billing["id"], members)
        assert r.status_code == 403 and billing["name"] in r.json()["error"]["message"], r.text
    # In Sales he adds, re-levels and removes agents...
    r = await put_members(sam, sales["id"], [(sam, 1), (ann, 2), (new, 1)])
    assert r.status_code == 200, r.text
    r = await put_members(sam, sales["id"], [(sam, 1), (ann, 2)])
    assert r.status_code == 200, r.text
    # ...but never his own level or membership, nor another lead's.
    for members in (
        [(sam, 9), (ann, 2)],
        [(ann, 2)],
        [(sam, 1), (ann, 2), (other_lead, 1)],
        [(sam, 1), (ann, 2), (manager, 1)],
    ):
        r = await put_members(sam, sales["id"], members)
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "forbidden" and error["field"] == "members", error
        assert "your own" in error["message"] or "agents' memberships only" in error["message"], error
    listed = {d["id"]: set(d["members"]) for d in (await admin.http.get("/api/v1/departments")).json()["departments"]}
    assert listed[billing["id"]] == {bob.user["id"], other_lead.user["id"]}  # nothing changed
    assert listed[sales["id"]] == {sam.user["id"], ann.user["id"]}
    # A manager sets any department's members, leads included.
    r = await put_members(manager, billing["id"], [(bob, 1), (other_lead, 1), (sam, 1)])
    assert r.status_code == 200, r.text
    for client in (admin, manager, sam, other_lead, ann, bob, new):
        await client.close()
