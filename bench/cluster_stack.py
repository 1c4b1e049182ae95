"""A frontdesk cluster for the scale-out benchmark, built from tests/cluster/harness.py.

The same parts as the cluster tests — a throw-away PostgreSQL, Redis, N `frontdesk serve` nodes
with the harness's node environment, and nginx running `deploy/nginx.conf` as rendered by
`harness.render_site` — with one difference: the harness's top-level nginx config allows 1024
connections per worker, and a proxied WebSocket holds two (client side and upstream side). When
that is not enough for the sockets a run opens, `BenchNginx` writes the same top-level config
with a larger `worker_connections` (and `worker_rlimit_nofile` to match). The site config, and
so everything `deploy/nginx.conf` says about proxying, is the harness's, unchanged.

Plus what the benchmark reads from the processes (RSS: bench.procs.rss_kib): the PIDs of
PostgreSQL's and nginx's children (for CPU accounting), each node's /metrics, and the warnings
and errors in the logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from frontdesk.security.tokens import new_visitor_id, sign_visitor
from tests.clients import AgentClient
from tests.cluster import harness
from tests.cluster.harness import NODE_ENV, Nginx, Postgres, Redis, nginx_binary, pg_bin_dir, redis_binary
from tests.conftest import ServerProcess

_WORKER_CONNECTIONS = re.compile(r"worker_connections\s+(\d+)\s*;")
_WORKER_PROCESSES = re.compile(r"^(worker_processes[^\n]*\n)", re.M)


def worker_connections(conf: str) -> int:
    m = _WORKER_CONNECTIONS.search(conf)
    if m is None:
        raise ValueError("no worker_connections in the nginx config")
    return int(m.group(1))


def connections_needed(sockets: int) -> int:
    """nginx connections for `sockets` proxied WebSockets: both sides of each, plus room for
    HTTP requests, upstream keepalive, listening sockets and log files."""
    return 2 * sockets + 1024


def main_conf(prefix: Path, sockets: int) -> tuple[str, dict[str, Any]]:
    """The harness's top-level nginx config, with worker_connections raised only if needed."""
    text = harness.MAIN_CONF.format(prefix=prefix)
    have, need = worker_connections(text), connections_needed(sockets)
    info: dict[str, Any] = {"harness_worker_connections": have, "needed": need}
    if have >= need:
        info.update(worker_connections=have, generated=False)
        return text, info
    wanted = 1 << (need - 1).bit_length()  # next power of two
    text = _WORKER_CONNECTIONS.sub(f"worker_connections {wanted};", text, count=1)
    text, n = _WORKER_PROCESSES.subn(rf"\1worker_rlimit_nofile {wanted + 1024};\n", text, count=1)
    if n != 1:
        raise ValueError("no worker_processes line in the harness's nginx config")
    info.update(worker_connections=wanted, worker_rlimit_nofile=wanted + 1024, generated=True)
    return text, info


class BenchNginx(Nginx):
    """The harness's nginx, with a top-level config sized for `sockets` proxied WebSockets."""

    def __init__(self, binary: str, prefix: Path, upstream_ports: list[int], sockets: int) -> None:
        super().__init__(binary, prefix, upstream_ports)
        self.sockets = sockets
        self.conf_info: dict[str, Any] = {}

    def write_config(self) -> Path:
        main = super().write_config()  # the site (deploy/nginx.conf rendered) and the harness's main
        text, self.conf_info = main_conf(self.prefix, self.sockets)
        main.write_text(text)
        if worker_connections(main.read_text()) < connections_needed(self.sockets):
            raise RuntimeError("nginx: worker_connections too small for the sockets of this run")
        return main

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


