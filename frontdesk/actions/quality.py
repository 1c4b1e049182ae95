"""Quality: annotations on transcript messages, department scorecards, reviews of chats and
average scores for reports.

Who sees what: reviews and annotations are for agents only, never the visitor. A supervisor
sees and writes them in their own departments, managers and admins everywhere; an agent sees
those of the chats they handled (`review.mine`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.access import handled, readable_chat
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.actions.supervision import check_scope, departments_in_scope
from frontdesk.clock import iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError, EventKind
from frontdesk.domain.ids import is_id
from frontdesk.domain.quality import (
    MAX_ANNOTATION,
    check_comment,
    check_criteria,
    check_scores,
    weighted_score,
)
from frontdesk.permissions import allowed, department_scoped, in_scope, require
from frontdesk.store import chat_store, department_store, supervision_store
from frontdesk.wire import annotation_added_frame, annotation_deleted_frame

MAX_RANGE_DAYS = 366
ANNOTATABLE = (EventKind.MESSAGE, EventKind.WHISPER, EventKind.NOTE)


def annotation_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "chat_id": row.chat_id,
        "seq": row.message_seq,
        "author": {"id": row.author_id, "name": row.author_name},
        "text": row.body,
        "created_at": iso(row.created_at),
    }


def review_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "chat_id": row.chat_id,
        "reviewer": {"id": row.reviewer_id, "name": row.reviewer_name},
        "agent_id": row.agent_id,
        "department_id": row.department_id,
        "scores": row.scores,
        "score": row.score,
        "comment": row.comment,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def criterion_payload(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description, "weight": row.weight}


async def _readable_chat(conn: AsyncConnection, actor: AgentActor, chat_id: int) -> Any:
    """The chat, if the actor may read its reviews and annotations: in a department they
    supervise, or one they handled (held, or joined; never: wrote a note in). A chat they may
    not read at all is not found (actions/access.py)."""
    require(actor.role, "review.mine")
    chat = await readable_chat(conn, actor, chat_id)
    if await handled(conn, actor, chat):
        return chat  # a chat you hold or handled before it was taken over or transferred
    mine = (
        await department_store.departments_of_user(conn, actor.id)
        if allowed(actor.role, "review.read") and department_scoped(actor.role, "review.read")
        else ()
    )
    if not in_scope(actor.role, "review.read", chat.department_id, mine):
        raise ChatRuleError("forbidden", "Only the chat's agent and its department's supervisors see its reviews.")
    return chat


# -- annotations ---------------------------------------------------------------------------


async def list_annotations(*, ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        await _readable_chat(conn, actor, chat_id)
        rows = await supervision_store.chat_annotations(conn, chat_id)
    return {"annotations": [annotation_payload(r) for r in rows]}


async def do_annotate(*, ctx: Context, actor: AgentActor, chat_id: int, seq: object, text: object) -> dict[str, Any]:
    """A comment on one message of the transcript, for the chat's agents (never the visitor)."""
    require(actor.role, "chat.annotate")
    if not is_id(seq):
        raise ChatRuleError("bad_request", "seq: must be the seq of a message in the chat", field="seq")
    body = check_comment(text, field="text", max_chars=MAX_ANNOTATION, required=True)
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await readable_chat(conn, actor, chat_id)
        await check_scope(conn, actor, "chat.annotate", chat.department_id)
        message = await supervision_store.message_at(conn, chat_id, seq)
        if message is None or message.kind not in ANNOTATABLE:
            raise ChatRuleError("bad_request", f"seq: chat {chat_id} has no message {seq}", field="seq")
        row = await supervision_store.add_annotation(
            conn,
            chat_id=chat_id,
            message_seq=seq,
            author_id=actor.id,
            author_name=actor.name,
            body=body,
            created_at=utcnow(),
        )
        payload = annotation_payload(row)
        # The chat's agent, whoever follows it, and the agent who wrote the message (perhaps no
        # longer the chat's agent): agents only, never the visitor.
        people = sorted({chat.assignee_id, message.agent_id} - {None})
        topics = [audience.chat_topic(chat_id), *(audience.agent_topic(a) for a in people)]
        outbox.add(topics, annotation_added_frame(payload))
    return payload


