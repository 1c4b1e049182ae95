"""Scale out: frontdesk on 1 and 3 nodes (PostgreSQL + Redis, behind nginx) under the same load.

    .venv/bin/python -m bench.cluster_load [--nodes 1 3] [--chats 200] [--idle-visitors 5000]
                                           [--seconds 20] [--paced-rate auto] [--paced-seconds 8]

For each cluster size, a fresh cluster exactly like the cluster tests' (tests/cluster/harness.py:
its own PostgreSQL and Redis, N `frontdesk serve` nodes with the harness's node environment,
nginx running deploy/nginx.conf; bench/cluster_stack.py only sizes nginx's worker_connections
for the sockets of the run). Every client goes through nginx, which spreads them round-robin.

0. Agents, one per ~20 chats, are created by the admin through the REST API.
1. Idle visitors are seeded in the database with tokens signed by the cluster's key (or, with
   --register http, created one by one through POST /api/v1/widget/visitors); then each node's
   RSS is read (/proc/PID/status) — the baseline, before any socket.
2. The chats (bench/load.py's worker, one uvloop process): the agents log in and connect, each
   visitor registers over HTTP, connects and sends a first message (opening a chat), agents
   accept.
3. The idle visitors (bench/cluster_idle.py, one uvloop process) connect, say hello (the server
   records the visit and the presence), and stay connected. Each node's RSS is read again,
   and its sockets counted from its own /metrics (`frontdesk_connections`): memory per
   connection = (RSS now - baseline) / sockets on that node.
4. Measured phases, driven by bench/load.py: `closed` — every chat visitor sends its next message
   as soon as the previous one is acknowledged (one in flight each) for --seconds: acknowledged
   messages/s, and end-to-end latency from the visitor's send to the agent's socket receiving the
   `event`; then `paced` — the same chats offering a fixed rate (default: 60% of the first
   cluster size's closed-loop maximum, the same for every size), latency from the scheduled
   send time. CPU of every process (each node, PostgreSQL, Redis, nginx, the load generators)
   and of the whole machine over each measured window, from /proc.
5. Verification through nginx's REST API: every chat's stored messages against what its visitor
   had acknowledged, and every acknowledged message delivered to an agent. A mismatch is
   reported loudly and the exit status is 3.

Results: bench/results/cluster_load-*.json and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.chat_throughput import Workers, finish_profile, machine, merge_phase, start_profile, wait_for_quiet
from bench.cluster_idle import IdleSpec, run_chat_worker, run_idle
from bench.cluster_stack import (
    Stack,
    all_cpu,
    connections,
    log_offsets,
    log_problems,
    make_agents,
    metric,
    others_cpu,
    scrape,
    seed_visitors,
    start_stack,
    stop_stack,
)
from bench.load import SEND_CAP_PER_S, WorkerSpec
from bench.procs import REPO, CpuMeter, PipeProcess, raise_nofile, rss_kib, session_priority

RESULTS = REPO / "bench" / "results"
GOAL_P99_MS = 100.0
SETUP_TIMEOUT = 300.0
STALL_MS = 250.0  # a second of the window whose ack p99 exceeds this is reported as stalled
NOISY_PCT = 30.0  # a phase during which CPU outside our processes exceeded this (% of a core) is noisy


# -- measuring ------------------------------------------------------------------------------------
def rss_all(stack: Stack) -> dict[str, int | None]:
    out: dict[str, int | None] = {f"node{i + 1}": rss_kib(pid) for i, pid in enumerate(stack.node_pids())}
    nginx_workers = stack.nginx_pids()[1:]
    out["nginx_workers"] = sum(rss_kib(p) or 0 for p in nginx_workers) if nginx_workers else None
    return out


def node_counters(samples: list[dict[str, float]]) -> list[dict[str, float]]:
    out = []
    for s in samples:
        out.append(
            {
                "visitor_messages": metric(s, "frontdesk_messages_total", author="visitor"),
                "resyncs": metric(s, "frontdesk_socket_resyncs_total"),
                "batches": metric(s, "frontdesk_group_commit_batch_size_count"),
                "batched_messages": metric(s, "frontdesk_group_commit_batch_size_sum"),
                "commit_s": metric(s, "frontdesk_group_commit_seconds_sum"),
                "bus_lag_s": metric(s, "frontdesk_event_bus_lag_seconds"),
                "full_gcs": metric(s, "frontdesk_gc_pause_seconds_count", generation="2"),
                "full_gc_s": metric(s, "frontdesk_gc_pause_seconds_sum", generation="2"),
            }
        )
    return out


def node_deltas(before: list[dict[str, float]], after: list[dict[str, float]], window: float) -> list[dict[str, Any]]:
    out = []
    for b, a in zip(node_counters(before), node_counters(after), strict=False):
        batches = a["batches"] - b["batches"]
        stored = a["visitor_messages"] - b["visitor_messages"]
        out.append(
            {
                "visitor_messages_stored": int(stored),
                "stored_msg_s": round(stored / window, 1) if window else None,
                "resyncs": int(a["resyncs"] - b["resyncs"]),
                "group_commits": int(batches),
                "mean_batch": round((a["batched_messages"] - b["batched_messages"]) / batches, 1) if batches else None,
                "mean_commit_ms": round(1000 * (a["commit_s"] - b["commit_s"]) / batches, 2) if batches else None,
                "bus_lag_ms_at_end": round(1000 * a["bus_lag_s"], 1),
                "full_gcs": int(a["full_gcs"] - b["full_gcs"]),
                "full_gc_ms": round(1000 * (a["full_gc_s"] - b["full_gc_s"]), 1),
            }
        )
    return out


async def run_phase(
    args: argparse.Namespace,
    stack: Stack,
    workers: Workers,
    idle: PipeProcess,
    name: str,
    kind: str,
    seconds: float,
    rate: float | None,
) -> dict[str, Any]:
    """One measured phase; CPU of every process over the window; node counters around it."""
    quiet = await wait_for_quiet(args.quiet_wait)
    if quiet > 25:
        print(f"  (the machine is busy with something else: {quiet:.0f}% of a core before {name})")
    pids: dict[str, list[int]] = {f"node{i + 1}": [pid] for i, pid in enumerate(stack.node_pids())}
    pids.update(
        postgres=stack.postgres_pids(),
        redis=stack.redis_pids(),
        nginx=stack.nginx_pids(),
        client=[*workers.pids, idle.pid],
        orchestrator=[os.getpid()],
    )
    before = await scrape(stack)
    start_at = time.monotonic() + 0.3
    workers.send(
        "phase",
        {
            "name": name,
            "kind": kind,
            "start_at": start_at,
            "warmup": args.warmup,
            "seconds": seconds,
            "rate": rate or 0,
        },
    )
    meter = CpuMeter(pids)
    await asyncio.sleep(max(0.0, start_at + args.warmup - time.monotonic()))
    meter.start()
    everyone0 = all_cpu()
    node1 = stack.node_pids()[0]
    spy = start_profile(args, f"cluster{len(stack.nodes)}-node1", name, node1, seconds) if kind == "closed" else None
    await asyncio.sleep(max(0.0, start_at + args.warmup + seconds - time.monotonic()))
    cpu = meter.stop()
    everyone1 = all_cpu()
    # Our processes now (a PostgreSQL backend may have started during the window), then the rest.
    ours = {p for group in pids.values() for p in group} | set(stack.postgres_pids()) | set(stack.nginx_pids())
    others = others_cpu(everyone0, everyone1, ours, cpu["wall_s"])
    parts = await workers.expect("phase_done", seconds + args.warmup + 60)
    after = await scrape(stack)
    result = merge_phase(parts, cpu, rate)
    result["name"] = name
    nodes = [k for k in pids if k.startswith("node")]
    result["server_cpu_pct"] = round(sum(cpu[f"{k}_cpu_pct"] for k in nodes), 1)
    result["node_cpu_pct"] = [cpu[f"{k}_cpu_pct"] for k in nodes]
    if result["msg_s"] > 0:  # CPU per acknowledged message, all of it (server side and client)
        for who in ("server", "postgres", "redis", "nginx", "client", "other"):
            result[f"{who}_us_per_msg"] = round(10_000 * result[f"{who}_cpu_pct"] / result["msg_s"], 1)
        result["machine_us_per_msg"] = round(10_000 * result["machine_cpu_pct"] / result["msg_s"], 1)
    result["nodes"] = node_deltas(before, after, seconds + args.warmup)
    result["busy_before_pct"] = round(quiet, 1)
    # Seconds of the window in which acknowledgements took far longer than usual: the event loop
    # stalled (a full garbage collection on a node with thousands of sockets looks like this).
    result["stalled_seconds"] = [x["s"] for x in result.get("ack_ms_by_second", []) if (x.get("p99") or 0) > STALL_MS]
    result["other_top"] = others
    if spy is not None:
        result["profile_node1"] = await finish_profile(*spy)
    # The raw samples are large and already summarised.
    return result


def summary_line(label: str, p: dict[str, Any]) -> str:
    e2e, ack = p["e2e_ms"], p["ack_ms"]
    nodes = " / ".join(f"{c:.0f}" for c in p["node_cpu_pct"])
    return (
        f"  {label} {p['name']}: {p['msg_s']:.0f} msg/s, e2e p50 {e2e['p50']} p99 {e2e['p99']} ms, "
        f"ack p99 {ack['p99']} ms; CPU % nodes {nodes}, pg {p['postgres_cpu_pct']:.0f}, "
        f"redis {p['redis_cpu_pct']:.0f}, nginx {p['nginx_cpu_pct']:.0f}, client {p['client_cpu_pct']:.0f}, "
        f"other {p['other_cpu_pct']:.0f}, machine {p['machine_cpu_pct']:.0f}; errors {p['errors'] or 0}"
        + (f"\n    seconds with ack p99 > {STALL_MS:.0f} ms: {p['stalled_seconds']}" if p["stalled_seconds"] else "")
        + "\n    full garbage collections per node: "
        + " / ".join(f"{n.get('full_gcs', '?')} ({n.get('full_gc_ms', '?')} ms)" for n in p.get("nodes", []))
        + (
            f"\n    other CPU: {', '.join(f'{c} {x:.0f}%' for c, x in p['other_top'])}"
            if p["other_cpu_pct"] > 10
            else ""
        )
    )


async def run_size(args: argparse.Namespace, size: int, tmp: Path, paced_rate: float | None) -> dict[str, Any]:
    label = f"{size} node" + ("s" if size > 1 else "")
    root = tmp / f"cluster-{size}"
    root.mkdir()
    n_agents = max(1, math.ceil(args.chats / args.chats_per_agent))
    sockets = args.idle_visitors + args.chats + n_agents
    busy = await wait_for_quiet(args.quiet_wait_start)
    if busy > 25:
        print(f"  (starting anyway: other jobs use {busy:.0f}% of a core)")
    t0 = time.monotonic()
    stack = await start_stack(root, size, sockets)
    out: dict[str, Any] = {"nodes": size, "label": label, "chats": args.chats, "idle_visitors": args.idle_visitors}
    out["busy_before_start_pct"] = round(busy, 1)
    out["server_code"] = server_code()
    out["nginx_conf"] = stack.nginx.conf_info
    workers: Workers | None = None
    idle: PipeProcess | None = None
    try:
        print(
            f"== {label}: cluster up in {time.monotonic() - t0:.1f}s (nginx {stack.url}, "
            f"worker_connections {stack.nginx.conf_info['worker_connections']}"
            f"{', generated' if stack.nginx.conf_info['generated'] else ''}) ==",
            flush=True,
        )
        logs0 = log_offsets(stack)
        # Agents: created by the admin through the REST API, with room for their share of chats.
        t1 = time.monotonic()
        max_chats = min(50, math.ceil(1.25 * args.chats / n_agents) + 1)
        agents = await make_agents(stack, n_agents, max_chats)
        print(f"  {n_agents} agents (max {max_chats} chats each) in {time.monotonic() - t1:.1f}s", flush=True)

        # 1. Idle visitors (seeded in the database, or created over HTTP), then the baseline:
        # no socket open yet.
        t1 = time.monotonic()
        tokens = await seed_visitors(stack, args.idle_visitors) if args.register == "db" else None
        idle_spec = IdleSpec(host="127.0.0.1", port=stack.nginx.port, visitors=args.idle_visitors, index=1)
        idle = PipeProcess(run_idle, idle_spec, "idle visitors", join_s=15.0)
        await idle.answer("ready", 60)
        reg = await idle.ask("register", tokens, "registered", SETUP_TIMEOUT)
        how = "seeded in the database" if reg.get("seeded") else "registered over HTTP"
        print(
            f"  {reg['registered']} idle visitors {how} in {time.monotonic() - t1:.1f}s "
            f"(errors {reg.get('errors') or 0})",
            flush=True,
        )
        await asyncio.sleep(1.0)
        memory: dict[str, Any] = {"rss_kib": {"baseline": rss_all(stack)}}
        conns: dict[str, Any] = {"baseline": [connections(s) for s in await scrape(stack)]}

        # 2. The chats.
        t2 = time.monotonic()
        spec = WorkerSpec(
            index=0,
            mode="frontdesk",
            port=stack.nginx.port,
            visitors=args.chats,
            agents=agents,
            text_chars=args.text_chars,
            verify_sample=args.verify_sample,
        )
        workers = Workers([spec], run_chat_worker)  # without a garbage collector (cluster_idle.quiet_gc)
        setup = (await workers.expect("ready", SETUP_TIMEOUT))[0]
        print(
            f"  {args.chats} chats set up in {time.monotonic() - t2:.1f}s "
            f"({', '.join(f'{k} {v}' for k, v in setup.items())})",
            flush=True,
        )
        await asyncio.sleep(1.0)
        memory["rss_kib"]["chats_up"] = rss_all(stack)
        conns["chats_up"] = [connections(s) for s in await scrape(stack)]

        # 3. The idle sockets.
        con = await idle.ask("connect", None, "connected", SETUP_TIMEOUT)
        print(
            f"  {con['connected']} idle sockets up in {con['seconds']}s (connect+hello p50 "
            f"{con['connect_hello_ms']['p50']} ms, p99 {con['connect_hello_ms']['p99']} ms; "
            f"errors {con['errors'] or 0})",
            flush=True,
        )
        await asyncio.sleep(2.0)
        memory["rss_kib"]["all_up"] = rss_all(stack)
        conns["all_up"] = [connections(s) for s in await scrape(stack)]
        memory["per_node"] = per_node_memory(memory["rss_kib"], conns)
        nginx_rss = memory["rss_kib"]["all_up"]["nginx_workers"], memory["rss_kib"]["baseline"]["nginx_workers"]
        total = sum(c["visitor"] + c["agent"] for c in conns["all_up"])
        if None not in nginx_rss and total:
            memory["nginx_kib_per_socket"] = round((nginx_rss[0] - nginx_rss[1]) / total, 1)
        print(
            "  sockets per node "
            + ", ".join(f"{m['sockets']} ({m['kib_per_conn']} KiB each)" for m in memory["per_node"]),
            flush=True,
        )

        # 4. Measured phases (a phase disturbed by other jobs on the machine is run again, up to
        # --retry-noisy times; the least disturbed one is kept, all count for verification).
        phases: dict[str, Any] = {}
        tries: list[dict[str, Any]] = []

        async def measure(name: str, kind: str, seconds: float, rate: float | None) -> None:
            for attempt in range(1 + max(0, args.retry_noisy)):
                tries.append(await run_phase(args, stack, workers, idle, name, kind, seconds, rate))
                tries[-1]["attempt"] = attempt + 1
                print(summary_line(label, tries[-1]), flush=True)
                if tries[-1]["other_cpu_pct"] <= NOISY_PCT:
                    break
                if attempt < args.retry_noisy:
                    print(f"  ({tries[-1]['other_cpu_pct']:.0f}% of a core went to other jobs; once more)")
            phases[name] = min((t for t in tries if t["name"] == name), key=lambda t: t["other_cpu_pct"])
            phases[name]["noisy"] = phases[name]["other_cpu_pct"] > NOISY_PCT

        await measure("closed", "closed", args.seconds, None)
        if args.paced_seconds > 0 and args.paced_rate != "0":
            if paced_rate is None:
                paced_rate = pick_paced_rate(args, phases["closed"]["msg_s"])
            await measure(f"paced_{int(paced_rate)}", "paced", args.paced_seconds, paced_rate)
        out["paced_rate"] = paced_rate
        memory["rss_kib"]["after_run"] = rss_all(stack)
        out["idle_after_run"] = await idle.ask("status", None, "status", 30)

        # 5. Verification through nginx.
        workers.send("verify")
        parts = await workers.expect("verified", 300)
        out["verify"] = verify_summary(label, parts, tries)
        out["phase_tries"] = len(tries)
        out.update(
            phases=phases,
            memory=memory,
            connections=conns,
            setup={
                "agents": n_agents,
                "max_chats": max_chats,
                "chats": setup,
                "idle_register": reg,
                "idle_connect": con,
            },
            log_problems=log_problems(stack, logs0),
        )
        for name, problems in out["log_problems"].items():
            kinds = "; ".join(f"{k['count']}x {k['example'][-120:]}" for k in problems["kinds"][:3])
            print(f"  {name} log: {problems['count']} warning/error lines ({kinds})")
        dead = [f"node{i + 1}" for i, n in enumerate(stack.nodes) if n.proc is None or n.proc.poll() is not None]
        if dead:
            print(f"!!! {label}: {', '.join(dead)} died during the run !!!", file=sys.stderr)
            out["dead_nodes"] = dead
        return out
    finally:
        if workers is not None:
            await workers.stop()
        if idle is not None:
            await idle.stop()
        await stop_stack(stack, (RESULTS / f"cluster_load-logs-{size}") if args.keep_logs else None)


def server_code() -> str:
    """The commit the nodes run (they start from the working tree), and whether frontdesk/ has
    uncommitted changes: the repository may move while a run is in progress."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "log", "-1", "--format=%h"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "frontdesk"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return head + (" (frontdesk/ modified)" if dirty else "")


