"""Reports over a year of a busy site: 1,000,000 chats, SQLite and PostgreSQL (issue 14, item 6).

    .venv/bin/python -m bench.reports [--backend sqlite|postgres|both] [--chats 1000000]
                                      [--runs 5] [--keep DIR] [--reuse DIR] [--nice N]
    bash scripts/test-services.sh .venv/bin/python -m bench.reports --backend both

1. Seed. A database migrated by frontdesk itself, then bulk-written (SQLite: sqlite3
   `executemany` in transactions; PostgreSQL: COPY, then VACUUM ANALYZE) with what the reports
   read: 3 departments, 40 agents (20 / 12 / 8), one visitor and one closed chat per chat, its
   `chat_facts` row, and the `metric_hours` roll-ups, which are the sums of
   `domain.metrics.rollup_increments(fact)` per (UTC hour, department, agent) - what
   actions/facts.py adds for each fact on the real path. No messages: the reports never read
   them. The chats span the 365 days before today (UTC) with a daily and weekly rhythm (a
   weekday's 14:00 has 12x the chats of 03:00; Saturdays half, Sundays a third of a weekday);
   6 % missed, 4 % of the answered dropped, 6 % transferred, 2 % escalated, 30 % rated,
   3 % reviewed, 10 % from an invitation. Random, seeded, so every run seeds the same history.
2. Measure. Each report is called through its action (what the HTTP route calls: parameters,
   scope, the queries, the figures), as an admin, over a year, a month (the last 30 days) and a
   day (the busiest weekday of the last week), --runs times after one warm-up; the median wall
   time (and the CPU it used) is reported. One report (summary over a year) is also fetched over
   HTTP from a running `frontdesk serve`, as an admin logged in with a cookie. The machine's CPU
   use during the measurement, and the part of it that was not this process (and, on
   PostgreSQL, its server), is reported too.

Results: a markdown table on stdout and bench/results/reports-*.json. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.procs import (
    REPO,
    CpuMeter,
    FrontdeskProcess,
    drop_postgres_database,
    fresh_postgres_url,
    postgres_backend_pids,
    postgres_server_url,
    proc_cpu_seconds,
    session_priority,
)

RESULTS = REPO / "bench" / "results"
AIM_S = {"sqlite": 3.0, "postgres": 1.0}
DEPARTMENTS = (("general", 20), ("sales", 12), ("billing", 8))  # id 1 exists (migration 0002)
DEPARTMENT_SHARE = (0.5, 0.3, 0.2)
SEED = 14

# Chats per hour of day (UTC) and per weekday (Monday first): relative weights.
HOUR_WEIGHT = (
    0.15, 0.1, 0.1, 0.1, 0.12, 0.2, 0.35, 0.6, 0.85, 1.0, 1.1, 1.15,
    1.1, 1.15, 1.2, 1.15, 1.05, 0.9, 0.75, 0.6, 0.5, 0.4, 0.3, 0.2,
)  # fmt: skip
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 0.95, 0.5, 0.35)

FACT_COLUMNS = (
    "chat_id", "department_id", "agent_id", "first_agent_id", "started_at", "hour_at", "ended_at",
    "answered", "missed", "dropped", "queue_wait_s", "first_response_s", "reply_n", "reply_sum_s",
    "reply_max_s", "handle_s", "duration_s", "visitor_messages", "agent_messages", "transfers",
    "escalations", "rating", "review_score", "invitation_id", "concurrency", "computed_at",
)  # fmt: skip
CHAT_COLUMNS = (
    "id", "visitor_id", "status", "assignee_id", "department_id", "queued_at", "created_at",
    "assigned_at", "closed_at", "closed_by", "missed", "rating", "rated_at",
)  # fmt: skip


def agents_of() -> dict[int, list[int]]:
    """Department id -> its agents' user ids (user 1 is the admin)."""
    out: dict[int, list[int]] = {}
    uid = 2
    for dept_id, (_slug, count) in enumerate(DEPARTMENTS, start=1):
        out[dept_id] = list(range(uid, uid + count))
        uid += count
    return out


def span(days: int = 365) -> tuple[datetime, datetime]:
    end = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), tzinfo=UTC)
    return end - timedelta(days=days), end


