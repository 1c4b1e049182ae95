"""The typed shapes of the HTTP API: what the OpenAPI document (`/openapi.json`) publishes.

Response models describe what each route really returns (frontdesk/wire.py and the actions).
Every one derives from `Out`, which lets unknown keys through (`extra="allow"`): a model can
never drop a field the console reads, it only documents the ones we know. Routes use
`TypedRoute` (via `typed_router`), which serialises a response with `exclude_unset`, so a key the
action did not return stays absent instead of turning into `null`: the wire stays what it was.

Request models (`In`, `Patch`) refuse unknown fields with a 400 naming the field. Their limits
are the ones the actions enforce; where an action answers with its own code and message (a text
over the limit is a 413, "name: must be 1 to 100 characters"...), the limit is written into the
document only (`doc_limits`) and the action keeps checking it, so the answer does not change.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from frontdesk.api.params import SmallBodyId
from frontdesk.domain.ids import MAX_ID, MAX_SMALL_ID


class TypedRoute(APIRoute):
    """A route whose response model leaves out the keys the action did not set."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **kwargs)


def typed_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=TypedRoute, **kwargs)


def doc_limits(default: Any = ..., **schema: Any) -> Any:
    """Limits for the document only (the action checks them with its own code and message)."""
    return Field(default, json_schema_extra=schema)


def unsent(**field: Any) -> Any:
    """A patch field that is None when the client did not send it (null itself is not accepted):
    `Field(None, ...)` typed as Any, so the attribute keeps its non-optional type."""
    return Field(None, **field)


# An id in a body (the action refuses one outside the database's range with a 400 naming it).
ID_DOC: dict[str, Any] = {"minimum": 1, "maximum": MAX_ID}
SMALL_ID_DOC: dict[str, Any] = {"minimum": 1, "maximum": MAX_SMALL_ID}  # INTEGER keys: users, departments...


class Out(BaseModel):
    """Base of every response model: known fields typed, unknown ones passed through."""

    model_config = ConfigDict(extra="allow")


class In(BaseModel):
    """Base of every request body: unknown fields are a 400 naming the field, and no value is
    converted (strict: "5" is not a number, 1 is not a string), as the actions expect."""

    model_config = ConfigDict(extra="forbid", strict=True)


# ---- small shared pieces ----------------------------------------------------------------------
class Ok(Out):
    ok: bool


class AgentRef(Out):
    """An agent as other records name it."""

    id: int
    name: str | None


class DepartmentRef(Out):
    id: int
    slug: str
    name: str


class TagRef(Out):
    id: int
    name: str
    colour: str = Field(description="#rrggbb")


# ---- chats and events (frontdesk/wire.py) -----------------------------------------------------
class Author(Out):
    type: Literal["visitor", "agent", "system"]
    id: int | None = Field(None, description="agents only (null when the agent was deleted)")
    name: str | None = Field(None, description="agents and visitors only")


class Event(Out):
    """A stored chat event: a message, a note, a whisper or a lifecycle event (docs/protocol.md)."""

    chat_id: int
    seq: int
    kind: str = Field(description="message, note, whisper, chat.started, chat.assigned, chat.closed, ...")
    author: Author
    text: str
    client_id: str | None
    data: dict[str, Any]
    created_at: str = Field(description="ISO 8601, UTC")


class VisitorInfo(Out):
    id: str
    name: str | None
    email: str | None
    page_url: str | None
    page_title: str | None


class LastMessage(Out):
    text: str | None
    author: str | None
    at: str | None


class Rating(Out):
    score: int = Field(ge=1, le=5)
    comment: str | None
    rated_at: str | None


class ChatSummary(Out):
    """A chat as agents see it in lists and on every `chat.updated` frame."""

    id: int
    status: Literal["queued", "active", "closed"]
    visitor: VisitorInfo
    assignee: AgentRef | None
    last_seq: int
    last_message: LastMessage | None
    created_at: str | None
    assigned_at: str | None
    closed_at: str | None
    closed_by: str | None
    department: DepartmentRef
    queued_at: str | None
    offered_to: int | None
    offer_expires_at: str | None
    missed: bool
    rating: Rating | None
    required_level: int = Field(description="above 1: escalated, for agents of that level")
    tags: list[TagRef]
    visitor_read_seq: int = Field(description="the visitor has read the chat up to this seq (0: nothing yet)")


