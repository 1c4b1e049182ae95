"""The issue's hand-made chats (issue 14, "Done when"): eleven chats whose timestamps are chosen so
each definition of docs/metrics.md matters - a missed chat, a dropped one, a transfer, a gap over
each handle-time limit, an escalation, a rated and a reviewed chat, a chat across local midnight
and chats in the repeated hour of the change from summer time in Europe/Oslo (Sunday 2026-10-25:
at 01:00 UTC the clocks went from 03:00 CEST back to 02:00 CET, so that local day has 25 hours).

The chats are driven through the real actions with a controlled clock (every frontdesk module's
`utcnow` reads `Clock.at`), so the stored events, routing log and chats carry exactly these
times; the facts are computed by the real `actions.facts.do_record_facts`; then a real server on
the same database answers the report API, and its figures are compared with values worked out by
hand below (each literal with its arithmetic). Both databases.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

import frontdesk
import frontdesk.clock
from frontdesk.actions import (
    availability,
    chats,
    departments,
    escalation,
    quality,
    read_receipts,
    satisfaction,
    transfers,
    users,
)
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.actions.visitors import do_create_visitor
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.store.db import Database
from tests.clients import AgentClient
from tests.conftest import BACKENDS, ServerProcess, database_url

PASSWORD = "a-long-enough-password"
TZ = "Europe/Oslo"


def T(hms: str, day: int = 24) -> datetime:
    """A UTC instant on October `day`, 2026."""
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(2026, 10, day, h, m, s, tzinfo=UTC)


class Clock:
    """The time every frontdesk module reads while the scenario runs."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _import_all() -> None:
    """Import every frontdesk module first, so each module's `utcnow` is patched (modules
    imported later would bind the real one)."""
    for info in pkgutil.walk_packages(frontdesk.__path__, "frontdesk."):
        if ".web" in info.name or info.name.endswith(("__main__", ".asgi")):
            continue
        importlib.import_module(info.name)


def patch_clock(mp: pytest.MonkeyPatch, clock: Clock) -> int:
    _import_all()
    real = frontdesk.clock.utcnow
    patched = 0
    for name, module in list(sys.modules.items()):
        if name.startswith("frontdesk") and getattr(module, "utcnow", None) is real:
            mp.setattr(module, "utcnow", clock.now)
            patched += 1
    return patched


