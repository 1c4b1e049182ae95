"""`frontdesk demo` (actions/demo.py): a week of simulated history with its figures computed, the
same seed twice changes nothing, another seed replaces the history, a database with a real chat is
refused unless forced. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from frontdesk.actions.chats import do_close_chat, do_send_visitor_message
from frontdesk.actions.context import Context
from frontdesk.actions.demo import DEMO_OFFICES, DEMO_PASSWORD, HOLIDAY_NAME, demo_staffing, do_load_demo
from frontdesk.actions.facts import do_update_due_facts
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.schedule import week_index
from frontdesk.domain.simulation import SimConfig, demo_config
from frontdesk.security.passwords import verify_password
from frontdesk.store import setting_store, user_store
from frontdesk.store.models import (
    AgentActivity,
    Chat,
    ChatFact,
    Department,
    Invitation,
    Message,
    Office,
    OfficeHoliday,
    OfflineTicket,
    Review,
    RoutingLog,
    Shift,
    User,
    Visitor,
    metric_hours,
)
from tests.actions.routing_support import bring_online
from tests.actions.support import new_cid, new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


def small_config() -> SimConfig:
    """The demo's desk with a tenth of its visitors: quick to write twice."""
    config = demo_config()
    return replace(
        config, departments=tuple(replace(d, peak_per_hour=d.peak_per_hour / 10) for d in config.departments)
    )


async def table_counts(ctx: Context) -> dict[str, int]:
    tables: dict[str, Any] = {
        "chats": Chat,
        "messages": Message,
        "routing": RoutingLog,
        "activity": AgentActivity,
        "invitations": Invitation,
        "offline_tickets": OfflineTicket,
        "visitors": Visitor,
        "facts": ChatFact,
        "users": User,
        "departments": Department,
        "offices": Office,
        "holidays": OfficeHoliday,
        "shifts": Shift,
    }
    out: dict[str, int] = {}
    async with ctx.db.read() as conn:
        for name, table in tables.items():
            out[name] = int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
        rolled = (await conn.execute(select(func.coalesce(func.sum(metric_hours.c.chats), 0)))).scalar_one()
        out["rolled_up"] = int(rolled)
        demo = select(func.count()).select_from(Chat).where(Chat.visitor_id.like("demo-%"))
        out["demo_chats"] = int((await conn.execute(demo)).scalar_one())
    return out


async def test_a_week_of_history_with_its_figures_and_the_same_seed_again_adds_nothing(ctx: Context) -> None:
    before = await table_counts(ctx)
    began = time.monotonic()
    summary = await do_load_demo(ctx, weeks=1, seed=1)
    took = time.monotonic() - began
    assert not summary["unchanged"]
    after = await table_counts(ctx)
    assert 1000 < summary["chats"] == after["chats"] == after["demo_chats"]
    # The figures are there at once: one fact per (closed) chat, each counted in the roll-ups.
    assert summary["facts"] == after["facts"] == after["chats"] == after["rolled_up"]
    assert after["messages"] - before["messages"] == summary["counts"]["messages"]
    assert after["routing"] - before["routing"] == summary["counts"]["routing"]
    assert after["activity"] - before["activity"] == summary["counts"]["activity"] > 0
    assert after["invitations"] > 0 and after["offline_tickets"] > 0
    async with ctx.db.read() as conn:
        missed = (await conn.execute(select(func.count()).where(ChatFact.missed.is_(True)))).scalar_one()
        dropped = (await conn.execute(select(func.count()).where(ChatFact.dropped.is_(True)))).scalar_one()
        rated, invited = (
            await conn.execute(select(func.count(ChatFact.rating), func.count(ChatFact.invitation_id)))
        ).one()
        login = await user_store.login_row(conn, summary["users"][0]["email"])
        stored = await setting_store.setting(conn, "demo")
    assert missed > 0 and dropped > 0 and rated > 0 and invited > 0
    assert login is not None and verify_password(login.password_hash, DEMO_PASSWORD)
    assert stored["seed"] == 1 and stored["weeks"] == 1 and stored["chats"] == summary["chats"]
    # Nothing is dated in the future (a review "tomorrow" would make its chat's facts due for ever).
    assert await do_update_due_facts(ctx) == 0
    async with ctx.db.read() as conn:
        latest = [
            (await conn.execute(select(func.max(column)))).scalar_one()
            for column in (Message.created_at, Chat.closed_at, Chat.rated_at, Review.updated_at, AgentActivity.at)
        ]
    assert all(as_utc(at) <= utcnow() for at in latest if at is not None)
    print(f"a 1-week demo ({'sqlite' if ctx.db.is_sqlite else 'postgresql'}): {took:.1f} s")

    again = await do_load_demo(ctx, weeks=1, seed=1)
    assert again["unchanged"] and again["chats"] == summary["chats"]
    assert await table_counts(ctx) == after


