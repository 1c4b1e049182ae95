"""Supervision and quality endpoints: monitoring, whisper, join, take over, annotations,
scorecards, reviews and average scores (docs/api.md, docs/architecture/supervision.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from frontdesk.actions import quality, supervision
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import Before, BodyId, PathId, SmallPathId, SmallQueryId
from frontdesk.api.schemas import (
    CLIENT_ID_DOC,
    SMALL_ID_DOC,
    AgentRef,
    ChatSummary,
    DepartmentRef,
    Event,
    EventResult,
    In,
    Out,
    doc_only,
    typed_router,
)
from frontdesk.clock import utcnow
from frontdesk.domain.dates import DAY_PATTERN, parse_day
from frontdesk.domain.quality import MAX_ANNOTATION, MAX_COMMENT, MAX_CRITERIA

router = typed_router(prefix="/api/v1", tags=["supervision"])


class WhisperBody(In):
    text: str = Field(max_length=100_000, description="at most max_message_chars (413 when longer)")
    client_id: str = Field(max_length=64, json_schema_extra=CLIENT_ID_DOC)


class AnnotationBody(In):
    seq: BodyId = Field(description="the seq of a message in the chat")
    text: str = Field(max_length=100_000, json_schema_extra={"minLength": 1, "maxLength": MAX_ANNOTATION})


_CRITERION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "description": "an existing criterion's id; left out for a new one"},
        "name": {"type": "string", "minLength": 1, "maxLength": 60},
        "description": {"type": ["string", "null"], "maxLength": 300},
        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 1},
    },
    "required": ["name"],
}
_SCORE = {
    "type": "object",
    "properties": {
        "criterion_id": {"type": "integer", **SMALL_ID_DOC},
        "score": {"type": "integer", "minimum": 0, "maximum": 5},
    },
    "required": ["criterion_id", "score"],
}


class ScorecardBody(In):
    criteria: list[Annotated[Any, doc_only(_CRITERION)]] = Field(
        max_length=100, json_schema_extra={"minItems": 1, "maxItems": MAX_CRITERIA}
    )


class ReviewBody(In):
    scores: list[Annotated[Any, doc_only(_SCORE)]] = Field(
        max_length=100, description="every criterion of the scorecard, once"
    )
    comment: str | None = Field(None, max_length=100_000, json_schema_extra={"maxLength": MAX_COMMENT})


class Participant(Out):
    id: int
    name: str | None
    joined_at: str | None


class MonitoredChat(ChatSummary):
    participants: list[AgentRef] = Field(description="supervisors who joined the chat")


class MonitorList(Out):
    chats: list[MonitoredChat]
    departments: list[DepartmentRef] = Field(description="the departments you may monitor")


class Participants(Out):
    participants: list[Participant]


class LeftClosed(Out):
    """Leaving a chat that has closed meanwhile: no event."""

    chat_id: int
    left: bool


class LeaveResult(Out):
    event: Event | LeftClosed


class TakeOver(Out):
    event: Event
    chat: ChatSummary | None


class Writer(Out):
    id: int | None = Field(description="null when the user was deleted")
    name: str | None


class Annotation(Out):
    id: int
    chat_id: int
    seq: int
    author: Writer
    text: str
    created_at: str | None


class Annotations(Out):
    annotations: list[Annotation]


class OneAnnotation(Out):
    annotation: Annotation


class Criterion(Out):
    id: int
    name: str
    description: str | None
    weight: float


class Scale(Out):
    min: int
    max: int


class Scorecard(Out):
    department: DepartmentRef
    criteria: list[Criterion]
    scale: Scale


class Score(Out):
    criterion_id: int
    name: str
    weight: float
    score: int


class Review(Out):
    id: int
    chat_id: int
    reviewer: AgentRef
    agent_id: int | None
    department_id: int | None
    scores: list[Score] = Field(description="each criterion as it was when reviewed")
    score: float = Field(description="the weighted mean, 0-5")
    comment: str | None
    created_at: str | None
    updated_at: str | None


class SavedReview(Review):
    created: bool = Field(description="false: your earlier review of the chat was replaced")


class ChatReviews(Out):
    reviews: list[Review]
    criteria: list[Criterion]
    can_review: bool
    agent_id: int | None = Field(description="whose work a review of yours would score")


class OneReview(Out):
    review: SavedReview


class ReviewedChat(Out):
    id: int
    created_at: str | None
    department: str | None = Field(description="the department's name")


class MyReview(Review):
    chat: ReviewedChat


class MyReviews(Out):
    reviews: list[MyReview]
    next_before: int | None


class Figures(Out):
    average: float
    reviews: int
    chats: int
    lowest: float
    highest: float


class AgentScores(Figures):
    agent: AgentRef


class DepartmentScoreRef(Out):
    id: int
    slug: str | None
    name: str | None


class DepartmentScores(Figures):
    department: DepartmentScoreRef


class ScoreReport(Out):
    from_: str = Field(alias="from", description="YYYY-MM-DD")
    to: str = Field(description="YYYY-MM-DD, included")
    scale: Scale
    agents: list[AgentScores]
    departments: list[DepartmentScores]


@router.get("/monitor/chats", response_model=MonitorList)
async def monitor_chats(
    department_id: SmallQueryId = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await supervision.monitor_chats(ctx=ctx, actor=actor, department_id=department_id)


@router.get("/chats/{chat_id}/participants", response_model=Participants)
async def chat_participants(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"participants": await supervision.participants(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/chats/{chat_id}/whispers", status_code=201, response_model=EventResult)
async def whisper(
    chat_id: PathId, body: WhisperBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    event = await supervision.do_whisper(
        ctx=ctx, actor=actor, chat_id=chat_id, text=body.text, client_id=body.client_id
    )
    return {"event": event}


@router.post("/chats/{chat_id}/join", response_model=EventResult)
async def join(chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"event": await supervision.do_join(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/chats/{chat_id}/leave", response_model=LeaveResult)
async def leave(chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"event": await supervision.do_leave(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/chats/{chat_id}/take-over", response_model=TakeOver)
async def take_over(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    result = await supervision.do_take_over(ctx=ctx, actor=actor, chat_id=chat_id)
    chat = result.pop("chat")
    return {"event": result, "chat": chat}


# `name` keeps the route's name, and so its operationId, without rebinding the name `annotations`
# (`from __future__ import annotations` binds it).
@router.get("/chats/{chat_id}/annotations", response_model=Annotations, name="annotations")
async def chat_annotations(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await quality.list_annotations(ctx=ctx, actor=actor, chat_id=chat_id)


@router.post("/chats/{chat_id}/annotations", status_code=201, response_model=OneAnnotation)
async def annotate(
    chat_id: PathId, body: AnnotationBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {
        "annotation": await quality.do_annotate(ctx=ctx, actor=actor, chat_id=chat_id, seq=body.seq, text=body.text)
    }


@router.delete("/annotations/{annotation_id}", status_code=204)
async def delete_annotation(
    annotation_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> Response:
    await quality.do_delete_annotation(ctx=ctx, actor=actor, annotation_id=annotation_id)
    return Response(status_code=204)


@router.get("/departments/{department_id}/scorecard", response_model=Scorecard)
async def get_scorecard(
    department_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await quality.scorecard(ctx=ctx, actor=actor, department_id=department_id)


@router.put("/departments/{department_id}/scorecard", response_model=Scorecard)
async def set_scorecard(
    department_id: SmallPathId,
    body: ScorecardBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await quality.do_set_scorecard(ctx=ctx, actor=actor, department_id=department_id, criteria=body.criteria)


@router.get("/chats/{chat_id}/reviews", response_model=ChatReviews)
async def chat_reviews(
    chat_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await quality.reviews_of_chat(ctx=ctx, actor=actor, chat_id=chat_id)


@router.put("/chats/{chat_id}/review", response_model=OneReview)
async def review(
    chat_id: PathId, body: ReviewBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {
        "review": await quality.do_review(
            ctx=ctx, actor=actor, chat_id=chat_id, scores=body.scores, comment=body.comment
        )
    }


@router.get("/reviews/mine", response_model=MyReviews)
async def my_reviews(
    before: Before = None,
    limit: int = Query(50, ge=1, le=200),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await quality.my_reviews(ctx=ctx, actor=actor, before=before, limit=limit)


@router.get("/reports/review-scores", response_model=ScoreReport)
async def review_scores(
    start: str | None = Query(None, alias="from", pattern=DAY_PATTERN, description="a date (YYYY-MM-DD)"),
    end: str | None = Query(None, alias="to", pattern=DAY_PATTERN, description="a date (YYYY-MM-DD), included"),
    department_id: SmallQueryId = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    last = parse_day(end, "to") if end else utcnow().date()
    first = parse_day(start, "from") if start else last - timedelta(days=min(29, (last - date.min).days))
    return await quality.score_report(ctx=ctx, actor=actor, start=first, end=last, department_id=department_id)
