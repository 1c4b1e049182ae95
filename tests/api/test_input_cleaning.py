"""Text that enters through the API and the sockets (issue 10, items 1 and 9): a NUL character in
anything a person typed is a 400 naming the field on both databases (never a 500); passive
metadata (the hello's page title) is cleaned silently and the socket stays open; bidi overrides
are removed from names; e-mail addresses are parsed strictly (no encoded words) everywhere; and
admins see the e-mail the server gave up on."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

POISONED = "=?utf-8?q?a=0D=0ABcc=3A_x=40evil.test?=@b.cd"
NUL = "\x00"


async def login(server, role: str = "admin") -> AgentClient:  # type: ignore[no-untyped-def]
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    return client


def new_user(**changes: Any) -> dict[str, Any]:
    return {
        "email": f"new-{secrets.token_hex(4)}@example.com",
        "name": "New Person",
        "role": "agent",
        "password": "pw-" + secrets.token_urlsafe(12),
        **changes,
    }


def offline(**changes: Any) -> dict[str, Any]:
    return {"name": "Jane Doe", "email": "jane@example.com", "text": "Please call me", **changes}


# (method, path, json body or query params, the field the 400 must name). `{dept}`: a department id.
CASES = [
    ("POST", "/api/v1/auth/login", {"email": f"a{NUL}@example.com", "password": "whatever"}, "email"),
    ("POST", "/api/v1/users", new_user(email=f"nul{NUL}@example.com"), "email"),
    ("POST", "/api/v1/users", new_user(name=f"Ann{NUL}"), "name"),
    ("POST", "/api/v1/users", new_user(departments=[f"gen{NUL}eral"]), "departments"),
    ("PATCH", "/api/v1/profile", {"name": f"Ann{NUL}Lee"}, "name"),
    ("PATCH", "/api/v1/profile", {"title": f"Boss{NUL}"}, "title"),
    ("POST", "/api/v1/departments", {"slug": f"x{NUL}y", "name": "X"}, "slug"),
    ("POST", "/api/v1/departments", {"slug": "nul-name", "name": f"Sales{NUL}"}, "name"),
    ("PATCH", "/api/v1/departments/{dept}", {"description": f"d{NUL}"}, "description"),
    ("PATCH", "/api/v1/departments/{dept}", {"email": f"s{NUL}@example.com"}, "email"),
    ("POST", "/api/v1/tags", {"name": f"V{NUL}IP"}, "name"),
    ("POST", "/api/v1/canned", {"title": f"T{NUL}", "shortcut": "nul-title", "body": "Hello"}, "title"),
    ("POST", "/api/v1/canned", {"title": "T", "shortcut": "nul-body", "body": f"Hel{NUL}lo"}, "body"),
    ("PUT", "/api/v1/settings/widget", {"title": f"Hi{NUL}"}, "title"),
    ("PUT", "/api/v1/settings/widget", {"greeting": f"Hello{NUL}"}, "greeting"),
    ("PUT", "/api/v1/departments/{dept}/scorecard", {"criteria": [{"name": f"Tone{NUL}"}]}, "criteria[0].name"),
    ("GET", "/api/v1/archive/search", {"q": f"refund{NUL}"}, "q"),
    ("GET", "/api/v1/audit", {"action": f"user.{NUL}"}, "action"),
    ("GET", "/api/v1/audit", {"target_id": f"1{NUL}"}, "target_id"),
    ("GET", "/api/v1/tickets", {"status": f"open{NUL}"}, "status"),
    ("GET", "/api/v1/widget/config", {"department": f"general{NUL}"}, "department"),
]


@pytest.mark.parametrize(("method", "path", "data", "field"), CASES, ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES])
async def test_nul_in_a_typed_field_is_a_400_naming_it(server, method, path, data, field):
    admin = await login(server)
    try:
        if "{dept}" in path:
            departments = (await admin.http.get("/api/v1/departments")).json()["departments"]
            path = path.replace("{dept}", str(departments[0]["id"]))
        headers = {"X-CSRF-Token": admin.csrf or ""}
        if method == "GET":
            r = await admin.http.get(path, params=data)
        else:
            r = await admin.http.request(method, path, json=data, headers=headers)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert (error["code"], error["field"]) == ("bad_request", field), error
    finally:
        await admin.close()


async def test_the_offline_form_refuses_nul_and_encoded_words(server):
    # Five at most from one address a minute (the widget's limit): exactly five here.
    async with AgentClient(server.base_url).http as http:
        for body, field in (
            (offline(email=POISONED), "email"),
            (offline(email=f"jane{NUL}@example.com"), "email"),
            (offline(name=f"Jane{NUL}"), "name"),
            (offline(text=f"Call{NUL} me"), "text"),
            (offline(department=f"general{NUL}"), "department"),
        ):
            r = await http.post("/api/v1/widget/offline", json=body)
            assert r.status_code == 400, r.text
            error = r.json()["error"]
            assert (error["code"], error["field"]) == ("bad_request", field), (body, error)


async def test_user_creation_refuses_an_encoded_word_address(server):
    admin = await login(server)
    r = await admin.post("/api/v1/users", json=new_user(email=POISONED))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == "email" and "encoded words" in r.json()["error"]["message"]
    r = await admin.post("/api/v1/users", json=new_user(email="Ann.Lee@BÜCHER.example"))
    assert r.status_code == 201, r.text
    assert r.json()["user"]["email"] == "ann.lee@xn--bcher-kva.example"
    await admin.close()


async def test_transcript_email_refuses_an_encoded_word_address(server):
    agent = await login(server, "agent")
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("Where is my parcel?"))["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    r = await agent.post(f"/api/v1/chats/{chat_id}/messages", json={"text": "Tomorrow.", "client_id": new_client_id()})
    assert r.status_code == 201, r.text
    assert (await agent.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200
    await visitor.socket.wait_type("event", kind="chat.closed")
    for ref, address in (("p1", POISONED), ("p2", f"ann{NUL}@example.com")):
        await visitor.socket.send({"type": "transcript.email", "ref": ref, "chat_id": chat_id, "email": address})
        answer = await visitor.socket.wait_for(lambda f, ref=ref: f.get("ref") == ref)
        assert (answer["type"], answer["code"], answer["field"]) == ("error", "bad_request", "email"), answer
    await visitor.close()
    await agent.close()


async def test_a_nul_in_the_hello_page_title_is_cleaned_and_the_socket_stays_open(server):
    visitor = VisitorClient(server.base_url)
    welcome = await visitor.connect(
        page={"url": "https://shop.example/a\x00b", "title": "Check\x00out\u202e page", "referrer": "x\x01y"}
    )
    assert welcome["type"] == "welcome"
    ack = await visitor.send("still here")
    assert ack["type"] == "ack", ack
    admin = await login(server)
    chat = (await admin.http.get(f"/api/v1/chats/{ack['chat_id']}")).json()
    shown = chat.get("visitor") or {}
    assert shown.get("page_title") == "Checkout page", chat
    assert shown.get("page_url") == "https://shop.example/ab"
    await visitor.close()
    await admin.close()


async def test_bidi_overrides_are_removed_from_names(server):
    admin = await login(server)
    r = await admin.post("/api/v1/users", json=new_user(name="Ann \u202eeciffo\u202c Lee\u2066"))
    assert r.status_code == 201, r.text
    assert r.json()["user"]["name"] == "Ann eciffo Lee"
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    await visitor.socket.send({"type": "visitor.update", "ref": "u1", "name": "Bob\u202e\u200f moc.evil", "email": ""})
    updated = await visitor.socket.wait_for(lambda f: f.get("type") in ("visitor", "visitor.updated", "error"))
    assert updated.get("visitor", {}).get("name") == "Bob moc.evil", updated
    await visitor.close()
    await admin.close()


async def test_failed_mail_is_listed_for_admins_only(server):
    admin = await login(server)
    r = await admin.http.get("/api/v1/mail/failed")
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["failed"], list)
    manager = await login(server, "manager")
    assert (await manager.http.get("/api/v1/mail/failed")).status_code == 403
    r = await admin.post("/api/v1/mail/9223372036854775807/retry")
    assert r.status_code == 404, r.text
    await admin.close()
    await manager.close()
