"""Invitations to chat: manual ones (an agent from the live view), automatic ones (a department's
rules, domain/invitation_rules.py), their outcomes, and the rules themselves (docs/architecture/
visitors.md, "Invitations").

An invitation is a row (`invitations`) with an outcome: `pending` (sent), `shown` (the widget
showed it), then one of `accepted` (a chat started from it: actions/chats.py), `dismissed`,
`expired` (unanswered 2 minutes after it was shown, or after it was sent if never shown:
`do_expire_invitations`, a job) or `blocked` (a rule matched but a gate stopped it; never sent).
The frame reaches the visitor through `visitor:{id}` on the bus, whichever node holds a socket.

Automatic invitations cost no query per page view per rule: `on_activity` (called by the tracking
actions after each page view and time update) reads the department's rules from a per-process
cache (forgotten when rules change, on every node: `invitation_rules.changed` on the bus), the
visitor's history for the caps once per visit (and at most once a minute), and the department's
capacity for the gates at most every few seconds, and only when a rule's conditions and caps
already hold.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions import live, tracking
from frontdesk.actions.audit import record_audit
from frontdesk.actions.canned import chat_variable_values, check_canned_id, usable_in_chat
from frontdesk.actions.context import AgentActor, Context, Outbox, VisitorActor, unit_of_work
from frontdesk.actions.departments import department_availability
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.assignment import estimate_wait_seconds, typical_handle_seconds
from frontdesk.domain.business_hours import parse_business_hours
from frontdesk.domain.canned import render
from frontdesk.domain.chat_rules import ChatRuleError, check_message_text
from frontdesk.domain.ids import MAX_SMALL_ID
from frontdesk.domain.invitation_rules import (
    MAX_RULES_PER_DEPARTMENT,
    RULES_TOPIC,
    Capacity,
    History,
    Rule,
    SimPage,
    SimVisit,
    Visit,
    cap_refusal,
    check_rule,
    evaluate,
    rule_from_row,
    simulate,
)
from frontdesk.domain.satisfaction import check_range
from frontdesk.permissions import in_scope, require
from frontdesk.store import canned_store, department_store, invitation_store, routing_store, visitor_store
from frontdesk.store.attachment_store import avatar_url
from frontdesk.wire import InvitationPayload, invitation_closed_frame, invitation_frame, invitation_rules_changed_frame
from frontdesk.wire.frames import InvitationAgent

log = logging.getLogger(__name__)

EXPIRES_AFTER = timedelta(minutes=2)
RULES_TTL = 300.0  # a safety net: changes are announced on the bus and forgotten at once
CAPACITY_TTL = 5.0
HISTORY_TTL = 60.0
MAX_TEXT = 2000
Reason = Literal["expired", "withdrawn", "accepted", "dismissed"]


def _topics(visitor_id: str) -> list[str]:
    """The visitor's sockets (any node), and the live view's announcement (their state changed)."""
    return [audience.visitor_topic(visitor_id), audience.visitors_topic()]


def invitation_payload(row: Any) -> InvitationPayload:
    """`row`: invitation_store.invitation (the invitation with agent_name, agent_avatar_id)."""
    agent: InvitationAgent | None = (
        None
        if row.agent_id is None
        else {"name": row.agent_name, "avatar_url": avatar_url(row.agent_avatar_id) if row.agent_avatar_id else None}
    )
    return {
        "id": row.id,
        "text": row.text,
        "agent": agent,
        "department_id": row.department_id,
        "expires_at": iso(row.expires_at),
    }


def invitation_record(row: Any) -> dict[str, Any]:
    """An invitation for agents (the API): outcome and timestamps too."""
    return {
        **invitation_payload(row),
        "visitor_id": row.visitor_id,
        "visit_id": row.visit_id,
        "rule_id": row.rule_id,
        "agent_id": row.agent_id,
        "outcome": row.outcome,
        "blocked_reason": row.blocked_reason,
        "chat_id": row.chat_id,
        "created_at": iso(row.created_at),
        "shown_at": iso(row.shown_at),
        "outcome_at": iso(row.outcome_at),
    }


# ---- manual invitations --------------------------------------------------------------------


def _check_text(text: object) -> str:
    try:
        return check_message_text(text, max_chars=MAX_TEXT)
    except ChatRuleError as exc:
        raise ChatRuleError(exc.code, exc.message, field="text") from None


async def _invite_scope(conn: AsyncConnection, actor: AgentActor) -> frozenset[int] | None:
    """None: every department; else the departments the actor may invite for (`visitor.invite`:
    supervisors and greeters their own; actions/live.scope_in)."""
    return await live.scope_in(conn, actor, "visitor.invite")


async def do_invite(
    *,
    ctx: Context,
    actor: AgentActor,
    visitor_id: str,
    text: object = None,
    canned_id: object = None,
    department_id: object = None,
) -> dict[str, Any]:
    """An agent invites a connected visitor to chat, with free `text` or a canned response
    (rendered for this visitor). 409 `visitor_gone` when no socket of theirs is connected."""
    canned = check_canned_id(canned_id)
    if canned is None and text is None:
        raise ChatRuleError("bad_request", "text: give a text or a canned_id", field="text")
    if department_id is not None and (
        not isinstance(department_id, int) or isinstance(department_id, bool) or not 1 <= department_id <= MAX_SMALL_ID
    ):
        raise ChatRuleError("bad_request", "department_id: must be a department's id", field="department_id")
    body = None if canned is not None else _check_text(text)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        scope = await _invite_scope(conn, actor)
        latest = await invitation_store.latest_visit(conn, visitor_id)
        if latest is None:
            raise ChatRuleError("not_found", "No such visitor.")
        dept_id = department_id if department_id is not None else latest.department_id
        if dept_id is None and scope:
            dept_id = min(scope)
        dept = (
            await department_store.department(conn, int(dept_id))
            if dept_id is not None
            else await department_store.default_department(conn)
        )
        if dept is None:
            raise ChatRuleError("bad_request", f"department_id: no department {dept_id}", field="department_id")
        if scope is not None and dept.id not in scope:
            raise ChatRuleError("forbidden", f"You invite visitors for your own departments only; this is {dept.name}.")
        if not await ctx.presence.is_visitor_connected(visitor_id, fresh=True):
            raise ChatRuleError("visitor_gone", "This visitor has left the site; they can no longer be invited.")
        if (await invitation_store.visitor_history(conn, visitor_id)).open_chats:
            raise ChatRuleError("conflict", "This visitor is already in a chat.")
        if canned is not None:
            response = await canned_store.canned(conn, canned)
            if response is None or not usable_in_chat(response, actor=actor, department_id=dept.id):
                raise ChatRuleError("not_found", "canned_id: no such canned response", field="canned_id")
            info = _CannedInfo(await visitor_store.visitor_name(conn, visitor_id), None, dept.name)
            body = _check_text(render(response.body, chat_variable_values(info, actor), response.fallbacks or {}))
            await canned_store.count_use(conn, response.id, now)
        if body is None:  # neither text nor canned: refused above
            raise ChatRuleError("bad_request", "text: give a text or a canned_id", field="text")
        row = await _send(
            conn,
            outbox,
            visitor_id=visitor_id,
            visit_id=latest.visit_id,
            department_id=dept.id,
            rule_id=None,
            agent_id=actor.id,
            text=body,
            now=now,
        )
    return invitation_record(row)


@dataclass(frozen=True, slots=True)
class _CannedInfo:
    """What canned variables read (actions/canned.chat_variable_values), without a chat."""

    visitor_name: str | None
    visitor_email: str | None
    department_name: str | None


async def _send(
    conn: AsyncConnection,
    outbox: Outbox,
    *,
    visitor_id: str,
    visit_id: int | None,
    department_id: int,
    rule_id: int | None,
    agent_id: int | None,
    text: str,
    now: datetime,
) -> Any:
    """Store a pending invitation and queue its frame for the visitor; returns its row."""
    invitation_id = await invitation_store.insert_invitation(
        conn,
        {
            "visitor_id": visitor_id,
            "visit_id": visit_id,
            "department_id": department_id,
            "rule_id": rule_id,
            "agent_id": agent_id,
            "text": text,
            "created_at": now,
            "expires_at": now + EXPIRES_AFTER,
            "outcome": "pending",
        },
    )
    row = await invitation_store.invitation(conn, invitation_id)
    outbox.add(_topics(visitor_id), invitation_frame(invitation_payload(row)))
    return row


# ---- the visitor's answers -------------------------------------------------------------------


def _check_invitation_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 2**63 - 1:
        raise ChatRuleError("bad_request", "invitation_id: must be an invitation's id", field="invitation_id")
    return value


def check_invitation_id(value: object) -> int | None:
    """The optional `invitation_id` of a visitor's first message (actions/chats.py)."""
    return None if value is None else _check_invitation_id(value)


