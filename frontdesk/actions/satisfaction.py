"""Satisfaction: the visitor rates a chat that has ended, asks for its transcript by e-mail, and
leads read the ratings per agent and per department (docs/architecture/privacy.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.chats import NOT_FOUND
from frontdesk.actions.context import AgentActor, Context, VisitorActor, unit_of_work
from frontdesk.actions.mail import enqueue_mail
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus
from frontdesk.domain.ids import is_id
from frontdesk.domain.satisfaction import (
    CHANGE_WINDOW,
    GOOD_FROM,
    can_rate,
    check_comment,
    check_range,
    check_score,
)
from frontdesk.domain.text import parse_email_address
from frontdesk.permissions import department_scoped, require
from frontdesk.presenters.transcripts import visitor_transcript
from frontdesk.store import chat_store, department_store, satisfaction_store
from frontdesk.wire import TranscriptSent, chat_rated_agent_frame, chat_rated_visitor_frame, chat_summary

TRANSCRIPT_PAGE = 500
TRANSCRIPT_MAIL = "transcript"  # mail_outbox.kind
MAIL_BUDGET_WINDOW = timedelta(hours=1)


def _rating(score: int, comment: str | None, rated_at: datetime) -> dict[str, Any]:
    return {
        "score": score,
        "comment": comment,
        "rated_at": iso(rated_at),
        "changeable_until": iso(rated_at + CHANGE_WINDOW),
    }


async def do_rate_chat(
    *, ctx: Context, actor: VisitorActor, chat_id: object, rating: object, comment: object = None
) -> dict[str, Any]:
    """The visitor's rating of their own chat once it has ended: once, changeable for a few
    minutes. The agent who handled it hears `chat.rated` at once."""
    if not is_id(chat_id):
        raise ChatRuleError("bad_request", "chat_id: must be a chat's id", field="chat_id")
    score = check_score(rating)
    text = check_comment(comment)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await satisfaction_store.chat_for_rating(conn, chat_id, lock=True)
        if chat is None or chat.visitor_id != actor.visitor_id:
            raise ChatRuleError("not_found", NOT_FOUND)
        first_rated = as_utc(chat.rated_at)
        can_rate(
            status=chat.status, missed=chat.missed, closed_at=as_utc(chat.closed_at), rated_at=first_rated, now=now
        )
        rated_at = first_rated or now  # a change keeps the first moment: the window does not slide
        await satisfaction_store.store_rating(conn, chat_id, score=score, comment=text, rated_at=rated_at)
        payload = _rating(score, text, rated_at)
        row = await chat_store.chat_row(conn, chat_id)
        if chat.assignee_id is not None:  # the agent who handled it sees it live in the console
            outbox.add(
                [audience.agent_topic(chat.assignee_id)],
                chat_rated_agent_frame(chat_id, chat_summary(row), changed=first_rated is not None),
            )
        # The visitor's other tabs show their thanks too.
        outbox.add([audience.visitor_topic(actor.visitor_id)], chat_rated_visitor_frame(chat_id, payload))
    return payload


def check_transcript_email(value: object) -> str:
    """An address to send a transcript to: the one strict parser (no encoded words, no line
    breaks, one plain `local@domain`)."""
    return parse_email_address(value, "email")


async def _transcript_address(conn: AsyncConnection, actor: VisitorActor, asked: str | None) -> str:
    """The visitor's stored address; a request naming another one is refused."""
    stored = await satisfaction_store.visitor_email(conn, actor.visitor_id)
    if not stored:
        raise ChatRuleError("bad_request", "email: give us your e-mail address in the chat form first", field="email")
    if asked is not None and asked.lower() != stored.strip().lower():
        raise ChatRuleError(
            "bad_request", "email: the transcript goes only to the address you gave us in the chat", field="email"
        )
    return stored.strip()