def hourly_counts(total: int, start: datetime, end: datetime) -> Iterator[tuple[datetime, int]]:
    """Chats per UTC hour, exactly `total` in all, in proportion to the weights."""
    hours = int((end - start).total_seconds() // 3600)
    weights = [
        HOUR_WEIGHT[(start + timedelta(hours=h)).hour] * WEEKDAY_WEIGHT[(start + timedelta(hours=h)).weekday()]
        for h in range(hours)
    ]
    scale = total / sum(weights)
    cum = 0.0
    done = 0
    for h, w in enumerate(weights):
        cum += w * scale
        n = min(total, round(cum)) - done
        done += n
        yield start + timedelta(hours=h), n


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def chats(total: int, start: datetime, end: datetime) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(chat row, fact row) in time order."""
    rng = random.Random(SEED)
    agents = agents_of()
    depts = list(agents)
    chat_id = 0
    for hour, n in hourly_counts(total, start, end):
        offsets = sorted(rng.uniform(0, 3600) for _ in range(n))
        for off in offsets:
            chat_id += 1
            started = hour + timedelta(seconds=off)
            dept = rng.choices(depts, weights=DEPARTMENT_SHARE)[0]
            fact: dict[str, Any] = dict.fromkeys(FACT_COLUMNS)
            fact.update(chat_id=chat_id, department_id=dept, started_at=started, hour_at=hour, reply_n=0,
                        reply_sum_s=0.0, visitor_messages=1, agent_messages=0, transfers=0, escalations=0,
                        answered=False, missed=False, dropped=False)  # fmt: skip
            chat: dict[str, Any] = {
                "id": chat_id,
                "visitor_id": f"b{chat_id:031d}",
                "status": "closed",
                "assignee_id": None,
                "department_id": dept,
                "queued_at": started,
                "created_at": started,
                "assigned_at": None,
                "closed_by": "visitor",
                "missed": False,
                "rating": None,
                "rated_at": None,
            }
            if rng.random() < 0.06:  # the visitor gave up before anyone answered
                fact["missed"] = chat["missed"] = True
                fact["duration_s"] = _lognormal(rng, 70, 0.8)
            else:
                agent = rng.choice(agents[dept])
                wait = _lognormal(rng, 12, 1.0)
                first = wait + rng.uniform(3, 40)
                replies = rng.randint(1, 12)
                reply_mean = _lognormal(rng, 25, 0.7)
                handle = _lognormal(rng, 300, 0.7)
                fact.update(
                    answered=True,
                    agent_id=agent,
                    first_agent_id=agent,
                    queue_wait_s=wait,
                    first_response_s=first,
                    reply_n=replies,
                    reply_sum_s=replies * reply_mean,
                    reply_max_s=reply_mean * rng.uniform(1.0, 3.0),
                    handle_s=handle,
                    duration_s=first + handle * rng.uniform(1.2, 2.5),
                    visitor_messages=replies + rng.randint(0, 3),
                    agent_messages=replies + rng.randint(0, 4),
                    concurrency=rng.uniform(1.0, 3.0),
                    dropped=rng.random() < 0.04,
                )
                if rng.random() < 0.06:
                    fact["transfers"] = 1
                    fact["first_agent_id"] = rng.choice(agents[dept])
                if rng.random() < 0.02:
                    fact["escalations"] = 1
                chat["assignee_id"] = agent
                chat["assigned_at"] = started + timedelta(seconds=wait)
                chat["closed_by"] = "agent" if rng.random() < 0.7 else "visitor"
            ended = started + timedelta(seconds=fact["duration_s"])
            fact["ended_at"] = chat["closed_at"] = ended
            fact["computed_at"] = ended + timedelta(seconds=5)
            if fact["answered"] and rng.random() < 0.3:
                fact["rating"] = chat["rating"] = rng.choices((1, 2, 3, 4, 5), weights=(5, 4, 8, 25, 58))[0]
                chat["rated_at"] = ended + timedelta(seconds=30)
            if fact["answered"] and rng.random() < 0.03:
                fact["review_score"] = round(rng.uniform(2.0, 5.0), 1)
            if rng.random() < 0.1:
                fact["invitation_id"] = chat_id  # no FK on chat_facts.invitation_id; only the count is read
            yield chat, fact


class Rollups:
    """The metric_hours rows of one UTC hour: sums of rollup_increments per (department, agent)."""

    def __init__(self) -> None:
        from frontdesk.domain.metrics import rollup_increments

        self.increments = rollup_increments
        self.hour: datetime | None = None
        self.rows: dict[tuple[int, int], dict[str, float]] = {}

    def add(self, fact: dict[str, Any]) -> list[dict[str, Any]]:
        """Count a fact in; returns the finished hour's rows when the hour changes."""
        done: list[dict[str, Any]] = []
        if fact["hour_at"] != self.hour:
            done = self.flush()
            self.hour = fact["hour_at"]
        key = (fact["department_id"] or 0, fact["agent_id"] or 0)
        row = self.rows.setdefault(key, {})
        for column, value in self.increments(fact).items():
            row[column] = row.get(column, 0) + value
        return done

    def flush(self) -> list[dict[str, Any]]:
        out = [
            {"hour_at": self.hour, "department_id": d, "agent_id": a, **values}
            for (d, a), values in sorted(self.rows.items())
        ]
        self.rows = {}
        return out


def metric_hour_columns() -> list[str]:
    from frontdesk.store.models import metric_hours

    return [c.name for c in metric_hours.columns]


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(1e-9, time.perf_counter() - started)
    print(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


# -- seeding --------------------------------------------------------------------------------------
async def migrate(url: str) -> None:
    from frontdesk.store.db import Database
    from frontdesk.store.migrate import upgrade

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


def _ts(value: datetime | None) -> str | None:
    """As SQLAlchemy stores DateTime on SQLite."""
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def people(now: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
    users: list[tuple[Any, ...]] = [(1, "admin@bench.example", "Admin", "admin", now)]
    members = []
    for dept, ids in agents_of().items():
        for uid in ids:
            users.append((uid, f"agent{uid}@bench.example", f"Agent {uid}", "agent", now))
            members.append((dept, uid))
    return users, members


def batches(total: int, start: datetime, end: datetime, size: int) -> Iterator[tuple[list, list, list]]:
    """(chats, facts, finished metric_hours rows) in batches of about `size` chats."""
    rollups = Rollups()
    chats_, facts, hours = [], [], []
    for chat, fact in chats(total, start, end):
        hours += rollups.add(fact)
        chats_.append(chat)
        facts.append(fact)
        if len(chats_) >= size:
            yield chats_, facts, hours
            chats_, facts, hours = [], [], []
    yield chats_, facts, hours + rollups.flush()


def seed_sqlite(path: Path, total: int, start: datetime, end: datetime) -> dict[str, Any]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-200000")
    now = _ts(start)
    users, members = people(start)
    db.execute("BEGIN")
    for i, (slug, _n) in enumerate(DEPARTMENTS[1:], start=2):
        db.execute(
            "INSERT INTO departments (id, slug, name, created_at) VALUES (?, ?, ?, ?)", (i, slug, slug.title(), now)
        )
    db.executemany(
        "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', ?)",
        [(*u[:4], now) for u in users],
    )
    db.executemany("INSERT OR IGNORE INTO department_members (department_id, user_id) VALUES (?, ?)", members)
    db.execute("COMMIT")
    hour_cols = metric_hour_columns()
    started = time.perf_counter()
    done = hour_rows = 0
    chat_sql = f"INSERT INTO chats ({', '.join(CHAT_COLUMNS)}) VALUES ({', '.join('?' * len(CHAT_COLUMNS))})"
    fact_sql = f"INSERT INTO chat_facts ({', '.join(FACT_COLUMNS)}) VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
    hour_sql = f"INSERT INTO metric_hours ({', '.join(hour_cols)}) VALUES ({', '.join('?' * len(hour_cols))})"

    def value(v: Any) -> Any:
        return _ts(v) if isinstance(v, datetime) else v

    for rows, facts, hours in batches(total, start, end, 20_000):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO visitors (id, created_at) VALUES (?, ?)",
            [(c["visitor_id"], _ts(c["created_at"])) for c in rows],
        )
        db.executemany(chat_sql, [tuple(value(c.get(k)) for k in CHAT_COLUMNS) for c in rows])
        db.executemany(fact_sql, [tuple(value(f[k]) for k in FACT_COLUMNS) for f in facts])
        db.executemany(hour_sql, [tuple(value(h.get(k, 0)) for k in hour_cols) for h in hours])
        db.execute("COMMIT")
        done += len(rows)
        hour_rows += len(hours)
        progress("sqlite chats", done, total, started)
    print(file=sys.stderr)
    db.execute("ANALYZE")
    db.execute("PRAGMA optimize")
    seconds = time.perf_counter() - started
    db.close()
    return {
        "seconds": round(seconds, 1),
        "chats": done,
        "metric_hours_rows": hour_rows,
        "size_mb": round(path.stat().st_size / 2**20),
    }


async def seed_postgres(url: str, total: int, start: datetime, end: datetime) -> dict[str, Any]:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username or "postgres", password=u.password, database=u.database
    )
    users, members = people(start)
    hour_cols = metric_hour_columns()
    try:
        await conn.executemany(
            "INSERT INTO departments (id, slug, name, created_at) VALUES ($1, $2, $3, $4)",
            [(i, s, s.title(), start) for i, (s, _n) in enumerate(DEPARTMENTS[1:], start=2)],
        )
        await conn.executemany(
            "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, 'x', $5)",
            users,
        )
        await conn.executemany(
            "INSERT INTO department_members (department_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", members
        )
        started = time.perf_counter()
        done = hour_rows = 0
        for rows, facts, hours in batches(total, start, end, 50_000):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "visitors", records=[(c["visitor_id"], c["created_at"]) for c in rows], columns=["id", "created_at"]
                )
                await conn.copy_records_to_table(
                    "chats", records=[tuple(c.get(k) for k in CHAT_COLUMNS) for c in rows], columns=list(CHAT_COLUMNS)
                )
                await conn.copy_records_to_table(
                    "chat_facts", records=[tuple(f[k] for k in FACT_COLUMNS) for f in facts], columns=list(FACT_COLUMNS)
                )
                await conn.copy_records_to_table(
                    "metric_hours",
                    records=[tuple(_pg_value(k, h.get(k, 0)) for k in hour_cols) for h in hours],
                    columns=hour_cols,
                )
            done += len(rows)
            hour_rows += len(hours)
            progress("postgres chats", done, total, started)
        print(file=sys.stderr)
        for table_ in ("chats", "departments", "users"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table_}', 'id'), (SELECT max(id) FROM {table_}))"
            )
        await conn.execute("VACUUM ANALYZE")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
        return {
            "seconds": round(time.perf_counter() - started, 1),
            "chats": done,
            "metric_hours_rows": hour_rows,
            "size_mb": round(size / 2**20),
        }
    finally:
        await conn.close()


