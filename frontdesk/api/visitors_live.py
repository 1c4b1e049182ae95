"""The live view over HTTP: who is on the site now (`GET /api/v1/visitors/live`, the same page
`visitors.watch` sends on the agent socket) and one visitor's journey (docs/api.md,
docs/architecture/visitors.md "Live view")."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Query
from pydantic import Field

from frontdesk.actions import live
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallQueryId
from frontdesk.api.schemas import AgentRef, Out, typed_router
from frontdesk.domain.live_view import MAX_PAGE, MAX_PAGE_SIZE, MAX_TEXT, LiveQuery, check_live_query

router = typed_router(prefix="/api/v1/visitors", tags=["visitors"])

# domain/live_view.SORTS and STATES, written out for the document (a test holds them equal).
SortKey = Literal[
    "time_on_site",
    "pages",
    "page_since",
    "country",
    "visit_number",
    "-time_on_site",
    "-pages",
    "-page_since",
    "-country",
    "-visit_number",
]
State = Literal["none", "invited", "waiting", "chatting"]
VisitorId = Annotated[str, Path(min_length=1, max_length=64, description="a visitor's id")]


class LivePage(Out):
    url: str | None = Field(description="the page the visitor is on (their browser's word: show it as text)")
    title: str | None
    since: str | None = Field(description="ISO 8601: when they opened it")


class LiveVisitor(Out):
    visitor_id: str
    name: str | None
    visit_id: int
    visit_number: int = Field(description="1: their first visit")
    returning: bool
    page: LivePage
    referrer: str | None
    country: str | None = Field(description="ISO 3166 alpha-2")
    city: str | None
    browser: str | None
    os: str | None
    device: str | None = Field(description="desktop, phone, tablet, bot or other")
    language: str | None
    screen: str | None = Field(description="phone, tablet or desktop")
    started_at: str | None
    pages: int = Field(description="page views this visit")
    visible_ms: int = Field(description="time the site was visible this visit")
    state: Literal["none", "invited", "waiting", "chatting"]
    chat_id: int | None
    agent: AgentRef | None = Field(description="who they chat with")
    invitation_id: int | None = Field(description="a pending invitation")
    department_id: int | None = Field(description="their open chat's department, else the page's; null: not known")


class LiveCounters(Out):
    online: int
    chatting: int
    waiting: int
    invited: int


class LiveVisitors(Out):
    counters: LiveCounters = Field(description="of every visitor you may see, whatever the filters")
    total: int = Field(description="visitors matching the filters")
    page: int
    page_size: int
    items: list[LiveVisitor]


class JourneyPage(Out):
    id: int
    at: str | None
    url: str
    title: str | None
    visible_ms: int | None = Field(description="time it was visible; null until the next page or the end")


class JourneyVisit(Out):
    id: int
    number: int
    started_at: str | None
    last_seen_at: str | None
    ended_at: str | None = Field(description="null while the visit lasts")
    left_at: str | None = Field(description="null while the visitor is connected")
    referrer: str | None
    landing_url: str | None
    country: str | None
    city: str | None
    browser: str | None
    os: str | None
    device: str | None
    language: str | None
    screen: str | None
    pages_count: int
    visible_ms: int
    department_id: int | None
    pages: list[JourneyPage] = Field(description="newest first")


class JourneyChatDepartment(Out):
    id: int
    name: str


class JourneyChat(Out):
    id: int = Field(description="the transcript: /api/v1/archive/chats/{id}")
    status: str
    created_at: str | None
    closed_at: str | None
    last_message: str | None
    invitation_id: int | None = Field(description="the invitation it came from")
    department: JourneyChatDepartment
    agent: AgentRef | None


class JourneyVisitor(Out):
    id: str
    name: str | None
    email: str | None
    visits: int
    first_seen_at: str | None


class Location(Out):
    country: str | None
    city: str | None
    language: str | None


class Device(Out):
    device: str | None
    browser: str | None
    os: str | None
    screen: str | None


class Journey(Out):
    visitor: JourneyVisitor
    location: Location | None = Field(description="from their latest visit")
    device: Device | None = Field(description="from their latest visit")
    visits: list[JourneyVisit] = Field(description="the latest 20, newest first")
    chats: list[JourneyChat] = Field(description="those you may read, newest first")


def live_query(
    url: str | None = Query(None, max_length=MAX_TEXT, description="the current page's URL contains this"),
    country: str | None = Query(None, pattern="^[A-Za-z]{2}$", description="ISO 3166 alpha-2"),
    referrer: str | None = Query(None, max_length=MAX_TEXT, description="the referrer contains this"),
    returning: bool | None = Query(None, description="true: visit 2 or later; false: first visits"),
    state: State | None = Query(None),
    department: SmallQueryId = None,
    sort: SortKey | None = Query(None, description="ascending by the column; a leading - for descending"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> LiveQuery:
    filters = {
        "url": url,
        "country": country,
        "referrer": referrer,
        "returning": returning,
        "state": state,
        "department": department,
    }
    return check_live_query(filters, sort, page, page_size)


@router.get("/live", response_model=LiveVisitors)
async def live_visitors(
    query: LiveQuery = Depends(live_query),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await live.list_live(ctx=ctx, actor=actor, query=query)


@router.get("/{visitor_id}/journey", response_model=Journey)
async def journey(
    visitor_id: VisitorId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await live.journey(ctx=ctx, actor=actor, visitor_id=visitor_id)
