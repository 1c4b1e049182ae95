"""The browser tests' demo history: a database filled by `frontdesk demo --weeks 4 --seed 7` (the
real CLI), built ONCE per test session (the `demo_database` fixture in tests/e2e/conftest.py; it
costs ~30 s of CPU, minutes of a loaded machine), and a server on a copy of it for each module
that reads it (tests/e2e/test_reports.py, test_staffing.py): what one module writes (goals,
applied plans) stays out of the others.

Under pytest-xdist (`make test`: modules spread over workers) each worker has its own session, so
the database is built in the run's shared temporary directory under a file lock: the first
worker to need it builds it, the others wait for it and use it.

Four weeks: the staffing forecast reports its accuracy on the last two whole weeks, each
forecast from the weeks before it, so it needs three whole local weeks before this one (any day
of the week); two weeks of history would show the forecast without its accuracy."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

DEMO_ARGS = ("--weeks", "4", "--seed", "7")


@dataclass(frozen=True)
class DemoDatabase:
    """A data directory holding a demo database, the demo manager's login and the CLI's summary."""

    data_dir: Path
    manager: tuple[str, str]  # e-mail, password
    stdout: str


def build_demo_database(data_dir: Path) -> DemoDatabase:
    """Runs the demo into `data_dir`. FRONTDESK_TEST_DEMO_DIR names a data directory where the same
    command already ran today (UTC) to copy instead: for running one browser test again quickly
    (the CLI runs on the copy too, and finds nothing to do)."""
    ready = os.environ.get("FRONTDESK_TEST_DEMO_DIR")
    if ready:
        shutil.copytree(ready, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.log"))
    proc = ServerProcess(data_dir, f"sqlite:///{data_dir / 'frontdesk.db'}")
    demo = subprocess.run(
        [sys.executable, "-m", "frontdesk", "demo", *DEMO_ARGS],
        env=proc.env,
        capture_output=True,
        text=True,
        timeout=1800,  # ~30 s of CPU (4 weeks); minutes of wall time on a busy shared machine
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    # The demo's summary names its users and their one password; its manager reads everything.
    manager = re.search(r"^\s*(\S+@\S+)\s+manager\b", demo.stdout, re.M)
    password = re.search(r"^Password \(every demo user\): (\S+)", demo.stdout, re.M)
    assert manager and password, demo.stdout[-3000:]
    return DemoDatabase(data_dir, (manager.group(1), password.group(1)), demo.stdout)


def shared_demo_database(tmp_path_factory: pytest.TempPathFactory) -> DemoDatabase:
    """The run's one demo database: built by the first session (xdist worker) that asks, under a
    lock, and found ready by the others."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's, shared by workers
    data_dir = root / "demo-database"
    ready = root / "demo-database.json"
    with open(root / "demo-database.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if ready.exists():
            known = json.loads(ready.read_text())
            return DemoDatabase(data_dir, (known["email"], known["password"]), known["stdout"])
        data_dir.mkdir(exist_ok=True)
        demo = build_demo_database(data_dir)
        ready.write_text(json.dumps({"email": demo.manager[0], "password": demo.manager[1], "stdout": demo.stdout}))
        return demo


def demo_server_on(demo: DemoDatabase, tmp_path_factory: pytest.TempPathFactory, name: str) -> ServerProcess:
    """A server (not started yet) on a copy of the demo's data directory; `demo_manager` is set."""
    data_dir = tmp_path_factory.mktemp(name)
    shutil.copytree(demo.data_dir, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.log"))
    proc = ServerProcess(data_dir, f"sqlite:///{data_dir / 'frontdesk.db'}")
    proc.demo_manager = demo.manager  # type: ignore[attr-defined]
    return proc
