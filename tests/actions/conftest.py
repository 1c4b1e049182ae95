"""Fixtures for action tests. `ctx` (tests/conftest.py) is a migrated database per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
import pytest_asyncio

from frontdesk.actions.context import Context, Outbox
from frontdesk.actions.group_commit import GroupCommitWriter
from tests.frames import publish_problem


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
def _published_frames_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every frame an action queues for the bus matches its schema in the frame catalogue, and
    nothing for agents only (internal events, summaries, annotations) goes to a visitor's
    topic. Checked where frames are queued (`Outbox.add`): the app pays nothing for it."""
    problems: list[str] = []
    add = Outbox.add

    def checked_add(self: Outbox, topics: list[str], frame: Mapping[str, Any]) -> None:
        problem = publish_problem(topics, frame)
        if problem:
            problems.append(problem)
            raise AssertionError(f"published frame off the catalogue: {problem}")
        add(self, topics, frame)

    monkeypatch.setattr(Outbox, "add", checked_add)
    yield
    assert not problems, "published frames off the catalogue:\n" + "\n".join(problems)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Action tests create many users: hash their passwords with argon2's cheapest settings."""
    from frontdesk.security import passwords
    from tests.actions.routing_support import FAST_HASHER

    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)
