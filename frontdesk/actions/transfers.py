"""Transfers: an active chat handed to another agent, or back to a department's queue, with an
optional internal note for whoever takes it."""

from __future__ import annotations

from typing import Any

from frontdesk.actions.access import not_found
from frontdesk.actions.activity import record_load_changes
from frontdesk.actions.chat_events import append_events, publish_summary
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.actions.departments import department_availability
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus, EventKind, check_message_text
from frontdesk.domain.events import EventDraft, agent_draft
from frontdesk.domain.ids import is_id
from frontdesk.permissions import allowed, require
from frontdesk.store import attachment_store, chat_store, department_store, user_store
from frontdesk.store.routing_store import log_routing


async def do_transfer_chat(
    *,
    ctx: Context,
    actor: AgentActor,
    chat_id: int,
    to_agent_id: object = None,
    to_department_id: object = None,
    note: object = None,
) -> dict[str, Any]:
    require(actor.role, "chat.transfer")
    if (to_agent_id is None) == (to_department_id is None):
        raise _exactly_one()
    agent_target = _target_id(to_agent_id, "to_agent_id")
    department_target = _target_id(to_department_id, "to_department_id")
    note_text = None if note in (None, "") else check_message_text(note, max_chars=ctx.settings.max_message_chars)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        if agent_target is not None:
            await department_store.lock_users(conn, [agent_target])
        elif department_target is not None:  # the target's queue is counted under its lock, so max_queue holds
            await department_store.department(conn, department_target, lock=True)
        chat = await chat_store.chat_status(conn, chat_id, lock=True)
        if chat is None:
            raise not_found()  # actions/access: the one not-found answer
        if chat.status != ChatStatus.ACTIVE:
            raise ChatRuleError("conflict", "Only a chat in progress can be transferred.")
        if chat.assignee_id != actor.id and not allowed(actor.role, "chat.transfer_any"):
            raise ChatRuleError("forbidden", "Only the chat's agent or a supervisor can transfer it.")
        from_agent = None
        if chat.assignee_id is not None:
            from_agent = {"id": chat.assignee_id, "name": await user_store.user_name(conn, chat.assignee_id)}
        if agent_target is not None:
            target = await user_store.agent_capacity(conn, agent_target)
            if target is None:
                raise ChatRuleError("not_found", "No such agent.", field="to_agent_id")
            if target.id == chat.assignee_id:
                raise ChatRuleError("conflict", "The chat is already theirs.", field="to_agent_id")
            if target.status != "online" or not await ctx.presence.is_agent_connected(target.id):
                raise ChatRuleError("conflict", f"{target.name} is not online right now.", field="to_agent_id")
            held = (await department_store.loads(conn, [target.id]))[target.id]
            if held >= target.max_chats:
                raise ChatRuleError(
                    "conflict", f"{target.name} has no room ({held} of {target.max_chats} chats).", field="to_agent_id"
                )
            values: dict[str, Any] = {"assignee_id": target.id, "assigned_at": now}
            to_agent = await attachment_store.agent_card(conn, target.id, target.name)  # the visitor sees who
            data = {"from_agent": from_agent, "to_agent": to_agent, "to_department": None}
            new_status, new_assignee, new_department = ChatStatus.ACTIVE, target.id, chat.department_id
        else:
            if department_target is None:  # ruled out above: exactly one target
                raise _exactly_one()
            dept = await department_store.department(conn, department_target)
            if dept is None:
                raise ChatRuleError("not_found", "No such department.", field="to_department_id")
            live = await department_availability(ctx, conn, dept)
            if not live.accepting:
                why = {
                    "closed": "it is closed now",
                    "no_agents": "nobody is online there",
                    "queue_full": "its queue is full",
                }
                reason = live.reason or ""
                raise ChatRuleError(
                    "conflict",
                    f"Cannot transfer to {dept.name}: {why.get(reason, reason)}.",
                    field="to_department_id",
                )
            values = {
                "status": "queued",
                "assignee_id": None,
                "department_id": dept.id,
                "queued_at": now,
                "offered_to": None,
                "offer_expires_at": None,
                "wait_estimate_seconds": None,
                # Levels are per department: another department starts it at its first level.
                "required_level": chat.required_level if dept.id == chat.department_id else 1,
            }
            data = {
                "from_agent": from_agent,
                "to_agent": None,
                "to_department": {"id": dept.id, "slug": dept.slug, "name": dept.name},
            }
            new_status, new_assignee, new_department = ChatStatus.QUEUED, None, dept.id
        drafts = [EventDraft(EventKind.CHAT_TRANSFERRED, data=data)]
        if note_text:
            drafts.append(agent_draft(EventKind.NOTE, actor.id, actor.name, body=note_text))
        # Heard by the chat's agents as it now is (its new assignee, or its new department's
        # queue), the agent who had it and followers; the visitor hears the transfer, never the
        # note (domain/audience.event_audience).
        events = await append_events(
            conn, outbox, chat_id, drafts, now=now, chat_values=values, agents=(chat.assignee_id,)
        )
        await log_routing(
            conn,
            kind="transferred",
            chat_id=chat_id,
            department_id=new_department,
            agent_id=new_assignee,
            now=now,
            from_agent_id=chat.assignee_id,
            from_department_id=chat.department_id,
        )
        await record_load_changes(conn, {chat.assignee_id: "transferred", new_assignee: "transferred_in"}, now)
        await publish_summary(
            conn,
            outbox,
            chat_id,
            previous_assignee_id=chat.assignee_id,
            previous_department_id=chat.department_id,
            queue_changed=new_status == ChatStatus.QUEUED,
        )
    ctx.router.kick(None)
    return {"chat_id": chat_id, "seq": events[0].seq, **data}


def _exactly_one() -> ChatRuleError:
    return ChatRuleError(
        "bad_request", "Transfer to exactly one of to_agent_id or to_department_id.", field="to_agent_id"
    )


def _target_id(value: object, name: str) -> int | None:
    """A transfer target's id as given, or None when not given; a 400 naming it otherwise."""
    if value is None:
        return None
    if not is_id(value, field=name):
        raise ChatRuleError("bad_request", f"{name}: must be an id", field=name)
    return value
