"""The live view against a real database (SQLite and PostgreSQL): who is online, filters, sorts,
paging, counters, chat states, who may look (department scope, greeters) and journeys."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from frontdesk.actions import live
from frontdesk.actions.chats import do_accept_chat
from frontdesk.actions.context import unit_of_work
from frontdesk.actions.users import do_update_user
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.live_view import check_live_query
from frontdesk.realtime.live_visitors import LiveVisitors
from frontdesk.store.models import Invitation, PageView, Visit
from tests.actions.routing_support import first_message, make_admin, make_agent, make_department, staff
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")
_numbers = itertools.count(1)


async def put_visit(ctx, visitor_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A visit row as the tracking actions leave it: online (seen 5 s ago) unless told."""
    if visitor_id is None:
        visitor_id = (await new_visitor(ctx)).visitor_id
    now = utcnow()
    n = next(_numbers)
    values = {
        "visitor_id": visitor_id,
        "number": 1,
        "started_at": now - timedelta(minutes=n),
        "last_seen_at": now - timedelta(seconds=5),
        "page_url": f"https://shop.example/page-{n}",
        "page_title": f"Page {n}",
        "page_since": now - timedelta(seconds=n),
        "pages": 1,
        "visible_ms": 1000,
        **fields,
    }
    async with unit_of_work(ctx) as (conn, _outbox):
        visit_id = (await conn.execute(insert(Visit).values(**values).returning(Visit.id))).scalar_one()
    return {"id": visit_id, **values}


async def page(ctx, actor, **ask: Any) -> dict[str, Any]:
    filters = {k: v for k, v in ask.items() if k not in ("sort", "page", "page_size")}
    query = check_live_query(filters, ask.get("sort"), ask.get("page"), ask.get("page_size"))
    return await live.list_live(ctx=ctx, actor=actor, query=query)


def visitor_ids(answer: dict[str, Any]) -> list[str]:
    return [item["visitor_id"] for item in answer["items"]]


async def test_only_online_visits_are_listed_with_every_field(ctx):
    admin = await make_admin(ctx)
    now = utcnow()
    online = await put_visit(ctx, country="DE", city="Berlin", browser="Firefox", device="desktop", number=2)
    await put_visit(ctx, left_at=now)  # their last socket closed
    await put_visit(ctx, ended_at=now)  # the visit ended
    await put_visit(ctx, last_seen_at=now - timedelta(seconds=120))  # its node stopped refreshing it
    answer = await page(ctx, admin)
    assert visitor_ids(answer) == [online["visitor_id"]]
    assert answer["counters"] == {"online": 1, "chatting": 0, "waiting": 0, "invited": 0}
    assert (answer["total"], answer["page"], answer["page_size"]) == (1, 1, 50)
    item = answer["items"][0]
    assert item["visit_id"] == online["id"] and item["visit_number"] == 2 and item["returning"] is True
    assert item["page"]["url"] == online["page_url"] and item["page"]["title"] == online["page_title"]
    assert (item["country"], item["city"], item["browser"], item["device"]) == ("DE", "Berlin", "Firefox", "desktop")
    assert (item["state"], item["chat_id"], item["agent"], item["invitation_id"]) == ("none", None, None, None)


