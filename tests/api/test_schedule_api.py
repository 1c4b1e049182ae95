"""Offices, holidays, shifts, rotations and the iCalendar file through a real server, on both
databases (api/schedule.py; docs/api.md "Staffing"): every route answers, each bad input is a
400 naming the field, supervisors and agents see only their scope, the audit log records each
write."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from frontdesk.domain.schedule import ShiftSpec, occurrences
from tests.accounts import make_agent
from tests.api.support import department
from tests.clients import AgentClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

BASE = "/api/v1/staffing"


async def logged_in(server: Any, role: str, departments: list[str] | None = None) -> AgentClient:
    email, password = make_agent(server, role, departments)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    return client


async def send(client: AgentClient, method: str, path: str, json: Any = None) -> Any:
    return await client.http.request(method, BASE + path, json=json, headers={"X-CSRF-Token": client.csrf or ""})


def refused(r: Any, status: int, field: str, message: str | None = None) -> bool:
    error = r.json().get("error", {})
    return r.status_code == status and error.get("field") == field and (message is None or error["message"] == message)


def name(prefix: str) -> str:
    return f"{prefix} {secrets.token_hex(3)}"


async def audit_actions(admin: AgentClient, target_type: str, target_id: int) -> list[str]:
    """The audit log's actions on one target, newest first."""
    params = {"target_type": target_type, "target_id": str(target_id), "limit": 200}
    r = await admin.http.get("/api/v1/audit", params=params)
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["entries"]]


async def test_offices_holidays_and_an_agents_office(server):
    admin = await logged_in(server, "admin")
    agent = await logged_in(server, "agent")
    agent_id = agent.user["id"]
    try:
        r = await send(admin, "POST", "/offices", {"name": name("Oslo"), "timezone": "Europe/Oslo"})
        assert r.status_code == 201, r.text
        office = r.json()["office"]
        assert office["timezone"] == "Europe/Oslo" and office["agents"] == 0 and office["holidays"] == []
        r = await send(admin, "PATCH", f"/offices/{office['id']}", {"name": office["name"] + " HQ"})
        assert r.status_code == 200 and r.json()["office"]["name"].endswith(" HQ"), r.text
        days = [{"date": "2026-12-25", "name": "Christmas Day"}, {"date": "2026-05-17", "name": "Constitution Day"}]
        r = await send(admin, "PUT", f"/offices/{office['id']}/holidays", {"holidays": days})
        assert r.status_code == 200, r.text
        assert [h["date"] for h in r.json()["office"]["holidays"]] == ["2026-05-17", "2026-12-25"]
        r = await send(admin, "PUT", f"/agents/{agent_id}/office", {"office_id": office["id"]})
        assert r.status_code == 200 and r.json() == {"agent_id": agent_id, "office_id": office["id"]}, r.text
        # A shift made now defaults to the office's zone.
        r = await send(
            admin, "POST", "/shifts", {"agent_id": agent_id, "weekday": "mon", "start": "09:00", "minutes": 480}
        )
        assert r.status_code == 201, r.text
        shift = r.json()["shift"]
        assert (shift["timezone"], shift["office_id"], shift["label"]) == (
            "Europe/Oslo",
            office["id"],
            "Monday 09:00–17:00",
        )
        r = await send(admin, "GET", "/offices")
        assert r.status_code == 200, r.text
        listed = next(o for o in r.json()["offices"] if o["id"] == office["id"])
        assert listed["agents"] == 1 and len(listed["holidays"]) == 2
        # Deleting the office: the agent works from none and keeps the shift, in its own zone.
        r = await send(admin, "DELETE", f"/offices/{office['id']}")
        assert r.status_code == 200 and r.json() == {"deleted": office["id"], "agents": 1}, r.text
        r = await send(admin, "GET", f"/shifts?agent={agent_id}")
        assert r.status_code == 200, r.text
        (kept,) = r.json()["shifts"]
        assert (kept["id"], kept["timezone"], kept["office_id"]) == (shift["id"], "Europe/Oslo", None)
        assert await audit_actions(admin, "office", office["id"]) == [
            "office.delete",
            "office.holidays",
            "office.update",
            "office.create",
        ]
        assert (await audit_actions(admin, "user", agent_id))[0] == "user.office"
        # Bad input names the field.
        checks = [
            ("POST", "/offices", {"name": "", "timezone": "UTC"}, 400, "name"),
            ("POST", "/offices", {"name": name("X"), "timezone": "Mars/Olympus_Mons"}, 400, "timezone"),
            ("POST", "/offices", {"name": name("X")}, 400, "timezone"),
            ("POST", "/offices", {"name": name("X"), "timezone": "UTC", "colour": "red"}, 400, "colour"),
            ("PATCH", "/offices/999999", {"name": "Nowhere"}, 404, None),
            ("PUT", "/offices/999999/holidays", {"holidays": []}, 404, None),
            ("PUT", f"/agents/{agent_id}/office", {"office_id": 999999}, 400, "office_id"),
            ("PUT", "/agents/999999/office", {"office_id": None}, 404, None),
        ]
        for method, path, body, status, field in checks:
            r = await send(admin, method, path, body)
            assert r.status_code == status and (field is None or refused(r, status, field)), (path, body, r.text)
        r = await send(admin, "POST", "/offices", {"name": "Dup " + office["name"], "timezone": "UTC"})
        assert r.status_code == 201
        r = await send(admin, "POST", "/offices", {"name": "Dup " + office["name"], "timezone": "UTC"})
        assert refused(r, 409, "name"), r.text
        other = r.json()
        assert other["error"]["code"] == "conflict"
        office2 = (await send(admin, "GET", "/offices")).json()["offices"]
        office2_id = next(o["id"] for o in office2 if o["name"] == "Dup " + office["name"])
        bad_days = [
            ([{"date": "2026-13-01"}], "holidays[0].date"),
            ([{"date": "2026-12-24"}, {"date": "2026-12-24"}], "holidays[1].date"),
            ([{"date": "2026-12-24", "name": "x" * 101}], "holidays[0].name"),
            ([{"date": "2026-12-24", "when": "all day"}], "holidays[0].when"),
            (["2026-12-24"], "holidays[0]"),
        ]
        for holidays, field in bad_days:
            r = await send(admin, "PUT", f"/offices/{office2_id}/holidays", {"holidays": holidays})
            assert refused(r, 400, field), (holidays, r.text)
    finally:
        await admin.close()
        await agent.close()


