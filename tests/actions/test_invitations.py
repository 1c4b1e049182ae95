"""Invitations against real SQLite and PostgreSQL: manual ones (to a connected visitor only),
the chat an accepted one starts, dismissal, expiry, automatic ones from rules (gates and caps),
the rules' CRUD, the simulator on hand-made page views and the report."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, select, update

from frontdesk.actions import availability, canned, chats, departments, invitations, visitors
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.invitation_rules import RULES_TOPIC, check_rule
from frontdesk.store.models import AuditEntry, Chat, Invitation, InvitationRule, PageView, Visit, Visitor
from tests.actions.support import new_agent, new_cid, new_visitor, stored_events

pytestmark = pytest.mark.asyncio(loop_scope="session")


def frames(ctx: Context, type_: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for topic, payload in ctx.published:  # type: ignore[attr-defined]
        frame = orjson.loads(payload)
        if frame.get("type") == type_:
            out.append((topic, frame))
    return out


async def default_department(ctx: Context) -> Any:
    admin = await new_agent(ctx, "admin")
    return (await departments.list_departments(ctx=ctx, actor=admin))[0]


async def visit_of(ctx: Context, visitor: VisitorActor, *, department_id: int | None = None, **fields: Any) -> int:
    """A visit row (what the tracking actions store), as the visitor's latest."""
    now = utcnow()
    values = {
        "visitor_id": visitor.visitor_id,
        "number": 1,
        "started_at": now,
        "last_seen_at": now,
        "department_id": department_id,
        **fields,
    }
    async with ctx.db.write() as conn:
        visit_id = (await conn.execute(insert(Visit).values(**values).returning(Visit.id))).scalar_one()
        await conn.execute(update(Visitor).where(Visitor.id == visitor.visitor_id).values(last_visit_id=visit_id))
    return int(visit_id)


async def connected_visitor(ctx: Context) -> tuple[VisitorActor, int]:
    visitor = await new_visitor(ctx)
    visit_id = await visit_of(ctx, visitor)
    await ctx.presence.visitor_connected(visitor.visitor_id)
    return visitor, visit_id


async def invitation_row(ctx: Context, invitation_id: int) -> Any:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(Invitation).where(Invitation.id == invitation_id))).one()


async def online_agent(ctx: Context, role: str = "agent") -> AgentActor:
    agent = await new_agent(ctx, role)
    await availability.do_set_agent_status(ctx, agent.id, "online")
    await ctx.presence.agent_connected(agent.id)
    return agent


# ---- manual invitations -------------------------------------------------------------------


async def test_an_invitation_reaches_the_visitors_topic_and_is_pending(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    visitor, visit_id = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text=" Need help? ")
    assert record["outcome"] == "pending" and record["text"] == "Need help?"
    assert record["agent"] == {"name": manager.name, "avatar_url": None}
    assert record["visit_id"] == visit_id and record["expires_at"]
    (topic, frame), *_ = frames(ctx, "invitation")
    assert topic == f"visitor:{visitor.visitor_id}"
    assert frame["invitation"]["id"] == record["id"]
    assert "visitors" in [t for t, f in frames(ctx, "invitation")]  # the live view hears of it
    assert await invitations.pending_invitation(ctx=ctx, actor=visitor) == frame["invitation"]


async def test_a_visitor_who_has_left_cannot_be_invited(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    visitor = await new_visitor(ctx)
    await visit_of(ctx, visitor)
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi")
    assert caught.value.code == "visitor_gone"
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_invite(ctx=ctx, actor=manager, visitor_id="V-nobody", text="Hi")
    assert caught.value.code == "not_found"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "hi", "department_id": "1"}, "department_id"),
        ({"text": "hi", "department_id": 999_999}, "department_id"),
        ({"canned_id": 999_999}, "canned_id"),
    ],
)
async def test_bad_manual_invitations_name_the_field(ctx: Context, fields: dict[str, Any], field: str) -> None:
    manager = await new_agent(ctx, "manager")
    visitor, _ = await connected_visitor(ctx)
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, **fields)
    assert caught.value.field == field


