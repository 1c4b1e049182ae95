"""Satisfaction in real browsers: the agent closes the chat, the widget asks for a rating, the
visitor gives a thumbs up with a comment and asks for the transcript by e-mail (it arrives, without
the agent's internal note), and the agent's console shows the rating at once. Then the stars
scale, and an admin's Satisfaction, Privacy and Audit log pages and "Delete this visitor's data"."""

from __future__ import annotations

import asyncio
import re
import secrets
from email import message_from_bytes

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from playwright.async_api import expect

from tests.clients import AgentClient, new_client_id
from tests.conftest import ServerProcess, free_port
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def mail_server(tmp_path_factory, smtp):
    data_dir = tmp_path_factory.mktemp("satisfaction")
    proc = ServerProcess(
        data_dir,
        f"sqlite:///{data_dir / 'frontdesk.db'}",
        FRONTDESK_SMTP_HOST="127.0.0.1",
        FRONTDESK_SMTP_PORT=str(smtp.port),
        FRONTDESK_MAIL_FROM="Acme Bikes <chat@acme.example>",
    )
    await proc.start()
    yield proc
    await proc.stop()


async def person(server, name: str, role: str) -> AgentClient:  # type: ignore[no-untyped-def]
    email = f"{name.split()[0].lower()}-{secrets.token_hex(3)}@acme.example"
    password = "pw-" + secrets.token_urlsafe(12)
    server.cli("user", "create", "--email", email, "--name", name, "--role", role, "--password", password)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    client.email, client.password = email, password  # type: ignore[attr-defined]
    return client


async def console_for(browser, server, who: AgentClient):  # type: ignore[no-untyped-def]
    ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.base_url}/console/")
    await page.fill("#login-email", who.email)  # type: ignore[attr-defined]
    await page.fill("#login-password", who.password)  # type: ignore[attr-defined]
    await page.press("#login-password", "Enter")
    return ctx, page, errors


async def visitor_chats(browser, url: str, name: str, email: str, question: str):  # type: ignore[no-untyped-def]
    ctx = await browser.new_context(viewport={"width": 1100, "height": 820})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    await page.get_by_label("Open chat").click()
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("How can we help?").fill(question)
    await page.get_by_role("button", name="Start chat").click()
    return ctx, page, errors