@dataclass
class Stack:
    root: Path
    pg: Postgres
    redis: Redis
    nodes: list[ServerProcess]
    nginx: BenchNginx

    @property
    def url(self) -> str:
        return self.nginx.base_url

    def node_pids(self) -> list[int]:
        return [n.proc.pid for n in self.nodes if n.proc is not None]

    def postgres_pids(self) -> list[int]:
        """The postmaster and all its children (backends, WAL writer, checkpointer...)."""
        try:
            postmaster = int((self.pg.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [postmaster, *children(postmaster)]

    def nginx_pids(self) -> list[int]:
        return [self.nginx.pid, *children(self.nginx.pid)]

    def redis_pids(self) -> list[int]:
        return [self.redis.proc.pid] if self.redis.proc is not None else []

    def logs(self) -> dict[str, Path]:
        out = {f"node{i + 1}": n.log_path for i, n in enumerate(self.nodes)}
        out.update(
            {"nginx": self.nginx.prefix / "error.log", "postgres": self.pg.log, "redis": self.redis.dir / "redis.log"}
        )
        return out


async def start_stack(root: Path, size: int, sockets: int, env: dict[str, str] | None = None) -> Stack:
    """Like harness.start_cluster(root, size), with nginx sized for `sockets` WebSockets."""
    missing = harness.missing_binaries()
    if missing:
        raise SystemExit("the cluster benchmark needs " + ", ".join(missing) + " (scripts/test-services.sh)")
    pg = Postgres(pg_bin_dir())  # type: ignore[arg-type]
    redis = Redis(redis_binary(), root / "redis")  # type: ignore[arg-type]
    nodes: list[ServerProcess] = []
    nginx: BenchNginx | None = None
    try:
        await asyncio.gather(pg.create(), redis.start())
        for i in range(size):
            (root / f"node{i + 1}").mkdir(parents=True)
            node_env = {**NODE_ENV, **(env or {})}
            nodes.append(ServerProcess(root / f"node{i + 1}", pg.url, FRONTDESK_REDIS_URL=redis.url, **node_env))
        await nodes[0].start()  # migrates first
        await asyncio.gather(*(n.start() for n in nodes[1:]))
        nginx = BenchNginx(nginx_binary(), root / "nginx", [n.port for n in nodes], sockets)  # type: ignore[arg-type]
        await nginx.start()
    except BaseException:
        await harness.stop_cluster_parts(pg, redis, nodes, nginx)
        raise
    return Stack(root=root, pg=pg, redis=redis, nodes=nodes, nginx=nginx)


async def stop_stack(stack: Stack, artifacts: Path | None = None) -> None:
    await harness.stop_cluster_parts(stack.pg, stack.redis, stack.nodes, stack.nginx, artifacts)


# -- setup data -----------------------------------------------------------------------------------
ADMIN_EMAIL = "admin@example.com"


async def admin_password(stack: Stack) -> str:
    """The first admin's password: printed once by the first node on its first start; if it is
    not in that log, set a new one through the CLI."""
    m = re.search(r"E-mail:\s+admin@example\.com\s+Password:\s+(\S+)", stack.nodes[0].log_path.read_text())
    if m:
        return m.group(1)
    password = "pw-" + secrets.token_urlsafe(12)
    await asyncio.to_thread(stack.nodes[0].cli, "user", "password", "--email", ADMIN_EMAIL, "--password", password)
    return password


async def make_agents(stack: Stack, count: int, max_chats: int) -> list[tuple[str, str]]:
    """`count` agents in the default department, created by the admin through the REST API (via
    nginx), each allowed `max_chats` chats at once. Returns (email, password) pairs."""
    admin = AgentClient(stack.url)
    try:
        await admin.login(ADMIN_EMAIL, await admin_password(stack))
        made = []
        for i in range(count):
            email, password = f"bench-agent-{i}-{secrets.token_hex(3)}@example.com", "pw-" + secrets.token_urlsafe(12)
            r = await admin.post("/api/v1/users", {"email": email, "name": f"Agent {i}", "password": password})
            r.raise_for_status()
            user_id = r.json()["user"]["id"]
            r = await admin.http.patch(
                f"/api/v1/users/{user_id}", json={"max_chats": max_chats}, headers={"X-CSRF-Token": admin.csrf or ""}
            )
            r.raise_for_status()
            made.append((email, password))
        return made
    finally:
        await admin.close()


async def seed_visitors(stack: Stack, count: int, user_agent: str = "bench-idle") -> list[str]:
    """`count` visitors written straight into the database (COPY), with their tokens signed by
    the cluster's key: what `POST /api/v1/widget/visitors` would have returned, minus thousands
    of HTTP requests during setup. Their sockets and hellos are real."""
    import asyncpg

    key = NODE_ENV["FRONTDESK_SECRET_KEY"].encode()
    ids = [new_visitor_id() for _ in range(count)]
    now = datetime.now(UTC)
    conn = await asyncpg.connect(host="127.0.0.1", port=stack.pg.port, user="postgres", database="frontdesk")
    try:
        await conn.copy_records_to_table(
            "visitors", records=[(i, now, user_agent) for i in ids], columns=["id", "created_at", "user_agent"]
        )
    finally:
        await conn.close()
    return [sign_visitor(i, key) for i in ids]


# -- /proc ----------------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc/*/stat)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[1]) == pid:  # ppid
            out.append(int(entry))
    return out


def all_cpu() -> dict[int, tuple[str, float]]:
    """Every process's (command name, CPU seconds so far), kernel threads included."""
    out: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index(b"(") + 1 : stat.rindex(b")")].decode(errors="replace")
        fields = stat[stat.rindex(b")") + 2 :].split()
        out[int(entry)] = (comm, (int(fields[11]) + int(fields[12])) / tick)
    return out


def others_cpu(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], ours: set[int], wall: float, top: int = 5
) -> list[tuple[str, float]]:
    """Who else used the CPU between two all_cpu() snapshots: % of a core by command name,
    biggest first (processes that started and ended in between are not seen)."""
    used: dict[str, float] = {}
    for pid, (comm, cpu) in after.items():
        if pid in ours:
            continue
        start = before[pid][1] if pid in before else 0.0  # started during the window: all of it
        if cpu - start > 0.02 * wall:  # a real consumer: name it by its command line
            comm = command_line(pid) or comm
        used[comm] = used.get(comm, 0.0) + max(0.0, cpu - start)
    ranked = sorted(used.items(), key=lambda kv: -kv[1])[:top]
    return [(comm, round(100 * cpu / wall, 1)) for comm, cpu in ranked if cpu > 0]