async def test_an_agent_who_is_no_greeter_may_not_invite(ctx: Context) -> None:
    agent = await new_agent(ctx, "agent")
    visitor, _ = await connected_visitor(ctx)
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_invite(ctx=ctx, actor=agent, visitor_id=visitor.visitor_id, text="Hi")
    assert caught.value.code == "forbidden"


# ---- answers: accepted, dismissed, expired --------------------------------------------------


async def test_accepting_starts_a_chat_with_the_invitation_assigned_to_the_inviter(ctx: Context) -> None:
    inviter = await online_agent(ctx, "manager")
    visitor, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=inviter, visitor_id=visitor.visitor_id, text="Hello there")
    await invitations.do_invitation_shown(ctx=ctx, actor=visitor, invitation_id=record["id"])
    ctx.published.clear()  # type: ignore[attr-defined]
    sent = await chats.do_send_visitor_message(
        ctx=ctx, actor=visitor, text="Yes please", client_id=new_cid(), invitation_id=record["id"]
    )
    assert sent.event["text"] == "Yes please"
    chat_id = sent.event["chat_id"]
    events = await stored_events(ctx, chat_id)
    assert [(e.kind, e.author_type, e.body) for e in events] == [
        ("chat.started", "system", ""),
        ("message", "agent", "Hello there"),
        ("message", "visitor", "Yes please"),
        ("chat.assigned", "system", ""),
    ]
    assert events[1].agent_id == inviter.id and events[1].data == {"invitation_id": record["id"]}
    async with ctx.db.read() as conn:
        chat = (await conn.execute(select(Chat).where(Chat.id == chat_id))).one()
    assert (chat.status, chat.assignee_id, chat.invitation_id) == ("active", inviter.id, record["id"])
    row = await invitation_row(ctx, record["id"])
    assert (row.outcome, row.chat_id) == ("accepted", chat_id) and row.shown_at and row.outcome_at
    assert [f["reason"] for _t, f in frames(ctx, "invitation.closed")] == ["accepted", "accepted"]
    # A second message is an ordinary one: the invitation is no longer open.
    again = await chats.do_send_visitor_message(
        ctx=ctx, actor=visitor, text="more", client_id=new_cid(), chat_id=chat_id, invitation_id=record["id"]
    )
    assert again.event["chat_id"] == chat_id


async def test_an_inviter_without_room_leaves_the_chat_queued(ctx: Context) -> None:
    inviter = await new_agent(ctx, "manager")  # not connected: no room
    visitor, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=inviter, visitor_id=visitor.visitor_id, text="Hi!")
    sent = await chats.do_send_visitor_message(
        ctx=ctx, actor=visitor, text="Hello", client_id=new_cid(), invitation_id=record["id"]
    )
    async with ctx.db.read() as conn:
        chat = (await conn.execute(select(Chat).where(Chat.id == sent.event["chat_id"]))).one()
    assert (chat.status, chat.assignee_id, chat.invitation_id) == ("queued", None, record["id"])
    assert (await invitation_row(ctx, record["id"])).outcome == "accepted"


