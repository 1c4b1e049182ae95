"""Fixtures for action tests. `ctx` (tests/conftest.py) is a migrated database per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from frontdesk.actions.context import Context
from frontdesk.actions.group_commit import GroupCommitWriter


@pytest.fixture(params=["direct", "group"])
def send_path(request: pytest.FixtureRequest) -> str:
    """Messages stored one transaction each, or through the group-commit writer the app runs."""
    return request.param


@pytest_asyncio.fixture(loop_scope="session")
async def sctx(ctx: Context, send_path: str) -> AsyncIterator[Context]:
    """`ctx` with the group-commit writer running ("group") or not running at all ("direct")."""
    original = ctx.writer
    started = None
    if send_path == "direct":
        if original is not None:
            await original.stop()
        ctx.writer = None
    elif original is None:
        started = ctx.writer = GroupCommitWriter(ctx)
        started.start()
    yield ctx
    if started is not None:
        await started.stop()
    ctx.writer = original


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Action tests create many users: hash their passwords with argon2's cheapest settings."""
    from frontdesk.security import passwords
    from tests.actions.routing_support import FAST_HASHER

    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
