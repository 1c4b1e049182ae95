"""Dispatch: who gets each waiting chat, the queue position every waiting visitor sees, missed
chats, and the `Router` that runs dispatches in the background.

All of it is conditional writes inside one transaction with the rows it decides on locked
(the department, the chat, the agents), so under any interleaving a chat goes to one agent
and no agent exceeds their maximum. `Router` coalesces the reasons to run a dispatch (a new
chat, a chat closed, an agent coming online…). Offers are in offers.py, agents' status in
availability.py, transfers in transfers.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from frontdesk.actions.chat_events import append_events, publish_summary
from frontdesk.actions.context import Context, unit_of_work
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.assignment import AgentLoad, estimate_wait_seconds, plan_assignments, typical_handle_seconds
from frontdesk.domain.chat_rules import ChatStatus, EventKind
from frontdesk.domain.events import EventDraft
from frontdesk.store import chat_store, department_store, routing_store
from frontdesk.store.routing_store import log_routing
from frontdesk.wire import chat_offered_frame, chat_summary, queue_frame

log = logging.getLogger(__name__)


async def do_dispatch(ctx: Context, department_id: int) -> list[tuple[int, int]]:
    """Offer the department's waiting chats, oldest first, to its available agents with room.
    Returns the (chat, agent) offers made."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        dept = await department_store.department(conn, department_id, lock=True)  # one dispatcher per department
        if dept is None or dept.routing != "auto":
            return []
        # Lock order everywhere: department, then agents, then chats (no deadlocks).
        members = [m.id for m in await department_store.members(conn, department_id)]
        queue = await department_store.waiting_chats(conn, department_id)
        if not members or not any(c.offered_to is None for c in queue):
            return []
        await department_store.lock_users(conn, members)  # all of them: one may come online meanwhile
        # Re-read who is there now that nobody can change it under us: an agent who left or went
        # away meanwhile is not offered anything (their withdraw waits for our commit, then runs).
        connected = await ctx.presence.connected_agents()
        people = [m for m in await department_store.members(conn, department_id) if m.status == "online"]
        people = [m for m in people if m.id in connected]
        if not people:
            return []
        # First come, first served: wait for a chat someone is writing to, rather than skip it.
        queue = await department_store.waiting_chats(conn, department_id, lock=True)
        waiting = [c for c in queue if c.offered_to is None]
        if not waiting:
            return []
        ids = [m.id for m in people]
        held = await department_store.loads(conn, ids)
        agents = [AgentLoad(m.id, True, held[m.id], m.max_chats, as_utc(m.last_assigned_at), m.level) for m in people]
        # Agents who declined a chat or let its offer expire are not offered it again. (An offer
        # withdrawn because the agent's console closed is no refusal: they get it again when back.)
        refused = await routing_store.refusals(conn, [c.id for c in waiting])
        # Escalated chats go only to agents of their level or higher (domain/escalation.py).
        required = {c.id: c.required_level for c in waiting if c.required_level > 1}
        plan = plan_assignments([c.id for c in waiting], agents, exclude=refused or None, required=required)
        expires = now + timedelta(seconds=dept.offer_timeout_seconds)
        made = []
        for chat_id, agent_id in plan:
            if not await routing_store.offer_chat(conn, chat_id, agent_id, expires):
                continue
            await routing_store.note_assigned(conn, agent_id, now)
            await log_routing(
                conn, kind="offered", chat_id=chat_id, department_id=department_id, agent_id=agent_id, now=now
            )
            row = await publish_summary(conn, outbox, chat_id)
            outbox.add(
                [audience.agent_topic(agent_id)],
                chat_offered_frame(chat_summary(row), iso(expires)),
            )
            made.append((chat_id, agent_id))
    return made


async def do_publish_queue_positions(ctx: Context, department_id: int) -> None:
    """Tell every waiting visitor of the department their position and expected wait; record
    the first estimate each chat got, to compare with what happened."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        dept = await department_store.department(conn, department_id)
        if dept is None:
            return
        waiting = await department_store.waiting_chats(conn, department_id)
        if not waiting:
            return
        connected = await ctx.presence.connected_agents()
        people = [
            m for m in await department_store.members(conn, department_id) if m.status == "online" and m.id in connected
        ]
        handle = typical_handle_seconds(await routing_store.recent_handle_seconds(conn, department_id))
        first_estimates = []
        for position, chat in enumerate(waiting, start=1):
            # An escalated chat is served only by agents of its level or higher.
            capacity = sum(m.max_chats for m in people if m.level >= chat.required_level)
            estimate = estimate_wait_seconds(position=position, capacity=capacity, handle_seconds=handle)
            if chat.wait_estimate_seconds is None and estimate is not None:
                waited = (now - as_utc(chat.queued_at)).total_seconds() if chat.queued_at else 0.0
                first_estimates.append((chat.id, round(estimate + waited, 1)))
            outbox.add(
                [audience.visitor_topic(chat.visitor_id)],
                queue_frame(chat.id, dept.slug, position, None if estimate is None else round(estimate)),
            )
        await routing_store.set_wait_estimates(conn, first_estimates)


async def do_mark_missed(ctx: Context, chat_id: int) -> bool:
    """A visitor who left while waiting: the chat closes as missed (reports count these)."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None or chat.status != ChatStatus.QUEUED:
            return False
        # Seen as the chat was: the queue it waited in, followers and the visitor.
        await append_events(
            conn,
            outbox,
            chat_id,
            [EventDraft(EventKind.CHAT_CLOSED, data={"by": "system", "reason": "missed"})],
            now=now,
            chat_values=routing_store.closed_as_missed(now),
            seen_as=chat,
        )
        waited = (now - as_utc(chat.queued_at)).total_seconds() if chat.queued_at else None
        await log_routing(
            conn, kind="missed", chat_id=chat_id, department_id=chat.department_id, now=now, waited_seconds=waited
        )
        await publish_summary(
            conn,
            outbox,
            chat_id,
            queue_changed=True,
            extra_topics=[audience.agent_topic(chat.offered_to)] if chat.offered_to else [],
        )
    ctx.router.kick(chat.department_id)
    return True


class Router:
    """Runs dispatch and queue-position updates for departments whose situation changed."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._pending: set[int | None] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="router")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def kick(self, department_id: int | None) -> None:
        """Something changed in this department (None: in all of them)."""
        self._pending.add(department_id)
        self._wake.set()

    async def run_once(self) -> None:
        pending, self._pending = self._pending, set()
        if None in pending:
            async with self.ctx.db.read() as conn:
                pending = {d.id for d in await department_store.all_departments(conn)}
        for department_id in sorted(d for d in pending if d is not None):
            await do_dispatch(self.ctx, department_id)
            await do_publish_queue_positions(self.ctx, department_id)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("routing pass failed; the next kick or sweep retries")
                await asyncio.sleep(0.5)
