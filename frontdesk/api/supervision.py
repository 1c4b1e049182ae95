"""Supervision and quality endpoints: monitoring, whisper, join, take over, annotations,
scorecards, reviews and average scores (docs/api.md, docs/architecture/supervision.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from frontdesk.actions import quality, supervision
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.clock import utcnow

router = APIRouter(prefix="/api/v1", tags=["supervision"])


class WhisperBody(BaseModel):
    text: str = Field(max_length=100_000)
    client_id: str = Field(max_length=64)


class AnnotationBody(BaseModel):
    seq: int
    text: str = Field(max_length=100_000)


class ScorecardBody(BaseModel):
    criteria: list[dict[str, Any]] = Field(max_length=100)


class ReviewBody(BaseModel):
    scores: list[dict[str, Any]] = Field(max_length=100)
    comment: str | None = Field(None, max_length=100_000)


@router.get("/monitor/chats")
async def monitor_chats(
    department_id: int | None = Query(None, ge=1),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await supervision.monitor_chats(ctx=ctx, actor=actor, department_id=department_id)


@router.get("/chats/{chat_id}/participants")
async def chat_participants(
    chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"participants": await supervision.participants(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/chats/{chat_id}/whispers", status_code=201)
async def whisper(
    chat_id: int, body: WhisperBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    event = await supervision.do_whisper(
        ctx=ctx, actor=actor, chat_id=chat_id, text=body.text, client_id=body.client_id
    )
    return {"event": event}


@router.post("/chats/{chat_id}/join")
async def join(chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"event": await supervision.do_join(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/chats/{chat_id}/leave")
async def leave(chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"event": await supervision.do_leave(ctx=ctx, actor=actor, chat_id=chat_id)}


@router.post("/chats/{chat_id}/take-over")
async def take_over(chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    result = await supervision.do_take_over(ctx=ctx, actor=actor, chat_id=chat_id)
    chat = result.pop("chat")
    return {"event": result, "chat": chat}


@router.get("/chats/{chat_id}/annotations")
async def annotations(
    chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await quality.list_annotations(ctx=ctx, actor=actor, chat_id=chat_id)


@router.post("/chats/{chat_id}/annotations", status_code=201)
async def annotate(
    chat_id: int, body: AnnotationBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {
        "annotation": await quality.do_annotate(ctx=ctx, actor=actor, chat_id=chat_id, seq=body.seq, text=body.text)
    }


@router.delete("/annotations/{annotation_id}", status_code=204)
async def delete_annotation(
    annotation_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> Response:
    await quality.do_delete_annotation(ctx=ctx, actor=actor, annotation_id=annotation_id)
    return Response(status_code=204)


@router.get("/departments/{department_id}/scorecard")
async def get_scorecard(
    department_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await quality.scorecard(ctx=ctx, actor=actor, department_id=department_id)


@router.put("/departments/{department_id}/scorecard")
async def set_scorecard(
    department_id: int,
    body: ScorecardBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await quality.do_set_scorecard(ctx=ctx, actor=actor, department_id=department_id, criteria=body.criteria)


@router.get("/chats/{chat_id}/reviews")
async def chat_reviews(
    chat_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await quality.reviews_of_chat(ctx=ctx, actor=actor, chat_id=chat_id)


@router.put("/chats/{chat_id}/review")
async def review(
    chat_id: int, body: ReviewBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {
        "review": await quality.do_review(
            ctx=ctx, actor=actor, chat_id=chat_id, scores=body.scores, comment=body.comment
        )
    }


@router.get("/reviews/mine")
async def my_reviews(
    before: int | None = Query(None, ge=1),
    limit: int = Query(50, ge=1, le=200),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await quality.my_reviews(ctx=ctx, actor=actor, before=before, limit=limit)


@router.get("/reports/review-scores")
async def review_scores(
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    department_id: int | None = Query(None, ge=1),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    today = utcnow().date()
    end = end or today
    start = start or end - timedelta(days=29)
    return await quality.score_report(ctx=ctx, actor=actor, start=start, end=end, department_id=department_id)