@dataclass
class World:
    ctx: Context
    clock: Clock
    admin: AgentActor
    ada: AgentActor  # level 1
    ben: AgentActor  # level 1
    cai: AgentActor  # level 2: takes the escalated chat
    department: dict[str, Any]
    chat_ids: dict[str, int] = field(default_factory=dict)
    visitors: dict[str, VisitorActor] = field(default_factory=dict)

    def at(self, when: datetime) -> None:
        assert when >= self.clock.at, f"time runs forwards: {when} < {self.clock.at}"
        self.clock.at = when

    async def visitor_says(self, name: str, when: datetime, text: str = "Hello?") -> int:
        self.at(when)
        if name not in self.visitors:
            visitor, _token = await do_create_visitor(ctx=self.ctx)
            self.visitors[name] = VisitorActor(visitor["id"])
        sent = await chats.do_send_visitor_message(
            ctx=self.ctx,
            actor=self.visitors[name],
            text=text,
            client_id=f"v-{len(self.visitors)}-{int(when.timestamp())}",
            department=self.department["slug"],
        )
        chat_id = sent.event["chat_id"]
        self.chat_ids.setdefault(name, chat_id)
        return chat_id

    async def accept(self, name: str, agent: AgentActor, when: datetime) -> None:
        self.at(when)
        await chats.do_accept_chat(ctx=self.ctx, actor=agent, chat_id=self.chat_ids[name])

    async def agent_says(self, name: str, agent: AgentActor, when: datetime, text: str = "Hi, how can I help?") -> int:
        self.at(when)
        sent = await chats.do_send_agent_message(
            ctx=self.ctx,
            actor=agent,
            chat_id=self.chat_ids[name],
            text=text,
            client_id=f"a-{agent.id}-{int(when.timestamp())}",
        )
        return int(sent.event["seq"])

    async def visitor_reads(self, name: str, seq: int, when: datetime) -> None:
        self.at(when)
        read = await read_receipts.do_visitor_read(ctx=self.ctx, actor=self.visitors[name], seq=seq)
        assert read == self.chat_ids[name], f"{name}: the read of seq {seq} was not recorded"

    async def transfer(self, name: str, agent: AgentActor, to: AgentActor, when: datetime) -> None:
        self.at(when)
        await transfers.do_transfer_chat(ctx=self.ctx, actor=agent, chat_id=self.chat_ids[name], to_agent_id=to.id)

    async def escalate(self, name: str, agent: AgentActor, when: datetime) -> None:
        self.at(when)
        await escalation.do_escalate_chat(ctx=self.ctx, actor=agent, chat_id=self.chat_ids[name], reason="technical")

    async def rate(self, name: str, rating: int, when: datetime) -> None:
        self.at(when)
        await satisfaction.do_rate_chat(
            ctx=self.ctx, actor=self.visitors[name], chat_id=self.chat_ids[name], rating=rating
        )

    async def review(self, name: str, score: int, when: datetime) -> None:
        self.at(when)
        card = await quality.do_set_scorecard(
            ctx=self.ctx, actor=self.admin, department_id=self.department["id"], criteria=[{"name": "Helpful"}]
        )
        criterion = card["criteria"][0]["id"]
        await quality.do_review(
            ctx=self.ctx,
            actor=self.admin,
            chat_id=self.chat_ids[name],
            scores=[{"criterion_id": criterion, "score": score}],
        )

    async def close(self, name: str, by: AgentActor | None, when: datetime) -> None:
        self.at(when)
        actor: AgentActor | VisitorActor = by if by is not None else self.visitors[name]
        await chats.do_close_chat(ctx=self.ctx, actor=actor, chat_id=self.chat_ids[name])


async def make_world(url: str, data_dir: Path, clock: Clock) -> World:
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="test-secret")
    db = Database(settings.resolved_database_url(), busy_timeout_ms=settings.busy_timeout_ms)
    bus = InProcessBus()
    await bus.start(lambda topic, payload: None)
    ctx = Context(db=db, settings=settings, bus=bus)  # no writer, no router: every step is ours

    async def person(name: str, role: str) -> AgentActor:
        user = await users.do_create_user(
            ctx=ctx, email=f"{name.lower()}@handmade.example", name=name, role=role, password=PASSWORD
        )
        return AgentActor(user["id"], user["name"], user["role"])

    admin = await person("Admin", "admin")
    ada, ben, cai = await person("Ada", "agent"), await person("Ben", "agent"), await person("Cai", "agent")
    dept = await departments.do_create_department(
        ctx=ctx,
        actor=admin,
        data={"slug": "handmade", "name": "Handmade", "routing": "pick", "hours": {"timezone": TZ, "weekly": {}}},
    )
    await departments.do_set_members(
        ctx=ctx,
        actor=admin,
        department_id=dept["id"],
        members=[{"user_id": ada.id, "level": 1}, {"user_id": ben.id, "level": 1}, {"user_id": cai.id, "level": 2}],
    )
    for agent in (ada, ben, cai):
        await availability.do_set_agent_status(ctx, agent.id, "online")
        await ctx.presence.agent_connected(agent.id)
    return World(ctx, clock, admin, ada, ben, cai, dept)


