"""Processes under test (frontdesk, the echo server), load processes driven over a pipe, fresh
databases, and CPU and memory accounting."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

import frontdesk.cli as frontdesk_cli

REPO = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- CPU and memory from /proc (no psutil), the open files limit -------------------------------
def proc_cpu_seconds(pid: int, tid: int | None = None) -> float | None:
    """User + system CPU seconds of a process (all its threads) or of one of its threads (its
    main thread, the event loop, has tid == pid), or None if it is gone."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        with open(path, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process, KiB (None if it is gone)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def raise_nofile(need: int) -> dict[str, int]:
    """Raise this process's soft limit on open files (children inherit it) towards `need`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        print(f"  (open files limited to {soft}; {need} wanted: sockets may fail)")
    return {"soft": soft, "hard": hard, "needed": need}


@contextlib.contextmanager
def session_priority(niceness: int) -> Iterator[str]:
    """Raise this session's CPU share against other sessions for a while; restored after.

    With autogroup scheduling (the Linux default) a thread's nice value only counts within its
    session, so other people's jobs are weighed against ours per session: the session's
    autogroup nice is what decides. The servers, load generator and a PostgreSQL started by
    scripts/test-services.sh all run in this session. Yields what happened, for the report."""
    path = Path("/proc/self/autogroup")
    try:
        before = int(path.read_text().split()[-1])
        path.write_text(str(niceness))
    except (OSError, ValueError) as exc:
        yield f"not applied ({exc.__class__.__name__}: {exc})"
        return
    try:
        yield f"session autogroup nice {before} -> {niceness}"
    finally:
        with contextlib.suppress(OSError):
            path.write_text(str(before))


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies over all cores, from /proc/stat."""
    with open("/proc/stat", "rb") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return float(total - idle), float(total)


class CpuMeter:
    """CPU used by a set of processes, and by the whole machine, between start() and stop()."""

    def __init__(self, pids: dict[str, list[int]], main_thread_of: int | None = None) -> None:
        self.pids = pids
        self.main = main_thread_of  # also meter this process's main thread alone

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.cpu0 = {pid: proc_cpu_seconds(pid) for pids in self.pids.values() for pid in pids}
        self.main0 = proc_cpu_seconds(self.main, self.main) if self.main else None
        self.sys0 = system_cpu()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        busy1, total1 = system_cpu()
        out: dict[str, float] = {"wall_s": round(wall, 3)}
        for name, pids in self.pids.items():
            used = 0.0
            for pid in pids:
                before, after = self.cpu0.get(pid), proc_cpu_seconds(pid)
                if before is not None and after is not None:
                    used += after - before
            out[f"{name}_cpu_pct"] = round(100 * used / wall, 1)  # 100 = one core
        if self.main and self.main0 is not None:
            main1 = proc_cpu_seconds(self.main, self.main)
            if main1 is not None:
                out["server_loop_cpu_pct"] = round(100 * (main1 - self.main0) / wall, 1)
        busy0, total0 = self.sys0
        ncpu = os.cpu_count() or 1
        out["machine_cpu_pct"] = round(100 * ncpu * (busy1 - busy0) / max(1.0, total1 - total0), 1)
        # Whatever else ran: kernel softirq work for loopback, or other jobs on the machine.
        ours = sum(
            v for k, v in out.items() if k.endswith("_cpu_pct") and k not in ("machine_cpu_pct", "server_loop_cpu_pct")
        )
        out["other_cpu_pct"] = round(out["machine_cpu_pct"] - ours, 1)
        return out


# -- databases -------------------------------------------------------------------------------
def postgres_server_url() -> str | None:
    return os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "").strip() or None


async def fresh_postgres_url(base_url: str) -> str:
    """A new, empty database on the given PostgreSQL server (like tests/conftest)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    name = f"fd_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username or "postgres",
        password=base.password,
        database=base.database,
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await admin.close()


async def postgres_backend_pids(url: str) -> list[int]:
    """PIDs of the PostgreSQL backends serving our database (to count their CPU too)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database,
    )
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            parsed.database,
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def cli_supports(option: str, src: Path | None = None) -> bool:
    """Whether `frontdesk user create` knows an option (without paying a CLI start-up)."""
    path = src / "frontdesk" / "cli.py" if src else Path(frontdesk_cli.__file__)
    return option in path.read_text()


# -- load processes driven over a pipe ---------------------------------------------------------
class PipeProcess:
    """A load process (spawned fresh: no inherited event loop) running target(spec, conn), driven
    over a pipe: commands go as (command, arg), answers come back as (answer, arg), and
    ("error", traceback) when it failed. `name` says who it is in errors ("idle visitors")."""

    def __init__(self, target: Callable[[Any, Any], None], spec: Any, name: str, join_s: float = 10.0) -> None:
        self.name, self.join_s = name, join_s
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(spec, child), daemon=True)
        self.proc.start()
        child.close()

    @property
    def pid(self) -> int:
        assert self.proc.pid is not None
        return self.proc.pid

    def send(self, command: str, arg: Any = None) -> None:
        self.conn.send((command, arg))

    async def ask(self, command: str, arg: Any, expect: str, wait_s: float) -> Any:
        """Send a command and wait for its answer."""
        self.send(command, arg)
        return await self.answer(expect, wait_s)

    async def answer(self, expect: str, wait_s: float) -> Any:
        """The next answer's arg; it must be `expect` and come within wait_s."""

        def get() -> Any:
            if not self.conn.poll(wait_s):
                raise TimeoutError(f"{self.name} did not answer {expect!r} within {wait_s:.0f}s")
            return self.conn.recv()

        got, arg = await asyncio.to_thread(get)
        if got == "error":
            raise RuntimeError(f"{self.name} failed:\n{arg}")
        if got != expect:
            raise RuntimeError(f"{self.name} answered {got!r}, expected {expect!r}")
        return arg

    async def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.send("stop")
        await asyncio.to_thread(self.proc.join, self.join_s)
        if self.proc.is_alive():
            self.proc.terminate()
            await asyncio.to_thread(self.proc.join, 5)