def per_node_memory(
    rss: dict[str, dict[str, int | None]], conns: dict[str, list[dict[str, int]]]
) -> list[dict[str, Any]]:
    out = []
    for i, up in enumerate(conns["all_up"]):
        node = f"node{i + 1}"
        base, mid, top = rss["baseline"][node], rss["chats_up"][node], rss["all_up"][node]
        sockets = up["visitor"] + up["agent"]
        mid_sockets = sum(conns["chats_up"][i].values())
        entry: dict[str, Any] = {"node": node, "sockets": sockets, "visitors": up["visitor"], "agents": up["agent"]}
        entry["rss_mib_baseline"] = round(base / 1024, 1) if base else None
        entry["rss_mib_all_up"] = round(top / 1024, 1) if top else None
        entry["kib_per_conn"] = round((top - base) / sockets, 1) if base and top and sockets else None
        idle_sockets = sockets - mid_sockets
        entry["kib_per_idle_visitor"] = round((top - mid) / idle_sockets, 1) if mid and top and idle_sockets else None
        out.append(entry)
    return out


def verify_summary(label: str, parts: list[dict[str, Any]], tries: list[dict[str, Any]]) -> dict[str, Any]:
    v = {
        "chats_checked_last_seq": sum(p["chats_checked_last_seq"] for p in parts),
        "chats_checked_messages": sum(p["chats_checked_messages"] for p in parts),
        "acked_total": sum(p["acked_total"] for p in parts),
        "failed_total": sum(p["failed_total"] for p in parts),
        "delivered_total": sum(ph["deliveries"] for ph in tries),
        "acked_in_phases": sum(ph["acks_total"] for ph in tries),
        "problem_count": sum(p["problem_count"] for p in parts),
        "problems": [x for p in parts for x in p["problems"]][:50],
    }
    v["ok"] = v["problem_count"] == 0 and v["failed_total"] == 0 and v["delivered_total"] == v["acked_in_phases"]
    if v["problem_count"]:
        print(f"\n!!! {label}: STORED MESSAGES DO NOT MATCH ACKS !!!", file=sys.stderr)
        for line in v["problems"][:20]:
            print(f"!!!   {line}", file=sys.stderr)
    if v["failed_total"]:
        print(f"!!! {label}: {v['failed_total']} sends failed or went unanswered !!!", file=sys.stderr)
    if v["delivered_total"] != v["acked_in_phases"]:
        print(
            f"!!! {label}: agents received {v['delivered_total']} messages, "
            f"visitors had {v['acked_in_phases']} acknowledged !!!",
            file=sys.stderr,
        )
    print(
        f"  verify (REST through nginx): {v['chats_checked_last_seq']} chats by last_seq, "
        f"{v['chats_checked_messages']} by full transcript; {v['acked_total']} acked, "
        f"{v['problem_count']} mismatches, {v['failed_total']} failed sends, "
        f"{v['delivered_total']}/{v['acked_in_phases']} delivered — {'OK' if v['ok'] else 'NOT OK'}",
        flush=True,
    )
    return v