_FLOAT_COLUMNS: set[str] = set()


def _pg_value(column: str, v: Any) -> Any:
    """COPY is strict about types: integer columns get ints, float columns floats."""
    if not _FLOAT_COLUMNS:
        from sqlalchemy import Float

        from frontdesk.store.models import metric_hours

        _FLOAT_COLUMNS.update(c.name for c in metric_hours.columns if isinstance(c.type, Float))
    if isinstance(v, datetime):
        return v
    return float(v) if column in _FLOAT_COLUMNS else int(v)


# -- the command ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--chats", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="seed the SQLite database into DIR and keep it")
    parser.add_argument("--reuse", type=Path, help="measure the SQLite database seeded into DIR before")
    parser.add_argument("--seed-only", action="store_true", help="seed (with --keep) and stop")
    parser.add_argument("--nice", type=int, default=0, help="the session's autogroup nice while measuring")
    args = parser.parse_args()
    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    out: dict[str, Any] = {"chats": args.chats, "runs": args.runs, "machine": machine(), "backends": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            out["backends"][backend] = await run_backend(backend, args, Path(tmp))
    if args.seed_only:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"reports-{stamp}.json").write_text(json.dumps(out, indent=2, default=str))
    print(table(out))


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "loadavg_before": os.getloadavg()}  # fmt: skip


