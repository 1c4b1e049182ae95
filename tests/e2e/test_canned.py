"""Canned responses in real browsers: an agent with two chats open at once answers one with a
`#shortcut` that fills the visitor's name (the visitor sees the name, never braces), makes a
personal response in Settings, and in the other chat — a scripted department where she is a
first-level agent — is refused a free-text reply (the reason shown in the composer, her draft
kept) and answers with a canned response instead."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from frontdesk.domain.canned import SCRIPTED_MESSAGE
from tests.accounts import make_agent
from tests.clients import AgentClient
from tests.e2e.conftest import shop_page_with, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def api_login(server, role: str) -> AgentClient:
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    client.email, client.password = email, password  # type: ignore[attr-defined]
    return client


async def test_two_chats_shortcut_fills_name_and_scripted_refusal(browser, web_server, shop, shots):
    server = web_server
    admin = await api_login(server, "admin")
    ada = await api_login(server, "agent")
    depts = {}
    for slug, name, scripted in (("support", "Support", False), ("sales", "Sales", True)):
        r = await admin.post(
            "/api/v1/departments", json={"slug": slug, "name": name, "routing": "pick", "scripted": scripted}
        )
        assert r.status_code == 201, r.text
        depts[slug] = r.json()["department"]
        r = await admin.http.put(
            f"/api/v1/departments/{depts[slug]['id']}/members",
            json={"members": [{"user_id": ada.user["id"], "level": 1}]},
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert r.status_code == 200, r.text
    r = await admin.post(
        "/api/v1/canned",
        json={
            "title": "Welcome",
            "shortcut": "welcome",
            "body": "Hi {{visitor.name}}, I'm {{agent.name}} from {{department.name}}. How can I help?",
            "fallbacks": {"visitor.name": "there"},
            "scope": "global",
        },
    )
    assert r.status_code == 201, r.text
    r = await admin.post(
        "/api/v1/canned",
        json={
            "title": "Price list",
            "shortcut": "prices",
            "body": "{{visitor.name}}, our current prices are on acme.example/prices.",
            "scope": "department",
            "department_id": depts["sales"]["id"],
        },
    )
    assert r.status_code == 201, r.text

    widget = f"{server.base_url}/widget.js"
    support_url = shop.write("support.html", shop_page_with(widget, 'data-department="support"'))
    sales_url = shop.write("sales.html", shop_page_with(widget, 'data-department="sales"'))

    errors: list[str] = []
    agent_ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append(str(e)))
    await console.goto(f"{server.base_url}/console/")
    await console.fill("#login-email", ada.email)
    await console.fill("#login-password", ada.password)
    await console.press("#login-password", "Enter")
    await wait_until_online(server.base_url, "support")

    async def visitor_starts(url: str, name: str, question: str):
        ctx = await browser.new_context(viewport={"width": 1000, "height": 760})
        page = await ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(url)
        await page.get_by_label("Open chat").click()
        await page.get_by_label("Your name").fill(name)
        await page.get_by_label("How can we help?").fill(question)
        await page.get_by_role("button", name="Start chat").click()
        return ctx, page

    maria_ctx, maria = await visitor_starts(support_url, "Maria", "My order has not arrived.")
    noah_ctx, noah = await visitor_starts(sales_url, "Noah", "Do you sell tandem bikes?")

    # Ada accepts both: two chats open at once.
    for name in ("Maria", "Noah"):
        entry = console.get_by_role("button", name=re.compile(f"^{name}")).first
        await expect(entry).to_be_visible(timeout=10_000)
        await entry.click()
        await console.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
        await expect(console.get_by_label("Reply")).to_be_enabled(timeout=10_000)

    # In Maria's chat: "#wel" opens the picker, the preview already has her name; Enter inserts.
    await console.get_by_role("button", name=re.compile("^Maria")).first.click()
    reply = console.get_by_label("Reply")
    await expect(reply).to_have_attribute("placeholder", re.compile("Maria"))
    await reply.press_sequentially("#wel")
    picker = console.get_by_role("listbox", name="Canned responses")
    expected = "Hi Maria, I'm " + ada.user["name"] + " from Support. How can I help?"
    await expect(picker.get_by_role("option").first).to_contain_text("#welcome")
    await expect(picker.get_by_role("option").first).to_contain_text(expected)
    await expect(picker.get_by_text("#prices")).to_have_count(0)  # a Sales response: not in Support
    await console.screenshot(path=str(shots / "canned-1-picker.png"))
    await reply.press("Enter")
    await expect(reply).to_have_value(expected)
    await expect(picker).to_be_hidden()
    await reply.press("Enter")
    await expect(maria.get_by_text(expected)).to_be_visible(timeout=10_000)
    assert "{{" not in await maria.content()
    await maria.screenshot(path=str(shots / "canned-2-visitor-sees-name.png"))
    chats = (await ada.http.get("/api/v1/chats", params={"status": "active", "mine": "true"})).json()["chats"]
    maria_chat = next(c for c in chats if c["visitor"]["name"] == "Maria")
    stored = (await ada.http.get(f"/api/v1/chats/{maria_chat['id']}/messages")).json()["events"]
    sent = [e for e in stored if e["text"] == expected]
    assert sent and sent[0]["data"]["canned_id"], stored

    # Ada makes a personal response in Settings (agents manage their own there).
    await console.get_by_role("button", name="Settings").click()
    await console.get_by_role("button", name="New response").click()
    await console.get_by_role("textbox", name="Title").fill("Checking")
    await console.get_by_role("textbox", name="Shortcut").fill("#check")
    await console.get_by_label("Text", exact=True).fill(
        "One moment {{visitor.name}}, I'm checking for {{visitor.age}}."
    )
    await console.get_by_role("button", name="Create response").click()
    await expect(console.get_by_text("Unknown variable {{visitor.age}}")).to_be_visible()
    await console.get_by_label("Text", exact=True).fill("One moment {{visitor.name}}, I'm checking that for you.")
    await console.get_by_role("button", name="Create response").click()
    await expect(console.get_by_role("cell", name="#check")).to_be_visible()
    await console.screenshot(path=str(shots / "canned-3-settings.png"))
    await console.get_by_role("button", name="Back to chats").click()

    # Noah's chat is in Sales, scripted: Ada (level 1) is refused free text, her draft kept.
    await console.get_by_role("button", name=re.compile("^Noah")).first.click()
    reply = console.get_by_label("Reply")
    await expect(console.get_by_text("Approved responses only")).to_be_visible()
    await reply.fill("Yes, we have two tandem models!")
    await reply.press("Enter")
    refusal = console.locator(".composer-refusal")
    await expect(refusal).to_contain_text(SCRIPTED_MESSAGE, timeout=10_000)
    await expect(reply).to_have_value("Yes, we have two tandem models!")
    await console.screenshot(path=str(shots / "canned-4-scripted-refused.png"))

    # So she picks one with the keyboard: # lists Sales' and her own; ↓ to #prices, Tab inserts.
    await reply.fill("")
    await reply.press_sequentially("#")
    await expect(picker.get_by_role("option")).to_have_count(3)  # check, prices, welcome
    await reply.press_sequentially("pri")
    await expect(picker.get_by_role("option")).to_have_count(1)
    await reply.press("Tab")
    await expect(reply).to_have_value("Noah, our current prices are on acme.example/prices.")
    await reply.press("Enter")
    await expect(noah.get_by_text("Noah, our current prices are on acme.example/prices.")).to_be_visible(timeout=10_000)
    await expect(refusal).to_be_hidden()
    assert "two tandem models" not in await noah.content()
    await noah.screenshot(path=str(shots / "canned-5-scripted-visitor.png"))

    # Her personal #check, filled for Noah, after ↑/↓ in the full list.
    await reply.press_sequentially("#")
    await reply.press("ArrowDown")
    await reply.press("ArrowUp")  # back to the first: #check
    await reply.press("Enter")
    await reply.press("Enter")
    await expect(noah.get_by_text("One moment Noah, I'm checking that for you.")).to_be_visible(timeout=10_000)
    await console.screenshot(path=str(shots / "canned-6-console.png"))

    # An admin sees the use counts in Settings, and turns scripted mode off in the Sales form.
    admin_ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    lead = await admin_ctx.new_page()
    lead.on("pageerror", lambda e: errors.append(str(e)))
    await lead.goto(f"{server.base_url}/console/")
    await lead.fill("#login-email", admin.email)
    await lead.fill("#login-password", admin.password)
    await lead.press("#login-password", "Enter")
    await lead.get_by_role("button", name="Settings").click()
    await lead.get_by_role("tab", name="Canned responses").click()
    welcome_row = lead.get_by_role("row", name=re.compile("#welcome"))
    await expect(welcome_row).to_contain_text("Everyone")
    await expect(welcome_row.get_by_role("cell").nth(3)).to_have_text("1")
    await expect(lead.get_by_role("cell", name="#check")).to_have_count(0)  # Ada's own
    await welcome_row.click()
    await expect(lead.get_by_label("Who can use it")).to_be_enabled()
    await lead.screenshot(path=str(shots / "canned-7-admin-settings.png"))
    await lead.get_by_role("tab", name="Departments").click()
    await lead.get_by_role("button", name=re.compile("^S Sales")).click()
    scripted = lead.get_by_role("checkbox", name=re.compile("Scripted mode"))
    await expect(scripted).to_be_checked()
    await scripted.scroll_into_view_if_needed()
    await lead.screenshot(path=str(shots / "canned-8-department-scripted.png"))
    await scripted.uncheck()
    await lead.get_by_role("button", name="Save changes").click()
    await expect(lead.get_by_text("Department saved")).to_be_visible()

    # Free text goes through now (the console learns of the change on its next department load).
    await reply.fill("Two tandem models, yes!")
    await reply.press("Enter")
    await expect(noah.get_by_text("Two tandem models, yes!")).to_be_visible(timeout=10_000)

    listing = (await admin.http.get("/api/v1/canned")).json()["canned"]
    uses = {c["shortcut"]: c["use_count"] for c in listing}
    assert uses["welcome"] == 1 and uses["prices"] == 1
    assert not errors, errors
    for c in (maria_ctx, noah_ctx, agent_ctx, admin_ctx):
        await c.close()
    for client in (admin, ada):
        await client.close()
