"""The widget's tracking in a real browser: page views from a shop on another origin, DNT and
consent honoured before anything is sent, and the invitation bubble (docs/architecture/visitors.md)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, WebSocket, expect

from tests.accounts import login
from tests.clients import AgentClient
from tests.conftest import ServerProcess
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")

# What a browser with "Send a Do Not Track request" / Global Privacy Control switched on shows a
# page. Headless Chromium has no command-line switch for either, so the test sets both the
# request headers and the navigator properties the widget reads.
DNT_SCRIPT = """
Object.defineProperty(Navigator.prototype, "doNotTrack", {get: () => "1"});
Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: () => true});
"""

# The page keeps the sockets it opens, so a test can drop the widget's connection.
KEEP_SOCKETS = """
window.__sockets = [];
window.WebSocket = class extends WebSocket {
  constructor(...args) { super(...args); window.__sockets.push(this); }
};
"""


class Watched:
    """A page whose widget sockets and frames are recorded: what the browser really sent."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sockets: list[WebSocket] = []
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.errors: list[str] = []
        page.on("websocket", self._socket)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _socket(self, ws: WebSocket) -> None:
        self.sockets.append(ws)
        ws.on("framesent", lambda payload: self.sent.append(_frame(payload)))
        ws.on("framereceived", lambda payload: self.received.append(_frame(payload)))

    def sent_of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.sent if f.get("type") == kind]

    async def wait_sent(self, kind: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        for _ in range(int(timeout * 20)):
            if len(self.sent_of(kind)) >= count:
                return self.sent_of(kind)
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"{len(self.sent_of(kind))} {kind} frames sent, not {count}: {self.sent}; received {self.received}"
        )

    async def visitor_id(self) -> str:
        for _ in range(200):
            for frame in self.received:
                if frame.get("type") == "welcome":
                    return frame["visitor"]["id"]
            await asyncio.sleep(0.05)
        raise AssertionError("no welcome")


def _frame(payload: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def stored_page_views(server: ServerProcess, url_prefix: str) -> list[tuple[str, str, str | None, str]]:
    """(url, title, referrer, visitor_id) of the page views the server stored for one shop."""
    db = sqlite3.connect(f"file:{server.data_dir / 'frontdesk.db'}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT url, title, referrer, visitor_id FROM page_views WHERE url LIKE ? ORDER BY id",
            (url_prefix + "%",),
        ).fetchall()
    finally:
        db.close()


async def wait_stored(server: ServerProcess, url_prefix: str, count: int, timeout: float = 10) -> list[tuple]:
    rows: list[tuple] = []
    for _ in range(int(timeout * 10)):
        rows = stored_page_views(server, url_prefix)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"the server stored {rows}, expected {count} page views")


async def invitation_outcome(
    server: ServerProcess, invitation_id: int, expected: str, timeout: float = 10
) -> str | None:
    outcome = None
    for _ in range(int(timeout * 10)):
        db = sqlite3.connect(f"file:{server.data_dir / 'frontdesk.db'}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT outcome FROM invitations WHERE id = ?", (invitation_id,)).fetchone()
        finally:
            db.close()
        outcome = row[0] if row else None
        if outcome == expected:
            break
        await asyncio.sleep(0.1)
    return outcome


async def set_tracking(admin: AgentClient, mode: str) -> None:
    r = await admin.http.put(
        "/api/v1/settings/tracking", json={"mode": mode}, headers={"X-CSRF-Token": admin.csrf or ""}
    )
    assert r.status_code == 200, r.text


async def new_visitor(
    browser: Browser, width: int = 1280, height: int = 800, dnt: bool = False
) -> tuple[BrowserContext, Watched]:
    ctx = await browser.new_context(
        viewport={"width": width, "height": height},
        extra_http_headers={"DNT": "1", "Sec-GPC": "1"} if dnt else {},
    )
    if dnt:
        await ctx.add_init_script(DNT_SCRIPT)
    await ctx.add_init_script(KEEP_SOCKETS)
    return ctx, Watched(await ctx.new_page())


@pytest_asyncio.fixture(loop_scope="session")
async def admin(web_server):
    client = await login(web_server, "admin")
    yield client
    await set_tracking(client, "on")  # the module's server is shared: leave the default behind
    await client.close()