async def do_invitation_shown(*, ctx: Context, actor: VisitorActor, invitation_id: object) -> None:
    """The widget showed the bubble: outcome `shown`, and the expiry counts from now."""
    iid = _check_invitation_id(invitation_id)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        await invitation_store.mark_shown(conn, iid, actor.visitor_id, now, now + EXPIRES_AFTER)


async def do_dismiss_invitation(*, ctx: Context, actor: VisitorActor, invitation_id: object) -> bool:
    """The visitor closed the bubble: outcome `dismissed`; every tab of theirs hides it."""
    iid = _check_invitation_id(invitation_id)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        done = await invitation_store.close_invitation(
            conn, iid, outcome="dismissed", now=now, visitor_id=actor.visitor_id
        )
        if done:
            outbox.add(_topics(actor.visitor_id), invitation_closed_frame(iid, "dismissed"))
    return done


async def accept_invitation(
    conn: AsyncConnection, outbox: Outbox, visitor_id: str, invitation_id: int, now: datetime
) -> Any | None:
    """The open invitation a first message answers (locked by the caller's transaction), or None
    when it is not the visitor's, or no longer open: the chat then starts as without it."""
    return await invitation_store.open_invitation_of_visitor(conn, visitor_id, now, invitation_id)


async def close_accepted(
    conn: AsyncConnection, outbox: Outbox, visitor_id: str, invitation_id: int, chat_id: int, now: datetime
) -> None:
    """Outcome `accepted` with the chat it started; the visitor's other tabs hide the bubble."""
    if await invitation_store.close_invitation(
        conn, invitation_id, outcome="accepted", now=now, visitor_id=visitor_id, chat_id=chat_id
    ):
        outbox.add(_topics(visitor_id), invitation_closed_frame(invitation_id, "accepted"))


