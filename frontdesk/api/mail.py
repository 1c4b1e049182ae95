"""Outgoing e-mail for admins (`/api/v1/mail/...`): what the server gave up on, and why."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from frontdesk.actions import mail
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import PathId

router = APIRouter(prefix="/api/v1/mail", tags=["mail"])


@router.get("/failed")
async def failed_mail(
    limit: int = Query(100, ge=1, le=500), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    """E-mail given up on, newest first: `id`, `to`, `subject`, `reason`, `attempts`, `created_at`, `failed_at`."""
    return {"failed": await mail.list_failed_mail(ctx=ctx, actor=actor, limit=limit)}


@router.post("/{mail_id}/retry")
async def retry_mail(
    mail_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await mail.do_retry_mail(ctx=ctx, actor=actor, mail_id=mail_id)


@router.delete("/{mail_id}")
async def discard_mail(
    mail_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await mail.do_discard_mail(ctx=ctx, actor=actor, mail_id=mail_id)