async def play(w: World) -> None:
    """The eleven chats, in time order (UTC; Oslo was UTC+2 until 2026-10-25 01:00 UTC, then UTC+1)."""
    ada, ben, cai = w.ada, w.ben, w.cai
    # 1 "missed" - Sat 10:00 CEST: the visitor gives up after 90 s in the queue.
    await w.visitor_says("missed", T("08:00:00"))
    await w.close("missed", None, T("08:01:30"))
    # 2 "rated" - Sat 11:00 CEST: answered, read, rated 5.
    await w.visitor_says("rated", T("09:00:00"))
    await w.accept("rated", ada, T("09:00:20"))
    await w.agent_says("rated", ada, T("09:00:50"))
    await w.visitor_says("rated", T("09:01:30"), "Where is my order?")
    seq = await w.agent_says("rated", ada, T("09:02:10"), "It left the warehouse today.")
    await w.visitor_reads("rated", seq, T("09:02:15"))
    await w.close("rated", ada, T("09:03:00"))
    await w.rate("rated", 5, T("09:03:30"))
    # 3 "dropped" - Sat 12:00 CEST: the visitor read the first reply, not the second, and left.
    await w.visitor_says("dropped", T("10:00:00"))
    await w.accept("dropped", ada, T("10:00:05"))
    seq = await w.agent_says("dropped", ada, T("10:00:35"))
    await w.visitor_reads("dropped", seq, T("10:00:40"))
    await w.visitor_says("dropped", T("10:01:00"), "And the price?")
    await w.agent_says("dropped", ada, T("10:01:30"), "Let me check.")
    await w.close("dropped", None, T("10:02:00"))
    # 4 "transfer" - Sat 13:00 CEST: Ada answers, hands it to Ben, who answers and closes; rated 2.
    await w.visitor_says("transfer", T("11:00:00"))
    await w.accept("transfer", ada, T("11:00:10"))
    await w.agent_says("transfer", ada, T("11:00:40"), "Ben knows this best, one moment.")
    await w.transfer("transfer", ada, ben, T("11:01:00"))
    seq = await w.agent_says("transfer", ben, T("11:01:30"), "Ben here.")
    await w.visitor_reads("transfer", seq, T("11:01:35"))
    await w.close("transfer", ben, T("11:02:00"))
    await w.rate("transfer", 2, T("11:02:30"))
    # 5 "gaps" - Sat 14:00 CEST: 360 s waiting on the visitor (> 240), 720 s on the agent (> 600).
    await w.visitor_says("gaps", T("12:00:00"))
    await w.accept("gaps", ada, T("12:00:10"))
    await w.agent_says("gaps", ada, T("12:00:30"))
    await w.visitor_says("gaps", T("12:06:30"), "Sorry, I was away.")
    # 6 "escalated" - Sat 14:10 CEST, while Ada holds "gaps": she escalates it to level 2 after
    # 50 s, Cai takes it; reviewed 4 of 5.
    await w.visitor_says("escalated", T("12:10:00"))
    await w.accept("escalated", ada, T("12:10:10"))
    await w.agent_says("escalated", ada, T("12:10:40"))
    await w.escalate("escalated", ada, T("12:11:00"))
    await w.accept("escalated", cai, T("12:11:30"))
    seq = await w.agent_says("escalated", cai, T("12:12:00"), "Specialist here.")
    await w.visitor_reads("escalated", seq, T("12:12:05"))
    await w.close("escalated", cai, T("12:13:00"))
    # "gaps" goes on
    await w.agent_says("gaps", ada, T("12:18:30"), "Sorry, so was I.")
    await w.visitor_says("gaps", T("12:19:00"), "Fine.")
    seq = await w.agent_says("gaps", ada, T("12:19:30"), "Done.")
    await w.visitor_reads("gaps", seq, T("12:19:35"))
    await w.close("gaps", ada, T("12:20:00"))
    await w.review("escalated", 4, T("13:10:00"))
    # 7 "midnight" - starts Sat 23:50 CEST, ends Sun 00:20 CEST: a Saturday chat.
    await w.visitor_says("midnight", T("21:50:00"))
    await w.accept("midnight", ada, T("21:50:10"))
    await w.agent_says("midnight", ada, T("21:50:30"))
    await w.visitor_says("midnight", T("22:10:00"), "Still there after midnight?")
    seq = await w.agent_says("midnight", ada, T("22:10:40"), "Yes.")
    await w.visitor_reads("midnight", seq, T("22:10:45"))
    await w.close("midnight", ada, T("22:20:00"))
    # 8 "first 02:30" - Sun 02:30 CEST (00:30 UTC), answered.
    await w.visitor_says("first 02:30", T("00:30:00", 25))
    await w.accept("first 02:30", ada, T("00:30:10", 25))
    seq = await w.agent_says("first 02:30", ada, T("00:30:25", 25))
    await w.visitor_reads("first 02:30", seq, T("00:30:30", 25))
    await w.close("first 02:30", ada, T("00:35:00", 25))
    # 9 "second 02:30" - Sun 02:30 CET (01:30 UTC), the repeated hour: missed after 120 s.
    await w.visitor_says("second 02:30", T("01:30:00", 25))
    await w.close("second 02:30", None, T("01:32:00", 25))
    # 10 "late sunday" - Sun 23:30 CET (22:30 UTC): Sunday in Oslo (it would be Monday at CEST).
    await w.visitor_says("late sunday", T("22:30:00", 25))
    await w.accept("late sunday", ben, T("22:30:30", 25))
    seq = await w.agent_says("late sunday", ben, T("22:31:00", 25))
    await w.visitor_reads("late sunday", seq, T("22:31:05", 25))
    await w.close("late sunday", ben, T("22:35:00", 25))
    # 11 "monday" - Mon 00:30 CET (Sun 23:30 UTC): Monday in Oslo, Sunday in UTC.
    await w.visitor_says("monday", T("23:30:00", 25))
    await w.accept("monday", ben, T("23:30:15", 25))
    seq = await w.agent_says("monday", ben, T("23:30:45", 25))
    await w.visitor_reads("monday", seq, T("23:30:50", 25))
    await w.close("monday", ben, T("23:40:00", 25))


