"""Satisfaction, privacy and the audit log through a real server: the visitor's socket frames
(chat.rate, transcript.email), the agent hearing chat.rated, the report, the retention settings,
deleting a visitor's data and reading the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select

from frontdesk.store.db import Database
from frontdesk.store.models import MailOutbox
from tests.accounts import login
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def ended_chat(  # type: ignore[no-untyped-def]
    server, agent: AgentClient, *, email: str | None = "ann@example.com", answer: bool = True
) -> tuple[VisitorClient, int]:
    """A chat the visitor (who gave `email`, like the pre-chat form does) had with `agent`."""
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    if email is not None:
        told = await ask(visitor, {"type": "visitor.update", "ref": "who", "email": email})
        assert told["type"] == "visitor" and told["visitor"]["email"] == email, told
    ack = await visitor.send("Where is my parcel?")
    chat_id = ack["chat_id"]
    r = await agent.post(f"/api/v1/chats/{chat_id}/accept")
    assert r.status_code == 200, r.text
    if answer:
        r = await agent.post(
            f"/api/v1/chats/{chat_id}/messages",
            json={"text": "On its way, arriving tomorrow.", "client_id": new_client_id()},
        )
        assert r.status_code == 201, r.text
    r = await agent.post(f"/api/v1/chats/{chat_id}/close")
    assert r.status_code == 200, r.text
    await visitor.socket.wait_type("event", kind="chat.closed")
    return visitor, chat_id


async def ask(visitor: VisitorClient, frame: dict) -> dict:
    await visitor.socket.send(frame)
    return await visitor.socket.wait_for(lambda f: f.get("ref") == frame["ref"])


async def test_the_visitor_rates_and_the_agent_sees_it_live(server):
    agent = await login(server)
    await agent.connect()
    visitor, chat_id = await ended_chat(server, agent)

    rated = await ask(visitor, {"type": "chat.rate", "ref": "r1", "chat_id": chat_id, "rating": 5, "comment": "Great"})
    assert rated["type"] == "chat.rated" and rated["rating"]["score"] == 5 and rated["rating"]["comment"] == "Great"
    live = await agent.socket.wait_type("chat.rated", chat_id=chat_id)
    assert live["chat"]["rating"]["score"] == 5 and live["chat"]["rating"]["comment"] == "Great"
    summary = (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()
    assert summary["rating"]["score"] == 5

    changed = await ask(visitor, {"type": "chat.rate", "ref": "r2", "chat_id": chat_id, "rating": "bad"})
    assert changed["rating"]["score"] == 1 and changed["rating"]["comment"] is None
    bad = await ask(visitor, {"type": "chat.rate", "ref": "r3", "chat_id": chat_id, "rating": 9})
    assert (bad["type"], bad["code"], bad["field"]) == ("error", "bad_request", "rating")

    # Another visitor cannot rate it, nor an open chat be rated.
    stranger = VisitorClient(server.base_url)
    await stranger.connect()
    other = await ask(stranger, {"type": "chat.rate", "ref": "s1", "chat_id": chat_id, "rating": 1})
    assert (other["type"], other["code"]) == ("error", "not_found")
    ack = await stranger.send("still talking")
    early = await ask(stranger, {"type": "chat.rate", "ref": "s2", "chat_id": ack["chat_id"], "rating": 5})
    assert (early["type"], early["code"]) == ("error", "conflict")
    for client in (visitor, stranger, agent):
        await client.close()


async def test_transcript_by_email_refuses_header_injection_and_is_rate_limited(server):
    agent = await login(server)
    visitor, chat_id = await ended_chat(server, agent)
    injected = await ask(
        visitor,
        {"type": "transcript.email", "ref": "t0", "chat_id": chat_id, "email": "a@example.com\r\nBcc: x@example.com"},
    )
    assert (injected["type"], injected["code"], injected["field"]) == ("error", "bad_request", "email")
    answers = []
    for i in range(4):
        frame = {"type": "transcript.email", "ref": f"t{i + 1}", "chat_id": chat_id, "email": "ann@example.com"}
        answers.append(await ask(visitor, frame))
    assert [a["type"] for a in answers[:2]] == ["transcript.queued"] * 2
    assert answers[0]["email"] == "ann@example.com" and answers[0]["chat_id"] == chat_id
    assert answers[-1]["type"] == "error" and answers[-1]["code"] == "rate_limited" and answers[-1]["retry_after"] > 0
    await visitor.close()
    await agent.close()


async def test_the_transcript_email_is_no_open_relay(server):
    agent = await login(server)
    # Another address than the one the visitor gave: refused, nothing queued.
    visitor, chat_id = await ended_chat(server, agent, email="ann@example.com")
    frame = {"type": "transcript.email", "ref": "x1", "chat_id": chat_id, "email": "victim@elsewhere.test"}
    other = await ask(visitor, frame)
    assert (other["type"], other["code"], other["field"]) == ("error", "bad_request", "email")
    # No address given before: nothing to send to.
    anonymous, anon_chat = await ended_chat(server, agent, email=None)
    frame = {"type": "transcript.email", "ref": "x2", "chat_id": anon_chat, "email": "victim@elsewhere.test"}
    none = await ask(anonymous, frame)
    assert (none["type"], none["code"], none["field"]) == ("error", "bad_request", "email")
    # A chat no agent answered (the visitor wrote whatever they liked): no transcript.
    silent, silent_chat = await ended_chat(server, agent, email="spam@example.com", answer=False)
    unanswered = await ask(silent, {"type": "transcript.email", "ref": "x3", "chat_id": silent_chat})
    assert (unanswered["type"], unanswered["code"]) == ("error", "conflict")
    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    try:
        async with db.read() as conn:
            queued = [r[0] for r in await conn.execute(select(MailOutbox.to_addr))]
        assert "victim@elsewhere.test" not in queued and "spam@example.com" not in queued
        # The site-wide budget (FRONTDESK_TRANSCRIPT_MAILS_PER_HOUR, 100 by default) is used up by
        # other visitors: this one, with an answered chat and their own address, must wait.
        now = datetime.now(UTC)
        async with db.write() as conn:
            await conn.execute(
                insert(MailOutbox),
                [
                    {"to_addr": f"v{i}@example.com", "subject": "Transcript", "body": "...", "created_at": now,
                     "next_attempt_at": now + timedelta(days=1), "kind": "transcript"}
                    for i in range(100)
                ],
            )  # fmt: skip
        try:
            limited = await ask(visitor, {"type": "transcript.email", "ref": "x4", "chat_id": chat_id})
            assert (limited["type"], limited["code"]) == ("error", "rate_limited")
            assert 3000 < limited["retry_after"] <= 3600
        finally:
            async with db.write() as conn:
                await conn.execute(delete(MailOutbox).where(MailOutbox.to_addr.like("v%@example.com")))
        # Within the budget, to the visitor's own address (named again, or not at all): queued.
        sent = await ask(visitor, {"type": "transcript.email", "ref": "x5", "chat_id": chat_id})
        assert sent["type"] == "transcript.queued" and sent["email"] == "ann@example.com"
    finally:
        await db.dispose()
    for client in (visitor, anonymous, silent, agent):
        await client.close()


async def test_satisfaction_report_for_leads(server):
    agent = await login(server)
    visitor, chat_id = await ended_chat(server, agent)
    await ask(visitor, {"type": "chat.rate", "ref": "r", "chat_id": chat_id, "rating": 4})
    manager = await login(server, "manager")
    r = await manager.http.get("/api/v1/reports/satisfaction")
    assert r.status_code == 200, r.text
    mine = [a for a in r.json()["agents"] if a["agent"] and a["agent"]["id"] == agent.user["id"]]
    assert mine == [
        {
            "agent": {"id": agent.user["id"], "name": agent.user["name"]},
            "count": 1,
            "average": 4.0,
            "good_percent": 100.0,
        }
    ]
    r = await manager.http.get("/api/v1/reports/satisfaction", params={"from": "2020-01-01", "to": "2020-01-31"})
    assert r.json()["total"]["count"] == 0 and r.json()["to"] == "2020-02-01T00:00:00.000Z"
    r = await manager.http.get("/api/v1/reports/satisfaction", params={"from": "last week"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "from"
    r = await agent.http.get("/api/v1/reports/satisfaction")
    assert r.status_code == 403
    for client in (visitor, agent, manager):
        await client.close()


async def test_privacy_settings_visitor_deletion_and_the_audit_log(server):
    admin = await login(server, "admin")
    agent = await login(server)
    r = await admin.http.put(
        "/api/v1/settings/privacy", json={"retention_days": 90, "mode": "delete"}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 200 and r.json()["privacy"] == {"retention_days": 90, "mode": "delete"}
    r = await admin.http.put(
        "/api/v1/settings/privacy", json={"retention_days": "forever"}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "retention_days"
    assert (await admin.http.get("/api/v1/settings/privacy")).json()["privacy"]["retention_days"] == 90
    r = await admin.http.put(
        "/api/v1/settings/privacy", json={"retention_days": 0}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 200

    # A visitor with an open chat cannot be deleted yet; once it is closed, everything goes.
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    ack = await visitor.send("Please delete my data afterwards")
    chat_id = ack["chat_id"]
    visitor_id = visitor.visitor["id"]
    r = await admin.http.delete(f"/api/v1/visitors/{visitor_id}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 409 and "open chat" in r.json()["error"]["message"]
    assert (await admin.post(f"/api/v1/chats/{chat_id}/close")).status_code == 200
    r = await agent.http.delete(f"/api/v1/visitors/{visitor_id}", headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 403
    r = await admin.http.delete(f"/api/v1/visitors/{visitor_id}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["chats"] == 1 and r.json()["deleted"]["messages"] >= 3
    await visitor.socket.wait_type("visitor.forgotten")
    assert (await admin.http.get(f"/api/v1/chats/{chat_id}")).status_code == 404
    # Their token no longer opens a socket: the widget starts afresh.
    await visitor.close()
    again = VisitorClient(server.base_url)
    again.token = visitor.token
    with pytest.raises(ConnectionError):
        await again.connect()
    assert again.socket.closed_code == 4001

    r = await admin.http.get("/api/v1/audit", params={"action": "visitor.delete", "target_id": visitor_id})
    entries = r.json()["entries"]
    assert len(entries) == 1 and entries[0]["actor"]["id"] == admin.user["id"]
    r = await admin.http.get("/api/v1/audit", params={"action": "settings.update", "actor_id": admin.user["id"]})
    assert [e["details"]["changed"]["retention_days"]["to"] for e in r.json()["entries"]] == [0, 90]
    r = await admin.http.get("/api/v1/audit", params={"action": "auth.login", "target_id": str(agent.user["id"])})
    assert len(r.json()["entries"]) == 1
    assert (await agent.http.get("/api/v1/audit")).status_code == 403
    for client in (admin, agent):
        await client.close()
