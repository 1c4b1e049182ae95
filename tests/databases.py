"""Migrated databases for tests, made by copying: the migrations run once per test process.

Every `ctx` and every server in the suite wants a new database at the schema's head. Running
the Alembic migrations for each of them cost ~0.5 s of CPU plus a few dozen committed DDL
statements, hundreds of times per backend. Instead the first request of a process migrates a
template with the real `upgrade` (the same code `frontdesk migrate` and the server's start-up
run), and each later one gets a copy of it:

- SQLite: the template file, copied (it is closed, so it holds no WAL);
- PostgreSQL: `CREATE DATABASE ... TEMPLATE` the migrated one (PostgreSQL copies its files).

Callers still run `upgrade` on their copy (the server does at start-up, `ctx` does too): with
the schema at head it only reads the version, so a template behind the migrations would still
be brought up to date. Plain helper module: no fixtures.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from frontdesk.store.db import Database
from frontdesk.store.migrate import upgrade
from tests.services import postgres_url

_templates: dict[str, str] = {}  # backend -> SQLite template path or PostgreSQL template name
_lock = asyncio.Lock()


async def _admin():  # type: ignore[no-untyped-def]
    import asyncpg

    base = make_url(postgres_url())
    return await asyncpg.connect(
        host=base.host, port=base.port or 5432, user=base.username or "postgres", database=base.database
    )


def _pg_url(name: str) -> str:
    return make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)


def _new_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def _template(backend: str) -> str:
    async with _lock:
        if backend in _templates:
            return _templates[backend]
        if backend == "postgres":
            name = _new_name("fd_template")
            admin = await _admin()
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            await _migrate(_pg_url(name))
        else:
            folder = tempfile.mkdtemp(prefix="frontdesk-template-")
            atexit.register(shutil.rmtree, folder, True)
            name = str(Path(folder) / "frontdesk.db")
            await _migrate(f"sqlite:///{name}")
            leftovers = [p for p in Path(folder).iterdir() if p.name != "frontdesk.db"]
            assert not leftovers, f"the SQLite template was not closed cleanly: {leftovers}"
        _templates[backend] = name
        return name


async def migrated_database_url(backend: str, tmp_path: Path) -> str:
    """A new database of its own, at the schema's head: SQLite in tmp_path, or PostgreSQL."""
    template = await _template(backend)
    if backend != "postgres":
        path = tmp_path / "frontdesk.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    name = _new_name("fd")
    admin = await _admin()
    try:
        for attempt in range(50):
            try:
                await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except Exception as exc:  # the template's last connection may still be closing
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await admin.close()
    return _pg_url(name)
