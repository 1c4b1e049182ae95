"""The layers' import rules (docs/contributing.md, "How the code is laid out"), read from the
source with `ast`: nothing is imported, so a test cannot pass or fail by an import's side effects.

- frontdesk/domain: plain rules - no SQLAlchemy, no web framework, no store, actions or transport.
- frontdesk/presenters: rendering for people (transcripts): like domain, no I/O.
- frontdesk/store: SQL and files - never the layers above it (actions, realtime, api).
- transport (frontdesk/api, frontdesk/realtime): goes through frontdesk/actions, never the store
  (the few exceptions are listed in TRANSPORT_USES_STORE, each with its reason; an entry that no
  longer offends fails the test, so the list only shrinks).
"""

from __future__ import annotations

import pytest

from tests.architecture.source import imports_of, python_files, rel, within

# Pure layers: rules and rendering, no I/O, no framework.
PURE = (
    "sqlalchemy",
    "starlette",
    "fastapi",
    "frontdesk.store",
    "frontdesk.actions",
    "frontdesk.api",
    "frontdesk.realtime",
)

RULES: dict[str, tuple[str, ...]] = {
    "frontdesk/domain": PURE,
    "frontdesk/presenters": PURE,
    "frontdesk/store": ("frontdesk.actions", "frontdesk.realtime", "frontdesk.api"),
    "frontdesk/api": ("frontdesk.store",),
    "frontdesk/realtime": ("frontdesk.store",),
}

# (file, imported module) -> why it is allowed. Keep it short; fix the code rather than add here.
TRANSPORT_USES_STORE: dict[tuple[str, str], str] = {
    ("frontdesk/api/uploads.py", "frontdesk.store.files"): (
        "the streaming upload parser writes the incoming part straight to a mode-600 temp file "
        "(store.files.create_private); no SQL"
    ),
}


def excused(file: str, name: str) -> tuple[str, str] | None:
    """The TRANSPORT_USES_STORE entry that allows `file` to import `name`, if any."""
    for allowed_file, allowed_module in TRANSPORT_USES_STORE:
        if file == allowed_file and within(name, allowed_module):
            return allowed_file, allowed_module
    return None


def offenders(layer: str) -> list[tuple[str, int, str]]:
    """(file, line, module) for each import in `layer` that its rule forbids."""
    found = []
    for path in python_files(layer):
        for line, name in imports_of(path):
            if any(within(name, banned) for banned in RULES[layer]):
                found.append((rel(path), line, name))
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_only_what_its_rule_allows(layer: str) -> None:
    assert python_files(layer), f"{layer}: no source files found (moved? update RULES)"
    bad = [(f, line, name) for f, line, name in offenders(layer) if not excused(f, name)]
    assert not bad, f"{layer} may not import {', '.join(RULES[layer])}; found:\n" + "\n".join(
        f"  {f}:{line}: import {name}" for f, line, name in bad
    )


def test_transport_exceptions_are_not_stale() -> None:
    """Every TRANSPORT_USES_STORE entry still offends; remove the ones that no longer do."""
    actual = {excused(f, name) for layer in ("frontdesk/api", "frontdesk/realtime") for f, _, name in offenders(layer)}
    stale = sorted(set(TRANSPORT_USES_STORE) - actual)
    assert not stale, "no longer imported - delete from TRANSPORT_USES_STORE: " + ", ".join(map(str, stale))


# Test files in tests/domain that are not domain tests yet (to be moved). Only remove entries.
DOMAIN_TESTS_RATCHET: set[str] = set()


def domain_test_offenders() -> dict[str, list[str]]:
    """tests/domain/*.py that import frontdesk modules outside frontdesk.domain."""
    found: dict[str, list[str]] = {}
    for path in python_files("tests/domain"):
        names = [
            name
            for _, name in imports_of(path)
            if within(name, "frontdesk") and name != "frontdesk" and not within(name, "frontdesk.domain")
        ]
        if names:
            found[rel(path)] = names
    return found


def test_tests_domain_holds_only_domain_tests() -> None:
    """tests/domain runs in `make check` as the pure, quick layer: its tests import frontdesk.domain
    only. Tests of the wire catalogue, the hub, the API... live in their own folders."""
    bad = {f: names for f, names in domain_test_offenders().items() if f not in DOMAIN_TESTS_RATCHET}
    assert not bad, "move these out of tests/domain (they test more than frontdesk.domain):\n" + "\n".join(
        f"  {f}: {', '.join(sorted(set(n)))}" for f, n in bad.items()
    )
    stale = sorted(DOMAIN_TESTS_RATCHET - domain_test_offenders().keys())
    assert not stale, "moved or now pure - delete from DOMAIN_TESTS_RATCHET: " + ", ".join(stale)
