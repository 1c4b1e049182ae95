"""Deactivation in real browsers (issue 10, item 2): an admin deactivates an agent from Settings →
Agents; the agent's open console is signed out at once (its socket closed with 4001), the row
is marked Deactivated, and Reactivate lets them sign in again."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.accounts import make_agent

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def console_login(browser, server, email: str, password: str):  # type: ignore[no-untyped-def]
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{server.base_url}/console/")
    await page.fill("#login-email", email)
    await page.fill("#login-password", password)
    await page.press("#login-password", "Enter")
    await expect(page.locator("#login-email")).to_have_count(0, timeout=15_000)
    return context, page


async def test_an_admin_deactivates_an_agent_whose_console_signs_out(browser, web_server, shots):
    admin_email, admin_password = make_agent(web_server, "admin")
    agent_email, agent_password = make_agent(web_server, "agent")
    agent_ctx, agent_page = await console_login(browser, web_server, agent_email, agent_password)
    admin_ctx, admin_page = await console_login(browser, web_server, admin_email, admin_password)
    try:
        await admin_page.goto(f"{web_server.base_url}/console/#settings/agents")
        admin_page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before deactivating
        button = admin_page.get_by_role("button", name=f"Deactivate Agent {agent_email[:10]}")
        await button.click()
        row = admin_page.locator("tr", has_text=agent_email)
        await expect(row.get_by_text("Deactivated")).to_be_visible(timeout=10_000)
        await admin_page.screenshot(path=str(shots / "deactivation-1-settings.png"))
        # The agent's console is back at the sign-in form without any action of theirs.
        await expect(agent_page.locator("#login-email")).to_be_visible(timeout=10_000)
        await agent_page.fill("#login-email", agent_email)
        await agent_page.fill("#login-password", agent_password)
        await agent_page.press("#login-password", "Enter")
        await expect(agent_page.get_by_text("This account is deactivated")).to_be_visible(timeout=10_000)
        await agent_page.screenshot(path=str(shots / "deactivation-2-refused.png"))
        await row.get_by_role("button", name=f"Reactivate Agent {agent_email[:10]}").click()
        await expect(row.get_by_text("Deactivated")).to_have_count(0, timeout=10_000)
        await agent_page.press("#login-password", "Enter")
        await expect(agent_page.locator("#login-email")).to_have_count(0, timeout=15_000)
    finally:
        await agent_ctx.close()
        await admin_ctx.close()