async def test_someone_elses_or_a_bad_invitation_id(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    visitor, _ = await connected_visitor(ctx)
    other, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi!")
    sent = await chats.do_send_visitor_message(
        ctx=ctx, actor=other, text="Hello", client_id=new_cid(), invitation_id=record["id"]
    )
    async with ctx.db.read() as conn:
        chat = (await conn.execute(select(Chat).where(Chat.id == sent.event["chat_id"]))).one()
    assert chat.invitation_id is None  # not theirs: an ordinary chat
    assert (await invitation_row(ctx, record["id"])).outcome == "pending"
    with pytest.raises(ChatRuleError) as caught:
        await chats.do_send_visitor_message(
            ctx=ctx, actor=visitor, text="Hello", client_id=new_cid(), invitation_id="7"
        )
    assert caught.value.field == "invitation_id"


async def test_a_dismissal_is_recorded_once_and_closes_every_tab(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    visitor, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi!")
    assert await invitations.do_dismiss_invitation(ctx=ctx, actor=visitor, invitation_id=record["id"])
    other, _ = await connected_visitor(ctx)
    assert not await invitations.do_dismiss_invitation(ctx=ctx, actor=visitor, invitation_id=record["id"])
    assert not await invitations.do_dismiss_invitation(ctx=ctx, actor=other, invitation_id=record["id"])
    row = await invitation_row(ctx, record["id"])
    assert row.outcome == "dismissed" and row.outcome_at
    closed = frames(ctx, "invitation.closed")
    assert [(t, f["reason"]) for t, f in closed][0] == (f"visitor:{visitor.visitor_id}", "dismissed")
    assert await invitations.pending_invitation(ctx=ctx, actor=visitor) is None


async def test_unanswered_invitations_expire(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    visitor, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi!")
    fresh = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi again")
    async with ctx.db.write() as conn:
        await conn.execute(
            update(Invitation).where(Invitation.id == record["id"]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await invitations.do_expire_invitations(ctx)
    assert (await invitation_row(ctx, record["id"])).outcome == "expired"
    assert (await invitation_row(ctx, fresh["id"])).outcome == "pending"
    assert [f["invitation_id"] for _t, f in frames(ctx, "invitation.closed")][0] == record["id"]


async def test_shown_restarts_the_expiry(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    visitor, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi!")
    before = (await invitation_row(ctx, record["id"])).expires_at
    await asyncio.sleep(0.01)
    await invitations.do_invitation_shown(ctx=ctx, actor=visitor, invitation_id=record["id"])
    row = await invitation_row(ctx, record["id"])
    assert row.outcome == "shown" and row.shown_at and row.expires_at > before


# ---- rules ---------------------------------------------------------------------------------


def rule_data(department_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "department_id": department_id,
        "name": "Pricing",
        "conditions": [{"field": "url", "op": "matches", "value": "/pricing*"}],
        "action": {"text": "Questions about our plans?"},
        "gates": {"accepting": False},
        **extra,
    }


async def test_rules_crud_reorder_audit_and_announce(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    first = await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"]))
    second = await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"], name="Second"))
    assert (first["position"], second["position"]) == (0, 1)
    changed = await invitations.do_update_rule(ctx=ctx, actor=admin, rule_id=first["id"], data={"enabled": False})
    assert changed["enabled"] is False
    order = await invitations.do_reorder_rules(
        ctx=ctx, actor=admin, department_id=dept["id"], rule_ids=[second["id"], first["id"]]
    )
    assert [r["id"] for r in order] == [second["id"], first["id"]]
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_reorder_rules(ctx=ctx, actor=admin, department_id=dept["id"], rule_ids=[first["id"]])
    assert caught.value.field == "rule_ids"
    await invitations.do_delete_rule(ctx=ctx, actor=admin, rule_id=first["id"])
    assert [r["id"] for r in await invitations.list_rules(ctx=ctx, actor=admin)] == [second["id"]]
    assert {orjson.loads(p)["department_id"] for t, p in ctx.published if t == RULES_TOPIC} == {dept["id"]}  # type: ignore[attr-defined]
    async with ctx.db.read() as conn:
        actions = [r.action for r in await conn.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert [a for a in actions if a.startswith("invitation_rule.")] == [
        "invitation_rule.create",
        "invitation_rule.create",
        "invitation_rule.update",
        "invitation_rule.reorder",
        "invitation_rule.delete",
    ]


async def test_a_bad_rule_is_refused_naming_the_field(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    data = rule_data(dept["id"])
    data["conditions"] = [*data["conditions"], {"field": "pages", "value": 2}, {"field": "url", "value": "*" * 20}]
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_create_rule(ctx=ctx, actor=admin, data=data)
    assert caught.value.field == "conditions[2].value"
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_create_rule(
            ctx=ctx, actor=admin, data=rule_data(dept["id"], action={"text": "x", "as": "agent", "agent_id": 999_999})
        )
    assert caught.value.field == "action.agent_id"
    agent = await new_agent(ctx, "agent")
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_create_rule(ctx=ctx, actor=agent, data=rule_data(dept["id"]))
    assert caught.value.code == "forbidden"


def visit_state(visitor: VisitorActor, visit_id: int, **fields: Any) -> SimpleNamespace:
    now = utcnow()
    base: dict[str, Any] = {
        "visitor_id": visitor.visitor_id,
        "visit_id": visit_id,
        "number": 1,
        "returning": False,
        "started_at": now - timedelta(seconds=60),
        "page_url": "https://shop.example/pricing",
        "page_title": "Pricing",
        "page_since": now - timedelta(seconds=10),
        "pages": 2,
        "referrer": None,
        "country": "NO",
        "device": "desktop",
        "language": "en-GB",
        "department_id": None,
    }
    return SimpleNamespace(**{**base, **fields})


async def test_a_matching_page_view_sends_the_rules_invitation_once_per_visit(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    rule = await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"]))
    visitor, visit_id = await connected_visitor(ctx)
    state = visit_state(visitor, visit_id, page_url="https://shop.example/about")
    await invitations.on_activity(ctx, state)
    assert frames(ctx, "invitation") == []
    state.page_url = "https://shop.example/pricing/pro"
    await invitations.on_activity(ctx, state)
    ((topic, frame), _live) = frames(ctx, "invitation")
    assert topic == f"visitor:{visitor.visitor_id}"
    row = await invitation_row(ctx, frame["invitation"]["id"])
    assert (row.rule_id, row.agent_id, row.visit_id, row.outcome) == (rule["id"], None, visit_id, "pending")
    assert frame["invitation"]["agent"] is None  # from the team
    await invitations.on_activity(ctx, state)  # once per visit
    assert len(frames(ctx, "invitation")) == 2


async def test_time_on_page_fires_without_another_page_view(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    conditions = [{"field": "url", "value": "/pricing*"}, {"field": "time_on_page", "value": 1}]
    await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"], conditions=conditions))
    visitor, visit_id = await connected_visitor(ctx)
    await invitations.on_activity(ctx, visit_state(visitor, visit_id, page_since=utcnow()))
    assert frames(ctx, "invitation") == []
    for _ in range(60):
        await asyncio.sleep(0.05)
        if frames(ctx, "invitation"):
            break
    assert frames(ctx, "invitation"), "the rule's timer never fired"


async def test_a_gate_records_a_blocked_invitation_once(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    rule = await invitations.do_create_rule(
        ctx=ctx, actor=admin, data=rule_data(dept["id"], gates={"free_slot": True, "accepting": False})
    )
    await availability.do_set_agent_status(ctx, ctx.duty_agent_id, "away")  # type: ignore[attr-defined]
    visitor, visit_id = await connected_visitor(ctx)
    state = visit_state(visitor, visit_id)
    await invitations.on_activity(ctx, state)
    await invitations.on_activity(ctx, state)
    assert frames(ctx, "invitation") == []
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(Invitation).where(Invitation.visitor_id == visitor.visitor_id))).all()
    assert [(r.rule_id, r.outcome, r.blocked_reason) for r in rows] == [(rule["id"], "blocked", "no_free_slot")]


async def test_no_invitation_during_a_chat(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"]))
    visitor, visit_id = await connected_visitor(ctx)
    await chats.do_send_visitor_message(ctx=ctx, actor=visitor, text="hi", client_id=new_cid())
    await invitations.on_activity(ctx, visit_state(visitor, visit_id))
    assert frames(ctx, "invitation") == []


async def test_rules_are_cached_until_they_change(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    visitor, visit_id = await connected_visitor(ctx)
    state = visit_state(visitor, visit_id)
    await invitations.on_activity(ctx, state)  # no rules yet: cached as none
    await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"]))  # forgets the cache
    await invitations.on_activity(ctx, state)
    assert len(frames(ctx, "invitation")) == 2  # the visitor's topic and the live view's


# ---- the simulator and the report ------------------------------------------------------------


async def test_the_simulator_counts_hand_made_page_views(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    now = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    pages = {
        # lingered 40 s on pricing: matches (time_on_page 30)
        "a": [("https://x/pricing", 0), ("https://x/buy", 40)],
        # 10 s on pricing, then away: no match
        "b": [("https://x/pricing", 0), ("https://x/about", 10)],
        # pricing twice, 35 s each: one invitation (once per visit)
        "c": [("https://x/pricing", 0), ("https://x/pricing/pro", 35), ("https://x/end", 70)],
        # never on pricing
        "d": [("https://x/", 0)],
    }
    for name, views in pages.items():
        visitor = await new_visitor(ctx)
        visit_id = await visit_of(ctx, visitor, started_at=now, number=1)
        async with ctx.db.write() as conn:
            for url, offset in views:
                await conn.execute(
                    insert(PageView).values(
                        visit_id=visit_id,
                        visitor_id=visitor.visitor_id,
                        at=now + timedelta(seconds=offset),
                        url=url,
                        title=name,
                        visible_ms=None,
                    )
                )
    conditions = [{"field": "url", "value": "/pricing*"}, {"field": "time_on_page", "value": 30}]
    result = await invitations.simulate_rule(
        ctx=ctx,
        actor=admin,
        department_id=dept["id"],
        rule={"name": "draft", "action": {"text": "Hi"}, "conditions": conditions},
    )
    assert (result["days"], result["visits"], result["matched_visits"], result["invitations"]) == (7, 4, 2, 2)
    assert result["peak_per_hour"] == 2 and sum(result["per_hour"]) == pytest.approx(2 / 7, abs=0.02)
    repeat = await invitations.simulate_rule(
        ctx=ctx,
        actor=admin,
        department_id=dept["id"],
        rule={"name": "d", "action": {"text": "Hi"}, "conditions": conditions, "caps": {"once_per_visit": False}},
    )
    assert repeat["invitations"] == 3
    with pytest.raises(ChatRuleError) as caught:
        await invitations.simulate_rule(
            ctx=ctx, actor=admin, department_id=dept["id"], rule={"name": "d", "action": {"text": ""}}
        )
    assert caught.value.field == "rule.action.text"


async def test_the_report_counts_outcomes_per_rule_agent_and_department(ctx: Context) -> None:
    manager = await online_agent(ctx, "manager")
    dept = await default_department(ctx)
    outcomes = []
    for answer in ("accept", "dismiss", "expire", "none"):
        visitor, _ = await connected_visitor(ctx)
        record = await invitations.do_invite(ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, text="Hi")
        await invitations.do_invitation_shown(ctx=ctx, actor=visitor, invitation_id=record["id"])
        if answer == "accept":
            await chats.do_send_visitor_message(
                ctx=ctx, actor=visitor, text="ok", client_id=new_cid(), invitation_id=record["id"]
            )
        elif answer == "dismiss":
            await invitations.do_dismiss_invitation(ctx=ctx, actor=visitor, invitation_id=record["id"])
        elif answer == "expire":
            async with ctx.db.write() as conn:
                await conn.execute(
                    update(Invitation)
                    .where(Invitation.id == record["id"])
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
            await invitations.do_expire_invitations(ctx)
        outcomes.append(record["id"])
    report = await invitations.invitation_report(ctx=ctx, actor=manager, since=None, until=None)
    (agent,) = [a for a in report["agents"] if a["agent_id"] == manager.id]
    assert {k: agent[k] for k in ("sent", "shown", "accepted", "dismissed", "expired", "shown", "blocked")} == {
        "sent": 4,
        "shown": 4,
        "accepted": 1,
        "dismissed": 1,
        "expired": 1,
        "blocked": 0,
    }
    assert agent["acceptance_rate"] == 0.25
    (manual,) = [r for r in report["rules"] if r["rule_id"] is None]
    assert manual["sent"] == 4
    (department,) = [d for d in report["departments"] if d["department_id"] == dept["id"]]
    assert department["accepted"] == 1
    agent_only = await new_agent(ctx, "agent")
    with pytest.raises(ChatRuleError):
        await invitations.invitation_report(ctx=ctx, actor=agent_only, since=None, until=None)


async def test_a_department_with_invitations_can_be_deleted(ctx: Context) -> None:
    """invitations.department_id has no ON DELETE: they move with the department's chats."""
    admin = await new_agent(ctx, "admin")
    dept = await departments.do_create_department(ctx=ctx, actor=admin, data={"slug": "gone-soon", "name": "Gone"})
    visitor, _ = await connected_visitor(ctx)
    record = await invitations.do_invite(
        ctx=ctx, actor=admin, visitor_id=visitor.visitor_id, text="Hi", department_id=dept["id"]
    )
    await invitations.do_create_rule(ctx=ctx, actor=admin, data=rule_data(dept["id"]))
    result = await departments.do_delete_department(ctx=ctx, actor=admin, department_id=dept["id"])
    assert (await invitation_row(ctx, record["id"])).department_id == result["moved_to"]
    assert await invitations.list_rules(ctx=ctx, actor=admin, department_id=dept["id"]) == []


async def test_another_nodes_rule_change_reaches_this_nodes_cache_through_the_bus(ctx: Context) -> None:
    """A rule written elsewhere (another node) is not seen until `invitation_rules.changed`
    arrives: the hub hands it to rules_changed_receiver, which forgets this node's copy."""
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    visitor, visit_id = await connected_visitor(ctx)
    state = visit_state(visitor, visit_id)
    await invitations.on_activity(ctx, state)  # no rules: cached as none
    now = utcnow()
    async with ctx.db.write() as conn:  # as another node's do_create_rule would
        values = check_rule(rule_data(dept["id"]))
        await conn.execute(
            insert(InvitationRule).values(
                **values, department_id=dept["id"], position=0, created_at=now, updated_at=now, created_by=admin.id
            )
        )
    await invitations.on_activity(ctx, state)
    assert frames(ctx, "invitation") == []  # still the cached copy
    receiver = invitations.rules_changed_receiver(ctx)
    receiver(orjson.dumps({"type": "invitation_rules.changed", "department_id": dept["id"]}).decode())
    await invitations.on_activity(ctx, state)
    assert len(frames(ctx, "invitation")) == 2


async def test_a_rules_delay_holds_the_invitation_back(ctx: Context) -> None:
    admin = await new_agent(ctx, "admin")
    dept = await default_department(ctx)
    await invitations.do_create_rule(
        ctx=ctx, actor=admin, data=rule_data(dept["id"], action={"text": "Later", "delay_s": 1})
    )
    visitor, visit_id = await connected_visitor(ctx)
    started = asyncio.get_running_loop().time()
    await invitations.on_activity(ctx, visit_state(visitor, visit_id))
    assert frames(ctx, "invitation") == []
    for _ in range(60):
        await asyncio.sleep(0.05)
        if frames(ctx, "invitation"):
            break
    assert frames(ctx, "invitation"), "the delayed invitation never came"
    assert asyncio.get_running_loop().time() - started >= 1.0


async def test_a_canned_invitation_is_rendered_for_the_visitor(ctx: Context) -> None:
    manager = await new_agent(ctx, "manager")
    response = await canned.do_create_canned(
        ctx=ctx,
        actor=manager,
        data={"title": "Greet", "shortcut": "greet", "body": "Hi {{visitor.name}}, {{agent.name}} here. Need help?"},
    )
    visitor, _ = await connected_visitor(ctx)
    await visitors.do_update_visitor(ctx=ctx, actor=visitor, fields={"name": "Sam"})
    record = await invitations.do_invite(
        ctx=ctx, actor=manager, visitor_id=visitor.visitor_id, canned_id=response["id"], text="ignored"
    )
    assert record["text"] == f"Hi Sam, {manager.name} here. Need help?"
    other = await new_agent(ctx, "manager")  # someone else's personal response does not exist for them
    with pytest.raises(ChatRuleError) as caught:
        await invitations.do_invite(ctx=ctx, actor=other, visitor_id=visitor.visitor_id, canned_id=response["id"])
    assert caught.value.field == "canned_id"
