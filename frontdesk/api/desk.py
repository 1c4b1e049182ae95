"""The operator's desk (issue 4): escalating a chat, escalation reports, tags.

`/api/v1/chats/{id}/escalate`, `/api/v1/escalations/...`, `/api/v1/tags/...` and
`/api/v1/chats/{id}/tags/{tag_id}`: thin routes over actions/escalation.py and actions/tags.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field

from frontdesk.actions import escalation, tags
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.clock import as_utc
from frontdesk.permissions import require

router = APIRouter(prefix="/api/v1", tags=["desk"])


class EscalateBody(BaseModel):
    reason: str = Field(max_length=40)
    detail: str | None = Field(None, max_length=2000)  # the action allows 200 and says so


@router.post("/chats/{chat_id}/escalate")
async def escalate_chat(
    chat_id: int, body: EscalateBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await escalation.do_escalate_chat(
        ctx=ctx, actor=actor, chat_id=chat_id, reason=body.reason, detail=body.detail
    )


@router.get("/escalations/reasons")
async def escalation_reasons(actor: AgentActor = Depends(current_agent)) -> dict:
    require(actor.role, "chat.escalate")
    return {"reasons": escalation.escalation_reasons()}


@router.get("/escalations/report")
async def escalation_report(
    department_id: int | None = Query(None, ge=1),
    since: datetime | None = None,
    until: datetime | None = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await escalation.escalation_report(
        ctx=ctx, actor=actor, department_id=department_id, since=as_utc(since), until=as_utc(until)
    )


@router.get("/tags")
async def list_tags(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"tags": await tags.list_tags(ctx=ctx, actor=actor)}


@router.post("/tags", status_code=201)
async def create_tag(
    data: dict[str, Any] = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"tag": await tags.do_create_tag(ctx=ctx, actor=actor, data=data)}


@router.patch("/tags/{tag_id}")
async def update_tag(
    tag_id: int,
    data: dict[str, Any] = Body(...),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return {"tag": await tags.do_update_tag(ctx=ctx, actor=actor, tag_id=tag_id, data=data)}


@router.delete("/tags/{tag_id}")
async def delete_tag(tag_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return await tags.do_delete_tag(ctx=ctx, actor=actor, tag_id=tag_id)


@router.put("/chats/{chat_id}/tags/{tag_id}")
async def tag_chat(
    chat_id: int, tag_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await tags.do_tag_chat(ctx=ctx, actor=actor, chat_id=chat_id, tag_id=tag_id, on=True)


@router.delete("/chats/{chat_id}/tags/{tag_id}")
async def untag_chat(
    chat_id: int, tag_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await tags.do_tag_chat(ctx=ctx, actor=actor, chat_id=chat_id, tag_id=tag_id, on=False)