async def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    start, end = span()
    if backend == "sqlite":
        path = (args.reuse or args.keep or tmp) / "reports.db"
        url = f"sqlite:///{path}"
        if args.reuse and path.exists():
            seed: dict[str, Any] = {"reused": str(path)}
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            await migrate(url)
            print(f"seeding SQLite at {path}", file=sys.stderr)
            seed = await asyncio.to_thread(seed_sqlite, path, args.chats, start, end)
        if args.seed_only:
            return {"seed": seed}
        print(f"measuring SQLite ({args.runs} runs per report)", file=sys.stderr)
        return {"seed": seed, **await measure(url, args, tmp, [])}
    base = postgres_server_url()
    if base is None:
        raise SystemExit("--backend postgres needs FRONTDESK_TEST_POSTGRES_URL (run through scripts/test-services.sh)")
    url = await fresh_postgres_url(base)
    try:
        await migrate(url)
        print("seeding PostgreSQL", file=sys.stderr)
        seed = await seed_postgres(url, args.chats, start, end)
        print(f"measuring PostgreSQL ({args.runs} runs per report)", file=sys.stderr)
        return {"seed": seed, **await measure(url, args, tmp, await postgres_backend_pids(url))}
    finally:
        await drop_postgres_database(url)


async def measure(url: str, args: argparse.Namespace, tmp: Path, server_pids: list[int]) -> dict[str, Any]:
    if not args.nice:
        return await _measure(url, args, tmp)
    with session_priority(args.nice) as how:  # only while measuring
        print(f"  priority: {how}", file=sys.stderr)
        result = await _measure(url, args, tmp)
        result["priority"] = how
        return result


