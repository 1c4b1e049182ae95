"""Issue 5's supervision in real browsers: a supervisor (own browser context) watches a live chat
between a visitor (widget) and an agent (console), whispers — the agent sees it, the visitor
never does (widget DOM and the visitor's socket frames) — takes over and replies, then annotates
a message and scores the chat."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.accounts import make_agent
from tests.clients import AgentClient
from tests.e2e.conftest import shop_page, wait_until_online

pytestmark = pytest.mark.asyncio(loop_scope="session")

WHISPER = "Offer free express shipping on the replacement."
QUESTION = "Hi! My order 4417 never arrived."


async def console_login(browser, base_url: str, email: str, password: str, errors: list[str]):
    ctx = await browser.new_context(viewport={"width": 1440, "height": 880})
    page = await ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{base_url}/console/")
    await page.fill("#login-email", email)
    await page.fill("#login-password", password)
    await page.press("#login-password", "Enter")
    await expect(page.get_by_label("Your availability")).to_be_visible(timeout=15_000)  # signed in
    return ctx, page


async def test_supervisor_watches_whispers_takes_over_annotates_and_scores(browser, web_server, shop, shots):
    errors: list[str] = []
    base = web_server.base_url
    ann_email, ann_password = make_agent(web_server, "agent")
    sam_email, sam_password = make_agent(web_server, "supervisor")
    # The General department's scorecard (set over the API; the Reviews page edits it too).
    admin = AgentClient(base)
    await admin.login(*make_agent(web_server, "admin"))
    general = [
        d for d in (await admin.http.get("/api/v1/departments")).json()["departments"] if d["slug"] == "general"
    ][0]
    r = await admin.http.put(
        f"/api/v1/departments/{general['id']}/scorecard",
        json={"criteria": [{"name": "Greeting", "weight": 1}, {"name": "Resolution", "weight": 2}]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text

    ann_ctx, ann = await console_login(browser, base, ann_email, ann_password, errors)
    await wait_until_online(base)

    # The visitor, with every frame their socket receives captured.
    visitor_ctx = await browser.new_context(viewport={"width": 1100, "height": 800})
    visitor = await visitor_ctx.new_page()
    visitor.on("pageerror", lambda e: errors.append(str(e)))
    received: list[str] = []
    visitor.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: received.append(payload if isinstance(payload, str) else "")),
    )
    await visitor.goto(shop.write("index.html", shop_page(f"{base}/widget.js")))
    await visitor.get_by_label("Open chat").click()
    await visitor.get_by_label("How can we help?").fill(QUESTION)
    await visitor.get_by_role("button", name="Start chat").click()
    # Stored (the widget's `message` event fires on the server's ack) before looking for it.
    await visitor.wait_for_function(
        "q => (window.__events || []).some(e => e.text === q)", arg=QUESTION, timeout=20_000
    )

    # Ann accepts and answers.
    waiting = ann.get_by_role("button", name=re.compile(r"^Visitor #")).first
    await expect(waiting).to_be_visible(timeout=15_000)
    await waiting.click()
    await ann.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
    reply = ann.get_by_label("Reply")
    await expect(reply).to_be_enabled(timeout=10_000)
    await reply.fill("Sorry to hear that! Let me check the tracking.")
    await reply.press("Enter")
    await expect(visitor.get_by_text("Let me check the tracking.")).to_be_visible(timeout=10_000)

    # Sam opens the Monitor: the chat is there, live, with its agent and last message.
    sam_ctx, sam = await console_login(browser, base, sam_email, sam_password, errors)
    await sam.get_by_role("button", name="Monitor").click()
    found = sam.locator("tr.monitor-row").filter(has_text="Let me check the tracking.")
    await expect(found).to_be_visible(timeout=10_000)
    row = sam.locator(f'tr.monitor-row[data-chat="{await found.get_attribute("data-chat")}"]')
    await expect(row).to_contain_text(re.compile(r"Agent"))
    await visitor.get_by_role("textbox", name="Message", exact=True).fill("It was due on Monday.")
    await visitor.get_by_role("button", name="Send message").click()
    await expect(row).to_contain_text("It was due on Monday.", timeout=10_000)  # live preview
    await sam.screenshot(path=str(shots / "supervision-1-monitor.png"))

    # Sam opens the chat read-only and follows it live.
    await row.click()
    log = sam.get_by_role("log")
    await expect(log.get_by_text("It was due on Monday.")).to_be_visible(timeout=10_000)
    await expect(sam.get_by_text(re.compile(r"Watching · .* is handling this chat"))).to_be_visible()
    await visitor.get_by_role("textbox", name="Message", exact=True).fill("Can you resend it?")
    await visitor.get_by_role("button", name="Send message").click()
    await expect(log.get_by_text("Can you resend it?")).to_be_visible(timeout=10_000)

    # A whisper: Ann sees it; the visitor never does.
    whisper_box = sam.get_by_label("Whisper", exact=True)
    await whisper_box.fill(WHISPER)
    await whisper_box.press("Enter")
    await expect(log.get_by_text(WHISPER)).to_be_visible(timeout=10_000)
    await expect(ann.get_by_role("log").get_by_text(WHISPER)).to_be_visible(timeout=10_000)
    await expect(ann.get_by_text("Whisper · only agents see this").first).to_be_visible()
    await ann.screenshot(path=str(shots / "supervision-2-agent-sees-whisper.png"))
    await sam.screenshot(path=str(shots / "supervision-3-supervisor-whispers.png"))

    # Sam takes over: Ann is told, the visitor sees Sam, and Sam replies as the chat's agent.
    await sam.get_by_role("button", name="Take over").click()
    sam_reply = sam.get_by_label("Reply")
    await expect(sam_reply).to_be_enabled(timeout=10_000)
    await expect(ann.get_by_text(re.compile(r"took over this chat"))).to_be_visible(timeout=10_000)
    await expect(visitor.get_by_text(re.compile(r"is now helping you"))).to_be_visible(timeout=10_000)
    await sam_reply.fill("Hi, I'm Sam, Ann's supervisor. A replacement ships today, express and free.")
    await sam_reply.press("Enter")
    await expect(visitor.get_by_text("A replacement ships today, express and free.")).to_be_visible(timeout=10_000)
    await visitor.screenshot(path=str(shots / "supervision-4-visitor-after-take-over.png"))

    # Sam finds the chat again by a word in it (the archive's search) and reads it there, whisper
    # included (for agents); then, back in the chat, annotates Ann's reply and scores the chat.
    await sam.get_by_role("tab", name="History").click()
    entry = sam.get_by_role("searchbox", name="Search the archive")
    await entry.fill("4417")
    await entry.press("Enter")
    archive = sam.get_by_role("region", name="Archive")
    hit = archive.get_by_role("list", name="Matching chats").get_by_role("button")
    await expect(hit).to_have_count(1, timeout=10_000)
    await hit.click()
    transcript = archive.get_by_role("log", name="Conversation (read-only)")
    await expect(transcript.get_by_text(QUESTION)).to_be_visible(timeout=10_000)
    await expect(transcript.get_by_text(WHISPER)).to_be_visible()
    await sam.screenshot(path=str(shots / "supervision-5a-found-in-archive.png"))
    await sam.get_by_role("button", name="Back to chats").click()  # to the chat that was open
    await expect(sam.get_by_label("Reply")).to_be_visible(timeout=10_000)
    ann_message = log.locator(".msg").filter(has_text="Let me check the tracking.")
    await ann_message.hover()
    await ann_message.get_by_role("button", name=re.compile(r"^Annotate message")).click()
    await sam.get_by_label("Annotation").fill("Apologise first, then give a time frame.")
    await sam.get_by_role("button", name="Save annotation").click()
    await expect(ann_message.get_by_text("Apologise first, then give a time frame.")).to_be_visible(timeout=10_000)
    await expect(ann.get_by_text("Apologise first, then give a time frame.")).to_be_visible(timeout=10_000)  # live
    for label in ("Greeting: 3", "Resolution: 4"):
        await sam.get_by_role("radio", name=label).click()
    await expect(sam.get_by_text("3.67 / 5")).to_be_visible()  # (3·1 + 4·2) / 3
    await sam.get_by_label("Review comment").fill("Good tracking check; apologise sooner.")
    await sam.get_by_role("button", name="Save review").click()
    await expect(sam.get_by_text("Review saved")).to_be_visible(timeout=10_000)
    await expect(sam.get_by_role("button", name="Update review")).to_be_visible()
    await sam.screenshot(path=str(shots / "supervision-5b-annotate-and-score.png"))
    await sam.locator(".review-section").screenshot(path=str(shots / "supervision-5c-review-card.png"))

    # The team's average scores feed the Reviews page, beside the scorecards.
    await sam.get_by_role("button", name="Monitor").click()
    await sam.get_by_role("tab", name="Reviews").click()
    scores = sam.locator(".score-table").first
    await expect(scores).to_contain_text("3.67", timeout=10_000)
    await expect(sam.get_by_label("Criterion 2 name")).to_have_value("Resolution")
    await sam.screenshot(path=str(shots / "supervision-7-team-scores.png"))

    # Ann sees the review of her chat under Reviews.
    await ann.get_by_role("button", name="Reviews").click()
    await expect(ann.get_by_text("Good tracking check; apologise sooner.")).to_be_visible(timeout=10_000)
    await expect(ann.get_by_text("3.67 / 5").first).to_be_visible()
    await ann.screenshot(path=str(shots / "supervision-6-my-reviews.png"))

    # The visitor never saw the whisper: not in the widget's DOM, not in any frame it received.
    await asyncio.sleep(0.5)
    assert WHISPER not in await visitor.content()
    await expect(visitor.get_by_text(WHISPER)).to_have_count(0)
    assert received, "no socket frames were captured"
    assert not [f for f in received if WHISPER in f or '"kind":"whisper"' in f]
    assert any('"kind":"chat.taken_over"' in f for f in received)  # frames were captured all along
    assert not [f for f in received if "Apologise first" in f]  # annotations are for agents too
    assert not errors, errors
    for c in (visitor_ctx, sam_ctx, ann_ctx):
        await c.close()
    await admin.close()


async def test_supervisor_joins_replies_beside_the_agent_and_leaves(browser, web_server, shop, shots):
    errors: list[str] = []
    base = web_server.base_url
    ann_ctx, ann = await console_login(browser, base, *make_agent(web_server, "agent"), errors)
    await wait_until_online(base)
    visitor_ctx = await browser.new_context(viewport={"width": 1100, "height": 800})
    visitor = await visitor_ctx.new_page()
    visitor.on("pageerror", lambda e: errors.append(str(e)))
    await visitor.goto(shop.write("join.html", shop_page(f"{base}/widget.js")))
    await visitor.get_by_label("Open chat").click()
    await visitor.get_by_label("How can we help?").fill("Can I change my delivery address?")
    await visitor.get_by_role("button", name="Start chat").click()
    # Stored (the widget's `message` event fires on the server's ack) before looking for it: on a
    # loaded CI machine the widget's connect and first send took most of the console's 15 s.
    await visitor.wait_for_function(
        "q => (window.__events || []).some(e => e.text === q)", arg="Can I change my delivery address?", timeout=20_000
    )
    waiting = ann.get_by_role("button", name=re.compile(r"^Visitor #")).first
    await expect(waiting).to_be_visible(timeout=15_000)
    await waiting.click()
    await ann.get_by_role("main").get_by_role("button", name="Accept", exact=True).click()
    await expect(ann.get_by_label("Reply")).to_be_enabled(timeout=10_000)

    sam_ctx, sam = await console_login(browser, base, *make_agent(web_server, "manager"), errors)
    await sam.get_by_role("button", name="Monitor").click()
    row = sam.locator("tr.monitor-row").filter(has_text="Can I change my delivery address?")
    await expect(row).to_be_visible(timeout=10_000)
    await row.click()
    await sam.get_by_role("button", name="Join chat").click()
    await expect(visitor.get_by_text(re.compile(r"joined the chat$")).last).to_be_visible(timeout=10_000)
    sam_reply = sam.get_by_label("Reply")
    await expect(sam_reply).to_be_enabled(timeout=10_000)
    await sam_reply.fill("Hello, I'm helping Ann today: yes, until it ships.")
    await sam_reply.press("Enter")
    await expect(visitor.get_by_text("yes, until it ships.", exact=False)).to_be_visible(timeout=10_000)
    await expect(ann.get_by_role("log").get_by_text("yes, until it ships.", exact=False)).to_be_visible(timeout=10_000)
    ann_reply = ann.get_by_label("Reply")
    await ann_reply.fill("What is the new address?")
    await ann_reply.press("Enter")
    await expect(sam.get_by_role("log").get_by_text("What is the new address?")).to_be_visible(timeout=10_000)
    # Two agents write in a row: the visitor sees who wrote each message.
    await expect(visitor.get_by_text("What is the new address?")).to_be_visible(timeout=10_000)
    names = await visitor.locator(".m.them .n").evaluate_all(
        "ns => ns.filter(n => n.offsetParent).map(n => n.textContent)"
    )
    assert len(names) == 2 and names[0] != names[1], names
    await sam.screenshot(path=str(shots / "supervision-8-joined.png"))
    await visitor.screenshot(path=str(shots / "supervision-9-visitor-sees-join.png"))
    await sam.get_by_role("button", name="Leave chat").click()
    await expect(visitor.get_by_text(re.compile(r"left the chat$"))).to_be_visible(timeout=10_000)
    await expect(sam.get_by_label("Whisper", exact=True)).to_be_visible(timeout=10_000)  # watching again
    assert not errors, errors
    for c in (visitor_ctx, sam_ctx, ann_ctx):
        await c.close()
