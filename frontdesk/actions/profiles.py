"""An agent's own profile: the name, job title and photo visitors see when the agent joins.

Each user edits only their own (there is no user id in these actions). The photo is a raster
image, sniffed like any attachment, stored under a random id and served publicly at
/api/v1/avatars/{id} (the widget shows it on other sites) while it is the agent's current one.
"""

from __future__ import annotations

from typing import Any

from frontdesk.actions.attachments import StoredFile, Upload, check_file, keep, storage
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.file_types import IMAGE_KINDS
from frontdesk.domain.text import clean_line
from frontdesk.store import attachment_store
from frontdesk.store.files import new_file_id, valid_file_id

MAX_TITLE = 100
MAX_AVATAR_SIDE = 4096


def _profile(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "role": row.role,
        "title": row.title,
        "avatar_url": attachment_store.avatar_url(row.avatar_id),
    }


async def get_profile(*, ctx: Context, actor: AgentActor) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        row = await attachment_store.profile(conn, actor.id)
    if row is None:
        raise ChatRuleError("not_found", "No such user.")
    return _profile(row)


def check_profile(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ChatRuleError("bad_request", "body: must be a JSON object")
    unknown = sorted(set(data) - {"name", "title"})
    if unknown:
        raise ChatRuleError("bad_request", f"{unknown[0]}: cannot be changed here", field=unknown[0])
    values: dict[str, Any] = {}
    if "name" in data:
        name = clean_line(data["name"], "name")  # NUL: a 400; controls and bidi overrides removed
        if not 1 <= len(name) <= 100:
            raise ChatRuleError("bad_request", "name: must be 1 to 100 characters", field="name")
        values["name"] = name
    if "title" in data:
        title = "" if data["title"] is None else clean_line(data["title"], "title")
        if len(title) > MAX_TITLE:
            raise ChatRuleError("bad_request", f"title: must be at most {MAX_TITLE} characters", field="title")
        values["title"] = title or None
    return values


async def do_update_profile(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    """Change your own display name and job title."""
    values = check_profile(data)
    async with unit_of_work(ctx) as (conn, _outbox):
        if values:
            await attachment_store.update_profile(conn, actor.id, values)
        row = await attachment_store.profile(conn, actor.id)
    if row is None:
        raise ChatRuleError("not_found", "No such user.")
    return _profile(row)


async def do_set_avatar(*, ctx: Context, actor: AgentActor, upload: Upload) -> dict[str, Any]:
    """Your photo: a PNG, JPEG, GIF or WebP image within the size limit. The previous one is
    deleted (its URL stops working)."""
    files = storage(ctx)
    file_id = new_file_id()
    kept = False
    try:
        checked = await check_file(upload, allowed_kinds=IMAGE_KINDS, max_bytes=ctx.settings.avatar_max_bytes)
        if max(checked.width or 0, checked.height or 0) > MAX_AVATAR_SIDE:
            raise ChatRuleError(
                "bad_request", f"file: a photo may be at most {MAX_AVATAR_SIDE} pixels wide and high", field="file"
            )
        async with unit_of_work(ctx) as (conn, _outbox):
            current = await attachment_store.profile(conn, actor.id, lock=True)
            if current is None:
                raise ChatRuleError("not_found", "No such user.")
            await attachment_store.insert_attachment(
                conn,
                file_id=file_id,
                kind="avatar",
                user_id=actor.id,
                name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                width=checked.width,
                height=checked.height,
                now=utcnow(),
            )
            await attachment_store.update_profile(conn, actor.id, {"avatar_id": file_id})
            previous = current.avatar_id
            if previous:
                await attachment_store.delete_attachment(conn, previous)
            row = await attachment_store.profile(conn, actor.id)
            await keep(files, upload, file_id)
            kept = True
    except BaseException:
        if kept:
            await files.delete(file_id)
        raise
    finally:
        upload.discard()
    if previous:
        await files.delete(previous)
    return _profile(row)


async def do_remove_avatar(*, ctx: Context, actor: AgentActor) -> dict[str, Any]:
    async with unit_of_work(ctx) as (conn, _outbox):
        current = await attachment_store.profile(conn, actor.id, lock=True)
        if current is None:
            raise ChatRuleError("not_found", "No such user.")
        if current.avatar_id:
            await attachment_store.update_profile(conn, actor.id, {"avatar_id": None})
            await attachment_store.delete_attachment(conn, current.avatar_id)
        row = await attachment_store.profile(conn, actor.id)
    if current.avatar_id:
        await storage(ctx).delete(current.avatar_id)
    return _profile(row)


async def avatar_file(*, ctx: Context, file_id: str) -> StoredFile:
    """Anyone may fetch an agent's current photo by its (unguessable) id."""
    async with ctx.db.read() as conn:
        row = await attachment_store.current_avatar(conn, file_id) if valid_file_id(file_id) else None
    files = storage(ctx)
    if row is None or not files.exists(row.id):
        raise ChatRuleError("not_found", "No such photo.")
    return StoredFile(row.id, row.name, row.content_type, row.size, files)
