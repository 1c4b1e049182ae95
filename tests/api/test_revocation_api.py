"""Taking access back, through a real server and real sockets (issue 10, items 2, 7 and 12):
logout, a new password, deactivation, revoking and expiry of an API token each refuse the next
HTTP request AND close the sockets opened with that credential with 4001; an API token
survives a new password only with keep_tokens; only admins rename users; a deleted visitor's
socket is closed with 4001 (the widget starts over)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import update
from websockets.asyncio.client import connect

from frontdesk.store.db import Database
from frontdesk.store.models import AuthSession
from tests.accounts import make_agent
from tests.clients import AgentClient, Socket, VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")
REVOKED = 4001


async def login(server, role: str = "agent", creds: tuple[str, str] | None = None) -> AgentClient:  # type: ignore[no-untyped-def]
    email, password = creds or make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    client.email, client.password = email, password  # type: ignore[attr-defined]
    return client


async def token_socket(server, token: str) -> Socket:  # type: ignore[no-untyped-def]
    ws = await connect(server.base_url.replace("http", "ws", 1) + "/api/v1/agent/ws")
    socket = Socket(ws)
    await socket.send({"type": "hello", "v": 1, "token": token})
    await socket.wait_type("welcome")
    return socket


async def still_open(socket: Socket) -> bool:
    await socket.send({"type": "ping"})
    try:
        await socket.wait_type("pong", timeout=3)
    except ConnectionError:
        return False
    return True


async def new_token(client: AgentClient, **body: object) -> dict:
    r = await client.post("/api/v1/tokens", json=body)
    assert r.status_code == 201, r.text
    return r.json()["token"]


def bearer(server, token: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"})


async def test_logout_ends_that_session_and_only_its_sockets(server):
    first = await login(server)
    second = await login(server, creds=(first.email, first.password))  # the same user, another browser
    await first.connect()
    await second.connect()
    r = await first.post("/api/v1/auth/logout")
    assert r.status_code == 200
    assert await first.socket.wait_closed(timeout=3) == REVOKED
    assert (await second.http.get("/api/v1/auth/me")).status_code == 200
    assert await still_open(second.socket)
    await first.close()
    await second.close()


async def test_logout_socket_gets_4001_before_the_next_request(server):
    """The session cookie, reused after the logout, is refused; the socket saw 4001."""
    client = await login(server)
    await client.connect()
    cookie = client.http.cookies.get("fd_session")
    await client.post("/api/v1/auth/logout")
    assert await client.socket.wait_closed(timeout=3) == REVOKED
    async with httpx.AsyncClient(base_url=server.base_url, cookies={"fd_session": cookie}) as again:
        assert (await again.get("/api/v1/auth/me")).status_code == 401
    await client.close()


async def test_a_new_password_ends_sessions_tokens_and_their_sockets(server):
    admin = await login(server, "admin")
    user = await login(server)
    await user.connect()
    token = await new_token(user, label="integration")
    by_token = await token_socket(server, token["secret"])
    r = await admin.http.put(
        f"/api/v1/users/{user.user['id']}/password",
        json={"password": "a-brand-new-password"},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["password"]["kept_tokens"] is False
    assert await user.socket.wait_closed(timeout=3) == REVOKED
    assert await by_token.wait_closed(timeout=3) == REVOKED
    assert (await user.http.get("/api/v1/auth/me")).status_code == 401
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 401
    # The new password logs in; the old one does not.
    relogin = httpx.AsyncClient(base_url=server.base_url)
    assert (
        await relogin.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    ).status_code == 401
    ok = await relogin.post("/api/v1/auth/login", json={"email": user.email, "password": "a-brand-new-password"})
    assert ok.status_code == 200
    await relogin.aclose()
    await user.close()
    await admin.close()


async def test_keep_tokens_keeps_api_tokens_and_their_sockets(server):
    admin = await login(server, "admin")
    user = await login(server)
    await user.connect()
    token = await new_token(user)
    by_token = await token_socket(server, token["secret"])
    r = await admin.http.put(
        f"/api/v1/users/{user.user['id']}/password",
        json={"password": "another-new-password", "keep_tokens": True},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    assert await user.socket.wait_closed(timeout=3) == REVOKED  # the console session ended
    assert await still_open(by_token)
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 200
    await by_token.close()
    await user.close()
    await admin.close()


async def test_a_password_change_is_for_admins_only(server):
    supervisor = await login(server, "supervisor")
    r = await supervisor.http.put(
        f"/api/v1/users/{supervisor.user['id']}/password",
        json={"password": "whatever-password"},
        headers={"X-CSRF-Token": supervisor.csrf},
    )
    assert r.status_code == 403
    await supervisor.close()


async def test_deactivation_ends_everything_and_refuses_logins(server):
    admin = await login(server, "admin")
    user = await login(server)
    await user.connect()
    token = await new_token(user)
    by_token = await token_socket(server, token["secret"])
    r = await admin.post(f"/api/v1/users/{user.user['id']}/deactivate")
    assert r.status_code == 200, r.text
    assert r.json()["user"]["active"] is False and r.json()["user"]["deactivated_at"]
    assert await user.socket.wait_closed(timeout=3) == REVOKED
    assert await by_token.wait_closed(timeout=3) == REVOKED
    assert (await user.http.get("/api/v1/auth/me")).status_code == 401
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 401
    async with httpx.AsyncClient(base_url=server.base_url) as anon:
        r = await anon.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
        assert r.status_code == 401 and "deactivated" in r.json()["error"]["message"]
        r = await anon.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong-password!"})
        assert r.status_code == 401 and "deactivated" not in r.json()["error"]["message"]
    listed = {u["id"]: u for u in (await admin.http.get("/api/v1/users")).json()["users"]}
    assert listed[user.user["id"]]["active"] is False
    assert listed[user.user["id"]]["status"] == "offline"
    # Reactivated: the same password works again (tokens stay revoked).
    r = await admin.post(f"/api/v1/users/{user.user['id']}/reactivate")
    assert r.status_code == 200 and r.json()["user"]["active"] is True
    again = await login(server, creds=(user.email, user.password))
    assert (await again.http.get("/api/v1/auth/me")).status_code == 200
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 401
    r = await admin.http.get("/api/v1/audit", params={"target_id": str(user.user["id"])})
    actions = {e["action"] for e in r.json()["entries"]}
    assert {"user.deactivate", "user.reactivate"} <= actions
    await again.close()
    await user.close()
    await admin.close()


async def test_nobody_deactivates_themselves_and_only_admins_deactivate(server):
    admin = await login(server, "admin")
    r = await admin.post(f"/api/v1/users/{admin.user['id']}/deactivate")
    assert r.status_code == 409 and "yourself" in r.json()["error"]["message"]
    manager = await login(server, "manager")
    r = await manager.post(f"/api/v1/users/{admin.user['id']}/deactivate")
    assert r.status_code == 403
    r = await admin.post("/api/v1/users/99999999/deactivate")
    assert r.status_code == 404
    await manager.close()
    await admin.close()


async def test_api_tokens_are_listed_named_and_revoked(server):
    admin = await login(server, "admin")
    user = await login(server)
    other = await login(server)
    token = await new_token(user, label="  CRM   sync ", expires_days=30)
    assert token["label"] == "CRM sync" and token["expires_at"] and len(token["id"]) == 16
    assert token["secret"].startswith("fdt_") and token["id"] not in token["secret"]
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 200
    mine = (await user.http.get("/api/v1/tokens")).json()["tokens"]
    assert [t["id"] for t in mine] == [token["id"]]
    assert mine[0]["last_used_at"] is not None and "secret" not in mine[0]
    # Someone else's tokens: not listed, not revocable (404, as if absent); an admin sees and revokes all.
    assert (await other.http.get("/api/v1/tokens")).json()["tokens"] == []
    assert (await other.http.get("/api/v1/tokens", params={"user_id": user.user["id"]})).status_code == 403
    r = await other.http.delete(f"/api/v1/tokens/{token['id']}", headers={"X-CSRF-Token": other.csrf})
    assert r.status_code == 404
    everyone = (await admin.http.get("/api/v1/tokens")).json()["tokens"]
    assert token["id"] in {t["id"] for t in everyone}
    r = await admin.http.get("/api/v1/tokens", params={"user_id": user.user["id"]})
    assert [t["id"] for t in r.json()["tokens"]] == [token["id"]]
    r = await user.http.delete("/api/v1/tokens/not-an-id", headers={"X-CSRF-Token": user.csrf})
    assert r.status_code == 400 and r.json()["error"]["field"] == "token_id"
    r = await user.post("/api/v1/tokens", json={"expires_days": 0})
    assert r.status_code == 400 and r.json()["error"]["field"] == "expires_days"
    # Revoked: the next request is refused and its socket closes.
    by_token = await token_socket(server, token["secret"])
    r = await admin.http.delete(f"/api/v1/tokens/{token['id']}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    assert await by_token.wait_closed(timeout=3) == REVOKED
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 401
    assert (await user.http.get("/api/v1/tokens")).json()["tokens"] == []
    # Your own: revoked by you, the console session (another credential) stays.
    await user.connect()
    second = await new_token(user)
    r = await user.http.delete(f"/api/v1/tokens/{second['id']}", headers={"X-CSRF-Token": user.csrf})
    assert r.status_code == 200
    assert await still_open(user.socket)
    for client in (admin, user, other):
        await client.close()


async def test_an_expired_token_is_refused_and_its_socket_closed(server):
    user = await login(server)
    token = await new_token(user, expires_days=1)
    by_token = await token_socket(server, token["secret"])
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        async with db.write() as conn:
            await conn.execute(
                update(AuthSession)
                .where(AuthSession.token_hash.startswith(token["id"]))
                .values(expires_at=AuthSession.created_at)
            )
    finally:
        await db.dispose()
    async with bearer(server, token["secret"]) as api:
        assert (await api.get("/api/v1/auth/me")).status_code == 401
    # The jobs (every second) end expired credentials and close their sockets.
    assert await by_token.wait_closed(timeout=10) == REVOKED
    await user.close()


async def test_only_admins_rename_users(server):
    """Item 7: a supervisor (or manager) changes max_chats, never a name; admins may."""
    admin = await login(server, "admin")
    target = await login(server)
    for role in ("supervisor", "manager"):
        lead = await login(server, role)
        r = await lead.http.patch(
            f"/api/v1/users/{admin.user['id']}", json={"name": "Mallory"}, headers={"X-CSRF-Token": lead.csrf}
        )
        assert r.status_code == 403, (role, r.text)
        r = await lead.http.patch(
            f"/api/v1/users/{target.user['id']}",
            json={"name": "Renamed", "max_chats": 4},
            headers={"X-CSRF-Token": lead.csrf},
        )
        assert r.status_code == 403, (role, r.text)
        r = await lead.http.patch(
            f"/api/v1/users/{target.user['id']}", json={"max_chats": 4}, headers={"X-CSRF-Token": lead.csrf}
        )
        assert r.status_code == 200, (role, r.text)
        await lead.close()
    listed = {u["id"]: u for u in (await admin.http.get("/api/v1/users")).json()["users"]}
    assert listed[admin.user["id"]]["name"] != "Mallory" and listed[target.user["id"]]["name"] != "Renamed"
    r = await admin.http.patch(
        f"/api/v1/users/{target.user['id']}", json={"name": "Renamed"}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 200 and r.json()["user"]["name"] == "Renamed"
    await target.close()
    await admin.close()


async def test_a_deleted_visitors_socket_is_closed_with_4001(server):
    """Item 12: deleting a visitor closes their open sockets (after `visitor.forgotten`), so
    nothing answers `internal` afterwards, and the widget starts over on 4001."""
    admin = await login(server, "admin")
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    second_tab = VisitorClient(server.base_url)
    second_tab.token = visitor.token
    await second_tab.connect()
    visitor_id = visitor.visitor["id"]
    started = time.monotonic()
    r = await admin.http.delete(f"/api/v1/visitors/{visitor_id}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    for client in (visitor, second_tab):
        assert await client.socket.wait_closed(timeout=3) == REVOKED
        assert any(f.get("type") == "visitor.forgotten" for f in client.socket.frames)
        assert not any(f.get("code") == "internal" for f in client.socket.frames)
    assert time.monotonic() - started < 3
    await asyncio.gather(visitor.close(), second_tab.close())
    await admin.close()
