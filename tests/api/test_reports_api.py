"""The report API (`/api/v1/reports/summary`, volume, times, agents, departments, transfers,
heatmap, chats) through a real server on both databases: chats made through the API (a visitor's
socket, agents accepting, replying, transferring and closing), their facts computed by the real
`actions.facts.do_record_facts`, then each report's JSON and CSV, the bad inputs (each a 400
naming the field) and the scope of each role (`report.view`)."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import select

from frontdesk.actions import facts, reports
from frontdesk.actions.context import AgentActor, Context
from frontdesk.bus.memory import InProcessBus
from frontdesk.clock import as_utc
from frontdesk.config import Settings
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.metrics import summarize_values
from frontdesk.store.db import Database
from frontdesk.store.models import ChatFact
from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

TZ = "Europe/Oslo"
ROUTES = ("summary", "volume", "times", "agents", "departments", "transfers", "heatmap", "chats")


async def user(server, role: str, departments: list[str] | None = None) -> tuple[AgentClient, int]:  # type: ignore[no-untyped-def]
    email, password = make_agent(server, role, departments)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    me = (await client.http.get("/api/v1/auth/me")).json()
    return client, int(me["user"]["id"])


async def visitor_chat(server, slug: str, text: str = "Hello?") -> tuple[VisitorClient, int]:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    assert visitor.socket
    cid = new_client_id()
    await visitor.socket.send({"type": "message.send", "text": text, "client_id": cid, "department": slug})
    ack = await visitor.socket.wait_for(lambda f: f.get("ref") == cid and f.get("type") in ("ack", "error"))
    assert ack["type"] == "ack", ack
    return visitor, int(ack["chat_id"])


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


def bad(r: Any, status: int, field: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field, r.text


class World:
    def __init__(self) -> None:
        self.chats: dict[str, int] = {}
        self.clients: list[Any] = []


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(server):  # type: ignore[no-untyped-def]
    """A department in Europe/Oslo with an agent and a supervisor; three chats: one answered
    (rated 5), one missed (the visitor closed it unanswered) and one transferred to the default
    department; a supervisor and an agent of the default department only. Facts computed."""
    w = World()
    w.slug = f"rep-{secrets.token_hex(3)}"
    admin, w.admin_id = await user(server, "admin")
    r = await admin.post(
        "/api/v1/departments",
        json={"slug": w.slug, "name": "Reports A", "routing": "pick", "hours": {"timezone": TZ, "weekly": {}}},
    )
    assert r.status_code == 201, r.text
    w.dept = int(r.json()["department"]["id"])
    w.ada, w.ada_id = await user(server, "agent", [w.slug])
    w.ben, w.ben_id = await user(server, "agent")
    w.sup, w.sup_id = await user(server, "supervisor", [w.slug])
    w.other_sup, _ = await user(server, "supervisor")
    w.admin = admin
    w.clients += [admin, w.ada, w.ben, w.sup, w.other_sup]
    await w.ada.connect()

    # 1. answered and rated
    v1, c1 = await visitor_chat(server, w.slug, "Where is my parcel?")
    assert (await w.ada.post(f"/api/v1/chats/{c1}/accept")).status_code == 200
    r = await w.ada.post(f"/api/v1/chats/{c1}/messages", json={"text": "On its way.", "client_id": new_client_id()})
    assert r.status_code == 201, r.text
    assert (await w.ada.post(f"/api/v1/chats/{c1}/close")).status_code == 200
    assert v1.socket
    await v1.socket.wait_type("event", kind="chat.closed")
    await v1.socket.send({"type": "chat.rate", "ref": "rate", "chat_id": c1, "rating": 5})
    await v1.socket.wait_for(lambda f: f.get("ref") == "rate")
    # 2. missed: the visitor (whose name is a spreadsheet formula) gives up
    v2, c2 = await visitor_chat(server, w.slug, "Anyone?")
    assert v2.socket
    await v2.socket.send({"type": "visitor.update", "ref": "who", "name": "=HYPERLINK(1)"})
    await v2.socket.wait_for(lambda f: f.get("ref") == "who")
    await v2.socket.send({"type": "chat.close", "ref": "bye", "chat_id": c2})
    await v2.socket.wait_type("event", kind="chat.closed")
    # 3. answered by Ada, then transferred to the default department and closed there by the admin
    v3, c3 = await visitor_chat(server, w.slug, "Billing question")
    assert (await w.ada.post(f"/api/v1/chats/{c3}/accept")).status_code == 200
    r = await w.ada.post(f"/api/v1/chats/{c3}/messages", json={"text": "Let me check.", "client_id": new_client_id()})
    assert r.status_code == 201, r.text
    listed = (await admin.http.get("/api/v1/departments")).json()
    listed = listed.get("departments", listed) if isinstance(listed, dict) else listed
    home = min(d["id"] for d in listed if d["id"] != w.dept)  # the default department (users' home)
    r = await w.ada.post(f"/api/v1/chats/{c3}/transfer", json={"to_department_id": home})
    assert r.status_code == 200, r.text
    assert (await admin.post(f"/api/v1/chats/{c3}/close")).status_code == 200, "admins close any chat"
    w.chats = {"answered": c1, "missed": c2, "transferred": c3}
    w.clients += [v1, v2, v3]

    url = server.env["FRONTDESK_DATABASE_URL"]
    settings = Settings(data_dir=server.data_dir, database_url=url, secret_key="test-secret")
    ctx = Context(db=Database(settings.resolved_database_url()), settings=settings, bus=InProcessBus())
    await facts.do_record_facts(ctx, list(w.chats.values()))
    async with ctx.db.read() as conn:
        t = ChatFact.__table__
        rows = (await conn.execute(select(t).where(t.c.chat_id.in_(list(w.chats.values()))))).mappings()
        w.facts = {f["chat_id"]: dict(f) for f in rows}
    assert len(w.facts) == 3
    w.ctx = ctx
    w.today = datetime.now(UTC).astimezone(ZoneInfo(TZ)).date().isoformat()
    yield w
    for client in w.clients:
        await client.close()
    await ctx.db.dispose()


def q(w: World, **extra: Any) -> dict[str, Any]:
    return {"from": w.today, "to": w.today, **extra}


async def test_summary_has_every_figure_with_the_previous_period(world):
    w = world
    body = ok(await w.admin.http.get("/api/v1/reports/summary", params=q(w, department=w.dept)))
    assert body["range"] == {"from": w.today, "to": w.today, "tz": TZ}, "the department's time zone by default"
    f = body["figures"]
    # chat 3 left for the default department: the facts credit the department it closed in
    assert (f["chats"], f["answered"], f["missed"]) == (2, 1, 1), f
    assert f["satisfaction"] == 1.0 and f["rating_average"] == 5.0 and f["rated"] == 1
    first = w.facts[w.chats["answered"]]["first_response_s"]
    assert f["first_response"] == {**summarize_values([first]), "approx": False}
    assert f["service_level"]["answered"] == 1 and f["service_level"]["seconds"] == 30
    assert body["exact"] is True
    assert body["previous"]["range"]["to"] < w.today and body["previous"]["figures"]["chats"] == 0
    for key in ("chats", "missed", "dropped", "first_response", "service_level", "offline_messages"):
        assert key in body["definitions"], key
    everything = ok(await w.admin.http.get("/api/v1/reports/summary", params=q(w, tz=TZ)))
    assert everything["figures"]["chats"] >= 3 and everything["figures"]["transfers"] >= 1


async def test_volume_times_heatmap_count_the_same_chats(world):
    w = world
    params = q(w, department=w.dept)
    volume = ok(await w.admin.http.get("/api/v1/reports/volume", params={**params, "interval": "hour"}))
    assert len(volume["buckets"]) in (23, 24, 25) and volume["totals"]["chats"] == 2
    assert sum(b["chats"] for b in volume["buckets"]) == 2 and sum(b["missed"] for b in volume["buckets"]) == 1
    week = ok(await w.admin.http.get("/api/v1/reports/volume", params={**params, "interval": "week"}))
    assert week["totals"]["chats"] == 2 and len(week["buckets"]) == 1
    times = ok(await w.admin.http.get("/api/v1/reports/times", params=params))
    assert times["totals"]["first_response"]["n"] == 1 and times["buckets"][0]["start"] == w.today
    heat = ok(await w.admin.http.get("/api/v1/reports/heatmap", params={**params, "metric": "missed"}))
    assert sum(map(sum, heat["chats"])) == 2 and sum(v or 0 for row in heat["values"] for v in row) == 1
    assert len(heat["values"]) == 7 and all(len(row) == 24 for row in heat["values"])
    waits = ok(await w.admin.http.get("/api/v1/reports/heatmap", params={**params, "metric": "wait_p90"}))
    assert any(v is not None for row in waits["values"] for v in row)


async def test_agents_departments_and_transfers(world):
    w = world
    agents = ok(await w.admin.http.get("/api/v1/reports/agents", params=q(w, department=w.dept)))
    ada = [r for r in agents["agents"] if r["agent"] and r["agent"]["id"] == w.ada_id]
    assert len(ada) == 1 and ada[0]["chats"] == 1
    # her activity (she connected, then held chats): seconds from agent_activity
    assert ada[0]["online_hours"] > 0 and ada[0]["chatting_hours"] > 0, ada[0]
    nobody = [r for r in agents["agents"] if r["agent"] is None]
    assert nobody and nobody[0]["missed"] == 1
    depts = ok(await w.admin.http.get("/api/v1/reports/departments", params=q(w, tz=TZ)))
    mine = [r for r in depts["departments"] if r["department"] and r["department"]["id"] == w.dept]
    assert mine[0]["chats"] == 2 and mine[0]["department"]["name"] == "Reports A"
    moves = ok(await w.admin.http.get("/api/v1/reports/transfers", params=q(w, department=w.dept)))
    assert moves["totals"]["transfers"] == 1
    assert [(r["type"], r["reason"], r["count"]) for r in moves["reasons"]] == [("transfer", "to_department", 1)]
    assert moves["routes"][0]["from_department_id"] == w.dept and moves["routes"][0]["from_department_name"]


async def test_the_chats_behind_a_figure(world):
    w = world
    missed = ok(await w.admin.http.get("/api/v1/reports/chats", params=q(w, department=w.dept, outcome="missed")))
    assert [c["id"] for c in missed["chats"]] == [w.chats["missed"]] and missed["next_before"] is None
    assert missed["chats"][0]["transcript"] == f"/api/v1/chats/{w.chats['missed']}/transcript.html"
    page = ok(await w.admin.http.get("/api/v1/reports/chats", params=q(w, department=w.dept, limit=1)))
    assert len(page["chats"]) == 1 and page["next_before"] == page["chats"][0]["id"]
    rest = ok(
        await w.admin.http.get("/api/v1/reports/chats", params=q(w, department=w.dept, before=page["next_before"]))
    )
    assert {c["id"] for c in page["chats"] + rest["chats"]} == {w.chats["answered"], w.chats["missed"]}
    slow = ok(
        await w.admin.http.get("/api/v1/reports/chats", params=q(w, department=w.dept, metric="duration", min_s=10**6))
    )
    assert slow["chats"] == []
    started = as_utc(w.facts[w.chats["missed"]]["started_at"]).astimezone(ZoneInfo(TZ))
    cell = q(w, department=w.dept, weekday=started.weekday(), hour=started.hour, outcome="missed")
    assert [c["id"] for c in ok(await w.admin.http.get("/api/v1/reports/chats", params=cell))["chats"]] == [
        w.chats["missed"]
    ]
    other = {**cell, "hour": (started.hour + 1) % 24}
    assert ok(await w.admin.http.get("/api/v1/reports/chats", params=other))["chats"] == []
    day = ok(await w.admin.http.get("/api/v1/reports/chats", params=q(w, department=w.dept, day=w.today)))
    assert len(day["chats"]) == 2


async def test_every_report_as_csv(world):
    w = world
    for route in ROUTES:
        r = await w.admin.http.get(f"/api/v1/reports/{route}", params=q(w, department=w.dept, format="csv"))
        assert r.status_code == 200, (route, r.text)
        assert r.headers["content-type"].startswith("text/csv"), route
        assert f"report-{route}" in r.headers["content-disposition"], route
        rows = list(csv.reader(io.StringIO(r.text)))
        assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows), (route, rows[:3])
    summary = list(
        csv.DictReader(
            io.StringIO(
                (await w.admin.http.get("/api/v1/reports/summary", params=q(w, department=w.dept, format="csv"))).text
            )
        )
    )
    chats = [r for r in summary if r["period"] == "current" and r["metric"] == "chats"]
    assert chats[0]["value"] == "2"
    r = await w.admin.http.get("/api/v1/reports/chats", params=q(w, department=w.dept, outcome="missed", format="csv"))
    row = list(csv.DictReader(io.StringIO(r.text)))[0]
    assert row["visitor"] == "'=HYPERLINK(1)" and row["outcome"] == "missed", "a formula is never run"


async def test_bad_input_names_the_field(world):
    w = world
    get = w.admin.http.get
    bad(await get("/api/v1/reports/summary", params={"from": "2026-05-02", "to": "2026-05-01"}), 400, "to")
    bad(await get("/api/v1/reports/summary", params={"from": "2016-01-01", "to": "2026-01-01"}), 400, "to")
    bad(await get("/api/v1/reports/summary", params={"from": "2026-13-01"}), 400, "from")
    bad(await get("/api/v1/reports/summary", params={"tz": "Mars/Olympus_Mons"}), 400, "tz")
    bad(await get("/api/v1/reports/summary", params={"seconds": 31}), 400, "seconds")
    bad(await get("/api/v1/reports/volume", params={"interval": "month"}), 400, "interval")
    bad(
        await get("/api/v1/reports/volume", params={"interval": "hour", "from": "2026-01-01", "to": "2026-03-01"}),
        400,
        "interval",
    )
    bad(await get("/api/v1/reports/times", params={"interval": "hour"}), 400, "interval")
    bad(await get("/api/v1/reports/heatmap", params={"metric": "sales"}), 400, "metric")
    bad(await get("/api/v1/reports/agents", params={"format": "xml"}), 400, "format")
    bad(await get("/api/v1/reports/departments", params={"department": 2**31 - 1}), 400, "department")
    bad(await get("/api/v1/reports/transfers", params={"agent": 2**31 - 1}), 400, "agent")
    bad(await get("/api/v1/reports/chats", params={"weekday": 2}), 400, "hour")
    bad(await get("/api/v1/reports/chats", params={"min_s": 5}), 400, "min_s")
    bad(await get("/api/v1/reports/chats", params={"outcome": "lost"}), 400, "outcome")
    bad(await get("/api/v1/reports/chats", params={"limit": 201}), 400, "limit")
    bad(await get("/api/v1/reports/chats", params=q(w, day="2001-01-01")), 400, "day")


async def test_each_role_sees_its_scope(world):
    w = world
    # a supervisor outside the department
    bad(await w.other_sup.http.get("/api/v1/reports/summary", params=q(w, department=w.dept)), 403, "department")
    bad(await w.other_sup.http.get("/api/v1/reports/agents", params=q(w, agent=w.ada_id)), 403, "agent")
    # the department's supervisor: their departments only, by default
    sup = ok(await w.sup.http.get("/api/v1/reports/summary", params=q(w, tz=TZ)))
    assert sup["figures"]["chats"] == 2
    ok(await w.sup.http.get("/api/v1/reports/agents", params=q(w, agent=w.ada_id)))
    # an agent: their own figures, whatever they ask
    bad(await w.ada.http.get("/api/v1/reports/summary", params=q(w, agent=w.ben_id)), 403, "agent")
    own = ok(await w.ada.http.get("/api/v1/reports/summary", params=q(w, tz=TZ)))
    # Ada is credited with chat 1 and chat 3 (she held it last; it left for the home department)
    assert own["figures"]["chats"] == 2 and own["figures"]["missed"] == 0
    assert own["figures"]["offline_messages"] is None
    listed = ok(await w.ada.http.get("/api/v1/reports/chats", params=q(w, tz=TZ)))
    assert {c["id"] for c in listed["chats"]} == {w.chats["answered"], w.chats["transferred"]}
    ben = ok(await w.ben.http.get("/api/v1/reports/agents", params=q(w, tz=TZ)))
    assert all(r["agent"] and r["agent"]["id"] == w.ben_id for r in ben["agents"])


async def test_a_report_over_its_time_budget_answers_unavailable(world, monkeypatch):
    w = world
    monkeypatch.setattr(reports, "REPORT_BUDGET_S", 0.0)
    admin = AgentActor(w.admin_id, "Admin", "admin")
    with pytest.raises(ChatRuleError) as refused:
        await reports.summary_report(ctx=w.ctx, actor=admin, since=w.today, until=w.today)
    assert refused.value.code == "unavailable" and "longer than" in refused.value.message
    monkeypatch.setattr(reports, "REPORT_BUDGET_S", 20.0)
    assert (await reports.summary_report(ctx=w.ctx, actor=admin, since=w.today, until=w.today))["figures"]["chats"] >= 3


async def test_the_previous_period_and_a_range_of_roll_ups(world, monkeypatch):
    """Above EXACT_LIMIT chats the figures come from the hourly roll-ups: the counts are the same
    and the durations approximate (the buckets)."""
    w = world
    admin = AgentActor(w.admin_id, "Admin", "admin")
    day = {"ctx": w.ctx, "actor": admin, "since": w.today, "until": w.today, "department_id": w.dept}

    async def every_report() -> list[dict[str, Any]]:
        return [
            await reports.volume_report(**day, interval="hour"),
            await reports.heatmap_report(**day, metric="missed"),
            await reports.agents_report(**day),
            await reports.departments_report(**day),
        ]

    exact = await reports.summary_report(ctx=w.ctx, actor=admin, since=w.today, until=w.today, department_id=w.dept)
    exact_others = await every_report()
    monkeypatch.setattr(reports, "EXACT_LIMIT", 0)
    volume, heatmap, agents, departments = await every_report()
    assert volume["buckets"] == exact_others[0]["buckets"]
    assert (heatmap["values"], heatmap["chats"]) == (exact_others[1]["values"], exact_others[1]["chats"])
    assert [(r["agent"], r["chats"], r["missed"]) for r in agents["agents"]] == [
        (r["agent"], r["chats"], r["missed"]) for r in exact_others[2]["agents"]
    ]
    assert departments["exact"] is False and departments["departments"][0]["chats"] == 2
    assert all(r["online_hours"] is None for r in agents["agents"]), "activity rows are read for exact ranges only"
    rolled = await reports.summary_report(ctx=w.ctx, actor=admin, since=w.today, until=w.today, department_id=w.dept)
    assert exact["exact"] is True and rolled["exact"] is False
    for key in ("chats", "answered", "missed", "dropped", "transfers", "rated", "satisfaction"):
        assert exact["figures"][key] == rolled["figures"][key], key
    assert rolled["figures"]["first_response"]["approx"] is True
    assert rolled["figures"]["first_response"]["n"] == exact["figures"]["first_response"]["n"]
    assert rolled["figures"]["concurrency"] is None
    yesterday = (datetime.fromisoformat(w.today) - timedelta(days=1)).date().isoformat()
    shifted = await reports.summary_report(
        ctx=w.ctx, actor=admin, since=yesterday, until=yesterday, department_id=w.dept
    )
    assert shifted["figures"]["chats"] == 0
