"""Tags: a managed list (admins and supervisors), put on chats by agents. Agents only: tags
travel in chat summaries, which are published to agent topics and never to a visitor."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from frontdesk.actions.access import readable_chat
from frontdesk.actions.chat_events import publish_summary
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.tags import check_tag
from frontdesk.permissions import require
from frontdesk.store import chat_store, tag_store
from frontdesk.wire import chat_summary

NO_TAG = "No such tag."


def tag_payload(row: Any, uses: int | None = None) -> dict[str, Any]:
    out = {"id": row.id, "name": row.name, "colour": row.colour}
    if uses is not None:
        out["chats"] = uses
    return out


async def list_tags(*, ctx: Context, actor: AgentActor) -> list[dict[str, Any]]:
    require(actor.role, "tag.read")
    async with ctx.db.read() as conn:
        rows = await tag_store.all_tags(conn)
        uses = await tag_store.usage_counts(conn)
    return [tag_payload(r, uses.get(r.id, 0)) for r in rows]


def _taken(name: str) -> ChatRuleError:
    return ChatRuleError("conflict", f"name: a tag {name!r} exists already", field="name")


async def do_create_tag(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    require(actor.role, "tag.manage")
    values = check_tag(data)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            if await tag_store.tag_named(conn, values["name"]) is not None:
                raise _taken(values["name"])
            tag_id = await tag_store.create_tag(conn, name=values["name"], colour=values["colour"], now=utcnow())
            row = await tag_store.tag(conn, tag_id)
    except IntegrityError:  # created by someone else at the same moment
        raise _taken(values["name"]) from None
    return tag_payload(row, 0)


async def do_update_tag(*, ctx: Context, actor: AgentActor, tag_id: int, data: object) -> dict[str, Any]:
    """Rename or recolour: chats keep the tag (they refer to it by id)."""
    require(actor.role, "tag.manage")
    values = check_tag(data, partial=True)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            if await tag_store.tag(conn, tag_id) is None:
                raise ChatRuleError("not_found", NO_TAG)
            if "name" in values and await tag_store.tag_named(conn, values["name"], other_than=tag_id) is not None:
                raise _taken(values["name"])
            await tag_store.update_tag(conn, tag_id, values)
            row = await tag_store.tag(conn, tag_id)
    except IntegrityError:
        raise _taken(values.get("name", "")) from None
    return tag_payload(row)


async def do_delete_tag(*, ctx: Context, actor: AgentActor, tag_id: int) -> dict[str, Any]:
    """Deletes the tag and takes it off every chat (open ones are re-published to consoles)."""
    require(actor.role, "tag.manage")
    async with unit_of_work(ctx) as (conn, outbox):
        if await tag_store.tag(conn, tag_id) is None:
            raise ChatRuleError("not_found", NO_TAG)
        chats = await tag_store.delete_tag(conn, tag_id)
        for chat_id in chats:
            chat = await chat_store.chat_status(conn, chat_id)
            if chat is not None and chat.status != "closed":
                await publish_summary(conn, outbox, chat_id)
    return {"deleted": tag_id, "chats": len(chats)}


async def do_tag_chat(*, ctx: Context, actor: AgentActor, chat_id: int, tag_id: int, on: bool) -> dict[str, Any]:
    """Put a tag on a chat (`on`) or take it off; doing what is already done is no error."""
    require(actor.role, "chat.tag")
    require(actor.role, "chat.read")  # any chat you can read (actions/access.py), open or closed
    try:
        async with unit_of_work(ctx) as (conn, outbox):
            # The chat's row lock serialises tag changes of one chat (no duplicate-key race).
            await readable_chat(conn, actor, chat_id, lock=True)  # 404 outside your scope
            if await tag_store.tag(conn, tag_id) is None:
                raise ChatRuleError("not_found", NO_TAG, field="tag_id")
            has = await tag_store.chat_has_tag(conn, chat_id, tag_id)
            if on and not has:
                await tag_store.add_chat_tag(conn, chat_id=chat_id, tag_id=tag_id, added_by=actor.id, now=utcnow())
            elif not on and has:
                await tag_store.remove_chat_tag(conn, chat_id=chat_id, tag_id=tag_id)
            # The chat's lists hear of it, and so do the actor's other tabs.
            row = await publish_summary(conn, outbox, chat_id, extra_topics=[audience.agent_topic(actor.id)])
    except IntegrityError:  # the tag was deleted while we added it
        raise ChatRuleError("not_found", NO_TAG, field="tag_id") from None
    summary = chat_summary(row)
    return {"chat_id": chat_id, "tags": summary["tags"], "chat": summary}
