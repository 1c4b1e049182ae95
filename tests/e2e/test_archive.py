"""The Archive page in a real browser: search a word, see it marked in the matching chat, open
the transcript read-only, download the exports (Playwright downloads)."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.async_api import expect

from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

XSS = '<img src=x onerror="window.__xss=1">'


async def closed_chat(server, agent: AgentClient, visitor_says: list[str], reply: str, note: str | None = None) -> int:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send(visitor_says[0]))["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    for text in visitor_says[1:]:
        await visitor.send(text)
    await agent.send(chat_id, reply)
    if note:
        body = {"text": note, "client_id": f"e2e-note-{chat_id:06d}"}
        assert (await agent.post(f"/api/v1/chats/{chat_id}/notes", body)).status_code == 201
    assert (await agent.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200
    await visitor.close()
    return chat_id


async def test_search_open_and_export_from_the_archive(browser, web_server, shots, tmp_path):
    email, password = make_agent(web_server, "manager")
    seller = AgentClient(web_server.base_url)
    await seller.login(*make_agent(web_server, "admin"))
    await seller.connect()
    try:
        tyres = await closed_chat(
            web_server,
            seller,
            ["Hello! Do you ship 29er tyres to Norway?", XSS],
            "Yes — tyres ship to Norway in 3 days.",
            note="VIP customer, offer free shipping",
        )
        await closed_chat(
            web_server, seller, ["My invoice shows the wrong address"], "Fixed, a new invoice is on its way."
        )
        await closed_chat(web_server, seller, ["The left pedal squeaks"], "A drop of oil will do.")
    finally:
        await seller.close()

    ctx = await browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{web_server.base_url}/console/")
    await page.fill("#login-email", email)
    await page.fill("#login-password", password)
    await page.press("#login-password", "Enter")

    # The way in: the search box on the History panel opens the Archive with that search.
    await page.get_by_role("tab", name="History").click()
    entry = page.get_by_role("searchbox", name="Search the archive")
    await entry.fill("tyres")
    await entry.press("Enter")
    archive = page.get_by_role("region", name="Archive")
    await expect(archive.get_by_role("heading", name="Archive")).to_be_visible()
    await expect(archive.get_by_role("searchbox", name="Search messages")).to_have_value("tyres")

    results = archive.get_by_role("list", name="Matching chats")
    hit = results.get_by_role("button").filter(has_text="29er")
    await expect(hit).to_have_count(1, timeout=10_000)
    await expect(results.get_by_role("button")).to_have_count(1)
    await expect(hit.locator("mark")).to_have_text(["tyres"])
    await expect(archive.get_by_text("1 chat matching “tyres”")).to_be_visible()

    await hit.click()
    transcript = archive.get_by_role("log", name="Conversation (read-only)")
    await expect(transcript.get_by_text("Do you ship 29er")).to_be_visible(timeout=10_000)
    await expect(transcript.get_by_text(XSS)).to_be_visible()  # the visitor's markup, as text
    await expect(transcript.get_by_text("VIP customer, offer free shipping")).to_be_visible()
    await expect(transcript.get_by_text("Internal note · only agents see this")).to_be_visible()
    await expect(transcript.locator("mark")).to_have_text(["tyres", "tyres"])
    assert await page.evaluate("window.__xss") is None
    assert f"#archive/{tyres}" in page.url
    await page.screenshot(path=str(shots / "e2e-archive.png"))

    # The transcript as an HTML file, without the internal note.
    async with page.expect_download() as info:
        await archive.get_by_role("link", name="HTML").click()
    download = await info.value
    assert download.suggested_filename == f"chat-{tyres}.html"
    html = (await download.path()).read_text()
    assert "Do you ship 29er tyres" in html and "&lt;img" in html and "VIP customer" not in html

    # Every matching chat as CSV, streamed by the server.
    async with page.expect_download() as info:
        await archive.get_by_role("link", name="CSV").click()
    download = await info.value
    assert download.suggested_filename.startswith("chats-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text())))
    assert {int(r["chat_id"]) for r in rows} == {tyres}
    assert any("29er tyres" in r["text"] for r in rows) and not any("VIP" in r["text"] for r in rows)

    # A filter that excludes it: the list says so.
    await archive.get_by_label("Status").select_option("active")
    await expect(archive.get_by_text("No conversation matches")).to_be_visible(timeout=10_000)
    await page.screenshot(path=str(shots / "e2e-archive-empty.png"))
    assert not errors, errors
    await ctx.close()
