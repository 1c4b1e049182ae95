"""The console's Reports pages in a real browser, on a one-week `frontdesk demo` history (issue 14;
docs/architecture/frontend.md "The Reports pages"): the filter bar asks again with what it shows
(department, its time zone), a reversed range is refused at the "To" field, the leaderboard sorts
by a column both ways, a goal the server refuses is shown at its input and a good one is drawn, an
agent sees only their own figures (no Dashboard, the agent filter locked to them), and every tab is
saved as a screenshot at 1366 and 390 px. (tests/e2e/test_reports.py is the issue's "Done when".)"""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from tests.clients import AgentClient
from tests.conftest import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

PASSWORD = "frontdesk-demo"  # every demo user's (actions/demo.py)
MANAGER = "maria.lopez@demo.example.com"
AGENT = "ingrid.berg@demo.example.com"
ADMIN = "ada@reports.example"  # departments are the admins' to rename
TABS = ["dashboard", "overview", "times", "agents", "departments", "heatmap", "goals", "transfers"]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def demo(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A server on a database filled by `frontdesk demo --weeks 1` (the week before today and today up to now)."""
    data_dir = tmp_path_factory.mktemp("reports-pages")
    proc = ServerProcess(data_dir, f"sqlite:///{data_dir / 'frontdesk.db'}")
    proc.cli("migrate")
    out = subprocess.run(  # a minute or more on a busy machine: longer than proc.cli allows
        [sys.executable, "-m", "frontdesk", "demo", "--weeks", "1", "--seed", "3"],
        env=proc.env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    proc.cli("user", "create", "--email", ADMIN, "--name", "Ada Admin", "--role", "admin", "--password", PASSWORD)
    await proc.start()
    yield proc
    await proc.stop()


async def console_as(browser, server: ServerProcess, email: str, width: int):  # type: ignore[no-untyped-def]
    ctx = await browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.base_url}/console/")
    await page.fill("#login-email", email)
    await page.fill("#login-password", PASSWORD)
    await page.press("#login-password", "Enter")
    await expect(page.locator(".sidebar")).to_be_visible(timeout=20_000)
    return ctx, page, errors


async def settled(page: Page) -> None:
    """The tab's answers are drawn: not busy, no chart still loading."""
    await page.wait_for_function(
        "() => { const b = document.querySelector('.rep-body');"
        " return b && b.getAttribute('aria-busy') === 'false' && !document.querySelector('.chart-loading'); }",
        timeout=30_000,
    )


async def numbers(page: Page, column: str) -> list[float]:
    """The leaderboard's figures in one column (agents only, not the 'no agent' row)."""
    index = await page.locator(".rep-leaderboard thead th").evaluate_all(
        f"(ths) => ths.findIndex((th) => th.querySelector('[data-sort=\"{column}\"]'))"
    )
    cells = await page.locator(f".rep-leaderboard tr.rep-row td:nth-child({index + 1})").all_inner_texts()
    return [float(c.replace(",", "").split()[0]) for c in cells]


async def test_filters_sorting_and_goal_errors(browser, demo, shots) -> None:  # type: ignore[no-untyped-def]
    ctx, page, errors = await console_as(browser, demo, MANAGER, 1366)
    try:
        await page.get_by_role("button", name="Reports", exact=True).click()
        await expect(page.get_by_role("heading", name="Reports")).to_be_visible()
        await expect(page.get_by_role("tab", name="Dashboard")).to_have_attribute("aria-selected", "true")
        await settled(page)

        # The Overview asks with the filter bar's values; a department brings its time zone.
        await page.get_by_role("tab", name="Overview").click()
        await settled(page)
        await expect(page.locator(".rep-tile[data-kpi='chats'] .rep-tile-value")).not_to_have_text("0")
        async with page.expect_request(lambda r: "/api/v1/reports/summary?" in r.url) as asked:
            await page.locator("select[name=rep-department]").select_option(label="Support")
        query = parse_qs(urlsplit((await asked.value).url).query)
        assert query["department"] and query["tz"] == ["Europe/Oslo"], query
        assert query["from"] < query["to"], query
        await expect(page.locator(".rep-range-text")).to_contain_text("Europe/Oslo")
        await settled(page)
        await expect(page.locator(".rep-tile[data-kpi='missed'] .rep-delta")).to_be_visible()
        assert await page.locator(".rep-info[aria-describedby]").count() > 5  # every figure explained

        # A reversed range: refused at the To field, in words; a good one clears it.
        await page.locator("input[name=rep-from]").fill("2026-03-10")
        await page.locator("input[name=rep-to]").fill("2026-03-01")
        to_field = page.locator(".rep-f-to")
        await expect(to_field.locator(".field-msg")).to_have_text("Must not be before from", timeout=10_000)
        await expect(page.locator("input[name=rep-to]")).to_have_attribute("aria-invalid", "true")
        await page.locator("select[name=rep-preset]").select_option("30d")
        await settled(page)
        await expect(to_field.locator(".field-msg")).to_have_count(0)

        # The leaderboard sorts by a column, both ways.
        await page.get_by_role("tab", name="Agents").click()
        await settled(page)
        header = page.locator(".rep-leaderboard th", has=page.locator("[data-sort='answered']"))
        await header.get_by_role("button").click()
        await expect(header).to_have_attribute("aria-sort", "descending")
        down = await numbers(page, "answered")
        assert len(down) > 3 and down == sorted(down, reverse=True), down
        await header.get_by_role("button").click()
        await expect(header).to_have_attribute("aria-sort", "ascending")
        up = await numbers(page, "answered")
        assert up == sorted(up), up

        # Goals: a refusal at its input; then saved goals drawn against the daily figures.
        await page.get_by_role("tab", name="Goals").click()
        await settled(page)
        form = page.locator(".rep-goal-form")
        await form.locator("input[name=goal-service_level-on]").check()
        await form.locator("input[name=goal-service_level-target]").fill("80")
        await form.locator("input[name=goal-first_response_p90-on]").check()
        await form.locator("input[name=goal-first_response_p90-target]").fill("-3")
        await form.get_by_role("button", name="Save goals").click()
        bad = form.locator("input[name=goal-first_response_p90-target]")
        await expect(bad).to_have_attribute("aria-invalid", "true", timeout=10_000)
        await expect(form.locator(".rep-goal-row[data-metric='first_response_p90'] .field-msg")).to_be_visible()
        await expect(bad).to_be_focused()
        await page.screenshot(path=str(shots / "reports-page-goal-error-1366.png"))
        await bad.fill("60")
        await form.get_by_role("button", name="Save goals").click()
        await expect(page.locator(".rep-chart-goal.js-plotly-plot")).to_have_count(2, timeout=20_000)
        await expect(page.locator(".rep-card h3", has_text="Service level")).to_be_visible()
        assert not errors, errors
    finally:
        await ctx.close()


HOSTILE = "<b>Billing</b> & <i>co</i>"


@pytest.mark.parametrize("width", [1366, 390])
async def test_every_tab_drawn_and_saved(browser, demo, shots, width) -> None:  # type: ignore[no-untyped-def]
    lead = AgentClient(demo.base_url)
    await lead.login(ADMIN, PASSWORD)
    r = await lead.http.get("/api/v1/departments")
    billing = next(d for d in r.json()["departments"] if d["name"] in ("Billing", HOSTILE))
    r = await lead.http.patch(
        f"/api/v1/departments/{billing['id']}", json={"name": HOSTILE}, headers={"X-CSRF-Token": lead.csrf or ""}
    )
    assert r.status_code == 200, r.text
    await lead.close()
    ctx, page, errors = await console_as(browser, demo, MANAGER, width)
    try:
        for tab in TABS:
            await page.goto(f"{demo.base_url}/console/#reports/{tab}")
            await expect(page.locator(f".rep-tab[data-tab='{tab}']")).to_have_attribute("aria-selected", "true")
            await settled(page)
            await expect(page.locator(".rep-body .form-error")).to_have_count(0)
            if tab not in ("agents", "goals"):  # the leaderboard is a table; goals need setting first
                await expect(page.locator(".rep-body .js-plotly-plot").first).to_be_visible(timeout=20_000)
            if width < 500:  # the page takes the phone's screen; nothing wider than it
                overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, (tab, overflow)
            if tab == "departments":  # a name is drawn as typed: plotly's label markup does not apply
                labels = await page.locator(".rep-body .js-plotly-plot .ytick text").all_text_contents()
                assert HOSTILE in labels, labels
                await expect(page.locator(".rep-table .rep-name", has_text="<b>Billing</b>")).to_be_visible()
            await page.screenshot(path=str(shots / f"reports-page-{tab}-{width}.png"), full_page=True)
        assert not errors, errors
    finally:
        await ctx.close()


async def test_an_agent_sees_their_own_figures(browser, demo) -> None:  # type: ignore[no-untyped-def]
    ctx, page, errors = await console_as(browser, demo, AGENT, 1366)
    try:
        await page.get_by_role("button", name="Reports", exact=True).click()
        await expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
        await expect(page.get_by_role("tab", name="Dashboard")).to_have_count(0)
        await expect(page.locator(".rep-f-agent")).to_be_hidden()
        await settled(page)
        async with page.expect_request(lambda r: "/api/v1/reports/agents?" in r.url) as asked:
            await page.get_by_role("tab", name="Agents").click()
        me = await page.evaluate("window.__frontdesk.me.id")
        assert parse_qs(urlsplit((await asked.value).url).query)["agent"] == [str(me)]
        await settled(page)
        await expect(page.locator(".rep-leaderboard tr.rep-row")).to_have_count(1)
        await expect(page.locator(".rep-leaderboard .rep-name")).to_have_text("Ingrid Berg")
        assert not errors, errors
    finally:
        await ctx.close()