# -- processes --------------------------------------------------------------------------------
class Process:
    """A server in a child process on a free port of 127.0.0.1, waited for via /healthz."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path, port: int) -> None:
        self.argv, self.env, self.log_path, self.port = argv, env, log_path, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _spawn(self) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            return subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)

    async def start(self, wait_s: float = 60.0) -> None:
        self.proc = self._spawn()
        deadline = time.monotonic() + wait_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-4000:]}")
                try:
                    if (await client.get(self.base_url + "/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        await self.stop()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-4000:]}")

    async def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        for _ in range(200):  # up to 10 s (uvicorn's graceful shutdown is 5 s)
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text()[-chars:]
        except OSError:
            return ""


def frontdesk_argv(src: Path | None, *args: str) -> list[str]:
    """`python -m frontdesk ARGS`, or the same from another source tree. The venv's editable
    install hooks the import system ahead of PYTHONPATH, so that hook is taken out first."""
    if src is None:
        return [sys.executable, "-m", "frontdesk", *args]
    code = (
        "import sys; "
        "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', '')]; "
        f"sys.path.insert(0, {str(src.resolve())!r}); "
        "import frontdesk.cli; frontdesk.cli.main()"
    )
    return [sys.executable, "-c", code, *args]


class FrontdeskProcess(Process):
    """`frontdesk serve` (uvicorn, uvloop, one worker) with limits raised for load generation."""

    def __init__(self, data_dir: Path, database_url: str, src: Path | None = None) -> None:
        port = free_port()
        self.src = src
        env = {
            **os.environ,
            "FRONTDESK_DATA_DIR": str(data_dir),
            "FRONTDESK_DATABASE_URL": database_url,
            "FRONTDESK_SECRET_KEY": secrets.token_urlsafe(32),
            "FRONTDESK_LOG_LEVEL": "warning",
            # A benchmark visitor sends far more than a person; the per-socket send limit
            # (5/s, burst 20) would otherwise answer rate_limited. The hard-coded flood limit
            # (50 frames/s per socket) stays: the load generator paces itself under it.
            "FRONTDESK_MESSAGE_RATE": "1000000",
            "FRONTDESK_MESSAGE_BURST": "1000000",
            # Visitors are created through the real endpoint from "many addresses" behind the
            # trusted local proxy (X-Forwarded-For), as a reverse proxy would present them.
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
        }
        super().__init__(
            frontdesk_argv(src, "serve", "--host", "127.0.0.1", "--port", str(port)),
            env,
            data_dir / f"frontdesk-{port}.log",
            port,
        )

    async def cli(self, *args: str, wait_s: float = 120.0) -> str:
        proc = await asyncio.create_subprocess_exec(
            *frontdesk_argv(self.src, *args),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), wait_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0:
            raise RuntimeError(f"frontdesk {' '.join(args)} failed: {err.decode()[-2000:]}")
        return out.decode()

    async def make_agents(self, count: int, max_chats: int, parallel: int = 4) -> list[tuple[str, str]]:
        """Create `count` agents through the real CLI (a few at a time); returns (email, password).

        Each must be able to hold `max_chats` chats at once (the default maximum is 3)."""
        made: list[tuple[str, str]] = []
        gate = asyncio.Semaphore(parallel)
        cli_has_max = cli_supports("--max-chats", self.src)

        async def one(i: int) -> None:
            email = f"bench-agent-{i}-{secrets.token_hex(3)}@example.com"
            password = "pw-" + secrets.token_urlsafe(12)
            extra = ["--max-chats", str(max_chats)] if cli_has_max else []
            async with gate:
                await self.cli(
                    "user", "create", "--email", email, "--name", f"Agent {i}", "--role", "agent",
                    "--password", password, *extra,
                )  # fmt: skip
            made.append((email, password))

        await asyncio.gather(*(one(i) for i in range(count)))
        if not cli_has_max:
            await self._raise_max_chats([email for email, _ in made], max_chats)
        return sorted(made)

    async def _raise_max_chats(self, emails: list[str], max_chats: int) -> None:
        """No CLI option for an agent's maximum yet: set users.max_chats in the database."""
        from sqlalchemy.engine import make_url

        url = make_url(self.env["FRONTDESK_DATABASE_URL"])
        if url.get_backend_name() == "sqlite":

            def update() -> None:
                with contextlib.closing(sqlite3.connect(url.database, timeout=30)) as db, db:
                    db.executemany("UPDATE users SET max_chats = ? WHERE email = ?", [(max_chats, e) for e in emails])

            await asyncio.to_thread(update)
            return
        import asyncpg

        conn = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username or "postgres", password=url.password,
            database=url.database,
        )  # fmt: skip
        try:
            await conn.execute("UPDATE users SET max_chats = $1 WHERE email = ANY($2::text[])", max_chats, emails)
        finally:
            await conn.close()


class EchoProcess(Process):
    def __init__(self, data_dir: Path) -> None:
        port = free_port()
        super().__init__(
            [sys.executable, "-m", "bench.echo_server", "--host", "127.0.0.1", "--port", str(port)],
            dict(os.environ),
            data_dir / f"echo-{port}.log",
            port,
        )
