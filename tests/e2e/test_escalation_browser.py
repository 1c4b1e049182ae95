"""The operator's desk in real browsers: a level-1 agent escalates a chat with a reason and a
level-2 agent (another browser context) is offered it and sees the reason and the history,
while the visitor's widget says a specialist is coming and never shows the reason; the agent
sees the visitor's draft (sneak peek); tags; several chats at once (the reply-wait highlight,
Alt+1…9, the "?" help)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.accounts import make_agent
from tests.clients import AgentClient
from tests.e2e.conftest import shop_page_with, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")

DETAIL = "Refund above my limit, needs approval"
DRAFT = "my card number ends in 4242"


async def api_login(server, role: str) -> AgentClient:
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    client.email, client.password = email, password  # type: ignore[attr-defined]
    return client


async def console_for(browser, server, who: AgentClient):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    page = await ctx.new_page()
    await page.goto(f"{server.base_url}/console/")
    await page.fill("#login-email", who.email)  # type: ignore[attr-defined]
    await page.fill("#login-password", who.password)  # type: ignore[attr-defined]
    await page.press("#login-password", "Enter")
    await expect(page.get_by_role("heading", name="Waiting")).to_be_visible(timeout=10_000)
    return ctx, page


async def department(admin: AgentClient, slug: str, members: dict[AgentClient, int], **fields) -> dict:
    r = await admin.post("/api/v1/departments", json={"slug": slug, "name": slug.title(), "routing": "auto", **fields})
    assert r.status_code == 201, r.text
    dept = r.json()["department"]
    r = await admin.http.put(
        f"/api/v1/departments/{dept['id']}/members",
        json={"members": [{"user_id": c.user["id"], "level": lv} for c, lv in members.items()]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    return dept


async def visitor_starts(browser, url: str, name: str, question: str):
    ctx = await browser.new_context(viewport={"width": 1100, "height": 760})
    page = await ctx.new_page()
    await page.goto(url)
    await page.get_by_label("Open chat").click()
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("How can we help?").fill(question)
    await page.get_by_role("button", name="Start chat").click()
    return ctx, page


async def test_escalation_reaches_the_level_two_agent_with_its_reason(browser, web_server, shop, shots):
    server = web_server
    admin = await api_login(server, "admin")
    ann = await api_login(server, "agent")
    sam = await api_login(server, "agent")
    support = await department(admin, "support", {ann: 1, sam: 2})
    r = await admin.post("/api/v1/tags", json={"name": "Refund", "colour": "#d97706"})
    assert r.status_code == 201, r.text
    url = shop.write("support.html", shop_page_with(f"{server.base_url}/widget.js", 'data-department="support"'))

    # Ann (level 1) is on duty; the visitor's chat is offered to her and she answers.
    ann_ctx, ann_page = await console_for(browser, server, ann)
    await wait_until_online(server.base_url, "support")
    visitor_ctx, visitor = await visitor_starts(browser, url, "Mia", "I was charged twice for order 5521")
    offers = ann_page.get_by_role("region", name="Chats offered to you")
    await expect(offers.get_by_text("Mia")).to_be_visible(timeout=10_000)
    await offers.get_by_role("button", name="Accept").click()
    await expect(visitor.get_by_text(re.compile("joined the chat"))).to_be_visible(timeout=10_000)
    composer = ann_page.get_by_role("textbox", name="Reply")
    await composer.fill("Let me check that for you.")
    await composer.press("Enter")
    await expect(visitor.get_by_text("Let me check that for you.")).to_be_visible(timeout=10_000)

    # Sneak peek: the visitor types without sending; Ann sees the draft, greyed.
    await visitor.get_by_role("textbox", name="Message").press_sequentially(DRAFT, delay=25)
    peek = ann_page.locator(".peek-text")
    await expect(peek).to_have_text(DRAFT, timeout=10_000)
    await ann_page.screenshot(path=str(shots / "desk-1-sneak-peek.png"))
    await visitor.get_by_role("textbox", name="Message").fill("")

    # Sam (level 2) opens the console; Ann escalates with a reason.
    sam_ctx, sam_page = await console_for(browser, server, sam)
    await ann_page.get_by_role("button", name="Escalate").click()
    dialog = ann_page.get_by_role("dialog")
    await dialog.get_by_role("radio", name="Billing, refund or account decision").check()
    await dialog.get_by_label(re.compile("^Detail")).fill(DETAIL)
    await ann_page.screenshot(path=str(shots / "desk-2-escalate-dialog.png"))
    await dialog.get_by_role("button", name="Escalate").click()
    await expect(ann_page.get_by_text(re.compile("Escalated to level 2"))).to_be_visible(timeout=10_000)

    # The visitor is told, and never sees the reason.
    await expect(visitor.get_by_text("We're connecting you with a specialist")).to_be_visible(timeout=10_000)
    await visitor.screenshot(path=str(shots / "desk-3-visitor-specialist.png"))

    # Sam is offered it, takes it, and has the history and the reason.
    sam_offers = sam_page.get_by_role("region", name="Chats offered to you")
    await expect(sam_offers.get_by_text("Mia")).to_be_visible(timeout=10_000)
    await sam_page.screenshot(path=str(shots / "desk-4-specialist-offer.png"))
    await sam_offers.get_by_role("button", name="Accept").click()
    thread = sam_page.get_by_role("log")
    await expect(thread.get_by_text("I was charged twice for order 5521")).to_be_visible(timeout=10_000)
    await expect(thread.get_by_text("Let me check that for you.")).to_be_visible()
    await expect(thread.get_by_text(re.compile(DETAIL))).to_be_visible()
    await expect(thread.get_by_text("Escalation reason · only agents see this")).to_be_visible()
    await expect(visitor.get_by_text(re.compile("joined the chat")).last).to_be_visible(timeout=10_000)

    # Sam tags the chat from its details; the tag shows in the list too.
    await sam_page.get_by_label("Add a tag").select_option(label="Refund")
    details = sam_page.get_by_role("complementary", name="Conversation details")
    await expect(details.locator(".tag", has_text="Refund")).to_be_visible(timeout=10_000)
    await expect(sam_page.locator(".item .tag", has_text="Refund")).to_be_visible(timeout=10_000)
    await sam_page.screenshot(path=str(shots / "desk-5-specialist-has-it.png"))

    # Nothing agents-only ever reached the widget.
    html = await visitor.content()
    widget_text = await visitor.evaluate("document.querySelector('frontdesk-widget').shadowRoot.textContent")
    for secret in (DETAIL, "Billing, refund", "Refund", "Escalation reason"):
        assert secret not in html and secret not in widget_text, secret
    await visitor.screenshot(path=str(shots / "desk-6-visitor-after.png"))

    # An admin manages tags, reads the escalations report and sets the desk of a department.
    admin_ctx, admin_page = await console_for(browser, server, admin)
    await admin_page.goto(f"{server.base_url}/console/#settings/tags")
    await admin_page.get_by_label("New tag").fill("VIP")
    await admin_page.get_by_role("button", name="Add tag").click()
    await expect(admin_page.locator(".tag-admin-row .tag", has_text="VIP")).to_be_visible(timeout=10_000)
    await expect(admin_page.locator(".tag-admin-row", has_text="Refund").get_by_text("1 chat")).to_be_visible()
    await admin_page.screenshot(path=str(shots / "desk-9-settings-tags.png"))
    await admin_page.get_by_role("tab", name="Escalations").click()
    report = admin_page.locator(".esc-table")
    await expect(report.locator("tr", has_text="Billing, refund or account decision")).to_contain_text(
        "1", timeout=10_000
    )
    await admin_page.screenshot(path=str(shots / "desk-10-settings-escalations.png"))
    await admin_page.goto(f"{server.base_url}/console/#settings/departments/{support['id']}")
    peek_switch = admin_page.get_by_role("checkbox", name=re.compile("Sneak peek"))
    await expect(peek_switch).to_be_checked(timeout=10_000)
    await peek_switch.uncheck()
    await admin_page.get_by_role("button", name="Save changes").click()
    await expect(admin_page.get_by_text("Unsaved changes")).to_be_hidden(timeout=10_000)
    r = await admin.http.get("/api/v1/departments")
    assert next(d for d in r.json()["departments"] if d["slug"] == "support")["sneak_peek"] is False
    # The editor is drawn again when the department list reloads after the save: wait for the
    # saved state, then scroll in one step (a scroll that waits for a stable element can lose it).
    await expect(peek_switch).not_to_be_checked(timeout=10_000)
    await admin_page.get_by_role("heading", name="The desk").evaluate("el => el.scrollIntoView({block: 'start'})")
    await admin_page.screenshot(path=str(shots / "desk-11-department-desk.png"))

    for c in (visitor_ctx, ann_ctx, sam_ctx, admin_ctx):
        await c.close()
    for client in (admin, ann, sam):
        await client.close()


async def test_several_chats_at_once(browser, web_server, shop, shots):
    server = web_server
    admin = await api_login(server, "admin")
    lea = await api_login(server, "agent")
    await department(admin, "desk", {lea: 1}, reply_alert_seconds=10)
    url = shop.write("desk.html", shop_page_with(f"{server.base_url}/widget.js", 'data-department="desk"'))
    ctx, page = await console_for(browser, server, lea)
    await wait_until_online(server.base_url, "desk")
    visitors = []
    offers = page.get_by_role("region", name="Chats offered to you")
    for name in ("Noah", "Olivia"):
        vctx, v = await visitor_starts(browser, url, name, f"Hello, {name} here")
        visitors.append((vctx, v))
        await expect(offers.get_by_text(name, exact=True)).to_be_visible(timeout=10_000)
        await offers.get_by_role("button", name="Accept").click()
        await expect(v.get_by_text(re.compile("joined the chat"))).to_be_visible(timeout=10_000)

    mine = page.locator(".side-section", has=page.get_by_role("heading", name="My chats"))
    items = mine.locator(".item")
    await expect(items).to_have_count(2)
    # Both visitors wait for an answer: the clock shows, and after 10 s (the department's alert)
    # the chats turn red.
    await expect(mine.locator(".reply-wait")).to_have_count(2)
    await expect(mine.locator(".item.overdue")).to_have_count(2, timeout=15_000)
    await page.screenshot(path=str(shots / "desk-7-overdue.png"))

    # Alt+1 / Alt+2 open the first and second of My chats; answering one clears its alert.
    first_name = (await items.nth(0).locator(".item-name").inner_text()).strip()
    second_name = (await items.nth(1).locator(".item-name").inner_text()).strip()
    await page.keyboard.press("Alt+2")
    await expect(page.locator(".conv-name")).to_have_text(second_name)
    await page.keyboard.press("Alt+1")
    await expect(page.locator(".conv-name")).to_have_text(first_name)
    composer = page.get_by_role("textbox", name="Reply")
    await composer.fill("Thanks for waiting!")
    await composer.press("Enter")
    await expect(mine.locator(".item.overdue")).to_have_count(1, timeout=10_000)

    # "?" (outside a text field) shows the shortcuts.
    await page.locator(".thread").click()
    await page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(help_dialog).to_be_visible()
    await expect(help_dialog.get_by_text("Open the first to ninth of My chats")).to_be_visible()
    await page.wait_for_timeout(300)  # the dialog's fade-in
    await page.screenshot(path=str(shots / "desk-8-shortcuts.png"))
    await page.keyboard.press("Escape")
    await expect(help_dialog).to_be_hidden()

    for vctx, _v in visitors:
        await vctx.close()
    await ctx.close()
    for client in (admin, lea):
        await client.close()
