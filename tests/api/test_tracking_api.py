"""Tracking through a real server (uvicorn, real sockets, both databases): the hello's page is a
visit's first page view, with the country of the address a trusted proxy forwards and the device
of the User-Agent; `page.view` / `page.time`; floods limited without closing the socket; bad
frames named; the tracking settings API and the widget's config; Do-Not-Track honoured."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from frontdesk.store.db import Database
from frontdesk.store.models import PageView, Visit
from tests.accounts import login
from tests.clients import Socket

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


async def put(client, body: dict) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.http.put("/api/v1/settings/tracking", json=body, headers={"X-CSRF-Token": client.csrf})


async def new_token(server) -> str:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as http:
        r = await http.post(server.base_url + "/api/v1/widget/visitors", json={})
        assert r.status_code == 201, r.text
        return r.json()["visitor_token"]


async def open_socket(server, token: str, page: dict[str, Any], *, track: dict | None = None, **headers: str) -> Socket:  # type: ignore[no-untyped-def]
    """A visitor socket as the widget opens it, from behind a proxy at 127.0.0.1 (trusted)."""
    ws = await connect(
        server.ws_url + "/api/v1/widget/ws",
        additional_headers={"X-Forwarded-For": "81.2.69.160", "User-Agent": CHROME_ANDROID, **headers},
    )
    socket = Socket(ws, "visitor")
    hello: dict[str, Any] = {"type": "hello", "v": 1, "token": token, "page": page}
    if track is not None:
        hello["track"] = track
    await socket.send(hello)
    await socket.wait_type("welcome")
    return socket


async def stored(server, visitor_token: str) -> tuple[list[Any], list[Any]]:  # type: ignore[no-untyped-def]
    """(visits, page views) of the visitor whose token this is, read from the server's database."""
    from frontdesk.security.tokens import verify_visitor_token

    visitor_id = verify_visitor_token(visitor_token, b"test-secret")
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        async with db.read() as conn:
            visits = (await conn.execute(select(Visit).where(Visit.visitor_id == visitor_id))).all()
            views = (
                await conn.execute(select(PageView).where(PageView.visitor_id == visitor_id).order_by(PageView.id))
            ).all()
        return list(visits), list(views)
    finally:
        await db.dispose()


async def eventually(server, token: str, views: int, timeout: float = 5.0) -> tuple[list[Any], list[Any]]:  # type: ignore[no-untyped-def]
    """The rows once `views` page views are stored (they are written in batches every 250 ms)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await stored(server, token)
        if len(found[1]) >= views or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_a_page_load_and_a_spa_navigation_are_stored_with_country_and_device(server):
    token = await new_token(server)
    socket = await open_socket(
        server,
        token,
        {"url": "https://shop.test/", "title": "Shop", "referrer": "https://search.test/?q=shoes"},
        track={"languages": ["en-GB"], "screen": "phone", "dnt": False, "visits": 1, "spa": False},
    )
    try:
        await socket.send(
            {"type": "page.view", "url": "https://shop.test/pricing", "title": "Pricing", "prev_visible_ms": 2500}
        )
        await socket.send({"type": "page.time", "visible_ms": 1200})
        visits, views = await eventually(server, token, 2)
        [visit] = visits
        assert (visit.number, visit.country, visit.device, visit.browser, visit.os) == (
            1,
            "GB",
            "phone",
            "Chrome",
            "Android",
        )
        assert (visit.ip, visit.language, visit.screen) == ("81.2.69.0", "en-GB", "phone")
        assert visit.referrer == "https://search.test/?q=shoes" and visit.left_at is None
        assert [(v.url, v.visible_ms) for v in views] == [
            ("https://shop.test/", 2500),
            ("https://shop.test/pricing", None),
        ]
    finally:
        await socket.close()
    for _ in range(50):  # the close is written with the next batch
        [visit], views = await stored(server, token)
        if visit.left_at is not None:
            break
        await asyncio.sleep(0.1)
    assert visit.left_at is not None and visit.pages == 2 and views[-1].visible_ms == 1200


async def test_bad_frames_are_named_and_floods_limited_without_closing_the_socket(server):
    token = await new_token(server)
    socket = await open_socket(server, token, {"url": "https://shop.test/"}, track={"screen": "desktop"})
    try:
        await socket.send({"type": "page.view", "url": 42, "ref": "bad"})
        error = await socket.wait_type("error")
        assert (error["code"], error["field"]) == ("bad_request", "url")
        await socket.send({"type": "page.time", "visible_ms": "long"})
        error = await socket.wait_for(lambda f: f.get("type") == "error" and f.get("field") == "visible_ms")
        assert error["code"] == "bad_request"
        for i in range(60):
            await socket.send({"type": "page.view", "url": f"https://shop.test/p/{i}", "title": "x" * 1000})
        limited = await socket.wait_for(lambda f: f.get("type") == "error" and f.get("code") == "rate_limited")
        assert limited["retry_after"] > 0
        await socket.send({"type": "ping"})
        await socket.wait_type("pong")  # still open
        _visits, views = await eventually(server, token, 30)
        assert 25 <= len(views) <= 35  # the burst allowance, not the flood
        assert all(len(v.title) == 300 for v in views[1:])  # cut silently, never refused
    finally:
        await socket.close()


async def test_tracking_settings_api_and_do_not_track(server):
    admin, manager = await login(server, "admin"), await login(server, "manager")
    try:
        r = await admin.http.get("/api/v1/settings/tracking")
        assert r.status_code == 200 and r.json() == {"tracking": {"mode": "on", "truncate_ip": True}}
        for body, field in (({"mode": "sometimes"}, "mode"), ({"truncate_ip": "yes"}, "truncate_ip"), ({"x": 1}, "x")):
            r = await put(admin, body)
            assert r.status_code == 400 and r.json()["error"]["field"] == field, r.text
        r = await put(manager, {"mode": "off"})
        assert r.status_code == 403
        assert (await manager.http.get("/api/v1/settings/tracking")).status_code == 403
        r = await put(admin, {"mode": "respect_dnt"})
        assert r.status_code == 200 and r.json()["tracking"]["mode"] == "respect_dnt"
        async with httpx.AsyncClient() as http:
            config = (await http.get(server.base_url + "/api/v1/widget/config")).json()
        assert config["tracking"] == "respect_dnt"
        audit = (await admin.http.get("/api/v1/audit", params={"action": "tracking.update"})).json()["entries"]
        assert audit[0]["details"]["changed"]["mode"] == {"from": "on", "to": "respect_dnt"}

        # A browser that sends DNT: no visit, and its page views are refused.
        token = await new_token(server)
        socket = await open_socket(server, token, {"url": "https://shop.test/"}, track={"screen": "desktop"}, DNT="1")
        try:
            await socket.send({"type": "page.view", "url": "https://shop.test/next"})
            error = await socket.wait_type("error")
            assert error["code"] == "forbidden"
            await asyncio.sleep(0.6)  # two batches
            assert await stored(server, token) == ([], [])
        finally:
            await socket.close()
    finally:
        r = await put(admin, {"mode": "on"})
        assert r.status_code == 200
        await admin.close()
        await manager.close()
