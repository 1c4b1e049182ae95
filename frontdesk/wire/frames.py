"""The frame catalogue: every frame the server sends to a client (or through the bus), one
TypedDict and one builder each.

Frames are built only here (tests/architecture/test_frames_only_in_wire.py checks it). A
builder is a plain function returning a dict literal: no validation and no model object per
frame, so the message hot path (`event_frame`, `ack_frame`) costs what a hand-written dict
costs. The TypedDicts are the schema: `CATALOGUE` maps each frame type to its TypedDict and to
who may receive it; tests validate frames against them (tests/frames.py, with pydantic's
TypeAdapter) and docs/protocol.md lists exactly these types (tests/wire/test_frame_catalogue.py).

Adding a frame type (docs/contributing.md walks through it): a TypedDict, a builder, an entry
in `CATALOGUE`, the export in wire/__init__.py, a row in docs/protocol.md's catalogue table, a
call of the builder in tests/wire/test_frame_catalogue.py (`one_of_each`: every builder's frame
must pass its own schema), then the client's handler (console: web/console, widget: web/widget.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NotRequired, Unpack

from typing_extensions import TypedDict  # not typing.TypedDict: pydantic (the tests' checks) needs this one before 3.12

from frontdesk.wire.payloads import (
    Author,
    ChatSummary,
    EventPayload,
    LiveCounters,
    LiveVisitor,
    TranscriptSent,
    event_payload,
)

PROTOCOL_VERSION = 1


# ---- frames for both sockets --------------------------------------------------------------


class EventFrame(EventPayload):
    """`event`: the stored event's payload (wire/payloads.EventPayload) and its type."""

    type: Literal["event"]


def event_frame(row: Any) -> EventFrame:
    """A stored chat event: `row` is any object with a `messages` row's attributes (the
    stored event type, a database row)."""
    return {"type": "event", **event_payload(row)}


def event_payload_frame(event: EventPayload) -> EventFrame:
    """An event already serialised (`event_payload`: a sync page, an action's result) as a frame."""
    return {"type": "event", **event}


class AckFrame(TypedDict):
    type: Literal["ack"]
    ref: str | None
    chat_id: int
    seq: int
    duplicate: NotRequired[bool]  # not on a whisper's ack
    event: EventFrame


def ack_frame(event: EventPayload, duplicate: bool | None = None) -> AckFrame:
    """The answer to `message.send` (and `whisper.send`, without `duplicate`)."""
    if duplicate is None:
        return {
            "type": "ack",
            "ref": event["client_id"],
            "chat_id": event["chat_id"],
            "seq": event["seq"],
            "event": {"type": "event", **event},
        }
    return {
        "type": "ack",
        "ref": event["client_id"],
        "chat_id": event["chat_id"],
        "seq": event["seq"],
        "duplicate": duplicate,
        "event": {"type": "event", **event},
    }


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    ref: NotRequired[str | int]
    field: NotRequired[str]
    retry_after: NotRequired[float | None]
    reason: NotRequired[str]  # `offline`: closed, no_agents, queue_full
    department: NotRequired[str | None]  # `offline`: the department's slug


class ErrorDetails(TypedDict, total=False):
    """The optional fields of an error frame after `ref`, as `error_frame` takes them."""

    field: str
    retry_after: float | None
    reason: str
    department: str | None


class _Ref(TypedDict, total=False):
    ref: str | int


def error_frame(code: str, message: str, ref: object = None, **extra: Unpack[ErrorDetails]) -> ErrorFrame:
    """A refused request; `ref` echoes the request's `ref`/`client_id` when it had one."""
    echo: _Ref = {"ref": ref} if isinstance(ref, str | int) else {}
    return {"type": "error", "code": code, "message": message, **echo, **extra}


class SyncedFrame(TypedDict):
    type: Literal["synced"]
    chat_id: int
    last_seq: int


def synced_frame(chat_id: int, last_seq: int) -> SyncedFrame:
    return {"type": "synced", "chat_id": chat_id, "last_seq": last_seq}


class PongFrame(TypedDict):
    type: Literal["pong"]


def pong_frame() -> PongFrame:
    return {"type": "pong"}


class TypingFrame(TypedDict):
    type: Literal["typing"]
    chat_id: int
    author: Author
    typing: bool
    text: NotRequired[str]  # a visitor's draft, to the agent who holds the chat (sneak peek)


def visitor_author() -> Author:
    return {"type": "visitor"}


def agent_author(agent_id: int, name: str) -> Author:
    return {"type": "agent", "id": agent_id, "name": name}


def typing_frame(chat_id: int, author: Author, typing: bool, text: str | None = None) -> TypingFrame:
    frame: TypingFrame = {"type": "typing", "chat_id": chat_id, "author": author, "typing": typing}
    if text is not None:
        frame["text"] = text
    return frame


