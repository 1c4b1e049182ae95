"""Tags (a managed list; agents tag chats; never sent to the visitor) and sneak peek (the
visitor's draft reaches the chat's agent only when the department allows it, is never stored,
and costs no database query per typing frame). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest
from sqlalchemy import event, func, select

from frontdesk.actions import chats, departments, peek, reads, tags, transfers
from frontdesk.actions.chats import do_accept_chat
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import ChatTag, Message
from tests.actions.routing_support import (
    first_message,
    make_admin,
    make_agent,
    make_department,
    published_frames,
    staff,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def refused(coro, code: str) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    assert info.value.code == code, info.value.message
    return info.value


class Desk:
    """A department with agent ann holding a visitor's chat; an admin and a supervisor."""

    async def build(self, ctx, **dept_fields):
        self.ctx = ctx
        self.admin = await make_admin(ctx)
        self.lead = await make_agent(ctx, self.admin, role="supervisor", name="Sue")
        self.dept = await make_department(ctx, self.admin, "desk", **dept_fields)
        self.ann = await make_agent(ctx, self.admin, name="Ann")
        self.bob = await make_agent(ctx, self.admin, name="Bob")
        await staff(ctx, self.admin, self.dept["id"], [self.ann])
        self.visitor = await new_visitor(ctx)
        self.chat_id = await first_message(ctx, self.visitor, "desk")
        await ctx.router.run_once()
        await do_accept_chat(ctx=ctx, actor=self.ann, chat_id=self.chat_id)
        ctx.published.clear()
        return self


# ---------------------------------------------------------------- tags


async def test_tags_are_managed_by_admins_and_supervisors(ctx):
    d = await Desk().build(ctx)
    await refused(tags.do_create_tag(ctx=ctx, actor=d.ann, data={"name": "VIP"}), "forbidden")
    vip = await tags.do_create_tag(ctx=ctx, actor=d.lead, data={"name": "  VIP  ", "colour": "#D97706"})
    assert vip == {"id": vip["id"], "name": "VIP", "colour": "#d97706", "chats": 0}
    refund = await tags.do_create_tag(ctx=ctx, actor=d.admin, data={"name": "refund"})
    assert refund["colour"] == "#64748b"  # the default
    err = await refused(tags.do_create_tag(ctx=ctx, actor=d.admin, data={"name": "vip"}), "conflict")
    assert err.field == "name"  # names are unique, ignoring case
    for data, field in [
        ({"name": ""}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": 7}, "name"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "colour": "#12345"}, "colour"),
        ({"name": "ok", "size": 3}, "size"),
        ({}, "name"),
    ]:
        err = await refused(tags.do_create_tag(ctx=ctx, actor=d.admin, data=data), "bad_request")
        assert err.field == field, (data, err.message)
    renamed = await tags.do_update_tag(ctx=ctx, actor=d.lead, tag_id=refund["id"], data={"name": "Refund asked"})
    assert renamed["name"] == "Refund asked"
    await refused(tags.do_update_tag(ctx=ctx, actor=d.lead, tag_id=refund["id"], data={"name": "VIP"}), "conflict")
    await refused(tags.do_update_tag(ctx=ctx, actor=d.ann, tag_id=refund["id"], data={"name": "Mine"}), "forbidden")
    await refused(tags.do_update_tag(ctx=ctx, actor=d.lead, tag_id=10**6, data={"name": "Gone"}), "not_found")
    names = [t["name"] for t in await tags.list_tags(ctx=ctx, actor=d.ann)]  # agents read the list
    assert names == ["Refund asked", "VIP"]
    await refused(tags.do_delete_tag(ctx=ctx, actor=d.ann, tag_id=vip["id"]), "forbidden")


async def test_agents_tag_chats_and_the_visitor_never_sees_it(ctx):
    d = await Desk().build(ctx)
    vip = await tags.do_create_tag(ctx=ctx, actor=d.admin, data={"name": "VIP", "colour": "#7c3aed"})
    secret = await tags.do_create_tag(ctx=ctx, actor=d.admin, data={"name": "Angry-customer"})
    ctx.published.clear()
    result = await tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=secret["id"], on=True)
    assert [t["name"] for t in result["tags"]] == ["Angry-customer"]
    again = await tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=secret["id"], on=True)
    assert again["tags"] == result["tags"]  # adding twice is no error and no duplicate
    # Any agent who can read the chat may tag it: bob works in its department, but does not hold it;
    # someone outside the department may not even read it (404).
    await refused(tags.do_tag_chat(ctx=ctx, actor=d.bob, chat_id=d.chat_id, tag_id=vip["id"], on=True), "not_found")
    await staff(ctx, d.admin, d.dept["id"], [d.ann, d.bob, d.lead])
    await tags.do_tag_chat(ctx=ctx, actor=d.bob, chat_id=d.chat_id, tag_id=vip["id"], on=True)
    summary = await reads.get_chat(ctx=ctx, actor=d.bob, chat_id=d.chat_id)
    assert summary["tags"] == [
        {"id": secret["id"], "name": "Angry-customer", "colour": "#64748b"},
        {"id": vip["id"], "name": "VIP", "colour": "#7c3aed"},
    ]
    listed = await reads.list_chats(ctx=ctx, actor=d.ann, status="active")
    assert next(c for c in listed["chats"] if c["id"] == d.chat_id)["tags"] == summary["tags"]
    # The chat's agent and the tagger's tabs hear of it; the visitor never does.
    updated = published_frames(ctx, audience.agent_topic(d.ann.id), "chat.updated")
    assert updated and [t["name"] for t in updated[-1]["chat"]["tags"]] == ["Angry-customer", "VIP"]
    assert published_frames(ctx, audience.agent_topic(d.bob.id), "chat.updated")
    for topic, payload in ctx.published:
        assert not topic.startswith("visitor:"), (topic, payload)
        assert "Angry-customer" not in payload or not topic.startswith("visitor:")
    page = await reads.events_for_visitor(ctx=ctx, actor=d.visitor, chat_id=d.chat_id)
    assert "Angry-customer" not in orjson.dumps(page).decode()
    # Taking one off; taking it off again is no error.
    after = await tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=secret["id"], on=False)
    assert [t["name"] for t in after["tags"]] == ["VIP"]
    await tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=secret["id"], on=False)
    await refused(tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=10**6, on=True), "not_found")
    await refused(tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=10**9, tag_id=vip["id"], on=True), "not_found")
    # A closed chat can still be tagged (for reports).
    await chats.do_close_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id)
    closed = await tags.do_tag_chat(ctx=ctx, actor=d.lead, chat_id=d.chat_id, tag_id=secret["id"], on=True)
    assert len(closed["tags"]) == 2