async def test_filters_narrow_the_page_and_the_total_but_not_the_counters(ctx):
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales")
    a = await put_visit(
        ctx, page_url="https://shop.example/Pricing?plan=100%25", country="DE", referrer="https://www.google.com/"
    )
    b = await put_visit(ctx, page_url="https://shop.example/blog", country="FR", number=3, department_id=sales["id"])
    c = await put_visit(ctx, page_url="https://shop.example/pricing_old", country="DE", referrer="https://bing.com/")
    assert set(visitor_ids(await page(ctx, admin, url="pricing"))) == {a["visitor_id"], c["visitor_id"]}
    # `%` and `_` are letters in a filter, not wildcards
    assert visitor_ids(await page(ctx, admin, url="100%25")) == [a["visitor_id"]]
    assert visitor_ids(await page(ctx, admin, url="pric_ng")) == []
    assert visitor_ids(await page(ctx, admin, url="g_o")) == [c["visitor_id"]]
    assert set(visitor_ids(await page(ctx, admin, country="de"))) == {a["visitor_id"], c["visitor_id"]}
    assert visitor_ids(await page(ctx, admin, referrer="GOOGLE")) == [a["visitor_id"]]
    assert visitor_ids(await page(ctx, admin, returning=True)) == [b["visitor_id"]]
    assert set(visitor_ids(await page(ctx, admin, returning=False))) == {a["visitor_id"], c["visitor_id"]}
    assert visitor_ids(await page(ctx, admin, department=sales["id"])) == [b["visitor_id"]]
    narrowed = await page(ctx, admin, country="FR")
    assert narrowed["total"] == 1 and narrowed["counters"]["online"] == 3
    assert (await page(ctx, admin, country="JP"))["items"] == []


async def test_chat_states_come_from_the_open_chat_and_pending_invitations(ctx):
    admin = await make_admin(ctx)
    ann = await make_agent(ctx, admin, name="Ann")
    waiting = await new_visitor(ctx)
    chatting = await new_visitor(ctx)
    invited = await new_visitor(ctx)
    lapsed = await new_visitor(ctx)
    for visitor in (waiting, chatting, invited, lapsed):
        await put_visit(ctx, visitor.visitor_id)
    await first_message(ctx, waiting, None)
    chat_id = await first_message(ctx, chatting, None)
    await do_accept_chat(ctx=ctx, actor=ann, chat_id=chat_id)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        stmt = insert(Invitation).returning(Invitation.id)
        common = {"department_id": 1, "text": "Can we help?", "created_at": now}
        invitation_id = (
            await conn.execute(
                stmt.values(visitor_id=invited.visitor_id, expires_at=now + timedelta(minutes=2), **common)
            )
        ).scalar_one()
        await conn.execute(
            insert(Invitation).values(visitor_id=lapsed.visitor_id, expires_at=now - timedelta(seconds=1), **common)
        )
    answer = await page(ctx, admin)
    by_visitor = {item["visitor_id"]: item for item in answer["items"]}
    assert by_visitor[waiting.visitor_id]["state"] == "waiting"
    assert by_visitor[chatting.visitor_id]["state"] == "chatting"
    assert by_visitor[chatting.visitor_id]["chat_id"] == chat_id
    assert by_visitor[chatting.visitor_id]["agent"] == {"id": ann.id, "name": "Ann"}
    assert by_visitor[invited.visitor_id]["state"] == "invited"
    assert by_visitor[invited.visitor_id]["invitation_id"] == invitation_id
    assert by_visitor[lapsed.visitor_id]["state"] == "none"  # expired: not pending any more
    assert answer["counters"] == {"online": 4, "chatting": 1, "waiting": 1, "invited": 1}
    for state, who in [("waiting", waiting), ("chatting", chatting), ("invited", invited), ("none", lapsed)]:
        assert visitor_ids(await page(ctx, admin, state=state)) == [who.visitor_id]


async def test_sorts_and_pages(ctx):
    admin = await make_admin(ctx)
    now = utcnow()
    rows = [
        await put_visit(
            ctx,
            started_at=now - timedelta(minutes=minutes),
            pages=pages,
            country=country,
            number=number,
            page_since=now - timedelta(seconds=since),
        )
        for minutes, pages, country, number, since in [
            (10, 3, "FR", 1, 50),
            (30, 1, None, 4, 10),
            (20, 7, "AT", 2, 90),
        ]
    ]
    ids = [r["visitor_id"] for r in rows]
    expected = {
        "time_on_site": [ids[0], ids[2], ids[1]],  # 10, 20, 30 minutes
        "pages": [ids[1], ids[0], ids[2]],
        "page_since": [ids[2], ids[0], ids[1]],  # opened 90, 50, 10 s ago
        "country": [ids[2], ids[0], ids[1]],  # AT, FR, and no country last
        "visit_number": [ids[0], ids[2], ids[1]],
    }
    for key, order in expected.items():
        assert visitor_ids(await page(ctx, admin, sort=key)) == order, key
        descending = order[::-1] if key != "country" else [ids[0], ids[2], ids[1]]  # no country stays last
        assert visitor_ids(await page(ctx, admin, sort="-" + key)) == descending, key
    first = await page(ctx, admin, sort="pages", page_size=2)
    second = await page(ctx, admin, sort="pages", page_size=2, page=2)
    assert visitor_ids(first) == expected["pages"][:2] and visitor_ids(second) == expected["pages"][2:]
    assert first["total"] == second["total"] == 3 and second["page"] == 2
    assert (await page(ctx, admin, sort="pages", page_size=2, page=3))["items"] == []