async def _check_mail_budget(conn: AsyncConnection, per_hour: int) -> None:
    """At most `per_hour` transcript e-mails for the whole site in the last hour."""
    await satisfaction_store.lock_mail_budget(conn)
    now = utcnow()
    count, oldest = await satisfaction_store.mails_since(conn, TRANSCRIPT_MAIL, now - MAIL_BUDGET_WINDOW)
    if count >= per_hour:
        wait = (as_utc(oldest) + MAIL_BUDGET_WINDOW - now).total_seconds() if oldest is not None else 60.0
        raise ChatRuleError(
            "rate_limited",
            "We are sending too many transcripts right now; please try again later.",
            retry_after=float(max(1, round(wait))),
        )


async def do_email_transcript(*, ctx: Context, actor: VisitorActor, chat_id: object, email: object) -> TranscriptSent:
    """Queue the transcript of the visitor's own ended chat (the mail outbox sends it) — never an
    open relay: only a chat an agent answered, only to the address the visitor gave before
    (pre-chat form or identify; `email` may repeat it or be left out), and within the site-wide
    budget `transcript_mails_per_hour` (counted in `mail_outbox`, so it holds across nodes)."""
    if not is_id(chat_id):
        raise ChatRuleError("bad_request", "chat_id: must be a chat's id", field="chat_id")
    asked = None if email is None or email == "" else check_transcript_email(email)
    async with unit_of_work(ctx) as (conn, _outbox):
        chat = await chat_store.chat_row(conn, chat_id)
        if chat is None or chat.visitor_id != actor.visitor_id:
            raise ChatRuleError("not_found", NOT_FOUND)
        if chat.status != ChatStatus.CLOSED:
            raise ChatRuleError("conflict", "The transcript can be sent once the chat has ended.")
        if not await satisfaction_store.agent_answered(conn, chat_id):
            raise ChatRuleError("conflict", "Nobody answered this chat: there is no transcript to send.")
        address = await _transcript_address(conn, actor, asked)
        await _check_mail_budget(conn, ctx.settings.transcript_mails_per_hour)
        events: list[Any] = []
        after = 0
        while True:
            page = await chat_store.events_after(conn, chat_id, after, TRANSCRIPT_PAGE, include_internal=False)
            events.extend(page)
            if len(page) < TRANSCRIPT_PAGE:
                break
            after = page[-1].seq
        await enqueue_mail(
            conn,
            to=address,
            subject=f"Transcript of your chat with {chat.department_name}",
            body=visitor_transcript(chat, events),
            kind=TRANSCRIPT_MAIL,
        )
    return {"chat_id": chat_id, "email": address}


def _figures(row: Any) -> dict[str, Any]:
    count = int(row.count or 0)
    return {
        "count": count,
        "average": round(float(row.average), 2) if count else None,
        "good_percent": round(100.0 * int(row.good or 0) / count, 1) if count else None,
    }


async def satisfaction_report(
    *,
    ctx: Context,
    actor: AgentActor,
    since: str | None = None,
    until: str | None = None,
    department_id: int | None = None,
) -> dict[str, Any]:
    """Count, average (1–5) and share of good ratings (4–5) of the chats closed in the range, in
    total, per agent who handled them and per department. Supervisors see their departments."""
    require(actor.role, "report.satisfaction")
    start, end = check_range(since, until, utcnow())
    async with ctx.db.read() as conn:
        scope: list[int] | None = None
        if department_scoped(actor.role, "report.satisfaction"):
            scope = list(await department_store.departments_of_user(conn, actor.id))
        if department_id is not None:
            if scope is not None and department_id not in scope:
                raise ChatRuleError("forbidden", "You may see the ratings of your own departments only.")
            scope = [department_id]
        rows = await satisfaction_store.report(conn, since=start, until=end, department_ids=scope, good_from=GOOD_FROM)
    return {
        "from": iso(start),
        "to": iso(end),
        "scale": "1-5 (thumbs: good 5, bad 1; good means 4 or 5)",
        "total": _figures(rows["total"][0]),
        "agents": [
            {"agent": None if r.assignee_id is None else {"id": r.assignee_id, "name": r.name}, **_figures(r)}
            for r in rows["agents"]
        ],
        "departments": [
            {"department": {"id": r.department_id, "slug": r.slug, "name": r.name}, **_figures(r)}
            for r in rows["departments"]
        ],
    }
