"""Taking access back: deactivating users, setting their passwords, and API tokens
(`/api/v1/users/{id}/deactivate|reactivate|password`, `/api/v1/tokens`).

Each of these ends credentials at once, sockets included (docs/architecture/security.md,
"Revocation"); the rules are in actions/users.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.actions import users
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallBodyId, SmallPathId, SmallQueryId

router = APIRouter(tags=["users"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class PasswordBody(_In):
    password: str = Field(max_length=1024, description="The new password (at least 8 characters).")
    keep_tokens: bool = Field(False, description="Keep the user's API tokens working (default: revoke them).")


class TokenBody(_In):
    label: str | None = Field(None, description="What the token is for (at most 100 characters).")
    expires_days: int | None = Field(None, ge=1, le=users.MAX_TOKEN_DAYS, description="Days until it expires.")
    user_id: SmallBodyId | None = Field(None, description="Whose token (admins); default: yours.")


class UserState(_Out):
    id: int
    email: str
    name: str
    role: str
    active: bool
    deactivated_at: str | None


class UserStateOut(_Out):
    user: UserState


class PasswordSet(_Out):
    id: int
    ended_credentials: int
    kept_tokens: bool


class PasswordOut(_Out):
    password: PasswordSet


class TokenUser(_Out):
    id: int
    email: str
    name: str


class Token(_Out):
    id: str = Field(description="The token's public id: the first 16 hex digits of its SHA-256.")
    user: TokenUser
    label: str | None
    created_at: str
    expires_at: str | None
    last_used_at: str | None


class NewToken(Token):
    secret: str = Field(description="The token itself, shown this once: 'Authorization: Bearer SECRET'.")


class TokensOut(_Out):
    tokens: list[Token]


class NewTokenOut(_Out):
    token: NewToken


class Revoked(_Out):
    id: str
    revoked: bool


class RevokedOut(_Out):
    token: Revoked


@router.post("/api/v1/users/{user_id}/deactivate", response_model=UserStateOut)
async def deactivate_user(
    user_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    """The user can no longer log in; their sessions, API tokens and open sockets end now."""
    return {"user": await users.do_set_user_active(ctx=ctx, actor=actor, user_id=user_id, active=False)}


@router.post("/api/v1/users/{user_id}/reactivate", response_model=UserStateOut)
async def reactivate_user(
    user_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"user": await users.do_set_user_active(ctx=ctx, actor=actor, user_id=user_id, active=True)}


@router.put("/api/v1/users/{user_id}/password", response_model=PasswordOut)
async def set_password(
    user_id: SmallPathId,
    body: PasswordBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    """Ends every console session of the user and, unless `keep_tokens`, every API token."""
    data = body.model_dump()
    return {"password": await users.do_set_user_password(ctx=ctx, actor=actor, user_id=user_id, data=data)}


@router.get("/api/v1/tokens", response_model=TokensOut)
async def list_tokens(
    user_id: SmallQueryId = None,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    """Your API tokens; admins: everyone's (or one user's with `user_id`). Never the secrets."""
    return {"tokens": await users.list_tokens(ctx=ctx, actor=actor, user_id=user_id)}


@router.post("/api/v1/tokens", status_code=201, response_model=NewTokenOut)
async def create_token(
    body: TokenBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"token": await users.do_create_token(ctx=ctx, actor=actor, data=data)}


@router.delete("/api/v1/tokens/{token_id}", response_model=RevokedOut)
async def revoke_token(
    token_id: Annotated[str, Path(max_length=64)],
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    """The token stops working at once; sockets opened with it close (4001)."""
    return {"token": await users.do_revoke_token(ctx=ctx, actor=actor, token_id=token_id)}
