"""Supervision over HTTP and WebSockets against a real server: the monitor, watching, whispers
that never reach the visitor, join, take over, department scope, annotations and reviews."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tests import files
from tests.accounts import login
from tests.api.support import department, start_chat
from tests.clients import new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def answer(socket, frame: dict) -> dict:
    ref = new_client_id()
    await socket.send({**frame, "ref": ref})
    return await socket.wait_for(lambda f: f.get("ref") == ref, timeout=10)


async def test_watch_whisper_join_and_take_over(server):
    admin = await login(server, "admin")
    ann, sam = await login(server), await login(server, "supervisor")
    sales = await department(admin, [ann, sam])
    for client in (ann, sam):
        await client.connect()
    visitor, chat_id = await start_chat(server, sales, "My parcel never came")
    r = await ann.post(f"/api/v1/chats/{chat_id}/accept")
    assert r.status_code == 200, r.text

    # Sam watches the chat read-only: events of the chat reach his socket from now on.
    watching = await answer(sam.socket, {"type": "watch", "chat_id": chat_id})
    assert watching["type"] == "watching" and watching["chat"]["assignee"]["id"] == ann.user["id"]
    await visitor.send("It was due Monday")
    seen = await sam.socket.wait_for(lambda f: f.get("type") == "event" and f.get("text") == "It was due Monday")
    assert seen["chat_id"] == chat_id

    # A whisper over the socket: Ann and Sam get it; the visitor's socket never does.
    cid = new_client_id()
    await sam.socket.send({"type": "whisper.send", "chat_id": chat_id, "text": "Check the courier", "client_id": cid})
    ack = await sam.socket.wait_for(lambda f: f.get("ref") == cid)
    assert ack["type"] == "ack" and ack["event"]["kind"] == "whisper"
    got = await ann.socket.wait_for(lambda f: f.get("type") == "event" and f.get("kind") == "whisper")
    assert got["text"] == "Check the courier" and got["author"]["name"] == sam.user["name"]
    # And over HTTP.
    r = await sam.post(
        f"/api/v1/chats/{chat_id}/whispers", json={"text": "Offer a refund", "client_id": new_client_id()}
    )
    assert r.status_code == 201 and r.json()["event"]["kind"] == "whisper"
    await ann.socket.wait_for(lambda f: f.get("type") == "event" and f.get("text") == "Offer a refund")

    # Join: the visitor sees Sam join; Sam writes to the visitor.
    r = await sam.post(f"/api/v1/chats/{chat_id}/join")
    assert r.status_code == 200, r.text
    joined = await visitor.socket.wait_for(lambda f: f.get("type") == "event" and f.get("kind") == "chat.joined")
    assert joined["data"]["agent"]["name"] == sam.user["name"]
    reply = await sam.send(chat_id, "Hello, I'm Ann's supervisor.")
    assert reply["type"] == "ack", reply
    await visitor.socket.wait_for(
        lambda f: f.get("type") == "event" and f.get("text") == "Hello, I'm Ann's supervisor."
    )
    # A joined supervisor may also send a canned response and a file (actions/access.writable_chat).
    r = await sam.post("/api/v1/canned", json={"title": "Sorry", "shortcut": "sorry", "body": "Sorry about that."})
    assert r.status_code == 201, r.text
    cid = new_client_id()
    await sam.socket.send(
        {"type": "message.send", "chat_id": chat_id, "client_id": cid, "canned_id": r.json()["canned"]["id"]}
    )
    ack = await sam.socket.wait_for(lambda f: f.get("ref") == cid and f.get("type") in ("ack", "error"), timeout=10)
    assert ack["type"] == "ack" and ack["event"]["text"] == "Sorry about that.", ack
    r = await sam.http.post(
        f"/api/v1/chats/{chat_id}/attachments",
        files={"file": ("label.pdf", files.pdf(), "application/pdf")},
        headers={"X-CSRF-Token": sam.csrf},
    )
    assert r.status_code == 201, r.text
    seen = await visitor.socket.wait_for(
        lambda f: f.get("type") == "event" and f.get("seq") == r.json()["event"]["seq"]
    )
    assert seen["author"]["id"] == sam.user["id"] and seen["data"]["attachment"]["name"] == "label.pdf"

    # Take over: Ann is told, the visitor sees the new agent, Sam replies as the chat's agent.
    r = await sam.post(f"/api/v1/chats/{chat_id}/take-over")
    assert r.status_code == 200, r.text
    assert r.json()["chat"]["assignee"]["id"] == sam.user["id"]
    told = await ann.socket.wait_for(lambda f: f.get("type") == "event" and f.get("kind") == "chat.taken_over")
    assert told["data"]["from_agent"]["id"] == ann.user["id"]
    await ann.socket.wait_for(
        lambda f: (
            f.get("type") == "chat.updated"
            and f["chat"]["id"] == chat_id
            and (f["chat"]["assignee"] or {}).get("id") == sam.user["id"]
        )
    )
    taken = await visitor.socket.wait_for(lambda f: f.get("type") == "event" and f.get("kind") == "chat.taken_over")
    assert taken["data"]["agent"]["name"] == sam.user["name"]
    assert (await ann.send(chat_id, "me again?"))["code"] == "forbidden"
    assert (await sam.send(chat_id, "Your refund is on its way."))["type"] == "ack"
    await visitor.socket.wait_for(lambda f: f.get("text") == "Your refund is on its way.")

    # The visitor never saw a whisper: not live, not in a sync from the start.
    await visitor.socket.send({"type": "sync", "chat_id": chat_id, "after": 0})
    synced = await visitor.socket.wait_type("synced", chat_id=chat_id)
    everything = list(visitor.socket.frames)
    assert not [f for f in everything if f.get("kind") == "whisper"]
    assert not [f for f in everything if "Check the courier" in str(f) or "Offer a refund" in str(f)]
    kinds = [f["kind"] for f in everything if f.get("type") == "event"]
    assert "chat.joined" in kinds and "chat.taken_over" in kinds
    seqs = {f["seq"] for f in everything if f.get("type") == "event"}
    assert len(set(range(1, synced["last_seq"] + 1)) - seqs) == 2  # the two whispers: gaps, never content
    # The transcript file leaves whispers out unless a lead asks for internal events (marked).
    text = (await ann.http.get(f"/api/v1/chats/{chat_id}/transcript.txt")).text
    assert "took over the chat" in text and "joined the chat" in text and "agents only" not in text
    assert (await ann.http.get(f"/api/v1/chats/{chat_id}/transcript.txt?internal=true")).status_code == 403
    text = (await sam.http.get(f"/api/v1/chats/{chat_id}/transcript.txt?internal=true")).text
    assert "(whisper, agents only)" in text and "took over the chat" in text
    for c in (visitor, ann, sam, admin):
        await c.close()


async def test_department_scope_and_the_monitor(server):
    admin = await login(server, "admin")
    ann, bob = await login(server), await login(server)
    sam, meg = await login(server, "supervisor"), await login(server, "manager")
    sales = await department(admin, [ann, sam])
    billing = await department(admin, [bob])
    for client in (ann, bob, sam, meg):
        await client.connect()
    _v1, billing_chat = await start_chat(server, billing, "Wrong invoice")
    assert (await bob.post(f"/api/v1/chats/{billing_chat}/accept")).status_code == 200

    # Sam (Sales) may not follow, whisper, join or take over in Billing; Meg (manager) may. A chat
    # he may not read is not found, as if it did not exist; Billing itself is forbidden by name.
    refused = await answer(sam.socket, {"type": "watch", "chat_id": billing_chat})
    assert refused["type"] == "error" and refused["code"] == "not_found"
    for path, body in (
        ("whispers", {"text": "x", "client_id": new_client_id()}),
        ("join", None),
        ("take-over", None),
    ):
        r = await sam.post(f"/api/v1/chats/{billing_chat}/{path}", json=body)
        assert r.status_code == 404, (path, r.text)
    r = await sam.http.get("/api/v1/monitor/chats", params={"department_id": billing["id"]})
    assert r.status_code == 403
    assert (await answer(meg.socket, {"type": "watch", "chat_id": billing_chat}))["type"] == "watching"
    assert (await ann.http.get("/api/v1/monitor/chats")).status_code == 403

    # The Monitor over the socket: Sam's page lists Sales only, and follows new chats live.
    monitor = await answer(sam.socket, {"type": "monitor.start"})
    assert monitor["type"] == "monitor"
    assert billing_chat not in [c["id"] for c in monitor["chats"]]
    assert sales["id"] in [d["id"] for d in monitor["departments"]]
    visitor, sales_chat = await start_chat(server, sales, "Do you ship to Norway?")
    summary = await sam.socket.wait_for(lambda f: f.get("type") == "chat.updated" and f["chat"]["id"] == sales_chat)
    assert summary["chat"]["status"] == "queued"
    assert (await ann.post(f"/api/v1/chats/{sales_chat}/accept")).status_code == 200
    await sam.socket.wait_for(
        lambda f: f.get("type") == "chat.updated" and f["chat"]["id"] == sales_chat and f["chat"]["status"] == "active"
    )
    # Messages of a monitored chat reach the page (its last-message preview) without a watch.
    await visitor.send("Or to Sweden?")
    await sam.socket.wait_for(lambda f: f.get("type") == "event" and f.get("text") == "Or to Sweden?")
    listed = (await sam.http.get("/api/v1/monitor/chats")).json()["chats"]
    assert [c for c in listed if c["id"] == sales_chat][0]["last_message"]["text"] == "Or to Sweden?"
    # After monitor.stop nothing more arrives from it.
    assert (await answer(sam.socket, {"type": "monitor.stop"}))["type"] == "monitor.stopped"
    await visitor.send("Hello?")
    await ann.socket.wait_for(lambda f: f.get("type") == "event" and f.get("text") == "Hello?")
    await asyncio.sleep(0.3)
    assert not [f for f in sam.socket.frames if f.get("text") == "Hello?"]
    for c in (visitor, ann, bob, sam, meg, admin):
        await c.close()


async def test_annotations_scorecard_reviews_and_report(server):
    admin = await login(server, "admin")
    ann, sam, other = await login(server), await login(server, "supervisor"), await login(server)
    sales = await department(admin, [ann, sam])
    await ann.connect()
    visitor, chat_id = await start_chat(server, sales, "Hi there")
    assert (await ann.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    reply = await ann.send(chat_id, "Hello! How can I help?")
    seq = reply["seq"]

    r = await sam.post(f"/api/v1/chats/{chat_id}/annotations", json={"seq": seq, "text": "Use the visitor's name"})
    assert r.status_code == 201, r.text
    r = await sam.post(f"/api/v1/chats/{chat_id}/annotations", json={"seq": 9999, "text": "x"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "seq"
    notes = (await ann.http.get(f"/api/v1/chats/{chat_id}/annotations")).json()["annotations"]
    assert [(n["seq"], n["text"]) for n in notes] == [(seq, "Use the visitor's name")]
    # `other` works in no department: the chat is not theirs to read at all (404, like the archive).
    assert (await other.http.get(f"/api/v1/chats/{chat_id}/annotations")).status_code == 404

    r = await sam.http.put(
        f"/api/v1/departments/{sales['id']}/scorecard",
        json={"criteria": [{"name": "Greeting", "weight": 1}, {"name": "Resolution", "weight": 2}]},
        headers={"X-CSRF-Token": sam.csrf},
    )
    assert r.status_code == 200, r.text
    ids = [c["id"] for c in r.json()["criteria"]]
    r = await sam.http.put(
        f"/api/v1/chats/{chat_id}/review",
        json={"scores": [{"criterion_id": ids[0], "score": 4}, {"criterion_id": ids[1], "score": 1}], "comment": "ok"},
        headers={"X-CSRF-Token": sam.csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["review"]["score"] == 2.0  # (4·1 + 1·2) / 3
    mine = (await ann.http.get("/api/v1/reviews/mine")).json()["reviews"]
    assert [x["chat_id"] for x in mine] == [chat_id] and mine[0]["comment"] == "ok"
    today = datetime.now(UTC).date().isoformat()
    report = (
        await sam.http.get(
            "/api/v1/reports/review-scores", params={"from": today, "to": today, "department_id": sales["id"]}
        )
    ).json()
    assert report["agents"][0]["agent"]["id"] == ann.user["id"] and report["agents"][0]["average"] == 2.0
    r = await sam.http.get("/api/v1/reports/review-scores", params={"from": "2026-13-01"})
    assert r.status_code == 400
    assert (await ann.http.get("/api/v1/reports/review-scores")).status_code == 403
    for c in (visitor, ann, sam, other, admin):
        await c.close()