@pytest.fixture(scope="module")
def duty_agent() -> None:
    """Overrides tests/api/conftest.py's: this module starts its own server, on the database the
    scenario filled (a server started before would route the chats itself)."""
    return None


@dataclass
class Handmade:
    server: ServerProcess
    manager: AgentClient
    world: World

    def id(self, name: str) -> int:
        return self.world.chat_ids[name]

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        r = await self.manager.http.get(path, params={"tz": TZ, **params})
        assert r.status_code == 200, r.text
        return r.json()


@pytest_asyncio.fixture(loop_scope="session", scope="module", params=BACKENDS)
async def handmade(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Handmade]:
    from frontdesk.actions import facts

    data_dir = tmp_path_factory.mktemp(f"handmade-{request.param}")
    url = await database_url(request.param, data_dir)
    clock = Clock(T("12:00:00", 20))
    mp = pytest.MonkeyPatch()
    try:
        assert patch_clock(mp, clock) > 20
        world = await make_world(url, data_dir, clock)
        await play(world)
        clock.at = T("12:00:00", 26)
        await facts.do_record_facts(world.ctx, sorted(world.chat_ids.values()))
        manager = await users.do_create_user(
            ctx=world.ctx, email="manager@handmade.example", name="Manager", role="manager", password=PASSWORD
        )
    finally:
        mp.undo()
    await world.ctx.db.dispose()
    server = ServerProcess(data_dir, url)
    await server.start()
    client = AgentClient(server.base_url)
    await client.login(manager["email"], PASSWORD)
    try:
        yield Handmade(server, client, world)
    finally:
        await client.close()
        await server.stop()