async def do_delete_annotation(*, ctx: Context, actor: AgentActor, annotation_id: int) -> None:
    require(actor.role, "chat.annotate")
    async with unit_of_work(ctx) as (conn, outbox):
        row = await supervision_store.annotation(conn, annotation_id)
        if row is None:
            raise ChatRuleError("not_found", "No such annotation.")
        chat = await chat_store.chat_status(conn, row.chat_id)
        if chat is None:  # not after the annotation was found (it goes with its chat); for the type
            raise ChatRuleError("not_found", "No such annotation.")
        await check_scope(conn, actor, "chat.annotate", chat.department_id)
        if row.author_id != actor.id and actor.role not in ("admin", "manager"):
            raise ChatRuleError("forbidden", "Only its author (or a manager) can delete an annotation.")
        await supervision_store.delete_annotation(conn, annotation_id)
        outbox.add(
            [audience.chat_topic(row.chat_id)],
            annotation_deleted_frame(row.chat_id, annotation_id),
        )


# -- scorecards ----------------------------------------------------------------------------


async def scorecard(*, ctx: Context, actor: AgentActor, department_id: int) -> dict[str, Any]:
    require(actor.role, "review.mine")  # agents read the criteria their reviews use
    async with ctx.db.read() as conn:
        dept = await department_store.department(conn, department_id)
        if dept is None:
            raise ChatRuleError("not_found", "No such department.")
        rows = await supervision_store.criteria(conn, department_id)
    return {
        "department": {"id": dept.id, "slug": dept.slug, "name": dept.name},
        "criteria": [criterion_payload(r) for r in rows],
        "scale": {"min": 0, "max": 5},
    }


async def do_set_scorecard(*, ctx: Context, actor: AgentActor, department_id: int, criteria: object) -> dict[str, Any]:
    """Replace a department's criteria (keeping those sent with their id). Reviews already
    written keep the names and weights they were scored with."""
    require(actor.role, "scorecard.manage")
    items = check_criteria(criteria)
    async with unit_of_work(ctx) as (conn, _outbox):
        dept = await department_store.department(conn, department_id, lock=True)
        if dept is None:
            raise ChatRuleError("not_found", "No such department.")
        await check_scope(conn, actor, "scorecard.manage", department_id)
        existing = {c.id for c in await supervision_store.criteria(conn, department_id)}
        for i, item in enumerate(items):
            if item["id"] is not None and item["id"] not in existing:
                raise ChatRuleError(
                    "bad_request", f"criteria[{i}].id: not a criterion of {dept.name}", field=f"criteria[{i}].id"
                )
        await supervision_store.replace_criteria(conn, department_id, items)
    return await scorecard(ctx=ctx, actor=actor, department_id=department_id)


# -- reviews -------------------------------------------------------------------------------


async def do_review(
    *, ctx: Context, actor: AgentActor, chat_id: int, scores: object, comment: object = None
) -> dict[str, Any]:
    """Score a chat on its department's scorecard: one review per reviewer and chat; sending
    it again edits it. Stores the weighted score (0–5)."""
    require(actor.role, "review.write")
    text = check_comment(comment)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        chat = await readable_chat(conn, actor, chat_id, lock=True)
        await check_scope(conn, actor, "review.write", chat.department_id)
        agent_id = await _reviewed_agent(conn, chat, actor)
        snapshot = check_scores(await supervision_store.criteria(conn, chat.department_id), scores)
        values = {
            "scores": snapshot,
            "score": weighted_score(snapshot),
            "comment": text,
            "agent_id": agent_id,
            "department_id": chat.department_id,
            "reviewer_name": actor.name,
            "updated_at": now,
        }
        existing = await supervision_store.review_of(conn, chat_id, actor.id)
        if existing is None:
            await supervision_store.insert_review(conn, chat_id=chat_id, reviewer_id=actor.id, created_at=now, **values)
        else:
            await supervision_store.update_review(conn, existing.id, **values)
        row = await supervision_store.review_of(conn, chat_id, actor.id)
    return {**review_payload(row), "created": existing is None}


async def _reviewed_agent(conn: AsyncConnection, chat: Any, actor: AgentActor) -> int:
    """Whose work a review scores: the chat's agent — or, when the reviewer took the chat over,
    the agent they took it from (a supervisor stepping in still reviews the agent's part)."""
    if chat.assignee_id is None:
        raise ChatRuleError("conflict", "No agent answered this chat: there is nothing to review.")
    if chat.assignee_id != actor.id:
        return int(chat.assignee_id)
    previous = await supervision_store.taken_from(conn, chat.id, actor.id)
    if previous is None or previous == actor.id:
        raise ChatRuleError("conflict", "You cannot review a chat you handled yourself.")
    return previous