# -- measuring ------------------------------------------------------------------------------------
@dataclass
class Report:
    name: str
    call: Callable[[Any, Any, dict[str, Any]], Awaitable[Any]]  # (ctx, actor, range params)
    ranged: bool = True  # the dashboard is "now and today": one row


def reports() -> list[Report]:
    from frontdesk.actions import goals, report_extra
    from frontdesk.actions import reports as r

    def rep(fn: Any, **extra: Any) -> Callable[[Any, Any, dict[str, Any]], Awaitable[Any]]:
        return lambda ctx, actor, rng: fn(ctx=ctx, actor=actor, **rng, **extra)

    return [
        Report("summary", rep(r.summary_report)),
        Report("volume by day", rep(r.volume_report, interval="day")),
        Report("times by day", rep(r.times_report, interval="day")),
        Report("agents", rep(r.agents_report)),
        Report("departments", rep(r.departments_report)),
        Report("heatmap (chats)", rep(r.heatmap_report, metric="chats")),
        Report("heatmap (wait p90)", rep(r.heatmap_report, metric="wait_p90")),
        Report("goals (department 1)", rep(goals.goals_report, department_id=1)),
        Report("drill-down, first page (missed)", rep(r.chats_report, outcome="missed")),
        Report("drill-down, first page (duration > 600 s)", rep(r.chats_report, metric="duration", min_s=600)),
        Report("summary, one department", rep(r.summary_report, department_id=2)),
        Report("summary, one agent", rep(r.summary_report, agent_id=5)),
        Report("dashboard", lambda ctx, actor, _rng: report_extra.dashboard(ctx=ctx, actor=actor, department_id=None),
               ranged=False),
    ]  # fmt: skip


def ranges() -> dict[str, dict[str, str]]:
    """A year, the last 30 days, and the busiest weekday of the last week (local dates, UTC)."""
    start, end = span()
    last = (end - timedelta(days=1)).date()
    day = last
    while day.weekday() not in (1, 2):  # a Tuesday or Wednesday
        day -= timedelta(days=1)
    return {
        "year": {"since": start.date().isoformat(), "until": last.isoformat(), "tz": "UTC"},
        "month": {"since": (last - timedelta(days=29)).isoformat(), "until": last.isoformat(), "tz": "UTC"},
        "day": {"since": day.isoformat(), "until": day.isoformat(), "tz": "UTC"},
    }