# The facts of each chat, worked out by hand from the timestamps above (docs/metrics.md):
#                 queue  first   replies (s)        handle (s): the counted gaps                     duration
# missed            -      -     -                  -                                                90
# rated            20     50     50, 40 (mean 45)   30+40+40+50 = 160                                180
# dropped           5     35     35, 30 (32.5)      30+25+30+30 = 115                                120
# transfer         10     40     40                 Ada 30+20, Ben 30+30 = 110                       120
# gaps             10     30     30, 720, 30 (260)  20 + 0 (360 > 240) + 0 (720 > 600) + 30+30+30 = 110  1200
#   (concurrency: Ada held "escalated" 12:10:10-12:11:00 within gaps' 12:00:10-12:20:00: 1 + 50/1190)
# escalated        10     40     40                 Ada 30+20, Cai 30+60 = 140 (queue time left out)  180
# midnight         10     30     30, 40 (35)        20 + 0 (1170 > 240) + 40 + 0 (560 > 240) = 60   1800
# first 02:30      10     25     25                 15 + 0 (275 > 240) = 15                          300
# second 02:30      -      -     -                  -                                                120
# late sunday      30     60     60                 30 + 240 (= the limit: counted) = 270            300
# monday           15     45     45                 30 + 0 (555 > 240) = 30                          600
RANGE = {"from": "2026-10-24", "to": "2026-10-26"}  # Saturday to Monday in Oslo


def summary(n: int, mean: float, p50: float, p90: float) -> dict[str, Any]:
    return {"n": n, "mean": pytest.approx(mean), "p50": pytest.approx(p50), "p90": pytest.approx(p90), "approx": False}


async def test_summary_of_the_handmade_chats(handmade: Handmade) -> None:
    body = await handmade.get("/api/v1/reports/summary", **RANGE)
    f = body["figures"]
    assert body["range"] == {"from": "2026-10-24", "to": "2026-10-26", "tz": TZ}
    assert (f["chats"], f["answered"], f["missed"], f["dropped"]) == (11, 9, 2, 1)
    assert (f["transfers"], f["escalations"]) == (1, 1)
    # queue wait of the 9 answered: 5 10 10 10 10 10 15 20 30 -> sum 120, mean 120/9; p50 the 5th = 10;
    # p90 at rank 8 x 0.9 = 7.2: 20 + 0.2 x (30 - 20) = 22
    assert f["queue_wait"] == summary(9, 120 / 9, 10, 22)
    # first response: 25 30 30 35 40 40 45 50 60 -> sum 355; p50 40; p90 50 + 0.2 x 10 = 52
    assert f["first_response"] == summary(9, 355 / 9, 40, 52)
    # reply (each chat's mean): 25 32.5 35 40 40 45 45 60 260 -> sum 582.5; p50 40; p90 60 + 0.2 x 200 = 100
    assert f["reply"] == summary(9, 582.5 / 9, 40, 100)
    # handle: 15 30 60 110 110 115 140 160 270 -> sum 1010; p50 110; p90 160 + 0.2 x 110 = 182
    assert f["handle"] == summary(9, 1010 / 9, 110, 182)
    # duration of all 11: 90 120 120 120 180 180 300 300 600 1200 1800 -> sum 5010; p50 the 6th = 180;
    # p90 at rank 10 x 0.9 = 9: the 10th = 1200
    assert f["duration"] == summary(11, 5010 / 11, 180, 1200)
    # service level at 30 s: first responses <= 30 s are 25, 30, 30 -> 3 of the 9 answered
    assert f["service_level"] == {"seconds": 30, "value": pytest.approx(3 / 9), "answered": 9}
    # ratings 5 (rated) and 2 (transfer): one good of two; mean 3.5. One review, 4 of 5.
    assert (f["rated"], f["satisfaction"], f["rating_average"]) == (2, 0.5, 3.5)
    assert (f["reviewed"], f["review_score"]) == (1, 4.0)
    # the 3 days before (Oct 21-23) had nothing
    assert body["previous"]["figures"]["chats"] == 0
    assert set(body["definitions"]) >= {"chats", "missed", "dropped", "handle", "service_level"}

    # at 45 s: 25 30 30 35 40 40 45 -> 7 of 9
    within = await handmade.get("/api/v1/reports/summary", seconds=45, **RANGE)
    assert within["figures"]["service_level"]["value"] == pytest.approx(7 / 9)


