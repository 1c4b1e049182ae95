"""Page views through real visitor sockets: the tracking write path's cost on one node.

    .venv/bin/python -m bench.tracking_page_views [--visitors 500] [--seconds 20]
    bash scripts/test-services.sh bash -c \\
        '.venv/bin/python -m bench.tracking_page_views --database-url "$FRONTDESK_TEST_POSTGRES_URL"'

1. A fresh database (SQLite in a temp dir, or the URL given: its tables must not exist yet),
   migrated, with --visitors visitors made through `actions.visitors.do_create_visitor`.
2. `frontdesk serve` on a free port (one worker, uvloop), the tracking mode `on`.
3. Each visitor opens a socket as the widget does: a hello with a page and `track`, from behind
   a trusted proxy (`X-Forwarded-For`, a public address), with a desktop Chrome User-Agent.
4. Each sends one `page.view` a second (with `prev_visible_ms`) for --seconds seconds, spread
   evenly: --visitors page views a second (within the per-visitor limit of one a second).
5. Reported: page views sent and per second, the server process's CPU time (user + system,
   from /proc) over the run and per page view, its resident memory, error frames received, and
   the page views stored (hello pages included) once the sockets closed.

The database server's own CPU (PostgreSQL) is not counted. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection, connect

SECRET = "bench-secret"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
    return 0


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "frontdesk", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


async def make_visitors(url: str, data_dir: Path, count: int) -> list[str]:
    from frontdesk.actions.context import Context
    from frontdesk.actions.visitors import do_create_visitor
    from frontdesk.bus.memory import InProcessBus
    from frontdesk.config import Settings
    from frontdesk.store.db import Database
    from frontdesk.store.migrate import upgrade

    settings = Settings(data_dir=data_dir, database_url=url, secret_key=SECRET)
    db = Database(settings.resolved_database_url())
    try:
        await upgrade(db)
        ctx = Context(db=db, settings=settings, bus=InProcessBus())
        return [(await do_create_visitor(ctx=ctx))[1] for _ in range(count)]
    finally:
        await db.dispose()


async def stored_page_views(url: str) -> int:
    from frontdesk.store.db import Database

    db = Database(url)
    try:
        async with db.read() as conn:
            return int((await conn.execute(sa.text("SELECT count(*) FROM page_views"))).scalar_one())
    finally:
        await db.dispose()


async def run(visitors: int, seconds: int, url: str | None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    url = url or f"sqlite:///{data_dir / 'frontdesk.db'}"
    tokens = await make_visitors(url, data_dir, visitors)
    port = free_port()
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_DATABASE_URL": url,
        "FRONTDESK_SECRET_KEY": SECRET,
        "FRONTDESK_LOG_LEVEL": "warning",
    }
    server = start_server(port, env)
    sockets: list[ClientConnection] = []
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        for token in tokens:
            ws = await connect(
                f"ws://127.0.0.1:{port}/api/v1/widget/ws",
                additional_headers={"X-Forwarded-For": "81.2.69.160", "User-Agent": USER_AGENT},
            )
            page = {"url": "https://shop.test/", "title": "Shop"}
            await ws.send(orjson.dumps({"type": "hello", "v": 1, "token": token, "page": page, "track": {}}).decode())
            await ws.recv()
            sockets.append(ws)
        errors = 0

        async def drain(ws: ClientConnection) -> None:
            nonlocal errors
            try:
                async for message in ws:
                    errors += '"type":"error"' in (message if isinstance(message, str) else message.decode())
            except Exception:  # closed at the end
                return

        drains = [asyncio.create_task(drain(ws)) for ws in sockets]
        await asyncio.sleep(2)  # the hellos' batch written
        cpu_before, started, sent = cpu_seconds(server.pid), time.monotonic(), 0

        async def browse(i: int, ws: ClientConnection) -> None:
            nonlocal sent
            await asyncio.sleep(i / visitors)
            for k in range(seconds):
                frame = {"type": "page.view", "url": f"https://shop.test/p/{k}", "title": f"Product {k}"}
                await ws.send(orjson.dumps({**frame, "prev_visible_ms": 900}).decode())
                sent += 1
                await asyncio.sleep(1.0)

        await asyncio.gather(*(browse(i, ws) for i, ws in enumerate(sockets)))
        await asyncio.sleep(1)  # the last batch
        cpu, wall = cpu_seconds(server.pid) - cpu_before, time.monotonic() - started
        rss = rss_bytes(server.pid)
        for ws in sockets:
            await ws.close()
        for task in drains:
            task.cancel()
        await asyncio.sleep(1)
    finally:
        stop_server(server)
    return {
        "database": url.split(":", 1)[0],
        "visitors": visitors,
        "page_views": sent,
        "per_second": round(sent / wall),
        "server_cpu_seconds": round(cpu, 2),
        "cpu_per_page_view_us": round(cpu / max(sent, 1) * 1e6),
        "server_cpu_share_of_a_core": round(cpu / wall, 3),
        "server_rss_mib": round(rss / 2**20),
        "error_frames": errors,
        "page_views_stored": await stored_page_views(url),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.visitors, args.seconds, args.database_url)), indent=1))


if __name__ == "__main__":
    main()
