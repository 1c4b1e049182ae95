"""Building stored chat events and publishing them (and chat summaries) to their audience."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from frontdesk.actions.context import Outbox
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import AuthorType, EventKind, preview
from frontdesk.store import chat_store
from frontdesk.wire import chat_summary, chat_updated_frame, event_frame


def event_row(
    chat_id: int, seq: int, kind: str, now, *, author_type: str = AuthorType.SYSTEM, **extra: Any
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A `messages` row; `extra` sets body, client_id, agent_id, author_name, data, internal."""
    row = {
        "chat_id": chat_id,
        "seq": seq,
        "kind": kind,
        "author_type": author_type,
        "agent_id": None,
        "author_name": None,
        "body": "",
        "client_id": None,
        "data": {},
        "created_at": now,
        "internal": False,
    }
    row.update(extra)
    return row


def publish_event(outbox: Outbox, row: dict[str, Any], chat: Any, *, extra_topics: list[str] = ()) -> None:  # type: ignore[assignment]
    """Queue a stored event for its audience, as the chat (visitor, status, assignee, department) is."""
    topics = audience.chat_event_audience(
        internal=bool(row.get("internal")),
        visitor_id=chat.visitor_id,
        status=chat.status,
        assignee_id=chat.assignee_id,
        department_id=chat.department_id,
        chat_id=row["chat_id"],
    )
    topics += [t for t in extra_topics if t not in topics]
    outbox.add(topics, event_frame(SimpleNamespace(**row)))


async def publish_summary(
    conn,  # type: ignore[no-untyped-def]
    outbox: Outbox,
    chat_id: int,
    *,
    extra_topics: list[str] = (),  # type: ignore[assignment]
    queue_changed: bool = False,
    previous_assignee_id: int | None = None,
    previous_department_id: int | None = None,
) -> Any:
    """Queue the chat's summary for agents' lists; returns the chat row."""
    row = await chat_store.chat_row(conn, chat_id)
    if row is None:
        return None
    topics = audience.chat_summary_audience(
        status=row.status,
        assignee_id=row.assignee_id,
        previous_assignee_id=previous_assignee_id,
        department_id=row.department_id,
        previous_department_id=previous_department_id,
        queue_changed=queue_changed,
        chat_id=chat_id,
    )
    topics += [t for t in extra_topics if t not in topics]
    outbox.add(topics, chat_updated_frame(chat_summary(row)))
    return row


async def store_agent_message(
    conn,
    outbox: Outbox,
    chat: Any,
    actor: Any,
    *,
    client_id: str,
    body: str,
    now,
    kind: str = EventKind.MESSAGE,
    data: dict | None = None,
    internal: bool = False,
    require_open: bool = True,
    topics: list[str] | None = None,
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An agent's message, note or whisper at the chat's next seq (the chat row locked by the
    caller): stored, published after commit to `topics`, or to the chat's audience as it is —
    an internal one also to its author's other tabs. Only what the visitor sees moves the
    chat's preview."""
    values = (
        None
        if internal
        else {"last_message_at": now, "last_message_text": preview(body), "last_message_author": "agent"}
    )
    locked = await chat_store.advance_seq(conn, chat.id, values=values, require_open=require_open)
    row = event_row(
        chat.id,
        locked.last_seq,
        kind,
        now,
        author_type=AuthorType.AGENT,
        body=body,
        client_id=client_id,
        agent_id=actor.id,
        author_name=actor.name,
        data=data or {},
        internal=internal,
    )
    await chat_store.insert_events(conn, [row])
    if topics is not None:
        outbox.add(topics, event_frame(SimpleNamespace(**row)))
    else:
        publish_event(outbox, row, chat, extra_topics=[audience.agent_topic(actor.id)] if internal else ())
    return row
