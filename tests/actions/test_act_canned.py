"""Canned responses against real databases: who sees and manages which, unknown variables
refused, sending one (rendered by the server, use counted, retried without a second count), and
scripted mode on both send paths (the group-commit writer and the one-message path)."""

from __future__ import annotations

import orjson
import pytest

from frontdesk.actions import canned, departments, notes, offers, transfers
from frontdesk.actions.chats import do_accept_chat, do_send_agent_message
from frontdesk.actions.visitors import do_update_visitor
from frontdesk.domain.canned import SCRIPTED_MESSAGE
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.routing_support import (
    chat,
    events,
    first_message,
    make_admin,
    make_agent,
    make_department,
    new_cid,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def refused(coro, code: str) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    assert info.value.code == code, info.value.message
    return info.value


class World:
    """sales (Ann level 1, Lev level 2) and billing (Bob level 1); a supervisor and an admin."""

    async def build(self, ctx, *, scripted: bool = False):
        self.ctx = ctx
        self.admin = await make_admin(ctx)
        self.supervisor = await make_agent(ctx, self.admin, role="supervisor", name="Sue")
        self.sales = await make_department(ctx, self.admin, "sales", scripted=scripted)
        self.billing = await make_department(ctx, self.admin, "billing")
        self.ann = await make_agent(ctx, self.admin, name="Ann")
        self.lev = await make_agent(ctx, self.admin, name="Lev")
        self.bob = await make_agent(ctx, self.admin, name="Bob")
        await departments.do_set_members(
            ctx=ctx,
            actor=self.admin,
            department_id=self.sales["id"],
            members=[{"user_id": self.ann.id, "level": 1}, {"user_id": self.lev.id, "level": 2}],
        )
        await departments.do_set_members(
            ctx=ctx, actor=self.admin, department_id=self.billing["id"], members=[{"user_id": self.bob.id}]
        )
        return self

    async def create(self, actor, **data):
        data.setdefault("title", data.get("shortcut", "t").title())
        data.setdefault("body", "Hello")
        return await canned.do_create_canned(ctx=self.ctx, actor=actor, data=data)

    async def chat_for(self, agent, department: str = "sales", visitor_name: str | None = "Maria") -> int:
        """A visitor's chat in `department`, accepted by `agent` (others decline the offer)."""
        visitor = await new_visitor(self.ctx)
        if visitor_name:
            await do_update_visitor(ctx=self.ctx, actor=visitor, fields={"name": visitor_name})
        chat_id = await first_message(self.ctx, visitor, department)
        row = await chat(self.ctx, chat_id)
        if row.offered_to not in (None, agent.id):
            await offers.do_decline_offer(ctx=self.ctx, actor=_actor(self, row.offered_to), chat_id=chat_id)
        await do_accept_chat(ctx=self.ctx, actor=agent, chat_id=chat_id)
        self.ctx.published.clear()
        return chat_id


def _actor(world: World, user_id: int):
    for a in (world.ann, world.lev, world.bob, world.supervisor, world.admin):
        if a.id == user_id:
            return a
    raise LookupError(user_id)


def shortcuts(listing) -> list[str]:
    return sorted(item["shortcut"] for item in listing["canned"])


# ---- managing ------------------------------------------------------------------------------


async def test_scopes_decide_who_sees_and_who_manages(ctx):
    w = await World().build(ctx)
    await w.create(w.admin, shortcut="hello", scope="global")
    await w.create(w.supervisor, shortcut="price", scope="department", department_id=w.sales["id"])
    await w.create(w.admin, shortcut="invoice", scope="department", department_id=w.billing["id"])
    mine = await w.create(w.ann, shortcut="mine")  # personal is the default
    assert mine["scope"] == "personal" and mine["editable"] is True
    await w.create(w.bob, shortcut="mine")  # unique per scope: Bob's own #mine is another one

    # Agents list what they may use: global, their departments', their own.
    assert shortcuts(await canned.list_canned(ctx=ctx, actor=w.ann)) == ["hello", "mine", "price"]
    assert shortcuts(await canned.list_canned(ctx=ctx, actor=w.bob)) == ["hello", "invoice", "mine"]
    # Those who manage shared ones see every department's, and only their own personal ones.
    assert shortcuts(await canned.list_canned(ctx=ctx, actor=w.supervisor)) == ["hello", "invoice", "price"]

    # Agents manage only their personal ones.
    error = await refused(w.create(w.ann, shortcut="g", scope="global"), "forbidden")
    assert error.field == "scope"
    await refused(w.create(w.ann, shortcut="d", scope="department", department_id=w.sales["id"]), "forbidden")
    hello = next(i for i in (await canned.list_canned(ctx=ctx, actor=w.ann))["canned"] if i["shortcut"] == "hello")
    assert hello["editable"] is False
    await refused(
        canned.do_update_canned(ctx=ctx, actor=w.ann, canned_id=hello["id"], data={"body": "Changed"}), "forbidden"
    )
    await refused(canned.do_delete_canned(ctx=ctx, actor=w.ann, canned_id=hello["id"]), "forbidden")
    await refused(
        canned.do_update_canned(ctx=ctx, actor=w.ann, canned_id=mine["id"], data={"scope": "global"}), "forbidden"
    )
    # Someone else's personal response does not exist for you, even for an admin.
    await refused(canned.do_update_canned(ctx=ctx, actor=w.bob, canned_id=mine["id"], data={"title": "x"}), "not_found")
    await refused(canned.do_delete_canned(ctx=ctx, actor=w.admin, canned_id=mine["id"]), "not_found")

    # Ann edits and deletes her own; a supervisor edits a shared one.
    changed = await canned.do_update_canned(
        ctx=ctx, actor=w.ann, canned_id=mine["id"], data={"body": "Hi {{visitor.name}}", "shortcut": "#hi"}
    )
    assert changed["shortcut"] == "hi" and changed["variables"] == ["visitor.name"]
    moved = await canned.do_update_canned(
        ctx=ctx,
        actor=w.supervisor,
        canned_id=hello["id"],
        data={"scope": "department", "department_id": w.billing["id"]},
    )
    assert moved["department"] == {"id": w.billing["id"], "name": "Billing"}
    assert shortcuts(await canned.list_canned(ctx=ctx, actor=w.ann)) == ["hi", "price"]
    await canned.do_delete_canned(ctx=ctx, actor=w.ann, canned_id=mine["id"])
    assert shortcuts(await canned.list_canned(ctx=ctx, actor=w.ann)) == ["price"]


async def test_bad_input_is_refused_naming_the_field(ctx):
    w = await World().build(ctx)
    error = await refused(w.create(w.ann, shortcut="age", body="You are {{visitor.age}}"), "bad_request")
    assert (error.field, error.message) == ("body", "body: unknown variable {{visitor.age}}")
    error = await refused(w.create(w.ann, shortcut="x", fallbacks={"visitor.age": "?"}), "bad_request")
    assert error.field == "fallbacks.visitor.age"
    for data, field in (
        ({"shortcut": "Bad One"}, "shortcut"),
        ({"shortcut": "ok", "title": ""}, "title"),
        ({"shortcut": "ok", "scope": "team"}, "scope"),
        ({"shortcut": "ok", "scope": "department"}, "department_id"),
        ({"shortcut": "ok", "scope": "department", "department_id": 999_999}, "department_id"),
        ({"shortcut": "ok", "scope": "personal", "department_id": w.sales["id"]}, "department_id"),
        ({"shortcut": "ok", "colour": "red"}, "colour"),
    ):
        error = await refused(w.create(w.admin, **data), "bad_request")
        assert error.field == field, (data, error.message)
    await refused(canned.do_create_canned(ctx=ctx, actor=w.ann, data={"title": "t", "body": "b"}), "bad_request")
    await w.create(w.admin, shortcut="refund", scope="global")
    error = await refused(w.create(w.supervisor, shortcut="#refund", scope="global"), "conflict")
    assert error.field == "shortcut" and "#refund" in error.message
    nothing_saved = await canned.list_canned(ctx=ctx, actor=w.admin)
    assert shortcuts(nothing_saved) == ["refund"]


# ---- sending -------------------------------------------------------------------------------


async def test_send_renders_on_the_server_and_counts_use(sctx):
    ctx = sctx
    w = await World().build(ctx)
    greet = await w.create(
        w.admin,
        shortcut="greet",
        scope="global",
        body="Hi {{visitor.name}}, {{agent.name}} from {{department.name}} here. We write to {{visitor.email}}.",
        fallbacks={"visitor.email": "your address"},
    )
    chat_id = await w.chat_for(w.ann)

    listing = await canned.list_canned(ctx=ctx, actor=w.ann, chat_id=chat_id)
    preview = next(i["preview"] for i in listing["canned"] if i["id"] == greet["id"])
    expected = "Hi Maria, Ann from Sales here. We write to your address."
    assert preview == expected

    cid = new_cid()
    result = await do_send_agent_message(
        ctx=ctx, actor=w.ann, chat_id=chat_id, text="whatever the client says", client_id=cid, canned_id=greet["id"]
    )
    assert result.event["text"] == expected
    assert result.event["data"] == {"canned_id": greet["id"]}
    stored = (await events(ctx, chat_id))[-1]
    assert (stored.body, stored.data, stored.agent_id) == (expected, {"canned_id": greet["id"]}, w.ann.id)
    # the visitor got the rendered text, no braces
    visitor_frames = [orjson.loads(p) for t, p in ctx.published if t.startswith("visitor:")]
    assert [f["text"] for f in visitor_frames if f.get("type") == "event"] == [expected]

    # a retry with the same client id: the original, counted once
    again = await do_send_agent_message(
        ctx=ctx, actor=w.ann, chat_id=chat_id, text=None, client_id=cid, canned_id=greet["id"]
    )
    assert again.duplicate and again.event["seq"] == result.event["seq"]
    await do_send_agent_message(
        ctx=ctx, actor=w.ann, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=greet["id"]
    )
    after = next(i for i in (await canned.list_canned(ctx=ctx, actor=w.admin))["canned"] if i["id"] == greet["id"])
    assert after["use_count"] == 2 and after["last_used_at"] is not None


async def test_no_value_and_no_fallback_never_shows_braces(ctx):
    w = await World().build(ctx)
    greet = await w.create(w.ann, shortcut="hey", body="Hi {{visitor.name}}, how can I help?")
    only_name = await w.create(w.ann, shortcut="name", body="{{visitor.name}}")
    chat_id = await w.chat_for(w.ann, visitor_name=None)
    result = await do_send_agent_message(
        ctx=ctx, actor=w.ann, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=greet["id"]
    )
    assert result.event["text"] == "Hi, how can I help?"
    error = await refused(
        do_send_agent_message(
            ctx=ctx, actor=w.ann, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=only_name["id"]
        ),
        "bad_request",
    )
    assert error.field == "canned_id"


async def test_only_responses_usable_in_the_chat_can_be_sent(ctx):
    w = await World().build(ctx)
    invoice = await w.create(w.admin, shortcut="invoice", scope="department", department_id=w.billing["id"])
    bobs = await w.create(w.bob, shortcut="bobs")
    chat_id = await w.chat_for(w.ann)
    for response in (invoice, bobs):
        error = await refused(
            do_send_agent_message(
                ctx=ctx, actor=w.ann, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=response["id"]
            ),
            "not_found",
        )
        assert error.field == "canned_id"
    for bad in ("7", 0, True, -1):
        error = await refused(
            do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=bad),
            "bad_request",
        )
        assert error.field == "canned_id"
    listing = await canned.list_canned(ctx=ctx, actor=w.ann, chat_id=chat_id)
    assert shortcuts(listing) == []
    # another agent's chat: not theirs to answer, canned or not
    hello = await w.create(w.admin, shortcut="hello", scope="global")
    await refused(
        do_send_agent_message(
            ctx=ctx, actor=w.lev, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=hello["id"]
        ),
        "forbidden",
    )
    assert [e.kind for e in await events(ctx, chat_id)][-1] == "chat.assigned"  # nothing stored