class ChatPage(Out):
    chats: list[ChatSummary]
    next_before: int | None = Field(description="pass as `before` for the next page; null: no more")


class EventsPage(Out):
    chat_id: int
    events: list[Event]
    last_seq: int


class EventResult(Out):
    event: Event


class SentEvent(Out):
    """A message sent: 201 when stored now, 200 when this client_id was stored before."""

    event: Event
    duplicate: bool


# ---- users ------------------------------------------------------------------------------------
Role = Literal["agent", "supervisor", "admin"]


class Me(Out):
    id: int
    name: str
    role: str
    greeter: bool | None = Field(None, description="login and /auth/me: an agent marked as a greeter")
    may_view_visitors: bool | None = Field(
        None, description="login and /auth/me: the live view is open to you (visitor.view; agents: greeters)"
    )


class Membership(Out):
    id: int = Field(description="department id")
    level: int


class UserListed(Out):
    id: int
    email: str
    name: str
    role: str
    status: str
    connected: bool
    max_chats: int
    active_chats: int
    departments: list[Membership]
    active: bool | None = Field(None, description="false: deactivated")
    greeter: bool | None = Field(None, description="an agent who may see the live view and invite visitors")
    office_id: int | None = Field(None, description="the office they work from (staffing); null: none")


class UserRecord(Out):
    id: int
    email: str
    name: str
    role: str
    max_chats: int | None = None
    greeter: bool | None = None


class AgentCard(AgentRef):
    """An agent as visitors see them: name, and job title and photo when set."""

    title: str | None = None
    avatar_url: str | None = None


# A message's client_id (chat_rules.check_client_id: a wrong one is a 400 naming client_id).
CLIENT_ID_DOC: dict[str, Any] = {"pattern": "^[A-Za-z0-9_-]{8,64}$"}


class Checked(In):
    """A body whose action refuses unknown fields itself, naming them in its own words
    ("max_chats2: cannot be changed here", "colour2: unknown field"): they reach the action,
    while the document still says `additionalProperties: false`. Pass
    `body.model_dump(exclude_unset=True)` so the action sees only what was sent."""

    model_config = ConfigDict(extra="allow", strict=True, json_schema_extra={"additionalProperties": False})


class Patch(Checked):
    """Base of every PATCH body: every field optional."""


class Tag(TagRef):
    chats: int | None = Field(None, description="how many chats carry it (lists and new tags)")


class TagBody(Checked):
    name: str = doc_limits(maxLength=40, minLength=1)
    colour: str = doc_limits(None, pattern="^#[0-9A-Fa-f]{6}$", description="default #64748b")


class TagPatch(Patch):
    name: str = doc_limits(None, maxLength=40, minLength=1)
    colour: str = doc_limits(None, pattern="^#[0-9A-Fa-f]{6}$")


def doc_only(schema: dict[str, Any]) -> Any:
    """A value the action validates itself (naming the exact part, `hours.weekly.mon[1]`), with
    its true shape in the document: `Annotated[Any, doc_only({...})]`."""
    return WithJsonSchema(schema)


# ---- departments and business hours -----------------------------------------------------------
_TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", "description": "HH:MM"}
_INTERVALS = {"type": "array", "items": {"type": "array", "items": _TIME, "minItems": 2, "maxItems": 2}}
_WEEKLY = {
    "type": "object",
    "description": "day (mon..sun) -> [[start, end], ...]; no days: open 24/7",
    "propertyNames": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
    "additionalProperties": _INTERVALS,
}
_EXCEPTIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "date": {"type": "string", "format": "date"},
            "closed": {"type": "boolean"},
            "hours": _INTERVALS,
        },
        "required": ["date"],
    },
}


class HoursException(Out):
    date: str
    closed: bool | None = None
    hours: list[list[str]] | None = None


class BusinessHours(Out):
    timezone: str
    weekly: dict[str, list[list[str]]]
    exceptions: list[HoursException]


