"""Invitations (`/api/v1/visitors/{id}/invitations`), automatic invitation rules
(`/api/v1/invitation-rules`, the simulator) and their report (`/api/v1/reports/invitations`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query
from pydantic import Field

from frontdesk.actions import invitations
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallPathId, SmallQueryId
from frontdesk.api.schemas import SMALL_ID_DOC, Checked, In, Ok, Out, Patch, doc_limits, doc_only, typed_router
from frontdesk.domain.chat_rules import ChatRuleError

router = typed_router(tags=["invitations"])

VisitorPathId = Annotated[str, Path(min_length=1, max_length=64, description="a visitor's id")]
_CONDITIONS = {
    "type": "array",
    "maxItems": 20,
    "description": "every one must hold: {field, op, value} (docs/architecture/visitors.md, Invitations)",
    "items": {"type": "object"},
}
_OBJECT = {"type": "object"}
_CAPS = "{once_per_visit, min_days_between, quiet_after_chat_min}"


class InviteBody(In):
    text: str | None = doc_limits(None, minLength=1, maxLength=2000, description="free text (or canned_id)")
    canned_id: int | None = doc_limits(None, **SMALL_ID_DOC, description="a canned response, rendered for them")
    department_id: int | None = doc_limits(
        None, **SMALL_ID_DOC, description="default: the visitor's department, else the default one"
    )


class InvitationAgent(Out):
    name: str | None
    avatar_url: str | None


class InvitationRecord(Out):
    id: int
    text: str
    agent: InvitationAgent | None = Field(description="null: from the team")
    department_id: int
    expires_at: str | None
    visitor_id: str
    visit_id: int | None
    rule_id: int | None
    agent_id: int | None
    outcome: str = Field(description="pending, shown, accepted, dismissed, expired or blocked")
    blocked_reason: str | None
    chat_id: int | None
    created_at: str | None
    shown_at: str | None
    outcome_at: str | None


class OneInvitation(Out):
    invitation: InvitationRecord


class RulePatch(Patch):
    name: str = doc_limits(None, minLength=1, maxLength=100)
    enabled: bool = doc_limits(None)
    conditions: Annotated[Any, doc_only(_CONDITIONS)] = None
    gates: Annotated[Any, doc_only({**_OBJECT, "description": "{accepting, free_slot, max_wait_s}"})] = None
    action: Annotated[Any, doc_only({**_OBJECT, "description": "{text, as: team|agent, agent_id, delay_s}"})] = None
    caps: Annotated[
        Any, doc_only({**_OBJECT, "description": "{once_per_visit, min_days_between, quiet_after_chat_min}"})
    ] = None


class RuleBody(RulePatch):
    department_id: int = doc_limits(**SMALL_ID_DOC)
    name: str = doc_limits(minLength=1, maxLength=100)
    action: Annotated[Any, doc_only({**_OBJECT, "description": "{text, as: team|agent, agent_id, delay_s}"})]


class InvitationRule(Out):
    id: int
    department_id: int
    position: int
    name: str
    enabled: bool
    conditions: list[dict[str, Any]]
    gates: dict[str, Any]
    action: dict[str, Any]
    caps: dict[str, Any]
    created_at: str | None
    updated_at: str | None
    created_by: int | None


class OneRule(Out):
    rule: InvitationRule


class RuleList(Out):
    rules: list[InvitationRule]


class ReorderBody(In):
    department_id: int = doc_limits(**SMALL_ID_DOC)
    rule_ids: list[int] = Field(max_length=100, description="every rule of the department, first first")


class SimulateBody(Checked):
    department_id: int = doc_limits(**SMALL_ID_DOC)
    rule: Annotated[Any, doc_only({**_OBJECT, "description": "a draft rule, as POST /invitation-rules takes it"})]


class Simulation(Out):
    days: int
    visits: int = Field(description="visits of the period (the department's, or with no department)")
    matched_visits: int
    invitations: int = Field(description="invitations it would have sent, caps applied, gates open")
    per_hour: list[float] = Field(description="average invitations in each hour of the day (0-23, department time)")
    peak_per_hour: int = Field(description="the busiest single hour of the period")
    truncated: bool = Field(description="the period held more page views than the simulator reads")


class OutcomeCounts(Out):
    sent: int
    shown: int
    pending: int
    accepted: int
    dismissed: int
    expired: int
    blocked: int
    acceptance_rate: float | None = Field(description="accepted / sent; null when none was sent")


class RuleOutcomes(OutcomeCounts):
    rule_id: int | None = Field(description="null: manual invitations")
    name: str | None
    blocked_reasons: dict[str, int]


class AgentOutcomes(OutcomeCounts):
    agent_id: int | None = Field(description="null: invitations from the team")
    name: str | None


class DepartmentOutcomes(OutcomeCounts):
    department_id: int
    name: str | None


class InvitationReport(Out):
    from_: str | None = Field(alias="from", description="ISO 8601, UTC")
    to: str | None = Field(description="ISO 8601, UTC (excluded)")
    total: OutcomeCounts
    rules: list[RuleOutcomes]
    agents: list[AgentOutcomes]
    departments: list[DepartmentOutcomes]


@router.post("/api/v1/visitors/{visitor_id}/invitations", status_code=201, response_model=OneInvitation)
async def invite_visitor(
    visitor_id: VisitorPathId,
    body: InviteBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    """Invite a connected visitor to chat; 409 `visitor_gone` when they have left."""
    record = await invitations.do_invite(
        ctx=ctx,
        actor=actor,
        visitor_id=visitor_id,
        text=body.text,
        canned_id=body.canned_id,
        department_id=body.department_id,
    )
    return {"invitation": record}


@router.get("/api/v1/invitation-rules", response_model=RuleList)
async def list_rules(
    department: SmallQueryId = None, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"rules": await invitations.list_rules(ctx=ctx, actor=actor, department_id=department)}


@router.post("/api/v1/invitation-rules", status_code=201, response_model=OneRule)
async def create_rule(
    body: RuleBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"rule": await invitations.do_create_rule(ctx=ctx, actor=actor, data=body.model_dump(exclude_unset=True))}


@router.post("/api/v1/invitation-rules/reorder", response_model=RuleList)
async def reorder_rules(
    body: ReorderBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    rules = await invitations.do_reorder_rules(
        ctx=ctx, actor=actor, department_id=body.department_id, rule_ids=body.rule_ids
    )
    return {"rules": rules}


@router.post("/api/v1/invitation-rules/simulate", response_model=Simulation)
async def simulate_rule(
    body: SimulateBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    """How a draft rule would have done over the last 7 days' stored page views."""
    data = body.model_dump(exclude_unset=True)
    unknown = sorted(set(data) - {"department_id", "rule"})
    if unknown:
        raise ChatRuleError("bad_request", f"{unknown[0]}: unknown field", field=unknown[0])
    return await invitations.simulate_rule(ctx=ctx, actor=actor, department_id=body.department_id, rule=body.rule)


@router.get("/api/v1/invitation-rules/{rule_id}", response_model=OneRule)
async def get_rule(
    rule_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"rule": await invitations.get_rule(ctx=ctx, actor=actor, rule_id=rule_id)}


@router.put("/api/v1/invitation-rules/{rule_id}", response_model=OneRule)
async def update_rule(
    rule_id: SmallPathId,
    body: RulePatch,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"rule": await invitations.do_update_rule(ctx=ctx, actor=actor, rule_id=rule_id, data=data)}


@router.delete("/api/v1/invitation-rules/{rule_id}", response_model=Ok)
async def delete_rule(
    rule_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    await invitations.do_delete_rule(ctx=ctx, actor=actor, rule_id=rule_id)
    return {"ok": True}


@router.get("/api/v1/reports/invitations", response_model=InvitationReport)
async def invitation_report(
    since: str | None = Query(None, alias="from", max_length=40, description="a date (whole day) or ISO date-time"),
    until: str | None = Query(None, alias="to", max_length=40, description="a date (included) or ISO date-time"),
    department: SmallQueryId = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await invitations.invitation_report(ctx=ctx, actor=actor, since=since, until=until, department_id=department)
