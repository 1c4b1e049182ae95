"""The Reports pages in a real browser on a `frontdesk demo` database (issue 14, "Done when"): a
manager opens the home dashboard, the heatmap, an agent's day timeline and a goal chart (a goal set
through the API first), finds each chart drawn by plotly (its SVG exists and holds data), saves
screenshots (1366 px wide, and the dashboard at 390 px), and follows one drill-down to a transcript
(the Archive shows the chat's messages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from tests.clients import AgentClient
from tests.conftest import ServerProcess
from tests.e2e.demo import demo_server_on

pytestmark = pytest.mark.asyncio(loop_scope="session")

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def demo_server(demo_database, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A server on a copy of the session's `frontdesk demo --weeks 4 --seed 7` database
    (tests/e2e/conftest.demo_database: the real CLI, run once per session)."""
    proc = demo_server_on(demo_database, tmp_path_factory, "reports-demo")
    await proc.start()
    yield proc
    await proc.stop()


async def manager_of(server: ServerProcess) -> AgentClient:
    email, password = server.demo_manager  # type: ignore[attr-defined]
    client = AgentClient(server.base_url)
    await client.login(email, password)
    client.email, client.password = email, password  # type: ignore[attr-defined]
    return client


async def open_console(browser, server: ServerProcess, who: AgentClient, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    ctx = await browser.new_context(viewport=viewport)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.base_url}/console/")
    await page.fill("#login-email", who.email)  # type: ignore[attr-defined]
    await page.fill("#login-password", who.password)  # type: ignore[attr-defined]
    await page.press("#login-password", "Enter")
    return ctx, page, errors


async def drawn(page: Page, selector: str, timeout: float = 30_000) -> dict[str, Any]:
    """Waits for the plotly chart in `selector` to be drawn; returns what it holds: the number of
    traces, of data points, and of SVG marks (bars, points, lines, heatmap images)."""
    chart = page.locator(f"{selector} .js-plotly-plot").first
    await expect(chart).to_be_visible(timeout=timeout)
    await expect(chart.locator("svg.main-svg").first).to_be_attached(timeout=timeout)
    return await chart.evaluate(
        """(el) => {
          const data = el.data || [];
          let points = 0;
          for (const t of data) points += Math.max((t.x || []).length, (t.y || []).length, (t.z || []).length, (t.values || []).length);
          const marks = el.querySelectorAll('g.trace path.point, g.trace .bars path, g.trace path.js-line, '
            + 'g.heatmaplayer image, g.trace path.js-fill, g.trace .point, g.shapelayer path').length;
          return { traces: data.length, points, marks };
        }"""
    )


def has_data(chart: dict[str, Any]) -> bool:
    return chart["traces"] > 0 and chart["points"] > 0 and chart["marks"] > 0


