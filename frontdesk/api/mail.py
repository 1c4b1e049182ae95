"""Outgoing e-mail for admins (`/api/v1/mail/...`): what the server gave up on, and why."""

from __future__ import annotations

from fastapi import Depends, Query
from pydantic import Field

from frontdesk.actions import mail
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import PathId
from frontdesk.api.schemas import Out, typed_router

router = typed_router(prefix="/api/v1/mail", tags=["mail"])


class FailedMail(Out):
    id: int
    to: str
    subject: str
    reason: str | None = Field(description="why it was given up on")
    attempts: int
    created_at: str | None
    failed_at: str | None


class FailedMailList(Out):
    failed: list[FailedMail]


class MailRequeued(Out):
    id: int
    queued: bool


class MailDiscarded(Out):
    id: int
    deleted: bool


@router.get("/failed", response_model=FailedMailList)
async def failed_mail(
    limit: int = Query(100, ge=1, le=500), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    """E-mail given up on, newest first: `id`, `to`, `subject`, `reason`, `attempts`, `created_at`, `failed_at`."""
    return {"failed": await mail.list_failed_mail(ctx=ctx, actor=actor, limit=limit)}


@router.post("/{mail_id}/retry", response_model=MailRequeued)
async def retry_mail(
    mail_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await mail.do_retry_mail(ctx=ctx, actor=actor, mail_id=mail_id)


@router.delete("/{mail_id}", response_model=MailDiscarded)
async def discard_mail(
    mail_id: PathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await mail.do_discard_mail(ctx=ctx, actor=actor, mail_id=mail_id)
