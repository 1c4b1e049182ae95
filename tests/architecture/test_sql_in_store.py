"""SQL is built in frontdesk/store only (docs/architecture/storage.md), read from the source with
`ast`: outside frontdesk/store a module may import from SQLAlchemy only its exceptions
(`sqlalchemy.exc`, to map a constraint or an unreachable database to a ChatRuleError) and the
connection type (`sqlalchemy.ext.asyncio`). Statement builders (select, insert, update, delete,
text, dialects) stay in the store's functions, which actions call inside their transaction.

SQL_RATCHET lists files allowed to offend while they are being moved (empty now); it only shrinks:
an entry that no longer offends fails the test - delete it."""

from __future__ import annotations

from tests.architecture.source import imports_of, python_files, rel, within

ALLOWED = ("sqlalchemy.exc", "sqlalchemy.ext.asyncio")

# Files outside frontdesk/store that still build SQL. Only remove entries (today: none).
SQL_RATCHET: set[str] = set()


def sql_builders() -> dict[str, list[tuple[int, str]]]:
    """file -> [(line, module)] of SQLAlchemy imports other than ALLOWED, outside frontdesk/store."""
    found: dict[str, list[tuple[int, str]]] = {}
    for path in python_files("frontdesk"):
        file = rel(path)
        if file.startswith("frontdesk/store/"):
            continue
        for line, name in imports_of(path):
            if within(name, "sqlalchemy") and not any(within(name, ok) for ok in ALLOWED):
                found.setdefault(file, []).append((line, name))
    return found


def test_sql_is_built_only_in_the_store() -> None:
    bad = {f: sites for f, sites in sql_builders().items() if f not in SQL_RATCHET}
    assert not bad, "SQL outside frontdesk/store (move the statement into a store function):\n" + "\n".join(
        f"  {f}:{line}: import {name}" for f, sites in sorted(bad.items()) for line, name in sites
    )


def test_sql_ratchet_only_shrinks() -> None:
    gone = sorted(SQL_RATCHET - sql_builders().keys())
    assert not gone, "no longer builds SQL - delete from SQL_RATCHET: " + ", ".join(gone)