async def test_renaming_or_deleting_a_tag_changes_every_chat(ctx):
    d = await Desk().build(ctx)
    tag = await tags.do_create_tag(ctx=ctx, actor=d.admin, data={"name": "bug"})
    await tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=tag["id"], on=True)
    await tags.do_update_tag(ctx=ctx, actor=d.admin, tag_id=tag["id"], data={"name": "Bug report", "colour": "#dc2626"})
    summary = await reads.get_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id)
    assert summary["tags"] == [{"id": tag["id"], "name": "Bug report", "colour": "#dc2626"}]
    assert (await tags.list_tags(ctx=ctx, actor=d.ann))[0]["chats"] == 1
    ctx.published.clear()
    result = await tags.do_delete_tag(ctx=ctx, actor=d.lead, tag_id=tag["id"])
    assert result == {"deleted": tag["id"], "chats": 1}
    assert (await reads.get_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id))["tags"] == []
    assert published_frames(ctx, audience.agent_topic(d.ann.id), "chat.updated")  # the open chat, re-published
    async with ctx.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(ChatTag))).scalar_one() == 0
    await refused(tags.do_delete_tag(ctx=ctx, actor=d.lead, tag_id=tag["id"]), "not_found")


async def test_tagging_one_chat_from_many_tabs_at_once(ctx):
    d = await Desk().build(ctx)
    tag = await tags.do_create_tag(ctx=ctx, actor=d.admin, data={"name": "busy"})
    results = await asyncio.gather(
        *(tags.do_tag_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, tag_id=tag["id"], on=True) for _ in range(6)),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    async with ctx.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(ChatTag))).scalar_one() == 1


# ---------------------------------------------------------------- sneak peek


def typing_frames(ctx, topic: str) -> list[dict]:
    return published_frames(ctx, topic, "typing")


