"""Privacy (`/api/v1/settings/privacy`, `/api/v1/visitors/...`) and the audit log (`/api/v1/audit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from frontdesk.actions import audit, retention
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.clock import as_utc

router = APIRouter(prefix="/api/v1", tags=["privacy"])


@router.get("/settings/privacy")
async def get_privacy(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"privacy": await retention.read_privacy_settings(ctx=ctx, actor=actor)}


@router.put("/settings/privacy")
async def put_privacy(
    data: dict[str, Any] = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"privacy": await retention.do_update_privacy_settings(ctx=ctx, actor=actor, data=data)}


@router.delete("/visitors/{visitor_id}")
async def delete_visitor(
    visitor_id: str, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await retention.do_delete_visitor_data(ctx=ctx, actor=actor, visitor_id=visitor_id)


@router.get("/audit")
async def audit_log(
    action: str | None = Query(None, max_length=40, description='exact, or a prefix ending in "." (visitor.)'),
    actor_id: int | None = Query(None, ge=1),
    target_type: str | None = Query(None, max_length=20),
    target_id: str | None = Query(None, max_length=64),
    since: datetime | None = Query(None, alias="from"),
    until: datetime | None = Query(None, alias="to"),
    before: int | None = Query(None, ge=1, description="entries older than this id (the next page)"),
    limit: int = Query(50, ge=1, le=200),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await audit.list_audit(
        ctx=ctx,
        actor=actor,
        action=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        since=as_utc(since),
        until=as_utc(until),
        before=before,
        limit=limit,
    )