class InvitationAgent(TypedDict):
    name: str | None
    avatar_url: str | None


class InvitationPayload(TypedDict):
    """An invitation as the visitor's widget shows it (actions/invitations.invitation_payload)."""

    id: int
    text: str
    agent: InvitationAgent | None  # None: from the team
    department_id: int
    expires_at: str | None


class VisitorWelcome(TypedDict):
    type: Literal["welcome"]
    v: int
    visitor: dict[str, Any]
    chat: dict[str, Any] | None
    invitation: InvitationPayload | None  # a pending invitation to show again (a reload, another tab)
    tracking: str | None  # the site's tracking mode (on, respect_dnt, consent, off): the widget caches it


class AgentWelcome(TypedDict):
    type: Literal["welcome"]
    v: int
    agent: dict[str, Any]


def visitor_welcome_frame(
    visitor: dict[str, Any],
    chat: dict[str, Any] | None,
    invitation: InvitationPayload | None = None,
    *,
    tracking: str | None = None,
) -> VisitorWelcome:
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "visitor": visitor,
        "chat": chat,
        "invitation": invitation,
        "tracking": tracking,
    }


def agent_welcome_frame(agent: dict[str, Any]) -> AgentWelcome:
    return {"type": "welcome", "v": PROTOCOL_VERSION, "agent": agent}


class ChatRatedForAgent(TypedDict):
    type: Literal["chat.rated"]
    chat_id: int
    changed: bool
    chat: ChatSummary


class ChatRatedForVisitor(TypedDict):
    type: Literal["chat.rated"]
    ref: NotRequired[Any]  # the answer to `chat.rate`; absent when another tab rated
    chat_id: Any
    rating: dict[str, Any]


def chat_rated_agent_frame(chat_id: int, chat: ChatSummary, *, changed: bool) -> ChatRatedForAgent:
    """To the agent who handled the chat: its summary with the rating."""
    return {"type": "chat.rated", "chat_id": chat_id, "changed": changed, "chat": chat}


def chat_rated_visitor_frame(chat_id: Any, rating: dict[str, Any], *, ref: Any = ...) -> ChatRatedForVisitor:
    """To the visitor: the answer to `chat.rate` (with `ref`), or the news to their other tabs."""
    if ref is ...:
        return {"type": "chat.rated", "chat_id": chat_id, "rating": rating}
    return {"type": "chat.rated", "ref": ref, "chat_id": chat_id, "rating": rating}


# ---- visitor socket -------------------------------------------------------------------------


class VisitorFrame(TypedDict):
    type: Literal["visitor"]
    visitor: dict[str, Any]
    ref: Any


def visitor_frame(visitor: dict[str, Any], ref: Any) -> VisitorFrame:
    return {"type": "visitor", "visitor": visitor, "ref": ref}


class TranscriptQueuedFrame(TypedDict):
    type: Literal["transcript.queued"]
    ref: Any
    chat_id: int
    email: str


def transcript_queued_frame(ref: Any, sent: TranscriptSent) -> TranscriptQueuedFrame:
    """`sent`: what actions/satisfaction.do_email_transcript returns."""
    return {"type": "transcript.queued", "ref": ref, **sent}


class QueueFrame(TypedDict):
    type: Literal["queue"]
    chat_id: int
    department: str
    position: int
    estimated_wait_seconds: int | None


def queue_frame(chat_id: int, department: str, position: int, estimated_wait_seconds: int | None) -> QueueFrame:
    return {
        "type": "queue",
        "chat_id": chat_id,
        "department": department,
        "position": position,
        "estimated_wait_seconds": estimated_wait_seconds,
    }


class VisitorForgottenFrame(TypedDict):
    type: Literal["visitor.forgotten"]


class InvitationFrame(TypedDict):
    type: Literal["invitation"]
    invitation: InvitationPayload


def invitation_frame(invitation: InvitationPayload) -> InvitationFrame:
    """An invitation to chat, for the visitor's widget (published to `visitor:{id}`)."""
    return {"type": "invitation", "invitation": invitation}


class InvitationClosedFrame(TypedDict):
    type: Literal["invitation.closed"]
    invitation_id: int
    reason: Literal["expired", "withdrawn", "accepted", "dismissed"]


def invitation_closed_frame(
    invitation_id: int, reason: Literal["expired", "withdrawn", "accepted", "dismissed"]
) -> InvitationClosedFrame:
    """The invitation is over: every tab of the visitor hides its bubble."""
    return {"type": "invitation.closed", "invitation_id": invitation_id, "reason": reason}


def visitor_forgotten_frame() -> VisitorForgottenFrame:
    return {"type": "visitor.forgotten"}