async def test_concurrency_counts_a_chat_held_then_escalated(handmade: Handmade) -> None:
    f = (await handmade.get("/api/v1/reports/summary", **RANGE))["figures"]
    # 1.0 for 8 chats; gaps 1 + 50/1190 (Ada held escalated 12:10:10-12:11:00, 50 of gaps' 1190 s);
    # p90 at rank 7.2: 1 + 0.2 x 50/1190
    gaps = 1 + 50 / 1190
    assert f["concurrency"] == summary(9, (8 + gaps) / 9, 1.0, 1 + 0.2 * (gaps - 1))


async def test_volume_by_day_is_cut_at_oslo_midnight(handmade: Handmade) -> None:
    body = await handmade.get("/api/v1/reports/volume", interval="day", **RANGE)
    days = {b["start"]: (b["chats"], b["answered"], b["missed"], b["dropped"]) for b in body["buckets"]}
    assert days == {
        # missed, rated, dropped, transfer, gaps, escalated, and midnight (started 23:50 CEST)
        "2026-10-24": (7, 6, 1, 1),
        # first 02:30, second 02:30 (missed) and late sunday (23:30 CET: 22:30 UTC, which at
        # the summer offset would have been Monday 00:30)
        "2026-10-25": (3, 2, 1, 0),
        # monday: 00:30 CET = Sunday 23:30 UTC
        "2026-10-26": (1, 1, 0, 0),
    }
    # The same chats by UTC day: Saturday's 7 (midnight started 21:50 UTC), Sunday's 4.
    utc = await handmade.get("/api/v1/reports/volume", interval="day", **{**RANGE, "tz": "UTC"})
    assert {b["start"]: b["chats"] for b in utc["buckets"]} == {"2026-10-24": 7, "2026-10-25": 4, "2026-10-26": 0}

    # Sunday by the hour: 25 local hours, 02:00 twice (CEST, then CET) with a chat in each.
    hours = await handmade.get("/api/v1/reports/volume", interval="hour", **{"from": "2026-10-25", "to": "2026-10-25"})
    by_hour = {b["start"]: (b["chats"], b["missed"]) for b in hours["buckets"]}
    assert len(by_hour) == 25
    assert by_hour["2026-10-25T02:00+02:00"] == (1, 0)  # first 02:30
    assert by_hour["2026-10-25T02:00+01:00"] == (1, 1)  # second 02:30, missed
    assert by_hour["2026-10-25T23:00+01:00"] == (1, 0)  # late sunday
    assert sum(c for c, _m in by_hour.values()) == 3


async def test_agents_leaderboard(handmade: Handmade) -> None:
    body = await handmade.get("/api/v1/reports/agents", **RANGE)
    w = handmade.world
    rows = {(r["agent"] or {}).get("id"): r for r in body["agents"]}
    assert set(rows) == {w.ada.id, w.ben.id, w.cai.id, None}
    ada, ben, cai, nobody = rows[w.ada.id], rows[w.ben.id], rows[w.cai.id], rows[None]
    # credited = the last assignee: Ada rated, dropped, gaps, midnight, first 02:30; Ben transfer,
    # late sunday, monday; Cai escalated; nobody the two missed
    assert [r["chats"] for r in (ada, ben, cai, nobody)] == [5, 3, 1, 2]
    busiest_first = [(r["agent"] or {}).get("name") for r in body["agents"]]
    assert busiest_first == ["Ada", "Ben", None, "Cai"]
    # Ada's first responses 25 30 30 35 50: mean 170/5 = 34, p50 30, p90 at 3.6: 35 + 0.6 x 15 = 44
    assert ada["first_response"] == summary(5, 34, 30, 44)
    # Ada's handle 15 60 110 115 160: sum 460, p50 110, p90 115 + 0.6 x 45 = 142
    assert ada["handle"] == summary(5, 92, 110, 142)
    assert (ada["dropped"], ada["rated"], ada["satisfaction"]) == (1, 1, 1.0)
    # Ben: first responses 40 45 60 -> p50 45, p90 at 1.8: 45 + 0.8 x 15 = 57; the transfer and its 2 stars
    assert ben["first_response"] == summary(3, 145 / 3, 45, 57)
    assert (ben["transfers"], ben["rating_average"], ben["satisfaction"]) == (1, 2.0, 0.0)
    # Cai holds the escalated chat (the escalation counts for its credited agent) and its review
    assert (cai["escalations"], cai["review_score"], cai["first_response"]["p50"]) == (1, 4.0, 40)
    assert (nobody["missed"], nobody["answered"], nobody["first_response"]["n"]) == (2, 0, 0)


