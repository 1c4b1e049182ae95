"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

On SQLite every write transaction starts with BEGIN IMMEDIATE through a single pooled
connection, so writers queue in-process instead of failing on lock upgrades, and readers use
their own connections (WAL lets them run beside the writer). On PostgreSQL both are one pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


def async_url(url: str) -> str:
    """Accept URLs as people write them (sqlite:///x.db, postgres://...) and pick async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}; use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def private_sqlite_file(path: Path) -> None:
    """The database file exists with mode 600 before SQLite opens it: SQLite gives its -wal and
    -shm files the database file's mode. Files an older version left readable are chmod'ed."""
    from frontdesk.store.files import create_private, make_private, private_dir

    if not path.parent.exists():
        private_dir(path.parent)
    with contextlib.suppress(FileExistsError), create_private(path):
        pass
    for suffix in ("", "-wal", "-shm", "-journal"):
        make_private(path.with_name(path.name + suffix))


class Database:
    def __init__(self, url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.busy_timeout_ms = busy_timeout_ms
        if self.is_sqlite:
            path = make_url(self.url).database
            if path and path != ":memory:":
                private_sqlite_file(Path(path))
            self.write_engine = self._sqlite_engine(immediate=True, pool_size=1, echo=echo)
            self.read_engine = self._sqlite_engine(immediate=False, pool_size=4, echo=echo)
        else:
            self.write_engine = create_async_engine(
                self.url,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                echo=echo,
                # asyncpg's reset-on-release costs a round trip per checkout.
                pool_reset_on_return="rollback",
                connect_args={"server_settings": {"application_name": "frontdesk"}},
            )
            self.read_engine = self.write_engine

    def _sqlite_engine(self, *, immediate: bool, pool_size: int, echo: bool) -> AsyncEngine:
        engine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=30,
            echo=echo,
            connect_args={"timeout": self.busy_timeout_ms / 1000},
        )
        busy = self.busy_timeout_ms

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy)}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed on exit, rolled back on error."""
        async with self.write_engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


async def ping(conn: AsyncConnection) -> None:
    """The cheapest round trip to the database (the readiness check)."""
    await conn.execute(text("SELECT 1"))