# ---- agent socket ---------------------------------------------------------------------------


class ChatUpdatedFrame(TypedDict):
    type: Literal["chat.updated"]
    chat: ChatSummary


def chat_updated_frame(chat: ChatSummary) -> ChatUpdatedFrame:
    return {"type": "chat.updated", "chat": chat}


class ChatOfferedFrame(TypedDict):
    type: Literal["chat.offered"]
    chat: ChatSummary
    expires_at: str | None


def chat_offered_frame(chat: ChatSummary, expires_at: str | None) -> ChatOfferedFrame:
    return {"type": "chat.offered", "chat": chat, "expires_at": expires_at}


class AgentStatusFrame(TypedDict):
    type: Literal["agent.status"]
    status: str
    reason: NotRequired[str]  # why the server changed it (an offer expired, the connection was gone)


def agent_status_frame(status: str, reason: str | None = None) -> AgentStatusFrame:
    frame: AgentStatusFrame = {"type": "agent.status", "status": status}
    if reason:
        frame["reason"] = reason
    return frame


class AcceptedFrame(TypedDict):
    type: Literal["accepted"]
    ref: Any
    chat_id: int
    seq: int


def accepted_frame(ref: Any, chat_id: int, seq: int) -> AcceptedFrame:
    return {"type": "accepted", "ref": ref, "chat_id": chat_id, "seq": seq}


class ClosedFrame(TypedDict):
    type: Literal["closed"]
    ref: Any
    chat_id: int
    seq: int


def closed_frame(ref: Any, chat_id: int, seq: int) -> ClosedFrame:
    return {"type": "closed", "ref": ref, "chat_id": chat_id, "seq": seq}


class WatchingFrame(TypedDict):
    type: Literal["watching"]
    ref: Any
    chat_id: int
    chat: ChatSummary


def watching_frame(ref: Any, chat_id: int, chat: ChatSummary) -> WatchingFrame:
    return {"type": "watching", "ref": ref, "chat_id": chat_id, "chat": chat}


class UnwatchedFrame(TypedDict):
    type: Literal["unwatched"]
    ref: Any
    chat_id: int


def unwatched_frame(ref: Any, chat_id: int) -> UnwatchedFrame:
    return {"type": "unwatched", "ref": ref, "chat_id": chat_id}


class MonitorFrame(TypedDict):
    type: Literal["monitor"]
    ref: Any
    chats: list[dict[str, Any]]  # summaries with `participants`
    departments: list[dict[str, Any]]


def monitor_frame(ref: Any, page: dict[str, Any]) -> MonitorFrame:
    """`page`: {chats, departments} (actions/supervision.monitor_chats)."""
    return {"type": "monitor", "ref": ref, "chats": page["chats"], "departments": page["departments"]}


class MonitorStoppedFrame(TypedDict):
    type: Literal["monitor.stopped"]
    ref: Any


def monitor_stopped_frame(ref: Any) -> MonitorStoppedFrame:
    return {"type": "monitor.stopped", "ref": ref}


class Participant(TypedDict):
    id: int
    name: str


class MonitorParticipantsFrame(TypedDict):
    type: Literal["monitor.participants"]
    chat_id: int
    participants: list[Participant]


def monitor_participants_frame(chat_id: int, participants: list[Participant]) -> MonitorParticipantsFrame:
    return {"type": "monitor.participants", "chat_id": chat_id, "participants": participants}


class AnnotationAddedFrame(TypedDict):
    type: Literal["annotation.added"]
    annotation: dict[str, Any]


def annotation_added_frame(annotation: dict[str, Any]) -> AnnotationAddedFrame:
    return {"type": "annotation.added", "annotation": annotation}


class AnnotationDeletedFrame(TypedDict):
    type: Literal["annotation.deleted"]
    chat_id: int
    id: int


def annotation_deleted_frame(chat_id: int, annotation_id: int) -> AnnotationDeletedFrame:
    return {"type": "annotation.deleted", "chat_id": chat_id, "id": annotation_id}


class TicketCreatedFrame(TypedDict):
    type: Literal["ticket.created"]
    ticket: dict[str, Any]


def ticket_created_frame(ticket: dict[str, Any]) -> TicketCreatedFrame:
    return {"type": "ticket.created", "ticket": ticket}


class ChatReadFrame(TypedDict):
    """The visitor has read their chat up to `seq` (the widget's `read`): the console marks the
    last agent message at or before it "Seen"."""

    type: Literal["chat.read"]
    chat_id: int
    seq: int


def chat_read_frame(chat_id: int, seq: int) -> ChatReadFrame:
    return {"type": "chat.read", "chat_id": chat_id, "seq": seq}