async def test_heatmap_cells_in_oslo_time(handmade: Handmade) -> None:
    chats = await handmade.get("/api/v1/reports/heatmap", metric="chats", **RANGE)
    cells = {(d, h): v for d, row in enumerate(chats["values"]) for h, v in enumerate(row) if v}
    # Monday = 0 ... Sunday = 6; Saturday's chats at 10-13, two at 14 (gaps, escalated) and 23
    # CEST, Sunday's two 02:30s share the 02:00 cell, late sunday is Sunday 23:00, monday Monday 00:00
    assert cells == {
        (5, 10): 1, (5, 11): 1, (5, 12): 1, (5, 13): 1, (5, 14): 2, (5, 23): 1,
        (6, 2): 2, (6, 23): 1, (0, 0): 1,
    }  # fmt: skip
    missed = await handmade.get("/api/v1/reports/heatmap", metric="missed", **RANGE)
    cells = {(d, h): v for d, row in enumerate(missed["values"]) for h, v in enumerate(row) if v}
    assert cells == {(5, 10): 1, (6, 2): 1}
    wait = await handmade.get("/api/v1/reports/heatmap", metric="wait_p90", **RANGE)
    # Sunday 02:00: one queue wait (first 02:30, 10 s; the missed one has none); Saturday 11:00: 20 s
    assert wait["values"][6][2] == pytest.approx(10)
    assert wait["values"][5][11] == pytest.approx(20)
    assert wait["values"][5][10] is None  # only the missed chat: no wait


async def test_drill_downs_list_the_chats_behind_a_figure(handmade: Handmade) -> None:
    async def ids(**params: Any) -> list[int]:
        body = await handmade.get("/api/v1/reports/chats", **RANGE, **params)
        return [c["id"] for c in body["chats"]]

    c = handmade.id
    assert await ids(outcome="missed") == [c("second 02:30"), c("missed")]  # newest first
    assert await ids(outcome="dropped") == [c("dropped")]
    # the Sunday 02:00 cell: both 02:30s, one in summer time, one in winter time
    assert await ids(weekday=6, hour=2) == [c("second 02:30"), c("first 02:30")]
    # slower than 600 s in duration: gaps (1200) and midnight (1800); monday's 600 is not slower
    assert await ids(metric="duration", min_s=600) == [c("midnight"), c("gaps")]
    # a reply slower than 240 s: gaps (720)
    assert await ids(metric="reply", min_s=240) == [c("gaps")]
    assert await ids(day="2026-10-26") == [c("monday")]
    # paged: 5, then the other 6 from the cursor
    first = await handmade.get("/api/v1/reports/chats", limit=5, **RANGE)
    rest = await handmade.get("/api/v1/reports/chats", before=first["next_before"], **RANGE)
    names = [n for n, _i in sorted(handmade.world.chat_ids.items(), key=lambda kv: -kv[1])]
    assert [x["id"] for x in first["chats"] + rest["chats"]] == [c(n) for n in names]
    assert rest["next_before"] is None
    row = next(x for x in first["chats"] if x["id"] == c("monday"))
    assert (row["outcome"], row["queue_wait_s"], row["handle_s"], row["duration_s"]) == ("answered", 15, 30, 600)