async def test_shifts_crud_overlaps_and_bad_input(server):
    admin = await logged_in(server, "admin")
    agent = await logged_in(server, "agent")
    outsider = await logged_in(server, "agent")
    dept = await department(admin, [agent])
    agent_id = agent.user["id"]
    try:
        night = {"agent_id": agent_id, "weekday": "tue", "start": "22:00", "minutes": 480, "timezone": "UTC"}
        r = await send(admin, "POST", "/shifts", {**night, "department_id": dept["id"]})
        assert r.status_code == 201, r.text
        shift = r.json()["shift"]
        assert shift["label"] == "Tuesday 22:00–06:00" and shift["department_id"] == dept["id"]
        assert (shift["start"], shift["end"], shift["day"], shift["agent"]["id"]) == ("22:00", "06:00", "tue", agent_id)
        # Overlapping the night, across midnight: the field is `start` and the message says which shift.
        r = await send(admin, "POST", "/shifts", {**night, "weekday": "wed", "start": "05:00", "minutes": 60})
        assert refused(r, 400, "start", "start: overlaps the agent's shift on Tuesday 22:00–06:00"), r.text
        r = await send(admin, "POST", "/shifts", {**night, "weekday": 2, "start": "06:00", "minutes": 60})
        assert r.status_code == 201, r.text  # touching is fine
        morning = r.json()["shift"]
        # PATCH re-checks the whole shift (its own old self is no clash).
        r = await send(admin, "PATCH", f"/shifts/{shift['id']}", {"start": "21:00", "minutes": 540})
        assert r.status_code == 200 and r.json()["shift"]["label"] == "Tuesday 21:00–06:00", r.text
        r = await send(admin, "PATCH", f"/shifts/{shift['id']}", {"minutes": 600})
        assert refused(r, 400, "start", "start: overlaps the agent's shift on Wednesday 06:00–07:00"), r.text
        r = await send(admin, "PATCH", f"/shifts/{morning['id']}", {"cycle_weeks": 2, "cycle_week": 1})
        assert r.status_code == 200 and r.json()["shift"]["label"] == "Wednesday 06:00–07:00 (week 2 of 2)", r.text
        r = await send(admin, "PATCH", f"/shifts/{morning['id']}", {"department_id": None})
        assert r.status_code == 200 and r.json()["shift"]["department_id"] is None, r.text
        r = await send(admin, "GET", f"/shifts?department={dept['id']}")
        assert r.status_code == 200 and {s["id"] for s in r.json()["shifts"]} == {shift["id"], morning["id"]}
        r = await send(admin, "DELETE", f"/shifts/{morning['id']}")
        assert r.status_code == 200 and r.json() == {"deleted": morning["id"]}, r.text
        assert await audit_actions(admin, "shift", morning["id"]) == [
            "shift.delete",
            "shift.update",
            "shift.update",
            "shift.create",
        ]
        checks = [
            ({"minutes": 1441}, "minutes", "minutes: a shift is at most 24 hours"),
            ({"minutes": 5}, "minutes", None),
            ({"weekday": 7}, "weekday", None),
            ({"weekday": "someday"}, "weekday", None),
            ({"start": "25:00"}, "start", None),
            ({"start": "9am"}, "start", None),
            ({"timezone": "Mars/Olympus_Mons"}, "timezone", None),
            ({"cycle_weeks": 2, "cycle_week": 2}, "cycle_week", None),
            ({"cycle_weeks": 9}, "cycle_weeks", None),
            ({"agent_id": 999999}, "agent_id", None),
            ({"agent_id": outsider.user["id"], "department_id": dept["id"]}, "department_id", None),
            ({"department_id": 999999}, "department_id", None),
            ({"colour": "red"}, "colour", None),
            ({"minutes": "480"}, "minutes", None),
        ]
        for change, field, message in checks:
            r = await send(admin, "POST", "/shifts", {**night, "weekday": "sat", **change})
            assert refused(r, 400, field, message), (change, r.text)
        for change, field in (({"minutes": 2000}, "minutes"), ({"agent_id": 5}, "agent_id"), ({"start": "x"}, "start")):
            r = await send(admin, "PATCH", f"/shifts/{shift['id']}", change)
            assert refused(r, 400, field), (change, r.text)
        r = await send(admin, "PATCH", "/shifts/999999", {"minutes": 60})
        assert r.status_code == 404, r.text
        r = await send(admin, "DELETE", "/shifts/999999")
        assert r.status_code == 404, r.text
        for query, field in (
            ("agent=999999", "agent"),
            ("department=999999", "department"),
            ("office=999999", "office"),
        ):
            r = await send(admin, "GET", f"/shifts?{query}")
            assert refused(r, 400, field), (query, r.text)
    finally:
        for c in (admin, agent, outsider):
            await c.close()


