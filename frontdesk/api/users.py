"""Agents (`/api/v1/users/...`) and your own availability."""

from __future__ import annotations

from fastapi import Depends
from pydantic import Field

from frontdesk.actions import users
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallPathId
from frontdesk.api.schemas import In, Out, Patch, UserListed, UserRecord, doc_limits, typed_router
from frontdesk.permissions import ROLES
from frontdesk.security.passwords import MIN_PASSWORD

router = typed_router(prefix="/api/v1/users", tags=["users"])


class UserBody(In):
    email: str = doc_limits(maxLength=254, format="email")
    name: str = doc_limits(minLength=1, maxLength=100)
    password: str = doc_limits(minLength=MIN_PASSWORD, maxLength=1024)
    role: str = doc_limits("agent", enum=list(ROLES))
    departments: list[str] | None = Field(None, description="slugs of the departments to join (level 1)")


class UserPatch(Patch):
    """Only these; anything else is a 400 "FIELD: cannot be changed here"."""

    max_chats: int = doc_limits(None, minimum=1, maximum=50)
    name: str = doc_limits(None, minLength=1, maxLength=100, description="admins only")
    greeter: bool = doc_limits(None, description="an agent who may see the live view and invite (admins, managers)")


class UserList(Out):
    users: list[UserListed]


class OneUser(Out):
    user: UserRecord


@router.get("", response_model=UserList)
async def list_users(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"users": await users.list_users(ctx=ctx, actor=actor)}


@router.post("", status_code=201, response_model=OneUser)
async def create_user(
    body: UserBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"user": await users.do_create_user_as(ctx=ctx, actor=actor, data=data)}


@router.patch("/{user_id}", response_model=OneUser)
async def update_user(
    user_id: SmallPathId,
    body: UserPatch,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"user": await users.do_update_user(ctx=ctx, actor=actor, user_id=user_id, data=data)}
