"""A frontdesk cluster for fault tests: its own PostgreSQL, Redis, three nodes and nginx.

Everything here is started by the tests themselves, on loopback and free ports, in temp dirs,
so faults (a node killed, Redis or PostgreSQL restarted) touch nothing else in the test run.
`scripts/test-services.sh` installs the binaries and exports where they are:
FRONTDESK_TEST_NGINX, FRONTDESK_TEST_PG_BIN (and redis-server is on PATH).

nginx runs with `deploy/nginx.conf` itself, rendered by `render_site`: the sample's upstream
`server` lines become one line per node (keeping the options of the sample's first line), and
its `listen 80;` becomes a free loopback port. Nothing else changes, so the tests exercise the
proxy settings we ship (WebSocket upgrade, `proxy_next_upstream`, timeouts). `MAIN_CONF` is the
minimal top-level config that `include`s it, with pid, logs and temp files in a temp prefix dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ServerProcess, free_port

REPO = Path(__file__).resolve().parents[2]
NGINX_SAMPLE = REPO / "deploy" / "nginx.conf"


# ---------------------------------------------------------------------------- binaries


def nginx_binary() -> str | None:
    path = os.environ.get("FRONTDESK_TEST_NGINX") or "/usr/sbin/nginx"
    return path if os.access(path, os.X_OK) else shutil.which("nginx")


def pg_bin_dir() -> str | None:
    """FRONTDESK_TEST_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin, else initdb's dir."""
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name), reverse=True)
    initdb = shutil.which("initdb")
    for d in [os.environ.get("FRONTDESK_TEST_PG_BIN", ""), *debian, str(Path(initdb).parent) if initdb else ""]:
        if d and os.access(Path(d) / "initdb", os.X_OK) and os.access(Path(d) / "pg_ctl", os.X_OK):
            return d
    return None


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def missing_binaries() -> list[str]:
    missing = []
    if not nginx_binary():
        missing.append("nginx (FRONTDESK_TEST_NGINX)")
    if not pg_bin_dir():
        missing.append("PostgreSQL server binaries (initdb, pg_ctl)")
    if not redis_binary():
        missing.append("redis-server")
    return missing


_missing = missing_binaries()
# For each cluster test module: skip, with the reason, where the binaries are not installed.
needs_cluster = pytest.mark.skipif(
    bool(_missing),
    reason="cluster tests need " + ", ".join(_missing) + " (scripts/test-services.sh installs them as root)",
)


