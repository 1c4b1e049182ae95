"""Privacy (`/api/v1/settings/privacy`, `/api/v1/settings/tracking`, `/api/v1/visitors/...`) and the
audit log (`/api/v1/audit`)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from pydantic import Field

from frontdesk.actions import audit, retention, tracking
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import Before, SmallQueryId
from frontdesk.api.schemas import Checked, Out, doc_limits, typed_router
from frontdesk.domain.dates import DAY_OR_MOMENT_PATTERN, parse_bound
from frontdesk.domain.retention import MAX_DAYS
from frontdesk.domain.tracking import MODES as TRACKING_MODES

router = typed_router(prefix="/api/v1", tags=["privacy"])


class PrivacySettings(Out):
    retention_days: int = Field(description="0: keep forever")
    mode: str = Field(description="delete or anonymise")


class PrivacyBody(Checked):
    """Only the settings sent change."""

    retention_days: int = doc_limits(None, minimum=0, maximum=MAX_DAYS, description="0: keep forever")
    mode: str = doc_limits(None, enum=["delete", "anonymise"])


class PrivacyOut(Out):
    privacy: PrivacySettings


class TrackingSettings(Out):
    mode: str = Field(description="on, respect_dnt (not for DNT / GPC browsers), consent (once the page agrees), off")
    truncate_ip: bool = Field(description="visits keep the address's /24 (IPv4) or /48 (IPv6) network only")


class TrackingBody(Checked):
    """Only the settings sent change."""

    mode: str = doc_limits(None, enum=list(TRACKING_MODES))
    truncate_ip: bool = doc_limits(None)


class TrackingOut(Out):
    tracking: TrackingSettings


class DeletedCounts(Out):
    chats: int
    messages: int
    attachments: int
    tickets: int
    mails: int
    visits: int
    page_views: int


class VisitorDeleted(Out):
    visitor_id: str
    deleted: DeletedCounts


class AuditActor(Out):
    id: int | None
    name: str | None


class AuditTarget(Out):
    type: str
    id: str | None


class AuditEntry(Out):
    id: int
    at: str | None
    actor: AuditActor | None = Field(description="null: the system or the command line")
    action: str
    target: AuditTarget | None
    details: dict[str, Any]


class AuditPage(Out):
    entries: list[AuditEntry]
    next_before: int | None


@router.get("/settings/privacy", response_model=PrivacyOut)
async def get_privacy(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"privacy": await retention.read_privacy_settings(ctx=ctx, actor=actor)}


@router.put("/settings/privacy", response_model=PrivacyOut)
async def put_privacy(
    body: PrivacyBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"privacy": await retention.do_update_privacy_settings(ctx=ctx, actor=actor, data=data)}


@router.get("/settings/tracking", response_model=TrackingOut)
async def get_tracking(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"tracking": await tracking.read_tracking_settings(ctx=ctx, actor=actor)}


@router.put("/settings/tracking", response_model=TrackingOut)
async def put_tracking(
    body: TrackingBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"tracking": await tracking.do_update_tracking_settings(ctx=ctx, actor=actor, data=data)}


@router.delete("/visitors/{visitor_id}", response_model=VisitorDeleted)
async def delete_visitor(
    visitor_id: str, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await retention.do_delete_visitor_data(ctx=ctx, actor=actor, visitor_id=visitor_id)


_WHEN = "a date (YYYY-MM-DD, a whole day, UTC) or an ISO 8601 date-time"


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    action: str | None = Query(None, max_length=40, description='exact, or a prefix ending in "." (visitor.)'),
    actor_id: SmallQueryId = None,
    target_type: str | None = Query(None, max_length=20),
    target_id: str | None = Query(None, max_length=64),
    since: str | None = Query(None, alias="from", max_length=40, pattern=DAY_OR_MOMENT_PATTERN, description=_WHEN),
    until: str | None = Query(None, alias="to", max_length=40, pattern=DAY_OR_MOMENT_PATTERN, description=_WHEN),
    before: Before = None,
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
        since=parse_bound(since, "from") if since else None,
        until=parse_bound(until, "to", end=True) if until else None,
        before=before,
        limit=limit,
    )