async def test_supervisors_see_their_departments_and_agents_only_as_greeters(ctx):
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales", routing="pick")
    billing = await make_department(ctx, admin, "billing", routing="pick")
    sam = await make_agent(ctx, admin, role="supervisor", name="Sam")
    ann = await make_agent(ctx, admin, name="Ann")
    meg = await make_agent(ctx, admin, role="manager", name="Meg")
    bob = await make_agent(ctx, admin, name="Bob")
    await staff(ctx, admin, sales["id"], [sam, ann])
    await staff(ctx, admin, billing["id"], [bob])
    in_sales = await put_visit(ctx, department_id=sales["id"])
    in_billing = await put_visit(ctx, department_id=billing["id"])
    unknown = await put_visit(ctx)
    # A visitor whose open chat is in billing is billing's, whatever the page said.
    chat_in_billing = await new_visitor(ctx)
    await put_visit(ctx, chat_in_billing.visitor_id, department_id=sales["id"])
    await first_message(ctx, chat_in_billing, "billing")
    everyone = {in_sales["visitor_id"], in_billing["visitor_id"], unknown["visitor_id"], chat_in_billing.visitor_id}
    assert set(visitor_ids(await page(ctx, meg))) == everyone
    seen_by_sam = await page(ctx, sam)
    assert set(visitor_ids(seen_by_sam)) == {in_sales["visitor_id"], unknown["visitor_id"]}
    assert seen_by_sam["counters"]["online"] == 2
    with pytest.raises(ChatRuleError) as err:
        await page(ctx, ann)
    assert err.value.code == "forbidden" and "greeter" in err.value.message
    # Only admins and managers mark greeters, and only agents.
    for who in (sam, ann):
        with pytest.raises(ChatRuleError) as err:
            await do_update_user(ctx=ctx, actor=who, user_id=ann.id, data={"greeter": True})
        assert err.value.code == "forbidden"
    with pytest.raises(ChatRuleError) as err:
        await do_update_user(ctx=ctx, actor=meg, user_id=sam.id, data={"greeter": True})
    assert (err.value.code, err.value.field) == ("bad_request", "greeter")
    with pytest.raises(ChatRuleError) as err:
        await do_update_user(ctx=ctx, actor=meg, user_id=ann.id, data={"greeter": "yes"})
    assert (err.value.code, err.value.field) == ("bad_request", "greeter")
    assert (await do_update_user(ctx=ctx, actor=meg, user_id=ann.id, data={"greeter": True}))["greeter"] is True
    assert set(visitor_ids(await page(ctx, ann))) == {in_sales["visitor_id"], unknown["visitor_id"]}
    assert await live.visitor_flags(ctx=ctx, actor=ann) == {"greeter": True, "may_view_visitors": True}
    await do_update_user(ctx=ctx, actor=admin, user_id=ann.id, data={"greeter": False})
    assert await live.visitor_flags(ctx=ctx, actor=ann) == {"greeter": False, "may_view_visitors": False}
    with pytest.raises(ChatRuleError):
        await live.visitor_scope(ctx=ctx, actor=ann, action="visitor.invite")


