"""Bulk writes of the demo history (actions/demo.py): a simulation's result as rows, inserted with
executemany in a few statements per table. Demo rows are marked: their visitors' ids start with
DEMO_PREFIX (chats, invitations and offline messages all have one), so the demo can tell its
chats from real ones and remove its own history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.domain.business_hours import parse_business_hours
from frontdesk.domain.chat_rules import INTERNAL_KINDS
from frontdesk.domain.invitation_rules import check_rule
from frontdesk.domain.quality import weighted_score
from frontdesk.domain.simulation import SimConfig, SimResult
from frontdesk.store.models import (
    AgentActivity,
    Chat,
    ChatFact,
    Department,
    DepartmentMember,
    Invitation,
    InvitationRule,
    Message,
    Office,
    OfficeHoliday,
    OfflineTicket,
    Review,
    RoutingLog,
    Shift,
    User,
    Visitor,
    metric_hours,
)

DEMO_PREFIX = "demo-"
CHUNK = 2000  # rows per executemany: progress is reported between chunks

Progress = Callable[[int], None]  # rows written since the last call


async def foreign_chats(conn: AsyncConnection) -> int:
    """Chats the demo did not make (their visitor's id lacks the demo prefix)."""
    stmt = select(func.count()).select_from(Chat).where(Chat.visitor_id.not_like(f"{DEMO_PREFIX}%"))
    return int((await conn.execute(stmt)).scalar_one())


async def demo_chat_count(conn: AsyncConnection) -> int:
    stmt = select(func.count()).select_from(Chat).where(Chat.visitor_id.like(f"{DEMO_PREFIX}%"))
    return int((await conn.execute(stmt)).scalar_one())


def demo_description(name: str) -> str:
    return f"{name} (demo)"


async def ensure_departments(
    conn: AsyncConnection, config: SimConfig, now: datetime, owned: Sequence[int] = ()
) -> dict[str, int]:
    """The config's departments by slug: the demo's own (`owned`: their ids from an earlier
    load, or the demo's description) when one has the slug or the slug with `-demo`, else a new
    one - under the slug, or `<slug>-demo` when a department not the demo's has it."""
    out: dict[str, int] = {}
    for spec in config.departments:
        slugs = (spec.slug, f"{spec.slug}-demo")
        stmt = select(Department.id, Department.slug, Department.description).where(Department.slug.in_(slugs))
        rows = (await conn.execute(stmt)).all()
        mine = [r.id for r in rows if r.id in owned or r.description == demo_description(spec.name)]
        if mine:
            out[spec.slug] = int(mine[0])
            continue
        taken = {r.slug for r in rows}
        slug = next((s for s in slugs if s not in taken), f"{spec.slug}-demo-{len(owned) + 1}")
        hours = parse_business_hours({"timezone": spec.timezone, **dict(spec.hours)}).to_json()
        result = await conn.execute(
            insert(Department)
            .values(
                slug=slug,
                name=spec.name,
                description=demo_description(spec.name),
                hours=hours,
                created_at=now,
                offline_message="We're closed now - leave a message and we'll write back.",
            )
            .returning(Department.id)
        )
        out[spec.slug] = int(result.scalar_one())
    return out


async def ensure_users(
    conn: AsyncConnection, config: SimConfig, departments: dict[str, int], password_hash: str, now: datetime
) -> list[int]:
    """The config's agents as users (index -> id), made when missing, with their departments and
    levels; every new one gets `password_hash` (one hash, made once by the caller)."""
    ids: list[int] = []
    for spec in config.agents:
        found = (await conn.execute(select(User.id).where(User.email == spec.email))).scalar_one_or_none()
        if found is None:
            result = await conn.execute(
                insert(User)
                .values(
                    email=spec.email,
                    name=spec.name,
                    role=spec.role,
                    password_hash=password_hash,
                    max_chats=spec.max_chats,
                    created_at=now,
                    status="offline",
                )
                .returning(User.id)
            )
            found = int(result.scalar_one())
        ids.append(int(found))
    await conn.execute(delete(DepartmentMember).where(DepartmentMember.user_id.in_(ids)))
    members = [
        {"department_id": departments[slug], "user_id": uid, "level": spec.level}
        for spec, uid in zip(config.agents, ids, strict=True)
        for slug in spec.departments
    ]
    await conn.execute(insert(DepartmentMember), members)
    return ids


def rule_name(department_name: str) -> str:
    return f"{department_name}: visitors reading for a while"


async def remove_history(
    conn: AsyncConnection, config: SimConfig, departments: dict[str, int], users: Sequence[int]
) -> None:
    """The demo's history: its chats (their messages, routing rows, facts and reviews go with
    them), visitors, invitations and offline messages (all with a demo visitor), the routing rows
    of those offline messages, its invitation rules and its users' activity. The departments and
    users stay.

    The roll-ups of the demo's departments are deleted with the facts of any chat left there (a
    real chat someone started in a demo department): those facts are due again, and computing
    them (actions/facts) adds them back, so the roll-ups equal their facts."""
    demo = f"{DEMO_PREFIX}%"
    dept_ids = list(departments.values())
    last_ticket = (
        await conn.execute(
            select(func.max(OfflineTicket.created_at)).where(
                OfflineTicket.visitor_id.like(demo), OfflineTicket.department_id.in_(dept_ids)
            )
        )
    ).scalar_one()
    await conn.execute(delete(Invitation).where(Invitation.visitor_id.like(demo)))
    await conn.execute(delete(OfflineTicket).where(OfflineTicket.visitor_id.like(demo)))
    await conn.execute(delete(Chat).where(Chat.visitor_id.like(demo)))
    await conn.execute(delete(Visitor).where(Visitor.id.like(demo)))
    if last_ticket is not None:
        await conn.execute(
            delete(RoutingLog).where(
                RoutingLog.kind == "offline_ticket",
                RoutingLog.chat_id.is_(None),
                RoutingLog.department_id.in_(dept_ids),
                RoutingLog.created_at <= last_ticket,
            )
        )
    names = [rule_name(d.name) for d in config.departments]
    await conn.execute(
        delete(InvitationRule).where(InvitationRule.department_id.in_(dept_ids), InvitationRule.name.in_(names))
    )
    await conn.execute(delete(ChatFact).where(ChatFact.department_id.in_(dept_ids)))
    await conn.execute(delete(metric_hours).where(metric_hours.c.department_id.in_(dept_ids)))
    await conn.execute(delete(AgentActivity).where(AgentActivity.agent_id.in_(list(users))))


async def _many(conn: AsyncConnection, stmt: Any, rows: list[dict[str, Any]], progress: Progress) -> None:
    for i in range(0, len(rows), CHUNK):
        part = rows[i : i + CHUNK]
        await conn.execute(stmt, part)
        progress(len(part))


async def _many_returning(
    conn: AsyncConnection, table: Any, rows: list[dict[str, Any]], progress: Progress
) -> list[int]:
    """Insert rows, returning their new ids in the rows' order."""
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        part = rows[i : i + CHUNK]
        result = await conn.execute(insert(table).returning(table.id, sort_by_parameter_order=True), part)
        ids += [int(r[0]) for r in result]
        progress(len(part))
    return ids


def row_count(result: SimResult) -> int:
    """How many rows write_history inserts (for a progress bar)."""
    chats = result.chats
    return (
        2 * len(chats)  # visitors, chats
        + len(result.offline)  # their visitors
        + sum(len(c.messages) for c in chats)
        + len(result.routing)
        + len(result.statuses)
        + 2 * len(result.invitations)  # visitors of the ones not accepted, invitations
        + len(result.offline)
        + sum(1 for c in chats if c.review is not None)
    )


def _translate(data: Any, users: Sequence[int], departments: dict[str, int]) -> Any:
    """A simulated event's data with agent indexes as user ids and department slugs with ids."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key in ("agent", "from_agent", "to_agent"):
        card = out.get(key)
        if isinstance(card, dict) and isinstance(card.get("id"), int):
            out[key] = {**card, "id": users[card["id"]]}
    dept = out.get("to_department")
    if isinstance(dept, dict) and dept.get("slug") in departments:
        out["to_department"] = {"id": departments[dept["slug"]], **dept}
    return out


async def write_history(
    conn: AsyncConnection,
    result: SimResult,
    *,
    departments: dict[str, int],
    users: Sequence[int],
    now: datetime,
    progress: Progress,
) -> dict[str, int]:
    """Insert a simulation's history; returns counts by table. Nothing is dated after `now` (a
    review written "tomorrow" would look changed after its chat's facts, for ever)."""
    config = result.config
    names = [a.name for a in config.agents]

    # Invitation rules: one per department, the invitations' `rule`.
    rules: dict[str, int] = {}
    for position, spec in enumerate(config.departments):
        values = check_rule(
            {
                "name": rule_name(spec.name),
                "conditions": [{"field": "time_on_page", "op": "gte", "value": 30}],
                "action": {"text": f"Hi! Questions about {spec.name.lower()}? We're here to help."},
            }
        )
        created = (await conn.execute(
            insert(InvitationRule)
            .values(
                department_id=departments[spec.slug],
                position=position,
                created_at=result.start,
                updated_at=result.start,
                **values,
            )
            .returning(InvitationRule.id)
        )).scalar_one()  # fmt: skip
        rules[spec.slug] = int(created)

    # Visitors: one per chat, one per invitation that did not start a chat.
    visitors: list[dict[str, Any]] = []
    for chat in result.chats:
        visitors.append(
            {
                "id": f"{DEMO_PREFIX}{chat.number:07d}",
                "name": chat.visitor_name,
                "email": chat.visitor_email,
                "created_at": chat.created_at - timedelta(minutes=3),
                "last_seen_at": chat.closed_at,
                "page_url": chat.page_url,
                "page_title": chat.page_title,
                "visits": 1,
            }
        )
    for inv in result.invitations:
        if inv.chat is None:
            visitors.append(
                {
                    "id": f"{DEMO_PREFIX}i{inv.number:06d}",
                    "name": None,
                    "email": None,
                    "created_at": inv.created_at - timedelta(seconds=40),
                    "last_seen_at": inv.outcome_at,
                    "page_url": inv.page_url,
                    "page_title": None,
                    "visits": 1,
                }
            )
    for n, t in enumerate(result.offline, start=1):
        visitors.append(
            {
                "id": f"{DEMO_PREFIX}t{n:06d}",
                "name": t.name,
                "email": t.email,
                "created_at": t.at - timedelta(minutes=1),
                "last_seen_at": t.at,
                "page_url": None,
                "page_title": None,
                "visits": 1,
            }
        )
    await _many(conn, insert(Visitor), visitors, progress)

    # Invitations (their chat ids are filled once the chats exist).
    invitation_rows = [
        {
            "visitor_id": f"{DEMO_PREFIX}{inv.chat:07d}" if inv.chat is not None else f"{DEMO_PREFIX}i{inv.number:06d}",
            "department_id": departments[inv.department],
            "rule_id": rules[inv.department],
            "text": inv.text,
            "created_at": inv.created_at,
            "expires_at": inv.created_at + timedelta(minutes=2),
            "outcome": inv.outcome,
            "outcome_at": inv.outcome_at,
            "shown_at": inv.created_at + timedelta(seconds=1),
        }
        for inv in result.invitations
    ]
    invitation_ids = await _many_returning(conn, Invitation, invitation_rows, progress)

    # Chats.
    chat_rows: list[dict[str, Any]] = []
    for chat in result.chats:
        last = next((m for m in reversed(chat.messages) if m.kind == "message"), None)
        chat_rows.append(
            {
                "visitor_id": f"{DEMO_PREFIX}{chat.number:07d}",
                "status": "closed",
                "assignee_id": users[chat.assignee] if chat.assignee is not None else None,
                "department_id": departments[chat.department],
                "queued_at": chat.queued_at,
                "missed": chat.missed,
                "last_seq": len(chat.messages),
                "created_at": chat.created_at,
                "assigned_at": chat.assigned_at,
                "closed_at": chat.closed_at,
                "closed_by": chat.closed_by,
                "last_message_at": last.at if last else None,
                "last_message_text": last.body[:200] if last else None,
                "last_message_author": last.author if last else None,
                "required_level": chat.required_level,
                "rating": chat.rating,
                "rating_comment": chat.rating_comment,
                "rated_at": chat.rated_at,
                "visitor_read_seq": chat.read_seq,
                "invitation_id": invitation_ids[chat.invitation] if chat.invitation is not None else None,
            }
        )
    chat_ids = await _many_returning(conn, Chat, chat_rows, progress)
    accepted = [
        {"b_id": invitation_ids[inv.number - 1], "b_chat": chat_ids[inv.chat - 1]}
        for inv in result.invitations
        if inv.chat is not None
    ]
    if accepted:
        await conn.execute(
            update(Invitation).where(Invitation.id == bindparam("b_id")).values(chat_id=bindparam("b_chat")),
            accepted,
        )

    # Messages: every chat's events, numbered from 1.
    messages: list[dict[str, Any]] = []
    for chat, chat_id in zip(result.chats, chat_ids, strict=True):
        for seq, m in enumerate(chat.messages, start=1):
            author_name = (
                names[m.agent] if m.agent is not None else (chat.visitor_name if m.author == "visitor" else None)
            )
            messages.append(
                {
                    "chat_id": chat_id,
                    "seq": seq,
                    "kind": m.kind,
                    "author_type": m.author,
                    "agent_id": users[m.agent] if m.agent is not None else None,
                    "author_name": author_name,
                    "body": m.body,
                    "client_id": None,
                    "data": _translate(m.data, users, departments),
                    "created_at": m.at,
                    "internal": m.kind in INTERNAL_KINDS,
                }
            )
    await _many(conn, insert(Message), messages, progress)

    # Offline messages (done after a day, except the last day's).
    tickets: list[dict[str, Any]] = []
    for n, t in enumerate(result.offline, start=1):
        done = t.at < result.end - timedelta(days=1)
        tickets.append(
            {
                "department_id": departments[t.department],
                "visitor_id": f"{DEMO_PREFIX}t{n:06d}",
                "name": t.name,
                "email": t.email,
                "body": t.body,
                "status": "done" if done else "open",
                "created_at": t.at,
                "done_at": t.at + timedelta(hours=14) if done else None,
                "done_by": None,
            }
        )
    ticket_ids = await _many_returning(conn, OfflineTicket, tickets, progress)

    # The routing log.
    tickets_left = iter(ticket_ids)
    routing: list[dict[str, Any]] = []
    for r in result.routing:
        data = dict(r.data)
        if "from_agent_id" in data and data["from_agent_id"] is not None:
            data["from_agent_id"] = users[data["from_agent_id"]]
        if "from_department" in data:
            data["from_department_id"] = departments[data.pop("from_department")]
        if r.kind == "offline_ticket":
            data["ticket_id"] = next(tickets_left)
        routing.append(
            {
                "chat_id": chat_ids[r.chat - 1] if r.chat is not None else None,
                "department_id": departments[r.department] if r.department is not None else None,
                "kind": r.kind,
                "agent_id": users[r.agent] if r.agent is not None else None,
                "data": data,
                "created_at": r.at,
            }
        )
    await _many(conn, insert(RoutingLog), routing, progress)

    # Agent activity.
    activity = [
        {"agent_id": users[s.agent], "at": s.at, "status": s.status, "reason": s.reason, "load": s.load}
        for s in result.statuses
    ]
    await _many(conn, insert(AgentActivity), activity, progress)

    # A few reviews by the leads.
    reviews: list[dict[str, Any]] = []
    for chat, chat_id in zip(result.chats, chat_ids, strict=True):
        if chat.review is None or chat.assignee is None or chat.closed_at is None:
            continue
        reviewer, score, comment = chat.review
        snapshot = [
            {"criterion_id": None, "name": "Accuracy", "weight": 2.0, "score": score},
            {"criterion_id": None, "name": "Tone", "weight": 1.0, "score": score},
        ]
        at = min(chat.closed_at + timedelta(days=1), now)
        reviews.append(
            {
                "chat_id": chat_id,
                "reviewer_id": users[reviewer],
                "reviewer_name": names[reviewer],
                "agent_id": users[chat.assignee],
                "department_id": departments[chat.department],
                "scores": snapshot,
                "score": weighted_score(snapshot),
                "comment": comment,
                "created_at": at,
                "updated_at": at,
            }
        )
    await _many(conn, insert(Review), reviews, progress)

    # Everyone ends the history offline.
    last_assigned: dict[int, datetime] = {}
    for r in result.routing:
        if r.kind == "assigned" and r.agent is not None:
            last_assigned[users[r.agent]] = r.at
    if last_assigned:
        await conn.execute(
            update(User).where(User.id == bindparam("b_id")).values(last_assigned_at=bindparam("b_at")),
            [{"b_id": uid, "b_at": at} for uid, at in last_assigned.items()],
        )
    return {
        "chats": len(chat_rows),
        "messages": len(messages),
        "routing": len(routing),
        "activity": len(activity),
        "invitations": len(invitation_rows),
        "offline_tickets": len(tickets),
        "reviews": len(reviews),
        "visitors": len(visitors),
    }


async def ensure_offices(conn: AsyncConnection, offices: Sequence[tuple[str, str]], now: datetime) -> dict[str, int]:
    """The demo's offices (name, time zone) by name: an office of that name is the demo's (its
    time zone is set to the demo's), else a new one."""
    out: dict[str, int] = {}
    for name, timezone in offices:
        found = (await conn.execute(select(Office.id).where(Office.name == name))).scalar_one_or_none()
        if found is None:
            result = await conn.execute(
                insert(Office).values(name=name, timezone=timezone, created_at=now).returning(Office.id)
            )
            found = result.scalar_one()
        else:
            await conn.execute(update(Office).where(Office.id == found).values(timezone=timezone))
        out[name] = int(found)
    return out


async def write_staffing(
    conn: AsyncConnection,
    *,
    users: Sequence[int],
    office_of: Sequence[int | None],
    shifts: Sequence[dict[str, Any]],
    holidays: Sequence[tuple[int, date, str]],
    now: datetime,
) -> dict[str, int]:
    """The demo users' offices (`office_of[i]` for `users[i]`) and recurring shifts (rows of the
    shifts table with `agent` = an index into `users` and `department` = the department's id),
    replacing every shift the demo users had
    (a plan applied to them too); `holidays` (office id, day, name) replace the days of that name
    in those offices. Returns counts."""
    await conn.execute(
        update(User).where(User.id == bindparam("b_id")).values(office_id=bindparam("b_office")),
        [{"b_id": uid, "b_office": office} for uid, office in zip(users, office_of, strict=True)],
    )
    await conn.execute(delete(Shift).where(Shift.agent_id.in_(list(users))))
    rows = [
        {
            **{k: v for k, v in shift.items() if k not in ("agent", "department")},
            "agent_id": users[shift["agent"]],
            "department_id": shift["department"],
            "created_at": now,
        }
        for shift in shifts
    ]
    if rows:
        await conn.execute(insert(Shift), rows)
    for office_id, day, name in holidays:
        await conn.execute(
            delete(OfficeHoliday).where(
                OfficeHoliday.office_id == office_id, (OfficeHoliday.name == name) | (OfficeHoliday.day == day)
            )
        )
        await conn.execute(insert(OfficeHoliday).values(office_id=office_id, day=day, name=name))
    return {"shifts": len(rows), "holidays": len(holidays)}
