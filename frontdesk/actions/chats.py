"""Chat actions: the only way chats and their events change.

check_* functions validate and raise ChatRuleError; do_* functions write in one transaction and
publish their events after commit (see actions.context.unit_of_work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions import invitations
from frontdesk.actions.access import NOT_FOUND, closable_chat, may_write_as_participant, writable_chat
from frontdesk.actions.activity import record_load_changes
from frontdesk.actions.canned import check_canned_id, check_free_text_reply, do_send_canned_response
from frontdesk.actions.chat_events import append_agent_message, append_events, publish_summary
from frontdesk.actions.context import (
    AgentActor,
    Context,
    Outbox,
    Retry,
    SendResult,
    VisitorActor,
    is_unique_violation,
    unit_of_work,
)
from frontdesk.actions.departments import department_availability
from frontdesk.actions.group_commit import FALLBACK, PendingSend
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import (
    AuthorType,
    ChatRuleError,
    ChatStatus,
    EventKind,
    can_accept,
    can_close,
    can_send,
    check_client_id,
    check_message_text,
    check_retry_is_yours,
    preview,
)
from frontdesk.domain.events import EventDraft, agent_draft
from frontdesk.domain.text import clean_line
from frontdesk.permissions import allowed, require
from frontdesk.store import attachment_store, chat_store, department_store, routing_store, tier_store
from frontdesk.store.routing_store import log_routing
from frontdesk.wire import Author, EventPayload, agent_author, event_payload, typing_frame, visitor_author

OFFLINE_REASONS = {
    "closed": "{name} is closed right now.",
    "no_agents": "Nobody in {name} is available right now.",
    "queue_full": "Everyone in {name} is busy and the queue is full.",
}


class OfflineError(ChatRuleError):
    """The department cannot take a chat now; the visitor should get the offline form."""

    def __init__(self, department: Any, reason: str) -> None:
        super().__init__("offline", OFFLINE_REASONS[reason].format(name=department.name))
        self.reason = reason
        self.department = department.slug


async def do_send_visitor_message(
    *,
    ctx: Context,
    actor: VisitorActor,
    text: object,
    client_id: object,
    visitor_name: str | None = None,
    chat_id: int | None = None,
    department: object = None,  # a slug, checked here
    via: str | None = None,
    invitation_id: object = None,  # answering an invitation (actions/invitations.py), checked here
) -> SendResult:
    """Store a visitor's message in their open chat, opening one (queued) when there is none —
    in `department` (a slug) or the default one, if it can take a chat now.

    `invitation_id`: the first message answers that invitation (the visitor's own, still open):
    the new chat starts with the invitation's text and goes to the inviting agent when they have
    room (`_chat_from_invitation`). With a chat already open it changes nothing.

    `chat_id` is the open chat the caller believes the visitor has; with it the send can join a
    group commit, and anything unexpected (closed meanwhile) takes the full path below."""
    body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
    cid = check_client_id(client_id)
    if department is not None and not isinstance(department, str):
        raise ChatRuleError("bad_request", "department: must be a department's slug", field="department")
    invitation = invitations.check_invitation_id(invitation_id)
    if chat_id is not None and ctx.writer is not None:
        result = await ctx.writer.submit(PendingSend(actor, chat_id, body, cid, visitor_name, via=via))
        if result is not FALLBACK:
            return cast(SendResult, result)
    for _attempt in range(3):
        try:
            result = await _visitor_send_once(ctx, actor, body, cid, visitor_name, department, invitation)
        except Retry:
            continue
        except IntegrityError as exc:  # two first messages raced to open the chat
            if not is_unique_violation(exc):
                raise
            continue
        if result.chat_started:
            ctx.router.kick(result.department_id)
        return result.send
    raise ChatRuleError("unavailable", "Could not store the message; please retry.")


@dataclass(frozen=True, slots=True)
class _Sent:
    send: SendResult
    chat_started: bool
    department_id: int | None


async def _visitor_send_once(
    ctx: Context,
    actor: VisitorActor,
    body: str,
    cid: str,
    name: str | None,
    department: str | None,
    invitation_id: int | None = None,
) -> _Sent:
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        # A retry of something already stored (perhaps in a chat that has closed since) is
        # answered with the original, whatever happened to the chat.
        existing = await chat_store.visitor_event_by_client_id(conn, actor.visitor_id, cid)
        if existing is not None:
            return _Sent(
                send=SendResult(event=event_payload(existing), duplicate=True), chat_started=False, department_id=None
            )
        chat = await chat_store.open_chat_of_visitor(conn, actor.visitor_id)
        values = {"last_message_at": now, "last_message_text": preview(body), "last_message_author": "visitor"}
        message = EventDraft(EventKind.MESSAGE, AuthorType.VISITOR, None, name, body, cid)
        invited = (
            None
            if chat is not None or invitation_id is None
            else await invitations.accept_invitation(conn, outbox, actor.visitor_id, invitation_id, now)
        )
        if invited is not None:
            chat_id, department_id, events = await _chat_from_invitation(
                ctx, conn, outbox, actor, invited, message, values, now
            )
        elif chat is None:
            dept = await _department_for_new_chat(ctx, conn, department)
            department_id = dept.id
            chat_id = await chat_store.create_chat(conn, visitor_id=actor.visitor_id, department_id=dept.id, now=now)
            drafts = [EventDraft(EventKind.CHAT_STARTED), message]
            events = await append_events(conn, outbox, chat_id, drafts, now=now, chat_values=values)
            await log_routing(conn, kind="queued", chat_id=chat_id, department_id=dept.id, now=now)
            # agents' lists learn of new chats; later previews come from events
            await publish_summary(conn, outbox, chat_id, queue_changed=True)
        else:
            can_send(chat.status, AuthorType.VISITOR)
            chat_id, department_id = chat.id, chat.department_id
            events = await append_events(
                conn,
                outbox,
                chat_id,
                [message],
                now=now,
                chat_values=values,
                visitor_id=actor.visitor_id,
                gone=Retry(),  # closed between the read and the update
            )
    return _Sent(
        send=SendResult(event=event_payload(events[-1]), duplicate=False, chat_started=chat is None),
        chat_started=chat is None,
        department_id=department_id,
    )


async def _chat_from_invitation(
    ctx: Context,
    conn: AsyncConnection,
    outbox: Outbox,
    actor: VisitorActor,
    invited: Any,
    message: EventDraft,
    values: dict[str, Any],
    now: datetime,
) -> tuple[int, int, list[Any]]:
    """A chat started by answering an invitation: its text is the first agent-side event (the
    inviting agent's, or the team's), then the visitor's message; assigned to the inviting agent
    when they are online, connected and have room, else queued in the department as usual."""
    dept = await department_store.department(conn, invited.department_id)
    if dept is None:  # deleted meanwhile: the default department takes it
        dept = await _department_for_new_chat(ctx, conn, None)
    inviter = invited.agent_id
    assign_to = None
    if inviter is not None:
        await department_store.lock_users(conn, [inviter])  # lock order: agents, then chats
        online = await routing_store.agent_status(conn, inviter) == "online"
        if online and inviter in await ctx.presence.connected_agents():
            held = (await department_store.loads(conn, [inviter]))[inviter]
            if held < await department_store.max_chats(conn, inviter):
                assign_to = inviter
    if assign_to is None:
        if dept.max_queue:  # count the queue with the department locked, so it cannot overfill
            await department_store.department(conn, dept.id, lock=True)
        live = await department_availability(ctx, conn, dept)
        if not live.accepting:
            raise OfflineError(dept, live.reason or "closed")
    chat_id = await chat_store.create_chat(conn, visitor_id=actor.visitor_id, department_id=dept.id, now=now)
    data = {"invitation_id": invited.id}
    opening = (
        agent_draft(EventKind.MESSAGE, inviter, invited.agent_name or "", body=invited.text, data=data)
        if inviter is not None
        else EventDraft(EventKind.MESSAGE, AuthorType.AGENT, None, dept.name, invited.text, None, data)
    )
    drafts = [EventDraft(EventKind.CHAT_STARTED), opening, message]
    chat_values = {**values, "invitation_id": invited.id}
    if assign_to is not None:
        card = await attachment_store.agent_card(conn, assign_to, invited.agent_name)
        drafts.append(EventDraft(EventKind.CHAT_ASSIGNED, data={"agent": card}))
        chat_values.update(status=ChatStatus.ACTIVE, assignee_id=assign_to, assigned_at=now)
    events = await append_events(conn, outbox, chat_id, drafts, now=now, chat_values=chat_values)
    await log_routing(conn, kind="queued", chat_id=chat_id, department_id=dept.id, now=now)
    if assign_to is not None:
        await routing_store.note_assigned(conn, assign_to, now)
        await record_load_changes(conn, {assign_to: "assigned"}, now)
        await log_routing(
            conn,
            kind="assigned",
            chat_id=chat_id,
            department_id=dept.id,
            agent_id=assign_to,
            now=now,
            waited_seconds=0.0,
        )
    await publish_summary(conn, outbox, chat_id, queue_changed=assign_to is None)
    await invitations.close_accepted(conn, outbox, actor.visitor_id, invited.id, chat_id, now)
    return chat_id, dept.id, events[:3]  # the visitor's message last: the ack carries it


async def _department_for_new_chat(ctx: Context, conn: AsyncConnection, slug: str | None) -> Any:
    slug = clean_line(slug, "department") if slug else None  # NUL: a 400 naming the field
    dept = (
        await department_store.department_by_slug(conn, slug)
        if slug
        else await department_store.default_department(conn)
    )
    if dept is None:
        raise ChatRuleError("bad_request", f"department: no department {slug!r}", field="department")
    if dept.max_queue:  # count the queue with the department locked, so it cannot overfill
        await department_store.department(conn, dept.id, lock=True)
    live = await department_availability(ctx, conn, dept)
    if not live.accepting:
        raise OfflineError(dept, live.reason or "closed")
    return dept


async def do_send_agent_message(
    *,
    ctx: Context,
    actor: AgentActor,
    chat_id: int,
    text: object,
    client_id: object,
    canned_id: object = None,
    via: str | None = None,
) -> SendResult:
    """An agent's reply: free `text`, or with `canned_id` a canned response rendered by the
    server for this chat (any text sent with it is ignored; actions/canned.py).

    `via`: the sending socket's id. Its ack carries the stored event, so on the group-commit
    path the event is published to everyone of the sender's topic except that socket."""
    require(actor.role, "chat.reply")
    canned = check_canned_id(canned_id)
    if canned is not None:
        return await do_send_canned_response(
            ctx=ctx, actor=actor, chat_id=chat_id, canned_id=canned, client_id=client_id
        )
    body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
    cid = check_client_id(client_id)
    if ctx.writer is not None:
        result = await ctx.writer.submit(PendingSend(actor, chat_id, body, cid, actor.name, via=via))
        if result is not FALLBACK:
            return cast(SendResult, result)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await writable_chat(conn, actor, chat_id)
        existing = await chat_store.event_by_client_id(conn, chat_id, cid)
        if existing is not None:  # a retry: the original, even if the chat has closed since
            check_retry_is_yours(existing.author_type, existing.agent_id, agent_id=actor.id)
            return SendResult(event=event_payload(existing), duplicate=True)
        can_send(chat.status, AuthorType.AGENT)
        await check_free_text_reply(ctx, conn, actor, chat.department_id)  # scripted mode
        event = await append_agent_message(conn, outbox, chat_id, actor, client_id=cid, body=body, now=now)
    return SendResult(event=event_payload(event), duplicate=False)


async def do_accept_chat(*, ctx: Context, actor: AgentActor, chat_id: int) -> EventPayload:
    """Take a waiting chat: a conditional write with the chat and the agent locked, so exactly one
    agent wins and nobody exceeds their maximum."""
    require(actor.role, "chat.accept")
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        await department_store.lock_users(conn, [actor.id])  # lock order: agents, then chats
        current = await chat_store.chat_status(conn, chat_id, lock=True)
        if current is None:
            raise ChatRuleError("not_found", NOT_FOUND)
        can_accept(current.status, current.assignee_id, actor.id)
        if current.offered_to not in (None, actor.id):
            raise ChatRuleError("conflict", "This chat is being offered to another agent.")
        if not allowed(actor.role, "chat.accept_any_department") and current.department_id not in (
            await department_store.departments_of_user(conn, actor.id)
        ):
            raise ChatRuleError("forbidden", "This chat waits in a department you do not work in.")
        if current.required_level > 1 and not allowed(actor.role, "chat.accept_any_department"):
            level = (await tier_store.levels_of_user(conn, actor.id)).get(current.department_id, 1)
            if level < current.required_level:  # escalated: for a specialist (domain/escalation.py)
                needed = current.required_level
                raise ChatRuleError("forbidden", f"This chat was escalated to level {needed}; you are level {level}.")
        held = (await department_store.loads(conn, [actor.id]))[actor.id] - (current.offered_to == actor.id)
        maximum = await department_store.max_chats(conn, actor.id)
        if held >= maximum:
            raise ChatRuleError(
                "conflict", f"You already have {held} chats, your maximum; close one before accepting another."
            )
        card = await attachment_store.agent_card(conn, actor.id, actor.name)  # name, title, photo
        # The visitor and the new assignee hear of it, and so does the queue the chat leaves
        # (domain/audience.event_audience).
        (event,) = await append_events(
            conn,
            outbox,
            chat_id,
            [EventDraft(EventKind.CHAT_ASSIGNED, data={"agent": card})],
            now=now,
            chat_values={
                "status": ChatStatus.ACTIVE,
                "assignee_id": actor.id,
                "assigned_at": now,
                "offered_to": None,
                "offer_expires_at": None,
            },
            only_unassigned=True,
            gone=ChatRuleError("conflict", "Another agent took this chat."),  # someone else won the race
        )
        waited = (now - as_utc(current.queued_at)).total_seconds() if current.queued_at else None
        if ctx.metrics is not None and waited is not None:
            ctx.metrics.assignment_wait.observe(waited)
        await log_routing(
            conn,
            kind="assigned",
            chat_id=chat_id,
            department_id=current.department_id,
            agent_id=actor.id,
            now=now,
            waited_seconds=waited,
            estimate_seconds=current.wait_estimate_seconds,
        )
        await record_load_changes(conn, {actor.id: "assigned"}, now)
        await publish_summary(conn, outbox, chat_id, queue_changed=True)
    ctx.router.kick(current.department_id)
    return event_payload(event)


async def do_close_chat(*, ctx: Context, actor: AgentActor | VisitorActor, chat_id: int) -> EventPayload:
    now = utcnow()
    by = "visitor" if isinstance(actor, VisitorActor) else "agent"
    async with unit_of_work(ctx) as (conn, outbox):
        current = await closable_chat(conn, actor, chat_id)  # locked: decide on what we change
        can_close(current.status)
        # A visitor who gives up while waiting is a missed chat.
        missed = by == "visitor" and current.status == ChatStatus.QUEUED
        data: dict[str, Any] = {"by": by, **({"reason": "missed"} if missed else {})}
        # Audience as it was before closing: the assignee, or the queue for a queued chat.
        (event,) = await append_events(
            conn,
            outbox,
            chat_id,
            [EventDraft(EventKind.CHAT_CLOSED, data=data)],
            now=now,
            chat_values={
                "status": ChatStatus.CLOSED,
                "closed_at": now,
                "closed_by": by,
                "missed": missed,
                "offered_to": None,
                "offer_expires_at": None,
            },
            seen_as=current,
            agents=(current.offered_to,),
        )
        if missed:
            waited = (now - as_utc(current.queued_at)).total_seconds() if current.queued_at else None
            await log_routing(
                conn,
                kind="missed",
                chat_id=chat_id,
                department_id=current.department_id,
                now=now,
                waited_seconds=waited,
            )
        if current.status == ChatStatus.ACTIVE:  # its assignee holds one chat fewer
            await record_load_changes(conn, {current.assignee_id: "closed"}, now)
        extra = [audience.agent_topic(current.offered_to)] if current.offered_to else []
        await publish_summary(
            conn,
            outbox,
            chat_id,
            queue_changed=current.status == ChatStatus.QUEUED,
            previous_assignee_id=current.assignee_id,
            extra_topics=extra,
        )
    ctx.router.kick(None)  # an agent has room again, in every department they work in
    return event_payload(event)


async def relay_typing(*, ctx: Context, actor: AgentActor | VisitorActor, chat_id: int | None, typing: bool) -> None:
    """Typing is ephemeral: published to the other side of the chat, never stored."""
    async with ctx.db.read() as conn:
        if isinstance(actor, VisitorActor):
            chat = await chat_store.open_chat_of_visitor(conn, actor.visitor_id)
        else:
            chat = None if chat_id is None else await chat_store.chat_status(conn, chat_id)
            joined = chat is not None and await may_write_as_participant(conn, chat, actor)
    if chat is None or chat.status == ChatStatus.CLOSED:
        return
    if isinstance(actor, AgentActor) and chat.assignee_id != actor.id and not joined:
        raise ChatRuleError("forbidden", "This chat is assigned to another agent.")
    author: Author
    if isinstance(actor, VisitorActor):
        from_visitor, author = True, visitor_author()
    else:
        from_visitor, author = False, agent_author(actor.id, actor.name)
    topics = audience.typing_audience(
        from_visitor=from_visitor,
        visitor_id=chat.visitor_id,
        status=chat.status,
        assignee_id=chat.assignee_id,
        department_id=chat.department_id,
    )
    outbox = Outbox()
    outbox.add(topics, typing_frame(chat.id, author, bool(typing)))
    await ctx.bus.publish(outbox.messages())
