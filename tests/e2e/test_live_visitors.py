"""Issue 13's "Done when", in real browsers against one real server (docs/architecture/visitors.md).

A visitor on another origin (the shop fixture) browses three pages, the third by `pushState`, and
appears in a manager's live view (the console's Visitors page) with those pages, their country (from
the public address a trusted proxy put in `X-Forwarded-For`) and their device (from the user agent).
An automatic rule made through the API ("pricing page, 5 s") invites them, not before those 5 s;
they answer the invitation's bubble and chat with the agent the rule names. The manager invites a
second visitor from the live view; that visitor dismisses it, and the outcome is recorded (the
invitation report, over the API). The rule simulator counts the stored visits. Last, on a
`respect_dnt` site, a browser sending Do-Not-Track / Global Privacy Control sends no page view at
all, while one without them on the same page is seen.

The proxy: `frontdesk serve` runs uvicorn with proxy_headers, trusting `X-Forwarded-For` from its
loopback peer, as from nginx on the same host. Each visitor's widget is loaded through a small
forwarding proxy of this module (ForwardingProxy: what deploy/nginx.conf does) that sets the
header to that visitor's public address on every request, the widget's WebSocket handshake
included. The browser itself cannot send it: Playwright's extra_http_headers would add it to the
widget's cross-origin fetches too, whose CORS preflight the server rightly refuses for that header.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from tests.accounts import login, make_agent
from tests.clients import AgentClient
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Public addresses with a known country in geoip2fast's bundled data (the server stores them
# truncated to /24, which keeps the country).
GERMANY = "193.99.144.80"
UNITED_KINGDOM = "81.2.69.142"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
# What a browser with Do-Not-Track and Global Privacy Control switched on shows a page (headless
# Chromium has no switch for either; the widget reads these two properties).
DNT_SCRIPT = """
Object.defineProperty(Navigator.prototype, "doNotTrack", {get: () => "1"});
Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: () => true});
"""
XSS_TITLE = '<img src=x onerror="window.__xss=1">'
RULE_TEXT = "Comparing plans? I can help you choose."
MANUAL_TEXT = "Hello from the team! Looking for a bike?"
QUESTION = "Yes: is the Commuter 3 plan monthly?"
ANSWER = "It is: monthly, cancel any time."


def titled(widget_src: str, title: str, body: str = "", script: str = "") -> str:
    """The shop page with its own <title> (escaped: document.title is the raw text)."""
    return shop_page(widget_src, f"<p>{body}</p>{script}").replace(
        "<title>Acme Bikes</title>", f"<title>{html.escape(title)}</title>"
    )


class Frames:
    """The widget sockets a page opened and the frames it sent and received."""

    def __init__(self, page: Page) -> None:
        self.sockets: list[str] = []
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        self.sockets.append(ws.url)
        ws.on("framesent", lambda payload: self.sent.append(_json(payload)))
        ws.on("framereceived", lambda payload: self.received.append(_json(payload)))

    def of(self, kind: str, sent: bool = True) -> list[dict[str, Any]]:
        return [f for f in (self.sent if sent else self.received) if f.get("type") == kind]


def _json(payload: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def console_login(browser: Browser, base: str, email: str, password: str, errors: list[str]) -> Page:
    ctx = await browser.new_context(viewport={"width": 1366, "height": 800})
    page = await ctx.new_page()
    page.on("pageerror", lambda e: errors.append(f"console: {e}"))
    await page.goto(f"{base}/console/")
    await page.fill("#login-email", email)
    await page.fill("#login-password", password)
    await page.press("#login-password", "Enter")
    await expect(page.get_by_label("Your availability")).to_be_visible(timeout=15_000)  # signed in
    return page


class ForwardingProxy:
    """A reverse proxy on 127.0.0.1 in front of the server, as nginx is: each request is passed
    on with `X-Forwarded-For: <address>` (any such header from the client dropped), and
    `Connection: close` unless it is a WebSocket upgrade, so that every request on a connection
    is one this proxy rewrote. Bytes after the request head (bodies, WebSocket frames) are
    passed through untouched, both ways."""

    def __init__(self, upstream_port: int, address: str) -> None:
        self.upstream_port = upstream_port
        self.address = address.encode()
        self.server: asyncio.Server | None = None
        self.base_url = ""
        self.requests = 0

    async def __aenter__(self) -> ForwardingProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    def _head(self, head: bytes) -> bytes:
        lines = head.split(b"\r\n")
        out, upgrade = [lines[0]], False
        for line in lines[1:]:
            name = line.split(b":", 1)[0].strip().lower()
            if not line or name in (b"x-forwarded-for", b"x-real-ip", b"forwarded"):
                continue
            if name == b"connection":
                upgrade = b"upgrade" in line.lower()
                if not upgrade:
                    continue
            out.append(line)
        out.append(b"X-Forwarded-For: " + self.address)
        if not upgrade:
            out.append(b"Connection: close")
        return b"\r\n".join(out) + b"\r\n\r\n"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            upstream.write(self._head(head[:-4]))
            await asyncio.wait(
                [asyncio.create_task(_pipe(reader, upstream)), asyncio.create_task(_pipe(up_reader, writer))],
                return_when=asyncio.FIRST_COMPLETED,
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass


async def poll(fetch, check, timeout: float = 15.0, what: str = "") -> Any:  # type: ignore[no-untyped-def]
    """fetch() again until check(value) holds; the last value in the failure message."""
    value = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await fetch()
        if check(value):
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what or 'condition'} not reached; last: {value}")


async def live(client: AgentClient, **query: str) -> dict[str, Any]:
    r = await client.http.get("/api/v1/visitors/live", params=query)
    assert r.status_code == 200, r.text
    return r.json()


async def report(client: AgentClient) -> dict[str, Any]:
    r = await client.http.get("/api/v1/reports/invitations")
    assert r.status_code == 200, r.text
    return r.json()


@pytest_asyncio.fixture(loop_scope="session")
async def proxies(web_server):  # type: ignore[no-untyped-def]
    """Trusted proxies for a visitor in Germany and one in the United Kingdom."""
    async with (
        ForwardingProxy(web_server.port, GERMANY) as germany,
        ForwardingProxy(web_server.port, UNITED_KINGDOM) as united_kingdom,
    ):
        yield germany, united_kingdom


async def test_live_visitors_invitations_simulator_and_dnt(browser, web_server, shop, shots, proxies):
    base = web_server.base_url
    germany, united_kingdom = proxies
    widget_de, widget_uk = f"{germany.base_url}/widget.js", f"{united_kingdom.base_url}/widget.js"
    errors: list[str] = []

    admin = await login(web_server, "admin")
    general = [d for d in (await admin.http.get("/api/v1/departments")).json()["departments"] if d["slug"] == "general"]
    dept_id = general[0]["id"]
    ann_email, ann_password = make_agent(web_server, "agent")
    ann = AgentClient(base)
    await ann.login(ann_email, ann_password)
    assert ann.user is not None
    ann_id, ann_name = ann.user["id"], ann.user["name"]
    mia_email, mia_password = make_agent(web_server, "manager")
    mia = await login_as(web_server, mia_email, mia_password)
    assert mia.user is not None
    mia_name = mia.user["name"]

    # The automatic rule, through the API: the pricing page, after 5 s on it, as Ann.
    rule_body = {
        "department_id": dept_id,
        "name": "Pricing page, 5 s",
        "enabled": True,
        "conditions": [
            {"field": "url", "op": "matches", "value": "/pricing*"},
            {"field": "time_on_page", "op": "gte", "value": 5},
        ],
        "gates": {"accepting": True, "free_slot": False, "max_wait_s": None},
        "action": {"text": RULE_TEXT, "as": "agent", "agent_id": ann_id, "delay_s": 0},
        "caps": {"once_per_visit": True, "min_days_between": 0, "quiet_after_chat_min": 30},
    }
    r = await admin.post("/api/v1/invitation-rules", json=rule_body)
    assert r.status_code == 201, r.text
    rule_id = r.json()["rule"]["id"]

    # The shop: a home page, a bikes page whose "Plans" link is a single-page-app navigation.
    home = shop.write("index.html", titled(widget_de, "Acme Bikes", "Home"))
    to_pricing = (
        "<script>function plans() { document.title = 'Pricing — Acme Bikes'; "
        "history.pushState({}, '', '/pricing'); }</script>"
        '<a href="#" id="plans" onclick="plans(); return false;">Plans</a>'
    )
    bikes = shop.write("bikes.html", titled(widget_de, "City bikes — Acme Bikes", "Bikes", to_pricing))
    odd = shop.write("odd.html", titled(widget_uk, XSS_TITLE, "A page with a hostile title"))

    # Ann takes chats; Mia (a manager) watches the Visitors page.
    ann_page = await console_login(browser, base, ann_email, ann_password, errors)
    await wait_until_online(base)
    mia_page = await console_login(browser, base, mia_email, mia_password, errors)
    await mia_page.get_by_role("button", name="Visitors", exact=True).click()
    await expect(mia_page.get_by_role("heading", name="Visitors")).to_be_visible()
    rows = mia_page.locator("tr.vis-row")

    # Visitor A: an Android phone in Germany. Two full page loads, then pushState.
    a_ctx = await browser.new_context(viewport={"width": 412, "height": 860}, user_agent=ANDROID_CHROME)
    a = await a_ctx.new_page()
    a.on("pageerror", lambda e: errors.append(f"visitor A: {e}"))
    a_frames = Frames(a)
    await a.goto(home)
    await expect(rows.filter(has_text="Acme Bikes")).to_be_visible(timeout=15_000)  # live, no reload
    await a.goto(bikes)
    await expect(rows.filter(has_text="City bikes — Acme Bikes")).to_be_visible(timeout=15_000)
    await a.click("#plans")
    pushed_at = time.monotonic()
    row_a = rows.filter(has_text="Pricing — Acme Bikes")
    await expect(row_a).to_be_visible(timeout=15_000)
    assert a.url == f"{shop.url}/pricing"
    assert len(a_frames.of("hello")) == 2 and len(a_frames.of("page.view")) == 1, a_frames.sent

    # The live view: three pages, their country and device.
    await expect(row_a.locator("td[data-label='Pages']")).to_have_text("3")
    await expect(row_a).to_contain_text("Germany")
    await expect(row_a).to_contain_text("phone")
    found = await live(mia, url="/pricing")
    assert found["total"] == 1, found
    va = found["items"][0]
    assert (va["country"], va["device"], va["os"], va["pages"]) == ("DE", "phone", "Android", 3), va
    assert va["page"]["url"] == f"{shop.url}/pricing" and va["page"]["title"] == "Pricing — Acme Bikes"
    visitor_a = va["visitor_id"]
    # Their journey, in the console: this visit's three pages in order.
    await row_a.click()
    journey = mia_page.get_by_role("complementary", name="Visitor journey")
    await expect(journey.get_by_role("heading", name="This visit · 3 pages")).to_be_visible(timeout=10_000)
    await expect(journey.locator(".vis-pages-title")).to_have_text(
        ["Acme Bikes", "City bikes — Acme Bikes", "Pricing — Acme Bikes"]
    )
    await expect(journey).to_contain_text("Germany")
    await journey.get_by_role("button", name="Close the journey").click()
    await mia_page.screenshot(path=str(shots / "live-visitors-a.png"))

    # The rule fires after 5 s on the pricing page (not before): a bubble as Ann.
    bubble = a.get_by_label(f"Message from {ann_name}")
    await expect(bubble).to_be_visible(timeout=30_000)
    assert time.monotonic() - pushed_at >= 4.9, "the rule fired before 5 s on the page"
    await expect(bubble).to_contain_text(RULE_TEXT)
    await expect(row_a).to_contain_text("Invited", timeout=10_000)
    (invitation,) = a_frames.of("invitation", sent=False)
    assert invitation["invitation"]["agent"]["name"] == ann_name
    await a.screenshot(path=str(shots / "live-visitors-bubble.png"))

    # A answers the bubble: a chat from the invitation, with Ann, who answers.
    await a.get_by_label("Reply", exact=True).fill(QUESTION)
    await a.get_by_label("Send reply").click()
    chat_button = ann_page.get_by_role("button", name=re.compile(r"^Visitor #")).first
    await expect(chat_button).to_be_visible(timeout=15_000)
    await chat_button.click()
    log = ann_page.get_by_role("log")
    await expect(log.get_by_text(QUESTION)).to_be_visible(timeout=10_000)
    await expect(log.get_by_text(RULE_TEXT)).to_be_visible()  # the invitation opens the transcript
    accept = ann_page.get_by_role("button", name="Accept")
    if await accept.count():  # queued (Ann had no room) rather than assigned to her
        await accept.first.click()
    reply = ann_page.get_by_label("Reply")
    await expect(reply).to_be_enabled(timeout=10_000)
    await reply.fill(ANSWER)
    await reply.press("Enter")
    await expect(a.get_by_text(ANSWER)).to_be_visible(timeout=10_000)
    await expect(row_a).to_contain_text("Chatting", timeout=10_000)
    await expect(row_a).to_contain_text(ann_name)
    journey_a = (await mia.http.get(f"/api/v1/visitors/{visitor_a}/journey")).json()
    (chat_a,) = journey_a["chats"]
    assert chat_a["invitation_id"] == invitation["invitation"]["id"], chat_a
    assert chat_a["agent"] is not None and chat_a["agent"]["id"] == ann_id, chat_a
    pages = sorted(journey_a["visits"][0]["pages"], key=lambda p: p["id"])
    assert [p["url"] for p in pages] == [home, bikes, f"{shop.url}/pricing"]
    await ann_page.screenshot(path=str(shots / "live-visitors-chat.png"))

    # Visitor B (a desktop in the UK, on a page with a hostile title): Mia invites them from
    # the live view; B dismisses the bubble; the outcome is recorded.
    b_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    b = await b_ctx.new_page()
    b.on("pageerror", lambda e: errors.append(f"visitor B: {e}"))
    b_frames = Frames(b)
    await b.goto(odd)
    row_b = rows.filter(has_text=XSS_TITLE)
    await expect(row_b).to_be_visible(timeout=15_000)
    await expect(row_b).to_contain_text("United Kingdom")
    await row_b.get_by_role("button", name=re.compile(r"^Invite ")).click()
    await journey.get_by_label("Invitation message").fill(MANUAL_TEXT)
    await journey.get_by_role("button", name="Send invitation").click()
    await expect(journey.get_by_text("Invitation sent.", exact=False)).to_be_visible(timeout=10_000)
    bubble_b = b.get_by_label(f"Message from {mia_name}")
    await expect(bubble_b).to_contain_text(MANUAL_TEXT, timeout=10_000)
    await expect(row_b).to_contain_text("Invited", timeout=10_000)
    await bubble_b.get_by_role("button", name="Dismiss").click()
    await expect(bubble_b).to_be_hidden()
    assert len(b_frames.of("invitation.dismiss")) == 1
    await expect(row_b.get_by_role("button", name=re.compile(r"^Invite "))).to_be_visible(timeout=10_000)

    def manual_dismissed(rep: dict[str, Any]) -> bool:
        manual = [x for x in rep["rules"] if x["rule_id"] is None]
        return bool(manual) and manual[0]["dismissed"] == 1

    rep = await poll(lambda: report(admin), manual_dismissed, what="the dismissed manual invitation in the report")
    (manual,) = [x for x in rep["rules"] if x["rule_id"] is None]
    assert (manual["sent"], manual["accepted"], manual["dismissed"]) == (1, 0, 1), manual
    (by_rule,) = [x for x in rep["rules"] if x["rule_id"] == rule_id]
    assert (by_rule["sent"], by_rule["accepted"], by_rule["dismissed"]) == (1, 1, 0), by_rule
    (mia_row,) = [x for x in rep["agents"] if x["name"] == mia_name]
    assert mia_row["dismissed"] == 1 and mia_row["accepted"] == 0, mia_row
    await mia_page.screenshot(path=str(shots / "live-visitors-b.png"))

    # A reads on until the widget has reported their visible time on the pricing page (page.time,
    # every 15 s while visible), then leaves for another site; B closes the tab. The live view
    # empties.
    await poll(lambda: asyncio.sleep(0, a_frames.of("page.time")), bool, timeout=25, what="a page.time frame")
    await a.goto("about:blank")
    await a_ctx.close()
    await b_ctx.close()
    await expect(rows).to_have_count(0, timeout=20_000)

    # The simulator's counts over the stored page views: A's visit matches the pricing rule
    # (A stayed on the page well over 5 s), B's does not; one invitation, in one hour.
    async def simulate(conditions: list[dict[str, Any]]) -> dict[str, Any]:
        draft = {**{k: v for k, v in rule_body.items() if k != "department_id"}, "conditions": conditions}
        r = await admin.post("/api/v1/invitation-rules/simulate", json={"department_id": dept_id, "rule": draft})
        assert r.status_code == 200, r.text
        return r.json()

    sim = await poll(
        lambda: simulate(rule_body["conditions"]),
        lambda s: s["matched_visits"] == 1,
        what=f"the simulator matching A's visit (stored: "
        f"{(await mia.http.get(f'/api/v1/visitors/{visitor_a}/journey')).json()['visits']})",
    )
    assert (sim["days"], sim["visits"], sim["matched_visits"], sim["invitations"]) == (7, 2, 1, 1), sim
    assert len(sim["per_hour"]) == 24 and sim["peak_per_hour"] == 1 and sum(sim["per_hour"]) > 0, sim
    everyone = await simulate([{"field": "pages", "op": "gte", "value": 1}])
    assert (everyone["matched_visits"], everyone["invitations"]) == (2, 2), everyone
    nobody = await simulate([{"field": "url", "op": "matches", "value": "/checkout*"}])
    assert (nobody["matched_visits"], nobody["invitations"]) == (0, 0), nobody

    # respect_dnt: a DNT/GPC browser sends nothing; one without them on the same page is seen.
    r = await admin.http.put(
        "/api/v1/settings/tracking",
        json={"mode": "respect_dnt", "truncate_ip": True},
        headers={"X-CSRF-Token": admin.csrf or ""},
    )
    assert r.status_code == 200, r.text
    quiet = shop.write("quiet.html", titled(widget_uk, "Quiet page — Acme Bikes", "Shh"))
    d_ctx = await browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers={"DNT": "1", "Sec-GPC": "1"}
    )
    await d_ctx.add_init_script(DNT_SCRIPT)
    d = await d_ctx.new_page()
    d_frames = Frames(d)
    await d.goto(quiet)
    await expect(d.get_by_label("Open chat")).to_be_visible(timeout=10_000)  # the widget is there
    await d.evaluate("history.pushState({}, '', '/quiet-2')")
    await d.wait_for_timeout(2_000)
    assert d_frames.sockets == [] and d_frames.sent == [], d_frames.sent
    assert (await live(admin, url="quiet"))["total"] == 0
    e_ctx = await browser.new_context()
    e = await e_ctx.new_page()
    await e.goto(quiet)
    seen = await poll(lambda: live(admin, url="quiet"), lambda x: x["total"] == 1, what="the non-DNT visitor")
    assert seen["items"][0]["country"] == "GB"
    await expect(rows.filter(has_text="Quiet page — Acme Bikes")).to_have_count(1, timeout=15_000)
    assert d_frames.sockets == []
    await d_ctx.close()
    await e_ctx.close()

    # Visitor-controlled text was drawn as text everywhere.
    assert await mia_page.evaluate("window.__xss") is None
    assert await ann_page.evaluate("window.__xss") is None
    assert not errors, errors
    r = await admin.http.put(
        "/api/v1/settings/tracking",
        json={"mode": "on", "truncate_ip": True},
        headers={"X-CSRF-Token": admin.csrf or ""},
    )
    assert r.status_code == 200, r.text
    for client in (admin, ann, mia):
        await client.close()
    await mia_page.context.close()
    await ann_page.context.close()


async def login_as(server, email: str, password: str) -> AgentClient:  # type: ignore[no-untyped-def]
    client = AgentClient(server.base_url)
    await client.login(email, password)
    return client