async def pending_invitation(*, ctx: Context, actor: VisitorActor) -> InvitationPayload | None:
    """A pending invitation to show again in `welcome` (a reload, a new tab)."""
    async with ctx.db.read() as conn:
        row = await invitation_store.open_invitation_of_visitor(conn, actor.visitor_id, utcnow())
    return None if row is None else invitation_payload(row)


async def do_expire_invitations(ctx: Context) -> int:
    """A job: unanswered invitations past their expiry become `expired`; the widget hides them."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        rows = await invitation_store.expired_invitations(conn, now)
        for row in rows:
            if await invitation_store.close_invitation(conn, row.id, outcome="expired", now=now):
                outbox.add(_topics(row.visitor_id), invitation_closed_frame(row.id, "expired"))
    _sweep_memory(ctx)
    return len(rows)


# ---- automatic invitations -----------------------------------------------------------------
#
# Per process and database: the rules of each department (and its time zone), each
# department's capacity, and per connected visitor what the caps need.


@dataclass
class _Rules:
    loaded: float
    department_id: int | None
    rules: tuple[Rule, ...]
    timezone: str | None


@dataclass
class _Memo:
    """What this node remembers of one visitor's current visit."""

    visit_id: int | None
    loaded: float
    history: History
    seen: float = field(default_factory=time.monotonic)
    scheduled: bool = False  # an invitation is on its way (delay): no second one meanwhile
    blocked: set[int] = field(default_factory=set)  # rules recorded as blocked this visit
    timer: asyncio.TimerHandle | None = None


_rules: WeakKeyDictionary[Any, dict[int | None, _Rules]] = WeakKeyDictionary()
_capacity: WeakKeyDictionary[Any, dict[int, tuple[float, Capacity]]] = WeakKeyDictionary()
_memory: WeakKeyDictionary[Any, dict[str, _Memo]] = WeakKeyDictionary()
_tasks: set[asyncio.Task[Any]] = set()


def forget_rules(ctx: Context, department_id: int | None = None) -> None:
    """Rules changed (here or on another node): read them again at the next page view."""
    cached = _rules.get(ctx.db)
    if cached is None:
        return
    if department_id is None:
        cached.clear()
        return
    for key in [k for k, v in cached.items() if k == department_id or v.department_id == department_id]:
        del cached[key]


def rules_changed_receiver(ctx: Context) -> Callable[[str], None]:
    """For the hub (`hub.special[RULES_TOPIC]`): a frame on the bus makes this node forget."""

    def received(payload: str) -> None:
        import orjson

        try:
            department_id = orjson.loads(payload).get("department_id")
        except (orjson.JSONDecodeError, AttributeError):
            department_id = None
        forget_rules(ctx, department_id if isinstance(department_id, int) else None)

    return received


