"""Canned responses (`/api/v1/canned/...`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from pydantic import Field

from frontdesk.actions import canned
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import QueryId, SmallBodyId, SmallPathId
from frontdesk.api.schemas import Ok, Out, Patch, doc_limits, doc_only, typed_router
from frontdesk.domain.canned import BODY_MAX, FALLBACK_MAX, TITLE_MAX

router = typed_router(prefix="/api/v1/canned", tags=["canned responses"])

_SHORTCUT = {"pattern": "^#?[a-z0-9_-]{1,40}$", "description": "refund or #refund"}
_FALLBACKS = {
    "type": "object",
    "description": "variable -> the text used when the chat has no value for it",
    "additionalProperties": {"type": "string", "maxLength": FALLBACK_MAX},
}
_SCOPE = {"enum": ["global", "department", "personal"]}


class CannedPatch(Patch):
    title: str = doc_limits(None, minLength=1, maxLength=TITLE_MAX)
    shortcut: str = doc_limits(None, **_SHORTCUT)
    body: str = doc_limits(None, minLength=1, maxLength=BODY_MAX, description="{{visitor.name}} etc. allowed")
    fallbacks: Annotated[Any, doc_only(_FALLBACKS)] = None
    scope: str = doc_limits(None, **_SCOPE)
    department_id: SmallBodyId | None = Field(None, description="with scope department")


class CannedBody(CannedPatch):
    """scope: personal by default; department_id with scope department."""

    title: str = doc_limits(minLength=1, maxLength=TITLE_MAX)
    shortcut: str = doc_limits(**_SHORTCUT)
    body: str = doc_limits(minLength=1, maxLength=BODY_MAX)


class CannedDepartment(Out):
    id: int
    name: str | None


class Canned(Out):
    id: int
    scope: str = Field(description="global, department or personal")
    department: CannedDepartment | None
    shortcut: str
    title: str
    body: str
    fallbacks: dict[str, str]
    variables: list[str] = Field(description="the variables the body uses")
    use_count: int
    last_used_at: str | None
    created_at: str | None
    updated_at: str | None
    editable: bool = Field(description="whether you may change it")
    preview: str | None = Field(None, description="with chat_id: the body rendered for that chat")


class Variable(Out):
    name: str
    description: str
    fallback: bool = Field(description="whether a fallback text can apply")


class CannedList(Out):
    canned: list[Canned]
    variables: list[Variable]


class OneCanned(Out):
    canned: Canned


@router.get("", response_model=CannedList)
async def list_canned(
    chat_id: QueryId = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return await canned.list_canned(ctx=ctx, actor=actor, chat_id=chat_id)


@router.post("", status_code=201, response_model=OneCanned)
async def create_canned(
    body: CannedBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"canned": await canned.do_create_canned(ctx=ctx, actor=actor, data=data)}


@router.patch("/{canned_id}", response_model=OneCanned)
async def update_canned(
    canned_id: SmallPathId,
    body: CannedPatch,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"canned": await canned.do_update_canned(ctx=ctx, actor=actor, canned_id=canned_id, data=data)}


@router.delete("/{canned_id}", response_model=Ok)
async def delete_canned(
    canned_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    await canned.do_delete_canned(ctx=ctx, actor=actor, canned_id=canned_id)
    return {"ok": True}
