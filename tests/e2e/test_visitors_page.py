"""The console's Visitors page in a real browser (docs/architecture/frontend.md, visitors.md):
a visitor with the widget browses a shop on another origin and shows up live in an admin's
Visitors page with the page they are on; the admin sorts and filters (on the server), opens the
visitor's journey and invites them with a canned response, which the visitor's widget shows; an
invitation to a visitor who has just left is refused in plain words. Everything the visitor's
browser sent (titles, URLs) is drawn as text. Screenshots at 1366x800 and 390x844."""

from __future__ import annotations

import html

import pytest
from playwright.async_api import expect

from tests.accounts import login, make_agent
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")

XSS_TITLE = '<img src=x onerror="window.__xss=1">'


def page_titled(widget_src: str, title: str, body: str) -> str:
    """The shop page with its own <title> (escaped here: the browser's document.title is the raw text)."""
    return shop_page(widget_src, f"<p>{body}</p>").replace(
        "<title>Acme Bikes</title>", f"<title>{html.escape(title)}</title>"
    )


async def test_visitors_page_live_sort_filter_journey_invite(browser, web_server, shop, shots):
    server = web_server
    admin_api = await login(server, "admin")
    r = await admin_api.post(
        "/api/v1/canned",
        json={
            "title": "Pricing help",
            "shortcut": "pricehelp",
            "body": "Questions about our prices? Ask me!",
            "scope": "global",
        },
    )
    assert r.status_code == 201, r.text
    email, password = make_agent(server, "admin")

    widget = f"{server.base_url}/widget.js"
    home = shop.write("index.html", page_titled(widget, "Acme Bikes", "Home"))
    pricing = shop.write("pricing.html", page_titled(widget, "Pricing — Acme Bikes", "Our prices"))
    odd = shop.write("odd.html", page_titled(widget, XSS_TITLE, "A page with a hostile title"))

    errors: list[str] = []
    ctx = await browser.new_context(viewport={"width": 1366, "height": 800})
    console = await ctx.new_page()
    console.on("pageerror", lambda e: errors.append(str(e)))
    await console.goto(f"{server.base_url}/console/")
    await console.fill("#login-email", email)
    await console.fill("#login-password", password)
    await console.press("#login-password", "Enter")
    await wait_until_online(server.base_url)
    await console.get_by_role("button", name="Visitors", exact=True).click()
    await expect(console.get_by_role("heading", name="Visitors")).to_be_visible()

    # Visitor A: two pages (full loads); visitor B: one page with a hostile title.
    a_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    a = await a_ctx.new_page()
    a.on("pageerror", lambda e: errors.append(str(e)))
    rows = console.locator("tr.vis-row")
    await a.goto(home)
    await expect(rows.filter(has_text="Acme Bikes")).to_be_visible(timeout=15_000)  # live: no reload
    await a.goto(pricing)
    b_ctx = await browser.new_context(viewport={"width": 390, "height": 844})
    b = await b_ctx.new_page()
    await b.goto(odd)

    row_a = rows.filter(has_text="Pricing — Acme Bikes")
    row_b = rows.filter(has_text=XSS_TITLE)
    await expect(row_a).to_be_visible(timeout=15_000)
    await expect(row_b).to_be_visible(timeout=15_000)
    await expect(row_a.locator("td[data-label='Pages']")).to_have_text("2")
    await expect(row_a).to_contain_text("/pricing.html")
    await expect(row_a).to_contain_text("First visit")
    await expect(console.locator(".vis-counter-online strong")).to_have_text("2")

    # Sorted by the server: most pages first, then fewest.
    pages_header = console.locator("th[data-sort='pages']")
    await pages_header.get_by_role("button").click()
    await expect(pages_header).to_have_attribute("aria-sort", "descending")
    await expect(rows.first).to_contain_text("Pricing — Acme Bikes")
    await pages_header.get_by_role("button").click()
    await expect(pages_header).to_have_attribute("aria-sort", "ascending")
    await expect(rows.first).to_contain_text(XSS_TITLE)

    # Filtered by the server: URL contains.
    url_filter = console.get_by_label("Page URL contains")
    await url_filter.fill("pricing")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Pricing — Acme Bikes")
    await url_filter.fill("no-such-page")
    await expect(rows).to_have_count(0)
    await expect(console.get_by_text("No visitor on the site matches these filters.")).to_be_visible()
    await console.get_by_role("button", name="Clear").click()
    await expect(rows).to_have_count(2)
    await console.screenshot(path=str(shots / "visitors-1366.png"))

    # A's journey: this visit's two pages, in order.
    await row_a.click()
    journey = console.get_by_role("complementary", name="Visitor journey")
    await expect(journey.get_by_role("heading", name="This visit · 2 pages")).to_be_visible(timeout=10_000)
    titles = journey.locator(".vis-pages-title")
    await expect(titles).to_have_text(["Acme Bikes", "Pricing — Acme Bikes"])
    await expect(journey).to_contain_text("None: this is their first visit.")

    # Invite A with the canned response; the widget on A's page shows it, the row says Invited.
    await journey.get_by_role("button", name="Invite to chat").click()
    await journey.get_by_label("Search canned responses").fill("pricehelp")
    await journey.get_by_role("option", name="Pricing help").click()
    await journey.get_by_role("button", name="Send invitation").click()
    await expect(journey.get_by_text("Invitation sent.", exact=False)).to_be_visible(timeout=10_000)
    await expect(a.get_by_text("Questions about our prices? Ask me!")).to_be_visible(timeout=10_000)
    await expect(row_a).to_contain_text("Invited", timeout=10_000)
    await console.screenshot(path=str(shots / "visitors-journey-1366.png"))

    # B leaves while the admin writes to them: a clear refusal.
    await row_b.click()
    await expect(journey.get_by_role("heading", name="This visit · 1 page")).to_be_visible(timeout=10_000)
    await expect(journey.locator(".vis-pages-title")).to_have_text([XSS_TITLE])
    await journey.get_by_role("button", name="Invite to chat").click()
    await journey.get_by_label("Invitation message").fill("Hello! Need a hand?")
    await b_ctx.close()
    await expect(row_b).to_have_count(0, timeout=15_000)  # gone from the live view
    await journey.get_by_role("button", name="Send invitation").click()
    await expect(journey.locator(".vis-invite .field-msg")).to_have_text(
        "This visitor has left the site.", timeout=10_000
    )

    # A answers the invitation: a chat with the admin who invited them, shown live in the row.
    await a.get_by_label("Reply", exact=True).fill("Yes: which bike for a 10 km commute?")
    await a.get_by_label("Send reply").click()
    await expect(row_a).to_contain_text("Chatting with", timeout=15_000)

    # Phones: the page takes the screen, rows are cards.
    await console.set_viewport_size({"width": 390, "height": 844})
    await journey.get_by_role("button", name="Close the journey").click()
    await expect(row_a).to_be_visible()
    await console.screenshot(path=str(shots / "visitors-390.png"))
    await row_a.click()
    await expect(journey.get_by_role("heading", name="This visit · 2 pages")).to_be_visible(timeout=10_000)
    await console.screenshot(path=str(shots / "visitors-journey-390.png"))

    # The agent in the chat: its details panel shows the visitor's pages this visit.
    await console.set_viewport_size({"width": 1366, "height": 800})
    await console.get_by_role("button", name="Back to chats").click()
    await console.locator("button.item", has_text="which bike").click()
    details = console.get_by_role("complementary", name="Conversation details")
    await expect(details.get_by_role("heading", name="This visit · 2 pages")).to_be_visible(timeout=10_000)
    await expect(details.locator(".vis-pages-title")).to_have_text(["Acme Bikes", "Pricing — Acme Bikes"])
    await expect(details.get_by_role("heading", name="Location and device")).to_be_visible()
    await console.screenshot(path=str(shots / "visitors-chat-details-1366.png"))

    assert await console.evaluate("window.__xss") is None
    assert not errors, errors
    await a_ctx.close()
    await ctx.close()
    await admin_api.close()


