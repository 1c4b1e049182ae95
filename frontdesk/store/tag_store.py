"""Queries for tags and the tags on chats (tables `tags`, `chat_tags`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import orjson
from sqlalchemy import JSON, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from frontdesk.store.models import Chat, ChatTag, Tag

TAG_COLUMNS = (Tag.id, Tag.name, Tag.colour)


class _tag_array(FunctionElement):  # noqa: N801 — a SQL function, named like one
    """A JSON array of {id, name, colour} objects, aggregated over the rows of a subquery."""

    type = JSON()
    inherit_cache = True


@compiles(_tag_array, "sqlite")
def _tag_array_sqlite(element, compiler, **kw):
    return "json_group_array(json_object('id', tags.id, 'name', tags.name, 'colour', tags.colour))"


@compiles(_tag_array, "postgresql")
def _tag_array_postgresql(element, compiler, **kw):
    return "coalesce(json_agg(json_build_object('id', tags.id, 'name', tags.name, 'colour', tags.colour)), '[]')"


def chat_tags_column():
    """The chat's tags as one column of a chat query (a correlated subquery: one index probe
    per chat), so every chat summary carries its tags without a second round trip."""
    return (
        select(_tag_array())
        .select_from(ChatTag)
        .join(Tag, Tag.id == ChatTag.tag_id)
        .where(ChatTag.chat_id == Chat.id)
        .scalar_subquery()
        .label("tags_json")
    )


class TagItem(TypedDict):
    """A chat's tag as decode_tags gives it (the shape of wire.payloads.Tag)."""

    id: int
    name: str
    colour: str | None


def decode_tags(value: Any) -> list[TagItem]:
    """The column above as a list sorted by name (drivers hand back a string or a list)."""
    if value is None:
        return []
    items = orjson.loads(value) if isinstance(value, str | bytes) else value
    tags: list[TagItem] = [
        {"id": t["id"], "name": t["name"], "colour": t["colour"]} for t in items if t and t.get("id") is not None
    ]
    return sorted(tags, key=lambda t: (t["name"].lower(), t["id"]))


async def all_tags(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(*TAG_COLUMNS).order_by(func.lower(Tag.name), Tag.id))).all())


async def usage_counts(conn: AsyncConnection) -> dict[int, int]:
    rows = await conn.execute(select(ChatTag.tag_id, func.count()).group_by(ChatTag.tag_id))
    return {tag_id: n for tag_id, n in rows}


async def tag(conn: AsyncConnection, tag_id: int) -> Any | None:
    return (await conn.execute(select(*TAG_COLUMNS).where(Tag.id == tag_id))).first()


async def tag_named(conn: AsyncConnection, name: str, *, other_than: int | None = None) -> Any | None:
    """A tag with this name, ignoring case (names are unique that way)."""
    stmt = select(*TAG_COLUMNS).where(func.lower(Tag.name) == name.lower())
    if other_than is not None:
        stmt = stmt.where(Tag.id != other_than)
    return (await conn.execute(stmt)).first()


async def create_tag(conn: AsyncConnection, *, name: str, colour: str, now: datetime) -> int:
    result = await conn.execute(insert(Tag).values(name=name, colour=colour, created_at=now).returning(Tag.id))
    return int(result.scalar_one())


async def update_tag(conn: AsyncConnection, tag_id: int, values: dict[str, Any]) -> None:
    if values:
        await conn.execute(update(Tag).where(Tag.id == tag_id).values(**values))


async def delete_tag(conn: AsyncConnection, tag_id: int) -> list[int]:
    """Deletes the tag and takes it off every chat; returns those chats."""
    chats = [r[0] for r in await conn.execute(select(ChatTag.chat_id).where(ChatTag.tag_id == tag_id))]
    await conn.execute(delete(ChatTag).where(ChatTag.tag_id == tag_id))
    await conn.execute(delete(Tag).where(Tag.id == tag_id))
    return chats


async def chat_has_tag(conn: AsyncConnection, chat_id: int, tag_id: int) -> bool:
    stmt = select(ChatTag.chat_id).where(ChatTag.chat_id == chat_id, ChatTag.tag_id == tag_id)
    return (await conn.execute(stmt)).first() is not None


async def add_chat_tag(conn: AsyncConnection, *, chat_id: int, tag_id: int, added_by: int, now: datetime) -> None:
    await conn.execute(insert(ChatTag).values(chat_id=chat_id, tag_id=tag_id, added_by=added_by, added_at=now))


async def remove_chat_tag(conn: AsyncConnection, *, chat_id: int, tag_id: int) -> bool:
    result = await conn.execute(delete(ChatTag).where(ChatTag.chat_id == chat_id, ChatTag.tag_id == tag_id))
    return result.rowcount > 0
