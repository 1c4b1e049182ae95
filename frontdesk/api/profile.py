"""Your own profile (`/api/v1/profile`) and agents' public photos (`/api/v1/avatars/{id}`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import StreamingResponse

from frontdesk.actions import profiles
from frontdesk.actions.attachments import incoming_path
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.attachments import file_response
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.uploads import receive_file

router = APIRouter(tags=["profile"])


@router.get("/api/v1/profile")
async def get_profile(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {
        "profile": await profiles.get_profile(ctx=ctx, actor=actor),
        "photo_max_bytes": ctx.settings.avatar_max_bytes,
    }


@router.patch("/api/v1/profile")
async def update_profile(
    body: dict[str, Any] = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"profile": await profiles.do_update_profile(ctx=ctx, actor=actor, data=body)}


@router.put("/api/v1/profile/avatar")
async def set_avatar(
    request: Request, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    """multipart/form-data with one `file`: a PNG, JPEG, GIF or WebP image."""
    upload = await receive_file(request, temp=incoming_path(ctx), max_bytes=ctx.settings.avatar_max_bytes)
    return {"profile": await profiles.do_set_avatar(ctx=ctx, actor=actor, upload=upload)}


@router.delete("/api/v1/profile/avatar")
async def remove_avatar(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"profile": await profiles.do_remove_avatar(ctx=ctx, actor=actor)}


@router.get("/api/v1/avatars/{file_id}")
async def avatar(file_id: str, ctx: Context = Depends(get_ctx)) -> StreamingResponse:
    """Public: the widget shows it on customers' sites. The id is random and changes with the photo."""
    stored = await profiles.avatar_file(ctx=ctx, file_id=file_id)
    return file_response(stored, cache="public, max-age=31536000, immutable", cross_origin=True)
