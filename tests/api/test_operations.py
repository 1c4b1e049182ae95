"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import httpx
import pytest

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
