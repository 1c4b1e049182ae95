"""Suggested shift plans through a real server, on both databases (api/plans.py, actions/plans.py;
docs/api.md "Staffing", docs/staffing.md "Suggesting shifts"): a manager asks for a plan for a
department's members in two offices seven hours apart, applies it (the agents' shifts for the
department are replaced, the plan's shifts carry its id), cannot apply it twice; a supervisor
reads it but cannot apply; bad rules and bodies are 400s naming the field."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import pytest_asyncio

from tests.accounts import login
from tests.api.support import department
from tests.clients import AgentClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

WEEK = "2026-12-07"  # a Monday; no DST change anywhere that week: 168 hours
# one agent from 06:00 to 24:00 UTC, Monday to Friday (Oslo's day is 06-20 UTC, New York's 12-02)
REQUIRED = [1 if d < 5 and h >= 6 else 0 for d in range(7) for h in range(24)]
QUICK = {"time_limit_s": 8, "start_hours": [6, 7, 8, 10, 12, 14]}


async def office(admin: AgentClient, timezone: str) -> dict[str, Any]:
    r = await admin.post("/api/v1/staffing/offices", json={"name": f"O{secrets.token_hex(3)}", "timezone": timezone})
    assert r.status_code == 201, r.text
    return r.json()["office"]


async def put_in(admin: AgentClient, agent: AgentClient, office_id: int) -> None:
    assert agent.user is not None
    r = await admin.http.put(
        f"/api/v1/staffing/agents/{agent.user['id']}/office",
        json={"office_id": office_id},
        headers={"X-CSRF-Token": admin.csrf or ""},
    )
    assert r.status_code == 200, r.text


async def setup(server: Any) -> dict[str, Any]:
    admin = await login(server, "admin")
    manager = await login(server, "manager")
    agents = [await login(server, "agent") for _ in range(4)]
    supervisor = await login(server, "supervisor")
    dept = await department(admin, [*agents, supervisor])
    oslo, new_york = await office(admin, "Europe/Oslo"), await office(admin, "America/New_York")
    for i, agent in enumerate(agents):
        await put_in(admin, agent, (oslo if i < 2 else new_york)["id"])
    return {
        "admin": admin,
        "manager": manager,
        "agents": agents,
        "supervisor": supervisor,
        "dept": dept,
        "offices": [oslo["id"], new_york["id"]],
    }


async def close(world: dict[str, Any]) -> None:
    for key in ("admin", "manager", "supervisor"):
        await world[key].close()
    for agent in world["agents"]:
        await agent.close()


async def suggest(client: AgentClient, json: dict[str, Any]) -> Any:
    """POST /plans: the optimiser runs up to the rules' time limit, longer than httpx's default wait."""
    return await client.http.post(
        "/api/v1/staffing/plans", json=json, headers={"X-CSRF-Token": client.csrf or ""}, timeout=120
    )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(server):
    """One department with four agents in two offices, for the tests that only ask."""
    shared = await setup(server)
    yield shared
    await close(shared)


def body(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {
        "department_id": world["dept"]["id"],
        "week": WEEK,
        "offices": world["offices"],
        "rules": QUICK,
        "required": REQUIRED,
    }
    out.update(changes)
    return out


async def test_suggest_apply_and_not_twice(server) -> None:
    world = await setup(server)
    manager, dept = world["manager"], world["dept"]
    first = world["agents"][0].user["id"]
    try:
        # a shift the plan will replace (the agent's, for this department)
        r = await manager.post(
            "/api/v1/staffing/shifts",
            json={"agent_id": first, "department_id": dept["id"], "weekday": 5, "start": "10:00", "minutes": 240},
        )
        assert r.status_code == 201, r.text
        assert r.json()["shift"]["plan_id"] is None

        r = await suggest(manager, body(world))
        assert r.status_code == 201, r.text
        plan = r.json()
        assert plan["status"] == "suggested" and plan["week"] == WEEK
        assert plan["result"]["status"] in ("optimal", "feasible") and plan["uncovered"] == []
        assert len(plan["hours"]) == 168
        assert all(h["scheduled"] >= h["required"] for h in plan["hours"])
        assert {s["timezone"] for s in plan["shifts"]} == {"Europe/Oslo", "America/New_York"}
        assert plan["agent_hours"] >= sum(REQUIRED)
        # follow the sun: New York (UTC-5) takes the UTC evening, in its own daytime
        for s in plan["shifts"]:
            assert s["start_minute"] >= 7 * 60 and s["start_minute"] + s["minutes"] <= 21 * 60, s
        assert plan["result"]["night_hours"] == 0

        r = await manager.http.get("/api/v1/staffing/plans", params={"department": dept["id"]})
        assert r.status_code == 200, r.text
        assert [p["id"] for p in r.json()["plans"]][0] == plan["id"]
        r = await manager.http.get(f"/api/v1/staffing/plans/{plan['id']}")
        assert r.status_code == 200 and r.json()["shifts"] == plan["shifts"]

        r = await manager.post(f"/api/v1/staffing/plans/{plan['id']}/apply")
        assert r.status_code == 200, r.text
        applied = r.json()
        assert applied["status"] == "applied" and applied["applied_at"]
        assert applied["created"] == len(plan["shifts"]) and applied["removed"] == 1

        r = await manager.http.get("/api/v1/staffing/shifts", params={"department": dept["id"]})
        assert r.status_code == 200, r.text
        shifts = r.json()["shifts"]
        assert len(shifts) == len(plan["shifts"]) and {s["plan_id"] for s in shifts} == {plan["id"]}
        # (the old shift is gone: every shift now carries the plan's id; SQLite may reuse its id)
        assert sorted((s["agent"]["id"], s["weekday"], s["start_minute"], s["minutes"]) for s in shifts) == sorted(
            (s["agent_id"], s["weekday"], s["start_minute"], s["minutes"]) for s in plan["shifts"]
        )

        # applying twice (or discarding an applied plan) is refused, naming the plan's state
        r = await manager.post(f"/api/v1/staffing/plans/{plan['id']}/apply")
        assert r.status_code == 409, r.text
        assert r.json()["error"]["field"] == "plan" and "applied already" in r.json()["error"]["message"]
        r = await manager.post(f"/api/v1/staffing/plans/{plan['id']}/discard")
        assert r.status_code == 409, r.text

        # an impossible plan: three agents every hour on Monday with four agents, 9 h shifts
        required = [3 if h < 24 else 0 for h in range(168)]
        r = await suggest(manager, body(world, required=required, rules={"time_limit_s": 5}))
        assert r.status_code == 201, r.text
        impossible = r.json()
        assert impossible["result"]["status"] == "infeasible" and impossible["uncovered"]
        assert all(u["short"] >= 1 and u["at"] and u["local"] for u in impossible["uncovered"])

        # discarding changes no shift
        r = await manager.post(f"/api/v1/staffing/plans/{impossible['id']}/discard")
        assert r.status_code == 200 and r.json()["status"] == "discarded"
        r = await manager.http.get("/api/v1/staffing/shifts", params={"department": dept["id"]})
        assert len(r.json()["shifts"]) == len(plan["shifts"])
    finally:
        await close(world)


async def test_a_supervisor_reads_plans_but_cannot_apply(server) -> None:
    world = await setup(server)
    manager, supervisor = world["manager"], world["supervisor"]
    outsider = await login(server, "supervisor")
    try:
        r = await suggest(manager, body(world, rules={**QUICK, "time_limit_s": 3}))
        assert r.status_code == 201, r.text
        plan_id = r.json()["id"]
        r = await supervisor.http.get(f"/api/v1/staffing/plans/{plan_id}")
        assert r.status_code == 200, r.text
        r = await supervisor.http.get("/api/v1/staffing/plans")
        assert r.status_code == 200 and plan_id in [p["id"] for p in r.json()["plans"]]
        r = await supervisor.post(f"/api/v1/staffing/plans/{plan_id}/apply")
        assert r.status_code == 403, r.text
        r = await suggest(supervisor, body(world))
        assert r.status_code == 403, r.text
        # a supervisor of other departments does not see it
        r = await outsider.http.get(f"/api/v1/staffing/plans/{plan_id}")
        assert r.status_code == 403 and r.json()["error"]["field"] == "department"
        r = await outsider.http.get("/api/v1/staffing/plans")
        assert r.status_code == 200 and plan_id not in [p["id"] for p in r.json()["plans"]]
        r = await manager.post(f"/api/v1/staffing/plans/{plan_id}/apply")
        assert r.status_code == 200, r.text
    finally:
        await outsider.close()
        await close(world)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rules": {"min_minutes": 600, "max_minutes": 480}}, "rules.min_minutes"),
        ({"rules": {"rest_minutes": -60}}, "rules.rest_minutes"),
        ({"rules": {"max_minutes": 1500}}, "rules.max_minutes"),
        ({"rules": {"day_start": 1300, "day_end": 600}}, "rules.day_start"),
        ({"rules": {"max_shifts": 9}}, "rules.max_shifts"),
        ({"rules": {"naps": True}}, "rules.naps"),
        ({"offices": []}, "offices"),
        ({"offices": [999_999]}, "offices[0]"),
        ({"week": "2026-12-08"}, "week"),
        ({"required": [1] * 24}, "required"),
        ({"required": [1] * 167 + [-1]}, "required[167]"),
        ({"department_id": 999_999}, "department"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_plan_requests_name_the_field(world, changes: dict[str, Any], field: str) -> None:
    r = await suggest(world["manager"], body(world, **changes))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field, r.text
    if field == "rules.max_minutes":
        assert "at most 24 hours" in r.json()["error"]["message"]


async def test_without_history_the_forecast_is_named(world) -> None:
    r = await suggest(world["manager"], {k: v for k, v in body(world).items() if k != "required"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == "department" and "history" in r.json()["error"]["message"]
    r = await world["manager"].http.get("/api/v1/staffing/plans/999999")
    assert r.status_code == 404, r.text
    r = await world["manager"].post("/api/v1/staffing/plans/999999/apply")
    assert r.status_code == 404, r.text
