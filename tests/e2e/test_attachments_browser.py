"""Files both ways and the agent's face, in real browsers: the visitor's photo shows in the
console, the agent's PDF reaches the widget as a download, and the agent's photo and job title
appear in the widget when they accept the chat."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests import files
from tests.clients import make_agent
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def loaded(img, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    """Whether the <img> has really loaded (decoded pixels), waiting up to `timeout` seconds."""
    for _ in range(int(timeout * 10)):
        if await img.evaluate("i => !!i.src && i.complete && i.naturalWidth > 0"):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_files_both_ways_and_the_agents_face(browser, web_server, shop, shots, tmp_path):
    email, password = make_agent(web_server)
    page_url = shop.write("index.html", shop_page(f"{web_server.base_url}/widget.js"))
    photo = tmp_path / "anna.png"
    photo.write_bytes(files.png(120, 120, colour=(230, 120, 60)))
    damage = tmp_path / "broken-spoke.png"
    damage.write_bytes(files.png(320, 200, colour=(20, 160, 90)))
    quote = tmp_path / "Quote 2041.pdf"
    quote.write_bytes(files.pdf())
    disguised = tmp_path / "cute-cat.png"
    disguised.write_bytes(files.HTML)

    errors: list[str] = []
    agent_ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append(str(e)))
    await console.goto(f"{web_server.base_url}/console/")
    await console.fill("#login-email", email)
    await console.fill("#login-password", password)
    await console.press("#login-password", "Enter")

    # The agent sets a job title and a photo in their profile.
    await console.get_by_role("button", name="Your profile").click()
    dialog = console.get_by_role("dialog", name="Your profile")
    await expect(dialog.get_by_label("Display name")).not_to_have_value("", timeout=10_000)
    await dialog.get_by_label("Display name").fill("Anna Berg")
    await dialog.get_by_label("Job title").fill("Bike fitter")
    await dialog.locator("input[type=file]").set_input_files(str(photo))
    await expect(dialog.locator("img.profile-img")).to_be_visible(timeout=10_000)
    await console.screenshot(path=str(shots / "e2e-attachments-profile.png"))
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_hidden()
    await wait_until_online(web_server.base_url)

    visitor_ctx = await browser.new_context(viewport={"width": 1200, "height": 820})
    visitor = await visitor_ctx.new_page()
    visitor.on("pageerror", lambda e: errors.append(str(e)))
    await visitor.goto(page_url)
    await visitor.get_by_label("Open chat").click()
    await visitor.get_by_label("How can we help?").fill("My front wheel has a broken spoke")
    await visitor.get_by_role("button", name="Start chat").click()

    waiting = console.get_by_role("button", name=re.compile(r"^Visitor #")).first
    await expect(waiting).to_be_visible(timeout=10_000)
    await waiting.click()
    await console.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()

    # The widget shows who joined: name, job title and photo, in the header and on the join line.
    widget = visitor.locator("frontdesk-widget")
    await expect(widget.get_by_text("Anna Berg, Bike fitter, joined the chat")).to_be_visible(timeout=10_000)
    await expect(widget.locator("header .s")).to_have_text("Anna Berg · Bike fitter")
    header_photo = widget.locator("header .av img")
    await expect(header_photo).to_be_visible()
    assert await loaded(header_photo)
    assert await loaded(widget.locator(".sy img.ja"))

    # A disguised file is refused with the reason, and nothing is sent.
    await widget.locator(".cm input[type=file]").set_input_files(str(disguised))
    await expect(widget.locator(".er")).to_contain_text("HTML page", timeout=10_000)

    # The visitor sends a photo: a thumbnail in the widget, and the agent sees the image.
    await widget.locator(".cm input[type=file]").set_input_files(str(damage))
    thumb = widget.locator(".m.me .im img")
    await expect(thumb).to_be_visible(timeout=10_000)
    assert await loaded(thumb)
    image = console.get_by_role("log").locator(".att-image img")
    await expect(image).to_be_visible(timeout=10_000)
    assert await loaded(image)
    assert await image.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [320, 200]
    assert await image.get_attribute("alt") == "broken-spoke.png"

    # The console refuses a disguised file too, with the reason beside it.
    await console.locator(".composer input[type=file]").set_input_files(str(disguised))
    failed = console.locator(".upload-failed")
    await expect(failed).to_contain_text("This is an HTML page, which is not accepted here", timeout=10_000)
    await console.screenshot(path=str(shots / "e2e-attachments-console-refused.png"))
    await failed.get_by_role("button", name="Dismiss").click()
    await expect(failed).to_have_count(0)

    # The agent sends a PDF from the composer; the visitor gets it as a link and downloads it.
    await console.locator(".composer input[type=file]").set_input_files(str(quote))
    await expect(console.get_by_role("log").get_by_text("Quote 2041.pdf")).to_be_visible(timeout=10_000)
    link = widget.get_by_role("link", name=re.compile(r"Quote 2041\.pdf"))
    await expect(link).to_be_visible(timeout=10_000)
    await expect(link).to_contain_text(f"{len(files.pdf())} B")  # the size beside the name
    async with visitor.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "Quote 2041.pdf"
    assert (await download.path()).read_bytes() == files.pdf()

    await visitor.screenshot(path=str(shots / "e2e-attachments-widget.png"))
    await console.screenshot(path=str(shots / "e2e-attachments-console.png"))
    assert not errors, errors
    await visitor_ctx.close()
    await agent_ctx.close()