def command_line(pid: int, limit: int = 90) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:limit] or None


# -- /metrics -------------------------------------------------------------------------------------
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format → {'name{labels}': value} (labels as written by the server)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line.strip())
        if m is None:
            continue
        with contextlib.suppress(ValueError):
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


async def scrape(stack: Stack) -> list[dict[str, float]]:
    """Every node's /metrics, straight from the node (not through nginx)."""
    async with httpx.AsyncClient(timeout=10.0) as client:

        async def one(node: ServerProcess) -> dict[str, float]:
            try:
                r = await client.get(node.base_url + "/metrics")
                r.raise_for_status()
            except httpx.HTTPError as exc:
                print(f"  (metrics of {node.base_url} unavailable: {exc!r})")
                return {}
            return parse_metrics(r.text)

        return list(await asyncio.gather(*(one(n) for n in stack.nodes)))


def metric(sample: dict[str, float], name: str, **labels: str) -> float:
    """One sample's value (0 when absent); labels must match exactly."""
    if labels:
        name += "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    return sample.get(name, 0.0)


def connections(sample: dict[str, float]) -> dict[str, int]:
    return {
        "visitor": int(metric(sample, "frontdesk_connections", kind="visitor")),
        "agent": int(metric(sample, "frontdesk_connections", kind="agent")),
    }


# -- logs -----------------------------------------------------------------------------------------
_BAD = re.compile(r"\b(WARNING|ERROR|CRITICAL|Traceback)\b|\[(warn|error|crit|alert|emerg)\]")


def log_offsets(stack: Stack) -> dict[str, int]:
    out = {}
    for name, path in stack.logs().items():
        try:
            out[name] = path.stat().st_size
        except OSError:
            out[name] = 0
    return out


_NOISE = re.compile(r"^\S+ \S+( UTC)? (\[\d+\] )?|\d+#\d+: \*?\d* ?|\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")
_NUMBERS = re.compile(r"\d+")


def log_problems(stack: Stack, since: dict[str, int] | None = None, keep: int = 8) -> dict[str, Any]:
    """Warning and error lines each log gained since `since`: how many, and the distinct kinds
    (timestamps, pids and numbers blanked) with a count and one example each."""
    out: dict[str, Any] = {}
    for name, path in stack.logs().items():
        try:
            with open(path, "rb") as f:
                f.seek((since or {}).get(name, 0))
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        bad = [ln for ln in text.splitlines() if _BAD.search(ln)]
        if not bad:
            continue
        kinds: dict[str, list[Any]] = {}
        for ln in bad:
            key = _NUMBERS.sub("N", _NOISE.sub("", ln, count=1))[:160]
            entry = kinds.setdefault(key, [0, ln[:300]])
            entry[0] += 1
        top = sorted(kinds.items(), key=lambda kv: -kv[1][0])[:keep]
        out[name] = {"count": len(bad), "kinds": [{"count": n, "example": ex} for _, (n, ex) in top]}
    return out