async def test_a_page_view_and_a_pushstate_navigation_reach_the_server(browser, web_server, shop, admin):
    await set_tracking(admin, "on")
    home = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))
    ctx, visitor = await new_visitor(browser)
    await visitor.page.goto(home + "?from=newsletter")

    # Chat never opened: the widget connects at load and the hello is the page view.
    (hello,) = await visitor.wait_sent("hello")
    assert hello["page"]["url"] == home + "?from=newsletter"
    assert hello["page"]["title"] == "Acme Bikes"
    assert hello["track"]["screen"] in ("phone", "tablet", "desktop")
    assert hello["track"]["languages"] and hello["track"]["dnt"] is False

    # A single-page-app navigation: one page.view, with the previous page's visible time.
    await visitor.page.evaluate("history.pushState({}, '', '/pricing'); document.title = 'Pricing - Acme Bikes'")
    (view,) = await visitor.wait_sent("page.view")
    assert view["url"] == shop.url + "/pricing"
    assert view["title"] == "Pricing - Acme Bikes"
    assert view["referrer"] == home + "?from=newsletter"
    assert view["prev_visible_ms"] > 0
    # An anchor on the same page is not a page view.
    await visitor.page.evaluate("history.pushState({}, '', '/pricing#plans')")
    await visitor.page.wait_for_timeout(600)
    assert len(visitor.sent_of("page.view")) == 1

    rows = await wait_stored(web_server, shop.url, 2)
    assert [(url, title) for url, title, _, _ in rows] == [
        (home + "?from=newsletter", "Acme Bikes"),
        (shop.url + "/pricing", "Pricing - Acme Bikes"),
    ]
    assert rows[0][3] == rows[1][3] == await visitor.visitor_id()

    # The connection drops and comes back on the same page: no second page view of it.
    await visitor.page.evaluate("window.__sockets.at(-1).close()")
    hellos = await visitor.wait_sent("hello", 2)
    assert "page" not in hellos[1] and hellos[1]["track"]
    # It drops again and the visitor navigates meanwhile: that hello carries the new page.
    await visitor.page.evaluate("window.__sockets.at(-1).close(); history.pushState({}, '', '/pricing/teams')")
    hellos = await visitor.wait_sent("hello", 3)
    assert hellos[2]["page"]["url"] == shop.url + "/pricing/teams"
    rows = await wait_stored(web_server, shop.url, 3)
    assert [url for url, *_ in rows] == [home + "?from=newsletter", shop.url + "/pricing", shop.url + "/pricing/teams"]
    assert len(visitor.sent_of("page.view")) == 1
    assert not [f for f in visitor.received if f.get("type") == "error"], visitor.received
    assert not visitor.errors, visitor.errors
    await ctx.close()


async def test_respect_dnt_sends_nothing_for_a_dnt_browser(browser, web_server, shop, admin):
    page_url = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))
    await set_tracking(admin, "respect_dnt")
    ctx, visitor = await new_visitor(browser, dnt=True)
    await visitor.page.goto(page_url)
    await visitor.page.evaluate("history.pushState({}, '', '/pricing')")
    await visitor.page.wait_for_timeout(2000)
    # No socket at all, so no hello, no page view: the widget behaves as before tracking.
    assert visitor.sockets == [] and visitor.sent == []
    assert stored_page_views(web_server, shop.url) == []
    assert await visitor.page.evaluate("localStorage.getItem('frontdesk:visitor_token')") is None
    # The same browser can still chat when it wants to.
    await visitor.page.get_by_label("Open chat").click()
    await expect(visitor.page.locator("frontdesk-widget .win")).to_be_visible()
    await ctx.close()

    # A browser without DNT on the same site is tracked (the check above can fail).
    ctx, other = await new_visitor(browser)
    await other.page.goto(page_url)
    assert (await other.wait_sent("hello"))[0]["track"]["dnt"] is False
    await wait_stored(web_server, shop.url, 1)
    await ctx.close()


async def test_consent_mode_sends_nothing_until_the_page_consents(browser, web_server, shop, admin):
    page_url = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))
    await set_tracking(admin, "consent")
    ctx, visitor = await new_visitor(browser)
    await visitor.page.goto(page_url)
    await visitor.page.wait_for_timeout(2000)
    assert visitor.sockets == [] and stored_page_views(web_server, shop.url) == []

    # The site's consent banner says yes: the widget connects; the hello is this page's view.
    await visitor.page.evaluate("Frontdesk.consent(true)")
    (hello,) = await visitor.wait_sent("hello")
    assert hello["page"]["url"] == page_url and hello["track"]["consent"] is True
    await visitor.page.evaluate("history.pushState({}, '', '/cart')")
    await visitor.wait_sent("page.view")
    await wait_stored(web_server, shop.url, 2)

    # Remembered on the next page load, before any call.
    await visitor.page.goto(page_url + "?again")
    await visitor.wait_sent("hello", 2)
    await wait_stored(web_server, shop.url, 3)

    # consent(false): the tracking socket closes and nothing more is sent.
    await visitor.page.evaluate("Frontdesk.consent(false)")
    await visitor.page.wait_for_timeout(300)
    assert visitor.sockets[-1].is_closed()
    await visitor.page.evaluate("history.pushState({}, '', '/checkout')")
    await visitor.page.wait_for_timeout(1000)
    assert len(visitor.sent_of("page.view")) == 1
    assert [url for url, *_ in stored_page_views(web_server, shop.url)][-1] == page_url + "?again"
    await ctx.close()


