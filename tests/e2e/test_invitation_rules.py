"""Automatic invitation rules in a real browser (Settings → Invitations, invite_rules.js): an admin
writes a rule whose URL pattern the server refuses (the reason shown at that condition's pattern
input, when testing and when saving), fixes it, runs the simulator on the draft over page views
that two visitors' widgets really sent (the figures and the hourly chart), saves it, and opens the
Invitation report, which shows a manual invitation to one of them. Screenshots at 1366x800 and
390x844."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Page, expect
from websockets.asyncio.client import connect

from tests.accounts import make_agent
from tests.clients import AgentClient, Socket, VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

TRACK = {"languages": ["en-GB", "en"], "screen": "desktop", "dnt": False, "visits": 1, "spa": False}
TOO_MANY_STARS = "/*a*b*c*d*e*f*g*h*i*j*k"  # 11 wildcards: the server allows 10


async def browse(server, url: str, title: str, then: tuple[str, ...] = ()) -> VisitorClient:  # type: ignore[no-untyped-def]
    """A visitor whose widget opens `url` (its hello, with `track`, is that page's view), then
    navigates like a single-page app (`page.view`)."""
    visitor = VisitorClient(server.base_url)
    await visitor.register()
    visitor.socket = Socket(await connect(visitor.ws_url), "visitor")
    page = {"url": url, "title": title, "referrer": "https://www.google.com/"}
    await visitor.socket.send({"type": "hello", "v": 1, "token": visitor.token, "page": page, "track": TRACK})
    visitor.welcome = await visitor.socket.wait_type("welcome")
    for i, next_url in enumerate(then):
        frame = {
            "type": "page.view",
            "url": next_url,
            "title": f"{title} {i + 2}",
            "referrer": url,
            "prev_visible_ms": 4000,
        }
        await visitor.socket.send(frame)
    return visitor


async def wait_for_visits(admin: AgentClient, department_id: int, visits: int) -> dict:
    """Until the simulator sees the visits (page views are written in batches)."""
    body = {
        "department_id": department_id,
        "rule": {"name": "probe", "conditions": [], "action": {"text": "probe"}},
    }
    for _ in range(100):
        r = await admin.post("/api/v1/invitation-rules/simulate", json=body)
        assert r.status_code == 200, r.text
        if r.json()["visits"] >= visits:
            return r.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"the simulator never saw {visits} visits: {r.text}")


async def eventually(read, expected, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    """Until `await read()` equals `expected` (the console saves in the background)."""
    got = None
    for _ in range(int(timeout * 10)):
        got = await read()
        if got == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{got!r} != {expected!r}")


async def open_console(browser, server, email: str, password: str, width: int, height: int, errors: list[str]) -> Page:  # type: ignore[no-untyped-def]
    ctx = await browser.new_context(viewport={"width": width, "height": height})
    page = await ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.base_url}/console/")
    await page.fill("#login-email", email)
    await page.fill("#login-password", password)
    await page.keyboard.press("Enter")
    await expect(page.locator(".sidebar")).to_be_visible()
    return page


async def test_admin_writes_tests_and_saves_a_rule_and_reads_the_report(browser, web_server, shots):
    server = web_server
    email, password = make_agent(server, "admin")
    admin = AgentClient(server.base_url)
    await admin.login(email, password)
    # a fresh server has one department, the default: visits whose page names none count for it
    (dept,) = (await admin.http.get("/api/v1/departments")).json()["departments"]
    before = (await wait_for_visits(admin, dept["id"], 0))["visits"]

    # Two visitors browse the shop: one reaches the pricing pages, one reads about the company.
    pricing = await browse(server, "https://shop.example/pricing", "Pricing", ("https://shop.example/pricing/teams",))
    about = await browse(server, "https://shop.example/about", "About us")
    try:
        await wait_for_visits(admin, dept["id"], before + 2)

        errors: list[str] = []
        page = await open_console(browser, server, email, password, 1366, 800, errors)
        await page.goto(f"{server.base_url}/console/#settings/invitations")
        await expect(page.locator(".rules-card")).to_contain_text("No rules yet")
        await page.select_option("#invite-dept", str(dept["id"]))
        await page.get_by_role("button", name="New rule").click()
        form = page.locator("form.rule-form")
        await expect(form).to_be_visible()
        url_input = form.locator('.cond[data-index="0"] input.cond-value-input')
        await url_input.fill(TOO_MANY_STARS)
        # the time condition of a new draft goes: the test's visitors spent no real time on a page
        await form.get_by_role("button", name=re.compile(r"Remove condition 2")).click()

        # Testing the draft (no name or message needed yet): the server's refusal lands at that
        # condition's pattern, in plain words.
        await form.get_by_role("button", name="Test this rule").click()
        message = form.locator('.cond[data-index="0"] .field-msg')
        await expect(message).to_have_text("At most 10 * wildcards.")
        await expect(url_input).to_have_attribute("aria-invalid", "true")
        await expect(form.locator(".sim-figure")).to_have_count(0)
        # Saving it (now named, with its message): refused the same way, and nothing is saved.
        await page.fill("#rule-name", "Pricing pages")
        await page.fill("#rule-text", "Questions about our plans? We are happy to help.")
        await form.get_by_role("button", name="Create rule").click()
        await expect(message).to_have_text("At most 10 * wildcards.")
        await expect(url_input).to_be_focused()
        await url_input.screenshot(path=str(shots / "e2e-invitation-rule-refused-field.png"))
        await page.screenshot(path=str(shots / "e2e-invitation-rule-refused.png"))
        assert (await admin.http.get(f"/api/v1/invitation-rules?department={dept['id']}")).json()["rules"] == []

        # Fixed: the message goes as soon as the pattern is edited; the simulator replays the visits.
        await url_input.fill("/pricing*")
        await expect(message).to_have_count(0)
        await form.get_by_role("button", name="Test this rule").click()
        figures = form.locator(".sim-figure")
        await expect(figures).to_have_count(4)
        await expect(form.locator('.sim-figure[data-figure="visits"] .sim-value')).to_contain_text(str(before + 2))
        await expect(form.locator('.sim-figure[data-figure="matched"] .sim-value')).to_contain_text("1")
        await expect(form.locator('.sim-figure[data-figure="invitations"] .sim-value')).to_contain_text("1")
        await expect(form.locator('.sim-figure[data-figure="matched"] .sim-def')).to_contain_text(
            "every condition held"
        )
        chart = form.locator(".sim-chart")
        await expect(chart.locator("svg.main-svg").first).to_be_attached(timeout=20_000)  # plotly.js, from this server
        await expect(chart).to_have_attribute("aria-label", re.compile(r"1 invitation in 7 days"))
        await form.locator(".sim-out").scroll_into_view_if_needed()
        await page.screenshot(path=str(shots / "e2e-invitation-rule-simulator.png"))

        await form.get_by_role("button", name="Create rule").click()
        await expect(page.locator(".toast")).to_contain_text("Rule “Pricing pages” created")
        row = page.locator(".rule-row").first
        await expect(row).to_contain_text("Pricing pages")
        await expect(row).to_contain_text("URL matches /pricing*")
        rules = (await admin.http.get(f"/api/v1/invitation-rules?department={dept['id']}")).json()["rules"]
        assert [(r["name"], r["conditions"], r["action"]["text"]) for r in rules] == [
            (
                "Pricing pages",
                [{"field": "url", "op": "matches", "value": "/pricing*"}],
                "Questions about our plans? We are happy to help.",
            )
        ]
        assert rules[0]["caps"] == {"once_per_visit": True, "min_days_between": 0, "quiet_after_chat_min": 30}
        await page.locator(".invite-page").evaluate("el => el.scrollTo(0, 0)")
        await page.screenshot(path=str(shots / "e2e-invitation-rules.png"))

        # The list: a second rule (made over the API) moved to the top, the first paused, then deleted.
        r = await admin.post(
            "/api/v1/invitation-rules",
            json={
                "department_id": dept["id"],
                "name": "Returning visitors",
                "conditions": [{"field": "returning", "op": "is", "value": True}],
                "action": {"text": "Welcome back!"},
            },
        )
        assert r.status_code == 201, r.text
        second = r.json()["rule"]
        await page.reload()
        await expect(page.locator(".rule-row")).to_have_count(2)
        await page.get_by_role("button", name="Move Returning visitors up").click()
        await expect(page.locator(".rule-row").first).to_contain_text("Returning visitors")

        async def listed() -> list[tuple[str, bool]]:
            rules = (await admin.http.get(f"/api/v1/invitation-rules?department={dept['id']}")).json()["rules"]
            return [(x["name"], x["enabled"]) for x in sorted(rules, key=lambda x: x["position"])]

        await eventually(listed, [("Returning visitors", True), ("Pricing pages", True)])
        # dragged back by its grip onto the top half of the first row: before it
        await (
            page.locator(".rule-row").nth(1).drag_to(page.locator(".rule-row").first, target_position={"x": 60, "y": 4})
        )
        await expect(page.locator(".rule-row").first).to_contain_text("Pricing pages")
        await eventually(listed, [("Pricing pages", True), ("Returning visitors", True)])
        await page.get_by_role("checkbox", name="Enabled: Pricing pages").uncheck()
        await expect(page.locator(".rule-row").first).to_contain_text("Paused")
        await eventually(listed, [("Pricing pages", False), ("Returning visitors", True)])
        delete = page.get_by_role("button", name="Delete Returning visitors")
        await delete.click()  # armed: a second click deletes
        await page.locator(f'.rule-row[data-rule="{second["id"]}"] .btn-danger-ghost').click()
        await expect(page.locator(".rule-row")).to_have_count(1)
        await eventually(listed, [("Pricing pages", False)])

        # Tracking, in Settings → Privacy (admins): respect Do-Not-Track, IP addresses shortened.
        await page.goto(f"{server.base_url}/console/#settings/privacy")
        tracking = page.locator("#tracking-settings")
        await expect(tracking.locator("#tracking-on")).to_be_checked()
        await expect(tracking).to_contain_text("Global Privacy Control")
        await tracking.locator("label[for=tracking-respect_dnt]").click()
        await tracking.get_by_role("button", name="Save tracking").click()
        await expect(page.locator(".toast").last).to_contain_text("Visitor tracking: Respect Do-Not-Track")
        saved = (await admin.http.get("/api/v1/settings/tracking")).json()["tracking"]
        assert (saved["mode"], saved["truncate_ip"]) == ("respect_dnt", True)
        await tracking.scroll_into_view_if_needed()
        await page.screenshot(path=str(shots / "e2e-tracking-settings.png"))

        # The report: a manual invitation to the visitor on the pricing page, counted as sent by hand.
        r = await admin.post(
            f"/api/v1/visitors/{pricing.visitor['id']}/invitations",
            json={"text": "Hi! Can I help you choose a plan?", "department_id": dept["id"]},
        )
        assert r.status_code == 201, r.text
        await page.goto(f"{server.base_url}/console/#settings/invitereport")
        report = page.locator(".invite-report")
        await expect(report.locator('.stat[data-stat="sent"] .stat-value')).to_have_text("1")
        by_rule = report.get_by_role("table", name="By rule")
        await expect(by_rule).to_contain_text("No rule: by hand, or a deleted rule")
        await expect(report.get_by_role("table", name="By agent")).to_contain_text(admin.user["name"])
        await expect(report.locator(".report-chart svg.main-svg").first).to_be_attached(timeout=20_000)
        await page.screenshot(path=str(shots / "e2e-invitation-report.png"))
        assert errors == []

        # A phone: the same pages fit 390 px.
        phone = await open_console(browser, server, email, password, 390, 844, errors)
        await phone.goto(f"{server.base_url}/console/#settings/invitations")
        await expect(phone.locator(".rule-row")).to_have_count(1)
        width = await phone.evaluate("document.querySelector('.invite-page').scrollWidth")
        assert width <= 390, width
        await phone.screenshot(path=str(shots / "e2e-invitation-rules-phone.png"))
        await phone.locator(".rule-main").first.click()
        await phone.get_by_role("button", name="Test this rule").click()
        await expect(phone.locator(".sim-chart svg.main-svg").first).to_be_attached(timeout=20_000)
        await phone.locator(".sim-out").scroll_into_view_if_needed()
        await phone.screenshot(path=str(shots / "e2e-invitation-rule-simulator-phone.png"))
        await phone.goto(f"{server.base_url}/console/#settings/invitereport")
        await expect(phone.locator('.invite-report .stat[data-stat="sent"] .stat-value')).to_have_text("1")
        await phone.screenshot(path=str(shots / "e2e-invitation-report-phone.png"))
        assert errors == []
        await phone.context.close()
        await page.context.close()

        # A supervisor sees the rules of their own department only.
        r = await admin.post("/api/v1/departments", json={"slug": "sales", "name": "Sales"})
        assert r.status_code == 201, r.text
        sup_email, sup_password = make_agent(server, "supervisor", departments=["sales"])
        lead = await open_console(browser, server, sup_email, sup_password, 1366, 800, errors)
        await lead.goto(f"{server.base_url}/console/#settings/invitations")
        await expect(lead.locator(".rules-card")).to_contain_text("No rules yet")
        assert await lead.locator("#invite-dept option").all_text_contents() == ["Sales"]
        assert errors == []
        await lead.context.close()
    finally:
        await pricing.close()
        await about.close()
        await admin.close()
