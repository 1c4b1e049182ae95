"""Every route has answered 2xx at least once in the full run (tests/route_coverage.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from frontdesk.api.route_log import ENV
from frontdesk.app import create_app
from frontdesk.config import Settings
from tests.route_coverage import UNREACHABLE, expected_routes, missing, not_full_run


def all_routes(tmp_path: Path):
    app = create_app(Settings(data_dir=tmp_path, secret_key="test-secret", api_docs=True))
    return app.router.routes


def test_every_route_answered_2xx(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    why = not_full_run(request.config)
    if why is not None:
        pytest.skip(f"only in the full run: {why}")
    routes = all_routes(tmp_path)
    stale = sorted(UNREACHABLE.keys() - expected_routes(routes))
    assert not stale, "no such route any more - delete from UNREACHABLE: " + ", ".join(stale)
    never = missing(routes, Path(os.environ[ENV]))
    assert not never, (
        f"{len(never)} route(s) never answered 2xx in the whole run - add a test that calls each "
        "(or, if it truly cannot be reached, an UNREACHABLE entry with the reason):\n  " + "\n  ".join(never)
    )
