"""Your own profile (`/api/v1/profile`) and agents' public photos (`/api/v1/avatars/{id}`)."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import Field

from frontdesk.actions import profiles
from frontdesk.actions.attachments import incoming_path
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.attachments import file_response
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.openapi import file_answer
from frontdesk.api.schemas import Out, Patch, doc_limits, typed_router
from frontdesk.api.uploads import receive_file
from frontdesk.domain.file_types import IMAGE_KINDS, KINDS

AVATAR_TYPES = sorted(KINDS[kind].content_type for kind in IMAGE_KINDS)

router = typed_router(tags=["profile"])


class ProfilePatch(Patch):
    """Only these; anything else is a 400 "FIELD: cannot be changed here"."""

    name: str = doc_limits(None, minLength=1, maxLength=100)
    title: str | None = doc_limits(None, maxLength=profiles.MAX_TITLE, description="job title; null or empty: none")


class Profile(Out):
    id: int
    email: str
    name: str
    role: str
    title: str | None
    avatar_url: str | None = Field(description="your photo, shown to visitors")


class ProfileOut(Out):
    profile: Profile


class ProfileWithLimit(ProfileOut):
    photo_max_bytes: int


@router.get("/api/v1/profile", response_model=ProfileWithLimit)
async def get_profile(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {
        "profile": await profiles.get_profile(ctx=ctx, actor=actor),
        "photo_max_bytes": ctx.settings.avatar_max_bytes,
    }


@router.patch("/api/v1/profile", response_model=ProfileOut)
async def update_profile(
    body: ProfilePatch, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"profile": await profiles.do_update_profile(ctx=ctx, actor=actor, data=data)}


@router.put("/api/v1/profile/avatar", response_model=ProfileOut)
async def set_avatar(
    request: Request, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    """multipart/form-data with one `file`: a PNG, JPEG, GIF or WebP image."""
    upload = await receive_file(request, temp=incoming_path(ctx), max_bytes=ctx.settings.avatar_max_bytes)
    return {"profile": await profiles.do_set_avatar(ctx=ctx, actor=actor, upload=upload)}


@router.delete("/api/v1/profile/avatar", response_model=ProfileOut)
async def remove_avatar(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"profile": await profiles.do_remove_avatar(ctx=ctx, actor=actor)}


@router.get("/api/v1/avatars/{file_id}", responses=file_answer(*AVATAR_TYPES))
async def avatar(file_id: str, ctx: Context = Depends(get_ctx)) -> StreamingResponse:
    """Public: the widget shows it on customers' sites. The id is random and changes with the photo."""
    stored = await profiles.avatar_file(ctx=ctx, file_id=file_id)
    return file_response(stored, cache="public, max-age=31536000, immutable", cross_origin=True)
