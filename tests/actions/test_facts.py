"""actions/facts.py on real chats driven through the actions with a controlled clock (every
frontdesk module's `utcnow` reads `Clock.at`), on SQLite and PostgreSQL: the job writes facts
and hourly roll-ups, a rating or review after the close updates both, the roll-ups of a day equal
the figures recomputed from chat_facts, and the rebuild gives the same roll-ups again."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

import frontdesk
import frontdesk.clock
from frontdesk.actions import chats, facts, quality, read_receipts, retention, satisfaction, transfers
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.actions.visitors import do_create_visitor
from frontdesk.domain.metrics import ROLLUP_COLUMNS, add_increments, rollup_increments, rollup_key
from frontdesk.jobs import Jobs
from frontdesk.store import facts_store
from frontdesk.store.models import Chat, ChatFact, metric_hours
from tests.actions.routing_support import make_admin, make_agent, make_department, staff
from tests.conftest import ServerProcess

DAY = datetime(2026, 3, 10, tzinfo=UTC)


def T(minutes: float) -> datetime:
    return DAY + timedelta(hours=9, minutes=minutes)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every frontdesk module's `utcnow` reads this clock (modules imported first, so none binds
    the real one later)."""
    for info in pkgutil.walk_packages(frontdesk.__path__, "frontdesk."):
        if ".web" in info.name or info.name.endswith(("__main__", ".asgi")):
            continue
        importlib.import_module(info.name)
    c = Clock(T(0))
    real = frontdesk.clock.utcnow
    for name, module in list(sys.modules.items()):
        if name.startswith("frontdesk") and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", c.now)
    return c


class Scene:
    def __init__(self, ctx: Context, clock: Clock, dept: dict[str, Any]) -> None:
        self.ctx, self.clock, self.dept = ctx, clock, dept
        self.visitors: dict[str, VisitorActor] = {}
        self.ids: dict[str, int] = {}

    def at(self, minutes: float) -> None:
        self.clock.at = T(minutes)

    async def visitor_says(self, name: str, minutes: float) -> None:
        self.at(minutes)
        if name not in self.visitors:
            visitor, _token = await do_create_visitor(ctx=self.ctx)
            self.visitors[name] = VisitorActor(visitor["id"])
        sent = await chats.do_send_visitor_message(
            ctx=self.ctx,
            actor=self.visitors[name],
            text="Hello?",
            client_id=f"{name}-{round(minutes * 60)}".replace(" ", "_"),
            department=self.dept["slug"],
        )
        self.ids.setdefault(name, sent.event["chat_id"])

    async def accept(self, name: str, agent: AgentActor, minutes: float) -> None:
        self.at(minutes)
        await chats.do_accept_chat(ctx=self.ctx, actor=agent, chat_id=self.ids[name])

    async def agent_says(self, name: str, agent: AgentActor, minutes: float) -> int:
        self.at(minutes)
        sent = await chats.do_send_agent_message(
            ctx=self.ctx,
            actor=agent,
            chat_id=self.ids[name],
            text="On it.",
            client_id=f"a-{name}-{round(minutes * 60)}".replace(" ", "_"),
        )
        return int(sent.event["seq"])

    async def close(self, name: str, by: AgentActor | None, minutes: float) -> None:
        self.at(minutes)
        actor: AgentActor | VisitorActor = by if by is not None else self.visitors[name]
        await chats.do_close_chat(ctx=self.ctx, actor=actor, chat_id=self.ids[name])

    async def reads(self, name: str, seq: int) -> None:
        """The widget's `read` frame: the real action (open chats only)."""
        assert await read_receipts.do_visitor_read(ctx=self.ctx, actor=self.visitors[name], seq=seq) is not None


async def _facts(ctx: Context) -> dict[int, dict[str, Any]]:
    async with ctx.db.read() as conn:
        return {r.chat_id: dict(r._mapping) for r in await conn.execute(select(ChatFact.__table__))}


async def _rollups(ctx: Context) -> dict[tuple[datetime, int, int], dict[str, float]]:
    async with ctx.db.read() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(select(metric_hours))]
    out = {}
    for r in rows:
        key = (frontdesk.clock.as_utc(r["hour_at"]), r["department_id"], r["agent_id"])
        out[key] = {c: r[c] for c in ROLLUP_COLUMNS if r[c]}
    return out


def _expected_rollups(rows: list[dict[str, Any]]) -> dict[tuple[datetime, int, int], dict[str, float]]:
    """The roll-ups recomputed from chat_facts rows."""
    out: dict[tuple[datetime, int, int], dict[str, float]] = defaultdict(dict)
    for row in rows:
        hour, department, agent = rollup_key(row)
        add_increments(out[(frontdesk.clock.as_utc(hour), department, agent)], rollup_increments(row))
    return {k: {c: v for c, v in d.items() if v} for k, d in out.items()}


