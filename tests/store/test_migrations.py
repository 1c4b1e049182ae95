"""The migrations build the schema models.py describes, on SQLite and PostgreSQL, and 0010
(live visitors and invitations), 0011 (analytics) and 0012 (staffing) go down and up again cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from frontdesk.store.db import Database
from frontdesk.store.migrate import alembic_config, upgrade
from frontdesk.store.models import Base
from tests.conftest import BACKENDS, fresh_postgres_url

NEW_TABLES = {
    "visits",
    "page_views",
    "invitation_rules",
    "invitations",  # 0010
    "chat_facts",
    "metric_hours",
    "agent_activity",
    "department_goals",  # 0011
    "offices",
    "office_holidays",
    "rotations",
    "staffing_plans",
    "shifts",  # 0012
}


async def _empty_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        return await fresh_postgres_url()
    return f"sqlite:///{tmp_path / 'fresh.db'}"


def _relevant(diff: object, dialect: str) -> bool:
    """Differences in the tables 0010 and 0011 touch (older migrations are not this test's business)."""
    text = repr(diff)
    if dialect == "sqlite" and diff[0] in ("add_fk", "remove_fk") and "invitation_id" in text:  # type: ignore[index]
        # SQLAlchemy reads ON DELETE only from FOREIGN KEY table constraints, not from the inline
        # REFERENCES of an added column; the test reads PRAGMA foreign_key_list instead.
        return False
    return any(name in text for name in (*NEW_TABLES, "'visitors'", "'users'", "'chats'"))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_0010_and_0011_match_the_models_and_downgrade(backend: str, tmp_path: Path) -> None:
    db = Database(await _empty_url(backend, tmp_path))
    try:
        await upgrade(db)

        def diff(sync_conn) -> list:
            context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
            name = sync_conn.dialect.name
            return [d for d in compare_metadata(context, Base.metadata) if _relevant(d, name)]

        def tables(sync_conn) -> set[str]:
            return set(sa.inspect(sync_conn).get_table_names())

        async with db.write() as conn:
            differences = await conn.run_sync(diff)
            assert await conn.run_sync(tables) >= NEW_TABLES
        assert differences == []
        if backend == "sqlite":
            async with db.write() as conn:
                keys = (await conn.execute(sa.text("PRAGMA foreign_key_list(chats)"))).all()
            assert ("invitations", "invitation_id", "SET NULL") in {(k[2], k[3], k[6]) for k in keys}
            async with db.write() as conn:
                ddl = (
                    await conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'metric_hours'"))
                ).scalar()
            assert ddl is not None and ddl.rstrip().upper().endswith("WITHOUT ROWID"), ddl  # read by key ranges

        def down(sync_conn) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = sync_conn
            command.downgrade(cfg, "0009")

        async with db.write() as conn:
            await conn.run_sync(down)
            assert not NEW_TABLES & await conn.run_sync(tables)
        await upgrade(db)
        async with db.write() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.dispose()
