"""Tracking: visits and page views of visitors on the site (docs/architecture/visitors.md,
"Tracking").

A visitor's socket opens (or continues) their visit at its hello (`do_open_visit`); the hello's
page is the page view of a full page load. Single-page-app navigations (`page.view`) and visible
time (`page.time`) update the `VisitState` kept on the socket, and are written by this node's
`Tracker` in batches: every FLUSH_SECONDS one transaction inserts the buffered page views and
updates each changed visit once (executemany), then announces the change on the bus topic
`visitors` (one announcement per flush, so at most one every FLUSH_SECONDS per node). The same
loop refreshes `last_seen_at` of the visits of this node's connected visitors every
HEARTBEAT_SECONDS in one UPDATE. A visit ends after VISIT_IDLE without activity
(`do_end_idle_visits`, a job); the next connection then starts visit number + 1.

The site's `tracking` setting decides whether anything is recorded (domain/tracking.should_track):
nothing for `off`, nothing for a browser that sends Do-Not-Track or Global Privacy Control under
`respect_dnt`, nothing until the page's consent under `consent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, VisitorActor, unit_of_work
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain import audience
from frontdesk.domain.tracking import (
    DEFAULT_TRACKING,
    HEARTBEAT_SECONDS,
    Page,
    VisitState,
    check_tracking_settings,
    clean_page,
    first_language,
    header_says_no,
    idle_cutoff,
    screen_class,
    should_track,
    truncate_ip,
    visit_continues,
)
from frontdesk.enrichment import Enricher, enricher_from_settings
from frontdesk.permissions import require
from frontdesk.store import setting_store, tracking_store
from frontdesk.wire import visitors_changed_frame

log = logging.getLogger(__name__)

KEY = "tracking"
FLUSH_SECONDS = 0.25
SETTINGS_TTL = 5.0  # seconds a node trusts its copy of the `tracking` setting (another node's PUT)
MAX_BUFFERED = 50_000  # page views kept for a retry while the database is away; past it, dropped
IDLE_BATCH = 500

# Called after each page view and visible-time update with the visit's state (the invitation
# rules: actions/invitations registers its `on_activity` here). Must be cheap: no query per call.
ActivityHook = Callable[[Context, VisitState], Awaitable[None]]
activity_hooks: list[ActivityHook] = []


def add_activity_hook(hook: ActivityHook) -> ActivityHook:
    if hook not in activity_hooks:
        activity_hooks.append(hook)
    return hook


async def notify_activity(ctx: Context, state: VisitState) -> None:
    for hook in list(activity_hooks):
        try:
            await hook(ctx, state)
        except Exception:  # a broken rule never costs the visitor their socket or the page view
            log.exception("tracking: activity hook %s failed", getattr(hook, "__name__", hook))


# ---- the setting ----------------------------------------------------------------------------------
async def read_tracking(conn: Any) -> dict[str, Any]:
    stored = await setting_store.setting(conn, KEY)
    return {**DEFAULT_TRACKING, **(stored if isinstance(stored, dict) else {})}


async def tracking_settings(*, ctx: Context) -> dict[str, Any]:
    """The site's `tracking` setting, as this node last read it (at most SETTINGS_TTL old)."""
    tracker = tracker_of(ctx)
    cached = tracker.settings
    if cached is not None and time.monotonic() - cached[0] < SETTINGS_TTL:
        return dict(cached[1])
    async with ctx.db.read() as conn:
        value = await read_tracking(conn)
    tracker.settings = (time.monotonic(), value)
    return dict(value)


async def read_tracking_settings(*, ctx: Context, actor: AgentActor) -> dict[str, Any]:
    require(actor.role, "tracking.manage")
    async with ctx.db.read() as conn:
        return await read_tracking(conn)


