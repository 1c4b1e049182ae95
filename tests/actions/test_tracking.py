"""Tracking (frontdesk/actions/tracking.py) on real databases: visits numbered by the 30-minute
rule (with a controlled clock: every action takes `now`), page views written in batches, the
site's mode and Do-Not-Track, and visits under retention and the delete-this-visitor request."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from frontdesk.actions import retention, tracking
from frontdesk.actions.audit import list_audit
from frontdesk.actions.context import Context, VisitorActor
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.tracking import Page
from frontdesk.store.models import PageView, Visit, Visitor
from tests.actions.support import new_agent, new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PUBLIC_GB = "81.2.69.160"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


@pytest_asyncio.fixture(loop_scope="session")
async def tctx(ctx: Context) -> AsyncIterator[Context]:
    yield ctx
    await tracking.tracker_of(ctx).close()


def hello(url: str = "https://shop.test/", **track: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "hello", "page": {"url": url, "title": "Shop", "referrer": "https://ref.test/"}}
    if track:
        frame["track"] = track
    return frame


async def open_visit(ctx: Context, visitor: VisitorActor, at: datetime, url: str = "https://shop.test/", **kw: Any):
    return await tracking.do_open_visit(
        ctx=ctx,
        actor=visitor,
        hello=kw.pop("frame", None) or hello(url, languages=["de-CH", "en"], screen="phone"),
        ip=kw.pop("ip", PUBLIC_GB),
        user_agent=CHROME_ANDROID,
        now=at,
        **kw,
    )


async def visits_of(ctx: Context, visitor_id: str) -> list[Any]:
    async with ctx.db.read() as conn:
        return list((await conn.execute(select(Visit).where(Visit.visitor_id == visitor_id).order_by(Visit.id))).all())


async def views_of(ctx: Context, visitor_id: str) -> list[Any]:
    async with ctx.db.read() as conn:
        stmt = select(PageView).where(PageView.visitor_id == visitor_id).order_by(PageView.id)
        return list((await conn.execute(stmt)).all())


async def test_a_visit_its_page_views_and_the_thirty_minute_rule(tctx):
    ctx, visitor = tctx, await new_visitor(tctx)
    tracker = tracking.tracker_of(ctx)

    first = await open_visit(ctx, visitor, T0)
    assert first is not None and first.number == 1 and not first.returning
    assert (first.country, first.device, first.browser, first.os) == ("GB", "phone", "Chrome", "Android")
    assert (first.language, first.screen) == ("de-CH", "phone")
    await tracking.do_page_time(ctx=ctx, state=first, visible_ms=4000, now=T0 + timedelta(seconds=5))
    await tracking.do_page_view(
        ctx=ctx,
        state=first,
        page=Page("https://shop.test/pricing", "Pricing", None),
        prev_visible_ms=6000,
        now=T0 + timedelta(seconds=8),
    )
    await tracker.flush()
    [visit] = await visits_of(ctx, visitor.visitor_id)
    assert (visit.number, visit.pages, visit.visible_ms, visit.ip) == (1, 2, 6000, "81.2.69.0")  # truncated
    assert (visit.page_url, visit.landing_url, visit.country) == (
        "https://shop.test/pricing",
        "https://shop.test/",
        "GB",
    )
    assert visit.left_at is None and visit.ended_at is None
    views = await views_of(ctx, visitor.visitor_id)
    assert [(v.url, v.visible_ms) for v in views] == [("https://shop.test/", 6000), ("https://shop.test/pricing", None)]

    # The socket closes: left, the last page's visible time kept.
    await tracking.do_page_time(ctx=ctx, state=first, visible_ms=3000, now=T0 + timedelta(seconds=11))
    tracking.do_leave_visit(ctx=ctx, state=first, now=T0 + timedelta(seconds=12))
    await tracker.flush()
    [visit] = await visits_of(ctx, visitor.visitor_id)
    assert visit.left_at is not None and visit.visible_ms == 9000
    assert [v.visible_ms for v in await views_of(ctx, visitor.visitor_id)] == [6000, 3000]

    # Back 20 minutes later: the same visit goes on.
    again = await open_visit(ctx, visitor, T0 + timedelta(minutes=20), "https://shop.test/cart")
    assert again is not None and again.visit_id == first.visit_id and again.pages == 3
    tracking.do_leave_visit(ctx=ctx, state=again, now=T0 + timedelta(minutes=21))
    await tracker.flush()

    # 30 minutes without activity: the next connection is visit 2.
    later = await open_visit(ctx, visitor, T0 + timedelta(minutes=51, seconds=1))
    assert later is not None and later.number == 2 and later.returning and later.visit_id != first.visit_id
    await tracker.flush()
    old, new = await visits_of(ctx, visitor.visitor_id)
    assert old.ended_at is not None and new.ended_at is None and new.pages == 1
    async with ctx.db.read() as conn:
        row = (
            await conn.execute(select(Visitor.visits, Visitor.last_visit_id).where(Visitor.id == visitor.visitor_id))
        ).one()
    assert (row.visits, row.last_visit_id) == (2, new.id)
    tracking.do_leave_visit(ctx=ctx, state=later, now=T0 + timedelta(minutes=52))
    await tracker.flush()

    # The job ends visits nobody has seen for 30 minutes.
    assert await tracking.do_end_idle_visits(ctx, now=T0 + timedelta(minutes=83)) >= 1
    assert all(v.ended_at is not None for v in await visits_of(ctx, visitor.visitor_id))


async def test_two_tabs_share_one_visit_and_the_heartbeat_keeps_it_open(tctx):
    ctx, visitor = tctx, await new_visitor(tctx)
    tracker = tracking.tracker_of(ctx)
    one = await open_visit(ctx, visitor, T0)
    two = await open_visit(ctx, visitor, T0 + timedelta(seconds=2), "https://shop.test/b")
    assert one is two and one.pages == 2
    tracking.do_leave_visit(ctx=ctx, state=one, now=T0 + timedelta(seconds=3))
    await tracker.flush()
    [visit] = await visits_of(ctx, visitor.visitor_id)
    assert visit.left_at is None  # the other tab is still there
    assert await tracker.heartbeat(now=T0 + timedelta(hours=2)) >= 1
    assert await tracking.do_end_idle_visits(ctx, now=T0 + timedelta(hours=2, minutes=10)) == 0
    tracking.do_leave_visit(ctx=ctx, state=two, now=T0 + timedelta(hours=2, minutes=11))
    await tracker.flush()
    [visit] = await visits_of(ctx, visitor.visitor_id)
    assert visit.left_at is not None and visit.ended_at is None


@pytest.mark.parametrize(
    ("mode", "frame", "headers", "tracked"),
    [
        ("off", hello(screen="desktop"), {}, False),
        ("respect_dnt", hello(dnt=True), {}, False),
        ("respect_dnt", hello(screen="desktop"), {"dnt_header": "1"}, False),
        ("respect_dnt", hello(screen="desktop"), {"gpc_header": "1"}, False),
        ("respect_dnt", hello(screen="desktop"), {}, True),
        ("consent", hello(), {}, False),  # no `track`: the page has not consented
        ("consent", hello(screen="desktop", consent=False), {}, False),
        ("consent", hello(screen="desktop"), {}, True),
        ("on", hello(), {}, True),
    ],
)
async def test_the_sites_mode_decides(tctx, mode, frame, headers, tracked):
    ctx, admin = tctx, await new_agent(tctx, "admin")
    await tracking.do_update_tracking_settings(ctx=ctx, actor=admin, data={"mode": mode})
    visitor = await new_visitor(ctx)
    state = await open_visit(ctx, visitor, T0, frame=frame, **headers)
    assert (state is not None) is tracked
    await tracking.tracker_of(ctx).flush()
    assert len(await visits_of(ctx, visitor.visitor_id)) == (1 if tracked else 0)
    assert len(await views_of(ctx, visitor.visitor_id)) == (1 if tracked else 0)


async def test_addresses_kept_whole_when_the_setting_says_so(tctx):
    admin = await new_agent(tctx, "admin")
    await tracking.do_update_tracking_settings(ctx=tctx, actor=admin, data={"truncate_ip": False})
    visitor = await new_visitor(tctx)
    await open_visit(tctx, visitor, T0, ip="2a03:2880:f10c:83:face:b00c:0:25de")
    [visit] = await visits_of(tctx, visitor.visitor_id)
    assert visit.ip == "2a03:2880:f10c:83:face:b00c:0:25de"


async def test_settings_are_for_admins_and_audit_logged(tctx):
    admin, manager = await new_agent(tctx, "admin"), await new_agent(tctx, "manager")
    with pytest.raises(ChatRuleError) as caught:
        await tracking.do_update_tracking_settings(ctx=tctx, actor=manager, data={"mode": "off"})
    assert caught.value.code == "forbidden"
    with pytest.raises(ChatRuleError) as caught:
        await tracking.do_update_tracking_settings(ctx=tctx, actor=admin, data={"mode": "sometimes"})
    assert caught.value.field == "mode"
    after = await tracking.do_update_tracking_settings(ctx=tctx, actor=admin, data={"mode": "respect_dnt"})
    assert after == {"mode": "respect_dnt", "truncate_ip": True}
    assert await tracking.read_tracking_settings(ctx=tctx, actor=admin) == after
    log = await list_audit(ctx=tctx, actor=admin, action="tracking.update")
    [entry] = log["entries"]
    assert entry["details"]["changed"] == {"mode": {"from": "on", "to": "respect_dnt"}}


async def test_retention_deletes_old_visits_with_their_page_views(tctx):
    ctx, admin = tctx, await new_agent(tctx, "admin")
    await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data={"retention_days": 30})
    visitor = await new_visitor(ctx)
    now = datetime.now(UTC)
    old = await open_visit(ctx, visitor, now - timedelta(days=40))
    assert old is not None
    tracking.do_leave_visit(ctx=ctx, state=old, now=now - timedelta(days=40))
    recent = await open_visit(ctx, visitor, now - timedelta(days=1), "https://shop.test/recent")
    assert recent is not None and recent.number == 2
    tracking.do_leave_visit(ctx=ctx, state=recent, now=now - timedelta(days=1))
    await tracking.tracker_of(ctx).flush()
    report = await retention.do_run_retention(ctx, now=now)
    assert (report.visits, report.page_views) == (1, 1)
    [kept] = await visits_of(ctx, visitor.visitor_id)
    assert kept.id == recent.visit_id
    assert [v.url for v in await views_of(ctx, visitor.visitor_id)] == ["https://shop.test/recent"]


async def test_deleting_a_visitor_deletes_their_visits_and_page_views(tctx):
    ctx, admin = tctx, await new_agent(tctx, "admin")
    visitor = await new_visitor(ctx)
    state = await open_visit(ctx, visitor, T0)
    assert state is not None
    await tracking.do_page_view(ctx=ctx, state=state, page=Page("/b", None, None), prev_visible_ms=10, now=T0)
    await tracking.tracker_of(ctx).flush()
    result = await retention.do_delete_visitor_data(ctx=ctx, actor=admin, visitor_id=visitor.visitor_id)
    assert (result["deleted"]["visits"], result["deleted"]["page_views"]) == (1, 2)
    assert await visits_of(ctx, visitor.visitor_id) == []
    assert await views_of(ctx, visitor.visitor_id) == []


async def test_five_hundred_page_views_are_one_cheap_batch(tctx):
    """~500 page views a second on one node: one flush writes them in one transaction."""
    ctx = tctx
    tracker = tracking.tracker_of(ctx)
    states = []
    for _ in range(50):
        state = await open_visit(ctx, await new_visitor(ctx), T0)
        assert state is not None
        states.append(state)
    await tracker.flush()
    flushes = tracker.flushes
    for i in range(500):
        state = states[i % len(states)]
        page = Page(f"https://shop.test/p/{i}", f"Product {i}", None)
        await tracking.do_page_view(ctx=ctx, state=state, page=page, prev_visible_ms=1000, now=T0)
    started = time.perf_counter()
    written = await tracker.flush()
    elapsed = time.perf_counter() - started
    assert written == 500 and tracker.flushes == flushes + 1
    async with ctx.db.read() as conn:
        ids = [s.visit_id for s in states]
        stored = (await conn.execute(select(func.count()).where(PageView.visit_id.in_(ids)))).scalar_one()
        finished = (
            await conn.execute(select(func.count()).where(PageView.visit_id.in_(ids), PageView.visible_ms == 1000))
        ).scalar_one()
    assert stored == 550 and finished == 500  # each view but the latest of a visit has its time
    print(
        f"\n{'sqlite' if ctx.db.is_sqlite else 'postgres'}: 500 page views over 50 visits flushed in {elapsed * 1000:.0f} ms"
    )
    for state in states:
        tracking.do_leave_visit(ctx=ctx, state=state, now=T0)