async def test_the_invitation_bubble_on_a_phone_and_a_laptop(browser, web_server, shop, admin, shots):
    await set_tracking(admin, "on")
    page_url = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))
    manager = await login(web_server, "manager")
    await manager.connect()  # someone online: the department takes chats
    await wait_until_online(web_server.base_url)
    name = (manager.user or {})["name"]
    text = "Hi! Looking at our pricing? I can help you pick the right plan — just reply here."

    async def invite(visitor: Watched, text: str, count: int = 1) -> dict[str, Any]:
        r = await manager.post(f"/api/v1/visitors/{await visitor.visitor_id()}/invitations", json={"text": text})
        assert r.status_code == 201, r.text
        bubble = visitor.page.get_by_role("dialog", name="Message from " + name)
        await expect(bubble).to_be_visible(timeout=10_000)
        await expect(bubble.get_by_text(text)).to_be_visible()
        return (await visitor.wait_sent("invitation.shown", count))[-1]

    async def invited(width: int, height: int) -> tuple[BrowserContext, Watched, dict[str, Any]]:
        ctx, visitor = await new_visitor(browser, width, height)
        await visitor.page.goto(page_url)
        return ctx, visitor, await invite(visitor, text)

    # A phone: the visitor dismisses it, and the server records it.
    ctx, phone, shown = await invited(390, 844)
    await phone.page.screenshot(path=str(shots / "widget-invitation-390.png"))
    await phone.page.get_by_role("button", name="Dismiss").click()
    await expect(phone.page.get_by_role("dialog", name="Message from " + name)).to_be_hidden()
    (dismissed,) = await phone.wait_sent("invitation.dismiss")
    assert dismissed["invitation_id"] == shown["invitation_id"]
    assert await invitation_outcome(web_server, shown["invitation_id"], "dismissed") == "dismissed"
    # Markup in an invitation is shown as text, never run.
    markup = 'Our <b>new</b> plans <img src=x onerror="window.__xss=1">'
    await invite(phone, markup, 2)
    assert await phone.page.evaluate("window.__xss") is None
    assert not phone.errors, phone.errors
    await ctx.close()

    # A laptop: the visitor answers; the chat opens with the invitation and the reply.
    ctx, laptop, shown = await invited(1280, 800)
    await laptop.page.screenshot(path=str(shots / "widget-invitation-1280.png"))
    await laptop.page.get_by_role("textbox", name="Reply").fill("Yes please, we are 12 people.")
    await laptop.page.get_by_role("button", name="Send reply").click()
    (message,) = await laptop.wait_sent("message.send")
    assert message["invitation_id"] == shown["invitation_id"]
    log = laptop.page.get_by_role("log")
    await expect(log.get_by_text("Yes please, we are 12 people.")).to_be_visible(timeout=10_000)
    await expect(log.get_by_text(text)).to_be_visible(timeout=10_000)
    await laptop.page.screenshot(path=str(shots / "widget-invitation-accepted-1280.png"))
    assert await invitation_outcome(web_server, shown["invitation_id"], "accepted") == "accepted"
    assert not laptop.errors, laptop.errors
    await ctx.close()
    await manager.close()


# The page's visibility, switched by the test the way a browser switches tabs.
VISIBILITY = """
window.__hidden = false;
Object.defineProperty(Document.prototype, "hidden", {get: () => window.__hidden});
Object.defineProperty(Document.prototype, "visibilityState", {get: () => (window.__hidden ? "hidden" : "visible")});
window.__show = (shown) => { window.__hidden = !shown; document.dispatchEvent(new Event("visibilitychange")); };
"""


async def test_visible_time_counts_only_while_the_page_is_visible(browser, web_server, shop, admin):
    await set_tracking(admin, "on")
    page_url = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))
    ctx, visitor = await new_visitor(browser)
    await ctx.add_init_script(VISIBILITY)
    await visitor.page.goto(page_url)
    await visitor.visitor_id()  # connected
    await visitor.page.wait_for_timeout(500)

    # Hidden (another tab): the visible time so far goes out at once, then nothing while hidden.
    await visitor.page.evaluate("window.__show(false)")
    (time_frame,) = await visitor.wait_sent("page.time")
    visible_before = time_frame["visible_ms"]
    assert 300 <= visible_before < 10_000
    await visitor.page.wait_for_timeout(4000)
    assert len(visitor.sent_of("page.time")) == 1

    # Shown again for a moment, then an SPA navigation: the previous page's visible time leaves
    # out the 4 s it was hidden.
    await visitor.page.evaluate("window.__show(true)")
    await visitor.page.wait_for_timeout(500)
    await visitor.page.evaluate("history.pushState({}, '', '/pricing')")
    (view,) = await visitor.wait_sent("page.view")
    assert visible_before + 500 <= view["prev_visible_ms"] < visible_before + 3000

    # Hidden again a second after the navigation (the tab closing, say): the new page's visible
    # time still goes out at once, though the last report is under 15 s old.
    await visitor.page.wait_for_timeout(1000)
    await visitor.page.evaluate("window.__show(false)")
    times = await visitor.wait_sent("page.time", count=2, timeout=3)
    assert 800 <= times[1]["visible_ms"] < 5000, times
    assert not visitor.errors, visitor.errors
    await ctx.close()