async def do_update_tracking_settings(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    """Admins only; the change is audit-logged (`tracking.update`, from/to of each field)."""
    require(actor.role, "tracking.manage")
    values = check_tracking_settings(data)
    async with unit_of_work(ctx) as (conn, _outbox):
        stored = await setting_store.setting(conn, KEY, lock=True)
        before = {**DEFAULT_TRACKING, **(stored if isinstance(stored, dict) else {})}
        after = {**before, **values}
        await setting_store.put_setting(conn, KEY, after, exists=stored is not None)
        changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        if changed:
            await record_audit(conn, actor, "tracking.update", ("settings", KEY), {"changed": changed})
    tracker_of(ctx).settings = (time.monotonic(), after)
    return after


# ---- the node's tracker ---------------------------------------------------------------------------
class Tracker:
    """This node's tracking state: the visits of its connected visitors (one VisitState per
    visit, shared by the visitor's tabs on this node), the buffer of page views, the batch
    writer's loop and the heartbeat. One per Context (`tracker_of`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.settings: tuple[float, dict[str, Any]] | None = None
        self._enricher: Enricher | None = None
        self._enricher_ready = False
        self.states: dict[int, VisitState] = {}  # visit id -> state, while a socket holds it here
        self.sockets: dict[int, int] = {}  # visit id -> this node's sockets on it
        # The buffer: page views to insert (per visit, in order), visible times of the latest
        # stored page view of a visit, and the visits whose row must be brought up to date.
        self.rows: dict[int, list[dict[str, Any]]] = {}
        self.finishes: dict[int, int] = {}
        self.dirty: dict[int, VisitState] = {}
        self.left: dict[int, datetime] = {}  # visit id -> when its last socket here closed
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.last_beat = time.monotonic()
        self.flushes = 0
        self.dropped = 0
        self.closed = False  # the app is shutting down: no new loop

    # -- enrichment --------------------------------------------------------------------------
    async def enricher(self) -> Enricher:
        if self._enricher is None:
            self._enricher = enricher_from_settings(self.ctx.settings)
        if not self._enricher_ready:
            await asyncio.to_thread(self._enricher.load)  # data files: ~0.2 s, once, off the loop
            self._enricher_ready = True
        return self._enricher

    # -- sockets -------------------------------------------------------------------------------
    def attach(self, state: VisitState) -> VisitState:
        """A socket of this node now holds the visit; its tabs here share one state."""
        shared = self.states.setdefault(state.visit_id, state)
        self.sockets[state.visit_id] = self.sockets.get(state.visit_id, 0) + 1
        self.left.pop(state.visit_id, None)
        self._ensure_running()
        return shared

    def detach(self, state: VisitState, now: datetime) -> None:
        """A socket holding the visit closed; after the last one here the visit has been left."""
        count = self.sockets.get(state.visit_id, 0) - 1
        if count > 0:
            self.sockets[state.visit_id] = count
            return
        self.sockets.pop(state.visit_id, None)
        self.states.pop(state.visit_id, None)
        state.last_seen_at = now
        self.left[state.visit_id] = now
        self.finish(state.visit_id, state.page_visible_ms)
        self.mark(state)

    # -- the buffer ----------------------------------------------------------------------------
    def mark(self, state: VisitState) -> None:
        self.dirty[state.visit_id] = state
        self._ensure_running()

    def finish(self, visit_id: int, visible_ms: int) -> None:
        """The visible time of the visit's latest page view (a page view buffered here, or the
        latest stored one)."""
        pending = self.rows.get(visit_id)
        if pending:
            pending[-1]["visible_ms"] = visible_ms
        else:
            self.finishes[visit_id] = visible_ms

    def add_view(self, state: VisitState, page: Page, at: datetime) -> None:
        row = {
            "visit_id": state.visit_id,
            "visitor_id": state.visitor_id,
            "at": at,
            "url": page.url,
            "title": page.title,
            "referrer": page.referrer,
            "visible_ms": None,
        }
        self.rows.setdefault(state.visit_id, []).append(row)
        self.mark(state)

    def pending(self) -> int:
        return sum(len(r) for r in self.rows.values()) + len(self.finishes) + len(self.dirty)

    def _ensure_running(self) -> None:
        if self.closed:
            return
        if self._task is None or self._task.done():
            with contextlib.suppress(RuntimeError):  # no running loop (a synchronous caller)
                self._task = asyncio.get_running_loop().create_task(self._run(), name="tracking-writer")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
                if time.monotonic() - self.last_beat >= HEARTBEAT_SECONDS:
                    await self.heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tracking: a batch failed; it is retried")
            if not self.states and not self.pending():
                return  # nobody connected here and nothing to write: the next socket restarts it

    async def flush(self, now: datetime | None = None) -> int:
        """Write the buffer in one transaction; the number of page views written. On failure the
        buffer is kept (up to MAX_BUFFERED page views) for the next try."""
        if not self.pending():
            return 0
        rows, finishes, dirty, left = self.rows, self.finishes, self.dirty, self.left
        self.rows, self.finishes, self.dirty, self.left = {}, {}, {}, {}
        flat = [row for visit_rows in rows.values() for row in visit_rows]
        snapshots = [
            {
                "b_id": state.visit_id,
                "b_seen": state.last_seen_at or now or utcnow(),
                "b_url": state.page_url,
                "b_title": state.page_title,
                "b_since": state.page_since,
                "b_pages": state.pages,
                "b_ms": state.visible_ms,
                "b_left": left.get(state.visit_id) if state.visit_id not in self.states else None,
            }
            for state in dirty.values()
        ]
        try:
            async with unit_of_work(self.ctx) as (conn, outbox):
                await tracking_store.finish_last_page_views(conn, list(finishes.items()))
                await tracking_store.insert_page_views(conn, flat)
                await tracking_store.update_visits(conn, snapshots)
                outbox.add([audience.visitors_topic()], visitors_changed_frame())
        except Exception:
            self._restore(rows, finishes, dirty, left)
            raise
        self.flushes += 1
        return len(flat)

    def _restore(
        self,
        rows: dict[int, list[dict[str, Any]]],
        finishes: dict[int, int],
        dirty: dict[int, VisitState],
        left: dict[int, datetime],
    ) -> None:
        if sum(len(r) for r in rows.values()) + self.pending() > MAX_BUFFERED:
            self.dropped += sum(len(r) for r in rows.values())
            log.warning("tracking: database away too long; %d page views dropped", self.dropped)
            return
        for visit_id, visit_rows in rows.items():
            self.rows[visit_id] = visit_rows + self.rows.get(visit_id, [])
        for visit_id, ms in finishes.items():
            self.finishes.setdefault(visit_id, ms)
        for visit_id, state in dirty.items():
            self.dirty.setdefault(visit_id, state)
        for visit_id, at in left.items():
            self.left.setdefault(visit_id, at)

    async def heartbeat(self, now: datetime | None = None) -> int:
        """last_seen_at of this node's connected visitors' visits, in one UPDATE."""
        self.last_beat = time.monotonic()
        ids = sorted(self.states)
        if not ids:
            return 0
        now = now or utcnow()
        for state in self.states.values():
            state.last_seen_at = now
        async with unit_of_work(self.ctx) as (conn, _outbox):
            return await tracking_store.touch_visits(conn, ids, now)

    async def close(self) -> None:
        """Stop the loop and write what is buffered (the app's shutdown). Sockets that close
        after it are not written: their visits end by the idle job."""
        self.closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()


def tracker_of(ctx: Context) -> Tracker:
    tracker = getattr(ctx, "tracker", None)
    if tracker is None:
        tracker = Tracker(ctx)
        ctx.tracker = tracker  # type: ignore[attr-defined]
    return tracker


# ---- a visitor's socket ---------------------------------------------------------------------------
def consent_of(track: object) -> bool | None:
    """What the hello's `track` says about consent: absent -> None (nothing said), an object ->
    True unless it says `"consent": false`."""
    if not isinstance(track, dict):
        return None
    return track.get("consent") is not False


async def do_open_visit(
    *,
    ctx: Context,
    actor: VisitorActor,
    hello: dict[str, Any],
    ip: str | None,
    user_agent: str | None,
    dnt_header: str | None = None,
    gpc_header: str | None = None,
    now: datetime | None = None,
) -> VisitState | None:
    """The hello of a visitor's socket: start a visit, or continue the one that has not been
    idle for VISIT_IDLE, and record the hello's page as a page view. None when tracking is not
    allowed for this socket (the site's mode, DNT/GPC, consent) or the visitor is unknown."""
    settings = await tracking_settings(ctx=ctx)
    track = hello.get("track")
    details = track if isinstance(track, dict) else {}
    dnt = details.get("dnt") is True or header_says_no(dnt_header)
    if not should_track(settings["mode"], dnt=dnt, gpc=header_says_no(gpc_header), consent=consent_of(track)):
        return None
    now = now or utcnow()
    page = clean_page(hello.get("page"))
    tracker = tracker_of(ctx)
    async with ctx.db.read() as conn:
        known = await tracking_store.visitor_visits(conn, actor.visitor_id)
        last = await tracking_store.visit_row(conn, known.last_visit_id) if known and known.last_visit_id else None
    if known is None:
        return None
    if last is not None and visit_continues(as_utc(last.last_seen_at), as_utc(last.ended_at), now):
        # This node's copy when it has one (another tab, or a reload whose leave is still
        # buffered): the row may not have that batch yet.
        found: VisitState | None = tracker.states.get(last.id) or tracker.dirty.get(last.id) or state_from_row(last)
    else:
        found = await _new_visit(ctx, actor, details, page, ip, user_agent, settings, now)
    if found is None:
        return None
    state = tracker.attach(found)
    state.last_seen_at = now
    if page is not None:  # a full page load: its hello's page is the page view
        if state.pages and state.page_visible_ms:  # another tab's page: finished here
            tracker.finish(state.visit_id, state.page_visible_ms)
        state.viewed(page, now)
        tracker.add_view(state, page, now)
    tracker.mark(state)
    await notify_activity(ctx, state)
    return state


async def _new_visit(
    ctx: Context,
    actor: VisitorActor,
    details: dict[str, Any],
    page: Page | None,
    ip: str | None,
    user_agent: str | None,
    settings: dict[str, Any],
    now: datetime,
) -> VisitState | None:
    enricher = await tracker_of(ctx).enricher()
    place = enricher.place(ip)
    client = enricher.client(user_agent)
    values: dict[str, Any] = {
        "visitor_id": actor.visitor_id,
        "started_at": now,
        "last_seen_at": now,
        "ip": truncate_ip(ip, truncate=bool(settings.get("truncate_ip", True))),
        "country": place.country,
        "city": place.city,
        "browser": client.browser,
        "os": client.os,
        "device": client.device,
        "language": first_language(details.get("languages")),
        "screen": screen_class(details.get("screen")),
        "referrer": page.referrer if page else None,
        "landing_url": page.url if page else None,
        "pages": 0,
        "visible_ms": 0,
    }
    async with unit_of_work(ctx) as (conn, _outbox):
        known = await tracking_store.visitor_visits(conn, actor.visitor_id, lock=True)
        if known is None:
            return None
        if known.last_visit_id:
            last = await tracking_store.visit_row(conn, known.last_visit_id)
            if last is not None and visit_continues(as_utc(last.last_seen_at), as_utc(last.ended_at), now):
                return state_from_row(last)  # another tab started it meanwhile
            if last is not None:
                await tracking_store.end_visit(conn, last.id)
        number = int(known.visits or 0) + 1
        visit_id = await tracking_store.insert_visit(conn, {**values, "number": number})
        await tracking_store.set_visitor_visit(conn, actor.visitor_id, visits=number, last_visit_id=visit_id)
    return VisitState(
        visit_id=visit_id,
        visitor_id=actor.visitor_id,
        number=number,
        started_at=now,
        referrer=values["referrer"],
        country=place.country,
        city=place.city,
        device=client.device,
        browser=client.browser,
        os=client.os,
        language=values["language"],
        screen=values["screen"],
        last_seen_at=now,
    )


def state_from_row(row: Any) -> VisitState:
    """A visit continued from the database (a reload, another tab, another node)."""
    return VisitState(
        visit_id=row.id,
        visitor_id=row.visitor_id,
        number=row.number,
        started_at=as_utc(row.started_at),
        page_url=row.page_url,
        page_title=row.page_title,
        page_since=as_utc(row.page_since),
        pages=row.pages or 0,
        visible_ms=row.visible_ms or 0,
        done_ms=row.visible_ms or 0,
        referrer=row.referrer,
        landing_url=row.landing_url,
        country=row.country,
        city=row.city,
        device=row.device,
        browser=row.browser,
        os=row.os,
        language=row.language,
        screen=row.screen,
        department_id=row.department_id,
        last_seen_at=as_utc(row.last_seen_at),
    )


async def do_page_view(
    *, ctx: Context, state: VisitState, page: Page, prev_visible_ms: int | None, now: datetime | None = None
) -> None:
    """A single-page-app navigation: the previous page is finished, this one is the current."""
    now = now or utcnow()
    tracker = tracker_of(ctx)
    if state.pages:
        tracker.finish(state.visit_id, max(state.page_visible_ms, prev_visible_ms or 0))
    state.viewed(page, now, prev_visible_ms)
    tracker.add_view(state, page, now)
    await notify_activity(ctx, state)


async def do_page_time(*, ctx: Context, state: VisitState, visible_ms: int, now: datetime | None = None) -> None:
    """The visible time on the current page so far (written with the next batch)."""
    state.timed(visible_ms, now or utcnow())
    tracker_of(ctx).mark(state)
    await notify_activity(ctx, state)


def do_leave_visit(*, ctx: Context, state: VisitState, now: datetime | None = None) -> None:
    """The socket holding the visit closed (written with the next batch): after the visitor's
    last socket on this node, the visit's left_at is set and its last page's visible time kept."""
    tracker_of(ctx).detach(state, now or utcnow())


# ---- jobs ---------------------------------------------------------------------------------------------
async def do_end_idle_visits(ctx: Context, *, now: datetime | None = None, batch: int = IDLE_BATCH) -> int:
    """Visits not seen for VISIT_IDLE are over (their visitor left, or their node died); run by
    the jobs lease holder. Connected visitors' visits are refreshed by the heartbeat, so they
    never qualify. Returns how many ended."""
    cutoff = idle_cutoff(now or utcnow())
    ended = 0
    while True:
        async with unit_of_work(ctx) as (conn, outbox):
            ids = await tracking_store.idle_visit_ids(conn, cutoff, batch)
            count = await tracking_store.end_visits(conn, ids)
            if count:
                outbox.add([audience.visitors_topic()], visitors_changed_frame())
        ended += count
        if len(ids) < batch:
            return ended