async def _measure(url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from frontdesk.actions import goals
    from frontdesk.actions.context import AgentActor, Context
    from frontdesk.bus.memory import InProcessBus
    from frontdesk.config import Settings
    from frontdesk.domain.chat_rules import ChatRuleError
    from frontdesk.store.db import Database

    db = Database(url)
    ctx = Context(db=db, settings=Settings(data_dir=tmp), bus=InProcessBus())
    admin = AgentActor(1, "Admin", "admin")
    goal_list = [
        {"metric": "service_level", "target": 0.8, "seconds": 30},
        {"metric": "missed_share", "target": 0.05},
    ]
    await goals.do_set_goals(ctx=ctx, actor=admin, department_id=1, goals=goal_list)
    rows: list[dict[str, Any]] = []
    server_pids = await postgres_backend_pids(url) if url.startswith("postgres") else []
    meter = CpuMeter({"bench": [os.getpid()], "database": server_pids})
    meter.start()
    try:
        for report in reports():
            for label, rng in ranges().items() if report.ranged else [("now", {})]:
                times: list[float] = []
                cpus: list[float] = []  # CPU seconds of this process and the database server per call
                stopped = None
                server_pids = await postgres_backend_pids(url) if url.startswith("postgres") else []
                for i in range(args.runs + 1):
                    t0, c0 = time.perf_counter(), _cpu(server_pids)
                    try:
                        await report.call(ctx, admin, rng)
                    except ChatRuleError as exc:  # the reports' time budget (actions/reports.py)
                        stopped = f"{exc.code}: {exc}"
                        times.append(time.perf_counter() - t0)
                        cpus.append(_cpu(server_pids) - c0)
                        break
                    if i:  # the first run warms caches
                        times.append(time.perf_counter() - t0)
                        cpus.append(_cpu(server_pids) - c0)
                row = {"report": report.name, "range": label, "median_s": round(statistics.median(times), 3),
                       "max_s": round(max(times), 3), "cpu_s": round(statistics.median(cpus), 3),
                       "stopped": stopped}  # fmt: skip
                rows.append(row)
                print(f"  {report.name:<44} {label:<6} {row['median_s']:>7.3f} s (max {row['max_s']:.3f}, "
                      f"CPU {row['cpu_s']:.3f} s)",
                      file=sys.stderr, flush=True)  # fmt: skip
    finally:
        cpu = meter.stop()
        await db.dispose()
    http = await over_http(url, args, tmp)
    return {"reports": rows, "cpu": cpu, "http": http, "loadavg_after": os.getloadavg()}


def _cpu(pids: list[int]) -> float:
    """CPU seconds used so far by this process (all threads: aiosqlite's too) and `pids`."""
    return time.process_time() + sum(proc_cpu_seconds(p) or 0.0 for p in pids)


async def over_http(url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The year's summary fetched from a running `frontdesk serve` with an API token."""
    import httpx

    server = FrontdeskProcess(tmp / "http", url)
    (tmp / "http").mkdir(exist_ok=True)
    await server.start()
    try:
        email = f"http-admin-{os.getpid()}@bench.example"
        await server.cli("user", "create", "--email", email, "--name", "HTTP admin", "--role", "admin",
                         "--password", "a-long-enough-password")  # fmt: skip
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=60) as http:
            r = await http.post("/api/v1/auth/login", json={"email": email, "password": "a-long-enough-password"})
            r.raise_for_status()
            rng = ranges()["year"]
            params = {"from": rng["since"], "to": rng["until"], "tz": "UTC"}
            times = []
            for i in range(args.runs + 1):
                t0 = time.perf_counter()
                r = await http.get("/api/v1/reports/summary", params=params)
                r.raise_for_status()
                if i:
                    times.append(time.perf_counter() - t0)
        return {"report": "summary (HTTP)", "range": "year", "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3), "chats": r.json().get("figures", r.json()).get("chats")}  # fmt: skip
    finally:
        await server.stop()


def table(out: dict[str, Any]) -> str:
    backends = list(out["backends"])
    head = "| report | range | " + " | ".join(f"{b}: median (max) wall, CPU, s" for b in backends) + " |"
    lines = [head, "|" + " --- |" * (len(backends) + 2)]
    first = out["backends"][backends[0]]["reports"]
    for i, row in enumerate(first):
        cells = []
        for b in backends:
            r = out["backends"][b]["reports"][i]
            mark = " **stopped at 20 s**" if r.get("stopped") else "" if r["median_s"] < AIM_S[b] else " **over**"
            cells.append(f"{r['median_s']:.3f} ({r['max_s']:.3f}), {r.get('cpu_s', 0):.3f}{mark}")
        lines.append(f"| {row['report']} | {row['range']} | " + " | ".join(cells) + " |")
    cells = [
        f"{out['backends'][b]['http']['median_s']:.3f} ({out['backends'][b]['http']['max_s']:.3f})" for b in backends
    ]
    lines.append("| summary over HTTP (login cookie) | year | " + " | ".join(cells) + " |")
    for b in backends:
        lines.append(
            f"\n{b}: CPU during the measurement {out['backends'][b]['cpu']}; seed {out['backends'][b]['seed']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