class HoursIn(In):
    timezone: str = Field("UTC", description="an IANA time zone like Europe/Oslo")
    weekly: Annotated[Any, doc_only(_WEEKLY)] = None
    exceptions: Annotated[Any, doc_only(_EXCEPTIONS)] = None


class Department(Out):
    id: int
    slug: str
    name: str
    description: str | None
    hours: BusinessHours
    max_queue: int
    routing: str = Field(description="auto or pick")
    offer_timeout_seconds: int
    offline_message: str | None
    email: str | None
    fallback_department_id: int | None
    scripted: bool
    sneak_peek: bool
    reply_alert_seconds: int
    # In the list (GET /departments) only: how it stands now.
    open_now: bool | None = None
    online_agents: int | None = None
    queue_length: int | None = None
    accepting_chats: bool | None = None
    reason: str | None = Field(None, description="why not accepting: closed, no_agents or queue_full")
    next_opening: str | None = None
    members: list[int] | None = None


class DepartmentPatch(Patch):
    slug: str = doc_limits(None, minLength=1, maxLength=40, pattern="^[a-z0-9][a-z0-9-]{0,39}$")
    name: str = doc_limits(None, minLength=1, maxLength=80)
    description: str | None = doc_limits(None, maxLength=300)
    hours: HoursIn | None = Field(None, description="null: open 24/7 in UTC")
    max_queue: int = doc_limits(None, minimum=0, maximum=10_000, description="0: no limit")
    routing: str = doc_limits(None, enum=["auto", "pick"])
    offer_timeout_seconds: int = doc_limits(None, minimum=5, maximum=600)
    offline_message: str | None = doc_limits(None, maxLength=500)
    email: str | None = doc_limits(None, maxLength=254, description="an e-mail address; null or empty: none")
    fallback_department_id: SmallBodyId | None = None
    scripted: bool = unsent(description="level-1 agents may send only canned responses")
    sneak_peek: bool = unsent(description="agents see what the visitor is typing")
    reply_alert_seconds: int = doc_limits(None, minimum=10, maximum=3600)


class DepartmentBody(DepartmentPatch):  # check_department names unknown fields
    slug: str = doc_limits(minLength=1, maxLength=40, pattern="^[a-z0-9][a-z0-9-]{0,39}$")
    name: str = doc_limits(minLength=1, maxLength=80)


_MEMBER = {
    "type": "object",
    "properties": {
        "user_id": {"type": "integer", **SMALL_ID_DOC},
        "level": {"type": "integer", "minimum": 1, "maximum": 9, "default": 1},
    },
    "required": ["user_id"],
}


class MembersBody(In):
    members: list[Annotated[Any, doc_only(_MEMBER)]] = Field(max_length=1000)


class Member(Out):
    user_id: int
    level: int


# ---- widget settings --------------------------------------------------------------------------
class PrechatField(Out):
    name: str
    label: str
    required: bool


class Prechat(Out):
    enabled: bool
    fields: list[PrechatField]


class RatingSettings(Out):
    enabled: bool
    scale: str = Field(description="thumbs or stars")
    transcript: bool


class WidgetSettings(Out):
    title: str
    greeting: str
    accent_color: str
    prechat: Prechat
    rating: RatingSettings


_PRECHAT_FIELD = {
    "type": "object",
    "properties": {
        "name": {"enum": ["name", "email", "department", "question"]},
        "label": {"type": "string", "minLength": 1, "maxLength": 60},
        "required": {"type": "boolean"},
    },
    "required": ["name"],
}


class PrechatIn(In):
    enabled: bool = True
    fields: list[Annotated[Any, doc_only(_PRECHAT_FIELD)]] = Field(default_factory=list)


class RatingSettingsIn(In):
    enabled: bool = unsent(description="ask for a rating after a chat")
    scale: str = doc_limits(None, enum=["thumbs", "stars"])
    transcript: bool = unsent(description="offer the transcript by e-mail")


class WidgetSettingsBody(Patch):
    """Only the settings sent change."""

    title: str = doc_limits(None, minLength=1, maxLength=60)
    greeting: str = doc_limits(None, minLength=1, maxLength=300)
    accent_color: str = doc_limits(None, pattern="^#[0-9a-fA-F]{6}$")
    prechat: PrechatIn = unsent()
    rating: RatingSettingsIn = unsent()
