"""How chats and events look on the wire: one serializer each, shared by HTTP and sockets.

The TypedDicts say what each serializer returns (the schema frames embed: frontdesk/wire/frames.py):
`event_payload` returns an `EventPayload`, `chat_summary` a `ChatSummary`, `rating_payload` a
`Rating`, so frame builders, actions and `SendResult` carry them typed; `visitor_payload` returns
a plain dict."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict  # not typing.TypedDict: pydantic (the tests' checks) needs this one before 3.12

from frontdesk.clock import iso
from frontdesk.store.tag_store import decode_tags


class Author(TypedDict):
    """Who wrote an event: `{"type": "visitor", "name"}`, `{"type": "agent", "id", "name"}` or
    `{"type": "system"}`; a typing frame's author has no name for a visitor."""

    type: str
    id: NotRequired[int | None]
    name: NotRequired[str | None]


class EventPayload(TypedDict):
    """A stored chat event as clients see it (`event` frames, acks, sync pages, HTTP)."""

    chat_id: int
    seq: int
    kind: str
    author: Author
    text: str
    client_id: str | None
    data: dict[str, Any]
    created_at: str | None


class LastMessage(TypedDict):
    text: str | None
    author: str | None
    at: str | None


class ChatVisitor(TypedDict):
    id: str
    name: str | None
    email: str | None
    page_url: str | None
    page_title: str | None


class Assignee(TypedDict):
    id: int
    name: str | None


class SummaryDepartment(TypedDict):
    id: int | None
    slug: str | None
    name: str | None


class Rating(TypedDict):
    score: int
    comment: str | None
    rated_at: str | None


class Tag(TypedDict):
    id: int
    name: str
    colour: str | None


class ChatSummary(TypedDict):
    """A chat as agents' lists show it (`chat.updated`, `chat.offered`, `watching`, HTTP lists)."""

    id: int
    status: str
    visitor: ChatVisitor
    assignee: Assignee | None
    last_seq: int
    last_message: LastMessage | None
    created_at: str | None
    assigned_at: str | None
    closed_at: str | None
    closed_by: str | None
    department: SummaryDepartment
    queued_at: str | None
    offered_to: int | None
    offer_expires_at: str | None
    missed: bool
    rating: Rating | None
    required_level: int
    tags: list[Tag]
    visitor_read_seq: int


class TranscriptSent(TypedDict):
    """A queued transcript e-mail (actions/satisfaction.do_email_transcript): which chat, to whom."""

    chat_id: int
    email: str


class LivePage(TypedDict):
    url: str | None
    title: str | None
    since: str | None


class LiveAgent(TypedDict):
    id: int
    name: str | None


class LiveVisitor(TypedDict):
    """A visitor on the site now, as the live view shows them (`visitors.page`, GET
    /api/v1/visitors/live): store/live_store.live_visitors' row. Everything here but the ids,
    counts and times comes from the visitor's browser: clients render it as text."""

    visitor_id: str
    name: str | None
    visit_id: int
    visit_number: int
    returning: bool
    page: LivePage
    referrer: str | None
    country: str | None
    city: str | None
    browser: str | None
    os: str | None
    device: str | None
    language: str | None
    screen: str | None
    started_at: str | None
    pages: int
    visible_ms: int
    state: str  # none | invited | waiting | chatting
    chat_id: int | None
    agent: LiveAgent | None
    invitation_id: int | None
    department_id: int | None


class LiveCounters(TypedDict):
    online: int
    chatting: int
    waiting: int
    invited: int


def live_visitor(row: Any) -> LiveVisitor:
    """One row of the live view (store/live_store.live_visitors) as a `LiveVisitor`."""
    return {
        "visitor_id": row.visitor_id,
        "name": row.name,
        "visit_id": row.id,
        "visit_number": row.number,
        "returning": row.number > 1,
        "page": {"url": row.page_url, "title": row.page_title, "since": iso(row.page_since)},
        "referrer": row.referrer,
        "country": row.country,
        "city": row.city,
        "browser": row.browser,
        "os": row.os,
        "device": row.device,
        "language": row.language,
        "screen": row.screen,
        "started_at": iso(row.started_at),
        "pages": row.pages or 0,
        "visible_ms": row.visible_ms or 0,
        "state": row.state,
        "chat_id": row.chat_id,
        "agent": None if row.agent_id is None else {"id": row.agent_id, "name": row.agent_name},
        "invitation_id": row.invitation_id,  # a pending invitation (shown or not yet)
        "department_id": row.department_id,
    }


def event_payload(row: Any) -> EventPayload:
    """A stored chat event (a `messages` row, or any object with its attributes) as clients
    see it: an `EventPayload`."""
    author: Author = {"type": row.author_type}
    if row.author_type == "agent":
        author["id"] = row.agent_id
        author["name"] = row.author_name
    elif row.author_type == "visitor":
        author["name"] = row.author_name
    return {
        "chat_id": row.chat_id,
        "seq": row.seq,
        "kind": row.kind,
        "author": author,
        "text": row.body,
        "client_id": row.client_id,
        "data": row.data or {},
        "created_at": iso(row.created_at),
    }


def chat_summary(row: Any) -> ChatSummary:
    """A chat for agents' lists: a `ChatSummary`."""
    last: LastMessage | None = None
    if row.last_message_at is not None:
        last = {
            "text": row.last_message_text,
            "author": row.last_message_author,
            "at": iso(row.last_message_at),
        }
    return {
        "id": row.id,
        "status": row.status,
        "visitor": {
            "id": row.visitor_id,
            "name": row.visitor_name,
            "email": row.visitor_email,
            "page_url": row.visitor_page_url,
            "page_title": row.visitor_page_title,
        },
        "assignee": None if row.assignee_id is None else {"id": row.assignee_id, "name": row.assignee_name},
        "last_seq": row.last_seq,
        "last_message": last,
        "created_at": iso(row.created_at),
        "assigned_at": iso(row.assigned_at),
        "closed_at": iso(row.closed_at),
        "closed_by": row.closed_by,
        "department": {"id": row.department_id, "slug": row.department_slug, "name": row.department_name},
        "queued_at": iso(row.queued_at),
        "offered_to": row.offered_to,
        "offer_expires_at": iso(row.offer_expires_at),
        "missed": bool(row.missed),
        "rating": rating_payload(row),
        "required_level": row.required_level,  # above 1: escalated, for agents of that level
        "tags": decode_tags(row.tags_json),  # agents only: summaries never reach a visitor
        "visitor_read_seq": row.visitor_read_seq,  # the visitor has read up to it (the console's "Seen")
    }


def rating_payload(row: Any) -> Rating | None:
    """A chat's satisfaction rating (1–5; thumbs: good 5, bad 1), or None when not rated."""
    if row.rating is None:
        return None
    return {"score": row.rating, "comment": row.rating_comment, "rated_at": iso(row.rated_at)}


def visitor_payload(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "email": row.email}