async def _department_rules(ctx: Context, department_id: int | None) -> _Rules:
    cache = _rules.setdefault(ctx.db, {})
    hit = cache.get(department_id)
    now = time.monotonic()
    if hit is not None and now - hit.loaded < RULES_TTL:
        return hit
    async with ctx.db.read() as conn:
        dept = (
            await department_store.department(conn, department_id)
            if department_id is not None
            else await department_store.default_department(conn)
        )
        rows = [] if dept is None else await invitation_store.rules(conn, dept.id)
    zone = parse_business_hours(dept.hours or None).timezone if dept is not None and dept.hours else None
    entry = _Rules(now, None if dept is None else dept.id, tuple(rule_from_row(r) for r in rows), zone)
    cache[department_id] = entry
    return entry


async def department_capacity(ctx: Context, conn: AsyncConnection, department_id: int) -> Capacity:
    """Whether the department accepts chats, its free chat slots, and the wait a new chat would
    have (domain/assignment.estimate_wait_seconds)."""
    dept = await department_store.department(conn, department_id)
    if dept is None:
        return Capacity(accepting=False)
    live = await department_availability(ctx, conn, dept)
    connected = await ctx.presence.connected_agents()
    people = [m for m in await department_store.members(conn, department_id) if m.status == "online"]
    people = [m for m in people if m.id in connected]
    held = await department_store.loads(conn, [m.id for m in people])
    free = sum(max(0, m.max_chats - held[m.id]) for m in people)
    if free > 0:
        return Capacity(live.accepting, free, 0.0)
    handle = typical_handle_seconds(await routing_store.recent_handle_seconds(conn, department_id))
    wait = estimate_wait_seconds(
        position=live.queue_length + 1, capacity=sum(m.max_chats for m in people), handle_seconds=handle
    )
    return Capacity(live.accepting, 0, wait)


