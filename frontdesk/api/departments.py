"""Departments (`/api/v1/departments/...`)."""

from __future__ import annotations

from fastapi import Depends
from pydantic import Field

from frontdesk.actions import departments, widget_settings
from frontdesk.actions.context import AgentActor, Context
from frontdesk.api.auth import current_agent, get_ctx
from frontdesk.api.params import SmallPathId
from frontdesk.api.schemas import (
    Department,
    DepartmentBody,
    DepartmentPatch,
    Member,
    MembersBody,
    Out,
    WidgetSettings,
    WidgetSettingsBody,
    typed_router,
)
from frontdesk.permissions import require

router = typed_router(prefix="/api/v1/departments", tags=["departments"])


class DepartmentList(Out):
    departments: list[Department]


class OneDepartment(Out):
    department: Department


class DepartmentDeleted(Out):
    moved: list[int] = Field(description="open chats moved to the home department")
    missed: list[int] = Field(description="queued chats closed as missed")
    moved_to: int


class Members(Out):
    members: list[Member]


class WidgetSettingsOut(Out):
    widget: WidgetSettings


@router.get("", response_model=DepartmentList)
async def list_departments(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    return {"departments": await departments.list_departments(ctx=ctx, actor=actor)}


@router.post("", status_code=201, response_model=OneDepartment)
async def create_department(
    body: DepartmentBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    data = body.model_dump(exclude_unset=True)
    return {"department": await departments.do_create_department(ctx=ctx, actor=actor, data=data)}


@router.patch("/{department_id}", response_model=OneDepartment)
async def update_department(
    department_id: SmallPathId,
    body: DepartmentPatch,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {
        "department": await departments.do_update_department(
            ctx=ctx, actor=actor, department_id=department_id, data=data
        )
    }


@router.delete("/{department_id}", response_model=DepartmentDeleted)
async def delete_department(
    department_id: SmallPathId, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    return await departments.do_delete_department(ctx=ctx, actor=actor, department_id=department_id)


@router.put("/{department_id}/members", response_model=Members)
async def set_members(
    department_id: SmallPathId,
    body: MembersBody,
    ctx: Context = Depends(get_ctx),
    actor: AgentActor = Depends(current_agent),
) -> dict:
    members = await departments.do_set_members(ctx=ctx, actor=actor, department_id=department_id, members=body.members)
    return {"members": members}


settings_router = typed_router(prefix="/api/v1/settings", tags=["settings"])


@settings_router.get("/widget", response_model=WidgetSettingsOut)
async def get_widget_settings(ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)) -> dict:
    require(actor.role, "department.read")
    return {"widget": await widget_settings.widget_config(ctx=ctx)}


@settings_router.put("/widget", response_model=WidgetSettingsOut)
async def put_widget_settings(
    body: WidgetSettingsBody, ctx: Context = Depends(get_ctx), actor: AgentActor = Depends(current_agent)
) -> dict:
    data = body.model_dump(exclude_unset=True)
    return {"widget": await widget_settings.do_update_widget_settings(ctx=ctx, actor=actor, data=data)}
