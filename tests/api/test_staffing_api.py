"""Staffing reads through a real server, on both databases (api/staffing.py, actions/staffing.py;
docs/api.md "Staffing", docs/staffing.md "Required agents and coverage").

The history is the demo's (actions/demo.do_load_demo, as `frontdesk demo --weeks 3` writes it,
with a quarter of its visitors to keep the test quick): chats, their facts and roll-ups, agents'
activity, offices and shifts (one shift left out on purpose, so Support has hours nobody is
scheduled for). Forecast, parameters, required agents and coverage are then asked for as an admin,
a manager and a supervisor would."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio

from frontdesk.actions.context import Context
from frontdesk.actions.demo import do_load_demo
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.domain.simulation import demo_config
from frontdesk.store.db import Database
from tests.accounts import make_agent
from tests.api.support import department
from tests.clients import AgentClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

MODELS = ("chat", "erlang_a", "erlang_c")


async def logged_in(server: Any, role: str, departments: list[str] | None = None) -> AgentClient:
    email, password = make_agent(server, role, departments)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    # A forecast fits its model when first asked (and imports statsmodels in a fresh server): on a
    # loaded machine that is more than httpx's default 5 s.
    client.http.timeout = httpx.Timeout(120)
    return client


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def demo(server, tmp_path_factory):
    """Three weeks of the demo's history in the server's database; the departments by slug."""
    config = demo_config()
    config = replace(
        config, departments=tuple(replace(d, peak_per_hour=d.peak_per_hour / 4) for d in config.departments)
    )
    url = server.env["FRONTDESK_DATABASE_URL"]
    settings = Settings(data_dir=tmp_path_factory.mktemp("staffing-demo"), database_url=url, secret_key="test")
    db = Database(url)
    ctx = Context(db=db, settings=settings, bus=InProcessBus())
    try:
        began = time.monotonic()
        summary = await do_load_demo(ctx, weeks=3, seed=7, force=True, config=config)
        print(f"the staffing test's demo: {summary['chats']} chats in {time.monotonic() - began:.1f} s")
    finally:
        await db.dispose()
    admin = await logged_in(server, "admin")
    r = await admin.http.get("/api/v1/departments")
    await admin.close()
    assert r.status_code == 200, r.text
    return {d["slug"]: d for d in r.json()["departments"]}


def monday(zone: str, weeks_back: int = 0) -> date:
    today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=today.weekday() + 7 * weeks_back)


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_forecast_parameters_and_required_agents_of_a_demo_department(server, demo):
    manager = await logged_in(server, "manager")
    support = demo["support"]
    try:
        r = await manager.http.get("/api/v1/staffing/forecast", params={"department": support["id"], "weeks": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["timezone"] == "Europe/Oslo" and body["method"] and body["weeks_used"] >= 1
        # From this week's local Monday 00:00, two weeks of real UTC hours (a DST week: 167/169).
        first = datetime.fromisoformat(body["points"][0]["local"])
        assert (first.weekday(), first.hour, first.minute) == (0, 0, 0)
        assert first.date() == monday("Europe/Oslo")
        assert 334 <= len(body["points"]) <= 338
        assert all(p["low"] <= p["expected"] <= p["high"] for p in body["points"])
        assert sum(h["arrivals"] for h in body["history"]) > 100
        assert body["accuracy"] is None or body["accuracy"]["held_out_weeks"] >= 1
        # Closed hours (Sunday 03:00 Oslo) are forecast 0; open weekday mornings above 0.
        by_local = {(p["local"][:13]): p for p in body["points"]}
        sunday_night = f"{monday('Europe/Oslo') + timedelta(days=6)}T03"
        assert by_local[sunday_night]["expected"] == 0
        tuesday_ten = f"{monday('Europe/Oslo') + timedelta(days=1)}T10"
        assert by_local[tuesday_ten]["expected"] > 0

        r = await manager.http.get("/api/v1/staffing/parameters", params={"department": support["id"]})
        assert r.status_code == 200, r.text
        params = r.json()
        assert params["samples"]["chats"] >= 30 and params["samples"]["abandoned"] >= 5
        assert params["defaults"] == [] and params["notes"] == []
        assert len(params["aht_by_load"]) == params["max_chats"] >= 1
        assert all(60 < a < 3600 for a in params["aht_by_load"])  # the demo's handle times: ~7-12 min
        assert params["patience_s"] > 20  # seconds (the fit is tested in tests/domain/test_staffing_fit.py)

        week = monday("Europe/Oslo").isoformat()
        r = await manager.http.get("/api/v1/staffing/required", params={"department": support["id"], "week": week})
        assert r.status_code == 200, r.text
        req = r.json()
        assert req["week"] == week and req["parameters"]["aht_by_load"] == params["aht_by_load"]
        assert req["goal"] == {
            "service_level": 0.8,
            "seconds": 60.0,
            "max_abandon": 0.05,
            "defaults": ["service_level", "seconds", "max_abandon"],
        }
        hours = req["hours"]
        assert 167 <= len(hours) <= 169
        # The forecast's arrivals of the same week, hour by hour.
        assert [h["arrivals"] for h in hours] == pytest.approx([p["expected"] for p in body["points"][: len(hours)]])
        # Required rises with the forecast arrivals: never fewer agents for more arrivals.
        ranked = sorted(hours, key=lambda h: h["arrivals"])
        for model in MODELS:
            needed = [h["required"][model] for h in ranked]
            assert needed == sorted(needed), model
        busiest = ranked[-1]
        assert busiest["required"]["chat"] > 0 and busiest["predicted"]["chat"]["meets"] is True
        assert busiest["predicted"]["chat"]["service_level"] >= 0.8
        assert busiest["predicted"]["chat"]["abandonment"] <= 0.05
        closed = [h for h in hours if h["closed"]]
        assert closed and all(h["required"] == {m: 0 for m in MODELS} and h["arrivals"] == 0 for h in closed)
        assert req["agent_hours"] == {m: sum(h["required"][m] for h in hours) for m in MODELS}

        # A stricter goal (the department's analytics goals) asks for more agent-hours.
        goals = {
            "goals": [
                {"metric": "service_level", "target": 0.95, "seconds": 10},
                {"metric": "missed_share", "target": 0.01},
            ]
        }
        r = await manager.http.put(
            f"/api/v1/departments/{support['id']}/goals", json=goals, headers={"X-CSRF-Token": manager.csrf}
        )
        assert r.status_code == 200, r.text
        r = await manager.http.get("/api/v1/staffing/required", params={"department": support["id"], "week": week})
        strict = r.json()
        assert strict["goal"] == {"service_level": 0.95, "seconds": 10.0, "max_abandon": 0.01, "defaults": []}
        assert strict["agent_hours"]["chat"] > req["agent_hours"]["chat"]
        r = await manager.http.put(
            f"/api/v1/departments/{support['id']}/goals", json={"goals": []}, headers={"X-CSRF-Token": manager.csrf}
        )
        assert r.status_code == 200, r.text
    finally:
        await manager.close()


async def test_coverage_marks_unscheduled_hours_under_and_past_hours_carry_online(server, demo):
    admin = await logged_in(server, "admin")
    support = demo["support"]
    try:
        # Last week: every hour has ended, so every hour has `online`.
        week = monday("Europe/Oslo", 1).isoformat()
        r = await admin.http.get("/api/v1/staffing/coverage", params={"department": support["id"], "week": week})
        assert r.status_code == 200, r.text
        body = r.json()
        hours = body["hours"]
        assert 167 <= len(hours) <= 169
        assert all(h["online"] is not None for h in hours)
        assert body["totals"]["online"] == pytest.approx(sum(h["online"] for h in hours), abs=0.01)
        assert body["totals"]["online"] > 10  # the demo's agents were online
        assert body["totals"]["scheduled"] > 10  # and have shifts
        for h in hours:
            local = datetime.fromisoformat(h["local"])
            assert (h["weekday"], h["hour"]) == (local.weekday(), local.hour)
            if h["status"] == "closed":
                assert h["required"] == 0
            elif h["scheduled"] < h["required"]:
                assert h["status"] == "under", h
            elif h["scheduled"] >= h["required"] + max(2, 0.25 * h["required"]):
                assert h["status"] == "over", h
            else:
                assert h["status"] == "ok", h
        # The demo leaves one Wednesday evening shift out: open hours with nobody scheduled.
        unscheduled = [h for h in hours if h["status"] != "closed" and h["scheduled"] == 0 and h["required"] > 0]
        assert unscheduled and all(h["status"] == "under" for h in unscheduled)
        assert body["totals"]["under_hours"] == sum(h["status"] == "under" for h in hours) > 0
        assert body["totals"]["short"] == pytest.approx(
            sum(h["required"] - h["scheduled"] for h in hours if h["status"] == "under")
        )

        # This week: hours not yet over have no `online`.
        r = await admin.http.get("/api/v1/staffing/coverage", params={"department": support["id"]})
        assert r.status_code == 200, r.text
        now = datetime.now(UTC)
        for h in r.json()["hours"]:
            ended = datetime.fromisoformat(h["at"].replace("Z", "+00:00")) + timedelta(hours=1) <= now
            assert (h["online"] is not None) == ended, h
    finally:
        await admin.close()


async def test_every_route_as_csv(server, demo):
    admin = await logged_in(server, "admin")
    sales = demo["sales"]
    try:
        base = {"department": sales["id"], "format": "csv"}
        rows = rows_of(await admin.http.get("/api/v1/staffing/forecast", params={**base, "weeks": 1}))
        assert {r["kind"] for r in rows} == {"history", "forecast"}
        assert 167 <= sum(r["kind"] == "forecast" for r in rows) <= 169
        assert list(rows[0]) == ["at", "local", "kind", "arrivals", "low", "high"]

        rows = rows_of(await admin.http.get("/api/v1/staffing/parameters", params=base))
        names = [r["parameter"] for r in rows]
        assert names[0] == "aht_1" and "patience_s" in names and "samples_chats" in names

        rows = rows_of(await admin.http.get("/api/v1/staffing/required", params=base))
        assert 167 <= len(rows) <= 169
        assert {"chat", "erlang_a", "erlang_c", "chat_service_level"} <= set(rows[0])
        as_json = (await admin.http.get("/api/v1/staffing/required", params={"department": sales["id"]})).json()
        assert [int(r["chat"]) for r in rows] == [h["required"]["chat"] for h in as_json["hours"]]

        rows = rows_of(await admin.http.get("/api/v1/staffing/coverage", params=base))
        assert 167 <= len(rows) <= 169
        assert {r["status"] for r in rows} <= {"under", "over", "ok", "closed"}
        assert list(rows[0]) == [
            "at",
            "local",
            "weekday",
            "hour",
            "arrivals",
            "required",
            "scheduled",
            "online",
            "status",
        ]

        body = {"arrivals": [0, 20, 60], "aht_by_load": [300, 400], "patience_s": 120}
        r = await admin.http.post(
            "/api/v1/staffing/whatif", params={"format": "csv"}, json=body, headers={"X-CSRF-Token": admin.csrf}
        )
        rows = rows_of(r)
        assert len(rows) == 9 and [r["model"] for r in rows[:3]] == list(MODELS)
        assert rows[0]["agents"] == "0"
    finally:
        await admin.close()


async def test_whatif_needs_no_history_and_answers_per_model(server):
    supervisor = await logged_in(server, "supervisor")
    try:
        body = {
            "arrivals": [5, 40, 120],
            "aht_by_load": [300, 360],
            "patience_s": 180,
            "goal": {"service_level": 0.8, "seconds": 30, "max_abandon": 0.05},
        }
        r = await supervisor.post("/api/v1/staffing/whatif", json=body)
        assert r.status_code == 200, r.text
        two = r.json()
        assert [h["arrivals"] for h in two["hours"]] == [5, 40, 120]
        for h in two["hours"]:
            for model in MODELS:
                p = h["models"][model]
                assert p["meets"] is True and p["service_level"] >= 0.8, (model, p)
        chat = [h["models"]["chat"]["agents"] for h in two["hours"]]
        assert chat == sorted(chat) and chat[0] >= 1
        assert two["agent_hours"]["chat"] == sum(chat)
        # What if agents hold 3 chats instead of 2 (the third slower still): fewer agents, never more.
        r = await supervisor.post("/api/v1/staffing/whatif", json={**body, "aht_by_load": [300, 360, 450]})
        three = r.json()
        assert three["agent_hours"]["chat"] <= two["agent_hours"]["chat"]
        # Visitors who never leave (patience null): every model still answers.
        r = await supervisor.post("/api/v1/staffing/whatif", json={**body, "patience_s": None})
        assert r.status_code == 200, r.text
        assert r.json()["patience_s"] is None and all(r.json()["agent_hours"][m] > 0 for m in MODELS)
    finally:
        await supervisor.close()


async def test_bad_input_names_the_field(server, demo):
    admin = await logged_in(server, "admin")
    support = demo["support"]["id"]
    try:
        gets = [
            ("forecast", {}, "department"),
            ("forecast", {"department": 999999}, "department"),
            ("forecast", {"department": 0}, "department"),
            ("forecast", {"department": support, "weeks": 0}, "weeks"),
            ("forecast", {"department": support, "weeks": 9}, "weeks"),
            ("forecast", {"department": support, "tz": "Mars/Base"}, "tz"),
            ("forecast", {"department": support, "format": "xml"}, "format"),
            ("parameters", {"department": support, "days": 0}, "days"),
            ("parameters", {"department": support, "days": 366}, "days"),
            ("required", {"department": support, "week": "2026-12-08"}, "week"),  # a Tuesday
            ("required", {"department": support, "week": "next week"}, "week"),
            ("required", {"department": support, "tz": "Nowhere"}, "tz"),
            ("coverage", {"department": support, "week": "2026-02-30"}, "week"),
            ("coverage", {"department": support, "tz": ""}, None),  # empty: the department's zone
        ]
        for route, params, field in gets:
            r = await admin.http.get(f"/api/v1/staffing/{route}", params=params)
            if field is None:
                assert r.status_code == 200, (route, params, r.text)
                continue
            assert r.status_code == 400, (route, params, r.text)
            assert r.json()["error"]["field"] == field, (route, params, r.text)

        good: dict[str, Any] = {"arrivals": [10], "aht_by_load": [300]}
        bodies = [
            ({"aht_by_load": [300]}, "arrivals"),
            ({**good, "arrivals": []}, "arrivals"),
            ({**good, "arrivals": [1] * 169}, "arrivals"),
            ({**good, "arrivals": "10"}, "arrivals"),
            ({**good, "arrivals": [10, -1]}, "arrivals[1]"),
            ({**good, "arrivals": [10_001]}, "arrivals[0]"),
            ({**good, "arrivals": [True]}, "arrivals[0]"),
            ({**good, "arrivals": ["5"]}, "arrivals[0]"),
            ({"arrivals": [10]}, "aht_by_load"),
            ({**good, "aht_by_load": []}, "aht_by_load"),
            ({**good, "aht_by_load": [300] * 11}, "aht_by_load"),
            ({**good, "aht_by_load": [300, 0]}, "aht_by_load[1]"),
            ({**good, "patience_s": 0}, "patience_s"),
            ({**good, "patience_s": -5}, "patience_s"),
            ({**good, "goal": {"service_level": 0}}, "goal.service_level"),
            ({**good, "goal": {"service_level": 1.2}}, "goal.service_level"),
            ({**good, "goal": {"seconds": -1}}, "goal.seconds"),
            ({**good, "goal": {"service_level": 1, "seconds": 0}}, "goal.seconds"),  # 100 % within 0 s
            ({**good, "goal": {"max_abandon": 0}}, "goal.max_abandon"),
            ({**good, "goal": {"level": 0.8}}, "goal.level"),
            ({**good, "goal": "80/20"}, "goal"),
            ({**good, "concurrency": 0}, "concurrency"),
            ({**good, "colour": "red"}, "colour"),
        ]
        for body, field in bodies:
            r = await admin.post("/api/v1/staffing/whatif", json=body)
            assert r.status_code == 400, (body, r.text)
            assert r.json()["error"]["field"] == field, (body, r.text)
        r = await admin.post("/api/v1/staffing/whatif", json={**good, "goal": {"service_level": 1, "seconds": 0}})
        assert "100 % within 0 s" in r.json()["error"]["message"]
        # No arrivals at all: 0 agents by every model.
        r = await admin.post("/api/v1/staffing/whatif", json={**good, "arrivals": [0, 0]})
        assert r.status_code == 200, r.text
        assert r.json()["agent_hours"] == {m: 0 for m in MODELS}
    finally:
        await admin.close()


async def test_no_history_yet_and_the_defaults_said(server, demo):
    admin = await logged_in(server, "admin")
    try:
        empty = await department(admin, [])
        for route in ("forecast", "required", "coverage"):
            r = await admin.http.get(f"/api/v1/staffing/{route}", params={"department": empty["id"]})
            assert r.status_code == 400, (route, r.text)
            error = r.json()["error"]
            assert error["field"] == "department" and "no history yet" in error["message"], error
        r = await admin.http.get("/api/v1/staffing/parameters", params={"department": empty["id"]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["defaults"] == ["aht_by_load", "patience_s"] and len(body["notes"]) == 2
        assert body["samples"] == {"chats": 0, "abandoned": 0} and body["patience_s"] > 0
        assert body["aht_by_load"] == sorted(body["aht_by_load"])
    finally:
        await admin.close()


async def test_a_supervisor_sees_their_own_departments_only(server, demo):
    supervisor = await logged_in(server, "supervisor", ["support"])
    agent = await logged_in(server, "agent", ["support"])
    try:
        mine, theirs = demo["support"]["id"], demo["sales"]["id"]
        for route in ("forecast", "parameters", "required", "coverage"):
            r = await supervisor.http.get(f"/api/v1/staffing/{route}", params={"department": mine})
            assert r.status_code == 200, (route, r.text)
            r = await supervisor.http.get(f"/api/v1/staffing/{route}", params={"department": theirs})
            assert r.status_code == 403, (route, r.text)
            assert r.json()["error"]["field"] == "department"
            r = await agent.http.get(f"/api/v1/staffing/{route}", params={"department": mine})
            assert r.status_code == 403, (route, r.text)
        r = await agent.post("/api/v1/staffing/whatif", json={"arrivals": [1], "aht_by_load": [300]})
        assert r.status_code == 403, r.text
    finally:
        await supervisor.close()
        await agent.close()