async def reviews_of_chat(*, ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        chat = await _readable_chat(conn, actor, chat_id)
        rows = await supervision_store.reviews_of_chat(conn, chat_id)
        criteria = await supervision_store.criteria(conn, chat.department_id)
        can_review = False
        if allowed(actor.role, "review.write"):
            mine = await department_store.departments_of_user(conn, actor.id)
            if in_scope(actor.role, "review.write", chat.department_id, mine):
                try:
                    agent_id = await _reviewed_agent(conn, chat, actor)
                except ChatRuleError:
                    agent_id = None
                can_review = agent_id is not None
    return {
        "reviews": [review_payload(r) for r in rows],
        "criteria": [criterion_payload(c) for c in criteria],
        "can_review": can_review,
        "agent_id": agent_id if can_review else None,
    }


async def my_reviews(*, ctx: Context, actor: AgentActor, before: int | None = None, limit: int = 50) -> dict[str, Any]:
    """Reviews of the chats the actor handled, newest first, with their average."""
    require(actor.role, "review.mine")
    limit = max(1, min(limit, 200))
    async with ctx.db.read() as conn:
        rows = await supervision_store.reviews_of_agent(conn, actor.id, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "reviews": [
            {
                **review_payload(r),
                "chat": {"id": r.chat_id, "created_at": iso(r.chat_created_at), "department": r.department_name},
            }
            for r in rows
        ],
        "next_before": rows[-1].id if more else None,
    }


def _day(value: object, name: str) -> date:
    if not isinstance(value, date):
        raise ChatRuleError("bad_request", f"{name}: must be a date (YYYY-MM-DD)", field=name)
    return value


def check_range(start: object, end: object) -> tuple[datetime, datetime]:
    """[start, end] as whole days (UTC), end included; at most a year."""
    first_day, last_day = _day(start, "from"), _day(end, "to")
    if last_day < first_day:
        raise ChatRuleError("bad_request", "to: must not be before from", field="to")
    if (last_day - first_day).days > MAX_RANGE_DAYS:
        raise ChatRuleError("bad_request", f"to: at most {MAX_RANGE_DAYS} days after from", field="to")
    first = datetime.combine(first_day, time.min, tzinfo=UTC)
    after = datetime.combine(last_day, time.min, tzinfo=UTC) + timedelta(days=1)
    return first, after


async def score_report(
    *, ctx: Context, actor: AgentActor, start: object, end: object, department_id: int | None = None
) -> dict[str, Any]:
    """Average review score per agent and per department, over reviews of chats started in the
    date range, within the departments the actor supervises."""
    first, after = check_range(start, end)
    async with ctx.db.read() as conn:
        scope = await departments_in_scope(conn, actor, "report.quality")
        if department_id is not None:
            if await department_store.department(conn, department_id) is None:
                raise ChatRuleError("not_found", "No such department.", field="department_id")
            await check_scope(conn, actor, "report.quality", department_id)
            scope = [department_id]
        agents = await supervision_store.score_averages(conn, start=first, end=after, department_ids=scope, by="agent")
        departments = await supervision_store.score_averages(
            conn, start=first, end=after, department_ids=scope, by="department"
        )
        users, depts = await supervision_store.names(
            conn, users={r.key for r in agents}, departments={r.key for r in departments}
        )

    def figures(r: Any) -> dict[str, Any]:
        return {
            "average": round(float(r.average), 2),
            "reviews": int(r.reviews),
            "chats": int(r.chats),
            "lowest": round(float(r.lowest), 2),
            "highest": round(float(r.highest), 2),
        }

    return {
        "from": _day(start, "from").isoformat(),  # a date: check_range accepted it
        "to": _day(end, "to").isoformat(),
        "scale": {"min": 0, "max": 5},
        "agents": sorted(
            ({"agent": {"id": r.key, "name": users.get(r.key)}, **figures(r)} for r in agents),
            key=lambda x: (-x["average"], x["agent"]["id"]),
        ),
        "departments": sorted(
            (
                {
                    "department": {
                        "id": r.key,
                        "slug": depts.get(r.key, (None, None))[0],
                        "name": depts.get(r.key, (None, None))[1],
                    },
                    **figures(r),
                }
                for r in departments
            ),
            key=lambda x: x["department"]["id"],
        ),
    }
