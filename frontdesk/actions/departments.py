"""Departments: their settings, members, and whether they can take a chat right now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.audit import record_audit
from frontdesk.actions.canned import forget_scripted
from frontdesk.actions.chat_events import append_events, publish_summary
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import iso, utcnow
from frontdesk.domain.access import member_change_refused
from frontdesk.domain.business_hours import BusinessHours, parse_business_hours
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus, EventKind
from frontdesk.domain.events import EventDraft
from frontdesk.domain.ids import MAX_SMALL_ID
from frontdesk.domain.text import clean_text, parse_email_address, strip_controls
from frontdesk.permissions import department_scoped, in_scope, require
from frontdesk.store import department_store, invitation_store, routing_store, user_store
from frontdesk.store.routing_store import log_routing

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
ROUTING_MODES = ("auto", "pick")
FIELDS = (
    "slug",
    "name",
    "description",
    "hours",
    "max_queue",
    "routing",
    "offer_timeout_seconds",
    "offline_message",
    "email",
    "fallback_department_id",
    "scripted",
    "sneak_peek",
    "reply_alert_seconds",
)


def _text(value: object, field: str, *, max_len: int, min_len: int = 0, one_line: bool = True) -> str:
    value = clean_text(value, field, multiline=True).strip()  # NUL: a 400; other controls removed
    if one_line and any(ch in value for ch in "\r\n"):
        raise ChatRuleError("bad_request", f"{field}: must be a single line", field=field)
    if one_line:
        value = strip_controls(value)  # and the bidi controls
    if not min_len <= len(value) <= max_len:
        raise ChatRuleError("bad_request", f"{field}: must be {min_len} to {max_len} characters", field=field)
    return value


def _int(value: object, field: str, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ChatRuleError("bad_request", f"{field}: must be a whole number from {low} to {high}", field=field)
    return value


def check_department(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validated column values; every error names the field."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ChatRuleError("bad_request", f"{name}: unknown field", field=name)
    if not partial:
        for required in ("slug", "name"):
            if required not in data:
                raise ChatRuleError("bad_request", f"{required}: is required", field=required)
    out: dict[str, Any] = {}
    if "slug" in data:
        slug = _text(data["slug"], "slug", max_len=40, min_len=1).lower()
        if not SLUG.fullmatch(slug):
            raise ChatRuleError(
                "bad_request", "slug: use lowercase letters, digits and dashes (e.g. tech-support)", field="slug"
            )
        out["slug"] = slug
    if "name" in data:
        out["name"] = _text(data["name"], "name", max_len=80, min_len=1)
    if "description" in data:
        out["description"] = _text(data["description"] or "", "description", max_len=300)
    if "hours" in data:
        out["hours"] = parse_business_hours(data["hours"]).to_json()
    if "max_queue" in data:
        out["max_queue"] = _int(data["max_queue"], "max_queue", low=0, high=10_000)
    if "routing" in data:
        if data["routing"] not in ROUTING_MODES:
            raise ChatRuleError("bad_request", "routing: must be auto or pick", field="routing")
        out["routing"] = data["routing"]
    if "offer_timeout_seconds" in data:
        out["offer_timeout_seconds"] = _int(data["offer_timeout_seconds"], "offer_timeout_seconds", low=5, high=600)
    if "offline_message" in data:
        out["offline_message"] = _text(data["offline_message"] or "", "offline_message", max_len=500, one_line=False)
    if "email" in data:
        email = data["email"]
        if email in (None, ""):
            out["email"] = None
        else:
            out["email"] = parse_email_address(email, "email")
    if "fallback_department_id" in data:
        value = data["fallback_department_id"]
        out["fallback_department_id"] = (
            None if value is None else _int(value, "fallback_department_id", low=1, high=MAX_SMALL_ID)
        )
    if "scripted" in data:  # canned responses only for level-1 agents (actions/canned.py)
        if not isinstance(data["scripted"], bool):
            raise ChatRuleError("bad_request", "scripted: must be true or false", field="scripted")
        out["scripted"] = data["scripted"]
    if "sneak_peek" in data:
        if not isinstance(data["sneak_peek"], bool):
            raise ChatRuleError("bad_request", "sneak_peek: must be true or false", field="sneak_peek")
        out["sneak_peek"] = data["sneak_peek"]
    if "reply_alert_seconds" in data:
        out["reply_alert_seconds"] = _int(data["reply_alert_seconds"], "reply_alert_seconds", low=10, high=3600)
    return out


def hours_of(row: Any) -> BusinessHours:
    return parse_business_hours(row.hours or None)


@dataclass(frozen=True)
class Availability:
    accepting: bool
    reason: str | None  # closed | no_agents | queue_full
    open_now: bool
    online_agents: int
    queue_length: int
    next_opening: str | None


def availability(row: Any, *, online_agents: int, queue_length: int) -> Availability:
    now = utcnow()
    hours = hours_of(row)
    open_now = hours.is_open(now)
    reason = None
    if not open_now:
        reason = "closed"
    elif online_agents == 0:
        reason = "no_agents"
    elif row.max_queue and queue_length >= row.max_queue:
        reason = "queue_full"
    next_opening = None if open_now else iso(hours.next_opening(now))
    return Availability(reason is None, reason, open_now, online_agents, queue_length, next_opening)


async def _live(ctx: Context, conn: AsyncConnection) -> tuple[dict[int, int], dict[int, int]]:
    """(online and connected members, queue length) per department."""
    connected = await ctx.presence.connected_agents()
    online: dict[int, int] = {}
    for dept_id, people in (await department_store.member_counts(conn)).items():
        online[dept_id] = sum(1 for uid, status in people if status == "online" and uid in connected)
    return online, await department_store.queue_lengths(conn)


def department_payload(row: Any, live: Availability | None = None) -> dict[str, Any]:
    out = {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "description": row.description,
        "hours": hours_of(row).to_json(),
        "max_queue": row.max_queue,
        "routing": row.routing,
        "offer_timeout_seconds": row.offer_timeout_seconds,
        "offline_message": row.offline_message,
        "email": row.email,
        "fallback_department_id": row.fallback_department_id,
        "scripted": bool(row.scripted),
        "sneak_peek": bool(row.sneak_peek),
        "reply_alert_seconds": row.reply_alert_seconds,
    }
    if live is not None:
        out.update(
            open_now=live.open_now,
            online_agents=live.online_agents,
            queue_length=live.queue_length,
            accepting_chats=live.accepting,
            reason=live.reason,
            next_opening=live.next_opening,
        )
    return out


async def list_departments(*, ctx: Context, actor: AgentActor) -> list[dict[str, Any]]:
    require(actor.role, "department.read")
    async with ctx.db.read() as conn:
        rows = await department_store.all_departments(conn)
        online, queues = await _live(ctx, conn)
        members = await department_store.member_counts(conn)
    out = []
    for row in rows:
        live = availability(row, online_agents=online.get(row.id, 0), queue_length=queues.get(row.id, 0))
        payload = department_payload(row, live)
        payload["members"] = [uid for uid, _status in members.get(row.id, [])]
        out.append(payload)
    return out


async def department_availability(ctx: Context, conn: AsyncConnection, row: Any) -> Availability:
    online, queues = await _live(ctx, conn)
    return availability(row, online_agents=online.get(row.id, 0), queue_length=queues.get(row.id, 0))


async def widget_departments(*, ctx: Context, slug: str | None = None) -> list[dict[str, Any]]:
    """What the widget may show visitors: names, descriptions and whether each takes chats now."""
    async with ctx.db.read() as conn:
        rows = await department_store.all_departments(conn)
        online, queues = await _live(ctx, conn)
    out = []
    for row in rows:
        if slug is not None and row.slug != slug:
            continue
        live = availability(row, online_agents=online.get(row.id, 0), queue_length=queues.get(row.id, 0))
        out.append(
            {
                "slug": row.slug,
                "name": row.name,
                "description": row.description,
                "accepting_chats": live.accepting,
                "reason": live.reason,
                "offline_message": row.offline_message,
                "next_opening": live.next_opening,
            }
        )
    return out


async def _check_fallback(conn: AsyncConnection, values: dict[str, Any], department_id: int | None) -> None:
    fallback = values.get("fallback_department_id")
    if fallback is None:
        return
    if fallback == department_id:
        raise ChatRuleError(
            "bad_request", "fallback_department_id: cannot be the department itself", field="fallback_department_id"
        )
    if await department_store.department(conn, fallback) is None:
        raise ChatRuleError(
            "bad_request", f"fallback_department_id: no department {fallback}", field="fallback_department_id"
        )


async def do_create_department(*, ctx: Context, actor: AgentActor, data: dict[str, Any]) -> dict[str, Any]:
    require(actor.role, "department.manage")
    values = check_department(data)
    values.setdefault("hours", {})
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            await _check_fallback(conn, values, None)
            department_id = await department_store.insert_department(conn, {"created_at": utcnow(), **values})
            row = await department_store.department(conn, department_id)
            await record_audit(
                conn, actor, "department.create", ("department", department_id), {"slug": values["slug"]}
            )
    except IntegrityError:
        raise ChatRuleError("conflict", f"slug: a department {values['slug']!r} exists already", field="slug") from None
    if values.get("scripted"):
        forget_scripted(ctx)  # actions/canned.py
    return department_payload(row)


async def do_update_department(
    *, ctx: Context, actor: AgentActor, department_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    require(actor.role, "department.manage")
    values = check_department(data, partial=True)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            if await department_store.department(conn, department_id, lock=True) is None:
                raise ChatRuleError("not_found", "No such department.")
            await _check_fallback(conn, values, department_id)
            if values:
                await department_store.update_department(conn, department_id, values)
                await record_audit(
                    conn, actor, "department.update", ("department", department_id), {"changed": sorted(values)}
                )
            row = await department_store.department(conn, department_id)
    except IntegrityError:
        raise ChatRuleError("conflict", "slug: another department uses it", field="slug") from None
    ctx.router.kick(department_id)  # hours, routing or limits may let waiting chats move
    forget_scripted(ctx)  # scripted mode may have changed (actions/canned.py)
    return department_payload(row)


async def _check_supervisor_members(
    conn: AsyncConnection, actor: AgentActor, dept: Any, pairs: dict[int, int], roles: dict[int, str]
) -> None:
    """Supervisors set the members of their own departments only, and change only agents'
    memberships (domain/access.member_change_refused); managers and admins any."""
    mine = await department_store.departments_of_user(conn, actor.id)
    if not in_scope(actor.role, "department.members", dept.id, mine):
        raise ChatRuleError("forbidden", f"You manage the members of your own departments only; this is {dept.name}.")
    current = {m.id: m.level for m in await department_store.members(conn, dept.id)}
    others = sorted(set(current) - set(roles))
    if others:
        roles = {**roles, **await user_store.roles(conn, others)}
    refused = member_change_refused(actor_id=actor.id, current=current, wanted=pairs, roles=roles)
    if refused is not None:
        raise ChatRuleError("forbidden", refused, field="members")


async def do_set_members(
    *, ctx: Context, actor: AgentActor, department_id: int, members: list[dict[str, Any]]
) -> list[dict[str, int]]:
    """Replace a department's members (user id and level). Supervisors: see
    `_check_supervisor_members`."""
    require(actor.role, "department.members")
    if not isinstance(members, list) or len(members) > 1000:
        raise ChatRuleError("bad_request", "members: must be a list", field="members")
    pairs: dict[int, int] = {}
    for i, m in enumerate(members):
        if not isinstance(m, dict):
            raise ChatRuleError("bad_request", f"members[{i}]: must be an object", field=f"members[{i}]")
        user_id = _int(m.get("user_id"), f"members[{i}].user_id", low=1, high=MAX_SMALL_ID)
        pairs[user_id] = _int(m.get("level", 1), f"members[{i}].level", low=1, high=9)
    async with unit_of_work(ctx) as (conn, _outbox):
        dept = await department_store.department(conn, department_id, lock=True)
        if dept is None:
            raise ChatRuleError("not_found", "No such department.")
        roles = await user_store.roles(conn, pairs)
        missing = sorted(set(pairs) - set(roles))
        if missing:
            raise ChatRuleError("bad_request", f"members: no user {missing[0]}", field="members")
        if department_scoped(actor.role, "department.members"):
            await _check_supervisor_members(conn, actor, dept, pairs, roles)
        await department_store.set_members(conn, department_id, pairs.items())
        await record_audit(
            conn,
            actor,
            "department.members",
            ("department", department_id),
            {"members": [{"user_id": u, "level": lv} for u, lv in sorted(pairs.items())]},
        )
    ctx.router.kick(department_id)
    return [{"user_id": u, "level": lv} for u, lv in sorted(pairs.items())]


# -- deleting a department -----------------------------------------------------------------


async def do_delete_department(*, ctx: Context, actor: AgentActor, department_id: int) -> dict[str, Any]:
    """Waiting chats move to the fallback department, or close as missed (their visitors are
    offered the offline form); chats in progress stay with their agents, moved to the fallback
    or, without one, to the default department."""
    require(actor.role, "department.manage")
    now = utcnow()
    moved, missed = [], []
    async with unit_of_work(ctx) as (conn, outbox):
        dept = await department_store.department(conn, department_id, lock=True)
        if dept is None:
            raise ChatRuleError("not_found", "No such department.")
        fallback = dept.fallback_department_id
        home = fallback
        if home is None:
            default = await department_store.default_department(conn)
            home = default.id if default is not None and default.id != department_id else None
            if home is None:
                others = [d for d in await department_store.all_departments(conn) if d.id != department_id]
                home = others[0].id if others else None
        if home is None:
            raise ChatRuleError("conflict", "The last department cannot be deleted.")
        rows = await department_store.open_chats(conn, department_id)
        for row in rows:
            chat_id = row.id
            if row.status == ChatStatus.QUEUED and fallback is None:
                # Seen as the chat was: the deleted department's queue, followers, the visitor.
                await append_events(
                    conn,
                    outbox,
                    chat_id,
                    [EventDraft(EventKind.CHAT_CLOSED, data={"by": "system", "reason": "department_deleted"})],
                    now=now,
                    chat_values={**routing_store.closed_as_missed(now), "department_id": home},
                    seen_as=row,
                )
                await log_routing(
                    conn, kind="missed", chat_id=chat_id, department_id=None, now=now, reason="department_deleted"
                )
                missed.append(chat_id)
            else:
                await department_store.move_chat(conn, chat_id, home)
                await log_routing(
                    conn, kind="moved", chat_id=chat_id, department_id=home, now=now, from_department_id=department_id
                )
                moved.append(chat_id)
            await publish_summary(conn, outbox, chat_id, previous_department_id=department_id, queue_changed=True)
        await invitation_store.move_department(conn, department_id, home)  # their history moves with the chats
        await department_store.delete_department(conn, department_id, chats_to=home)
        await record_audit(
            conn,
            actor,
            "department.delete",
            ("department", department_id),
            {"slug": dept.slug, "moved": len(moved), "missed": len(missed), "moved_to": home},
        )
    ctx.router.kick(None)
    return {"moved": moved, "missed": missed, "moved_to": home}