async def test_rating_and_transcript_after_the_agent_closes_the_chat(browser, mail_server, shop, shots, smtp):
    server = mail_server
    ada = await person(server, "Ada Lovelace", "agent")
    shop_url = shop.write("index.html", shop_page(f"{server.base_url}/widget.js"))
    agent_ctx, console, console_errors = await console_for(browser, server, ada)
    await wait_until_online(server.base_url)

    visitor_ctx, widget, widget_errors = await visitor_chats(
        browser, shop_url, "Mia", "mia@example.com", "Can I return a bike after 30 days?"
    )
    waiting = console.get_by_role("button", name=re.compile(r"^Mia")).first
    await expect(waiting).to_be_visible(timeout=10_000)
    await waiting.click()
    await console.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
    reply = console.get_by_label("Reply")
    await expect(reply).to_be_enabled(timeout=10_000)
    await reply.fill("Yes, within 60 days if it is unused.")
    await reply.press("Enter")
    await expect(widget.get_by_text("Yes, within 60 days if it is unused.")).to_be_visible(timeout=10_000)
    chat_id = await widget.evaluate("JSON.parse(localStorage.getItem('frontdesk:state')).cur")
    r = await ada.post(
        f"/api/v1/chats/{chat_id}/notes", json={"text": "Mia is on the VIP list", "client_id": new_client_id()}
    )
    assert r.status_code == 201, r.text

    # The agent closes the chat; the widget asks how it went.
    await console.get_by_role("button", name=re.compile("^Close chat")).click()
    await console.get_by_role("button", name=re.compile("^(Confirm|Close chat)")).first.click()
    card = widget.get_by_role("region", name="Rate this chat")
    await expect(card.get_by_text("How was your chat with Ada?")).to_be_visible(timeout=10_000)
    transcript_to = widget.get_by_label("E-mail me the transcript")
    await expect(transcript_to).to_have_value("mia@example.com")  # known from the pre-chat form
    await widget.screenshot(path=str(shots / "satisfaction-1-prompt.png"))

    await card.get_by_role("button", name="Good").click()
    await card.get_by_label("Comment (optional)").fill("Quick and friendly, thanks!")
    await widget.screenshot(path=str(shots / "satisfaction-2-comment.png"))
    await card.get_by_role("button", name="Send feedback").click()
    await expect(card.get_by_text("Thanks for your feedback!")).to_be_visible(timeout=10_000)

    # The transcript by e-mail goes only to the address Mia gave: shown, not editable (the server
    # refuses any other: tests/api/test_satisfaction_api.py).
    await expect(transcript_to).not_to_be_editable()
    await card.get_by_role("button", name="Send", exact=True).click()
    await expect(card.get_by_text("We've sent the transcript to mia@example.com.")).to_be_visible(timeout=10_000)
    await widget.screenshot(path=str(shots / "satisfaction-3-thanks.png"))
    assert "VIP" not in await widget.content()

    # The agent's console shows the rating live: a notice and the chat's details.
    await expect(console.get_by_text(re.compile("Mia rated the chat: Good"))).to_be_visible(timeout=10_000)
    details = console.get_by_role("complementary", name="Conversation details")
    await expect(details.get_by_text("Good · 5 of 5")).to_be_visible(timeout=10_000)
    await expect(details.get_by_text("Quick and friendly, thanks!")).to_be_visible()
    await console.screenshot(path=str(shots / "satisfaction-4-console.png"))

    for _ in range(150):
        if smtp.messages:
            break
        await asyncio.sleep(0.1)
    assert smtp.messages, "the transcript was not e-mailed"
    recipients, mail = smtp.messages[-1]
    assert recipients == ["mia@example.com"] and "Transcript" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "You: Can I return a bike after 30 days?" in body
    assert "Ada Lovelace: Yes, within 60 days if it is unused." in body
    assert "VIP" not in body  # the internal note stays inside
    assert mail["Bcc"] is None

    # With the stars scale, a new visitor rates four of five.
    admin = await person(server, "Grace Admin", "admin")
    r = await admin.http.put(
        "/api/v1/settings/widget",
        json={"rating": {"scale": "stars", "transcript": True}},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    second_ctx, second, second_errors = await visitor_chats(
        browser, shop_url, "Noah Berg", "noah@example.com", "Do you fit bike racks?"
    )
    waiting = console.get_by_role("button", name=re.compile(r"^Noah")).first
    await expect(waiting).to_be_visible(timeout=10_000)
    await waiting.click()
    await console.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
    await expect(second.get_by_text(re.compile("joined the chat"))).to_be_visible(timeout=10_000)
    await second.get_by_role("button", name="End chat").click()
    await second.get_by_role("button", name="End chat").click()  # "End chat?": the second click ends it
    stars = second.get_by_role("region", name="Rate this chat")
    await expect(stars.get_by_role("button", name="4 stars")).to_be_visible(timeout=10_000)
    await stars.get_by_role("button", name="4 stars").click()
    await stars.get_by_label("Comment (optional)").fill("Good, but I waited a bit.")
    await second.screenshot(path=str(shots / "satisfaction-5-stars.png"))
    await stars.get_by_role("button", name="Send feedback").click()
    await expect(stars.get_by_text("Thanks for your feedback!")).to_be_visible(timeout=10_000)
    await expect(stars.get_by_role("img", name="4 of 5")).to_be_visible()
    await expect(console.get_by_text(re.compile("Noah Berg rated the chat: 4 of 5"))).to_be_visible(timeout=10_000)
    await expect(details.get_by_text("Good, but I waited a bit.")).to_be_visible(timeout=10_000)
    await console.screenshot(path=str(shots / "satisfaction-6-console-stars.png"))

    assert not console_errors and not widget_errors and not second_errors, (console_errors, widget_errors)
    for c in (visitor_ctx, second_ctx, agent_ctx):
        await c.close()
    for client in (ada, admin):
        await client.close()


async def test_admin_pages_and_deleting_a_visitors_data(browser, mail_server, shots):
    server = mail_server
    admin = await person(server, "Grace Hopper", "admin")
    ctx, console, errors = await console_for(browser, server, admin)
    await expect(console.get_by_role("button", name=re.compile("Settings"))).to_be_visible(timeout=10_000)

    await console.goto(f"{server.base_url}/console/#settings/satisfaction")
    await expect(console.get_by_role("table", name="Agent").get_by_text("Ada Lovelace")).to_be_visible(timeout=10_000)
    await console.screenshot(path=str(shots / "satisfaction-7-report.png"), full_page=True)

    await console.get_by_role("tab", name="Privacy").click()
    days = console.get_by_label("Keep chats for (days)")
    await expect(days).to_have_value("0")
    await days.fill("-3")
    await console.get_by_role("button", name="Save", exact=True).click()
    await expect(console.get_by_role("alert").filter(has_text="retention_days")).to_be_visible()
    await days.fill("365")
    await console.get_by_role("radio", name=re.compile("^Delete")).check()
    await console.get_by_role("button", name="Save", exact=True).click()
    await expect(console.get_by_text("Chats are kept for 365 days, then deleted.")).to_be_visible()
    await console.screenshot(path=str(shots / "satisfaction-8-privacy.png"))

    # Mia asks for her data to be deleted: from her chat's details.
    chats = (await admin.http.get("/api/v1/chats", params={"status": "closed"})).json()["chats"]
    mia = next(c for c in chats if c["visitor"]["name"] == "Mia")
    await console.goto(f"{server.base_url}/console/#chat/{mia['id']}")
    details = console.get_by_role("complementary", name="Conversation details")
    delete = details.get_by_role("button", name=re.compile("Delete this visitor’s data"))
    await expect(delete).to_be_visible(timeout=10_000)
    await delete.click()
    # A live update between the two clicks rebuilds the details panel (here: a tag added from
    # elsewhere); the first click must survive it (it did not: a CI failure, when the visitor's
    # journey arrived between the clicks).
    tag = (await admin.post("/api/v1/tags", json={"name": "Privacy request"})).json()["tag"]
    r = await admin.http.put(f"/api/v1/chats/{mia['id']}/tags/{tag['id']}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    await expect(details.get_by_text("Privacy request")).to_be_visible(timeout=10_000)
    await details.get_by_role("button", name=re.compile("Click again")).click()
    await expect(console.get_by_text(re.compile("Visitor data deleted: 1 chat"))).to_be_visible(timeout=10_000)
    assert (await admin.http.get(f"/api/v1/chats/{mia['id']}")).status_code == 404

    await console.goto(f"{server.base_url}/console/#settings/audit")
    table = console.get_by_role("table")
    await expect(table.get_by_text("visitor.delete")).to_be_visible(timeout=10_000)
    await expect(table.get_by_text("settings.update").first).to_be_visible()
    await console.screenshot(path=str(shots / "satisfaction-9-audit.png"))
    assert "Mia" not in await table.inner_text()  # no personal data in the log
    assert not errors, errors
    await ctx.close()
    await admin.close()