async def test_the_agent_sees_the_visitors_draft(ctx):
    d = await Desk().build(ctx)
    state = peek.VisitorTyping()
    sent = await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=True, draft="I was charged tw")
    assert sent
    (frame,) = typing_frames(ctx, audience.agent_topic(d.ann.id))
    assert frame == {
        "type": "typing",
        "chat_id": d.chat_id,
        "author": {"type": "visitor"},
        "typing": True,
        "text": "I was charged tw",
    }
    # Nowhere else: not the visitor, not a queue.
    assert [t for t, p in ctx.published] == [audience.agent_topic(d.ann.id)]
    # Capped to the longest message a visitor may send; never stored.
    state.last_sent = -1e9
    await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=True, draft="y" * 9000)
    assert len(typing_frames(ctx, audience.agent_topic(d.ann.id))[-1]["text"]) == ctx.settings.max_message_chars
    async with ctx.db.read() as conn:
        bodies = [r[0] for r in await conn.execute(select(Message.body))]
    assert not any("charged tw" in b or "yyyy" in b for b in bodies)
    # Typing stopped: a plain frame, no text.
    await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=False)
    last = typing_frames(ctx, audience.agent_topic(d.ann.id))[-1]
    assert last["typing"] is False and "text" not in last
    err = await refused(
        peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=peek.VisitorTyping(), typing=True, draft=5),
        "bad_request",
    )
    assert err.field == "text"


async def test_with_sneak_peek_off_the_draft_is_dropped(ctx):
    d = await Desk().build(ctx)
    await departments.do_update_department(
        ctx=ctx, actor=d.admin, department_id=d.dept["id"], data={"sneak_peek": False}
    )
    await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=peek.VisitorTyping(), typing=True, draft="secret")
    (frame,) = typing_frames(ctx, audience.agent_topic(d.ann.id))
    assert frame["typing"] is True and "text" not in frame
    assert all("secret" not in payload for _t, payload in ctx.published)
    listed = {x["id"]: x for x in await departments.list_departments(ctx=ctx, actor=d.ann)}
    assert listed[d.dept["id"]]["sneak_peek"] is False
    err = await refused(
        departments.do_update_department(
            ctx=ctx, actor=d.admin, department_id=d.dept["id"], data={"sneak_peek": "yes"}
        ),
        "bad_request",
    )
    assert err.field == "sneak_peek"


async def test_a_waiting_visitors_draft_is_not_broadcast_to_the_queue(ctx):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "pickers", routing="pick")
    agent = await make_agent(ctx, admin)
    await staff(ctx, admin, dept["id"], [agent])
    visitor = await new_visitor(ctx)
    chat_id = await first_message(ctx, visitor, "pickers")
    ctx.published.clear()
    await peek.relay_visitor_typing(ctx=ctx, actor=visitor, state=peek.VisitorTyping(), typing=True, draft="hello?")
    (frame,) = typing_frames(ctx, audience.queue_topic(dept["id"]))
    assert frame["chat_id"] == chat_id and "text" not in frame


async def test_typing_frames_cost_no_query_each(ctx):
    d = await Desk().build(ctx)
    queries = []
    engine = ctx.db.read_engine.sync_engine

    def count(*_args, **_kw):  # type: ignore[no-untyped-def]
        queries.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        state = peek.VisitorTyping()
        for i in range(12):  # 12 frames, 120 ms apart (the widget sends at most every 300 ms)
            await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=True, draft="x" * (i + 1))
            await asyncio.sleep(0.12)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    relayed = typing_frames(ctx, audience.agent_topic(d.ann.id))
    assert len(relayed) >= 10
    assert len(queries) <= 2, f"{len(queries)} queries for {len(relayed)} typing frames"  # one per 1.5 s at most


async def test_the_cached_chat_follows_the_chat_within_a_moment(ctx, monkeypatch):
    """After the chat changes hands, drafts go to the new agent once the lookup is refreshed."""
    d = await Desk().build(ctx)
    await staff(ctx, d.admin, d.dept["id"], [d.ann, d.bob])
    state = peek.VisitorTyping()
    await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=True, draft="first")
    await transfers.do_transfer_chat(ctx=ctx, actor=d.ann, chat_id=d.chat_id, to_agent_id=d.bob.id)
    ctx.published.clear()
    monkeypatch.setattr(peek, "LOOKUP_TTL_SECONDS", 0.0)
    state.last_sent = -1e9
    await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=True, draft="second")
    assert typing_frames(ctx, audience.agent_topic(d.bob.id))[-1]["text"] == "second"
    assert not typing_frames(ctx, audience.agent_topic(d.ann.id))
    with contextlib.suppress(Exception):
        await chats.do_close_chat(ctx=ctx, actor=d.visitor, chat_id=d.chat_id)
    state.last_sent = -1e9
    assert not await peek.relay_visitor_typing(ctx=ctx, actor=d.visitor, state=state, typing=True, draft="gone")
