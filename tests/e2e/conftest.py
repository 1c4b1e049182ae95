"""Browser fixtures: Debian Chromium via Playwright, a shop site on its own origin."""

from __future__ import annotations

import asyncio
import functools
import http.server
import threading
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.conftest import ServerProcess, free_port
from tests.e2e.browser import launch_chromium
from tests.e2e.demo import DemoDatabase, shared_demo_database
from tests.services import artifacts_dir, chromium_path

SNIPPET = """<script>
  (function (w, f) {
    f = w.Frontdesk = w.Frontdesk || {q: []};
    "open close on sendMessage setVisitor setDepartment endChat consent".split(" ").forEach(function (m) {
      f[m] = f[m] || function () {
        var a = arguments;
        return new Promise(function (r, j) { f.q.push([m, a, r, j]); });
      };
    });
  })(window);
</script>"""


def shop_page(widget_src: str, extra: str = "") -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Acme Bikes</title>
<style>body{{font-family:sans-serif;margin:40px}} button{{all:unset}} div{{color:red !important}}</style>
</head><body><h1>Acme Bikes</h1><p>Everything for your bike.</p>
{SNIPPET}
<script>window.__events = []; Frontdesk.on("message", function (e) {{ window.__events.push(e); }});</script>
{extra}
<script src="{widget_src}" async></script></body></html>"""


async def wait_until_online(base_url: str, department: str | None = None, timeout: float = 10.0) -> None:
    """Until the widget config says someone can take a chat (the agent's console connected)."""
    params = {"department": department} if department else {}
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(int(timeout * 10)):
            config = (await http.get("/api/v1/widget/config", params=params)).json()
            if config.get("online"):
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"nobody came online for {department or 'the default department'}")


def shop_page_with(widget_src: str, attributes: str = "", extra: str = "") -> str:
    """The shop page with extra attributes on the widget's script tag (data-department=…)."""
    return shop_page(widget_src, extra).replace(
        f'<script src="{widget_src}" async>', f'<script src="{widget_src}" {attributes} async>'
    )


class ShopSite:
    """A static site on another origin that embeds the widget."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def write(self, name: str, html: str) -> str:
        (self.root / name).write_text(html)
        return f"{self.url}/{name}"

    def __enter__(self) -> ShopSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def shots() -> Path:
    path = artifacts_dir() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def browser():
    if chromium_path() is None:
        pytest.skip("no Chromium (make test installs Debian's chromium)")
    async with launch_chromium() as b:
        yield b


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def web_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e")
    proc = ServerProcess(data_dir, f"sqlite:///{data_dir / 'frontdesk.db'}")
    await proc.start()
    yield proc
    await proc.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the test item, so a fixture can tell that the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(autouse=True)
def server_log_on_failure(request):  # type: ignore[no-untyped-def]
    """After a failed browser test, print the tail of its server's log: a CI failure then shows what
    the server did (a refused chat, an exception) next to the browser's view."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "web_server" not in request.fixturenames:
        return
    server = request.getfixturevalue("web_server")
    path = getattr(server, "log_path", None)
    if path is not None and Path(path).exists():
        tail = Path(path).read_text(errors="replace").splitlines()[-80:]
        print(f"--- the last {len(tail)} lines of {Path(path).name} ---", *tail, sep="\n")


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> DemoDatabase:  # type: ignore[no-untyped-def]
    """ONE `frontdesk demo --weeks 4 --seed 7` database per test run, xdist workers included
    (tests/e2e/demo.py): the modules that read a demo history each start a server on their own
    copy (demo_server_on)."""
    return shared_demo_database(tmp_path_factory)


@pytest.fixture
def shop(tmp_path):
    with ShopSite(tmp_path) as site:
        yield site