async def test_the_visitors_button_shows_for_greeters_only(browser, web_server):
    server = web_server
    admin_api = await login(server, "admin")
    email, password = make_agent(server, "agent")
    users = (await admin_api.http.get("/api/v1/users")).json()["users"]
    agent_id = next(u["id"] for u in users if u.get("email") == email)

    ctx = await browser.new_context(viewport={"width": 1366, "height": 800})
    console = await ctx.new_page()
    await console.goto(f"{server.base_url}/console/")
    await console.fill("#login-email", email)
    await console.fill("#login-password", password)
    await console.press("#login-password", "Enter")
    await expect(console.get_by_label("Your availability")).to_be_visible(timeout=15_000)
    visitors = console.get_by_role("button", name="Visitors", exact=True)
    await expect(visitors).to_be_hidden()
    await console.goto(f"{server.base_url}/console/#visitors")  # a typed address: refused in words
    await expect(
        console.get_by_text("Only admins, managers, supervisors and greeters can see the visitors.")
    ).to_be_visible()

    r = await admin_api.http.patch(
        f"/api/v1/users/{agent_id}", json={"greeter": True}, headers={"X-CSRF-Token": admin_api.csrf or ""}
    )
    assert r.status_code == 200, r.text
    await console.reload()
    await expect(visitors).to_be_visible(timeout=15_000)
    await visitors.click()
    await expect(console.get_by_text("Who is on the site now — live")).to_be_visible(timeout=10_000)
    await ctx.close()
    await admin_api.close()
