"""The live view on the agent socket: `visitors.watch` / `visitors.unwatch` (docs/protocol.md,
docs/architecture/visitors.md "Live view").

`visitors.watch {ref, filter, sort, page, page_size}` is checked (domain/live_view: a bad field is
an error frame naming it, `filter.state`...) and answered at once with a `visitors.page` read from
the database, which every node shares: visitors connected to any node are in it. After that the
socket is sent its page again whenever it changed, at most once a second:

- the node's `LiveVisitors` (one per hub) receives everything published to the bus topic
  `visitors` (domain/audience.visitors_topic: visits that start, move or end, announced by the
  tracking actions, coalesced per node; and every chat summary, since a visitor's chat state
  changes with their chat) and marks each watching socket of this node changed;
- each watching socket's task waits for that mark, re-reads its page (two queries: counters and
  the page, store/live_store.py) at once if its last read is a second old, else when it is, and
  sends it only when it differs from the page it sent last. Nothing is read while nothing is
  announced, except one re-read every 15 s: a visitor whose node died is announced by nobody,
  and drops out once their visit is no longer refreshed (domain/live_view.ONLINE_WITHIN).
  Sockets of this node asking the same question share one read (`LiveVisitors.page`).

Nothing here is stored: a watch lives with its socket (`stop` on unwatch and on disconnect)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import TYPE_CHECKING, Any

from frontdesk.actions import live
from frontdesk.actions.context import Context
from frontdesk.actions.live import Scope
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.live_view import LiveQuery, check_live_query
from frontdesk.realtime.hub import Hub
from frontdesk.realtime.session import dumps
from frontdesk.wire import visitors_page_frame

if TYPE_CHECKING:
    from frontdesk.realtime.agent_socket import AgentSession

log = logging.getLogger(__name__)

MIN_INTERVAL = 1.0  # seconds between two pages sent to one socket
REFRESH_EVERY = 15.0  # a re-read without an announcement (visitors of a node that died)


class LiveVisitors:
    """This node's watching sockets; the `visitors` topic of the bus marks them changed.

    Watchers asking the same question (query and scope: three managers on the first page) share
    one read: `page` hands out the read in flight, or done less than MIN_INTERVAL ago, for the
    same question and no announcement since."""

    def __init__(self) -> None:
        self.watches: set[VisitorsWatch] = set()
        self.announcements = 0
        self.reads: dict[tuple[LiveQuery, Scope], tuple[int, float, asyncio.Future[dict[str, Any]]]] = {}
        self.shared = 0  # reads saved

    def announced(self, _payload: str) -> None:
        self.announcements += 1
        for watch in self.watches:
            watch.changed.set()

    async def page(self, ctx: Context, query: LiveQuery, scope: Scope) -> dict[str, Any]:
        key, now = (query, scope), time.monotonic()
        found = self.reads.get(key)
        if found is not None and found[0] == self.announcements and now - found[1] < MIN_INTERVAL:
            self.shared += 1
            return await asyncio.shield(found[2])
        for stale in [k for k, (_, at, _f) in self.reads.items() if now - at >= MIN_INTERVAL]:
            del self.reads[stale]
        read = asyncio.ensure_future(live.live_page(ctx=ctx, query=query, scope=scope))
        self.reads[key] = (self.announcements, now, read)
        try:
            return await asyncio.shield(read)
        except BaseException:
            if self.reads.get(key, (0, 0.0, None))[2] is read:
                del self.reads[key]
            raise


_BY_HUB: weakref.WeakKeyDictionary[Hub, LiveVisitors] = weakref.WeakKeyDictionary()


def live_visitors(hub: Hub) -> LiveVisitors:
    """The hub's LiveVisitors, made (and given the `visitors` topic) on first use."""
    found = _BY_HUB.get(hub)
    if found is None:
        found = _BY_HUB[hub] = LiveVisitors()
        hub.special[audience.visitors_topic()] = found.announced
    return found


class VisitorsWatch:
    """One agent socket's watch of the live view (at most one per socket: a new
    `visitors.watch` replaces it, e.g. for another page or filter)."""

    def __init__(self, session: AgentSession) -> None:
        self.session = session
        self.changed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.query: LiveQuery | None = None
        self.scope: Scope = None
        self.ref: Any = None
        self.last: str | None = None
        self.read_at = 0.0  # time.monotonic() of the last read

    def handlers(self) -> dict[str, Any]:
        return {"visitors.watch": self.on_watch, "visitors.unwatch": self.on_unwatch}

    async def on_watch(self, frame: dict[str, Any]) -> None:
        filters = frame.get("filter")
        if filters is None:
            filters = {}
        if not isinstance(filters, dict):
            raise ChatRuleError("bad_request", "filter: must be an object", field="filter")
        query = check_live_query(
            filters, frame.get("sort"), frame.get("page"), frame.get("page_size"), prefix="filter."
        )
        scope = await live.visitor_scope(ctx=self.session.ctx, actor=self.session.agent)
        self.stop()
        self.query, self.scope, self.ref = query, scope, frame.get("ref")
        registry = live_visitors(self.session.hub)
        registry.watches.add(self)  # before reading: what is announced meanwhile is read again
        try:
            await self._send_page()
        except BaseException:
            self.stop()
            raise
        self.task = asyncio.create_task(self._run(), name=f"visitors-watch {self.session.channel.label}")

    async def on_unwatch(self, frame: dict[str, Any]) -> None:
        self.stop()

    def stop(self) -> None:
        node = _BY_HUB.get(self.session.hub)  # None: nobody on this node ever watched
        if node is not None:
            node.watches.discard(self)
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.query, self.last = None, None
        self.changed.clear()

    async def _send_page(self) -> None:
        query = self.query
        if query is None:
            return
        self.read_at = time.monotonic()
        page = await live_visitors(self.session.hub).page(self.session.ctx, query, self.scope)
        text = dumps(visitors_page_frame(self.ref, page))
        if text != self.last:  # nothing changed for this page: nothing sent
            self.last = text
            self.session.channel.offer(text)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), REFRESH_EVERY)
            wait = self.read_at + MIN_INTERVAL - time.monotonic()
            if wait > 0:  # read less than a second ago: what changes meanwhile waits for the next read
                await asyncio.sleep(wait)
            self.changed.clear()
            try:
                await self._send_page()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again at the next change
                log.warning("live view re-read failed: %s", type(exc).__name__)
                self.changed.set()
                await asyncio.sleep(REFRESH_EVERY / 3)