def _assert_same(actual: dict[Any, dict[str, float]], expected: dict[Any, dict[str, float]]) -> None:
    assert set(actual) == set(expected)
    for key, columns in expected.items():
        assert set(actual[key]) == set(columns), key
        for c, v in columns.items():
            assert actual[key][c] == pytest.approx(v), (key, c)


async def _scene(ctx: Context, clock: Clock) -> tuple[Scene, AgentActor, AgentActor]:
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "facts", routing="pick")
    ada = await make_agent(ctx, admin, name="Ada")
    ben = await make_agent(ctx, admin, name="Ben")
    await staff(ctx, admin, dept["id"], [ada, ben])
    s = Scene(ctx, clock, dept)
    # "answered": accepted after 20 s, first reply at 50 s, read, closed by Ada.
    await s.visitor_says("answered", 0)
    await s.accept("answered", ada, 20 / 60)
    seq = await s.agent_says("answered", ada, 50 / 60)
    await s.reads("answered", seq)
    await s.close("answered", ada, 2)
    # "missed": the visitor gives up after 90 s in the queue.
    await s.visitor_says("missed", 3)
    await s.close("missed", None, 4.5)
    # "dropped": Ada answers, transfers to Ben, Ben answers, the visitor leaves without reading.
    await s.visitor_says("dropped", 10)
    await s.accept("dropped", ada, 10.5)
    await s.agent_says("dropped", ada, 11)
    s.at(12)
    await transfers.do_transfer_chat(ctx=ctx, actor=ada, chat_id=s.ids["dropped"], to_agent_id=ben.id)
    await s.agent_says("dropped", ben, 13)
    await s.close("dropped", None, 14)
    # "next hour": answered in the next UTC hour, still open when the job first runs.
    await s.visitor_says("next hour", 61)
    await s.accept("next hour", ben, 61.5)
    await s.agent_says("next hour", ben, 62)
    return s, ada, ben


async def test_the_job_writes_facts_and_rollups_and_a_rating_after_the_close_updates_both(
    ctx: Context, clock: Clock
) -> None:
    s, ada, ben = await _scene(ctx, clock)
    s.at(63)
    jobs = Jobs(ctx)
    await jobs.run_once()
    assert not jobs.failures
    got = await _facts(ctx)
    answered, missed, dropped = got[s.ids["answered"]], got[s.ids["missed"]], got[s.ids["dropped"]]
    assert s.ids["next hour"] not in got  # still open: no fact yet
    assert (answered["answered"], answered["missed"], answered["dropped"]) == (True, False, False)
    assert answered["queue_wait_s"] == pytest.approx(20) and answered["first_response_s"] == pytest.approx(50)
    assert answered["duration_s"] == pytest.approx(120) and answered["agent_id"] == ada.id
    # held 20 s .. 120 s: 30 s waiting on Ada, then 70 s waiting on the visitor (under 240 s)
    assert answered["handle_s"] == pytest.approx(100) and answered["concurrency"] == pytest.approx(1)
    assert (missed["missed"], missed["answered"], missed["agent_id"], missed["queue_wait_s"]) == (
        True,
        False,
        None,
        None,
    )
    assert missed["duration_s"] == pytest.approx(90)
    assert dropped["dropped"] and dropped["transfers"] == 1
    assert (dropped["agent_id"], dropped["first_agent_id"]) == (ben.id, ada.id)
    assert dropped["reply_n"] == 1 and dropped["first_response_s"] == pytest.approx(60)

    hour = T(0).replace(minute=0)
    rollups = await _rollups(ctx)
    dept = s.dept["id"]
    assert rollups[(hour, dept, ada.id)]["chats"] == 1
    assert rollups[(hour, dept, 0)] == {
        "chats": 1,
        "missed": 1,
        "duration_n": 1,
        "duration_sum": pytest.approx(90),
        "duration_b7": 1,
    }
    assert rollups[(hour, dept, ben.id)]["dropped"] == 1
    async with ctx.db.read() as conn:
        facts_rows = await facts_store.facts_between(conn, DAY, DAY + timedelta(days=1))
    _assert_same(rollups, _expected_rollups(facts_rows))

    # The visitor rates 5 after the close: the next pass replaces the fact and moves the roll-up.
    s.at(64)
    await satisfaction.do_rate_chat(ctx=ctx, actor=s.visitors["answered"], chat_id=s.ids["answered"], rating=5)
    s.at(64.1)
    await jobs.run_once()
    assert (await _facts(ctx))[s.ids["answered"]]["rating"] == 5
    row = (await _rollups(ctx))[(hour, dept, ada.id)]
    assert (row["chats"], row["rated"], row["rating_sum"], row["rating_good"]) == (1, 1, 5, 1)
    # Nothing due any more: another pass writes nothing.
    assert await facts.do_update_due_facts(ctx, since=T(0)) == 0


