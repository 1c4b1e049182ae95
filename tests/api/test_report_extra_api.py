"""The dashboard, department goals, the one-row-per-chat export and the agents' activity through a
real server, on both databases (api/report_extra.py; docs/api.md "Reports").

The figures are read from chat_facts / metric_hours / agent_activity rows the tests write with
chosen values (metric_hours through domain/metrics.rollup_increments, as actions/facts.py adds
them), so every expected figure is worked out by hand below."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, update

from frontdesk.domain.metrics import empty_rollup, rollup_increments, rollup_key
from frontdesk.store.db import Database
from frontdesk.store.models import AgentActivity, Chat, ChatFact, ChatTag, Visitor, metric_hours
from tests.accounts import make_agent
from tests.api.support import department
from tests.clients import AgentClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def logged_in(server: Any, role: str, departments: list[str] | None = None) -> AgentClient:
    email, password = make_agent(server, role, departments)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    return client


def fact(chat_id: int, dept_id: int, started: datetime, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "chat_id": chat_id,
        "department_id": dept_id,
        "agent_id": None,
        "first_agent_id": None,
        "started_at": started,
        "hour_at": started.replace(minute=0, second=0, microsecond=0),
        "ended_at": started + timedelta(minutes=5),
        "answered": True,
        "missed": False,
        "dropped": False,
        "queue_wait_s": 4.0,
        "first_response_s": 12.0,
        "reply_n": 2,
        "reply_sum_s": 50.0,
        "reply_max_s": 30.0,
        "handle_s": 200.0,
        "duration_s": 300.0,
        "visitor_messages": 3,
        "agent_messages": 4,
        "transfers": 0,
        "escalations": 0,
        "rating": None,
        "review_score": None,
        "invitation_id": None,
        "concurrency": 1.5,
        "computed_at": started + timedelta(minutes=6),
    }
    row.update(values)
    return row


def rollup_rows(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """metric_hours rows for `facts` (keys new to the table: each test has its own department)."""
    sums: dict[tuple[datetime, int, int], dict[str, float]] = {}
    for f in facts:
        into = sums.setdefault(rollup_key(f), empty_rollup())
        for column, value in rollup_increments(f).items():
            into[column] = into.get(column, 0) + value
    return [{"hour_at": k[0], "department_id": k[1], "agent_id": k[2], **v} for k, v in sums.items()]


async def new_chats(
    db: Database, dept_id: int, starts: list[datetime], names: list[str | None] | None = None, status: str = "active"
) -> list[int]:
    """Chats (with their visitors) started at `starts`. Active until write_facts closes them with
    their facts in one transaction, so the server's facts job never computes one of its own."""
    names = names or [None] * len(starts)
    async with db.write() as conn:
        visitors = [{"id": uuid.uuid4().hex, "name": n, "created_at": s} for s, n in zip(starts, names, strict=True)]
        await conn.execute(insert(Visitor), visitors)
        result = await conn.execute(
            insert(Chat).returning(Chat.id, sort_by_parameter_order=True),
            [
                {"visitor_id": v["id"], "status": status, "department_id": dept_id, "created_at": s, "queued_at": s}
                for v, s in zip(visitors, starts, strict=True)
            ],
        )
        return [row.id for row in result]


async def write_facts(db: Database, facts: list[dict[str, Any]]) -> None:
    """The chats' facts and roll-ups, and the chats closed at their facts' end."""
    async with db.write() as conn:
        await conn.execute(
            update(Chat).where(Chat.id == bindparam("cid")).values(status="closed", closed_at=bindparam("closed")),
            [{"cid": f["chat_id"], "closed": f["ended_at"]} for f in facts],
        )
        await conn.execute(insert(ChatFact), facts)
        await conn.execute(insert(metric_hours), rollup_rows(facts))


# -- goals ---------------------------------------------------------------------------------------

GOALS = [
    {"metric": "service_level", "target": 0.8, "seconds": 30},
    {"metric": "missed_share", "target": 0.1},
    {"metric": "satisfaction", "target": 0.9},
    {"metric": "handle_p50", "target": 300},
]