async def _cached_capacity(ctx: Context, department_id: int) -> Capacity:
    cache = _capacity.setdefault(ctx.db, {})
    hit = cache.get(department_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CAPACITY_TTL:
        return hit[1]
    async with ctx.db.read() as conn:
        capacity = await department_capacity(ctx, conn, department_id)
    cache[department_id] = (now, capacity)
    return capacity


def _history(row: Any, invited_this_visit: bool) -> History:
    return History(
        invited_this_visit=invited_this_visit,
        last_invited_at=as_utc(row.last_invited_at),
        in_chat=bool(row.open_chats),
        last_chat_ended_at=as_utc(row.last_chat_closed_at),
    )


async def _memo(ctx: Context, visitor_id: str, visit_id: int | None) -> _Memo:
    memory = _memory.setdefault(ctx.db, {})
    memo = memory.get(visitor_id)
    now = time.monotonic()
    if memo is not None and memo.visit_id == visit_id and now - memo.loaded < HISTORY_TTL:
        memo.seen = now
        return memo
    async with ctx.db.read() as conn:
        row = await invitation_store.visitor_history(conn, visitor_id)
        invited = visit_id is not None and await invitation_store.invited_in_visit(conn, visit_id)
    fresh = _Memo(visit_id, now, _history(row, invited))
    if memo is not None and memo.visit_id == visit_id:
        fresh.blocked, fresh.scheduled, fresh.timer = memo.blocked, memo.scheduled, memo.timer
    elif memo is not None and memo.timer is not None:
        memo.timer.cancel()
    memory[visitor_id] = fresh
    return fresh


def _sweep_memory(ctx: Context, idle: float = 3600.0) -> None:
    """Forget visitors this node has not heard of for an hour."""
    memory = _memory.get(ctx.db)
    if not memory:
        return
    now = time.monotonic()
    for visitor_id in [v for v, m in memory.items() if now - m.seen > idle and not m.scheduled]:
        memo = memory.pop(visitor_id)
        if memo.timer is not None:
            memo.timer.cancel()


def visit_facts(state: Any) -> Visit:
    """What the rules see of a socket's VisitState (domain/tracking.VisitState)."""
    return Visit(
        url=state.page_url or "",
        title=state.page_title or "",
        page_since=as_utc(state.page_since),
        started_at=as_utc(state.started_at),
        pages=state.pages or 0,
        returning=bool(state.returning),
        referrer=state.referrer or "",
        country=state.country,
        device=state.device,
        language=state.language,
    )


def _spawn(coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def on_activity(ctx: Context, state: Any) -> None:
    """After a page view or a time update of a connected visitor (the tracking actions call
    it): evaluate the department's rules; never raises (a failure is logged, the socket goes on)."""
    try:
        await _consider(ctx, state)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("invitation rules: evaluating a page view failed")


# The tracking actions call it after each page view and time update (actions/tracking.notify_activity).
tracking.add_activity_hook(on_activity)


async def _consider(ctx: Context, state: Any) -> None:
    entry = await _department_rules(ctx, state.department_id)
    if not entry.rules or entry.department_id is None:
        return
    memo = await _memo(ctx, state.visitor_id, state.visit_id)
    if memo.scheduled:
        return
    now = utcnow()
    visit = visit_facts(state)
    # Gates cost a few queries (cached for seconds): asked only once a rule would fire with them open.
    decision = evaluate(entry.rules, visit, now, Capacity(True, 1, 0.0), history=memo.history, timezone=entry.timezone)
    if decision.fired is not None and any(
        r.gates.accepting or r.gates.free_slot or r.gates.max_wait_s is not None for r in entry.rules
    ):
        capacity = await _cached_capacity(ctx, entry.department_id)
        decision = evaluate(entry.rules, visit, now, capacity, history=memo.history, timezone=entry.timezone)
    if memo.timer is not None:
        memo.timer.cancel()
        memo.timer = None
    if decision.recheck_in_s is not None and decision.fired is None:
        loop = asyncio.get_running_loop()
        memo.timer = loop.call_later(decision.recheck_in_s + 0.05, lambda: _spawn(on_activity(ctx, state)))
    if decision.fired is not None:
        memo.scheduled = True
        rule = decision.fired
        if rule.action.delay_s:
            loop = asyncio.get_running_loop()
            memo.timer = loop.call_later(
                rule.action.delay_s, lambda: _spawn(_deliver(ctx, state, rule, entry.department_id))
            )
        else:
            await _deliver(ctx, state, rule, entry.department_id)
    elif decision.blocked is not None and decision.blocked.id not in memo.blocked and decision.reason:
        memo.blocked.add(decision.blocked.id)
        await do_record_blocked(
            ctx, state.visitor_id, state.visit_id, decision.blocked, entry.department_id, decision.reason
        )


async def _deliver(ctx: Context, state: Any, rule: Rule, department_id: int | None) -> None:
    memo = _memory.get(ctx.db, {}).get(state.visitor_id)
    try:
        if department_id is not None:
            await do_auto_invite(ctx, state.visitor_id, state.visit_id, rule, department_id)
    except Exception:
        log.exception("invitation rules: sending an automatic invitation failed")
    finally:
        if memo is not None:
            memo.scheduled = False
            memo.loaded = 0.0  # read the history again (this invitation counts now)


async def do_auto_invite(
    ctx: Context, visitor_id: str, visit_id: int | None, rule: Rule, department_id: int
) -> dict[str, Any] | None:
    """Send a rule's invitation, after checking again what may have changed during its delay
    (the visitor left, started a chat, was invited): None when it no longer applies."""
    if not await ctx.presence.is_visitor_connected(visitor_id):
        return None
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        row = await invitation_store.visitor_history(conn, visitor_id)
        invited = visit_id is not None and await invitation_store.invited_in_visit(conn, visit_id)
        if cap_refusal(rule.caps, _history(row, invited), now) is not None:
            return None
        agent_id = rule.action.agent_id if rule.action.as_ == "agent" else None
        if agent_id is not None and not await invitation_store.user_exists(conn, agent_id):
            agent_id = None
        sent = await _send(
            conn,
            outbox,
            visitor_id=visitor_id,
            visit_id=visit_id,
            department_id=department_id,
            rule_id=rule.id,
            agent_id=agent_id,
            text=rule.action.text,
            now=now,
        )
    return invitation_record(sent)


async def do_record_blocked(
    ctx: Context, visitor_id: str, visit_id: int | None, rule: Rule, department_id: int, reason: str
) -> None:
    """A rule matched but a gate stopped it: recorded (once per rule and visit), never sent."""
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        await invitation_store.insert_invitation(
            conn,
            {
                "visitor_id": visitor_id,
                "visit_id": visit_id,
                "department_id": department_id,
                "rule_id": rule.id,
                "agent_id": rule.action.agent_id if rule.action.as_ == "agent" else None,
                "text": rule.action.text,
                "created_at": now,
                "expires_at": None,
                "outcome": "blocked",
                "outcome_at": now,
                "blocked_reason": reason,
            },
        )


# ---- rules: reads and writes ----------------------------------------------------------------


def rule_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "department_id": row.department_id,
        "position": row.position,
        "name": row.name,
        "enabled": bool(row.enabled),
        "conditions": row.conditions or [],
        "gates": row.gates or {},
        "action": row.action or {},
        "caps": row.caps or {},
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "created_by": row.created_by,
    }


async def _check_manage(conn: AsyncConnection, actor: AgentActor, department_id: int) -> Any:
    require(actor.role, "invitation_rule.manage")
    dept = await department_store.department(conn, department_id)
    if dept is None:
        raise ChatRuleError("bad_request", f"department_id: no department {department_id}", field="department_id")
    mine = await department_store.departments_of_user(conn, actor.id)
    if not in_scope(actor.role, "invitation_rule.manage", dept.id, mine):
        raise ChatRuleError("forbidden", f"You manage the rules of your own departments only; this is {dept.name}.")
    return dept


async def _check_agent(conn: AsyncConnection, values: dict[str, Any]) -> None:
    action = values.get("action")
    if (
        action
        and action.get("agent_id") is not None
        and not await invitation_store.user_exists(conn, action["agent_id"])
    ):
        raise ChatRuleError("bad_request", f"action.agent_id: no user {action['agent_id']}", field="action.agent_id")


def _department_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SMALL_ID:
        raise ChatRuleError("bad_request", "department_id: must be a department's id", field="department_id")
    return value


async def list_rules(*, ctx: Context, actor: AgentActor, department_id: int | None = None) -> list[dict[str, Any]]:
    require(actor.role, "invitation_rule.manage")
    async with ctx.db.read() as conn:
        rows = await invitation_store.rules(conn, department_id)
        mine = await department_store.departments_of_user(conn, actor.id)
    return [rule_payload(r) for r in rows if in_scope(actor.role, "invitation_rule.manage", r.department_id, mine)]


async def get_rule(*, ctx: Context, actor: AgentActor, rule_id: int) -> dict[str, Any]:
    require(actor.role, "invitation_rule.manage")
    async with ctx.db.read() as conn:
        row = await invitation_store.rule(conn, rule_id)
        if row is None:
            raise ChatRuleError("not_found", "No such invitation rule.")
        await _check_manage(conn, actor, row.department_id)
    return rule_payload(row)


def _announce(outbox: Outbox, department_id: int) -> None:
    outbox.add([RULES_TOPIC], invitation_rules_changed_frame(department_id))


async def do_create_rule(*, ctx: Context, actor: AgentActor, data: dict[str, Any]) -> dict[str, Any]:
    require(actor.role, "invitation_rule.manage")
    department_id = _department_id(data.get("department_id"))
    values = check_rule(data)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        await _check_manage(conn, actor, department_id)
        await _check_agent(conn, values)
        if await invitation_store.count_rules(conn, department_id) >= MAX_RULES_PER_DEPARTMENT:
            raise ChatRuleError("conflict", f"A department has at most {MAX_RULES_PER_DEPARTMENT} invitation rules.")
        position = await invitation_store.next_position(conn, department_id)
        rule_id = await invitation_store.insert_rule(
            conn,
            {
                **values,
                "department_id": department_id,
                "position": position,
                "created_at": now,
                "updated_at": now,
                "created_by": actor.id,
            },
        )
        await record_audit(
            conn, actor, "invitation_rule.create", ("invitation_rule", rule_id), {"name": values["name"]}
        )
        _announce(outbox, department_id)
        row = await invitation_store.rule(conn, rule_id)
    forget_rules(ctx, department_id)
    return rule_payload(row)


async def do_update_rule(*, ctx: Context, actor: AgentActor, rule_id: int, data: dict[str, Any]) -> dict[str, Any]:
    require(actor.role, "invitation_rule.manage")
    if "department_id" in data:
        raise ChatRuleError("bad_request", "department_id: a rule stays in its department", field="department_id")
    values = check_rule(data, partial=True)
    async with unit_of_work(ctx) as (conn, outbox):
        row = await invitation_store.rule(conn, rule_id)
        if row is None:
            raise ChatRuleError("not_found", "No such invitation rule.")
        await _check_manage(conn, actor, row.department_id)
        await _check_agent(conn, values)
        if values:
            await invitation_store.update_rule(conn, rule_id, {**values, "updated_at": utcnow()})
            await record_audit(
                conn, actor, "invitation_rule.update", ("invitation_rule", rule_id), {"changed": sorted(values)}
            )
            _announce(outbox, row.department_id)
        updated = await invitation_store.rule(conn, rule_id)
    forget_rules(ctx, row.department_id)
    return rule_payload(updated)


async def do_delete_rule(*, ctx: Context, actor: AgentActor, rule_id: int) -> None:
    require(actor.role, "invitation_rule.manage")
    async with unit_of_work(ctx) as (conn, outbox):
        row = await invitation_store.rule(conn, rule_id)
        if row is None:
            raise ChatRuleError("not_found", "No such invitation rule.")
        await _check_manage(conn, actor, row.department_id)
        await invitation_store.delete_rule(conn, rule_id)
        await record_audit(conn, actor, "invitation_rule.delete", ("invitation_rule", rule_id), {"name": row.name})
        _announce(outbox, row.department_id)
    forget_rules(ctx, row.department_id)


async def do_reorder_rules(
    *, ctx: Context, actor: AgentActor, department_id: object, rule_ids: object
) -> list[dict[str, Any]]:
    """Set the order of a department's rules: `rule_ids` lists every one of them, first first."""
    require(actor.role, "invitation_rule.manage")
    dept_id = _department_id(department_id)
    if not isinstance(rule_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in rule_ids):
        raise ChatRuleError("bad_request", "rule_ids: must be a list of rule ids", field="rule_ids")
    async with unit_of_work(ctx) as (conn, outbox):
        await _check_manage(conn, actor, dept_id)
        current = {r.id for r in await invitation_store.rules(conn, dept_id)}
        if len(rule_ids) != len(set(rule_ids)) or set(rule_ids) != current:
            raise ChatRuleError(
                "bad_request", "rule_ids: must list each of the department's rules once", field="rule_ids"
            )
        await invitation_store.set_positions(conn, [(rid, i) for i, rid in enumerate(rule_ids)], utcnow())
        await record_audit(conn, actor, "invitation_rule.reorder", ("department", dept_id), {"rule_ids": rule_ids})
        _announce(outbox, dept_id)
        rows = await invitation_store.rules(conn, dept_id)
    forget_rules(ctx, dept_id)
    return [rule_payload(r) for r in rows]


# ---- the simulator and the report -------------------------------------------------------------

SIMULATION_DAYS = 7
SIMULATION_MAX_PAGE_VIEWS = 200_000


async def simulate_rule(*, ctx: Context, actor: AgentActor, department_id: object, rule: object) -> dict[str, Any]:
    """How a draft rule would have done over the last 7 days' stored page views (of visits in the
    department, or with no department set by the page): domain/invitation_rules.simulate."""
    require(actor.role, "invitation_rule.manage")
    dept_id = _department_id(department_id)
    if not isinstance(rule, dict):
        raise ChatRuleError("bad_request", "rule: must be an object", field="rule")
    try:
        values = check_rule({k: v for k, v in rule.items() if k != "department_id"})
    except ChatRuleError as exc:
        path = f"rule.{exc.field}" if exc.field else "rule"
        raise ChatRuleError(exc.code, f"rule.{exc.message}", field=path) from None
    now = utcnow()
    since = now - timedelta(days=SIMULATION_DAYS)
    async with ctx.db.read() as conn:
        dept = await _check_manage(conn, actor, dept_id)
        default = await department_store.default_department(conn)
        rows = await invitation_store.page_views_since(conn, since, limit=SIMULATION_MAX_PAGE_VIEWS)
    zone = parse_business_hours(dept.hours or None).timezone if dept.hours else None
    take_unset = default is not None and default.id == dept.id
    visits: dict[int, list[Any]] = {}
    for row in rows:
        if row.department_id == dept.id or (row.department_id is None and take_unset):
            visits.setdefault(row.visit_id, []).append(row)
    sim_visits = [
        SimVisit(
            visitor_id=pages[0].visitor_id,
            number=pages[0].number,
            started_at=as_utc(pages[0].started_at),
            referrer=pages[0].referrer or "",
            country=pages[0].country,
            device=pages[0].device,
            language=pages[0].language,
            pages=tuple(SimPage(as_utc(p.at), p.url or "", p.title or "", p.visible_ms) for p in pages),
        )
        for pages in visits.values()
    ]
    draft = rule_from_row(_Draft(0, dept.id, 0, values))
    result = simulate(draft, sim_visits, days=SIMULATION_DAYS, timezone=zone)
    return {
        "days": SIMULATION_DAYS,
        "visits": result.visits,
        "matched_visits": result.matched_visits,
        "invitations": result.invitations,
        "per_hour": result.per_hour,
        "peak_per_hour": result.peak_per_hour,
        "truncated": len(rows) >= SIMULATION_MAX_PAGE_VIEWS,
    }


class _Draft:
    """A rule not saved yet, shaped like its row for rule_from_row."""

    def __init__(self, rule_id: int, department_id: int, position: int, values: dict[str, Any]) -> None:
        self.id, self.department_id, self.position = rule_id, department_id, position
        self.name = values["name"]
        self.enabled = values["enabled"]
        self.conditions, self.gates = values["conditions"], values["gates"]
        self.action, self.caps = values["action"], values["caps"]


REPORT_OUTCOMES = ("pending", "shown", "accepted", "dismissed", "expired", "blocked")


def _counts() -> dict[str, Any]:
    return {"sent": 0, "shown": 0, **{o: 0 for o in REPORT_OUTCOMES if o != "shown"}, "acceptance_rate": None}


async def invitation_report(
    *, ctx: Context, actor: AgentActor, since: str | None, until: str | None, department_id: int | None = None
) -> dict[str, Any]:
    """Outcomes of invitations created in [since, until) per rule, per agent and per department.
    `sent`: every invitation that reached the visitor (all but blocked); `shown`: those the
    widget showed (whatever came next); `pending`: still open; `accepted`, `dismissed`,
    `expired`, `blocked`: final outcomes; `acceptance_rate`: accepted / sent."""
    require(actor.role, "invitation.report")
    start, end = check_range(since, until, utcnow())  # as the satisfaction report: 30 days by default
    async with ctx.db.read() as conn:
        scope: list[int] | None = None
        mine = await department_store.departments_of_user(conn, actor.id)
        if department_id is not None:
            if not in_scope(actor.role, "invitation.report", department_id, mine):
                raise ChatRuleError("forbidden", "You see the reports of your own departments only.")
            scope = [department_id]
        elif not in_scope(actor.role, "invitation.report", None, mine):
            scope = list(mine)
        rows = await invitation_store.outcome_counts(conn, since=start, until=end, department_ids=scope)
        reasons = await invitation_store.blocked_reasons(conn, since=start, until=end, department_ids=scope)
        rule_names, agent_names = await invitation_store.names(
            conn, {r.rule_id for r in rows if r.rule_id}, {r.agent_id for r in rows if r.agent_id}
        )
        departments = {d.id: d.name for d in await department_store.all_departments(conn)}
    by_rule: dict[int | None, dict[str, Any]] = {}
    by_agent: dict[int | None, dict[str, Any]] = {}
    by_department: dict[int, dict[str, Any]] = {}
    total = _counts()
    for row in rows:
        for table, key in ((by_rule, row.rule_id), (by_agent, row.agent_id), (by_department, row.department_id)):
            _add(table.setdefault(key, _counts()), row)
        _add(total, row)
    blocked_by: dict[int | None, dict[str, int]] = {}
    for row in reasons:
        blocked_by.setdefault(row.rule_id, {})[row.blocked_reason or "unknown"] = row.n
    return {
        "from": iso(start),
        "to": iso(end),
        "total": _rate(total),
        "rules": [
            {
                "rule_id": k,
                "name": rule_names.get(k) if k else None,
                **_rate(v),
                "blocked_reasons": blocked_by.get(k, {}),
            }
            for k, v in sorted(by_rule.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
        "agents": [
            {"agent_id": k, "name": agent_names.get(k) if k else None, **_rate(v)}
            for k, v in sorted(by_agent.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
        "departments": [
            {"department_id": k, "name": departments.get(k), **_rate(v)} for k, v in sorted(by_department.items())
        ],
    }


def _add(counts: dict[str, Any], row: Any) -> None:
    key = "pending" if row.outcome in ("pending", "shown") else row.outcome  # still open
    counts[key] = counts.get(key, 0) + row.n
    if row.outcome != "blocked":
        counts["sent"] += row.n
    if row.shown:
        counts["shown"] += row.n


def _rate(counts: dict[str, Any]) -> dict[str, Any]:
    sent = counts["sent"]
    return {**counts, "acceptance_rate": round(counts["accepted"] / sent, 4) if sent else None}