async def test_the_history_runs_up_to_now_and_a_later_day_replaces_it(ctx: Context) -> None:
    config = small_config()
    day = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    now = day + timedelta(hours=15, minutes=20)
    first = await do_load_demo(ctx, weeks=1, seed=1, config=config, now=now)
    assert not first["unchanged"] and first["end"] == day.date().isoformat()
    assert first["start"] == (day - timedelta(weeks=1)).date().isoformat()

    async def span() -> tuple[int, list[Any]]:
        async with ctx.db.read() as conn:
            today = select(func.count()).select_from(Chat).where(Chat.created_at >= day)
            latest = [
                (await conn.execute(select(func.max(column)))).scalar_one()
                for column in (Message.created_at, Chat.closed_at, Chat.rated_at, RoutingLog.created_at)
            ]
            demo_agents = select(User.id).where(User.email.like("%@demo.example.com"))
            activity = select(func.max(AgentActivity.at)).where(AgentActivity.agent_id.in_(demo_agents))
            latest.append((await conn.execute(activity)).scalar_one())
            return int((await conn.execute(today)).scalar_one()), [as_utc(at) for at in latest if at is not None]

    # That day's chats up to that moment are there, every one closed; nothing is dated later.
    today, latest = await span()
    assert today > 0 and all(at <= now for at in latest)
    async with ctx.db.read() as conn:
        still_open = await conn.execute(select(func.count()).select_from(Chat).where(Chat.status != "closed"))
    assert still_open.scalar_one() == 0
    counts = await table_counts(ctx)
    assert counts["facts"] == counts["rolled_up"] == counts["chats"] == first["chats"]

    # Later the same day: nothing changes.
    again = await do_load_demo(ctx, weeks=1, seed=1, config=config, now=now + timedelta(hours=5))
    assert again["unchanged"] and await table_counts(ctx) == counts

    # The next day the same seed replaces the history, which now runs up to the new moment.
    later = now + timedelta(days=1, hours=2)
    next_day = await do_load_demo(ctx, weeks=1, seed=1, config=config, now=later)
    assert not next_day["unchanged"] and next_day["end"] == (day + timedelta(days=1)).date().isoformat()
    after = await table_counts(ctx)
    assert after["chats"] == after["demo_chats"] == next_day["chats"]
    assert after["facts"] == after["rolled_up"] == after["chats"]
    _today, latest = await span()
    assert max(latest) > now and all(at <= later for at in latest)


async def test_another_seed_replaces_the_demo_history(ctx: Context) -> None:
    first = await do_load_demo(ctx, weeks=1, seed=1, config=small_config())
    before = await table_counts(ctx)
    second = await do_load_demo(ctx, weeks=1, seed=2, config=small_config())
    assert not second["unchanged"] and second["chats"] != first["chats"]
    after = await table_counts(ctx)
    assert after["chats"] == after["demo_chats"] == second["chats"]
    for table in ("messages", "routing", "activity", "invitations", "offline_tickets"):
        assert after[table] - (before[table] - first["counts"][table]) == second["counts"][table], table
    assert after["facts"] == after["rolled_up"] == second["chats"]  # the old roll-ups went with the old chats
    assert after["users"] == before["users"] and after["departments"] == before["departments"]  # kept


