"""Route coverage: every route of the app has answered 2xx (a WebSocket: been accepted) at least
once in the full run. The permission walk (tests/api/test_permissions.py) proves refusals; this
proves each route also works for somebody.

How: this plugin (tests/conftest.py loads it) sets FRONTDESK_TEST_ROUTE_LOG to a fresh directory
before any test runs. Every `frontdesk serve` the tests start inherits it (tests.conftest.ServerProcess
copies os.environ), and so does every app built in-process; `create_app` then adds
frontdesk/api/route_log.py's middleware, which appends "METHOD /template STATUS" lines to one
file per process. tests/test_route_coverage.py, moved to the end of the run, reads them (under
pytest-xdist the controller does, at session end: pytest_sessionfinish below) - only in
the full run (`make test` sets FRONTDESK_FULL_RUN=1; a run with paths, -k, -m, --lf, --deselect or
--ignore is not full).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from frontdesk.api.route_log import ENV

COVERAGE_TEST = "tests/test_route_coverage.py"

# Routes that cannot answer 2xx in a test run, each with its reason ("METHOD /template" -> why).
# Keep this near-empty: prefer a test that calls the route.
UNREACHABLE: dict[str, str] = {}

# Routes whose success is a redirect: a 3xx counts for them ("METHOD /template" -> why).
REDIRECTS: dict[str, str] = {"GET /console": "sends the browser on to /console/ (307)"}

_created: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(ENV):
        directory = tempfile.mkdtemp(prefix="frontdesk-routes-")
        _created.append(directory)
        os.environ[ENV] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    for directory in _created:
        shutil.rmtree(directory, ignore_errors=True)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The coverage check runs last, after every test that could hit a route."""
    last = [item for item in items if item.nodeid.startswith(COVERAGE_TEST)]
    if last:
        items[:] = [item for item in items if not item.nodeid.startswith(COVERAGE_TEST)] + last


def not_full_run(config: pytest.Config) -> str | None:
    """Why this run is not the whole suite (None: it is)."""
    if os.environ.get("FRONTDESK_FULL_RUN") != "1":
        return "FRONTDESK_FULL_RUN is not 1 (make test sets it)"
    opt = config.option
    if getattr(opt, "keyword", "") or getattr(opt, "markexpr", ""):
        return "-k or -m selects some tests"
    if getattr(opt, "deselect", None) or getattr(opt, "lf", False):
        return "--deselect or --lf leaves tests out"
    if getattr(opt, "ignore", None) or getattr(opt, "ignore_glob", None):
        return "--ignore leaves tests out"
    root = Path(config.rootpath)
    paths = [Path(a.split("::")[0]) for a in config.args]
    if any((root / p).resolve() != (root / "tests").resolve() for p in paths):
        return "paths select part of tests/"
    return None


def leaf_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The app's routes with FastAPI's included routers opened (`original_router`: our routers
    have no prefix, so their routes' paths are the full paths)."""
    leaves: list[BaseRoute] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        leaves += leaf_routes(inner.routes) if inner is not None else [route]
    return leaves


def expected_routes(routes: list[BaseRoute]) -> set[str]:
    """'METHOD /template' for every route ('WS /template' for a WebSocket). HEAD, which Starlette
    adds to every GET route, is not required separately."""
    expected = set()
    for route in leaf_routes(routes):
        if isinstance(route, Route):
            methods = set(route.methods or {"GET"})
            if methods != {"HEAD"}:
                methods.discard("HEAD")
            expected |= {f"{m} {route.path}" for m in methods}
        elif isinstance(route, WebSocketRoute):
            expected.add(f"WS {route.path}")
        elif isinstance(route, Mount):
            expected.add(f"GET {route.path}")
        else:  # FastAPI's APIWebSocketRoute is a WebSocketRoute; anything else: by its path
            expected.add(f"? {getattr(route, 'path', route)}")
    return expected


def answered(directory: Path) -> set[str]:
    """'METHOD /template' of every logged request that got a 2xx (an accepted WebSocket; a 3xx
    for a route in REDIRECTS)."""
    ok = set()
    for path in directory.glob("routes-*.log"):
        for line in path.read_text(encoding="utf-8").splitlines():
            method, template, status = line.rsplit(" ", 2)
            route, code = f"{method} {template}", int(status)
            success = 200 <= code < 300 or (method == "WS" and code == 101)
            if success or (300 <= code < 400 and route in REDIRECTS):
                ok.add(route)
    return ok


def missing(routes: list[BaseRoute], directory: Path) -> list[str]:
    return sorted(expected_routes(routes) - answered(directory) - UNREACHABLE.keys())


def app_routes(data_dir: Path) -> list[BaseRoute]:
    """Every route of the app as `frontdesk serve` builds it (the API explorer included)."""
    from frontdesk.app import create_app
    from frontdesk.config import Settings

    return create_app(Settings(data_dir=data_dir, secret_key="test-secret", api_docs=True)).router.routes


def problems(data_dir: Path) -> list[str]:
    """What the check reports: stale UNREACHABLE entries, then routes that never answered 2xx."""
    routes = app_routes(data_dir)
    stale = sorted((UNREACHABLE.keys() | REDIRECTS.keys()) - expected_routes(routes))
    if stale:
        return ["no such route any more - delete from UNREACHABLE/REDIRECTS: " + ", ".join(stale)]
    never = missing(routes, Path(os.environ[ENV]))
    if never:
        return [
            f"{len(never)} route(s) never answered 2xx in the whole run - add a test that calls each "
            "(or, if it truly cannot be reached, an UNREACHABLE entry with the reason):",
            *(f"  {route}" for route in never),
        ]
    return []


def under_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With pytest-xdist (-n), tests/test_route_coverage.py cannot know the other workers are
    done, so the controller checks here, after all of them, and fails the run."""
    config = session.config
    if under_xdist_worker(config) or not config.pluginmanager.hasplugin("dsession"):
        return
    if not_full_run(config) is not None:
        return
    found = problems(Path(tempfile.mkdtemp(prefix="frontdesk-routes-app-")))
    if found:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "route coverage (tests/route_coverage.py)", red=True)
            for line in found:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
