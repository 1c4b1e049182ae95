"""Files over HTTP against a real server: uploads from both sides, who may download, the
headers a download carries, refusals, and agents' public photos."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests import files
from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def agent_of(server, role: str = "agent") -> AgentClient:
    email, password = make_agent(server, role)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    return agent


async def chat_with(server) -> tuple[VisitorClient, AgentClient, int]:
    """A visitor whose chat an agent has accepted. The agent is online first: the department takes
    chats only while someone is (an agent left over from an earlier test may have gone offline)."""
    agent = await agent_of(server)
    await agent.connect()
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    sent = await visitor.send("I have a photo of the damage")
    assert "chat_id" in sent, sent
    chat_id = sent["chat_id"]
    r = await agent.post(f"/api/v1/chats/{chat_id}/accept")
    assert r.status_code == 200, r.text
    return visitor, agent, chat_id


async def visitor_upload(server, visitor: VisitorClient, data: bytes, name: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        return await http.post(
            "/api/v1/widget/attachments",
            files={"file": (name, data, "image/png")},
            data={"client_id": new_client_id()},
            headers={"X-Visitor-Token": visitor.token or "", **headers},
        )


async def test_a_visitors_image_reaches_the_agent_and_downloads_safely(server):
    visitor, agent, chat_id = await chat_with(server)
    r = await visitor_upload(server, visitor, files.png(40, 30), "damage.png", Origin="https://shop.example")
    assert r.status_code == 201, r.text
    assert r.headers["access-control-allow-origin"]  # the widget reads the answer cross-origin
    event = r.json()["event"]
    att = event["data"]["attachment"]
    assert (att["type"], att["image"], att["width"], att["height"]) == ("image/png", True, 40, 30)
    # The agent's socket gets it as an event, in seq order with the rest.
    seen = await agent.socket.wait_type("event", chat_id=chat_id, seq=event["seq"])
    assert seen["data"]["attachment"]["id"] == att["id"]

    r = await agent.http.get(f"/api/v1/chats/{chat_id}/attachments/{att['id']}")
    assert r.status_code == 200 and r.content == files.png(40, 30)
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert r.headers["content-disposition"] == "inline; filename=\"damage.png\"; filename*=UTF-8''damage.png"
    assert r.headers["content-length"] == str(len(files.png(40, 30)))

    # The visitor downloads it with their token, and nobody else does.
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        url = f"/api/v1/widget/attachments/{att['id']}"
        mine = await http.get(url, headers={"X-Visitor-Token": visitor.token})
        assert mine.status_code == 200 and mine.content == files.png(40, 30)
        assert (await http.get(url)).status_code == 401
        other = VisitorClient(server.base_url)
        await other.register()
        assert (await http.get(url, headers={"X-Visitor-Token": other.token})).status_code == 404
        assert (await http.get(url, headers={"X-Visitor-Token": visitor.token + "x"})).status_code == 401
        # without an agent's login: nothing
        assert (await http.get(f"/api/v1/chats/{chat_id}/attachments/{att['id']}")).status_code == 401
    await visitor.close()
    await agent.close()


async def test_an_agents_file_reaches_the_visitor_as_an_attachment_download(server):
    visitor, agent, chat_id = await chat_with(server)
    name = "Devis n°7 «vélo».pdf"
    r = await agent.http.post(
        f"/api/v1/chats/{chat_id}/attachments",
        files={"file": (name, files.pdf(), "application/octet-stream")},
        headers={"X-CSRF-Token": agent.csrf},
    )
    assert r.status_code == 201, r.text
    att = r.json()["event"]["data"]["attachment"]
    assert (att["name"], att["type"], att["image"]) == (name, "application/pdf", False)
    seen = await visitor.socket.wait_type("event", kind="message", seq=r.json()["event"]["seq"])
    assert seen["data"]["attachment"] == att and seen["author"]["type"] == "agent"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        got = await http.get(f"/api/v1/widget/attachments/{att['id']}", headers={"X-Visitor-Token": visitor.token})
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"Devis n_7 _v_lo_.pdf\"; filename*=UTF-8''Devis%20n%C2%B07%20%C2%ABv%C3%A9lo%C2%BB.pdf"
    )
    # Text is text/plain, downloaded, never shown as a page.
    r = await agent.http.post(
        f"/api/v1/chats/{chat_id}/attachments",
        files={"file": ("notes.txt", files.TEXT, "text/html")},
        headers={"X-CSRF-Token": agent.csrf},
    )
    got = await agent.http.get(f"/api/v1/chats/{chat_id}/attachments/{r.json()['event']['data']['attachment']['id']}")
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    assert got.headers["content-disposition"].startswith("attachment;")
    # A colleague who does not hold the chat may not send into it; one without CSRF neither.
    colleague = await agent_of(server)
    r = await colleague.http.post(
        f"/api/v1/chats/{chat_id}/attachments",
        files={"file": ("a.pdf", files.pdf(), "application/pdf")},
        headers={"X-CSRF-Token": colleague.csrf},
    )
    assert r.status_code == 403
    r = await agent.http.post(f"/api/v1/chats/{chat_id}/attachments", files={"file": ("a.pdf", files.pdf())})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    await colleague.close()
    await visitor.close()
    await agent.close()


async def test_an_agent_of_another_department_cannot_open_the_file(server):
    visitor, agent, chat_id = await chat_with(server)
    r = await visitor_upload(server, visitor, files.pdf(), "id-card.pdf")
    file_id = r.json()["event"]["data"]["attachment"]["id"]
    admin = await agent_of(server, "admin")
    r = await admin.post("/api/v1/departments", json={"slug": f"wholesale-{chat_id}", "name": "Wholesale"})
    assert r.status_code == 201, r.text
    email, password = f"outsider-{chat_id}@example.com", "pw-outsider-123456"
    server.cli(
        "user", "create", "--email", email, "--name", "Outsider", "--role", "agent",
        "--password", password, "--department", f"wholesale-{chat_id}",
    )  # fmt: skip
    outsider = AgentClient(server.base_url)
    await outsider.login(email, password)
    r = await outsider.http.get(f"/api/v1/chats/{chat_id}/attachments/{file_id}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text  # as the archive answers
    assert (await admin.http.get(f"/api/v1/chats/{chat_id}/attachments/{file_id}")).status_code == 200
    for a in (admin, outsider, agent):
        await a.close()
    await visitor.close()


@pytest.mark.parametrize(
    ("data", "name", "status", "words"),
    [
        (files.HTML, "holiday.png", 400, "HTML page"),
        (files.SVG, "holiday.png", 400, "SVG image"),
        (b"", "empty.png", 400, "is empty"),
    ],
)
async def test_disguised_and_empty_files_are_refused(server, data, name, status, words):
    visitor, agent, chat_id = await chat_with(server)
    before = (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()["last_seq"]
    r = await visitor_upload(server, visitor, data, name)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]["message"] and r.json()["error"]["field"] == "file"
    assert (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()["last_seq"] == before
    await visitor.close()
    await agent.close()


async def test_oversize_uploads_are_refused_without_reading_them(server):
    visitor, agent, chat_id = await chat_with(server)
    limit = 10 * 1024 * 1024
    # Declared too large: answered before a byte of the body is sent.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        (
            "POST /api/v1/widget/attachments HTTP/1.1\r\nHost: x\r\n"
            f"X-Visitor-Token: {visitor.token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {limit * 5}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 413"), head
    writer.close()

    # Streamed without a length: the server stops reading at the limit and answers 413 while
    # the client would go on sending (200 MB that are never produced).
    sent = 0

    async def endless():
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'
        for _ in range(3200):
            sent += 64 * 1024
            yield b"\x00" * (64 * 1024)
            await asyncio.sleep(0)

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        try:
            r = await http.post(
                "/api/v1/widget/attachments",
                content=endless(),
                headers={"X-Visitor-Token": visitor.token, "Content-Type": "multipart/form-data; boundary=b"},
            )
            assert r.status_code == 413, r.text
        except httpx.TransportError:
            pass  # the server may close the connection on a body it will not read
    assert sent < 50 * 1024 * 1024, sent
    assert time.monotonic() - started < 20
    assert (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()["last_message"]["text"] != "📎 big.png"
    await visitor.close()
    await agent.close()


async def test_a_visitor_without_an_open_chat_or_token_cannot_upload(server):
    visitor = VisitorClient(server.base_url)
    await visitor.register()
    r = await visitor_upload(server, visitor, files.png(), "a.png")
    assert r.status_code == 409 and "Start the chat" in r.json()["error"]["message"]
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post("/api/v1/widget/attachments", files={"file": ("a.png", files.png())})
    assert r.status_code == 401


async def test_the_widget_may_send_the_token_header_cross_origin(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.options(
            "/api/v1/widget/attachments",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-visitor-token",
            },
        )
    assert r.status_code == 200
    assert "x-visitor-token" in r.headers["access-control-allow-headers"].lower()


async def test_agents_photo_and_title_are_shown_to_the_visitor_when_they_join(server):
    agent = await agent_of(server)
    r = await agent.http.patch("/api/v1/profile", json={"title": "Bike fitter"}, headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 200 and r.json()["profile"]["title"] == "Bike fitter"
    r = await agent.http.put(
        "/api/v1/profile/avatar", files={"file": ("me.png", files.png(80, 80))}, headers={"X-CSRF-Token": agent.csrf}
    )
    assert r.status_code == 200, r.text
    url = r.json()["profile"]["avatar_url"]
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        photo = await http.get(url)  # public: no login, no token
        assert photo.status_code == 200 and photo.content == files.png(80, 80)
        assert photo.headers["content-type"] == "image/png"
        assert photo.headers["cross-origin-resource-policy"] == "cross-origin"
        assert photo.headers["content-disposition"].startswith("inline;")
        assert (await http.get("/api/v1/avatars/" + "A" * 22)).status_code == 404
    r = await agent.http.put(
        "/api/v1/profile/avatar", files={"file": ("me.png", files.SVG)}, headers={"X-CSRF-Token": agent.csrf}
    )
    assert r.status_code == 400 and "SVG" in r.json()["error"]["message"]

    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("hello"))["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    joined = await visitor.socket.wait_type("event", kind="chat.assigned")
    assert joined["data"]["agent"]["title"] == "Bike fitter" and joined["data"]["agent"]["avatar_url"] == url
    await visitor.close()
    again = VisitorClient(server.base_url)
    again.token = visitor.token
    welcome = await again.connect()
    assert welcome["chat"]["agent"]["avatar_url"] == url
    r = await agent.http.delete("/api/v1/profile/avatar", headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 200 and r.json()["profile"]["avatar_url"] is None
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get(url)).status_code == 404
    await again.close()
    await agent.close()


async def test_an_image_too_large_to_show_is_kept_as_a_download(server):
    """20,000 × 20,000 pixels in a small file: accepted, but never marked for inline display nor
    served inline (a browser would decode it to 1.6 GB); its size is still reported."""
    visitor, agent, chat_id = await chat_with(server)
    data = files.huge_png(20_000, 20_000)
    assert len(data) < 1024 * 1024
    r = await visitor_upload(server, visitor, data, "scan.png")
    assert r.status_code == 201, r.text
    att = r.json()["event"]["data"]["attachment"]
    assert (att["type"], att["image"], att["width"], att["height"]) == ("image/png", False, 20_000, 20_000)
    seen = await agent.socket.wait_type("event", chat_id=chat_id, seq=r.json()["event"]["seq"])
    assert seen["data"]["attachment"]["image"] is False
    got = await agent.http.get(f"/api/v1/chats/{chat_id}/attachments/{att['id']}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        mine = await http.get(f"/api/v1/widget/attachments/{att['id']}", headers={"X-Visitor-Token": visitor.token})
    assert mine.status_code == 200 and mine.headers["content-disposition"].startswith("attachment;")
    # The chat's history says the same to a client that loads it later.
    history = await agent.http.get(f"/api/v1/chats/{chat_id}/messages")
    [stored] = [e for e in history.json()["events"] if (e.get("data") or {}).get("attachment")]
    assert stored["data"]["attachment"]["image"] is False
    await visitor.close()
    await agent.close()
