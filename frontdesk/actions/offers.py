"""Offers: a waiting chat offered to one agent until they accept (chats.do_accept_chat), decline,
let it expire, or go away (their offers are withdrawn)."""

from __future__ import annotations

from frontdesk.actions.chat_events import publish_summary
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus
from frontdesk.store import chat_store, department_store, routing_store
from frontdesk.store.routing_store import log_routing


async def do_decline_offer(*, ctx: Context, actor: AgentActor, chat_id: int) -> None:
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None or chat.offered_to != actor.id or chat.status != ChatStatus.QUEUED:
            raise ChatRuleError("conflict", "This chat is not offered to you (any more).")
        await routing_store.clear_offer(conn, chat_id)
        await log_routing(
            conn, kind="declined", chat_id=chat_id, department_id=chat.department_id, agent_id=actor.id, now=now
        )
        await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(actor.id)])
    ctx.router.kick(chat.department_id)


async def do_expire_offers(ctx: Context) -> int:
    """Offers not accepted in time: the agent is set away and the chat goes to the next."""
    # availability.py imports this module (an agent who goes away has their offers withdrawn).
    from frontdesk.actions.availability import do_set_agent_status

    now = utcnow()
    async with ctx.db.read() as conn:
        due = await routing_store.expired_offer_chat_ids(conn, now)
    for chat_id in due:
        agent_id = None
        async with unit_of_work(ctx) as (conn, outbox):
            chat = await chat_store.chat_status(conn, chat_id, lock=True)
            if chat is None or chat.offered_to is None or chat.status != ChatStatus.QUEUED:
                continue
            if as_utc(chat.offer_expires_at) >= now:
                continue
            agent_id = chat.offered_to
            await routing_store.clear_offer(conn, chat_id)
            await log_routing(
                conn,
                kind="offer_expired",
                chat_id=chat_id,
                department_id=chat.department_id,
                agent_id=agent_id,
                now=now,
            )
            await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(agent_id)])
        if agent_id is not None:
            await do_set_agent_status(ctx, agent_id, "away", reason="offer_expired")
            ctx.router.kick(chat.department_id)
    return len(due)


async def do_withdraw_offers(ctx: Context, agent_id: int, *, reason: str = "offer_withdrawn") -> list[int]:
    """Take back every chat offered to an agent (they went away or lost their connection)."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        await department_store.lock_users(conn, [agent_id])  # after any dispatch that is offering to them
        rows = await routing_store.chats_offered_to(conn, agent_id)
        for chat_id, department_id in rows:
            await routing_store.clear_offer(conn, chat_id)
            await log_routing(
                conn, kind=reason, chat_id=chat_id, department_id=department_id, agent_id=agent_id, now=now
            )
            await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(agent_id)])
    for _chat_id, department_id in rows:
        ctx.router.kick(department_id)
    return [r[0] for r in rows]
