"""The archive over HTTP against a real server: search, odd input, file headers, and an export
of a few thousand chats that arrives streamed, in pieces, not as one body."""

from __future__ import annotations

import csv
import io

import pytest

from frontdesk.store.db import Database
from tests.accounts import make_agent
from tests.actions.archive_support import XSS, bulk_chats
from tests.clients import AgentClient, VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def logged_in(server, role: str) -> AgentClient:  # type: ignore[no-untyped-def]
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    return client


async def a_closed_chat(server, admin: AgentClient, words: str) -> int:  # type: ignore[no-untyped-def]
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send(words))["chat_id"]
    assert (await admin.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    await admin.send(chat_id, "Noted: we will look into it.")
    note = {"text": "internal: handle with care", "client_id": "archive-note-0001"}
    assert (await admin.post(f"/api/v1/chats/{chat_id}/notes", note)).status_code == 201
    assert (await admin.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200
    await visitor.close()
    return chat_id


async def test_search_and_transcript_files_over_http(server):
    admin = await logged_in(server, "admin")
    await admin.connect()
    try:
        chat_id = await a_closed_chat(server, admin, f"My saddle squeaks {XSS}")
        r = await admin.http.get("/api/v1/archive/search", params={"q": "saddle squeaks"})
        assert r.status_code == 200, r.text
        [item] = r.json()["chats"]
        assert item["chat"]["id"] == chat_id and "saddle" in item["hit"]["parts"]

        for q in ['"', "NEAR(a", "*", "x" * 500, "😀", "' OR 1=1 --", "a:b", "-", "東京"]:
            r = await admin.http.get("/api/v1/archive/search", params={"q": q})
            assert r.status_code == 200, (q, r.text)
        r = await admin.http.get("/api/v1/archive/search", params={"q": "x" * 501})
        assert r.status_code == 400 and r.json()["error"]["field"] == "q"
        r = await admin.http.get("/api/v1/archive/search", params={"from": "last week"})
        assert r.status_code == 400 and r.json()["error"]["field"] == "from"
        r = await admin.http.get("/api/v1/archive/search", params={"rating_min": 9})
        assert r.status_code == 400 and r.json()["error"]["field"] == "rating_min"

        r = await admin.http.get(f"/api/v1/chats/{chat_id}/transcript.html")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-disposition"] == f'attachment; filename="chat-{chat_id}.html"'
        assert "sandbox" in r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
        assert "&lt;img" in r.text and "<img" not in r.text and "handle with care" not in r.text
        r = await admin.http.get(f"/api/v1/chats/{chat_id}/transcript.json", params={"internal": "true"})
        assert r.status_code == 200 and "handle with care" in r.text

        r = await admin.http.get(f"/api/v1/archive/chats/{chat_id}")
        assert r.status_code == 200 and any(e["internal"] for e in r.json()["events"])
    finally:
        await admin.close()


async def test_agents_search_but_do_not_bulk_export(server):
    agent = await logged_in(server, "agent")
    try:
        assert (await agent.http.get("/api/v1/archive/search", params={"q": "saddle"})).status_code == 200
        r = await agent.http.get("/api/v1/archive/export.csv")
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    finally:
        await agent.close()


async def test_a_few_thousand_chats_export_streamed(server):
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        ids = await bulk_chats(db, 3000, day="2025-06-01")
    finally:
        await db.dispose()
    manager = await logged_in(server, "manager")
    try:
        params = {"from": "2025-06-01", "to": "2025-06-01"}
        async with manager.http.stream("GET", "/api/v1/archive/export.csv", params=params) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/csv")
            assert r.headers["content-disposition"] == 'attachment; filename="chats-2025-06-01-to-2025-06-01.csv"'
            assert "content-length" not in r.headers  # streamed, not one body
            pieces = [piece async for piece in r.aiter_raw()]
        assert len(pieces) > 1
        rows = list(csv.DictReader(io.StringIO(b"".join(pieces).decode())))
        assert len(rows) == 3 * 3000 and {int(row["chat_id"]) for row in rows} == set(ids)

        async with manager.http.stream("GET", "/api/v1/archive/export.jsonl", params=params) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
            lines = [line async for line in r.aiter_lines() if line]
        assert len(lines) == 3000
    finally:
        await manager.close()