async def wait_tcp(port: int, timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        return True
    return False


# ---------------------------------------------------------------------------- PostgreSQL


class Postgres:
    """A throw-away PostgreSQL server of our own (the fault test stops and starts it)."""

    def __init__(self, bin_dir: str) -> None:
        self.bin = Path(bin_dir)
        # Unix socket paths are limited to ~107 bytes: keep the dir short, under /tmp.
        self.dir = Path(tempfile.mkdtemp(prefix="fdcl-pg.", dir="/tmp"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/frontdesk"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_postgres, *args], cwd="/", capture_output=True, text=True, timeout=timeout)

    async def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(self._run, str(self.bin / "pg_ctl"), "-D", str(self.data), *args)

    async def create(self) -> None:
        out = await asyncio.to_thread(
            self._run, str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "--no-sync", "-U", "postgres"
        )
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr}")
        for _attempt in range(3):
            if await self.start(check=False):
                break
            if "could not bind" not in self.log.read_text(errors="replace"):
                raise RuntimeError(f"PostgreSQL did not start:\n{self.log.read_text(errors='replace')}")
            self.port = free_port()
        out = await asyncio.to_thread(
            subprocess.run,
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "frontdesk"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if out.returncode != 0:
            raise RuntimeError(f"createdb failed: {out.stderr}")

    async def start(self, check: bool = True) -> bool:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        out = await self._ctl("-l", str(self.log), "-w", "-t", "30", "-o", options, "start")
        if check and out.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {out.stderr}\n{self.log.read_text(errors='replace')}")
        return out.returncode == 0

    async def stop(self, mode: str = "fast") -> None:
        out = await self._ctl("-m", mode, "-w", "-t", "30", "stop")
        if out.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {out.stderr}")

    async def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            await self._ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------- Redis


class Redis:
    """redis-server as our child process, so it can be stopped and started on the same port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not await wait_tcp(self.port, 10):
            raise RuntimeError(f"redis-server did not start:\n{(self.dir / 'redis.log').read_text(errors='replace')}")

    async def stop(self) -> None:
        """Like a crash or `SHUTDOWN NOSAVE`: everything in memory (presence) is gone."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.proc.wait, 10)
        self.proc = None


# ---------------------------------------------------------------------------- nginx

MAIN_CONF = """\
# Generated by tests/cluster/harness.py: a private nginx around deploy/nginx.conf.
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/frontdesk.conf;
}}
"""

_SERVER_LINE = re.compile(r"^[ \t]*#?[ \t]*server[ \t]+(\S+:\d+)([^;\n]*);[^\n]*\n", re.M)
_LISTEN_LINE = re.compile(r"^([ \t]*)listen[ \t]+80;", re.M)


def render_site(sample: str, upstreams: list[str], listen: str) -> str:
    """deploy/nginx.conf with one upstream `server` line per address and `listen` replaced.

    The sample's server lines (active or commented out) are all replaced; the new lines keep
    the options of the first one (`max_fails`, `fail_timeout`)."""
    lines = list(_SERVER_LINE.finditer(sample))
    if not lines or lines[0].group(0).lstrip().startswith("#"):
        raise ValueError("deploy/nginx.conf: expected an active `server HOST:PORT ...;` line in the upstream")
    if len(_LISTEN_LINE.findall(sample)) != 1:
        raise ValueError("deploy/nginx.conf: expected exactly one `listen 80;`")
    indent = re.match(r"[ \t]*", lines[0].group(0)).group(0)  # type: ignore[union-attr]
    options = lines[0].group(2)
    new = "".join(f"{indent}server {addr}{options};\n" for addr in upstreams)
    out = sample[: lines[0].start()] + new
    pos = lines[0].end()
    for m in lines[1:]:
        out += sample[pos : m.start()]
        pos = m.end()
    out += sample[pos:]
    return _LISTEN_LINE.sub(lambda m: f"{m.group(1)}listen {listen};", out)


class Nginx:
    """Our own nginx (never the system service): prefix, config and logs in a temp dir."""

    def __init__(self, binary: str, prefix: Path, upstream_ports: list[int]) -> None:
        self.binary = binary
        self.prefix = prefix
        self.port = free_port()
        self.upstream_ports = upstream_ports
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = f"http://127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        os.chmod(self.prefix, 0o755)  # as root, workers run as nobody
        site = render_site(
            NGINX_SAMPLE.read_text(), [f"127.0.0.1:{p}" for p in self.upstream_ports], f"127.0.0.1:{self.port}"
        )
        (self.prefix / "frontdesk.conf").write_text(site)
        main = self.prefix / "nginx.conf"
        main.write_text(MAIN_CONF.format(prefix=self.prefix))
        return main

    def command(self, *extra: str) -> list[str]:
        conf = self.write_config()
        return [self.binary, "-p", f"{self.prefix}/", "-c", str(conf), "-e", str(self.prefix / "error.log"), *extra]

    def check(self) -> None:
        out = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{out.stderr}")

    async def start(self) -> None:
        self.check()
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not await wait_tcp(self.port, 10):
            raise RuntimeError(f"nginx did not start:\n{self.error_log()}")

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            await asyncio.to_thread(self.proc.wait, 10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------------------- the cluster

NODE_ENV = {
    "FRONTDESK_SECRET_KEY": "cluster-test-secret",  # the same on every node
    # These tests send bursts far above a person's typing speed; rate limits are tested elsewhere.
    "FRONTDESK_MESSAGE_RATE": "1000",
    "FRONTDESK_MESSAGE_BURST": "1000",
}


@dataclass
class Cluster:
    root: Path
    pg: Postgres
    redis: Redis
    nodes: list[ServerProcess]
    nginx: Nginx

    @property
    def url(self) -> str:
        """Where clients connect: nginx."""
        return self.nginx.base_url

    async def ensure_nodes_up(self) -> None:
        """Restart any node a test left stopped (so the next test gets three)."""
        await asyncio.gather(*(n.start() for n in self.nodes if n.proc is None or n.proc.poll() is not None))


async def start_cluster(root: Path, size: int = 3) -> Cluster:
    pg = Postgres(pg_bin_dir())  # type: ignore[arg-type]
    redis = Redis(redis_binary(), root / "redis")  # type: ignore[arg-type]
    nodes: list[ServerProcess] = []
    nginx: Nginx | None = None
    try:
        await asyncio.gather(pg.create(), redis.start())
        for i in range(size):
            (root / f"node{i + 1}").mkdir()
            nodes.append(ServerProcess(root / f"node{i + 1}", pg.url, FRONTDESK_REDIS_URL=redis.url, **NODE_ENV))
        await nodes[0].start()  # migrates first
        await asyncio.gather(*(n.start() for n in nodes[1:]))
        nginx = Nginx(nginx_binary(), root / "nginx", [n.port for n in nodes])  # type: ignore[arg-type]
        await nginx.start()
    except BaseException:
        await stop_cluster_parts(pg, redis, nodes, nginx)
        raise
    return Cluster(root=root, pg=pg, redis=redis, nodes=nodes, nginx=nginx)


async def stop_cluster_parts(
    pg: Postgres, redis: Redis, nodes: list[ServerProcess], nginx: Nginx | None, artifacts: Path | None = None
) -> None:
    if nginx is not None:
        await nginx.stop()
    for node in nodes:
        with contextlib.suppress(Exception):
            await node.stop()
    await redis.stop()
    if artifacts is not None:  # logs, for a person to read after a failure
        artifacts.mkdir(parents=True, exist_ok=True)
        logs = {f"{n.data_dir.name}.log": n.log_path for n in nodes}
        logs["redis.log"] = redis.dir / "redis.log"
        logs["postgres.log"] = pg.log
        if nginx is not None:
            logs["nginx-error.log"] = nginx.prefix / "error.log"
        for name, path in logs.items():
            with contextlib.suppress(OSError):
                shutil.copy(path, artifacts / name)
    await pg.destroy()


async def stop_cluster(cluster: Cluster, artifacts: Path | None = None) -> None:
    await stop_cluster_parts(cluster.pg, cluster.redis, cluster.nodes, cluster.nginx, artifacts)
