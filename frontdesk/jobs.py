"""Background jobs: offer expiry, e-mail delivery, retention, expired sessions and API tokens
(their sockets closed), visits idle for 30 minutes (ended), the facts and hourly roll-ups of
closed chats (the reports), presence sweeps and a routing sweep.

Jobs that act on the shared database run on one node of a cluster at a time: the holder of the
`jobs` lease, renewed on every pass and taken over when it lapses. Jobs that act on this node's
own presence (its agents' and visitors' sockets) run everywhere."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from frontdesk.actions import availability, dispatch, facts, invitations, mail, offers, retention, tracking, users
from frontdesk.actions.context import Context, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.observability import LAG_TOPIC
from frontdesk.store import chat_store, lease_store

log = logging.getLogger(__name__)
LEASE_SECONDS = 10.0
RETENTION_EVERY = 600.0
RETENTION_BATCHES_PER_PASS = 4
IDLE_VISITS_EVERY = 30  # passes: visits idle for 30 minutes end within half a minute
# Chat facts: each pass looks at chats closed in the last FACTS_RECENT (cheap, on ix_chats_closed_at);
# every FACTS_CATCHUP_EVERY passes (and the first, and the next while a catch-up fills its batch)
# at every closed chat without a fact.
FACTS_RECENT = timedelta(days=1)
FACTS_CATCHUP_EVERY = 300


async def take_lease(ctx: Context, name: str, holder: str, seconds: float = LEASE_SECONDS) -> bool:
    """True when `holder` holds the lease now (renewed, taken over after expiry, or new)."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    async with unit_of_work(ctx) as (conn, _outbox):
        if await lease_store.renew_lease(conn, name, holder, now=now, until=until):
            return True
    async with unit_of_work(ctx) as (conn, _outbox):  # a new lease; ON CONFLICT: somebody else holds it
        return await lease_store.create_lease(conn, name, holder, until=until, is_sqlite=ctx.db.is_sqlite)


class Jobs:
    def __init__(self, ctx: Context, *, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._task: asyncio.Task[None] | None = None
        self.passes = 0
        self.retention_due = 0.0  # monotonic time of the next retention run; the first pass runs it
        self.facts_backlog = False  # the last catch-up of chat facts stopped with work left
        self.failures: dict[str, int] = {}  # job name -> how many times it raised (tests, debugging)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="jobs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> None:
        ctx = self.ctx
        # A timestamp through the bus: every node's hub measures how late it arrives.
        with contextlib.suppress(Exception):  # only a metric: the jobs go on while the bus is down
            await ctx.bus.publish([(LAG_TOPIC, repr(time.time()))])
        await self._job("presence sweeps", self._presence_sweeps)
        if await take_lease(ctx, "jobs", self.holder):
            # Each job on its own: one that fails (a bad row, a bug) is logged with its name and
            # the others still run in this pass.
            await self._job("offer expiry", offers.do_expire_offers, ctx)
            await self._job("mail", mail.send_due_mail, ctx)
            await self._job("retention", self._retention)
            await self._job("expired credentials", users.do_end_expired_credentials, ctx)
            await self._job("invitation expiry", invitations.do_expire_invitations, ctx)
            await self._job("chat facts", self._facts)
            if self.passes % IDLE_VISITS_EVERY == 0:
                await self._job("idle visits", tracking.do_end_idle_visits, ctx)
            if self.passes % 5 == 0:
                # a safety net: nothing waits because a kick was lost
                await self._job("routing kick", self._kick)
        self.passes += 1

    async def _job(self, name: str, job: Callable[..., Awaitable[object]], *args: object) -> bool:
        """Run one job; False (logged with the job's name) when it raised."""
        try:
            await job(*args)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failures[name] = self.failures.get(name, 0) + 1
            log.exception("background job %r failed; the other jobs go on", name)
            return False
        return True

    async def _kick(self) -> None:
        self.ctx.router.kick(None)

    async def _facts(self) -> None:
        """The facts and hourly roll-ups of chats that closed (actions/facts.py), a batch a pass."""
        catch_up = self.facts_backlog or self.passes % FACTS_CATCHUP_EVERY == 0
        since = None if catch_up else utcnow() - FACTS_RECENT
        written = await facts.do_update_due_facts(self.ctx, limit=facts.BATCH, since=since)
        self.facts_backlog = catch_up and written >= facts.BATCH  # more old chats: catch up next pass too

    async def _retention(self) -> None:
        """Every RETENTION_EVERY seconds; sooner while a run stopped with work left (a few
        batches a pass, so the other jobs keep their rhythm)."""
        now = time.monotonic()
        if now < self.retention_due:
            return
        self.retention_due = now + RETENTION_EVERY  # a failing run is not retried every second
        report = await retention.do_run_retention(self.ctx, max_batches=RETENTION_BATCHES_PER_PASS)
        if not report.done:
            self.retention_due = now

    async def _presence_sweeps(self) -> None:
        ctx, presence = self.ctx, self.ctx.presence
        for agent_id in presence.agents_gone_longer_than(ctx.settings.agent_offline_grace_seconds):
            presence.forget_agent(agent_id)
            if await presence.is_agent_connected(agent_id):
                continue  # still there on another node of the cluster
            await availability.do_set_agent_status(ctx, agent_id, "offline", reason="disconnected")
        for visitor_id in presence.visitors_gone_longer_than(ctx.settings.visitor_leave_grace_seconds):
            presence.forget_visitor(visitor_id)
            if await presence.is_visitor_connected(visitor_id):
                continue
            async with ctx.db.read() as conn:
                chat = await chat_store.open_chat_of_visitor(conn, visitor_id)
            if chat is not None and chat.status == "queued":
                await dispatch.do_mark_missed(ctx, chat.id)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background jobs pass failed; retrying")
            await asyncio.sleep(self.interval)
