"""Transfers (to an agent, to a department), internal notes that never reach the visitor, and
deleting a department (waiting chats to the fallback or closed as missed; active chats stay)."""

from __future__ import annotations

import orjson
import pytest

from frontdesk.actions import availability, departments, notes, offers, reads, transfers
from frontdesk.actions.chats import do_accept_chat, do_send_agent_message
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.routing_support import (
    chat,
    check_chat_invariants,
    events,
    first_message,
    make_admin,
    make_agent,
    make_department,
    new_cid,
    published_frames,
    routing_log,
    staff,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOTE = "internal: VIP customer, refund already approved"


class World:
    """sales (a, b) and billing (c); a visitor whose chat in sales a has accepted."""

    async def build(self, ctx, **billing_fields):
        self.ctx = ctx
        self.admin = await make_admin(ctx)
        self.sales = await make_department(ctx, self.admin, "sales")
        self.billing = await make_department(ctx, self.admin, "billing", **billing_fields)
        self.a, self.b, self.c = [await make_agent(ctx, self.admin, name=n) for n in ("Ann", "Bob", "Cat")]
        await staff(ctx, self.admin, self.sales["id"], [self.a, self.b])
        await staff(ctx, self.admin, self.billing["id"], [self.c])
        self.visitor = await new_visitor(ctx)
        self.chat_id = await first_message(ctx, self.visitor, "sales")
        await ctx.router.run_once()
        offered = (await chat(ctx, self.chat_id)).offered_to
        if offered != self.a.id:
            await offers.do_decline_offer(ctx=ctx, actor=self.b, chat_id=self.chat_id)
        await do_accept_chat(ctx=ctx, actor=self.a, chat_id=self.chat_id)
        ctx.published.clear()
        return self


async def refused(coro, code: str) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    assert info.value.code == code, info.value.message
    return info.value


def event_topics(ctx, kind: str, chat_id: int) -> list[str]:
    """Where stored events of this kind were published."""
    out = []
    for topic, payload in ctx.published:
        frame = orjson.loads(payload)
        if frame.get("type") == "event" and frame["kind"] == kind and frame["chat_id"] == chat_id:
            out.append(topic)
    return sorted(out)


def visitor_never_saw(ctx, visitor, text: str) -> None:
    for topic, payload in ctx.published:
        if text in payload:
            # agents' topics only (chat:{id} is for agent sockets that follow the chat)
            assert topic.startswith(("agent:", "queue:", "chat:")), f"{text!r} was published to {topic}"
    assert all(f.get("kind") != "note" for f in published_frames(ctx, f"visitor:{visitor.visitor_id}"))


async def test_transfer_to_an_agent_keeps_the_chat_active_with_them(ctx):
    w = await World().build(ctx)
    last_seq = (await chat(ctx, w.chat_id)).last_seq
    result = await transfers.do_transfer_chat(ctx=ctx, actor=w.a, chat_id=w.chat_id, to_agent_id=w.b.id, note=NOTE)
    assert result["to_agent"] == {"id": w.b.id, "name": "Bob"} and result["from_agent"]["id"] == w.a.id
    row = await chat(ctx, w.chat_id)
    assert (row.status, row.assignee_id, row.department_id) == ("active", w.b.id, w.sales["id"])
    stored = await events(ctx, w.chat_id)
    assert [e.seq for e in stored] == list(range(1, last_seq + 3))
    transferred, note = stored[-2:]
    assert (transferred.kind, transferred.internal) == ("chat.transferred", False)
    assert (note.kind, note.internal, note.body, note.agent_id) == ("note", True, NOTE, w.a.id)
    (logged,) = await routing_log(ctx, chat_id=w.chat_id, kind="transferred")
    assert (logged.agent_id, logged.data["from_agent_id"]) == (w.b.id, w.a.id)

    # Both agents and the visitor hear of the transfer; the note only reaches agents.
    assert event_topics(ctx, "chat.transferred", w.chat_id) == sorted(
        [f"agent:{w.a.id}", f"agent:{w.b.id}", f"visitor:{w.visitor.visitor_id}", f"chat:{w.chat_id}"]
    )
    assert event_topics(ctx, "note", w.chat_id) == sorted([f"agent:{w.a.id}", f"agent:{w.b.id}", f"chat:{w.chat_id}"])
    visitor_never_saw(ctx, w.visitor, NOTE)
    # Reads: the visitor's transcript has no note (and no gap that reveals content); agents see it.
    seen = (await reads.events_for_visitor(ctx=ctx, actor=w.visitor, chat_id=w.chat_id))["events"]
    assert "note" not in [e["kind"] for e in seen] and NOTE not in str(seen)
    assert seen[-1]["kind"] == "chat.transferred"
    agent_view = (await reads.events_for_agent(ctx=ctx, actor=w.b, chat_id=w.chat_id))["events"]
    assert agent_view[-1]["kind"] == "note" and agent_view[-1]["text"] == NOTE

    # Now b answers; a no longer may.
    await refused(
        do_send_agent_message(ctx=ctx, actor=w.a, chat_id=w.chat_id, text="hi", client_id=new_cid()), "forbidden"
    )
    await do_send_agent_message(ctx=ctx, actor=w.b, chat_id=w.chat_id, text="Bob here", client_id=new_cid())
    await check_chat_invariants(ctx, [w.visitor.visitor_id])


async def test_notes_are_internal(ctx):
    w = await World().build(ctx)
    await notes.do_add_note(ctx=ctx, actor=w.a, chat_id=w.chat_id, text=NOTE, client_id=new_cid())
    assert event_topics(ctx, "note", w.chat_id) == [f"agent:{w.a.id}", f"chat:{w.chat_id}"]  # and its followers
    visitor_never_saw(ctx, w.visitor, NOTE)
    seen = (await reads.events_for_visitor(ctx=ctx, actor=w.visitor, chat_id=w.chat_id))["events"]
    assert NOTE not in str(seen)


async def test_transfer_to_an_agent_is_refused_when_they_cannot_take_it(ctx):
    w = await World().build(ctx)
    seq = (await chat(ctx, w.chat_id)).last_seq

    async def transfer(actor=None, **target):
        return await transfers.do_transfer_chat(ctx=ctx, actor=actor or w.a, chat_id=w.chat_id, **target)

    await availability.do_set_agent_status(ctx, w.b.id, "away")
    assert "not online" in (await refused(transfer(to_agent_id=w.b.id), "conflict")).message
    await availability.do_set_agent_status(ctx, w.b.id, "online")
    await ctx.presence.agent_disconnected(w.b.id)
    assert "not online" in (await refused(transfer(to_agent_id=w.b.id), "conflict")).message
    await ctx.presence.agent_connected(w.b.id)
    await refused(transfer(to_agent_id=w.a.id), "conflict")  # already theirs
    await refused(transfer(to_agent_id=10_000), "not_found")
    await refused(transfer(to_agent_id=w.b.id, to_department_id=w.billing["id"]), "bad_request")
    await refused(transfer(), "bad_request")
    await refused(transfer(to_agent_id="2"), "bad_request")
    # Another agent (not the chat's) may not hand it over.
    error = await refused(transfer(actor=w.b, to_agent_id=w.c.id), "forbidden")
    assert "chat's agent" in error.message
    assert (await chat(ctx, w.chat_id)).last_seq == seq  # nothing was written by any refusal


async def test_a_full_agent_is_refused_and_a_supervisor_may_transfer_any_chat(ctx):
    w = await World().build(ctx)
    for _ in range(3):
        other = await first_message(ctx, await new_visitor(ctx), "billing")
        await ctx.router.run_once()
        await do_accept_chat(ctx=ctx, actor=w.c, chat_id=other)
    error = await refused(
        transfers.do_transfer_chat(ctx=ctx, actor=w.a, chat_id=w.chat_id, to_agent_id=w.c.id), "conflict"
    )
    assert "Cat has no room (3 of 3 chats)" in error.message
    assert (await chat(ctx, w.chat_id)).assignee_id == w.a.id
    supervisor = await make_agent(ctx, w.admin, role="supervisor")
    await transfers.do_transfer_chat(ctx=ctx, actor=supervisor, chat_id=w.chat_id, to_agent_id=w.b.id)
    assert (await chat(ctx, w.chat_id)).assignee_id == w.b.id


async def test_transfer_to_a_department_requeues_it_there(ctx):
    w = await World().build(ctx)
    result = await transfers.do_transfer_chat(
        ctx=ctx, actor=w.a, chat_id=w.chat_id, to_department_id=w.billing["id"], note=NOTE
    )
    assert result["to_department"] == {"id": w.billing["id"], "slug": "billing", "name": "Billing"}
    row = await chat(ctx, w.chat_id)
    assert (row.status, row.assignee_id, row.department_id, row.offered_to) == ("queued", None, w.billing["id"], None)
    # The note goes to the new queue and the previous agent, never to the visitor.
    assert event_topics(ctx, "note", w.chat_id) == sorted(
        [f"queue:{w.billing['id']}", f"agent:{w.a.id}", f"chat:{w.chat_id}"]
    )
    visitor_never_saw(ctx, w.visitor, NOTE)
    assert any(
        f["kind"] == "chat.transferred" for f in published_frames(ctx, f"visitor:{w.visitor.visitor_id}", "event")
    )
    await ctx.router.run_once()
    assert (await chat(ctx, w.chat_id)).offered_to == w.c.id
    await do_accept_chat(ctx=ctx, actor=w.c, chat_id=w.chat_id)
    seen = (await reads.events_for_visitor(ctx=ctx, actor=w.visitor, chat_id=w.chat_id))["events"]
    assert NOTE not in str(seen)
    await check_chat_invariants(ctx, [w.visitor.visitor_id])


@pytest.mark.parametrize(
    ("setup", "why"),
    [("nobody", "nobody is online there"), ("closed", "it is closed now"), ("full", "its queue is full")],
)
async def test_transfer_to_a_department_that_cannot_take_it_is_refused(ctx, setup, why):
    w = await World().build(ctx, max_queue=1)
    if setup == "nobody":
        await availability.do_set_agent_status(ctx, w.c.id, "away")
    elif setup == "closed":
        await departments.do_update_department(
            ctx=ctx,
            actor=w.admin,
            department_id=w.billing["id"],
            data={"hours": {"timezone": "UTC", "exceptions": [{"date": d, "closed": True} for d in _dates()]}},
        )
    else:
        await first_message(ctx, await new_visitor(ctx), "billing")
    seq = (await chat(ctx, w.chat_id)).last_seq
    error = await refused(
        transfers.do_transfer_chat(ctx=ctx, actor=w.a, chat_id=w.chat_id, to_department_id=w.billing["id"]), "conflict"
    )
    assert error.message == f"Cannot transfer to Billing: {why}."
    assert error.field == "to_department_id"
    row = await chat(ctx, w.chat_id)
    assert (row.status, row.assignee_id, row.department_id, row.last_seq) == ("active", w.a.id, w.sales["id"], seq)
    await refused(
        transfers.do_transfer_chat(ctx=ctx, actor=w.a, chat_id=w.chat_id, to_department_id=99_999), "not_found"
    )


def _dates():
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return [(today + timedelta(days=d)).isoformat() for d in (-1, 0, 1)]


async def test_only_a_chat_in_progress_can_be_transferred(ctx):
    w = await World().build(ctx)
    queued = await first_message(ctx, await new_visitor(ctx), "sales")
    await refused(transfers.do_transfer_chat(ctx=ctx, actor=w.a, chat_id=queued, to_agent_id=w.b.id), "conflict")
    await refused(transfers.do_transfer_chat(ctx=ctx, actor=w.a, chat_id=10**9, to_agent_id=w.b.id), "not_found")


# ---------------------------------------------------------------- deleting a department


async def test_delete_moves_waiting_chats_to_the_fallback(ctx):
    w = await World().build(ctx)
    await departments.do_update_department(
        ctx=ctx, actor=w.admin, department_id=w.sales["id"], data={"fallback_department_id": w.billing["id"]}
    )
    waiting_visitor = await new_visitor(ctx)
    waiting = await first_message(ctx, waiting_visitor, "sales")
    await ctx.router.run_once()
    assert (await chat(ctx, waiting)).offered_to is not None
    await refused(departments_delete(ctx, w.a, w.sales["id"]), "forbidden")  # admins only
    result = await departments_delete(ctx, w.admin, w.sales["id"])
    assert sorted(result["moved"]) == sorted([w.chat_id, waiting]) and result["missed"] == []
    assert result["moved_to"] == w.billing["id"]
    row = await chat(ctx, waiting)
    assert (row.status, row.department_id, row.offered_to, row.missed) == ("queued", w.billing["id"], None, False)
    active = await chat(ctx, w.chat_id)
    assert (active.status, active.assignee_id, active.department_id) == ("active", w.a.id, w.billing["id"])
    assert "sales" not in [d["slug"] for d in await departments.widget_departments(ctx=ctx)]
    await ctx.router.run_once()
    assert (await chat(ctx, waiting)).offered_to == w.c.id  # billing's agent
    await check_chat_invariants(ctx, [w.visitor.visitor_id, waiting_visitor.visitor_id])


async def test_delete_without_fallback_closes_waiting_chats_as_missed(ctx):
    w = await World().build(ctx)
    waiting_visitor = await new_visitor(ctx)
    waiting = await first_message(ctx, waiting_visitor, "sales")
    await departments.do_update_department(
        ctx=ctx, actor=w.admin, department_id=w.billing["id"], data={"fallback_department_id": w.sales["id"]}
    )
    ctx.published.clear()
    result = await departments_delete(ctx, w.admin, w.sales["id"])
    assert result["missed"] == [waiting] and result["moved"] == [w.chat_id]
    row = await chat(ctx, waiting)
    assert (row.status, row.missed, row.closed_by) == ("closed", True, "system")
    closed = (await events(ctx, waiting))[-1]
    assert (closed.kind, closed.data) == ("chat.closed", {"by": "system", "reason": "department_deleted"})
    frames = published_frames(ctx, f"visitor:{waiting_visitor.visitor_id}", "event")
    assert [f["data"].get("reason") for f in frames if f["kind"] == "chat.closed"] == ["department_deleted"]
    (missed,) = await routing_log(ctx, chat_id=waiting, kind="missed")
    assert missed.data["reason"] == "department_deleted"
    # The chat in progress stays with its agent, in the default department.
    general = [d for d in await departments.list_departments(ctx=ctx, actor=w.admin) if d["slug"] == "general"][0]
    active = await chat(ctx, w.chat_id)
    assert (active.status, active.assignee_id, active.department_id) == ("active", w.a.id, general["id"])
    # billing's fallback pointed at the deleted department: it is cleared, not dangling.
    billing = [d for d in await departments.list_departments(ctx=ctx, actor=w.admin) if d["slug"] == "billing"][0]
    assert billing["fallback_department_id"] is None
    await check_chat_invariants(ctx, [w.visitor.visitor_id, waiting_visitor.visitor_id])


async def test_the_last_department_cannot_be_deleted(ctx):
    admin = await make_admin(ctx)
    (general,) = await departments.list_departments(ctx=ctx, actor=admin)
    error = await refused(departments_delete(ctx, admin, general["id"]), "conflict")
    assert "last department" in error.message
    await refused(departments_delete(ctx, admin, 99_999), "not_found")
    # With a second one, the default department itself can go; chats then live in the other.
    other = await make_department(ctx, admin, "other")
    await departments_delete(ctx, admin, general["id"])
    assert [d["slug"] for d in await departments.list_departments(ctx=ctx, actor=admin)] == ["other"]
    await refused(departments_delete(ctx, admin, other["id"]), "conflict")


async def departments_delete(ctx, actor, department_id):
    return await departments.do_delete_department(ctx=ctx, actor=actor, department_id=department_id)