def pick_paced_rate(args: argparse.Namespace, closed_msg_s: float) -> float:
    if args.paced_rate not in ("auto", ""):
        return float(args.paced_rate)
    return float(max(100, 100 * int(0.6 * closed_msg_s / 100)))


# -- report ---------------------------------------------------------------------------------------
def fmt(v: Any, nd: int = 0) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def stalled(p: dict[str, Any]) -> str:
    """Seconds of the window with ack p99 over STALL_MS (recomputed: older reports lack it)."""
    n = sum(1 for x in p.get("ack_ms_by_second", []) if (x.get("p99") or 0) > STALL_MS)
    return f"{n} of {p['window_s']:.0f}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "Closed loop (each chat visitor one message in flight), "
        f"{report['settings']['chats']} chats + {report['settings']['idle_visitors']} idle visitors:",
        "",
        "| nodes | msg/s | e2e p50 ms | e2e p99 ms | e2e max ms | stalled seconds | KiB per connection (per node) "
        "| server CPU % (per node) | client CPU % | stored = acked |",
        "|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for run in report["runs"]:
        c = run["phases"]["closed"]
        kib = " / ".join(fmt(m["kib_per_conn"], 1) for m in run["memory"]["per_node"])
        cpu = " / ".join(fmt(x) for x in c["node_cpu_pct"])
        ok = "yes" if run["verify"]["ok"] else "**NO**"
        cap = " (send cap)" if c.get("cap_bound") else ""
        cap += f" (noisy: other jobs {c['other_cpu_pct']:.0f}%)" if c.get("noisy") else ""
        lines.append(
            f"| {run['nodes']} | {c['msg_s']:.0f}{cap} | {fmt(c['e2e_ms']['p50'], 1)} | {fmt(c['e2e_ms']['p99'], 1)} "
            f"| {fmt(c['e2e_ms']['max'])} | {stalled(c)} | {kib} | {cpu} | {fmt(c['client_cpu_pct'])} | {ok} |"
        )
    lines += [
        "",
        "Where the CPU went in the closed loop (% of one core; the machine has "
        f"{report['machine']['nproc']} cores = {100 * (report['machine']['nproc'] or 1)} %):",
        "",
        "| nodes | nodes (sum) | PostgreSQL | Redis | nginx | load generators | other (kernel, jobs) | machine "
        "| nodes µs per msg | machine µs per msg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        c = run["phases"]["closed"]
        lines.append(
            f"| {run['nodes']} | {fmt(c['server_cpu_pct'])} | {fmt(c['postgres_cpu_pct'])} | {fmt(c['redis_cpu_pct'])} "
            f"| {fmt(c['nginx_cpu_pct'])} | {fmt(c['client_cpu_pct'])} | {fmt(c['other_cpu_pct'])} "
            f"| {fmt(c['machine_cpu_pct'])} | {fmt(c.get('server_us_per_msg'))} | {fmt(c.get('machine_us_per_msg'))} |"
        )
    paced = [(run, p) for run in report["runs"] for p in run["phases"].values() if p["kind"] == "paced"]
    if paced:
        lines += [
            "",
            "Paced (a fixed offered rate, the same for every size; latency from the scheduled send time):",
            "",
            "| nodes | offered msg/s | achieved msg/s | e2e p50 ms | e2e p99 ms | e2e max ms | stalled seconds "
            "| server CPU % (per node) | machine CPU % |",
            "|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for run, p in paced:
            lines.append(
                f"| {run['nodes']} | {p['offered_msg_s']:.0f} | {p['msg_s']:.0f} | {fmt(p['e2e_ms']['p50'], 1)} "
                f"| {fmt(p['e2e_ms']['p99'], 1)} | {fmt(p['e2e_ms']['max'])} | {stalled(p)} "
                f"| {' / '.join(fmt(x) for x in p['node_cpu_pct'])} | {fmt(p['machine_cpu_pct'])} |"
            )
    runs = report["runs"]
    if len(runs) >= 2:
        first, last = runs[0]["phases"]["closed"]["msg_s"], runs[-1]["phases"]["closed"]["msg_s"]
        grows = last > 1.05 * first
        p99s = [r["phases"]["closed"]["e2e_ms"]["p99"] for r in runs]
        lines += [
            "",
            f"- throughput {runs[0]['nodes']} → {runs[-1]['nodes']} nodes: {first:.0f} → {last:.0f} msg/s "
            f"(×{last / first if first else 0:.2f}): {'grows' if grows else 'does NOT grow'}",
            f"- closed-loop e2e p99 < {GOAL_P99_MS:.0f} ms: "
            + ", ".join(f"{r['nodes']} node(s) {fmt(p, 1)} ms" for r, p in zip(runs, p99s, strict=True)),
        ]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> int:
    t_all = time.monotonic()
    biggest = args.idle_visitors + args.chats + math.ceil(args.chats / args.chats_per_agent)
    nofile = raise_nofile(biggest + 4096)  # one node may hold every socket; children inherit
    report: dict[str, Any] = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "nodes": args.nodes,
            "chats": args.chats,
            "idle_visitors": args.idle_visitors,
            "chats_per_agent": args.chats_per_agent,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "paced_rate": args.paced_rate,
            "paced_seconds": args.paced_seconds,
            "retry_noisy": args.retry_noisy,
            "nice": args.nice,
            "profiled": args.profile,
            "text_chars": args.text_chars,
            "register": args.register,
            "send_cap_per_visitor": SEND_CAP_PER_S,
            "nofile": nofile,
        },
        "runs": [],
    }
    tmp = Path(tempfile.mkdtemp(prefix="fd-cluster-bench-", dir="/tmp"))
    os.chmod(tmp, 0o755)  # nginx workers and PostgreSQL run as other users
    bad = False
    paced_rate: float | None = None
    priority = session_priority(args.nice) if args.nice else contextlib.nullcontext("unchanged")
    try:
        with priority as how:
            report["settings"]["priority"] = how
            if args.nice:
                print(f"priority: {how}")
            for size in args.nodes:
                run = await run_size(args, size, tmp, paced_rate)
                paced_rate = run.get("paced_rate") or paced_rate  # the same offered rate for every size
                bad = bad or not run["verify"]["ok"] or bool(run.get("dead_nodes"))
                report["runs"].append(run)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["total_s"] = round(time.monotonic() - t_all, 1)
    codes = {run.get("server_code") for run in report["runs"]}
    if len(codes) > 1:
        print(
            f"\n!!! the server code changed during the run ({', '.join(sorted(map(str, codes)))}): "
            "the sizes are not comparable !!!",
            file=sys.stderr,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"cluster_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print()
    print(markdown(report))
    m = report["machine"]
    print(f"\n{m['nproc']} cores, {m['cpu_model']}, Python {m['python']}; commit {m['commit']}")
    print(f"results: {out.relative_to(REPO)} (total {report['total_s']}s)")
    if bad:
        print("\n!!! VERIFICATION FAILED: see the messages above !!!", file=sys.stderr)
        return 3
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.cluster_load",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--nodes", type=int, nargs="+", default=[1, 3], help="cluster sizes, run in this order")
    p.add_argument("--chats", type=int, default=200, help="concurrent chats driven in a closed loop")
    p.add_argument("--idle-visitors", type=int, default=5000, help="widget sockets that only say hello")
    p.add_argument("--chats-per-agent", type=int, default=20, help="one agent per this many chats")
    p.add_argument("--seconds", type=float, default=20.0, help="measured window of the closed loop")
    p.add_argument(
        "--paced-rate",
        default="auto",
        help="offered msg/s of the paced phase, the same for every size (auto: 60%% of the first size's "
        "closed-loop maximum; 0: no paced phase)",
    )
    p.add_argument("--paced-seconds", type=float, default=8.0, help="measured window of the paced phase")
    p.add_argument("--warmup", type=float, default=1.5, help="seconds of load before each window")
    p.add_argument(
        "--register",
        choices=["db", "http"],
        default="db",
        help="idle visitors: seeded in the database with signed tokens (fast), or created one by one "
        "through POST /api/v1/widget/visitors (slow: thousands of requests during setup)",
    )
    p.add_argument("--text-chars", type=int, default=64, help="characters per message")
    p.add_argument("--verify-sample", type=int, default=100, help="chats whose whole transcript is checked")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=5.0,
        help="before each phase, wait up to this long for other jobs to go idle",
    )
    p.add_argument(
        "--quiet-wait-start",
        type=float,
        default=60.0,
        help="before starting each cluster, wait up to this long for other jobs to go idle",
    )
    p.add_argument(
        "--retry-noisy",
        type=int,
        default=1,
        help="run a phase again (up to N times) when other jobs took more than 30%% of a core during it",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="this session's autogroup nice value during the run (e.g. -10, as root), so that other jobs on "
        "a shared machine disturb less (PostgreSQL's backends are sessions of their own)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="sample node1 with py-spy during the closed phase (slows that node: not for the figures)",
    )
    p.add_argument("--from-json", metavar="FILE", help="print the tables of a saved report and exit")
    p.add_argument("--keep-logs", action="store_true", help="copy node/nginx/PostgreSQL/Redis logs to bench/results")
    args = p.parse_args(argv)
    if min(args.nodes) < 1 or args.chats < 1 or args.idle_visitors < 0:
        p.error("--nodes, --chats must be positive, --idle-visitors not negative")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.from_json:
        print(markdown(json.loads(Path(args.from_json).read_text())))
        return
    import uvloop

    sys.exit(uvloop.run(main_async(args)))


if __name__ == "__main__":
    main()