async def test_the_rollups_of_a_day_equal_the_figures_recomputed_from_chat_facts(ctx: Context, clock: Clock) -> None:
    s, ada, ben = await _scene(ctx, clock)
    await s.close("next hour", ben, 70)
    s.at(71)
    assert await facts.do_update_due_facts(ctx) == 4
    # A review after the facts were computed, and a late read receipt of the dropped chat.
    reviewer = await make_admin(ctx)
    s.at(72)
    card = await quality.do_set_scorecard(
        ctx=ctx, actor=reviewer, department_id=s.dept["id"], criteria=[{"name": "Helpful"}]
    )
    await quality.do_review(
        ctx=ctx,
        actor=reviewer,
        chat_id=s.ids["dropped"],
        scores=[{"criterion_id": card["criteria"][0]["id"], "score": 4}],
    )
    # A read receipt is taken for open chats only (actions/read_receipts.py), so a closed chat's
    # read seq cannot move through the actions today; changed_facts still looks for one (a
    # receipt racing the close, or a later rule): raised here in the database.
    async with ctx.db.write() as conn:
        last = (await conn.execute(select(Chat.last_seq).where(Chat.id == s.ids["dropped"]))).scalar_one()
        await conn.execute(update(Chat).where(Chat.id == s.ids["dropped"]).values(visitor_read_seq=last))
    s.at(73)
    assert await facts.do_update_due_facts(ctx) == 1  # one chat, reviewed and read
    dropped = (await _facts(ctx))[s.ids["dropped"]]
    assert dropped["review_score"] == pytest.approx(4) and not dropped["dropped"]

    async with ctx.db.read() as conn:
        rows = await facts_store.facts_between(conn, DAY, DAY + timedelta(days=1))
    assert len(rows) == 4
    rollups = await _rollups(ctx)
    _assert_same(rollups, _expected_rollups(rows))
    # The day's totals: 4 chats, 3 answered, 1 missed, 1 dropped ("next hour": Ben's message
    # unread; "dropped" was read after all), 1 transfer, 1 reviewed.
    day: dict[str, float] = {}
    for columns in rollups.values():
        add_increments(day, columns)
    assert {k: day.get(k, 0) for k in ("chats", "answered", "missed", "dropped", "transfers", "reviewed")} == {
        "chats": 4,
        "answered": 3,
        "missed": 1,
        "dropped": 1,
        "transfers": 1,
        "reviewed": 1,
    }
    assert day["first_response_n"] == 3
    assert day["first_response_sum"] == pytest.approx(50 + 60 + 60)

    # The rebuild starts from nothing and comes back to the same facts and roll-ups.
    seen: list[tuple[int, int]] = []
    assert await facts.do_rebuild_facts(ctx, batch=2, progress=lambda d, t: seen.append((d, t))) == 4
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    _assert_same(await _rollups(ctx), rollups)
    again = await _facts(ctx)
    assert {k: {c: v for c, v in r.items() if c != "computed_at"} for k, r in again.items()} == {
        r["chat_id"]: {c: v for c, v in r.items() if c != "computed_at"} for r in rows
    }


async def test_retention_deletes_the_facts_with_their_chats_and_keeps_the_rollups(ctx: Context, clock: Clock) -> None:
    s, _ada, ben = await _scene(ctx, clock)
    await s.close("next hour", ben, 70)
    s.at(71)
    assert await facts.do_update_due_facts(ctx) == 4
    before = await _rollups(ctx)
    admin = await make_admin(ctx)
    await retention.do_update_privacy_settings(ctx=ctx, actor=admin, data={"retention_days": 30, "mode": "delete"})
    report = await retention.do_run_retention(ctx, now=T(71) + timedelta(days=31))
    assert report.chats == 4
    assert await _facts(ctx) == {}  # ON DELETE CASCADE
    _assert_same(await _rollups(ctx), before)  # aggregates, no personal data: they stay
    # a rebuild recomputes from the chats that remain: none
    assert await facts.do_rebuild_facts(ctx) == 0
    assert await _rollups(ctx) == {}


async def test_cli_analytics_rebuild(ctx: Context, clock: Clock) -> None:
    s, _ada, ben = await _scene(ctx, clock)
    await s.close("next hour", ben, 70)
    s.at(71)
    assert await facts.do_update_due_facts(ctx) == 4
    before = await _rollups(ctx)
    async with ctx.db.write() as conn:  # roll-ups gone wrong: the rebuild starts from nothing
        await conn.execute(update(metric_hours).values(chats=99, answered=0))
    proc = ServerProcess(ctx.settings.data_dir, str(ctx.settings.database_url))
    out = await asyncio.to_thread(proc.cli, "analytics", "rebuild")
    assert "Rebuilt the facts and hourly roll-ups of 4 closed chats." in out
    _assert_same(await _rollups(ctx), before)
