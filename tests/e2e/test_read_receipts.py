"""Read receipts in real browsers: the agent's reply is marked "Seen" in the console only once
the visitor has the chat window open on a visible page (the widget's `read` frame)."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.clients import make_agent
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_console_marks_seen_when_the_visitor_opens_the_window(browser, web_server, shop, shots):
    email, password = make_agent(web_server)
    page_url = shop.write("read.html", shop_page(f"{web_server.base_url}/widget.js"))
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
    await visitor.get_by_label("How can we help?").fill("Is the red frame still available?")
    await visitor.get_by_role("button", name="Start chat").click()
    await expect(visitor.get_by_text("Is the red frame still available?")).to_be_visible(timeout=10_000)
    await visitor.get_by_label("Close chat").click()  # the window closes; the chat goes on

    waiting = console.get_by_role("button", name=re.compile(r"^Visitor #")).first
    await expect(waiting).to_be_visible(timeout=10_000)
    await waiting.click()
    await console.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
    reply = console.get_by_label("Reply")
    await expect(reply).to_be_enabled(timeout=10_000)
    await reply.fill("Yes, one left in size M.")
    await reply.press("Enter")
    thread = console.get_by_role("log")
    await expect(thread.get_by_text("Yes, one left in size M.")).to_be_visible(timeout=10_000)

    # The window is closed: the reply arrives (the launcher's badge) but is not read.
    await expect(visitor.locator(".bd")).to_have_text("1", timeout=10_000)
    await asyncio.sleep(2.5)  # more than the widget's one-second wait
    await expect(thread.locator(".msg-status.seen")).to_have_count(0)

    await visitor.get_by_label("Open chat").click()
    await expect(visitor.get_by_text("Yes, one left in size M.")).to_be_visible()
    seen = thread.locator(".msg-me").filter(has_text="Yes, one left in size M.").locator(".msg-status.seen")
    await expect(seen).to_have_text("Seen", timeout=10_000)

    # A second reply moves the mark to it once read; the first loses it.
    await reply.fill("Shall I put it aside for you?")
    await reply.press("Enter")
    second = thread.locator(".msg-me").filter(has_text="Shall I put it aside for you?")
    await expect(second.locator(".msg-status.seen")).to_have_text("Seen", timeout=10_000)
    await expect(thread.locator(".msg-status.seen")).to_have_count(1)

    await console.screenshot(path=str(shots / "e2e-read-receipts-console.png"))
    assert not errors, errors
    await visitor_ctx.close()
    await agent_ctx.close()