async def test_the_same_seed_again_computes_the_figures_a_cut_short_run_left(ctx: Context) -> None:
    first = await do_load_demo(ctx, weeks=1, seed=1, config=small_config())
    async with ctx.db.write() as conn:  # as if the command had been stopped before its facts
        await conn.execute(delete(ChatFact))
        await conn.execute(delete(metric_hours))
    again = await do_load_demo(ctx, weeks=1, seed=1, config=small_config())
    assert again["unchanged"] and again["facts"] == first["chats"]
    after = await table_counts(ctx)
    assert after["facts"] == after["rolled_up"] == after["chats"] == first["chats"]


async def test_a_database_with_a_real_chat_is_refused_unless_forced(ctx: Context) -> None:
    visitor = await new_visitor(ctx)
    await do_send_visitor_message(ctx=ctx, actor=visitor, text="Hello, anyone there?", client_id=new_cid())
    before = await table_counts(ctx)
    with pytest.raises(ChatRuleError) as refused:
        await do_load_demo(ctx, weeks=1, seed=1, config=small_config())
    assert refused.value.field == "force" and "1 chats the demo did not make" in refused.value.message
    assert await table_counts(ctx) == before  # nothing written
    summary = await do_load_demo(ctx, weeks=1, seed=1, config=small_config(), force=True)
    after = await table_counts(ctx)
    assert after["chats"] == summary["chats"] + 1  # the real chat is still there
    async with ctx.db.read() as conn:
        real = (await conn.execute(select(Chat.id).where(Chat.visitor_id == visitor.visitor_id))).all()
    assert len(real) == 1


async def test_a_real_chat_in_a_demo_department_keeps_its_figures_when_the_demo_is_replaced(ctx: Context) -> None:
    # Open around the clock, and one of the demo's support agents online: a visitor can start a chat.
    config = small_config()
    config = replace(config, departments=tuple(replace(d, hours={}) for d in config.departments))
    await do_load_demo(ctx, weeks=1, seed=1, config=config)
    async with ctx.db.read() as conn:
        ingrid = await user_store.user_id_by_email(conn, "ingrid.berg@demo.example.com")
    assert ingrid is not None
    await bring_online(ctx, ingrid)
    visitor = await new_visitor(ctx)
    sent = await do_send_visitor_message(ctx=ctx, actor=visitor, text="Hi", client_id=new_cid(), department="support")
    await do_close_chat(ctx=ctx, actor=visitor, chat_id=sent.event["chat_id"])
    assert await do_update_due_facts(ctx) == 1
    summary = await do_load_demo(ctx, weeks=1, seed=2, config=config, force=True)
    after = await table_counts(ctx)
    assert after["chats"] == summary["chats"] + 1
    # Its fact was computed again, and the roll-ups hold exactly the facts there are.
    assert after["facts"] == after["rolled_up"] == summary["chats"] + 1
    async with ctx.db.read() as conn:
        slugs = (await conn.execute(select(Department.slug).order_by(Department.slug))).scalars().all()
    assert "support-demo" not in slugs  # the demo's department was found again, not made twice


