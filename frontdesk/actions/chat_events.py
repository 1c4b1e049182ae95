"""The one way chat events are stored and published: `append_events` reserves the chat's next
seqs (`chat_store.advance_seq`), builds each event with the one row builder
(`domain/events.chat_event`), inserts them (`chat_store.insert_events`) and queues each on the
outbox for the audience `domain/audience.event_audience` decides from its kind and the chat.
The group-commit writer (actions/group_commit.py) batches its SQL but shares the row builder and
`event_topics`. Also: publishing chat summaries to agents' lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import Outbox
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import AuthorType, ChatRuleError, EventKind, preview
from frontdesk.domain.events import ChatEvent, EventDraft, agent_draft
from frontdesk.store import chat_store
from frontdesk.wire import chat_summary, chat_updated_frame, event_frame

CHAT_ENDED = "This chat has ended."


def event_topics(
    event: ChatEvent,
    chat: Any,
    *,
    agents: Iterable[int | None] = (),
) -> list[str]:
    """The topics of a stored event. `chat` has visitor_id, status, assignee_id, department_id:
    the chat as the event should be seen (domain/audience.event_audience)."""
    return audience.event_audience(  # positional: once per message on the hot path
        event.kind,
        event.chat_id,
        chat.visitor_id,
        chat.status,
        chat.assignee_id,
        chat.department_id,
        event.agent_id,
        agents,
    )


async def append_events(
    conn: AsyncConnection,
    outbox: Outbox,
    chat_id: int,
    drafts: Sequence[EventDraft],
    *,
    now: datetime,
    chat_values: dict[str, Any] | None = None,
    require_open: bool = True,
    visitor_id: str | None = None,
    only_unassigned: bool = False,
    seen_as: Any = None,
    agents: Iterable[int | None] = (),
    gone: BaseException | None = None,
) -> list[ChatEvent]:
    """Store `drafts` as the chat's next events, in order, and queue each for its audience
    (published after commit by the unit of work).

    One conditional UPDATE reserves the seqs and applies `chat_values` (chat_store.advance_seq;
    `require_open`, `visitor_id`, `only_unassigned` are its conditions). When it matches no row
    (the chat is gone, closed, another visitor's or taken) `gone` is raised — by default
    ChatRuleError("chat_closed", "This chat has ended.").

    The audience is the chat as the UPDATE left it, or `seen_as` (an object with visitor_id,
    status, assignee_id, department_id) when the event should be seen as the chat was; plus
    `agents`: ids of agents who hear of it beyond the chat's own. Callers never list topics:
    `domain/audience.event_audience` decides them."""
    drafts = list(drafts)
    locked = await chat_store.advance_seq(
        conn,
        chat_id,
        count=len(drafts),
        values=chat_values,
        require_open=require_open,
        visitor_id=visitor_id,
        only_unassigned=only_unassigned,
    )
    if locked is None:
        raise gone if gone is not None else ChatRuleError("chat_closed", CHAT_ENDED)
    first = locked.last_seq - len(drafts) + 1
    events = [draft.stored(chat_id, first + i, now) for i, draft in enumerate(drafts)]
    await chat_store.insert_events(conn, events)
    state = locked if seen_as is None else seen_as
    agents = tuple(agents)
    for event in events:
        outbox.add(event_topics(event, state, agents=agents), event_frame(event))
    return events


async def append_agent_message(
    conn: AsyncConnection,
    outbox: Outbox,
    chat_id: int,
    actor: Any,
    *,
    body: str,
    now: datetime,
    client_id: str | None = None,
    kind: str = EventKind.MESSAGE,
    data: dict[str, Any] | None = None,
    require_open: bool = True,
    preview_text: str | None = None,
) -> ChatEvent:
    """An agent's message, note or whisper (the chat row locked by the caller). Only what the
    visitor sees moves the chat's preview (`preview_text`, default the body); an internal one
    also reaches its author's other tabs."""
    draft = agent_draft(kind, actor.id, actor.name, body=body, client_id=client_id, data=data)
    values = (
        None
        if draft.internal
        else {
            "last_message_at": now,
            "last_message_text": preview(body if preview_text is None else preview_text),
            "last_message_author": AuthorType.AGENT.value,
        }
    )
    (event,) = await append_events(
        conn,
        outbox,
        chat_id,
        [draft],
        now=now,
        chat_values=values,
        require_open=require_open,
        agents=(actor.id,) if draft.internal else (),
    )
    return event


async def publish_summary(
    conn: AsyncConnection,
    outbox: Outbox,
    chat_id: int,
    *,
    extra_topics: Sequence[str] = (),
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
