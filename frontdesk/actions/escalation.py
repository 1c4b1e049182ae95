"""Escalation tiers: an agent passes a chat they hold to the next level of its department.

The chat goes back to the front of the department's queue (it keeps its original queue time)
with a required level, so dispatch offers it (auto departments) and the queue shows it (pick
departments) only to agents of that level or higher; it waits, queued, while none is there.
The visitor is told a specialist is coming; the reason travels as an internal note, which
never reaches the visitor, and as a `routing_log` row (`escalated`) reports count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frontdesk.actions.access import not_found
from frontdesk.actions.activity import record_load_changes
from frontdesk.actions.chat_events import append_events, publish_summary
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus, EventKind
from frontdesk.domain.escalation import REASONS, check_reason, next_level
from frontdesk.domain.events import EventDraft, agent_draft
from frontdesk.permissions import require
from frontdesk.store import chat_store, tier_store
from frontdesk.store.routing_store import log_routing

ESCALATED = EventKind.CHAT_ESCALATED


async def do_escalate_chat(
    *, ctx: Context, actor: AgentActor, chat_id: int, reason: object, detail: object = None
) -> dict[str, Any]:
    """Escalate a chat the actor holds to the next level. Locks only the chat (like closing
    it): it frees a slot and takes none, so no agent's capacity is at stake; dispatch sees the
    chat queued once this commits, and is kicked then."""
    require(actor.role, "chat.escalate")
    why = check_reason(reason, detail)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None:
            raise not_found()
        if chat.status != ChatStatus.ACTIVE:
            raise ChatRuleError("conflict", "Only a chat in progress can be escalated.")
        if chat.assignee_id != actor.id:
            raise ChatRuleError("forbidden", "Only the chat's agent can escalate it.")
        levels = await tier_store.member_levels(conn, chat.department_id)
        from_level = max(chat.required_level, levels.get(actor.id, 1))
        to_level = next_level(
            required_level=chat.required_level, agent_level=levels.get(actor.id), member_levels=levels.values()
        )
        from_agent = {"id": actor.id, "name": actor.name}
        escalation = {
            "reason": why.code,
            "label": why.label,
            "detail": why.detail,
            "from_level": from_level,
            "to_level": to_level,
        }
        # As the chat is now (queued): its queue and followers hear both, and so does the agent
        # who had it; the visitor only the first (the reason is for agents: never the visitor's
        # socket, sync or transcript).
        public, _note = await append_events(
            conn,
            outbox,
            chat_id,
            [
                EventDraft(EventKind.CHAT_ESCALATED, data={"from_agent": from_agent, "to_level": to_level}),
                agent_draft(
                    EventKind.NOTE, actor.id, actor.name, body=why.note(to_level), data={"escalation": escalation}
                ),
            ],
            now=now,
            chat_values={
                "status": ChatStatus.QUEUED,
                "assignee_id": None,
                "offered_to": None,
                "offer_expires_at": None,
                "wait_estimate_seconds": None,
                "required_level": to_level,
                # queued_at stays: first come, first served puts it back near the front
            },
            agents=(actor.id,),
        )
        await log_routing(
            conn,
            kind="escalated",
            chat_id=chat_id,
            department_id=chat.department_id,
            agent_id=actor.id,
            now=now,
            reason=why.code,
            detail=why.detail,
            from_level=from_level,
            to_level=to_level,
        )
        await record_load_changes(conn, {actor.id: "escalated"}, now)
        await publish_summary(conn, outbox, chat_id, previous_assignee_id=actor.id, queue_changed=True)
    ctx.router.kick(None)  # the chat waits for a specialist; the agent has room again everywhere
    return {"chat_id": chat_id, "seq": public.seq, "to_level": to_level, "reason": why.code}


def escalation_reasons() -> list[dict[str, str]]:
    return [{"code": code, "label": label} for code, label in REASONS.items()]


async def escalation_report(
    *,
    ctx: Context,
    actor: AgentActor,
    department_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Escalations counted by reason (and by the level they went to), for a period."""
    require(actor.role, "report.escalations")
    async with ctx.db.read() as conn:
        rows = await tier_store.escalation_rows(conn, department_id=department_id, since=since, until=until)
    by_reason: dict[str, int] = {}
    by_level: dict[int, int] = {}
    for _dept, data in rows:
        data = data or {}
        code = data.get("reason") or "other"
        by_reason[code] = by_reason.get(code, 0) + 1
        level = data.get("to_level")
        if isinstance(level, int):
            by_level[level] = by_level.get(level, 0) + 1
    reasons = [
        {"reason": code, "label": REASONS.get(code, code), "count": n}
        for code, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {
        "total": len(rows),
        "by_reason": reasons,
        "by_level": [{"to_level": lv, "count": n} for lv, n in sorted(by_level.items())],
    }