async def test_the_demo_staffs_offices_in_three_time_zones_with_one_hour_left_uncovered(ctx: Context) -> None:
    config = small_config()
    summary = await do_load_demo(ctx, weeks=1, seed=1, config=config)
    assert summary["counts"]["shifts"] > 0 and summary["counts"]["holidays"] == 1
    async with ctx.db.read() as conn:
        offices = {r.id: (r.name, r.timezone) for r in (await conn.execute(select(Office))).all()}
        users = {r.email: r for r in (await conn.execute(select(User.id, User.email, User.office_id))).all()}
        shifts = (await conn.execute(select(Shift))).all()
        demo_departments = select(Department.id, Department.name).where(Department.description.like("% (demo)"))
        department_names = {r.id: r.name for r in (await conn.execute(demo_departments)).all()}
        holidays = (await conn.execute(select(OfficeHoliday))).all()
    assert sorted(offices.values()) == sorted(DEMO_OFFICES)
    names = {d.slug: d.name for d in config.departments}
    # Each agent works from the office of their shifts' time zone; the manager (no shifts) from none.
    by_id: dict[int, list[Any]] = {}
    for row in shifts:
        by_id.setdefault(row.agent_id, []).append(row)
    for spec in config.agents:
        user = users[spec.email]
        if not spec.shifts:
            assert user.office_id is None and user.id not in by_id, spec.name
            continue
        assert offices[user.office_id][1] == spec.timezone, spec.name
        mine = by_id[user.id]
        assert {r.timezone for r in mine} == {spec.timezone}
        # each staffs one department: Support for its members (a plan for Support re-plans them all)
        staffs = "Support" if "support" in spec.departments else names[spec.departments[0]]
        assert {department_names[r.department_id] for r in mine} == {staffs}, spec.name
        # one row per weekday of each simulated shift (a two-week rota's rows have a 2-week cycle)
        assert {(r.weekday, r.start_minute, r.minutes) for r in mine} <= {
            (d, s.start, s.minutes) for s in spec.shifts for d in s.days
        }
    # Lars Moen's Wednesday evening is left out on purpose (Support's Wednesday 23:00 uncovered).
    lars = by_id[users["lars.moen@demo.example.com"].id]
    assert sorted(r.weekday for r in lars) == [0, 1, 3, 4]
    assert [(offices[h.office_id][0], h.name) for h in holidays] == [("Oslo", HOLIDAY_NAME)]
    # Loading again (another seed) replaces the rows: the same numbers, nothing twice.
    before = await table_counts(ctx)
    await do_load_demo(ctx, weeks=1, seed=2, config=config)
    after = await table_counts(ctx)
    assert (after["shifts"], after["offices"], after["holidays"]) == (before["shifts"], before["offices"], 1)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 7, 12, tzinfo=UTC),  # ISO week 50 of a 53-week year
        datetime(2027, 1, 6, 12, tzinfo=UTC),  # ISO week 1 after it: the phase swaps
        datetime(2025, 3, 31, 23, 30, tzinfo=UTC),  # Oslo is already in Tuesday
    ],
)
async def test_a_two_week_rota_keeps_the_simulated_weeks_in_the_current_week(now: datetime) -> None:
    config = demo_config()
    _offices, rows, (_office, holiday, _name) = demo_staffing(config, now)
    for row in rows:
        spec = config.agents[row["agent"]]
        today = now.astimezone(ZoneInfo(spec.timezone)).date()
        day = today - timedelta(days=today.weekday()) + timedelta(days=row["weekday"])
        works = week_index(day) % row["cycle_weeks"] == row["cycle_week"]
        simulated = any(
            row["weekday"] in s.days and s.start == row["start_minute"] and day.isocalendar()[1] % 2 in s.weeks
            for s in spec.shifts
        )
        assert works == simulated, (spec.name, row)
    assert holiday.weekday() == 2 and holiday > now.date() + timedelta(days=7)  # not in the coming week


@pytest.mark.parametrize(
    ("weeks", "seed", "field"),
    [(0, 1, "weeks"), (53, 1, "weeks"), (True, 1, "weeks"), (1, -1, "seed"), (1, "x", "seed")],
)
async def test_bad_weeks_or_seed_name_the_field(ctx: Context, weeks: Any, seed: Any, field: str) -> None:
    with pytest.raises(ChatRuleError) as bad:
        await do_load_demo(ctx, weeks=weeks, seed=seed)
    assert bad.value.field == field
