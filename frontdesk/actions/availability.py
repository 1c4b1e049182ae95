"""Availability: an agent's status (online, away, offline), set by them, by their console
connecting, or by the system (an offer that expired, a lost connection, a deactivation)."""

from __future__ import annotations

from frontdesk.actions.activity import record_status_change
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.actions.offers import do_withdraw_offers
from frontdesk.clock import utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store import routing_store
from frontdesk.wire import agent_status_frame

AGENT_STATUSES = ("online", "away", "offline")
# Why a status changed (agent_activity.reason). The agent.status frame names the server's reasons
# only (docs/protocol.md): not the agent's own change, nor their console connecting.
SILENT_REASONS = ("manual", "connected")


def check_status(status: object) -> str:
    if status not in AGENT_STATUSES:
        raise ChatRuleError("bad_request", "status: must be online, away or offline", field="status")
    return str(status)


async def do_set_agent_status(ctx: Context, agent_id: int, status: str, *, reason: str = "manual") -> str:
    """Set an agent's status; `reason`: manual (by them), connected, disconnected, offer_expired,
    deactivated. A change is recorded in agent_activity in the same transaction."""
    status = check_status(status)
    async with unit_of_work(ctx) as (conn, outbox):
        previous = await routing_store.agent_status(conn, agent_id, lock=True)
        if previous is None:
            raise ChatRuleError("not_found", "No such user.")
        if previous != status:
            await routing_store.set_agent_status(conn, agent_id, status)
            await record_status_change(conn, agent_id, status, reason, utcnow())
        frame_reason = None if reason in SILENT_REASONS else reason
        outbox.add([audience.agent_topic(agent_id)], agent_status_frame(status, frame_reason))
    if status != "online":
        await do_withdraw_offers(ctx, agent_id)
    ctx.router.kick(None)  # someone online (or not) changes who can be offered chats, and every wait estimate
    return status


async def do_agent_came_online(ctx: Context, agent_id: int) -> str:
    """An agent opened the console: offline becomes online (away stays away, by their choice)."""
    async with ctx.db.read() as conn:
        status = await routing_store.agent_status(conn, agent_id)
    if status is None:
        raise ChatRuleError("not_found", "No such user.")
    if status == "offline":
        return await do_set_agent_status(ctx, agent_id, "online", reason="connected")
    ctx.router.kick(None)
    return status


async def do_set_my_status(*, ctx: Context, actor: AgentActor, status: object) -> str:
    return await do_set_agent_status(ctx, actor.id, check_status(status))
