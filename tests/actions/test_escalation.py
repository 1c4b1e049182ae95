"""Escalation tiers: a chat goes to the next level with a reason, is offered (auto) or shown
(pick) only to agents of that level or higher, waits queued when none is there, and its reason
never reaches the visitor. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest

from frontdesk.actions import availability, departments, dispatch, escalation, offers, reads, transfers
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.routing_support import (
    bring_online,
    chat,
    check_chat_invariants,
    first_message,
    make_admin,
    make_agent,
    make_department,
    new_cid,
    published_frames,
    routing_log,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")

REASON_DETAIL = "customer 4471: refund over the first-line limit"


async def set_levels(ctx, admin, department_id: int, levels: dict) -> None:
    await departments.do_set_members(
        ctx=ctx,
        actor=admin,
        department_id=department_id,
        members=[{"user_id": a.id, "level": lv} for a, lv in levels.items()],
    )


async def refused(coro, code: str) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    assert info.value.code == code, info.value.message
    return info.value


class Tiers:
    """A department (auto or pick) with first-level agents ann and bob and a level-2 specialist
    sam; a visitor whose chat ann has accepted and answered."""

    async def build(self, ctx, *, routing_mode: str = "auto", specialist_online: bool = True):
        self.ctx = ctx
        self.admin = await make_admin(ctx)
        self.dept = await make_department(ctx, self.admin, f"support-{routing_mode}", routing=routing_mode)
        self.ann = await make_agent(ctx, self.admin, name="Ann")
        self.bob = await make_agent(ctx, self.admin, name="Bob")
        self.sam = await make_agent(ctx, self.admin, name="Sam", online=specialist_online)
        await set_levels(ctx, self.admin, self.dept["id"], {self.ann: 1, self.bob: 1, self.sam: 2})
        self.visitor = await new_visitor(ctx)
        self.chat_id = await first_message(ctx, self.visitor, self.dept["slug"], text="my refund is wrong")
        await ctx.router.run_once()
        row = await chat(ctx, self.chat_id)
        if row.offered_to not in (None, self.ann.id):
            await offers.do_decline_offer(ctx=ctx, actor=await self.person(row.offered_to), chat_id=self.chat_id)
        await do_accept_chat(ctx=ctx, actor=self.ann, chat_id=self.chat_id)
        await do_send_agent_message(
            ctx=ctx, actor=self.ann, chat_id=self.chat_id, text="Let me check that for you.", client_id=new_cid()
        )
        ctx.published.clear()
        return self

    async def person(self, user_id):
        return next(a for a in (self.ann, self.bob, self.sam) if a.id == user_id)

    async def escalate(self, actor=None, reason="billing", detail=REASON_DETAIL):
        return await escalation.do_escalate_chat(
            ctx=self.ctx, actor=actor or self.ann, chat_id=self.chat_id, reason=reason, detail=detail
        )


def visitor_frames(ctx, visitor) -> list[str]:
    topic = audience.visitor_topic(visitor.visitor_id)
    return [payload for t, payload in ctx.published if t == topic]


async def test_an_escalated_chat_is_offered_only_to_the_level_two_agent(ctx):
    t = await Tiers().build(ctx)
    result = await t.escalate()
    assert result["to_level"] == 2
    row = await chat(ctx, t.chat_id)
    assert (row.status, row.assignee_id, row.required_level) == ("queued", None, 2)
    # bob (level 1, no chats) has more room than anyone: still, only sam is offered it.
    await ctx.router.run_once()
    assert (await chat(ctx, t.chat_id)).offered_to == t.sam.id
    offers = published_frames(ctx, type_="chat.offered")
    assert [f["chat"]["id"] for f in offers] == [t.chat_id]
    assert published_frames(ctx, audience.agent_topic(t.sam.id), "chat.offered")
    assert not published_frames(ctx, audience.agent_topic(t.bob.id), "chat.offered")
    assert not published_frames(ctx, audience.agent_topic(t.ann.id), "chat.offered")
    await do_accept_chat(ctx=ctx, actor=t.sam, chat_id=t.chat_id)
    assert (await chat(ctx, t.chat_id)).assignee_id == t.sam.id
    # The specialist has the history and the reason (an internal note with its data).
    page = await reads.events_for_agent(ctx=ctx, actor=t.sam, chat_id=t.chat_id)
    kinds = [e["kind"] for e in page["events"]]
    assert kinds == ["chat.started", "message", "chat.assigned", "message", "chat.escalated", "note", "chat.assigned"]
    note = page["events"][5]
    assert REASON_DETAIL in note["text"] and "Billing" in note["text"]
    assert note["data"]["escalation"] == {
        "reason": "billing",
        "label": "Billing, refund or account decision",
        "detail": REASON_DETAIL,
        "from_level": 1,
        "to_level": 2,
    }
    await check_chat_invariants(ctx)


async def test_the_reason_never_reaches_the_visitor(ctx):
    t = await Tiers().build(ctx)
    await t.escalate()
    await ctx.router.run_once()
    frames = visitor_frames(ctx, t.visitor)
    assert frames, "the visitor hears of the escalation"
    for payload in frames:
        assert REASON_DETAIL not in payload and "billing" not in payload.lower(), payload
    told = [orjson.loads(p) for p in frames if '"chat.escalated"' in p]
    assert len(told) == 1 and told[0]["data"]["to_level"] == 2
    assert set(told[0]["data"]) == {"from_agent", "to_level"}
    # Nor by sync (reconnect): the note is left out, and it is the only thing left out.
    page = await reads.events_for_visitor(ctx=ctx, actor=t.visitor, chat_id=t.chat_id)
    assert "note" not in [e["kind"] for e in page["events"]]
    assert REASON_DETAIL not in orjson.dumps(page).decode()
    # Agents of the queue did get the note (it is for them).
    queue_notes = [f for f in published_frames(ctx, audience.queue_topic(t.dept["id"]), "event") if f["kind"] == "note"]
    assert queue_notes and REASON_DETAIL in queue_notes[0]["text"]
    # The visitor keeps seeing their place in the queue, as any waiting visitor does.
    assert published_frames(ctx, audience.visitor_topic(t.visitor.visitor_id), "queue")


async def test_it_waits_queued_when_no_specialist_is_available(ctx):
    t = await Tiers().build(ctx, specialist_online=False)
    await t.escalate()
    await ctx.router.run_once()
    row = await chat(ctx, t.chat_id)
    assert (row.status, row.offered_to) == ("queued", None)
    positions = published_frames(ctx, audience.visitor_topic(t.visitor.visitor_id), "queue")
    assert positions and positions[-1]["position"] == 1
    assert positions[-1]["estimated_wait_seconds"] is None  # nobody of that level can serve it now
    # A first-level chat behind it is not held up.
    other = await new_visitor(ctx)
    behind = await first_message(ctx, other, t.dept["slug"])
    await ctx.router.run_once()
    assert (await chat(ctx, behind)).offered_to in (t.ann.id, t.bob.id)
    assert (await chat(ctx, t.chat_id)).offered_to is None
    # The specialist comes online: it is theirs.
    await bring_online(ctx, t.sam.id)
    await ctx.router.run_once()
    assert (await chat(ctx, t.chat_id)).offered_to == t.sam.id


async def test_it_keeps_its_place_in_the_queue(ctx):
    t = await Tiers().build(ctx, specialist_online=False)
    later = await first_message(ctx, await new_visitor(ctx), t.dept["slug"])  # queued after our chat
    for a in (t.ann, t.bob):
        await availability.do_set_agent_status(ctx, a.id, "away")
    before = (await chat(ctx, t.chat_id)).queued_at
    await t.escalate()
    assert (await chat(ctx, t.chat_id)).queued_at == before
    waiting = await reads.list_chats(ctx=ctx, actor=t.admin, status="queued")
    ids = [c["id"] for c in waiting["chats"]]
    assert ids.index(t.chat_id) < ids.index(later)
    summary = next(c for c in waiting["chats"] if c["id"] == t.chat_id)
    assert summary["required_level"] == 2


async def test_escalating_at_the_top_level_is_refused(ctx):
    t = await Tiers().build(ctx)
    await t.escalate()
    await ctx.router.run_once()
    await do_accept_chat(ctx=ctx, actor=t.sam, chat_id=t.chat_id)
    ctx.published.clear()
    err = await refused(t.escalate(actor=t.sam), "conflict")
    assert "no higher level" in err.message
    row = await chat(ctx, t.chat_id)
    assert (row.status, row.assignee_id, row.required_level) == ("active", t.sam.id, 2)
    assert not ctx.published  # nothing happened
    # A department whose members are all level 1 has nowhere to escalate to.
    flat = await make_department(ctx, t.admin, "flat")
    await set_levels(ctx, t.admin, flat["id"], {t.bob: 1})
    cid = await first_message(ctx, await new_visitor(ctx), "flat")
    await do_accept_chat(ctx=ctx, actor=t.bob, chat_id=cid)
    await refused(escalation.do_escalate_chat(ctx=ctx, actor=t.bob, chat_id=cid, reason="technical"), "conflict")


async def test_routing_log_counts_escalations_by_reason(ctx):
    t = await Tiers().build(ctx)
    await t.escalate()
    (logged,) = await routing_log(ctx, chat_id=t.chat_id, kind="escalated")
    assert logged.agent_id == t.ann.id and logged.department_id == t.dept["id"]
    assert logged.data == {"reason": "billing", "detail": REASON_DETAIL, "from_level": 1, "to_level": 2}
    # Two more escalations, for other reasons.
    for reason in ("technical", "billing"):
        v = await new_visitor(ctx)
        cid = await first_message(ctx, v, t.dept["slug"])
        await ctx.router.run_once()
        row = await chat(ctx, cid)
        holder = await t.person(row.offered_to) if row.offered_to else t.bob
        await do_accept_chat(ctx=ctx, actor=holder, chat_id=cid)
        if holder is t.sam:  # the specialist is at the top: let a first-level agent have it
            continue
        await escalation.do_escalate_chat(ctx=ctx, actor=holder, chat_id=cid, reason=reason)
    report = await escalation.escalation_report(ctx=ctx, actor=t.admin, department_id=t.dept["id"])
    counts = {r["reason"]: r["count"] for r in report["by_reason"]}
    assert report["total"] == sum(counts.values()) >= 2
    assert counts["billing"] >= 1
    await refused(escalation.escalation_report(ctx=ctx, actor=t.ann), "forbidden")


async def test_what_may_be_escalated_and_by_whom(ctx):
    t = await Tiers().build(ctx)
    await refused(t.escalate(actor=t.bob), "forbidden")  # not bob's chat
    err = await refused(t.escalate(reason="boredom"), "bad_request")
    assert err.field == "reason"
    err = await refused(t.escalate(reason="other", detail="  "), "bad_request")
    assert err.field == "detail"
    err = await refused(t.escalate(detail="x" * 201), "bad_request")
    assert err.field == "detail"
    await refused(escalation.do_escalate_chat(ctx=ctx, actor=t.ann, chat_id=10**9, reason="billing"), "not_found")
    assert (await chat(ctx, t.chat_id)).status == "active"  # nothing half-done
    await t.escalate(reason="other", detail="wants to speak to a human manager")
    await refused(t.escalate(), "conflict")  # queued now: nothing in progress to escalate
    queued = await first_message(ctx, await new_visitor(ctx), t.dept["slug"])
    await refused(escalation.do_escalate_chat(ctx=ctx, actor=t.ann, chat_id=queued, reason="billing"), "conflict")


async def test_in_a_pick_department_only_agents_of_that_level_see_and_take_it(ctx):
    t = await Tiers().build(ctx, routing_mode="pick")
    await t.escalate()
    queue_of = {}
    for who in (t.ann, t.bob, t.sam, t.admin):
        listed = await reads.list_chats(ctx=ctx, actor=who, status="queued")
        queue_of[who.name] = [c["id"] for c in listed["chats"]]
    assert t.chat_id not in queue_of["Ann"] and t.chat_id not in queue_of["Bob"]
    assert t.chat_id in queue_of["Sam"] and t.chat_id in queue_of[t.admin.name]
    err = await refused(do_accept_chat(ctx=ctx, actor=t.bob, chat_id=t.chat_id), "forbidden")
    assert "level 2" in err.message
    await do_accept_chat(ctx=ctx, actor=t.sam, chat_id=t.chat_id)
    assert (await chat(ctx, t.chat_id)).assignee_id == t.sam.id


async def test_a_transfer_to_another_department_starts_at_its_first_level(ctx):
    t = await Tiers().build(ctx)
    await t.escalate()
    await ctx.router.run_once()
    await do_accept_chat(ctx=ctx, actor=t.sam, chat_id=t.chat_id)
    other = await make_department(ctx, t.admin, "sales")
    await set_levels(ctx, t.admin, other["id"], {t.bob: 1})
    await transfers.do_transfer_chat(ctx=ctx, actor=t.sam, chat_id=t.chat_id, to_department_id=other["id"])
    assert (await chat(ctx, t.chat_id)).required_level == 1
    await ctx.router.run_once()
    assert (await chat(ctx, t.chat_id)).offered_to == t.bob.id


async def test_escalations_racing_dispatches_and_accepts_never_go_below_their_level(ctx):
    """Many first-level chats escalated at once while dispatch runs and everyone accepts what
    they can: every escalated chat ends with a level-2 agent or waiting, nobody over their
    maximum, and the chats stay consistent."""
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "rush")
    firsts = [await make_agent(ctx, admin, max_chats=3) for _ in range(3)]
    specialists = [await make_agent(ctx, admin, max_chats=2) for _ in range(2)]
    await set_levels(ctx, admin, dept["id"], {**{a: 1 for a in firsts}, **{s: 2 for s in specialists}})
    for s in specialists:  # busy elsewhere until the escalations start
        await availability.do_set_agent_status(ctx, s.id, "away")
    visitors = [await new_visitor(ctx) for _ in range(8)]
    chat_ids = [await first_message(ctx, v, "rush") for v in visitors]
    await ctx.router.run_once()
    everyone = {a.id: a for a in firsts + specialists}
    for cid in chat_ids:
        row = await chat(ctx, cid)
        if row.offered_to:
            await do_accept_chat(ctx=ctx, actor=everyone[row.offered_to], chat_id=cid)
    active = [c for c in await check_chat_invariants(ctx) if c.status == "active"]
    assert len(active) >= 6
    for s in specialists:
        await availability.do_set_agent_status(ctx, s.id, "online")
    rng = random.Random(4)
    ops = [
        escalation.do_escalate_chat(ctx=ctx, actor=everyone[c.assignee_id], chat_id=c.id, reason="technical")
        for c in active
    ]
    ops += [dispatch.do_dispatch(ctx, dept["id"]) for _ in range(4)]
    ops += [
        do_accept_chat(ctx=ctx, actor=rng.choice(firsts + specialists), chat_id=rng.choice(chat_ids)) for _ in range(6)
    ]
    ops += [do_close_chat(ctx=ctx, actor=visitors[0], chat_id=chat_ids[0])]
    rng.shuffle(ops)
    results = await asyncio.gather(*ops, return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, ChatRuleError)]
    assert not unexpected, unexpected
    await dispatch.do_dispatch(ctx, dept["id"])
    chats = await check_chat_invariants(ctx)
    held = {a: 0 for a in everyone}
    for c in chats:
        holder = c.assignee_id if c.status == "active" else c.offered_to if c.status == "queued" else None
        if holder in held:
            held[holder] += 1
        if c.required_level == 2 and holder is not None and c.status != "closed":
            assert holder in {s.id for s in specialists}, f"chat {c.id} (level 2) is with level-1 agent {holder}"
    for agent_id, n in held.items():
        assert n <= (2 if agent_id in {s.id for s in specialists} else 3)
    escalated = [c for c in chats if c.required_level == 2]
    assert escalated, "some escalations went through"
    # Both specialists are full, or nothing escalated waits unoffered.
    waiting = [c for c in escalated if c.status == "queued" and c.offered_to is None]
    assert not waiting or all(held[s.id] == 2 for s in specialists)
