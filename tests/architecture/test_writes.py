"""Where writes happen, read from the source with `ast`.

1. A write transaction is opened in one place: `unit_of_work` (frontdesk/actions/context.py),
   which maps an unreachable database to the retryable `unavailable` error and publishes the
   outbox only after the commit. Nothing else calls `<x>.db.write()` / `db.write()`, except the
   permanent exceptions in WRITE_ELSEWHERE and today's offenders in WRITE_RATCHET.
2. Writers in frontdesk/actions are named `do_*`. A writer is a public (no leading '_')
   module-level `async def` in frontdesk/actions/ whose own body opens a write transaction:
   it calls `unit_of_work(...)` or `<x>.db.write()`. Today's exceptions: WRITER_RATCHET.

Both ratchets only shrink: an entry that no longer offends fails the test - delete it.
"""

from __future__ import annotations

from tests.architecture.source import db_write_sites, is_writer, public_async_functions, python_files, rel

# (file, function) -> why it may open a write transaction itself, for good.
WRITE_ELSEWHERE: dict[tuple[str, str], str] = {
    ("frontdesk/actions/context.py", "unit_of_work"): "the unit of work itself",
    ("frontdesk/store/migrate.py", "upgrade"): "schema migrations (DDL) before any action runs; no outbox",
}

# Today's offenders (file, function): to be moved into unit_of_work. Only remove entries.
WRITE_RATCHET: set[tuple[str, str]] = set()

# Today's writers in frontdesk/actions not named do_* (file, function). Only remove entries.
WRITER_RATCHET: set[tuple[str, str]] = set()
# unit_of_work is the one public async function of actions/ that writes by definition.
WRITER_EXEMPT = {("frontdesk/actions/context.py", "unit_of_work")}


def write_sites() -> dict[tuple[str, str], list[int]]:
    sites: dict[tuple[str, str], list[int]] = {}
    for site in db_write_sites(python_files("frontdesk")):
        sites.setdefault(site.key, []).append(site.line)
    return sites


def writers_not_named_do() -> set[tuple[str, str]]:
    found = set()
    for path in python_files("frontdesk/actions"):
        for fn in public_async_functions(path):
            if is_writer(fn) and not fn.name.startswith("do_"):
                found.add((rel(path), fn.name))
    return found - WRITER_EXEMPT


def test_write_transactions_open_only_in_the_unit_of_work() -> None:
    sites = write_sites()
    bad = {key: lines for key, lines in sites.items() if key not in WRITE_ELSEWHERE and key not in WRITE_RATCHET}
    assert not bad, (
        "a write transaction opened outside unit_of_work (use `async with unit_of_work(ctx) as (conn, outbox)`):\n"
        + "\n".join(f"  {f}:{lines[0]} in {fn}()" for (f, fn), lines in sorted(bad.items()))
    )


def test_write_ratchet_only_shrinks() -> None:
    sites = write_sites()
    gone = sorted((WRITE_RATCHET | WRITE_ELSEWHERE.keys()) - sites.keys())
    assert not gone, "no longer opens a write transaction - delete from WRITE_RATCHET / WRITE_ELSEWHERE: " + ", ".join(
        f"{f}:{fn}" for f, fn in gone
    )


def test_writers_in_actions_are_named_do() -> None:
    bad = sorted(writers_not_named_do() - WRITER_RATCHET)
    assert not bad, (
        "a public async function in frontdesk/actions that writes (unit_of_work / db.write) must be named do_*:\n"
        + "\n".join(f"  {f}: {fn}()" for f, fn in bad)
    )


def test_writer_ratchet_only_shrinks() -> None:
    gone = sorted(WRITER_RATCHET - writers_not_named_do())
    assert not gone, "renamed or no longer a writer - delete from WRITER_RATCHET: " + ", ".join(
        f"{f}:{fn}" for f, fn in gone
    )
