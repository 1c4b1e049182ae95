"""Departments in real browsers: two per-department widgets, a visitor queued behind a full
agent (position and estimate, then assigned when the agent closes a chat), a transfer to the
other department, and the offline form outside business hours arriving as an e-mail."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from playwright.async_api import expect

from tests.accounts import make_agent
from tests.clients import AgentClient
from tests.conftest import ServerProcess, free_port
from tests.e2e.conftest import shop_page_with, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest_asyncio.fixture(loop_scope="session")
async def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def routed_server(tmp_path, smtp):
    controller, _inbox = smtp
    proc = ServerProcess(
        tmp_path,
        f"sqlite:///{tmp_path / 'frontdesk.db'}",
        FRONTDESK_SMTP_HOST="127.0.0.1",
        FRONTDESK_SMTP_PORT=str(controller.port),
        FRONTDESK_MAIL_FROM="Acme Chat <chat@acme.example>",
    )
    await proc.start()
    yield proc
    await proc.stop()


async def api_login(server, role: str) -> AgentClient:
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    client.password = password  # type: ignore[attr-defined]
    client.email = email  # type: ignore[attr-defined]
    return client


async def test_departments_queue_transfer_and_offline_email(browser, routed_server, shop, shots, smtp):
    _controller, inbox = smtp
    server = routed_server
    admin = await api_login(server, "admin")
    ada = await api_login(server, "agent")  # sales, in the browser console
    grace = await api_login(server, "agent")  # billing, over the agent socket
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    closed_days = [{"date": (yesterday + timedelta(days=i)).isoformat(), "closed": True} for i in range(3)]
    departments = {}
    for slug, name, extra in (
        ("sales", "Sales", {}),
        ("billing", "Billing", {}),
        (
            "accounts",
            "Accounts",
            {
                "hours": {"timezone": "Europe/Oslo", "weekly": {}, "exceptions": closed_days},
                "offline_message": "Accounts is closed for the holidays.",
                "email": "accounts@acme.example",
            },
        ),
    ):
        r = await admin.post("/api/v1/departments", json={"slug": slug, "name": name, "routing": "auto", **extra})
        assert r.status_code == 201, r.text
        departments[slug] = r.json()["department"]
    for slug, member in (("sales", ada), ("billing", grace), ("accounts", grace)):
        r = await admin.http.put(
            f"/api/v1/departments/{departments[slug]['id']}/members",
            json={"members": [{"user_id": member.user["id"], "level": 1}]},
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert r.status_code == 200, r.text
    r = await admin.http.patch(
        f"/api/v1/users/{ada.user['id']}", json={"max_chats": 1}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 200

    widget = f"{server.base_url}/widget.js"
    sales_url = shop.write("sales.html", shop_page_with(widget, 'data-department="sales"'))
    accounts_url = shop.write("accounts.html", shop_page_with(widget, 'data-department="accounts"'))

    # Ada opens the console; Grace is on duty for Billing from another program.
    agent_ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    console = await agent_ctx.new_page()
    await console.goto(f"{server.base_url}/console/")
    await console.fill("#login-email", ada.email)
    await console.fill("#login-password", ada.password)
    await console.press("#login-password", "Enter")
    await grace.connect()
    await wait_until_online(server.base_url, "sales")
    await wait_until_online(server.base_url, "billing")

    async def visitor_starts(question: str, name: str):
        ctx = await browser.new_context(viewport={"width": 1100, "height": 760})
        page = await ctx.new_page()
        await page.goto(sales_url)
        await page.get_by_label("Open chat").click()
        await page.get_by_label("Your name").fill(name)
        await page.get_by_label("How can we help?").fill(question)
        await page.get_by_role("button", name="Start chat").click()
        return ctx, page

    # Visitor 1 is offered to Ada, who accepts; she is now at her maximum of one chat.
    first_ctx, first = await visitor_starts("Do you offer volume discounts?", "Mia")
    offer = console.get_by_role("region", name="Chats offered to you")
    await expect(offer.get_by_text("Mia")).to_be_visible(timeout=10_000)
    await console.screenshot(path=str(shots / "routing-1-offer.png"))
    await offer.get_by_role("button", name="Accept").click()
    await expect(first.get_by_text(re.compile("joined the chat"))).to_be_visible(timeout=10_000)

    # Visitor 2 waits behind her: position 1 and an estimate.
    second_ctx, second = await visitor_starts("Is the X200 in stock?", "Noah")
    await expect(second.get_by_text(re.compile(r"#1 in line"))).to_be_visible(timeout=10_000)
    await second.screenshot(path=str(shots / "routing-2-queued.png"))
    line = await second.get_by_text(re.compile(r"#1 in line")).inner_text()
    assert "about" in line or "waiting" in line

    # Ada closes the first chat; the waiting visitor is offered to her at once.
    await console.get_by_role("button", name=re.compile("^Close chat")).click()
    await console.get_by_role("button", name=re.compile("^(Confirm|Close chat)")).first.click()
    await expect(offer.get_by_text("Noah")).to_be_visible(timeout=10_000)
    await offer.get_by_role("button", name="Accept").click()
    await expect(second.get_by_text(re.compile("joined the chat"))).to_be_visible(timeout=10_000)

    # Ada transfers Noah to Billing with a note; Grace is offered it and takes it.
    await console.get_by_role("button", name="Transfer").click()
    dialog = console.get_by_role("dialog")
    await dialog.get_by_role("button", name="Department").click()
    await dialog.get_by_role("radio", name=re.compile("^Billing")).check()
    await dialog.get_by_label(re.compile("Internal note")).fill("Wants an X200 invoice split in two")
    await console.screenshot(path=str(shots / "routing-3-transfer.png"))
    await dialog.get_by_role("button", name=re.compile("^Transfer to")).click()
    offered = await grace.socket.wait_type("chat.offered", timeout=10)
    chat_id = offered["chat"]["id"]
    assert offered["chat"]["department"]["slug"] == "billing"
    await grace.socket.send({"type": "chat.accept", "chat_id": chat_id, "ref": "take"})
    await grace.socket.wait_type("accepted", ref="take")
    await expect(second.get_by_text(re.compile("Billing"))).to_be_visible(timeout=10_000)
    await second.screenshot(path=str(shots / "routing-4-transferred.png"))
    assert "invoice split" not in await second.content()  # the note is for agents only

    # Outside business hours the Accounts widget offers the offline form; it arrives by e-mail.
    third_ctx = await browser.new_context(viewport={"width": 1100, "height": 760})
    third = await third_ctx.new_page()
    await third.goto(accounts_url)
    await third.get_by_label("Open chat").click()
    await expect(third.get_by_text("Accounts is closed for the holidays.")).to_be_visible(timeout=10_000)
    await third.get_by_label("Your name").fill("Liam")
    await third.get_by_label("E-mail").fill("liam@example.com")
    await third.get_by_label("Your message").fill("Please send me last year's statements.")
    await third.get_by_role("button", name="Send message", exact=True).filter(visible=True).click()
    await expect(third.get_by_text("Thanks — we'll e-mail you at liam@example.com.")).to_be_visible(timeout=10_000)
    await third.screenshot(path=str(shots / "routing-5-offline.png"))
    for _ in range(100):
        if inbox.messages:
            break
        await asyncio.sleep(0.1)
    assert inbox.messages, "the offline message was not e-mailed"
    recipients, mail = inbox.messages[0]
    assert recipients == ["accounts@acme.example"]
    assert mail["Reply-To"] == "liam@example.com" and "Accounts" in mail["Subject"]
    assert "Please send me last year's statements." in mail.get_payload(decode=True).decode()

    for c in (first_ctx, second_ctx, third_ctx, agent_ctx):
        await c.close()
    for client in (admin, ada, grace):
        await client.close()