# ---- scripted mode -------------------------------------------------------------------------


async def test_scripted_department_refuses_level_one_free_text(sctx):
    ctx = sctx
    w = await World().build(ctx, scripted=True)
    hello = await w.create(w.admin, shortcut="hello", scope="global", body="Hello {{visitor.name}}!")
    ann_chat = await w.chat_for(w.ann)
    error = await refused(
        do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=ann_chat, text="Free text", client_id=new_cid()), "scripted"
    )
    assert error.message == SCRIPTED_MESSAGE
    # a canned response goes through; internal notes are never restricted
    sent = await do_send_agent_message(
        ctx=ctx, actor=w.ann, chat_id=ann_chat, text=None, client_id=new_cid(), canned_id=hello["id"]
    )
    assert sent.event["text"] == "Hello Maria!"
    await notes.do_add_note(ctx=ctx, actor=w.ann, chat_id=ann_chat, text="a note", client_id=new_cid())
    assert "Free text" not in [e.body for e in await events(ctx, ann_chat)]

    # level 2, supervisors and admins type freely
    lev_chat = await w.chat_for(w.lev)
    await do_send_agent_message(ctx=ctx, actor=w.lev, chat_id=lev_chat, text="Level two", client_id=new_cid())
    for lead in (w.supervisor, w.admin):
        lead_chat = await w.chat_for(lead)
        await do_send_agent_message(ctx=ctx, actor=lead, chat_id=lead_chat, text="A lead", client_id=new_cid())

    # a billing agent (not a member of sales) who gets a sales chat is first-level there
    bob_chat = await w.chat_for(w.ann)
    await transfers.do_transfer_chat(ctx=ctx, actor=w.ann, chat_id=bob_chat, to_agent_id=w.bob.id)
    await refused(
        do_send_agent_message(ctx=ctx, actor=w.bob, chat_id=bob_chat, text="hi", client_id=new_cid()), "scripted"
    )

    # turned off: Ann types freely again, at once
    await departments.do_update_department(
        ctx=ctx, actor=w.admin, department_id=w.sales["id"], data={"scripted": False}
    )
    await do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=ann_chat, text="Free now", client_id=new_cid())
    # and promoted: level 2 is never restricted
    await departments.do_update_department(ctx=ctx, actor=w.admin, department_id=w.sales["id"], data={"scripted": True})
    await refused(
        do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=ann_chat, text="again", client_id=new_cid()), "scripted"
    )
    await departments.do_set_members(
        ctx=ctx,
        actor=w.admin,
        department_id=w.sales["id"],
        members=[{"user_id": w.ann.id, "level": 2}, {"user_id": w.lev.id, "level": 2}],
    )
    await do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=ann_chat, text="Promoted", client_id=new_cid())