async def test_a_manager_reads_the_reports_of_the_demo_history(browser, demo_server, shots) -> None:  # type: ignore[no-untyped-def]
    lead = await manager_of(demo_server)
    r = await lead.http.get("/api/v1/departments")
    assert r.status_code == 200, r.text
    departments = r.json()["departments"]
    dept = max(departments, key=lambda d: d["id"])  # a demo department
    r = await lead.http.put(
        f"/api/v1/departments/{dept['id']}/goals",
        json={
            "goals": [
                {"metric": "service_level", "target": 0.8, "seconds": 30},
                {"metric": "missed_share", "target": 0.05},
            ]
        },
        headers={"X-CSRF-Token": lead.csrf or ""},
    )
    assert r.status_code == 200, r.text
    ctx, page, errors = await open_console(browser, demo_server, lead, WIDE)
    try:
        await page.locator(".btn-reports").click()
        # The home dashboard: today's figures and today vs the same weekday last week.
        await expect(page.locator(".rep-tile").first).to_be_visible(timeout=30_000)
        dashboard = await drawn(page, ".rep-main")
        assert has_data(dashboard), dashboard
        await page.screenshot(path=str(shots / "demo-reports-dashboard-1366.png"), full_page=True)

        # The heatmap over the last two weeks of the demo: hour of day x weekday.
        last = (datetime.now(UTC) - timedelta(days=1)).date()
        first = last - timedelta(days=13)
        await page.goto(f"{demo_server.base_url}/console/#reports/heatmap")
        await set_range(page, first.isoformat(), last.isoformat())
        heat = await drawn(page, ".rep-main")
        assert heat["traces"] == 1 and heat["points"] == 7, heat  # 7 weekdays of 24 hours
        assert heat["marks"] > 0, heat
        await page.screenshot(path=str(shots / "demo-reports-heatmap-1366.png"), full_page=True)

        # An agent's day timeline: the leaderboard's first row opens it.
        await page.goto(f"{demo_server.base_url}/console/#reports/agents")
        row = page.locator(".rep-row[data-agent]").first
        await expect(row).to_be_visible(timeout=30_000)
        await row.click()
        await drawn(page, ".rep-timeline-slot")
        # a weekday of the demo (the last Wednesday before today): the agents worked that day
        wednesday = last - timedelta(days=(last.weekday() - 2) % 7)
        day = page.locator(".rep-timeline-slot input[type=date]")
        await day.fill(wednesday.isoformat())
        await day.dispatch_event("change")
        await expect(page.locator(".rep-timeline-slot")).to_contain_text(" · day timeline")
        timeline = await drawn(page, ".rep-timeline-slot")
        await page.locator(".rep-timeline-slot").scroll_into_view_if_needed()
        assert has_data(timeline), timeline
        await page.screenshot(path=str(shots / "demo-reports-agent-timeline-1366.png"), full_page=True)

        # The goal chart: the department's goals per day, the days that missed marked.
        await page.goto(f"{demo_server.base_url}/console/#reports/goals")
        goals = await drawn(page, ".rep-main")
        assert has_data(goals), goals
        await page.screenshot(path=str(shots / "demo-reports-goals-1366.png"), full_page=True)

        # A drill-down to a transcript: the missed chats of the overview, the first one opened.
        await page.goto(f"{demo_server.base_url}/console/#reports/overview")
        tile = page.locator(".rep-tile-drill[data-kpi='missed']")
        await expect(tile).to_be_visible(timeout=30_000)
        await tile.click()
        first_chat = page.locator(".rep-drill-row[data-chat]").first
        await expect(first_chat).to_be_visible(timeout=30_000)
        chat_id = await first_chat.get_attribute("data-chat")
        await page.screenshot(path=str(shots / "demo-reports-drill-down-1366.png"), full_page=True)
        await first_chat.click()
        r = await lead.http.get(f"/api/v1/chats/{chat_id}/transcript.json")
        assert r.status_code == 200, r.text
        texts = [e["text"] for e in r.json()["events"] if e.get("kind") == "message" and e.get("text")]
        assert texts, f"chat {chat_id} has no messages"
        await expect(page.get_by_text(texts[0]).first).to_be_visible(timeout=30_000)
        await page.screenshot(path=str(shots / "demo-reports-transcript-1366.png"), full_page=True)
        assert not errors, errors
    finally:
        await ctx.close()

    # A phone: the dashboard still draws, one column.
    ctx, page, errors = await open_console(browser, demo_server, lead, PHONE)
    try:
        await page.goto(f"{demo_server.base_url}/console/#reports/dashboard")
        phone = await drawn(page, ".rep-main")
        assert has_data(phone), phone
        await page.screenshot(path=str(shots / "demo-reports-dashboard-390.png"), full_page=True)
        assert not errors, errors
    finally:
        await ctx.close()
        await lead.close()


async def set_range(page: Page, first: str, last: str) -> None:
    """The filter bar's custom range."""
    start = page.locator(".rep-filter input[type=date]").first
    end = page.locator(".rep-filter input[type=date]").nth(1)
    if await start.count() and await end.count():
        await start.fill(first)
        await end.fill(last)
        await end.dispatch_event("change")
