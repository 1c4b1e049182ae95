"""Every route has answered 2xx at least once in the full run (tests/route_coverage.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.route_coverage import not_full_run, problems, under_xdist_worker


def test_every_route_answered_2xx(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if under_xdist_worker(request.config):
        pytest.skip("under pytest-xdist the controller checks at the end of the session")
    why = not_full_run(request.config)
    if why is not None:
        pytest.skip(f"only in the full run: {why}")
    found = problems(tmp_path)
    assert not found, "\n".join(found)
