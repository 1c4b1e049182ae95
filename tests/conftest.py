"""Shared fixtures: real databases (SQLite always, PostgreSQL when provisioned) and real servers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from frontdesk.actions import availability, users
from frontdesk.actions.context import Context
from frontdesk.actions.dispatch import Router
from frontdesk.actions.group_commit import GroupCommitWriter
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.store.db import Database
from frontdesk.store.migrate import upgrade
from tests.databases import migrated_database_url
from tests.services import postgres_url

# Route coverage: FRONTDESK_TEST_ROUTE_LOG for every server, the check last (tests/route_coverage.py).
pytest_plugins = ["tests.route_coverage"]

BACKENDS = ["sqlite"] + (["postgres"] if postgres_url() else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_pg_counter = 0


async def fresh_postgres_url() -> str:
    """A new, empty database on the test PostgreSQL server (one per fixture use)."""
    import asyncpg

    global _pg_counter
    _pg_counter += 1
    base = make_url(postgres_url())
    name = f"fd_{os.getpid()}_{_pg_counter}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(
        host=base.host, port=base.port or 5432, user=base.username or "postgres", database=base.database
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def database_url(backend: str, tmp_path: Path) -> str:
    """A new database at the schema's head (a copy of one migrated per process: tests/databases.py)."""
    return await migrated_database_url(backend, tmp_path)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest_asyncio.fixture
async def ctx(backend: str, tmp_path: Path) -> AsyncIterator[Context]:
    """A migrated database behind an action context, with an in-process bus that records."""
    url = await database_url(backend, tmp_path)
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="test-secret")
    db = Database(settings.resolved_database_url(), busy_timeout_ms=settings.busy_timeout_ms)
    await upgrade(db)
    bus = InProcessBus()
    published: list[tuple[str, str]] = []
    await bus.start(lambda topic, payload: published.append((topic, payload)))
    context = Context(db=db, settings=settings, bus=bus)
    context.published = published  # type: ignore[attr-defined]
    # As in production: message sends go through the group-commit writer, and someone is on duty
    # in the default department. The router is not started: tests run its passes themselves
    # (`await ctx.router.run_once()`), so what is published is deterministic.
    context.writer = GroupCommitWriter(context)
    context.writer.start()
    context.router = Router(context)
    duty = await users.do_create_user(
        ctx=context, email="on-duty@example.com", name="On Duty", role="agent", password="on-duty-password"
    )
    await availability.do_set_agent_status(context, duty["id"], "online")
    await context.presence.agent_connected(duty["id"])
    context.duty_agent_id = duty["id"]  # type: ignore[attr-defined]
    published.clear()
    yield context
    await context.writer.stop()
    await db.dispose()


class ServerProcess:
    """frontdesk running for real (uvicorn, uvloop) in a child process on a free port."""

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "FRONTDESK_DATA_DIR": str(data_dir),
            "FRONTDESK_DATABASE_URL": database_url,
            "FRONTDESK_SECRET_KEY": "test-secret",
            "FRONTDESK_LOG_LEVEL": "warning",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"server-{self.port}.log"

    def cli(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "frontdesk", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"frontdesk {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    async def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 — closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120  # a start-up bound, not a speed goal: slow under load
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
                try:
                    if (await client.get(self.base_url + "/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()}")

    async def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        for _ in range(100):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest_asyncio.fixture(loop_scope="session", scope="module", params=BACKENDS)
async def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp(f"server-{request.param}")
    url = await database_url(request.param, data_dir)
    proc = ServerProcess(data_dir, url)
    proc.backend = request.param  # type: ignore[attr-defined]
    await proc.start()
    yield proc
    await proc.stop()


@pytest.fixture(autouse=True)
def _frames_match_the_catalogue() -> Iterator[None]:
    """Every frame the tests' socket clients received during the test (and its fixtures) is in
    the frame catalogue and matches its schema (tests/clients.py, tests/frames.py)."""
    from tests import clients

    yield
    problems = list(clients.FRAME_PROBLEMS)
    clients.FRAME_PROBLEMS.clear()
    assert not problems, "frames off the catalogue (frontdesk/wire/frames.py):\n" + "\n".join(problems)
