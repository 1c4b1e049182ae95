"""Agent activity: the `agent_activity` row written inside the transaction of every change of an
agent's status or load (docs/architecture/analytics.md, "Agent activity"). Called by the actions
that make the change, with their connection; load is read after the change, in the same
transaction (active chats assigned to the agent: store/activity_store.active_loads).

Status changes (availability.do_set_agent_status): manual, connected, disconnected,
offer_expired, deactivated. Load changes: assigned (accepted, or an invitation's chat given to the
inviting agent), closed, transferred (away from them) / transferred_in (to them), taken_over
(a supervisor took their chat) / took_over (the supervisor), escalated (back to the queue).
Offers do not change the load (nobody talks in an offered chat yet), so an offer that expires,
is declined or withdrawn, or a waiting chat the visitor leaves, writes no load row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store import activity_store


async def record_status_change(conn: AsyncConnection, agent_id: int, status: str, reason: str, now: datetime) -> None:
    """The agent's status changed to `status` (call only when it did)."""
    load = (await activity_store.active_loads(conn, [agent_id]))[agent_id]
    await activity_store.record_activity(conn, agent_id, status=status, reason=reason, load=load, now=now)


async def record_load_changes(conn: AsyncConnection, reasons: Mapping[int | None, str], now: datetime) -> None:
    """The load of each agent in `reasons` (agent id -> reason; None keys ignored) changed: one row
    each with their status and the load they hold now."""
    ids = [agent_id for agent_id in reasons if agent_id is not None]
    if not ids:
        return
    statuses = await activity_store.statuses(conn, ids)
    loads = await activity_store.active_loads(conn, ids)
    for agent_id in sorted(statuses):
        await activity_store.record_activity(
            conn, agent_id, status=statuses[agent_id], reason=reasons[agent_id], load=loads[agent_id], now=now
        )
