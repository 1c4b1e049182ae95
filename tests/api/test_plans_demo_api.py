"""A suggested plan from the forecast, on the demo's history (api/plans.py over
actions/staffing.required_hours; docs/staffing.md "One flow" steps 6-7): Support's members in the
Oslo and New York offices cover the required agents of the coming week; applying it leaves no
open hour of the plan under-staffed in the coverage answer."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from frontdesk.actions.context import Context
from frontdesk.actions.demo import do_load_demo
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.domain.simulation import demo_config
from frontdesk.store.db import Database
from tests.accounts import login

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def load_demo(server: Any, tmp_path_factory: Any) -> None:
    config = demo_config()
    config = replace(
        config, departments=tuple(replace(d, peak_per_hour=d.peak_per_hour / 4) for d in config.departments)
    )
    url = server.env["FRONTDESK_DATABASE_URL"]
    settings = Settings(data_dir=tmp_path_factory.mktemp("plans-demo"), database_url=url, secret_key="test")
    db = Database(url)
    try:
        began = time.monotonic()
        summary = await do_load_demo(
            Context(db=db, settings=settings, bus=InProcessBus()), weeks=3, seed=7, force=True, config=config
        )
        print(f"the plans test's demo: {summary['chats']} chats in {time.monotonic() - began:.1f} s")
    finally:
        await db.dispose()


async def test_a_plan_from_the_forecast_covers_support(server, tmp_path_factory) -> None:
    await load_demo(server, tmp_path_factory)
    manager = await login(server, "manager")
    try:
        r = await manager.http.get("/api/v1/departments")
        support = next(d for d in r.json()["departments"] if d["slug"] == "support")
        r = await manager.http.get("/api/v1/staffing/offices")
        offices = {o["name"]: o["id"] for o in r.json()["offices"]}
        today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Oslo")).date()
        week = (today - timedelta(days=today.weekday()) + timedelta(days=7)).isoformat()
        body = {"department_id": support["id"], "week": week, "offices": [offices["Oslo"], offices["New York"]]}
        r = await manager.http.post(
            "/api/v1/staffing/plans", json=body, headers={"X-CSRF-Token": manager.csrf or ""}, timeout=180
        )
        assert r.status_code == 201, r.text
        plan = r.json()
        assert plan["required_from"] == "forecast" and 167 <= len(plan["hours"]) <= 169
        assert plan["shifts"] and plan["result"]["status"] in ("optimal", "feasible", "infeasible")
        # every hour the plan covers is covered in the coverage answer once applied
        covered = {h["at"] for h in plan["hours"] if h["required"] > 0 and h["scheduled"] >= h["required"]}
        assert covered
        r = await manager.post(f"/api/v1/staffing/plans/{plan['id']}/apply")
        assert r.status_code == 200, r.text
        r = await manager.http.get(
            "/api/v1/staffing/coverage", params={"department": support["id"], "week": week}, timeout=120
        )
        assert r.status_code == 200, r.text
        hours = {h["at"]: h for h in r.json()["hours"]}
        under = [at for at in covered if hours[at]["status"] == "under"]
        assert not under, under[:5]
    finally:
        await manager.close()