async def test_rotations_stagger_replace_and_refuse_overlaps(server):
    admin = await logged_in(server, "admin")
    one = await logged_in(server, "agent")
    two = await logged_in(server, "agent")
    dept = await department(admin, [one, two])
    ids = [one.user["id"], two.user["id"]]
    try:
        days = [{"weekday": d, "start": "07:00", "minutes": 480} for d in range(5)]
        nights = [{"weekday": d, "start": "22:00", "minutes": 540} for d in range(5)]
        r = await send(admin, "POST", "/rotations", {"name": name("Days/nights"), "pattern": [days, nights]})
        assert r.status_code == 201, r.text
        rotation = r.json()["rotation"]
        assert rotation["weeks"] == 2 and rotation["pattern"][1][0] == {"weekday": 0, "start": "22:00", "minutes": 540}
        r = await send(admin, "GET", "/rotations")
        assert r.status_code == 200 and rotation["id"] in [x["id"] for x in r.json()["rotations"]], r.text
        body = {"agents": ids, "department_id": dept["id"]}
        r = await send(admin, "POST", f"/rotations/{rotation['id']}/apply", body)
        assert r.status_code == 200, r.text
        applied = r.json()
        assert applied["created"] == 20 and applied["removed"] == 0
        # Staggered: in any week one agent works days and the other nights.
        by_agent: dict[int, dict[int, str]] = {a: {} for a in ids}
        for s in applied["shifts"]:
            assert s["cycle_weeks"] == 2 and s["rotation_id"] == rotation["id"]
            by_agent[s["agent"]["id"]][s["cycle_week"]] = s["start"]
        assert by_agent[ids[0]] == {0: "07:00", 1: "22:00"} and by_agent[ids[1]] == {0: "22:00", 1: "07:00"}
        # Applying again on top overlaps; with replace it takes their place.
        r = await send(admin, "POST", f"/rotations/{rotation['id']}/apply", body)
        assert refused(r, 400, "agents"), r.text
        assert "would overlap the agent's shift on Monday 07:00–15:00 (week 1 of 2)" in r.json()["error"]["message"]
        r = await send(
            admin, "POST", f"/rotations/{rotation['id']}/apply", {**body, "agents": ids[::-1], "replace": True}
        )
        assert r.status_code == 200 and (r.json()["removed"], r.json()["created"]) == (20, 20), r.text
        r = await send(admin, "DELETE", f"/rotations/{rotation['id']}")
        assert r.status_code == 200, r.text
        r = await send(admin, "GET", f"/shifts?department={dept['id']}")
        assert len(r.json()["shifts"]) == 20 and {s["rotation_id"] for s in r.json()["shifts"]} == {None}
        assert await audit_actions(admin, "rotation", rotation["id"]) == [
            "rotation.delete",
            "rotation.apply",
            "rotation.apply",
            "rotation.create",
        ]
        clash = [[{"weekday": 6, "start": "20:00", "minutes": 720}], [{"weekday": 0, "start": "06:00", "minutes": 480}]]
        bad_rotations = [
            ({"name": name("R"), "pattern": clash}, "pattern"),
            (
                {"name": name("R"), "pattern": [[{"weekday": 0, "start": "07:00", "minutes": 2000}]]},
                "pattern[0][0].minutes",
            ),
            ({"name": name("R"), "pattern": [[{"weekday": 0, "start": "7", "minutes": 60}]]}, "pattern[0][0].start"),
            ({"name": name("R"), "pattern": [[]] * 9}, "pattern"),
            ({"name": name("R"), "pattern": [[]]}, "pattern"),
            ({"name": name("R"), "weeks": 2, "pattern": [days]}, "weeks"),
            ({"name": "", "pattern": [days]}, "name"),
        ]
        for data, field in bad_rotations:
            r = await send(admin, "POST", "/rotations", data)
            assert refused(r, 400, field), (data, r.text)
        r = await send(admin, "POST", "/rotations", {"name": name("Weekend"), "pattern": [days]})
        assert r.status_code == 201
        weekend_id = r.json()["rotation"]["id"]
        bad_apply = [
            ({"agents": []}, "agents"),
            ({"agents": [ids[0], ids[0]]}, "agents"),
            ({"agents": [999999]}, "agents[0]"),
            ({"agents": ids, "replace": "yes"}, "replace"),
            ({"agents": ids, "department_id": 999999}, "department_id"),
        ]
        for data, field in bad_apply:
            r = await send(admin, "POST", f"/rotations/{weekend_id}/apply", data)
            assert refused(r, 400, field), (data, r.text)
        r = await send(admin, "POST", "/rotations/999999/apply", {"agents": ids})
        assert r.status_code == 404
        r = await send(admin, "DELETE", "/rotations/999999")
        assert r.status_code == 404
    finally:
        for c in (admin, one, two):
            await c.close()


