"""The operator's desk (issue 4): escalating a chat, escalation reports, tags.

`/api/v1/chats/{id}/escalate`, `/api/v1/escalations/...`, `/api/v1/tags/...` and
`/api/v1/chats/{id}/tags/{tag_id}`: thin routes over actions/escalation.py and actions/tags.py."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends
from pydantic import Field

from frontdesk.actions import escalation, tags
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import PathId, SmallPathId, SmallQueryId
from frontdesk.api.schemas import (
    ChatSummary,
    In,
    Out,
    Tag,
    TagBody,
    TagPatch,
    TagRef,
    doc_limits,
    typed_router,
)
from frontdesk.clock import as_utc
from frontdesk.domain.escalation import DETAIL_MAX_CHARS, REASONS
from frontdesk.permissions import require

router = typed_router(prefix="/api/v1", tags=["desk"])


class EscalateBody(In):
    reason: str = doc_limits(enum=list(REASONS), description="one of GET /escalations/reasons")
    detail: str | None = doc_limits(None, maxLength=DETAIL_MAX_CHARS)  # the action checks it and says so


class Escalated(Out):
    chat_id: int
    seq: int = Field(description="the chat.escalated event")
    to_level: int
    reason: str


class Reason(Out):
    code: str
    label: str


class Reasons(Out):
    reasons: list[Reason]


class ReasonCount(Out):
    reason: str
    label: str
    count: int


class LevelCount(Out):
    to_level: int
    count: int


class EscalationReport(Out):
    total: int
    by_reason: list[ReasonCount]
    by_level: list[LevelCount]


class TagList(Out):
    tags: list[Tag]


class OneTag(Out):
    tag: Tag


class TagDeleted(Out):
    deleted: int = Field(description="the tag's id")
    chats: int = Field(description="how many chats lost it")


class ChatTags(Out):
    chat_id: int
    tags: list[TagRef]
    chat: ChatSummary


@router.post("/chats/{chat_id}/escalate", response_model=Escalated)
async def escalate_chat(
    chat_id: PathId, body: EscalateBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await escalation.do_escalate_chat(
        ctx=ctx, actor=actor, chat_id=chat_id, reason=body.reason, detail=body.detail
    )


@router.get("/escalations/reasons", response_model=Reasons)
async def escalation_reasons(actor: AgentActor = Depends(current_agent)) -> dict:
    require(actor.role, "chat.escalate")
    return {"reasons": escalation.escalation_reasons()}


@router.get("/escalations/report", response_model=EscalationReport)
async def escalation_report(
    department_id: SmallQueryId = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await escalation.escalation_report(
        ctx=ctx, actor=actor, department_id=department_id, since=as_utc(since), until=as_utc(until)
    )


@router.get("/tags", response_model=TagList)
async def list_tags(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"tags": await tags.list_tags(ctx=ctx, actor=actor)}


@router.post("/tags", status_code=201, response_model=OneTag)
async def create_tag(
    body: TagBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"tag": await tags.do_create_tag(ctx=ctx, actor=actor, data=data)}


@router.patch("/tags/{tag_id}", response_model=OneTag)
async def update_tag(
    tag_id: SmallPathId,
    body: TagPatch,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"tag": await tags.do_update_tag(ctx=ctx, actor=actor, tag_id=tag_id, data=data)}


@router.delete("/tags/{tag_id}", response_model=TagDeleted)
async def delete_tag(
    tag_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await tags.do_delete_tag(ctx=ctx, actor=actor, tag_id=tag_id)


@router.put("/chats/{chat_id}/tags/{tag_id}", response_model=ChatTags)
async def tag_chat(
    chat_id: PathId, tag_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await tags.do_tag_chat(ctx=ctx, actor=actor, chat_id=chat_id, tag_id=tag_id, on=True)


@router.delete("/chats/{chat_id}/tags/{tag_id}", response_model=ChatTags)
async def untag_chat(
    chat_id: PathId, tag_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await tags.do_tag_chat(ctx=ctx, actor=actor, chat_id=chat_id, tag_id=tag_id, on=False)