async def test_goals_are_set_by_managers_validated_and_audit_logged(server):
    admin = await logged_in(server, "admin")
    dept = await department(admin, [])
    other = await department(admin, [])
    manager = await logged_in(server, "manager")
    supervisor = await logged_in(server, "supervisor", [dept["slug"]])
    agent = await logged_in(server, "agent", [dept["slug"]])
    url = f"/api/v1/departments/{dept['id']}/goals"
    try:
        r = await manager.http.put(url, json={"goals": GOALS}, headers={"X-CSRF-Token": manager.csrf})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(g["metric"], g["target"], g["seconds"]) for g in body["goals"]] == [
            ("service_level", 0.8, 30),
            ("missed_share", 0.1, None),
            ("satisfaction", 0.9, None),
            ("handle_p50", 300, None),
        ]
        assert body["goals"][0]["updated_by"]["id"] == manager.user["id"]
        assert {m["key"] for m in body["metrics"]} >= {"service_level", "first_response_p90"}

        # Read by a supervisor and an agent of the department; not by those of another one.
        for reader in (supervisor, agent, admin):
            r = await reader.http.get(url)
            assert r.status_code == 200 and len(r.json()["goals"]) == 4, r.text
        r = await supervisor.http.get(f"/api/v1/departments/{other['id']}/goals")
        assert r.status_code == 403, r.text
        assert (await admin.http.get("/api/v1/departments/999999/goals")).status_code == 404

        # Only admins and managers set them.
        r = await supervisor.http.put(url, json={"goals": []}, headers={"X-CSRF-Token": supervisor.csrf})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"

        # Every bad goal is a 400 naming its field.
        bad = [
            (
                [{"metric": "service_level", "target": 0.8, "seconds": 30}, {"metric": "missed_share", "target": 5}],
                "goals[1].target",
            ),
            ([{"metric": "service_level", "target": 0.8, "seconds": 31}], "goals[0].seconds"),
            ([{"metric": "service_level", "target": 0.8}], "goals[0].seconds"),
            ([{"metric": "missed_share", "target": 0.1, "seconds": 30}], "goals[0].seconds"),
            ([{"metric": "speed", "target": 1}], "goals[0].metric"),
            ([{"metric": "satisfaction", "target": 0.9}, {"metric": "satisfaction", "target": 0.8}], "goals[1].metric"),
            ([{"metric": "handle_p50", "target": 0}], "goals[0].target"),
            ([{"metric": "handle_p50", "target": "300"}], "goals[0].target"),
            ([{"metric": "handle_p50", "target": 300, "colour": "red"}], "goals[0].colour"),
            (["handle_p50"], "goals[0]"),
        ]
        for goals, field in bad:
            r = await admin.http.put(url, json={"goals": goals}, headers={"X-CSRF-Token": admin.csrf})
            assert r.status_code == 400, (goals, r.text)
            assert r.json()["error"]["field"] == field, (goals, r.text)
        r = await admin.http.put(url, json={"goals": "all"}, headers={"X-CSRF-Token": admin.csrf})
        assert r.status_code == 400, r.text
        assert len((await admin.http.get(url)).json()["goals"]) == 4  # nothing changed

        # The change is in the audit log; an empty list removes them all.
        r = await admin.http.get("/api/v1/audit", params={"action": "department.goals"})
        entries = [e for e in r.json()["entries"] if e["target"] == {"type": "department", "id": str(dept["id"])}]
        assert entries and entries[0]["actor"]["id"] == manager.user["id"]
        assert entries[0]["details"]["goals"][0] == {"metric": "service_level", "target": 0.8, "seconds": 30}
        r = await admin.http.put(url, json={"goals": []}, headers={"X-CSRF-Token": admin.csrf})
        assert r.status_code == 200 and r.json()["goals"] == []
    finally:
        for c in (admin, manager, supervisor, agent):
            await c.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_the_goals_report_marks_each_local_day_met_or_missed(server):
    """Three days in Europe/Oslo around the change to summer time (2026-03-29 has 23 hours): the
    hour starting 2026-03-28T23:00Z is 00:00 on the 29th there."""
    admin = await logged_in(server, "admin")
    dept = await department(admin, [])
    url = f"/api/v1/departments/{dept['id']}/goals"
    r = await admin.http.put(url, json={"goals": GOALS}, headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        # The 28th: 10 chats, 1 missed; first responses 8 x 12 s and 1 x 100 s (8/9 within 30 s);
        # 5 ratings of 5. The 29th: 4 chats, 2 missed; first responses 10 s and 200 s; ratings 5, 2.
        d28 = [at("2026-03-28T10:00:00") + timedelta(minutes=i) for i in range(10)]
        d29 = [at("2026-03-28T23:00:00") + timedelta(minutes=i) for i in range(4)]
        ids = await new_chats(db, dept["id"], d28 + d29)
        facts = []
        for i, (chat_id, started) in enumerate(zip(ids[:10], d28, strict=True)):
            if i == 9:
                facts.append(fact(chat_id, dept["id"], started, answered=False, missed=True, first_response_s=None))
            else:
                facts.append(
                    fact(
                        chat_id,
                        dept["id"],
                        started,
                        first_response_s=100.0 if i == 8 else 12.0,
                        rating=5 if i < 5 else None,
                    )
                )
        facts.append(fact(ids[10], dept["id"], d29[0], first_response_s=10.0, rating=5))
        facts.append(fact(ids[11], dept["id"], d29[1], first_response_s=200.0, rating=2))
        facts.append(fact(ids[12], dept["id"], d29[2], answered=False, missed=True, first_response_s=None))
        facts.append(fact(ids[13], dept["id"], d29[3], answered=False, missed=True, first_response_s=None))
        await write_facts(db, facts)
    finally:
        await db.dispose()
    supervisor = await logged_in(server, "supervisor", [dept["slug"]])
    try:
        params = {"department": dept["id"], "from": "2026-03-28", "to": "2026-03-30", "tz": "Europe/Oslo"}
        r = await supervisor.http.get("/api/v1/reports/goals", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["range"] == {"from": "2026-03-28", "to": "2026-03-30", "tz": "Europe/Oslo"}
        goals = {g["metric"]: g for g in body["goals"]}
        days = {m: [(d["day"], d["actual"], d["met"]) for d in g["days"]] for m, g in goals.items()}
        assert days["service_level"] == [
            ("2026-03-28", round(8 / 9, 4), True),
            ("2026-03-29", 0.5, False),
            ("2026-03-30", None, None),
        ]
        assert days["missed_share"] == [
            ("2026-03-28", 0.1, True),  # at most the target: met
            ("2026-03-29", 0.5, False),
            ("2026-03-30", None, None),
        ]
        assert days["satisfaction"] == [
            ("2026-03-28", 1.0, True),
            ("2026-03-29", 0.5, False),
            ("2026-03-30", None, None),
        ]
        assert (goals["service_level"]["actual"], goals["service_level"]["met"]) == (round(9 / 11, 4), True)
        assert (goals["missed_share"]["actual"], goals["missed_share"]["met"]) == (round(3 / 14, 4), False)
        assert (goals["satisfaction"]["actual"], goals["satisfaction"]["met"]) == (round(6 / 7, 4), False)
        assert [g["days_missed"] for g in body["goals"]] == [1, 1, 1, 0]
        # every handle time is 200 s: the median is inside the (180, 240] bucket, under 300
        assert goals["handle_p50"]["met"] is True and 180 < goals["handle_p50"]["actual"] <= 240
        assert body["approx"] is True and "service_level" in body["definitions"]

        # The same figures as CSV: a row per goal and day, and one for the range.
        r = await supervisor.http.get("/api/v1/reports/goals", params={**params, "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8", r.text
        assert r.headers["content-disposition"] == 'attachment; filename="report-goals-2026-03-28-2026-03-30.csv"'
        table = list(csv.DictReader(io.StringIO(r.text, newline="")))
        assert len(table) == 4 * 4
        row = next(t for t in table if t["metric"] == "missed_share" and t["day"] == "2026-03-29")
        assert (row["target"], row["actual"], row["met"]) == ("0.1", "0.5", "False")
        assert next(t for t in table if t["metric"] == "service_level" and t["day"] == "2026-03-30")["met"] == ""

        # In UTC the 29th's first hour belongs to the 28th.
        params["tz"] = "UTC"
        r = await supervisor.http.get("/api/v1/reports/goals", params=params)
        sl = {d["day"]: d["actual"] for d in r.json()["goals"][0]["days"]}
        assert sl["2026-03-28"] == round(9 / 11, 4) and sl["2026-03-29"] is None

        # Bad input: each a 400 / 403 naming the field.
        for bad, field, status in (
            ({"from": "2026-03-28", "to": "2026-03-30"}, "department", 400),
            ({**params, "from": "2026-03-30", "to": "2026-03-28"}, "to", 400),
            ({**params, "from": "2016-03-30", "to": "2026-03-28"}, "to", 400),
            ({**params, "tz": "Mars/Olympus"}, "tz", 400),
            ({**params, "from": "28.03.2026"}, "from", 400),
        ):
            r = await supervisor.http.get("/api/v1/reports/goals", params=bad)
            assert r.status_code == status and r.json()["error"]["field"] == field, (bad, r.text)
        other = await department(admin, [])
        r = await supervisor.http.get("/api/v1/reports/goals", params={**params, "department": other["id"]})
        assert r.status_code == 403 and r.json()["error"]["field"] == "department", r.text
    finally:
        await supervisor.close()
        await admin.close()


# -- dashboard -----------------------------------------------------------------------------------


async def test_the_dashboard_shows_now_and_today_against_last_week(server):
    admin = await logged_in(server, "admin")
    email, password = make_agent(server, "agent")
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    dept = await department(admin, [agent])
    await agent.connect()  # online (connected), then away by hand
    r = await agent.http.put("/api/v1/auth/me/status", json={"status": "away"}, headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 200, r.text
    r = await admin.http.put(
        f"/api/v1/departments/{dept['id']}/goals",
        json={"goals": [{"metric": "service_level", "target": 0.75, "seconds": 20}]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    earlier = midnight + (now - midnight) / 2  # today, before now (UTC)
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        # Now: one chat waiting for ~2 minutes, one in progress.
        await new_chats(db, dept["id"], [now - timedelta(seconds=120)], status="queued")
        await new_chats(db, dept["id"], [now - timedelta(seconds=30)])
        # Today: 3 chats (first responses 10 s and 40 s, one missed); the same weekday last week
        # up to now: 2 chats answered in 5 s; and one last week after the time of day now (not counted).
        today = await new_chats(db, dept["id"], [earlier] * 3)
        week = await new_chats(
            db, dept["id"], [earlier - timedelta(days=7)] * 2 + [now - timedelta(days=7) + timedelta(minutes=1)]
        )
        await write_facts(
            db,
            [
                fact(today[0], dept["id"], earlier, first_response_s=10.0),
                fact(today[1], dept["id"], earlier, first_response_s=40.0),
                fact(today[2], dept["id"], earlier, answered=False, missed=True, first_response_s=None),
                fact(week[0], dept["id"], earlier - timedelta(days=7), first_response_s=5.0),
                fact(week[1], dept["id"], earlier - timedelta(days=7), first_response_s=5.0),
                fact(week[2], dept["id"], now - timedelta(days=7) + timedelta(minutes=1), first_response_s=5.0),
            ],
        )
    finally:
        await db.dispose()
    try:
        r = await admin.http.get("/api/v1/reports/dashboard", params={"department": dept["id"], "tz": "UTC"})
        assert r.status_code == 200, r.text
        body = r.json()
        live = body["now"]
        assert (live["chats_in_progress"], live["waiting"]) == (1, 1)
        assert 100 <= live["longest_wait_s"] <= 600
        assert live["agents"] == {"online": 0, "away": 1, "offline": 0}
        assert live["visitors_online"] == 0
        assert live["service_level"] == {"seconds": 20, "actual": 0.5, "target": 0.75, "met": False}
        assert {k: body["today"][k] for k in ("chats", "answered", "missed", "service_level")} == {
            "chats": 3,
            "answered": 2,
            "missed": 1,
            "service_level": 0.5,
        }
        assert body["today"]["first_response_p50"] == 25.0
        assert {k: body["last_week"][k] for k in ("chats", "answered", "service_level", "first_response_p50")} == {
            "chats": 2,
            "answered": 2,
            "service_level": 1.0,
            "first_response_p50": 5.0,
        }
        assert body["last_week"]["day"] == (now - timedelta(days=7)).date().isoformat()
        assert "service_level" in body["definitions"]

        r = await admin.http.get(
            "/api/v1/reports/dashboard", params={"department": dept["id"], "tz": "UTC", "format": "csv"}
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
        figures = {(t["part"], t["figure"]): t["value"] for t in csv.DictReader(io.StringIO(r.text, newline=""))}
        assert figures[("now", "waiting")] == "1" and figures[("today", "chats")] == "3"
        assert figures[("last_week", "service_level")] == "1.0" and figures[("now", "service_level_target")] == "0.75"

        # Without a department (an admin: everywhere) the service level is read at 30 s, no goal.
        r = await admin.http.get("/api/v1/reports/dashboard")
        assert r.status_code == 200 and r.json()["now"]["service_level"]["target"] is None, r.text

        # An agent's own dashboard: their chats, no visitors; another department's is refused.
        r = await agent.http.get("/api/v1/reports/dashboard")
        assert r.status_code == 200, r.text
        mine = r.json()
        assert mine["agent_id"] == agent.user["id"] and mine["now"]["visitors_online"] is None
        assert mine["now"]["agents"] == {"online": 0, "away": 1, "offline": 0}
        assert mine["today"]["chats"] == 0

        for bad, field, status in (
            ({"tz": "Nowhere/Else"}, "tz", 400),
            ({"department": 0}, "department", 400),
            ({"department": 999_999}, "department", 400),
        ):
            r = await admin.http.get("/api/v1/reports/dashboard", params=bad)
            assert r.status_code == status and r.json()["error"]["field"] == field, (bad, r.text)
        other = await department(admin, [])
        supervisor = await logged_in(server, "supervisor", [dept["slug"]])
        r = await supervisor.http.get("/api/v1/reports/dashboard", params={"department": other["id"]})
        assert r.status_code == 403 and r.json()["error"]["field"] == "department", r.text
        await supervisor.close()
    finally:
        await agent.close()
        await admin.close()


# -- activity and timeline -----------------------------------------------------------------------


async def test_activity_hours_and_a_night_shift_timeline(server):
    """An agent online 22:00-06:00 Oslo time (CET, +01:00) on the night of 2026-01-14, holding one
    chat 23:00-00:30 and two 00:30-01:00, away 03:00-03:30."""
    admin = await logged_in(server, "admin")
    night = await logged_in(server, "agent")
    dept = await department(admin, [night])
    colleague = await logged_in(server, "agent")
    changes = [
        ("2026-01-14T21:00:00", "online", 0, "connected"),
        ("2026-01-14T22:00:00", "online", 1, "assigned"),
        ("2026-01-14T23:30:00", "online", 2, "assigned"),
        ("2026-01-15T00:00:00", "online", 0, "closed"),
        ("2026-01-15T02:00:00", "away", 0, "manual"),
        ("2026-01-15T02:30:00", "online", 0, "manual"),
        ("2026-01-15T05:00:00", "offline", 0, "disconnected"),
    ]
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        async with db.write() as conn:
            await conn.execute(
                insert(AgentActivity),
                [
                    {"agent_id": night.user["id"], "at": at(when), "status": s, "load": n, "reason": why}
                    for when, s, n, why in changes
                ],
            )
    finally:
        await db.dispose()
    agent_id = night.user["id"]
    try:
        url = f"/api/v1/reports/agents/{agent_id}/timeline"
        r = await night.http.get(url, params={"day": "2026-01-14", "tz": "Europe/Oslo"})
        assert r.status_code == 200, r.text
        day14 = r.json()
        assert [(s["start"], s["end"], s["status"], s["load"], s["reason"]) for s in day14["segments"]] == [
            ("2026-01-13T23:00:00.000Z", "2026-01-14T21:00:00.000Z", "offline", 0, None),  # nothing known before
            ("2026-01-14T21:00:00.000Z", "2026-01-14T22:00:00.000Z", "online", 0, "connected"),
            ("2026-01-14T22:00:00.000Z", "2026-01-14T23:00:00.000Z", "online", 1, "assigned"),  # cut at midnight
        ]
        # 22:00-24:00 local: online 2 h, chatting 1 h (one chat from 23:00)
        assert (day14["online_s"], day14["chatting_s"], day14["idle_s"]) == (7200, 3600, 3600)
        assert day14["concurrency"] == 1.0
        r = await night.http.get(url, params={"day": "2026-01-15", "tz": "Europe/Oslo"})
        day15 = r.json()
        assert day15["segments"][0]["start"] == "2026-01-14T23:00:00.000Z"  # carried in: 1 chat
        assert (day15["segments"][0]["status"], day15["segments"][0]["load"]) == ("online", 1)
        # 00:00-06:00 local: online 6 h less 30 min away; chatting 00:00-01:00 (1 chat 30 min, 2 chats 30 min)
        assert (day15["online_s"], day15["away_s"], day15["chatting_s"]) == (19800, 1800, 3600)
        assert day15["concurrency"] == 1.5

        # The range report: both days in one row per member of the department.
        params = {"department": dept["id"], "from": "2026-01-14", "to": "2026-01-15", "tz": "Europe/Oslo"}
        r = await admin.http.get("/api/v1/reports/activity", params=params)
        assert r.status_code == 200, r.text
        rows = {a["agent"]["id"]: a for a in r.json()["agents"]}
        assert set(rows) == {agent_id}
        assert (rows[agent_id]["online_s"], rows[agent_id]["chatting_s"]) == (7200 + 19800, 7200)
        assert "online_hours" in r.json()["definitions"]
        r = await admin.http.get("/api/v1/reports/activity", params={**params, "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
        assert [
            (t["agent_id"], t["online_s"], t["chatting_s"], t["concurrency"])
            for t in csv.DictReader(io.StringIO(r.text))
        ] == [(str(agent_id), "27000.0", "7200.0", "1.25")]
        r = await night.http.get(url, params={"day": "2026-01-14", "tz": "Europe/Oslo", "format": "csv"})
        assert r.status_code == 200, r.text
        assert [t["status"] + "/" + t["load"] for t in csv.DictReader(io.StringIO(r.text))] == [
            "offline/0",
            "online/0",
            "online/1",
        ]

        # Agents read their own only; the unknown agent is a 404; bad input names the field.
        r = await colleague.http.get(url, params={"day": "2026-01-14"})
        assert r.status_code == 403 and r.json()["error"]["field"] == "agent", r.text
        r = await colleague.http.get("/api/v1/reports/activity", params={"agent": agent_id})
        assert r.status_code == 403 and r.json()["error"]["field"] == "agent", r.text
        r = await colleague.http.get("/api/v1/reports/activity")
        assert r.status_code == 200 and [a["agent"]["id"] for a in r.json()["agents"]] == [colleague.user["id"]]
        assert (
            await admin.http.get("/api/v1/reports/agents/999999/timeline", params={"day": "2026-01-14"})
        ).status_code == 404
        for bad, field in (
            ({"day": "14.01.2026"}, "day"),
            ({}, "day"),
            ({"day": "2026-01-14", "tz": "Oslo"}, "tz"),
        ):
            r = await admin.http.get(url, params=bad)
            assert r.status_code == 400 and r.json()["error"]["field"] == field, (bad, r.text)
        for bad, field in (
            ({"from": "2026-01-15", "to": "2026-01-14"}, "to"),
            ({"tz": "Europe/Nowhere"}, "tz"),
        ):
            r = await admin.http.get("/api/v1/reports/activity", params=bad)
            assert r.status_code == 400 and r.json()["error"]["field"] == field, (bad, r.text)
    finally:
        for c in (admin, night, colleague):
            await c.close()


# -- export --------------------------------------------------------------------------------------


async def test_the_export_is_one_row_per_chat_that_a_spreadsheet_opens_safely(server):
    admin = await logged_in(server, "admin")
    helper = await logged_in(server, "agent")
    dept = await department(admin, [helper])
    tag = f"vip-{secrets.token_hex(3)}"
    r = await admin.post("/api/v1/tags", json={"name": tag})
    assert r.status_code == 201, r.text
    tag_id = r.json()["tag"]["id"]
    start = at("2026-02-10T08:00:00")
    n = 1_205  # 30 s apart: 08:00-18:02 UTC, three of the export's 6-hour reads (from 23:00 UTC, Oslo's midnight)
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        starts = [start + timedelta(seconds=30 * i) for i in range(n)]
        names = ['=HYPERLINK("http://x")', 'Åse Ødegård, "the" boss'] + [None] * (n - 2)
        ids = await new_chats(db, dept["id"], starts, names)
        facts = [fact(c, dept["id"], s, agent_id=helper.user["id"]) for c, s in zip(ids, starts, strict=True)]
        facts[0].update(rating=5, first_agent_id=helper.user["id"], transfers=1)
        facts[1].update(answered=False, missed=True, first_response_s=None, reply_n=0, reply_sum_s=0, reply_max_s=None)
        await write_facts(db, facts)
        async with db.write() as conn:
            await conn.execute(insert(ChatTag), [{"chat_id": ids[0], "tag_id": tag_id, "added_at": start}])
            await conn.execute(
                Chat.__table__.update().where(Chat.id == ids[0]).values(rating=5, rating_comment="+1 great\nthanks")
            )
    finally:
        await db.dispose()
    try:
        params = {"department": dept["id"], "from": "2026-02-10", "to": "2026-02-10", "tz": "Europe/Oslo"}
        async with admin.http.stream("GET", "/api/v1/reports/export", params=params) as r:
            assert r.status_code == 200, await r.aread()
            assert r.headers["content-type"] == "text/csv; charset=utf-8"
            assert r.headers["content-disposition"] == 'attachment; filename="chats-2026-02-10-to-2026-02-10.csv"'
            assert "content-length" not in r.headers  # streamed
            raw = b"".join([piece async for piece in r.aiter_raw()])
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
        text = raw.decode("utf-8-sig")
        assert text.count("\r\n") >= n + 1 and "\n" not in text.replace("\r\n", "").replace("great\nthanks", "")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert len(rows) == n and [int(row["chat_id"]) for row in rows] == ids  # oldest first, each once
        first, second = rows[0], rows[1]
        assert first["visitor_name"] == '\'=HYPERLINK("http://x")'  # a formula is neutralised
        assert second["visitor_name"] == 'Åse Ødegård, "the" boss'
        assert first["started_local"] == "2026-02-10 09:00:00" and first["started_utc"] == "2026-02-10T08:00:00.000Z"
        assert first["ended_local"] == "2026-02-10 09:05:00"
        assert (first["outcome"], second["outcome"]) == ("answered", "missed")
        assert (first["department"], first["agent"], first["first_agent"]) == (
            dept["name"],
            helper.user["name"],
            helper.user["name"],
        )
        assert (first["first_response_s"], first["reply_mean_s"], first["handle_s"], first["duration_s"]) == (
            "12",
            "25",
            "200",
            "300",
        )
        assert (first["transfers"], first["tags"], first["rating"]) == ("1", tag, "5")
        assert first["rating_comment"] == "'+1 great\nthanks"
        assert second["first_response_s"] == "" and second["rating"] == ""

        # Scope: an agent exports their own chats only; a supervisor elsewhere is refused.
        r = await helper.http.get("/api/v1/reports/export", params={"from": "2026-02-10", "to": "2026-02-10"})
        assert r.status_code == 200, r.text
        assert len(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))) == n + 1
        outsider = await logged_in(server, "supervisor")
        r = await outsider.http.get("/api/v1/reports/export", params=params)
        assert r.status_code == 403 and r.json()["error"]["field"] == "department", r.text
        await outsider.close()
        for bad, field in (
            ({"from": "2026-02-11", "to": "2026-02-10"}, "to"),
            ({"tz": "Europe/Atlantis"}, "tz"),
            ({"from": "2010-01-01", "to": "2026-02-10"}, "to"),
            ({"agent": 0}, "agent"),
        ):
            r = await admin.http.get("/api/v1/reports/export", params=bad)
            assert r.status_code == 400 and r.json()["error"]["field"] == field, (bad, r.text)
    finally:
        await helper.close()
        await admin.close()
