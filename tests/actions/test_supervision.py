"""Supervision against a real database (SQLite and PostgreSQL): whisper, join, take over,
department scope, the monitor list, annotations, scorecards and reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from frontdesk.actions import quality, reads, satisfaction, supervision, visitors
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message, do_send_visitor_message
from frontdesk.actions.users import do_update_user
from frontdesk.domain.audience import agent_topic, chat_topic, monitor_topic, visitor_topic
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import MailOutbox
from tests.actions.routing_support import (
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


class Floor:
    """Sales (Ann answers, Sam supervises) and Billing (Bob answers), and a manager."""


async def floor(ctx) -> Floor:
    f = Floor()
    f.admin = await make_admin(ctx)
    f.sales = await make_department(ctx, f.admin, "sales", routing="pick")
    f.billing = await make_department(ctx, f.admin, "billing", routing="pick")
    f.ann = await make_agent(ctx, f.admin, name="Ann")
    f.bob = await make_agent(ctx, f.admin, name="Bob")
    f.sam = await make_agent(ctx, f.admin, role="supervisor", name="Sam", max_chats=1)
    f.meg = await make_agent(ctx, f.admin, role="manager", name="Meg")
    await staff(ctx, f.admin, f.sales["id"], [f.ann, f.sam])
    await staff(ctx, f.admin, f.billing["id"], [f.bob])
    return f


async def active_chat(ctx, agent, department, text="My invoice is wrong"):
    visitor = await new_visitor(ctx)
    chat_id = await first_message(ctx, visitor, department["slug"], text)
    await do_accept_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    return visitor, chat_id


async def refused(coro) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    return info.value


def kinds_on(ctx, topic):
    return [f.get("kind") for f in published_frames(ctx, topic, "event")]


async def test_a_whisper_reaches_the_agents_and_never_the_visitor(ctx):
    f = await floor(ctx)
    visitor, chat_id = await active_chat(ctx, f.ann, f.sales)
    ctx.published.clear()
    event = await supervision.do_whisper(
        ctx=ctx, actor=f.sam, chat_id=chat_id, text="Offer the refund, it is fine", client_id=new_cid()
    )
    assert event["kind"] == "whisper" and event["author"] == {"type": "agent", "id": f.sam.id, "name": "Sam"}
    stored = (await events(ctx, chat_id))[-1]
    assert stored.kind == "whisper" and stored.internal is True and stored.seq == event["seq"]
    # Published to the chat's agent, the chat's followers and the whisperer — not the visitor.
    topics = {t for t, _ in ctx.published}
    assert topics == {agent_topic(f.ann.id), agent_topic(f.sam.id), chat_topic(chat_id)}
    assert not published_frames(ctx, visitor_topic(visitor.visitor_id))
    # Not in the visitor's sync; in the agents'.
    mine = await reads.events_for_visitor(ctx=ctx, actor=visitor, chat_id=chat_id)
    assert "whisper" not in [e["kind"] for e in mine["events"]]
    assert "Offer the refund" not in str(mine)
    theirs = await reads.events_for_agent(ctx=ctx, actor=f.ann, chat_id=chat_id)
    assert theirs["events"][-1]["text"] == "Offer the refund, it is fine"
    # The visitor keeps chatting: later events arrive with a gap the `synced` watermark explains.
    r = await do_send_visitor_message(ctx=ctx, actor=visitor, text="Any news?", client_id=new_cid())
    assert r.event["seq"] == event["seq"] + 1
    # Nor in the transcript the visitor may ask for by e-mail once the chat has ended.
    await do_send_agent_message(ctx=ctx, actor=f.ann, chat_id=chat_id, text="Refunded.", client_id=new_cid())
    await do_close_chat(ctx=ctx, actor=f.ann, chat_id=chat_id)
    await visitors.do_update_visitor(ctx=ctx, actor=visitor, fields={"email": "v@example.com"})
    await satisfaction.do_email_transcript(ctx=ctx, actor=visitor, chat_id=chat_id, email="v@example.com")
    async with ctx.db.read() as conn:
        bodies = [b for (b,) in await conn.execute(select(MailOutbox.body))]
    assert len(bodies) == 1 and "Any news?" in bodies[0] and "Offer the refund" not in bodies[0]


async def test_a_whisper_retry_is_stored_once_and_agents_cannot_whisper(ctx):
    f = await floor(ctx)
    _visitor, chat_id = await active_chat(ctx, f.ann, f.sales)
    cid = new_cid()
    first = await supervision.do_whisper(ctx=ctx, actor=f.sam, chat_id=chat_id, text="psst", client_id=cid)
    again = await supervision.do_whisper(ctx=ctx, actor=f.sam, chat_id=chat_id, text="psst", client_id=cid)
    assert again["seq"] == first["seq"]
    assert [e.kind for e in await events(ctx, chat_id)].count("whisper") == 1
    err = await refused(supervision.do_whisper(ctx=ctx, actor=f.ann, chat_id=chat_id, text="x", client_id=new_cid()))
    assert err.code == "forbidden"
    bad = await refused(supervision.do_whisper(ctx=ctx, actor=f.sam, chat_id=chat_id, text="  ", client_id=new_cid()))
    assert bad.code == "bad_request" and bad.field == "text"


async def test_a_supervisor_of_sales_cannot_supervise_billing(ctx):
    f = await floor(ctx)
    _visitor, billing_chat = await active_chat(ctx, f.bob, f.billing)
    before = len(await events(ctx, billing_chat))
    # A chat of a department he does not work in is not found, as if it did not exist (ids are
    # sequential: nothing to probe); a department he does not supervise is forbidden, by name.
    on_the_chat = [
        supervision.check_watch(ctx=ctx, actor=f.sam, chat_id=billing_chat),
        supervision.do_whisper(ctx=ctx, actor=f.sam, chat_id=billing_chat, text="hi", client_id=new_cid()),
        supervision.do_join(ctx=ctx, actor=f.sam, chat_id=billing_chat),
        supervision.do_take_over(ctx=ctx, actor=f.sam, chat_id=billing_chat),
        quality.do_annotate(ctx=ctx, actor=f.sam, chat_id=billing_chat, seq=2, text="hmm"),
        quality.reviews_of_chat(ctx=ctx, actor=f.sam, chat_id=billing_chat),
    ]
    for attempt in on_the_chat:
        err = await refused(attempt)
        assert (err.code, err.message) == ("not_found", "That chat does not exist or is not yours.")
    attempts = [
        quality.do_set_scorecard(
            ctx=ctx, actor=f.sam, department_id=f.billing["id"], criteria=[{"name": "Tone", "weight": 1}]
        ),
        supervision.monitor_chats(ctx=ctx, actor=f.sam, department_id=f.billing["id"]),
    ]
    for attempt in attempts:
        err = await refused(attempt)
        assert err.code == "forbidden", err.message
        assert any(w in err.message for w in ("Billing", "own departments", "supervisors")), err.message
    assert len(await events(ctx, billing_chat)) == before  # nothing stored
    # A manager supervises every department; an admin too.
    await supervision.check_watch(ctx=ctx, actor=f.meg, chat_id=billing_chat)
    await supervision.do_whisper(ctx=ctx, actor=f.admin, chat_id=billing_chat, text="ok", client_id=new_cid())
    # And Sam does supervise Sales.
    _v, sales_chat = await active_chat(ctx, f.ann, f.sales)
    assert (await supervision.check_watch(ctx=ctx, actor=f.sam, chat_id=sales_chat))["id"] == sales_chat


async def test_the_monitor_lists_ongoing_chats_of_the_supervisors_departments(ctx):
    f = await floor(ctx)
    _v1, sales_active = await active_chat(ctx, f.ann, f.sales)
    waiting = await first_message(ctx, await new_visitor(ctx), "sales", "Is anyone there?")
    _v3, billing_active = await active_chat(ctx, f.bob, f.billing)
    _v4, closed = await active_chat(ctx, f.ann, f.sales)
    await do_close_chat(ctx=ctx, actor=f.ann, chat_id=closed)
    await supervision.do_join(ctx=ctx, actor=f.sam, chat_id=sales_active)

    page = await supervision.monitor_chats(ctx=ctx, actor=f.sam)
    by_id = {c["id"]: c for c in page["chats"]}
    assert set(by_id) == {sales_active, waiting}
    assert by_id[waiting]["status"] == "queued" and by_id[waiting]["last_message"]["text"] == "Is anyone there?"
    assert by_id[sales_active]["assignee"]["name"] == "Ann"
    assert by_id[sales_active]["participants"] == [{"id": f.sam.id, "name": "Sam"}]
    assert [d["slug"] for d in page["departments"]] == ["general", "sales"]  # new users work in General
    everything = await supervision.monitor_chats(ctx=ctx, actor=f.meg)
    assert {sales_active, waiting, billing_active} <= {c["id"] for c in everything["chats"]}
    assert closed not in {c["id"] for c in everything["chats"]}
    assert (await refused(supervision.monitor_chats(ctx=ctx, actor=f.ann))).code == "forbidden"
    # Lifecycle summaries reach the department's monitor topic (never per message).
    ctx.published.clear()
    await do_close_chat(ctx=ctx, actor=f.ann, chat_id=sales_active)
    summaries = published_frames(ctx, monitor_topic(f.sales["id"]), "chat.updated")
    assert [s["chat"]["status"] for s in summaries] == ["closed"]
    await do_send_visitor_message(ctx=ctx, actor=_v3, text="still there?", client_id=new_cid())
    assert not published_frames(ctx, monitor_topic(f.billing["id"]))


async def test_join_makes_the_supervisor_a_visible_participant_who_can_reply(sctx):
    ctx = sctx
    f = await floor(ctx)
    visitor, chat_id = await active_chat(ctx, f.ann, f.sales)
    ctx.published.clear()
    joined = await supervision.do_join(ctx=ctx, actor=f.sam, chat_id=chat_id)
    assert joined["kind"] == "chat.joined" and joined["data"] == {"agent": {"id": f.sam.id, "name": "Sam"}}
    assert kinds_on(ctx, visitor_topic(visitor.visitor_id)) == ["chat.joined"]  # "Sam joined the chat"
    assert "chat.joined" in kinds_on(ctx, agent_topic(f.ann.id))
    assert "chat.joined" in kinds_on(ctx, chat_topic(chat_id))
    assert (await refused(supervision.do_join(ctx=ctx, actor=f.sam, chat_id=chat_id))).code == "conflict"
    assert (await refused(supervision.do_join(ctx=ctx, actor=f.ann, chat_id=chat_id))).code == "forbidden"

    # Sam replies; the visitor, Ann and the chat's followers get it.
    ctx.published.clear()
    sent = await do_send_agent_message(
        ctx=ctx, actor=f.sam, chat_id=chat_id, text="Hi, I'm Ann's lead.", client_id=new_cid()
    )
    assert sent.event["author"]["id"] == f.sam.id
    assert kinds_on(ctx, visitor_topic(visitor.visitor_id)) == ["message"]
    assert kinds_on(ctx, agent_topic(f.ann.id)) == ["message"]
    assert kinds_on(ctx, chat_topic(chat_id)) == ["message"]
    assert (await supervision.participants(ctx=ctx, actor=f.ann, chat_id=chat_id))[0]["name"] == "Sam"

    left = await supervision.do_leave(ctx=ctx, actor=f.sam, chat_id=chat_id)
    assert left["kind"] == "chat.left"
    err = await refused(
        do_send_agent_message(ctx=ctx, actor=f.sam, chat_id=chat_id, text="still here?", client_id=new_cid())
    )
    assert err.code == "forbidden"
    kinds = [e.kind for e in await events(ctx, chat_id)]
    assert kinds[-3:] == ["chat.joined", "message", "chat.left"]  # all in the transcript


async def test_take_over_moves_the_chat_past_the_maximum_and_tells_the_agent(ctx):
    f = await floor(ctx)
    # Sam (max 1 chat) already has one.
    _other, sams = await active_chat(ctx, f.sam, f.sales, "first")
    visitor, chat_id = await active_chat(ctx, f.ann, f.sales)
    await do_send_agent_message(ctx=ctx, actor=f.ann, chat_id=chat_id, text="Looking", client_id=new_cid())
    await supervision.do_join(ctx=ctx, actor=f.sam, chat_id=chat_id)
    ctx.published.clear()
    event = await supervision.do_take_over(ctx=ctx, actor=f.sam, chat_id=chat_id)
    assert event["kind"] == "chat.taken_over"
    assert event["data"]["from_agent"] == {"id": f.ann.id, "name": "Ann"}
    assert event["data"]["to_agent"] == {"id": f.sam.id, "name": "Sam"}
    assert event["chat"]["assignee"]["id"] == f.sam.id
    # The visitor sees the new agent; Ann hears of it (the event and her list's summary).
    assert kinds_on(ctx, visitor_topic(visitor.visitor_id)) == ["chat.taken_over"]
    assert "chat.taken_over" in kinds_on(ctx, agent_topic(f.ann.id))
    summaries = published_frames(ctx, agent_topic(f.ann.id), "chat.updated")
    assert summaries and summaries[-1]["chat"]["assignee"]["id"] == f.sam.id
    log = await routing_log(ctx, chat_id=chat_id, kind="taken_over")
    assert len(log) == 1 and log[0].agent_id == f.sam.id and log[0].data["from_agent_id"] == f.ann.id
    # Sam now replies as its agent (2 chats, past his maximum of 1); Ann cannot any more.
    await do_send_agent_message(
        ctx=ctx, actor=f.sam, chat_id=chat_id, text="I'll take it from here", client_id=new_cid()
    )
    err = await refused(do_send_agent_message(ctx=ctx, actor=f.ann, chat_id=chat_id, text="?", client_id=new_cid()))
    assert err.code == "forbidden"
    assert await supervision.joined_chats(ctx=ctx, actor=f.sam) == []  # the assignee, no longer a participant
    assert (await refused(supervision.do_take_over(ctx=ctx, actor=f.sam, chat_id=chat_id))).code == "conflict"
    queued = await first_message(ctx, await new_visitor(ctx), "sales")
    assert (await refused(supervision.do_take_over(ctx=ctx, actor=f.sam, chat_id=queued))).code == "conflict"
    assert sams != chat_id
    # Sam reviews the chat he took over: the review scores Ann, who had it; she sees it.
    card = await quality.do_set_scorecard(
        ctx=ctx, actor=f.sam, department_id=f.sales["id"], criteria=[{"name": "Tone", "weight": 1}]
    )
    scores = [{"criterion_id": card["criteria"][0]["id"], "score": 4}]
    assert (await quality.reviews_of_chat(ctx=ctx, actor=f.sam, chat_id=chat_id))["agent_id"] == f.ann.id
    review = await quality.do_review(ctx=ctx, actor=f.sam, chat_id=chat_id, scores=scores)
    assert review["agent_id"] == f.ann.id
    assert [r["id"] for r in (await quality.reviews_of_chat(ctx=ctx, actor=f.ann, chat_id=chat_id))["reviews"]] == [
        review["id"]
    ]
    assert (await refused(quality.do_review(ctx=ctx, actor=f.sam, chat_id=sams, scores=scores))).code == "conflict"


async def test_annotations_scorecards_and_reviews(ctx):
    f = await floor(ctx)
    _visitor, chat_id = await active_chat(ctx, f.ann, f.sales)
    reply = await do_send_agent_message(ctx=ctx, actor=f.ann, chat_id=chat_id, text="Let me check", client_id=new_cid())
    await do_close_chat(ctx=ctx, actor=f.ann, chat_id=chat_id)

    # An annotation on Ann's reply: for agents only, shown to Ann.
    note = await quality.do_annotate(ctx=ctx, actor=f.sam, chat_id=chat_id, seq=reply.event["seq"], text="Say how long")
    assert note["seq"] == reply.event["seq"] and note["author"]["name"] == "Sam"
    assert (await quality.list_annotations(ctx=ctx, actor=f.ann, chat_id=chat_id))["annotations"][0][
        "text"
    ] == "Say how long"
    # Bob works in Billing: a Sales chat is not his to read at all (404, like the archive).
    assert (await refused(quality.list_annotations(ctx=ctx, actor=f.bob, chat_id=chat_id))).code == "not_found"
    bad = await refused(quality.do_annotate(ctx=ctx, actor=f.sam, chat_id=chat_id, seq=2, text="nul\x00"))
    assert bad.code == "bad_request" and bad.field == "text"
    bad = await refused(quality.do_annotate(ctx=ctx, actor=f.sam, chat_id=chat_id, seq=999, text="x"))
    assert bad.code == "bad_request" and bad.field == "seq"

    # The scorecard of Sales, then a review.
    assert (await refused(quality.do_review(ctx=ctx, actor=f.sam, chat_id=chat_id, scores=[]))).code == "conflict"
    card = await quality.do_set_scorecard(
        ctx=ctx,
        actor=f.sam,
        department_id=f.sales["id"],
        criteria=[{"name": "Greeting", "weight": 1}, {"name": "Accuracy", "weight": 3}],
    )
    ids = {c["name"]: c["id"] for c in card["criteria"]}
    err = await refused(
        quality.do_review(ctx=ctx, actor=f.sam, chat_id=chat_id, scores=[{"criterion_id": ids["Greeting"], "score": 5}])
    )
    assert err.field == "scores" and "Accuracy" in err.message
    err = await refused(
        quality.do_review(
            ctx=ctx,
            actor=f.sam,
            chat_id=chat_id,
            scores=[{"criterion_id": ids["Greeting"], "score": 6}, {"criterion_id": ids["Accuracy"], "score": 1}],
        )
    )
    assert err.field == "scores[0].score"
    scores = [{"criterion_id": ids["Greeting"], "score": 5}, {"criterion_id": ids["Accuracy"], "score": 3}]
    review = await quality.do_review(ctx=ctx, actor=f.sam, chat_id=chat_id, scores=scores, comment="Good start")
    assert review["created"] and review["score"] == 3.5 and review["agent_id"] == f.ann.id  # (5·1 + 3·3) / 4
    # Editing: the same review changes.
    scores[1]["score"] = 5
    edited = await quality.do_review(ctx=ctx, actor=f.sam, chat_id=chat_id, scores=scores)
    assert not edited["created"] and edited["id"] == review["id"] and edited["score"] == 5.0
    # Renaming a criterion later does not change what the review stored.
    await quality.do_set_scorecard(
        ctx=ctx,
        actor=f.meg,
        department_id=f.sales["id"],
        criteria=[{"id": ids["Accuracy"], "name": "Correctness", "weight": 2}],
    )
    mine = await quality.my_reviews(ctx=ctx, actor=f.ann)
    assert [r["id"] for r in mine["reviews"]] == [review["id"]]
    assert [s["name"] for s in mine["reviews"][0]["scores"]] == ["Greeting", "Accuracy"]
    assert (await quality.my_reviews(ctx=ctx, actor=f.bob))["reviews"] == []
    assert (await refused(quality.do_review(ctx=ctx, actor=f.ann, chat_id=chat_id, scores=scores))).code == "forbidden"

    # A manager reviews too; the report averages per agent and department.
    card = await quality.scorecard(ctx=ctx, actor=f.ann, department_id=f.sales["id"])
    [correctness] = card["criteria"]
    await quality.do_review(
        ctx=ctx, actor=f.meg, chat_id=chat_id, scores=[{"criterion_id": correctness["id"], "score": 2}]
    )
    today = datetime.now(UTC).date()
    report = await quality.score_report(ctx=ctx, actor=f.sam, start=today - timedelta(days=1), end=today)
    [row] = report["agents"]
    assert row["agent"] == {"id": f.ann.id, "name": "Ann"} and row["reviews"] == 2 and row["chats"] == 1
    assert row["average"] == 3.5 and row["lowest"] == 2.0 and row["highest"] == 5.0
    assert [d["department"]["slug"] for d in report["departments"]] == ["sales"]
    old = await quality.score_report(
        ctx=ctx, actor=f.meg, start=today - timedelta(days=30), end=today - timedelta(days=2)
    )
    assert old["agents"] == []
    assert (await refused(quality.score_report(ctx=ctx, actor=f.ann, start=today, end=today))).code == "forbidden"
    assert (
        await refused(quality.score_report(ctx=ctx, actor=f.meg, start=today, end=today - timedelta(days=1)))
    ).field == "to"
    billing_only = await quality.score_report(
        ctx=ctx, actor=f.meg, start=today, end=today, department_id=f.billing["id"]
    )
    assert billing_only["agents"] == []


async def test_scorecard_validation_names_the_field(ctx):
    f = await floor(ctx)
    cases = [
        ([], "criteria"),
        ([{"name": "", "weight": 1}], "criteria[0].name"),
        ([{"name": "Tone", "weight": 0}], "criteria[0].weight"),
        ([{"name": "Tone"}, {"name": "tone"}], "criteria[1].name"),
        ([{"name": "Tone", "id": 999999}], "criteria[0].id"),
        ([{"name": "To\x00ne"}], "criteria[0].name"),
    ]
    for criteria, field in cases:
        err = await refused(
            quality.do_set_scorecard(ctx=ctx, actor=f.sam, department_id=f.sales["id"], criteria=criteria)
        )
        assert err.code == "bad_request" and err.field == field, (criteria, err.field)
    await do_update_user(ctx=ctx, actor=f.admin, user_id=f.ann.id, data={"max_chats": 2})
