"""Visitor and agent talking through a real server over WebSockets and HTTP."""

from __future__ import annotations

import pytest

from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_visitor_and_agent_chat_both_ways(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(server.base_url)
    welcome = await visitor.connect(page={"url": "https://shop.example/pricing", "title": "Pricing"})
    assert welcome["chat"] is None

    ack = await visitor.send("Hello, do you ship to Norway?")
    assert ack["type"] == "ack" and ack["seq"] == 2 and not ack["duplicate"]
    chat_id = ack["chat_id"]

    # The queue hears about the new chat and its first message.
    queued = await agent.socket.wait_for(lambda f: f["type"] == "chat.updated" and f["chat"]["id"] == chat_id)
    assert queued["chat"]["status"] == "queued"
    first = await agent.socket.wait_type("event", chat_id=chat_id, kind="message")
    assert first["text"] == "Hello, do you ship to Norway?" and first["author"]["type"] == "visitor"

    r = await agent.post(f"/api/v1/chats/{chat_id}/accept")
    assert r.status_code == 200, r.text
    joined = await visitor.socket.wait_type("event", kind="chat.assigned")
    assert joined["data"]["agent"]["id"] == agent.user["id"]

    reply = await agent.send(chat_id, "Yes, we do! Delivery takes 3 days.")
    assert reply["type"] == "ack" and reply["seq"] == 4
    seen = await visitor.socket.wait_type("event", seq=4)
    assert seen["text"] == "Yes, we do! Delivery takes 3 days." and seen["author"]["name"] == agent.user["name"]

    # Typing reaches the other side only.
    await visitor.socket.send({"type": "typing", "typing": True})
    typing = await agent.socket.wait_type("typing", chat_id=chat_id)
    assert typing["author"]["type"] == "visitor" and typing["typing"] is True

    r = await agent.http.get(f"/api/v1/chats/{chat_id}/messages", params={"after": 0})
    assert [e["seq"] for e in r.json()["events"]] == [1, 2, 3, 4]
    assert [e["kind"] for e in r.json()["events"]] == ["chat.started", "message", "chat.assigned", "message"]

    r = await agent.post(f"/api/v1/chats/{chat_id}/close")
    assert r.status_code == 200
    closed = await visitor.socket.wait_type("event", kind="chat.closed")
    assert closed["data"]["by"] == "agent"

    r = await agent.http.get(f"/api/v1/chats/{chat_id}/transcript.txt")
    assert "Hello, do you ship to Norway?" in r.text and "Yes, we do!" in r.text
    closed_list = (await agent.http.get("/api/v1/chats", params={"status": "closed"})).json()["chats"]
    assert chat_id in [c["id"] for c in closed_list]

    # The next message opens a new chat.
    again = await visitor.send("One more question")
    assert again["type"] == "ack" and again["chat_id"] != chat_id and again["seq"] == 2
    await visitor.close()
    await agent.close()


async def test_retried_client_id_is_stored_once(server):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    cid = new_client_id()
    first = await visitor.send("only once please", client_id=cid)
    second = await visitor.send("only once please", client_id=cid)
    assert first["type"] == second["type"] == "ack"
    assert second["duplicate"] is True and second["seq"] == first["seq"]
    await visitor.socket.send({"type": "sync", "chat_id": first["chat_id"], "after": 0})
    await visitor.socket.wait_type("synced", chat_id=first["chat_id"])
    await visitor.close()
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    events = (await agent.http.get(f"/api/v1/chats/{first['chat_id']}/messages")).json()["events"]
    assert [e["text"] for e in events if e["kind"] == "message"] == ["only once please"]
    await agent.close()


async def test_second_agent_cannot_take_an_accepted_chat(server):
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("help"))["chat_id"]
    agents = []
    for _ in range(2):
        email, password = make_agent(server)
        a = AgentClient(server.base_url)
        await a.login(email, password)
        agents.append(a)
    assert (await agents[0].post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    r = await agents[1].post(f"/api/v1/chats/{chat_id}/accept")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = await agents[1].post(f"/api/v1/chats/{chat_id}/messages", json={"text": "hi", "client_id": new_client_id()})
    assert r.status_code == 403
    for a in agents:
        await a.close()
    await visitor.close()


async def test_the_sending_socket_gets_the_ack_and_every_other_socket_the_event(server):
    """The ack carries the stored event, so the sender's own socket is not sent it twice; the
    visitor's other tab and the agent still get it."""
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    tab_a = VisitorClient(server.base_url)
    await tab_a.connect()
    first = await tab_a.send("First, opening the chat")
    chat_id = first["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    tab_b = VisitorClient(server.base_url)
    tab_b.token = tab_a.token
    await tab_b.connect()

    ack = await tab_a.send("Second, in the open chat")
    assert ack["type"] == "ack" and ack["event"]["text"] == "Second, in the open chat"
    seq = ack["seq"]
    assert (await tab_b.socket.wait_type("event", seq=seq))["text"] == "Second, in the open chat"
    assert (await agent.socket.wait_type("event", seq=seq))["author"]["type"] == "visitor"

    reply = await agent.send(chat_id, "Agent's answer")
    for tab in (tab_a, tab_b):
        assert (await tab.socket.wait_type("event", seq=reply["seq"]))["text"] == "Agent's answer"
    # Everything up to the agent's answer has arrived: tab A never got its own message as an event.
    assert not [f for f in tab_a.socket.frames if f.get("type") == "event" and f.get("seq") == seq]
    assert not [f for f in agent.socket.frames if f.get("type") == "event" and f.get("seq") == reply["seq"]]
    for client in (tab_a, tab_b, agent):
        await client.close()