async def test_a_journey_shows_visits_pages_and_chats_to_who_may_see_them(ctx):
    admin = await make_admin(ctx)
    billing = await make_department(ctx, admin, "billing", routing="pick")
    ann = await make_agent(ctx, admin, name="Ann")
    bob = await make_agent(ctx, admin, name="Bob")
    await staff(ctx, admin, billing["id"], [bob])
    visitor = await new_visitor(ctx)
    now = utcnow()
    old = await put_visit(ctx, visitor.visitor_id, ended_at=now - timedelta(days=1), country="DE", pages=2)
    current = await put_visit(ctx, visitor.visitor_id, number=2, country="AT", device="phone", browser="Chrome")
    async with unit_of_work(ctx) as (conn, _outbox):
        for visit, url, seconds, visible in [
            (old, "https://shop.example/", 90, 4000),
            (old, "https://shop.example/pricing", 80, None),
            (current, "https://shop.example/help", 5, None),
        ]:
            await conn.execute(
                insert(PageView).values(
                    visit_id=visit["id"],
                    visitor_id=visitor.visitor_id,
                    at=now - timedelta(seconds=seconds),
                    url=url,
                    title=None,
                    visible_ms=visible,
                )
            )
    chat_id = await first_message(ctx, visitor, "billing")
    # An admin sees everything; the first visit's pages newest first.
    journey = await live.journey(ctx=ctx, actor=admin, visitor_id=visitor.visitor_id)
    assert [v["id"] for v in journey["visits"]] == [current["id"], old["id"]]
    assert [p["url"] for p in journey["visits"][1]["pages"]] == [
        "https://shop.example/pricing",
        "https://shop.example/",
    ]
    assert journey["visits"][1]["pages"][1]["visible_ms"] == 4000
    assert journey["location"]["country"] == "AT" and journey["device"]["device"] == "phone"
    assert [c["id"] for c in journey["chats"]] == [chat_id]
    assert journey["chats"][0]["department"]["name"] == "Billing"
    # Bob may read the chat (his department's queue): its journey opens for him, without greeter.
    assert [c["id"] for c in (await live.journey(ctx=ctx, actor=bob, visitor_id=visitor.visitor_id))["chats"]] == [
        chat_id
    ]
    # Ann may neither see the visitor live (no greeter) nor read their chat: as if they did not exist.
    for visitor_id in (visitor.visitor_id, "V-no-such-visitor"):
        with pytest.raises(ChatRuleError) as err:
            await live.journey(ctx=ctx, actor=ann, visitor_id=visitor_id)
        assert err.value.code == "not_found"
    # As a greeter (general only) she sees a visitor of no known department, without billing's chats.
    await do_update_user(ctx=ctx, actor=admin, user_id=ann.id, data={"greeter": True})
    stranger = await new_visitor(ctx)
    await put_visit(ctx, stranger.visitor_id)
    assert (await live.journey(ctx=ctx, actor=ann, visitor_id=stranger.visitor_id))["chats"] == []
    with pytest.raises(ChatRuleError):
        await live.journey(ctx=ctx, actor=ann, visitor_id=visitor.visitor_id)  # billing's visitor


async def test_watchers_asking_the_same_question_share_one_read_until_something_changes(ctx):
    """realtime/live_visitors.LiveVisitors.page: the node's watchers of one query and scope (three
    managers on the first page) cost one read; an announcement, or a second, ends the sharing."""
    await put_visit(ctx)
    node = LiveVisitors()
    query = check_live_query({})
    pages = await asyncio.gather(*(node.page(ctx, query, None) for _ in range(3)))
    assert node.shared == 2 and pages[0] == pages[1] == pages[2] and pages[0]["total"] == 1
    await node.page(ctx, check_live_query({"country": "DE"}), None)  # another question: its own read
    await node.page(ctx, query, frozenset({1}))  # another scope: its own read
    assert node.shared == 2
    await put_visit(ctx)
    node.announced("{}")
    assert (await node.page(ctx, query, None))["total"] == 2 and node.shared == 2