async def test_scripted_refusal_in_a_batch_spares_the_others(ctx):
    """Several sends in one group commit: only the level-1 agent's free text is refused."""
    import asyncio

    w = await World().build(ctx, scripted=True)
    ann_chat = await w.chat_for(w.ann)
    lev_chat = await w.chat_for(w.lev)
    bob_chat = await w.chat_for(w.bob, department="billing")
    results = await asyncio.gather(
        do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=ann_chat, text="one", client_id=new_cid()),
        do_send_agent_message(ctx=ctx, actor=w.lev, chat_id=lev_chat, text="two", client_id=new_cid()),
        do_send_agent_message(ctx=ctx, actor=w.bob, chat_id=bob_chat, text="three", client_id=new_cid()),
        return_exceptions=True,
    )
    assert isinstance(results[0], ChatRuleError) and results[0].code == "scripted"
    assert [r.event["text"] for r in results[1:]] == ["two", "three"]


async def test_department_payload_carries_scripted(ctx):
    w = await World().build(ctx, scripted=True)
    listed = {d["slug"]: d for d in await departments.list_departments(ctx=ctx, actor=w.ann)}
    assert listed["sales"]["scripted"] is True and listed["billing"]["scripted"] is False
    error = await refused(
        departments.do_update_department(ctx=ctx, actor=w.admin, department_id=w.sales["id"], data={"scripted": "yes"}),
        "bad_request",
    )
    assert error.field == "scripted"


async def test_another_nodes_change_applies_within_the_ttl(sctx, monkeypatch):
    """Each process caches the scripted departments; a change made elsewhere (here: straight in
    the database, as another node would) applies once the cache is due, its own changes at once."""
    import asyncio

    from sqlalchemy import update

    from frontdesk.store.models import Department

    ctx = sctx
    w = await World().build(ctx)
    chat_id = await w.chat_for(w.ann)
    await do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=chat_id, text="free", client_id=new_cid())
    async with ctx.db.write() as conn:  # "another node" turns scripted mode on
        await conn.execute(update(Department).where(Department.id == w.sales["id"]).values(scripted=True))
    await do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=chat_id, text="still cached", client_id=new_cid())
    monkeypatch.setattr(canned, "SCRIPTED_TTL", 0.05)
    await asyncio.sleep(0.1)
    await refused(
        do_send_agent_message(ctx=ctx, actor=w.ann, chat_id=chat_id, text="now refused", client_id=new_cid()),
        "scripted",
    )
