"""Routes that no other test saw succeed (the full run's route-coverage check found them: the
permission walk only proves refusals): declining an offer, leaving a joined chat, deleting an
annotation and marking an offline message done, each over HTTP against a real server."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.accounts import login
from tests.api.support import department, start_chat

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_agent_declines_an_offer(server):
    admin, ann = await login(server, "admin"), await login(server)
    dept = await department(admin, [ann], "auto")
    await ann.connect()
    visitor, chat_id = await start_chat(server, dept, "Anyone there?")
    offer = await ann.socket.wait_for(
        lambda f: f.get("type") == "chat.offered" and f["chat"]["id"] == chat_id, timeout=10
    )
    assert offer["chat"]["status"] == "queued"
    r = await ann.post(f"/api/v1/chats/{chat_id}/decline")
    assert r.status_code == 200, r.text
    again = await ann.post(f"/api/v1/chats/{chat_id}/decline")  # the offer is gone now
    assert again.status_code >= 400, again.text
    for client in (visitor, ann, admin):
        await client.close()


async def test_a_supervisor_joins_leaves_and_deletes_an_annotation(server):
    admin = await login(server, "admin")
    ann, sam = await login(server), await login(server, "supervisor")
    dept = await department(admin, [ann, sam], "pick")
    await ann.connect()
    visitor, chat_id = await start_chat(server, dept, "Hello")
    assert (await ann.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    reply = await ann.send(chat_id, "Hi! How can I help?")
    assert reply["type"] == "ack", reply

    r = await sam.post(f"/api/v1/chats/{chat_id}/join")
    assert r.status_code == 200, r.text
    r = await sam.post(f"/api/v1/chats/{chat_id}/leave")
    assert r.status_code == 200, r.text
    assert r.json()["event"]["kind"] == "chat.left"

    r = await sam.post(f"/api/v1/chats/{chat_id}/annotations", json={"seq": reply["seq"], "text": "Greet by name"})
    assert r.status_code == 201, r.text
    annotation_id = r.json()["annotation"]["id"]
    r = await sam.http.delete(f"/api/v1/annotations/{annotation_id}", headers={"X-CSRF-Token": sam.csrf or ""})
    assert r.status_code == 204, r.text
    left = (await sam.http.get(f"/api/v1/chats/{chat_id}/annotations")).json()["annotations"]
    assert left == []
    for client in (visitor, ann, sam, admin):
        await client.close()


async def test_an_offline_message_is_marked_done(server):
    admin = await login(server, "admin")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post(
            "/api/v1/widget/offline", json={"name": "Jane Doe", "email": "jane@example.com", "text": "Call me back"}
        )
    assert r.status_code == 201, r.text
    ticket_id = r.json()["ticket"]["id"]
    r = await admin.post(f"/api/v1/tickets/{ticket_id}/done")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["status"] == "done" and r.json()["ticket"]["done_at"]
    done = (await admin.http.get("/api/v1/tickets", params={"status": "done"})).json()["tickets"]
    assert ticket_id in [t["id"] for t in done]
    await admin.close()


async def failed_mail(server, count: int) -> list[int]:
    """`count` e-mails the server has given up on, written into its database the way
    actions/mail.send_due_mail leaves one (failed_at and last_error set): nothing reachable over
    HTTP fails a mail at once, and waiting out eight refused deliveries would take minutes."""
    from frontdesk.clock import utcnow
    from frontdesk.store import mail_store
    from frontdesk.store.db import Database

    db = Database(server.env["FRONTDESK_DATABASE_URL"])
    subject = f"Failed {secrets.token_hex(4)}"
    try:
        async with db.write() as conn:
            for _ in range(count):
                now = utcnow()
                await mail_store.insert_mail(
                    conn,
                    to_addr="jane@example.com",
                    subject=subject,
                    body="Your transcript",
                    created_at=now,
                    next_attempt_at=now,
                    attempts=8,
                    last_error="refused: 550 mailbox unavailable",
                    failed_at=now,
                )
    finally:
        await db.dispose()
    admin_view = await login(server, "admin")
    try:
        r = await admin_view.http.get("/api/v1/mail/failed")
        assert r.status_code == 200, r.text
        ids = [m["id"] for m in r.json()["failed"] if m["subject"] == subject]
    finally:
        await admin_view.close()
    assert len(ids) == count, r.json()
    return ids


async def test_an_admin_retries_and_discards_failed_mail(server):
    retried, discarded = await failed_mail(server, 2)
    admin = await login(server, "admin")
    r = await admin.post(f"/api/v1/mail/{retried}/retry")
    assert r.status_code == 200, r.text
    r = await admin.http.delete(f"/api/v1/mail/{discarded}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200, r.text
    r = await admin.http.get("/api/v1/mail/failed")
    left = {m["id"] for m in r.json()["failed"]}
    assert retried not in left and discarded not in left  # one queued again, one gone
    r = await admin.post(f"/api/v1/mail/{retried}/retry")
    assert r.status_code == 404, r.text  # no longer failed: nothing to retry
    await admin.close()


async def test_the_console_address_redirects_to_the_page(server):
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        r = await client.get("/console")
        assert r.status_code == 307 and r.headers["location"] == "/console/"
        r = await client.get("/console", follow_redirects=True)
        assert r.status_code == 200 and "<html" in r.text.lower()
