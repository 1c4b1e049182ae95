"""Departments (`/api/v1/departments/...`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from frontdesk.actions import departments, routing, widget_settings
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.permissions import require

router = APIRouter(prefix="/api/v1/departments", tags=["departments"])


@router.get("")
async def list_departments(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"departments": await departments.list_departments(ctx=ctx, actor=actor)}


@router.post("", status_code=201)
async def create_department(
    data: dict[str, Any] = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"department": await departments.do_create_department(ctx=ctx, actor=actor, data=data)}


@router.patch("/{department_id}")
async def update_department(
    department_id: int,
    data: dict[str, Any] = Body(...),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    return {
        "department": await departments.do_update_department(
            ctx=ctx, actor=actor, department_id=department_id, data=data
        )
    }


@router.delete("/{department_id}")
async def delete_department(
    department_id: int, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await routing.do_delete_department(ctx=ctx, actor=actor, department_id=department_id)


@router.put("/{department_id}/members")
async def set_members(
    department_id: int,
    body: dict[str, Any] = Body(...),
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    members = await departments.do_set_members(
        ctx=ctx, actor=actor, department_id=department_id, members=body.get("members")
    )
    return {"members": members}


settings_router = APIRouter(prefix="/api/v1/settings", tags=["settings"])


@settings_router.get("/widget")
async def get_widget_settings(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    require(actor.role, "department.read")
    return {"widget": await widget_settings.widget_config(ctx=ctx)}


@settings_router.put("/widget")
async def put_widget_settings(
    data: dict[str, Any] = Body(...), ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return {"widget": await widget_settings.do_update_widget_settings(ctx=ctx, actor=actor, data=data)}