async def test_supervisors_and_agents_see_their_scope_and_an_agents_own_ics(server):
    admin = await logged_in(server, "admin")
    mine = await logged_in(server, "agent")
    theirs = await logged_in(server, "agent")
    home = await department(admin, [mine])
    away = await department(admin, [theirs])
    supervisor = await logged_in(server, "supervisor", [home["slug"]])
    try:
        r = await send(admin, "POST", "/offices", {"name": name("New York"), "timezone": "America/New_York"})
        office = r.json()["office"]
        today = datetime.now(UTC).date()
        holiday = today + timedelta(days=(1 - today.weekday()) % 7 + 14)  # a Tuesday two weeks ahead
        r = await send(admin, "PUT", f"/offices/{office['id']}/holidays", {"holidays": [{"date": holiday.isoformat()}]})
        assert r.status_code == 200
        assert (
            await send(admin, "PUT", f"/agents/{mine.user['id']}/office", {"office_id": office["id"]})
        ).status_code == 200
        created = {}
        for who in (mine, theirs):
            body = {"agent_id": who.user["id"], "weekday": "tue", "start": "22:00", "minutes": 480, "cycle_weeks": 1}
            r = await send(admin, "POST", "/shifts", body)
            assert r.status_code == 201, r.text
            created[who.user["id"]] = r.json()["shift"]
        # A supervisor: their departments' agents (and themselves), nobody else's.
        r = await send(supervisor, "GET", "/shifts")
        assert r.status_code == 200, r.text
        seen = {s["agent"]["id"] for s in r.json()["shifts"]}
        assert mine.user["id"] in seen and theirs.user["id"] not in seen
        r = await send(supervisor, "GET", f"/shifts?agent={mine.user['id']}")
        assert r.status_code == 200 and len(r.json()["shifts"]) == 1
        r = await send(supervisor, "GET", f"/shifts?agent={theirs.user['id']}")
        assert refused(r, 403, "agent"), r.text
        r = await send(supervisor, "GET", f"/shifts?department={away['id']}")
        assert refused(r, 403, "department"), r.text
        r = await send(supervisor, "GET", f"/agents/{theirs.user['id']}/shifts.ics")
        assert refused(r, 403, "agent"), r.text
        r = await send(supervisor, "GET", f"/agents/{mine.user['id']}/shifts.ics")
        assert r.status_code == 200, r.text
        r = await send(
            supervisor, "POST", "/shifts", {"agent_id": mine.user["id"], "weekday": 0, "start": "09:00", "minutes": 60}
        )
        assert r.status_code == 403, r.text
        assert (await send(supervisor, "GET", "/offices")).status_code == 200
        assert (await send(supervisor, "GET", "/rotations")).status_code == 200
        # An agent: their own shifts only.
        r = await send(mine, "GET", "/shifts")
        assert r.status_code == 200 and [s["id"] for s in r.json()["shifts"]] == [created[mine.user["id"]]["id"]]
        r = await send(mine, "GET", f"/shifts?agent={theirs.user['id']}")
        assert refused(r, 403, "agent"), r.text
        r = await send(mine, "GET", f"/agents/{theirs.user['id']}/shifts.ics")
        assert refused(r, 403, "agent"), r.text
        for method, path in (
            ("GET", "/offices"),
            ("GET", "/rotations"),
            ("DELETE", f"/shifts/{created[mine.user['id']]['id']}"),
        ):
            assert (await send(mine, method, path)).status_code == 403, path
        # Their own calendar: one weekly event in New York time, the office's holiday left out.
        r = await send(mine, "GET", f"/agents/{mine.user['id']}/shifts.ics")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/calendar")
        assert "attachment" in r.headers["content-disposition"]
        calendar = Calendar.from_ical(r.content)
        (event,) = calendar.walk("VEVENT")
        assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["INTERVAL"] == [1]
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
        begins = event.decoded("DTSTART")
        assert (begins.weekday(), begins.hour, begins.minute) == (1, 22, 0)
        assert event.decoded("DURATION") == timedelta(minutes=480)
        spec = ShiftSpec(mine.user["id"], "America/New_York", 1, 22 * 60, 480)
        first = occurrences(spec, begins - timedelta(hours=1), begins + timedelta(hours=1))
        assert first == [(begins.astimezone(UTC), begins.astimezone(UTC) + timedelta(hours=8))]
        excluded = [d.dt.date() for d in event.get("EXDATE").dts] if "EXDATE" in event else []
        assert excluded == [holiday]
    finally:
        for c in (admin, mine, theirs, supervisor):
            await c.close()
