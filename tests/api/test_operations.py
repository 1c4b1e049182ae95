"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import stat

import httpx
import pytest

from frontdesk.observability import metrics_refusal
from tests import files
from tests.clients import VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_health_readiness_and_metrics(server, duty_agent):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("metrics please"))["chat_id"]
    await visitor.send("a second message")  # joins a group commit (the chat is known now)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/healthz")).json()["ok"] is True
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "ok"
        text = (await http.get("/metrics")).text
    assert 'frontdesk_connections{kind="visitor"}' in text
    assert 'frontdesk_connections{kind="agent"}' in text
    assert 'frontdesk_queue_length{department="general"}' in text
    assert "frontdesk_group_commit_batch_size_count" in text
    assert "frontdesk_event_bus_lag_seconds" in text
    stored = [line for line in text.splitlines() if line.startswith('frontdesk_messages_total{author="visitor"}')]
    assert stored and float(stored[0].split()[-1]) >= 1
    assert chat_id
    await visitor.close()


async def test_metrics_without_a_token_answer_only_direct_requests_from_this_machine(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/metrics")).status_code == 200  # loopback, no proxy in between
        for header in ({"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=x"}):
            r = await http.get("/metrics", headers=header)
            assert r.status_code == 403, header
            assert r.json()["error"]["code"] == "forbidden" and "frontdesk_" not in r.text


async def test_metrics_access_rule():
    direct = {"client": ("127.0.0.1", 5000), "headers": []}
    proxied = {"client": ("127.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"198.51.100.1")]}
    remote = {"client": ("198.51.100.1", 5000), "headers": []}
    assert metrics_refusal(direct, None) is None and metrics_refusal({**direct, "client": ("::1", 1)}, None) is None
    assert metrics_refusal(proxied, None)[:2] == (403, "forbidden")  # type: ignore[index]
    assert metrics_refusal(remote, None)[:2] == (403, "forbidden")  # type: ignore[index]
    assert metrics_refusal({"client": None, "headers": []}, None)[:2] == (403, "forbidden")  # type: ignore[index]
    # With a token, the token decides, wherever the request comes from.
    bearer = [(b"authorization", b"Bearer s3cret")]
    assert metrics_refusal({**remote, "headers": bearer}, "s3cret") is None
    assert metrics_refusal({**proxied, "headers": [*proxied["headers"], *bearer]}, "s3cret") is None
    assert metrics_refusal(direct, "s3cret")[:2] == (401, "unauthorized")  # type: ignore[index]
    assert metrics_refusal({**remote, "headers": [(b"authorization", b"Bearer nope")]}, "s3cret")[0] == 401  # type: ignore[index]


async def test_the_data_directory_is_private_after_serving_and_an_upload(server, duty_agent):
    """`frontdesk serve` (umask 077 and explicit modes): database, WAL, key, uploads: no group or
    other permission bits. The server's log file is the test harness's, not the server's."""
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    await visitor.send("a file follows")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post(
            "/api/v1/widget/attachments",
            files={"file": ("photo.png", files.png(30, 30), "image/png")},
            headers={"X-Visitor-Token": visitor.token or ""},
        )
    assert r.status_code == 201, r.text
    await visitor.close()
    root = server.data_dir
    found = [p for p in root.rglob("*") if not p.name.startswith("server-")]
    assert any(p.is_file() and p.parent.parent.name == "attachments" for p in found)
    if server.backend == "sqlite":
        assert (root / "frontdesk.db").exists() and (root / "frontdesk.db-wal").exists()
    loose = [f"{p.relative_to(root)} {stat.filemode(p.stat().st_mode)}" for p in found if p.stat().st_mode & 0o077]
    assert loose == []
