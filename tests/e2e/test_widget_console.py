"""A visitor on one origin chats through the widget with an agent in the console, both ways."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.clients import VisitorClient, make_agent
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")

XSS = '<img src=x onerror="window.__xss=1">'


async def test_visitor_and_agent_chat_in_real_browsers(browser, web_server, shop, shots):
    email, password = make_agent(web_server)
    page_url = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))

    # The agent signs in first: a department takes chats only while someone is there.
    agent_ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    console = await agent_ctx.new_page()
    errors: list[str] = []
    console.on("pageerror", lambda e: errors.append(str(e)))
    await console.goto(f"{web_server.base_url}/console/")
    await console.fill("#login-email", email)
    await console.fill("#login-password", password)
    await console.press("#login-password", "Enter")
    await wait_until_online(web_server.base_url)

    visitor_ctx = await browser.new_context(viewport={"width": 1200, "height": 800})
    visitor = await visitor_ctx.new_page()
    visitor.on("pageerror", lambda e: errors.append(str(e)))
    await visitor.goto(page_url)
    await visitor.get_by_label("Open chat").click()
    # The pre-chat form (only one department, so no topic to choose).
    await visitor.get_by_label("How can we help?").fill("Hi! Do you have 29er tyres in stock?")
    await visitor.get_by_role("button", name="Start chat").click()
    box = visitor.get_by_role("textbox", name="Message", exact=True)
    await box.fill(XSS)
    await visitor.get_by_role("button", name="Send message").click()

    waiting = console.get_by_role("button", name=re.compile(r"^Visitor #")).first
    await expect(waiting).to_be_visible(timeout=10_000)
    await waiting.click()
    await expect(console.get_by_text("Do you have 29er tyres in stock?")).to_be_visible()
    await console.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
    reply = console.get_by_label("Reply")
    await expect(reply).to_be_enabled(timeout=10_000)
    await reply.fill("Yes — Schwalbe and Maxxis, both in stock.")
    await reply.press("Enter")

    # The visitor sees the agent join and the answer; the agent sees the visitor's text as text.
    await expect(visitor.get_by_text("Yes — Schwalbe and Maxxis, both in stock.")).to_be_visible(timeout=10_000)
    await expect(console.get_by_role("log").get_by_text(XSS)).to_be_visible()
    assert await console.evaluate("window.__xss") is None
    assert await visitor.evaluate("window.__xss") is None

    # The JS API resolves on the server's acknowledgement, and `on("message")` saw both directions.
    event = await visitor.evaluate("Frontdesk.sendMessage('Great, I will order two.')")
    assert event["seq"] >= 5 and event["text"] == "Great, I will order two."
    await expect(console.get_by_role("log").get_by_text("Great, I will order two.")).to_be_visible(timeout=10_000)
    seen = await visitor.evaluate("window.__events.map(e => e.text)")
    assert "Yes — Schwalbe and Maxxis, both in stock." in seen

    # The chat survives a page reload on the shop.
    await visitor.reload()
    await visitor.evaluate("Frontdesk.open()")  # already open: the window's state survives reloads too
    await expect(visitor.get_by_text("Yes — Schwalbe and Maxxis, both in stock.")).to_be_visible(timeout=10_000)

    await visitor.screenshot(path=str(shots / "e2e-visitor-widget.png"))
    await console.screenshot(path=str(shots / "e2e-agent-console.png"))
    assert not errors, errors
    await visitor_ctx.close()
    await agent_ctx.close()


async def test_a_click_on_a_waiting_chat_survives_a_live_update(browser, web_server):
    """Mouse down on a waiting chat, a new message re-renders the item, mouse up: the chat opens.

    The list updates items in place (dom.morph), so the press and the release land on the same
    element; replacing the item's node in between would swallow the click (a CI failure once)."""
    email, password = make_agent(web_server)
    ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    console = await ctx.new_page()
    await console.goto(f"{web_server.base_url}/console/")
    await console.fill("#login-email", email)
    await console.fill("#login-password", password)
    await console.press("#login-password", "Enter")
    await wait_until_online(web_server.base_url)

    visitor = VisitorClient(web_server.base_url)
    await visitor.connect()
    await visitor.send("First question about my order")
    item = console.locator("button.item-waiting", has_text="First question about my order")
    await expect(item).to_be_visible(timeout=10_000)
    box = await item.bounding_box()
    assert box is not None
    await console.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)
    await console.mouse.down()
    await visitor.send("Second line, while the agent is clicking")
    await expect(console.locator("button.item-waiting")).to_contain_text("Second line", timeout=10_000)
    await console.mouse.up()
    await expect(console.get_by_role("log").get_by_text("First question about my order")).to_be_visible()
    await visitor.close()
    await ctx.close()
