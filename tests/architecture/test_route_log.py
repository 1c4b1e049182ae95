"""The route-coverage guard itself (frontdesk/api/route_log.py, tests/route_coverage.py): it
records what answered, and it reports a route that never answered 2xx."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from frontdesk.api.route_log import ENV, RouteLog
from frontdesk.app import create_app
from frontdesk.config import Settings
from tests.route_coverage import answered, expected_routes, missing


def app_for(tmp_path: Path):
    return create_app(Settings(data_dir=tmp_path / "data", secret_key="test-secret"))


async def test_logs_2xx_per_route_template_and_reports_the_rest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    log_dir = tmp_path / "routes"
    monkeypatch.setenv(ENV, str(log_dir))
    app = app_for(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://frontdesk.test") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/no/such/route")).status_code == 404
        assert (await client.get("/console")).status_code == 307  # its success: a REDIRECTS route
        assert (await client.get("/console/static/index.html")).status_code == 200  # under a mount
    lines = sorted((log_dir).glob("routes-*.log"))[0].read_text().splitlines()
    assert "GET /healthz 200" in lines
    assert "GET /console/static 200" in lines  # the route's path, not the request's
    assert "GET /console 307" in lines
    assert not any("/no/such/route" in line for line in lines)
    assert answered(log_dir) == {"GET /healthz", "GET /console/static", "GET /console"}
    # A 3xx counts only for a route listed in REDIRECTS.
    (log_dir / "routes-0.log").write_text("GET /readyz 302\n")
    never = missing(app.router.routes, log_dir)
    assert "GET /healthz" not in never and "GET /console" not in never
    assert {"GET /readyz", "GET /api/v1/chats/{chat_id}", "WS /api/v1/agent/ws"} <= set(never)
    seen = {"GET /healthz", "GET /console/static", "GET /console"}
    assert set(never) == expected_routes(app.router.routes) - seen


def test_not_installed_without_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv(ENV, raising=False)
    assert not any(m.cls is RouteLog for m in app_for(tmp_path).user_middleware)
    monkeypatch.setenv(ENV, str(tmp_path / "routes"))
    assert any(m.cls is RouteLog for m in app_for(tmp_path).user_middleware)