class VisitorsPageFrame(TypedDict):
    """The live view's page (`visitors.watch`): sent at once, then again while it changes."""

    type: Literal["visitors.page"]
    ref: Any
    counters: LiveCounters
    total: int
    page: int
    page_size: int
    items: list[LiveVisitor]


def visitors_page_frame(ref: Any, page: dict[str, Any]) -> VisitorsPageFrame:
    """`page`: {counters, total, page, page_size, items} (actions/live.live_page)."""
    return {
        "type": "visitors.page",
        "ref": ref,
        "counters": page["counters"],
        "total": page["total"],
        "page": page["page"],
        "page_size": page["page_size"],
        "items": page["items"],
    }


# ---- through the bus only -------------------------------------------------------------------


class RevokeFrame(TypedDict):
    type: Literal["revoke"]
    credentials: list[str] | None


def revoke_frame(credentials: list[str] | None = None) -> RevokeFrame:
    """Published to an `agent:{id}` or `visitor:{id}` topic, never sent to a client: each node's
    hub closes the sockets opened with one of `credentials` (public ids of sessions or API
    tokens; all when None) with 4001 (realtime/hub.Hub.revoke). The hub recognises it by its
    serialised start, `{"type":"revoke"` (orjson keeps key order)."""
    return {"type": "revoke", "credentials": credentials}


class InvitationRulesChangedFrame(TypedDict):
    type: Literal["invitation_rules.changed"]
    department_id: int


def invitation_rules_changed_frame(department_id: int) -> InvitationRulesChangedFrame:
    """Published to `invitation_rules` when a department's rules change: every node forgets its
    cached copy (actions/invitations.py), never sent to a client."""
    return {"type": "invitation_rules.changed", "department_id": department_id}


class VisitorsChangedFrame(TypedDict):
    type: Literal["visitors.changed"]


def visitors_changed_frame() -> VisitorsChangedFrame:
    """Published to `visitors` when visits started, moved or ended on a node (actions/tracking,
    at most one every 250 ms per node): every node's live view re-reads its watchers' pages.
    Never sent to a client."""
    return {"type": "visitors.changed"}


# ---- the catalogue --------------------------------------------------------------------------

Audience = Literal["both", "visitor", "agent", "bus"]


@dataclass(frozen=True, slots=True)
class FrameSpec:
    """One frame type: its schema (a TypedDict, or several for the audiences' variants) and who
    receives it: `visitor` (widget), `agent` (console), `both`, or `bus` (never sent to a client)."""

    name: str
    schemas: tuple[type, ...]
    audience: Audience


def _spec(frame_type: str, audience: Audience, *schemas: type) -> tuple[str, FrameSpec]:
    return frame_type, FrameSpec(frame_type, schemas, audience)


CATALOGUE: dict[str, FrameSpec] = dict(
    [
        _spec("welcome", "both", VisitorWelcome, AgentWelcome),
        _spec("event", "both", EventFrame),
        _spec("ack", "both", AckFrame),
        _spec("error", "both", ErrorFrame),
        _spec("synced", "both", SyncedFrame),
        _spec("pong", "both", PongFrame),
        _spec("typing", "both", TypingFrame),
        _spec("chat.rated", "both", ChatRatedForVisitor, ChatRatedForAgent),
        _spec("visitor", "visitor", VisitorFrame),
        _spec("transcript.queued", "visitor", TranscriptQueuedFrame),
        _spec("queue", "visitor", QueueFrame),
        _spec("visitor.forgotten", "visitor", VisitorForgottenFrame),
        _spec("invitation", "visitor", InvitationFrame),
        _spec("invitation.closed", "visitor", InvitationClosedFrame),
        _spec("chat.updated", "agent", ChatUpdatedFrame),
        _spec("chat.offered", "agent", ChatOfferedFrame),
        _spec("agent.status", "agent", AgentStatusFrame),
        _spec("accepted", "agent", AcceptedFrame),
        _spec("closed", "agent", ClosedFrame),
        _spec("watching", "agent", WatchingFrame),
        _spec("unwatched", "agent", UnwatchedFrame),
        _spec("monitor", "agent", MonitorFrame),
        _spec("monitor.stopped", "agent", MonitorStoppedFrame),
        _spec("monitor.participants", "agent", MonitorParticipantsFrame),
        _spec("annotation.added", "agent", AnnotationAddedFrame),
        _spec("annotation.deleted", "agent", AnnotationDeletedFrame),
        _spec("ticket.created", "agent", TicketCreatedFrame),
        _spec("chat.read", "agent", ChatReadFrame),
        _spec("visitors.page", "agent", VisitorsPageFrame),
        _spec("revoke", "bus", RevokeFrame),
        _spec("visitors.changed", "bus", VisitorsChangedFrame),
        _spec("invitation_rules.changed", "bus", InvitationRulesChangedFrame),
    ]
)
