"""Chat throughput: frontdesk on SQLite/PostgreSQL against a bare WebSocket echo, same client.

    .venv/bin/python -m bench.chat_throughput [--backend sqlite|postgres|both] [--chats 1000]
                                              [--seconds 20] [--agents 10] [--rate 5000]
    bash scripts/test-services.sh .venv/bin/python -m bench.chat_throughput --backend both

For each number of chats (`--chats 1000,100` runs both):
1. the echo server (bench/echo_server.py) with the same number of connections: the ceiling;
2. frontdesk (`frontdesk serve`, a real child process) on each backend: N visitors connect and
   open a chat, agents created through the CLI log in and accept them evenly over their sockets.
   Setup is not measured.
Then two measured phases per server:
- closed: each visitor sends its next message when the previous is acknowledged (one in flight
  per visitor): the maximum sustainable throughput, in acknowledged messages/s;
- paced: visitors together offer `--rate` messages/s on a fixed schedule: latency at that load,
  from the scheduled send time (a server that falls behind is charged for it).
Latencies: ack (visitor send → its ack) and end-to-end (visitor send → the assigned agent's
socket receives the `event`). CPU: of the server process, the PostgreSQL backends, the load
generator and the whole machine, over the measurement window only. After the run, stored
messages are checked through the REST API against what was acknowledged.

Results go to bench/results/*.json (gitignored) and a markdown table on stdout. This is not a
test: it exits 0 unless something broke (a verification mismatch exits 3).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.load import SEND_CAP_PER_S, WorkerSpec, run_worker
from bench.procs import (
    REPO,
    CpuMeter,
    EchoProcess,
    FrontdeskProcess,
    drop_postgres_database,
    fresh_postgres_url,
    postgres_backend_pids,
    postgres_server_url,
    session_priority,
    system_cpu,
)

RESULTS = REPO / "bench" / "results"
GOAL_RATE = 5000.0
GOAL_RATIO = 0.4
GOAL_P99_MS = 50.0
SETUP_TIMEOUT = 300.0
QUIET_BUSY_PCT = 25.0  # % of one core
NOISY_PCT = 30.0  # a phase during which other jobs took more than this is "noisy"


# -- statistics ---------------------------------------------------------------------------------
def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    s = sorted(values)

    def at(q: float) -> float:
        return round(1000 * s[min(len(s) - 1, int(q * len(s)))], 2)

    return {"n": len(s), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(1000 * s[-1], 2)}


def merge_phase(parts: list[dict[str, Any]], cpu: dict[str, float], offered: float | None) -> dict[str, Any]:
    window = parts[0]["window_s"]
    acks = sum(p["acks_in_window"] for p in parts)
    # End to end: a visitor's send (any worker) matched by client_id to an agent's receipt.
    sends = {cid: t for p in parts for cid, t in p["sends"].items()}
    e2e: list[float] = []
    delivered_in_window = 0
    for p in parts:
        for cid, t_recv in p["recvs"]:
            t_sent = sends.get(cid)
            if t_sent is not None:
                e2e.append(t_recv - t_sent)
                delivered_in_window += 1
    errors: dict[str, int] = {}
    for p in parts:
        for code, n in p["errors"].items():
            errors[code] = errors.get(code, 0) + n
    out: dict[str, Any] = {
        "kind": parts[0]["kind"],
        "window_s": window,
        "offered_msg_s": offered,
        "msg_s": round(acks / window, 1),
        "acks_in_window": acks,
        "ack_ms": percentiles([x for p in parts for x in p["ack_lat"]]),
        "e2e_ms": percentiles(e2e),
        "errors": errors,
        "client_cpu_pct": round(100 * sum(p["client_cpu_s"] for p in parts) / window, 1),
        **cpu,
    }
    for key in (
        "acks_total", "sent_total", "sent_in_window", "duplicates", "frames_to_visitors", "frames_to_agents",
        "cap_delayed", "late", "unsent", "unanswered", "stray", "sockets_closed",
    ):  # fmt: skip
        out[key] = sum(p[key] for p in parts)
    visitors = sum(p["visitors"] for p in parts)
    out["cap_bound"] = out["msg_s"] >= 0.85 * SEND_CAP_PER_S * visitors and out["cap_delayed"] > 0
    # CPU per message: unlike msg/s, this barely moves when something else competes for the cores.
    for who in ("server", "postgres", "client"):
        pct = out.get(f"{who}_cpu_pct")
        if pct is not None and out["msg_s"] > 0:
            out[f"{who}_us_per_msg"] = round(10_000 * pct / out["msg_s"], 1)
    out["deliveries"] = sum(len(p["recvs"]) for p in parts)
    # Latency second by second (by scheduled send time): stalls show up as spikes.
    buckets: dict[int, list[float]] = {}
    for p in parts:
        for at, lat_s in zip(p["ack_at"], p["ack_lat"], strict=True):
            buckets.setdefault(int(at), []).append(lat_s)
    out["ack_ms_by_second"] = [
        {"s": s, "n": len(v), "p50": percentiles(v)["p50"], "p99": percentiles(v)["p99"]}
        for s, v in sorted(buckets.items())
    ]
    # What the server writes per message (the echo writes one frame).
    out["frames_per_msg"] = round((out["frames_to_visitors"] + out["frames_to_agents"]) / max(1, out["sent_total"]), 2)
    out["undelivered_in_window"] = len(sends) - delivered_in_window if any(p["recvs"] for p in parts) else None
    return out


async def wait_for_quiet(wait_s: float) -> float:
    """Wait (up to wait_s) until the machine is idle apart from us; returns the last busy figure.

    Our own server and load generator are idle between phases, so CPU used now is someone else's
    (a test suite, a build) and would be taken from the measurement."""
    deadline = time.monotonic() + wait_s
    busy = 0.0
    for _ in range(1000):
        b0, t0 = system_cpu()
        await asyncio.sleep(0.5)
        b1, t1 = system_cpu()
        busy = 100 * (os.cpu_count() or 1) * (b1 - b0) / max(1.0, t1 - t0)
        if busy <= QUIET_BUSY_PCT or time.monotonic() >= deadline:
            break
    return busy


def sqlite_sizes(path: str) -> dict[str, float]:
    """The database and its write-ahead log, in MiB (a WAL that keeps growing means checkpoints starve)."""
    out = {}
    for suffix, key in (("", "sqlite_db_mb"), ("-wal", "sqlite_wal_mb")):
        with contextlib.suppress(OSError):
            out[key] = round(os.stat(path + suffix).st_size / 2**20, 1)
    return out


# -- the server's own metrics (/metrics, Prometheus text), when it has them -------------------
async def scrape_metrics(base_url: str) -> dict[str, float]:
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            r = await client.get(base_url + "/metrics")
    except httpx.HTTPError:
        return {}
    if r.status_code != 200:
        return {}
    out: dict[str, float] = {}
    for line in r.text.splitlines():
        if line.startswith("frontdesk_group_commit_") and "{" not in line:
            key, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                out[key] = float(value)
    return out


def group_commit_stats(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """Group commits during the window: how many, how big, how long (from the server's histograms)."""

    def delta(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    batches = delta("frontdesk_group_commit_batch_size_count")
    if batches <= 0:
        return {}
    return {
        "commits": int(batches),
        "mean_batch": round(delta("frontdesk_group_commit_batch_size_sum") / batches, 1),
        "mean_commit_ms": round(1000 * delta("frontdesk_group_commit_seconds_sum") / batches, 2),
    }


# -- profiling (optional: py-spy, for investigation; it slows the server it samples) ------------
def start_profile(
    args: argparse.Namespace, label: str, phase: str, pid: int, seconds: float
) -> tuple[subprocess.Popen[bytes], Path] | None:
    if not args.profile:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("  (--profile: py-spy is not installed; `.venv/bin/uv pip install py-spy`)")
        return None
    out = RESULTS / f"profile-{label}-{phase}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "record", "-p", str(pid), "-d", str(max(1, int(seconds))), "-r", "100", "--threads"]
    cmd += ["--format", "raw", "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out


async def finish_profile(proc: subprocess.Popen[bytes], out: Path) -> dict[str, Any]:
    for _ in range(600):
        if proc.poll() is not None:
            break
        await asyncio.sleep(0.1)
    else:
        proc.kill()
    return summarize_profile(out)


def summarize_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Where the server's threads were, from py-spy's raw (collapsed) stacks: share of samples."""
    import re
    from collections import Counter

    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = main = 0
    with contextlib.suppress(OSError), open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [re.sub(r":\d+\)$", ")", fr) for fr in stack.split(";")]
            total += n
            thread = re.sub(r"^thread \(\d+\): ", "", frames[0])
            threads[thread] += n
            if thread != "MainThread":
                continue
            main += n  # the event loop: what limits a single-process server
            own[frames[-1]] += n
            for fr in set(frames[1:]):
                inclusive[fr] += n

    def share(c: Counter[str], k: int, of: int) -> list[tuple[str, float]]:
        return [(name, round(100 * n / max(1, of), 1)) for name, n in c.most_common(k)]

    summary = {"file": str(path.relative_to(REPO)), "samples": total, "threads": share(threads, 8, total)}
    summary["main_self"] = share(own, top, main)
    keep = ("frontdesk/", "sqlalchemy", "starlette", "uvicorn", "websockets", "aiosqlite", "asyncpg")
    summary["main_inclusive"] = [x for x in share(inclusive, 300, main) if any(k in x[0] for k in keep)][:top]
    print(f"  profile ({total} samples, {path.name}); the event loop thread spent its samples in:")
    for name, pct in summary["main_self"][:12]:
        print(f"    {pct:5.1f}%  {name}")
    return summary


# -- workers ------------------------------------------------------------------------------------
class Workers:
    """The load generator processes (spawned fresh: no inherited event loop), each running
    target(spec, conn): bench.load's worker, or a wrapper of it."""

    def __init__(self, specs: list[WorkerSpec], target: Callable[[WorkerSpec, Any], None] = run_worker) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.procs = []
        self.conns = []
        for spec in specs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=target, args=(spec, child), daemon=True)
            proc.start()
            child.close()
            self.procs.append(proc)
            self.conns.append(parent)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    async def expect(self, kind: str, wait_s: float) -> list[Any]:
        def get(conn: Any) -> Any:
            if not conn.poll(wait_s):
                raise TimeoutError(f"load generator did not answer {kind!r} within {wait_s:.0f}s")
            return conn.recv()

        answers = await asyncio.gather(*(asyncio.to_thread(get, c) for c in self.conns))
        out = []
        for got, arg in answers:
            if got == "error":
                raise RuntimeError(f"load generator failed:\n{arg}")
            if got != kind:
                raise RuntimeError(f"load generator answered {got!r}, expected {kind!r}")
            out.append(arg)
        return out

    def send(self, command: str, arg: Any = None) -> None:
        for conn in self.conns:
            conn.send((command, arg))

    async def stop(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(("stop", None))
        for proc in self.procs:
            await asyncio.to_thread(proc.join, 10)
            if proc.is_alive():
                proc.terminate()
                await asyncio.to_thread(proc.join, 5)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def run_phase(
    args: argparse.Namespace,
    label: str,
    server: Any,
    workers: Workers,
    specs: list[WorkerSpec],
    chats: int,
    db_url: str | None,
    name: str,
    kind: str,
    seconds: float,
    rate: float | None,
) -> dict[str, Any]:
    """One measured phase on every worker at once; CPU metered over the same window."""
    quiet = await wait_for_quiet(args.quiet_wait)
    if quiet > QUIET_BUSY_PCT:
        print(f"  (the machine is busy with something else: {quiet:.0f}% of a core before {name})")
    pids = {"server": [server.pid], "client": workers.pids}
    if db_url and not db_url.startswith("sqlite"):
        pids["postgres"] = await postgres_backend_pids(db_url)
    start_at = time.monotonic() + 0.3
    for k, spec in enumerate(specs):
        command = {
            "name": name,
            "kind": kind,
            "start_at": start_at,
            "warmup": args.warmup,
            "seconds": seconds,
            "rate": (rate or 0.0) * spec.visitors / chats,
        }
        workers.conns[k].send(("phase", command))
    meter = CpuMeter(pids, main_thread_of=server.pid)
    await asyncio.sleep(max(0.0, start_at + args.warmup - time.monotonic()))
    meter.start()
    before = await scrape_metrics(server.base_url)
    spy = start_profile(args, label, name, server.pid, seconds)
    await asyncio.sleep(max(0.0, start_at + args.warmup + seconds - time.monotonic()))
    cpu = meter.stop()
    after = await scrape_metrics(server.base_url)
    parts = await workers.expect("phase_done", seconds + args.warmup + 60)
    result = merge_phase(parts, cpu, rate)
    result.update(group_commit_stats(before, after))
    if db_url and db_url.startswith("sqlite:///"):
        result.update(sqlite_sizes(db_url.removeprefix("sqlite:///")))
    result["busy_before_pct"] = round(quiet, 1)
    if spy is not None:
        result["profile"] = await finish_profile(*spy)
    return result


# -- one server under load ------------------------------------------------------------------------
async def measure(
    label: str,
    args: argparse.Namespace,
    chats: int,
    server: Any,
    mode: str,
    db_url: str | None,
) -> dict[str, Any]:
    procs = max(1, min(args.client_procs, args.agents) if mode == "frontdesk" else args.client_procs)
    agents: list[tuple[str, str]] = []
    if mode == "frontdesk":
        # Agents must be online before visitors can open chats. The product's default maximum
        # is 3 chats per agent; give each room for its share, with some slack for routing.
        t_agents = time.monotonic()
        max_chats = math.ceil(1.25 * chats / args.agents) + 1
        agents = await server.make_agents(args.agents, max_chats=max_chats)
        print(
            f"  {label}: {len(agents)} agents (max {max_chats} chats each) created through the CLI "
            f"in {time.monotonic() - t_agents:.1f}s"
        )
    specs = [
        WorkerSpec(
            index=k,
            mode=mode,
            port=server.port,
            visitors=n,
            agents=agents[k::procs],
            text_chars=args.text_chars,
            verify_sample=max(1, args.verify_sample // procs),
        )
        for k, n in enumerate(split(chats, procs))
    ]
    t0 = time.monotonic()
    workers = Workers(specs)
    try:
        setup = await workers.expect("ready", SETUP_TIMEOUT)
        steps = ", ".join(f"{k} {v}" for k, v in setup[0].items())
        print(f"  {label}: {chats} chats set up in {time.monotonic() - t0:.1f}s ({steps})", flush=True)
        phases: dict[str, Any] = {}
        plan: list[tuple[str, str, float, float | None]] = [("closed", "closed", args.seconds, None)]
        if args.rate > 0 and args.paced_seconds > 0:
            plan.append((f"paced_{int(args.rate)}", "paced", args.paced_seconds, args.rate))
        for name, kind, seconds, rate in plan:  # may grow by one entry, below
            if kind == "paced" and mode == "frontdesk" and (rate or 0) > SEND_CAP_PER_S * chats:
                why = (
                    f"{rate:.0f} msg/s from {chats} visitors is over the server's flood limit "
                    f"(50 frames/s per socket; the load generator stays under {SEND_CAP_PER_S:.0f})"
                )
                print(f"  {label} {name}: skipped: {why}")
                phases[name] = {"kind": "paced", "offered_msg_s": rate, "skipped": why}
                continue
            tries = []
            for attempt in range(1 + max(0, args.retry_noisy)):
                tries.append(
                    await run_phase(args, label, server, workers, specs, chats, db_url, name, kind, seconds, rate)
                )
                if tries[-1]["other_cpu_pct"] <= NOISY_PCT:
                    break
                if attempt < args.retry_noisy:
                    print(f"  ({name}: {tries[-1]['other_cpu_pct']:.0f}% of a core went to other jobs; once more)")
            p = phases[name] = min(tries, key=lambda t: t["other_cpu_pct"])
            p["attempts"] = len(tries)
            below_goal = args.rate > 0 and p["msg_s"] < 0.98 * args.rate
            if kind == "closed" and args.sustainable > 0 and args.paced_seconds > 0 and below_goal:
                # Below the goal rate: also measure latency at a load this server can carry.
                share = args.sustainable * p["msg_s"]
                plan.append((f"paced_{int(100 * args.sustainable)}pct", "paced", args.paced_seconds, share))
            print(
                f"  {label} {name}: {p['msg_s']:.0f} msg/s, ack p50/p99 {p['ack_ms']['p50']}/{p['ack_ms']['p99']} ms, "
                f"e2e p99 {p['e2e_ms']['p99']} ms, server CPU {p.get('server_cpu_pct')}% "
                f"(event loop thread {p.get('server_loop_cpu_pct')}%), "
                f"db CPU {p.get('postgres_cpu_pct', '-')}%, client CPU {p['client_cpu_pct']}%, "
                f"machine {p['machine_cpu_pct']}% (other {p['other_cpu_pct']}%)"
                + (
                    f", {p['commits']} commits of {p['mean_batch']} msgs, {p['mean_commit_ms']} ms each"
                    if "commits" in p
                    else ""
                ),
                flush=True,
            )
        verified: dict[str, Any] = {}
        if mode == "frontdesk":
            workers.send("verify")
            parts = await workers.expect("verified", 300)
            verified = {
                "chats_checked_last_seq": sum(p["chats_checked_last_seq"] for p in parts),
                "chats_checked_messages": sum(p["chats_checked_messages"] for p in parts),
                "acked_total": sum(p["acked_total"] for p in parts),
                "failed_total": sum(p["failed_total"] for p in parts),
                # Every acknowledged message of the phases reached an agent's socket?
                "delivered_total": sum(ph.get("deliveries", 0) for ph in phases.values()),
                "acked_in_phases": sum(ph.get("acks_total", 0) for ph in phases.values()),
                "problem_count": sum(p["problem_count"] for p in parts),
                "problems": [x for p in parts for x in p["problems"]][:50],
            }
            verified["ok"] = (
                verified["problem_count"] == 0
                and verified["failed_total"] == 0
                and verified["delivered_total"] == verified["acked_in_phases"]
            )
            if verified["problem_count"]:
                print(f"\n!!! {label}: STORED MESSAGES DO NOT MATCH ACKS !!!", file=sys.stderr)
                for line in verified["problems"][:20]:
                    print(f"!!!   {line}", file=sys.stderr)
            if verified["delivered_total"] != verified["acked_in_phases"]:
                print(
                    f"!!! {label}: agents received {verified['delivered_total']} messages, "
                    f"visitors had {verified['acked_in_phases']} acknowledged",
                    file=sys.stderr,
                )
            print(
                f"  {label} verify: {verified['chats_checked_last_seq']} chats by last_seq, "
                f"{verified['chats_checked_messages']} by full transcript, "
                f"{verified['problem_count']} mismatches, {verified['failed_total']} failed sends",
                flush=True,
            )
        return {
            "label": label,
            "chats": chats,
            "agents": len(agents),
            "client_procs": procs,
            "setup": setup,
            "phases": phases,
            "verify": verified,
        }
    finally:
        await workers.stop()


async def run_echo(args: argparse.Namespace, chats: int, tmp: Path) -> dict[str, Any]:
    server = EchoProcess(tmp)
    await server.start()
    try:
        return await measure("echo", args, chats, server, "echo", None)
    finally:
        await server.stop()


async def run_frontdesk(args: argparse.Namespace, chats: int, backend: str, tmp: Path) -> dict[str, Any]:
    data_dir = tmp / f"frontdesk-{backend}-{chats}"
    data_dir.mkdir()
    if backend == "postgres":
        base = postgres_server_url()
        if base is None:
            raise SystemExit(
                "--backend postgres needs FRONTDESK_TEST_POSTGRES_URL; wrap the command in "
                "`bash scripts/test-services.sh ...` for a throw-away server"
            )
        url = await fresh_postgres_url(base)
    else:
        url = f"sqlite:///{data_dir / 'frontdesk.db'}"
    server = FrontdeskProcess(data_dir, url, src=args.server_src)
    try:
        await server.start()
        result = await measure(f"frontdesk-{backend}", args, chats, server, "frontdesk", url)
        result["backend"] = backend
        if server.proc is not None and server.proc.poll() is not None:
            raise RuntimeError(f"server died:\n{server.log_tail()}")
        warnings = [ln for ln in server.log_tail(20000).splitlines() if " ERROR " in ln or "Traceback" in ln]
        result["server_log_errors"] = warnings[:20]
        return result
    finally:
        await server.stop()
        if backend == "postgres":
            with contextlib.suppress(Exception):
                await drop_postgres_database(url)


# -- report -------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit, dirty = "", None
    with contextlib.suppress(Exception):
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h %s"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "frontdesk"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout
        dirty = len(status.splitlines())  # the server runs from the working tree, edits included
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit,
        "frontdesk_uncommitted_files": dirty,
    }


def fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def lat(p: dict[str, Any], *keys: str) -> str:
    return " / ".join(fmt(p.get(k)) for k in keys)


def goal_check(run: dict[str, Any], echo: dict[str, Any] | None) -> dict[str, Any]:
    closed = run["phases"]["closed"]
    ratio = closed["msg_s"] / echo["phases"]["closed"]["msg_s"] if echo else None
    # The same comparison by CPU cost per message (server + database), which other jobs on the
    # machine disturb far less than msg/s.
    ours = (closed.get("server_us_per_msg") or 0) + (closed.get("postgres_us_per_msg") or 0)
    theirs = echo["phases"]["closed"].get("server_us_per_msg") if echo else None
    cpu_ratio = round(theirs / ours, 3) if theirs and ours else None
    paced = run["phases"].get(f"paced_{int(GOAL_RATE)}")
    if paced is not None and "skipped" in paced:
        paced = None
    sustained = paced is not None and paced["msg_s"] >= 0.98 * GOAL_RATE and paced["unsent"] == 0
    p99 = paced["e2e_ms"]["p99"] if paced else None
    return {
        "ratio": None if ratio is None else round(ratio, 3),
        "cpu_ratio": cpu_ratio,
        "max_ok": closed["msg_s"] >= GOAL_RATE,
        "ratio_ok": ratio is not None and ratio >= GOAL_RATIO,
        "paced_sustained": sustained,
        "p99_ok": p99 is not None and sustained and p99 < GOAL_P99_MS,
        "met": bool(
            closed["msg_s"] >= GOAL_RATE
            and ratio is not None
            and ratio >= GOAL_RATIO
            and sustained
            and p99 is not None
            and p99 < GOAL_P99_MS
        ),
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "Max throughput (closed loop, one message in flight per visitor):",
        "",
        "| server | chats | msg/s | ratio to echo (by CPU) | ack p50 / p99 ms | e2e p50 / p95 / p99 ms "
        "| server CPU % (µs/msg) | db CPU % | client CPU % | other CPU % | stored = acked |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for size in report["sizes"]:
        echo = size.get("echo")
        for run in ([echo] if echo else []) + size["frontdesk"]:
            c = run["phases"]["closed"]
            goal = run.get("goal", {})
            ratio = "1.00" if run is echo else f"{fmt(goal.get('ratio'), 2)} ({fmt(goal.get('cpu_ratio'), 2)})"
            e2e = "–" if run is echo else lat(c["e2e_ms"], "p50", "p95", "p99")
            ok = "–" if run is echo else ("yes" if run["verify"].get("ok") else "**NO**")
            cap = " (send cap)" if c.get("cap_bound") else ""
            lines.append(
                f"| {run['label']} | {run['chats']} | {c['msg_s']:.0f}{cap} | {ratio} "
                f"| {lat(c['ack_ms'], 'p50', 'p99')} "
                f"| {e2e} | {fmt(c.get('server_cpu_pct'))} ({fmt(c.get('server_us_per_msg'), 0)}) "
                f"| {fmt(c.get('postgres_cpu_pct'))} | {fmt(c.get('client_cpu_pct'))} "
                f"| {fmt(c.get('other_cpu_pct'))} | {ok} |"
            )
    paced_rows = []
    for size in report["sizes"]:
        echo = size.get("echo")
        for run in ([echo] if echo else []) + size["frontdesk"]:
            for p in run["phases"].values():
                if p["kind"] != "paced":
                    continue
                if "skipped" in p:
                    paced_rows.append(
                        f"| {run['label']} | {run['chats']} | {p['offered_msg_s']:.0f} | skipped: {p['skipped']} "
                        "| | | | | | | |"
                    )
                    continue
                e2e = "–" if run is echo else lat(p["e2e_ms"], "p50", "p95", "p99")
                late = 100 * p["late"] / max(1, p["sent_total"] + p["unsent"])
                paced_rows.append(
                    f"| {run['label']} | {run['chats']} | {p['offered_msg_s']:.0f} | {p['msg_s']:.0f} "
                    f"| {lat(p['ack_ms'], 'p50', 'p95', 'p99')} | {e2e} | {late:.1f} | {p['unsent']} "
                    f"| {fmt(p.get('server_cpu_pct'))} | {fmt(p.get('postgres_cpu_pct'))} "
                    f"| {fmt(p.get('client_cpu_pct'))} |"
                )
    if paced_rows:
        lines += [
            "",
            "Latency at a fixed offered rate (from the scheduled send time):",
            "",
            "| server | chats | offered msg/s | achieved msg/s | ack p50 / p95 / p99 ms | e2e p50 / p95 / p99 ms "
            "| late sends % | never sent | server CPU % | db CPU % | client CPU % |",
            "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|",
            *paced_rows,
        ]
    goals = [
        f"- {run['label']}, {run['chats']} chats: goal (≥ {GOAL_RATE:.0f} msg/s, ratio ≥ {GOAL_RATIO}, "
        f"e2e p99 < {GOAL_P99_MS:.0f} ms at {GOAL_RATE:.0f} msg/s) "
        f"{'MET' if run['goal']['met'] else 'NOT MET'}"
        for size in report["sizes"]
        for run in size["frontdesk"]
        if "goal" in run
    ]
    if goals:
        lines += ["", *goals]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> int:
    if args.backend == "both":
        backends = ["sqlite", "postgres"]
    elif args.backend == "none":
        backends = []
    elif args.backend:
        backends = [args.backend]
    else:
        backends = ["sqlite"] + (["postgres"] if postgres_server_url() else [])
    sizes = [int(x) for x in str(args.chats).split(",") if x.strip()]
    report: dict[str, Any] = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "backends": backends,
            "chats": sizes,
            "agents": args.agents,
            "seconds": args.seconds,
            "paced_seconds": args.paced_seconds,
            "rate": args.rate,
            "warmup": args.warmup,
            "client_procs": args.client_procs,
            "quiet_wait": args.quiet_wait,
            "retry_noisy": args.retry_noisy,
            "nice": args.nice,
            "server_src": str(args.server_src) if args.server_src else None,
            "profiled": args.profile,
            "text_chars": args.text_chars,
            "send_cap_per_visitor": SEND_CAP_PER_S,
            "postgres_server": "throw-away (scripts/test-services.sh)" if postgres_server_url() else None,
        },
        "sizes": [],
    }
    t_all = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    bad = False
    priority = session_priority(args.nice) if args.nice else contextlib.nullcontext("unchanged")
    try:
        with priority as how:
            report["settings"]["priority"] = how
            if args.nice:
                print(f"priority: {how}")
            for chats in sizes:
                print(f"== {chats} chats ==", flush=True)
                size: dict[str, Any] = {"chats": chats, "echo": None, "frontdesk": []}
                if not args.no_echo:
                    size["echo"] = await run_echo(args, chats, tmp)
                for backend in backends:
                    run = await run_frontdesk(args, chats, backend, tmp)
                    run["goal"] = goal_check(run, size["echo"])
                    bad = bad or not run["verify"].get("ok", False)
                    size["frontdesk"].append(run)
                report["sizes"].append(size)
    finally:
        if args.keep:
            print(f"server logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["total_s"] = round(time.monotonic() - t_all, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"chat_throughput-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print()
    print(markdown(report))
    print(
        f"\n{report['machine']['nproc']} cores, {report['machine']['cpu_model']}, Python "
        f"{report['machine']['python']}; commit {report['machine']['commit']}"
    )
    print(f"results: {out.relative_to(REPO)} (total {report['total_s']}s)")
    if bad:
        print("\n!!! VERIFICATION FAILED: see the messages above !!!", file=sys.stderr)
        return 3
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.chat_throughput", description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument(
        "--backend",
        choices=["sqlite", "postgres", "both", "none"],
        default=None,
        help="default: sqlite, plus postgres when FRONTDESK_TEST_POSTGRES_URL is set; none: only the echo",
    )
    p.add_argument("--chats", default="1000", help="concurrent chats; a comma list runs several sizes")
    p.add_argument("--seconds", type=float, default=20.0, help="measured window of the closed-loop phase")
    p.add_argument(
        "--paced-seconds",
        type=float,
        default=None,
        help="measured window of each paced phase (default: 0.3 x --seconds; 0 skips them)",
    )
    p.add_argument("--rate", type=float, default=GOAL_RATE, help="offered msg/s in the paced phase")
    p.add_argument(
        "--sustainable",
        type=float,
        default=0.8,
        help="when the closed-loop maximum is below --rate, also pace at this fraction of it (0: don't)",
    )
    p.add_argument("--agents", type=int, default=10)
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before each window")
    p.add_argument("--client-procs", type=int, default=1, help="load generator processes")
    p.add_argument("--text-chars", type=int, default=64, help="characters per message")
    p.add_argument("--verify-sample", type=int, default=100, help="chats whose whole transcript is checked")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=5.0,
        help="before each phase, wait up to this many seconds for other jobs on the machine to go idle",
    )
    p.add_argument(
        "--retry-noisy",
        type=int,
        default=0,
        help="repeat a phase up to N times while other jobs took more than 30%% of a core during it",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="raise this session's CPU share (autogroup nice, e.g. -10; needs root) for the run, so that "
        "other jobs on a shared machine disturb the figures less",
    )
    p.add_argument(
        "--server-src",
        type=Path,
        default=None,
        help="run frontdesk from this source tree instead (e.g. `git archive COMMIT | tar -x -C DIR`), "
        "to compare versions",
    )
    p.add_argument("--no-echo", action="store_true", help="skip the echo ceiling")
    p.add_argument(
        "--profile",
        action="store_true",
        help="sample the server with py-spy during each phase (slows it: not for the figures)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir with server logs")
    args = p.parse_args(argv)
    if args.paced_seconds is None:
        args.paced_seconds = round(args.seconds * 0.3, 1)
    if args.agents < 1:
        p.error("--agents must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import uvloop

    sys.exit(uvloop.run(main_async(args)))


if __name__ == "__main__":
    main()
