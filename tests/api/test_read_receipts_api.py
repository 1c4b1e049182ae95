"""Visitor read receipts through a real server: the widget's `read` frame raises the chat's
visitor_read_seq (never lowers it), the agent hears `chat.read`, bad seqs are errors naming
`seq`, and a socket that floods is rate limited."""

from __future__ import annotations

import pytest

from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def read(visitor: VisitorClient, seq: object) -> None:
    assert visitor.socket
    await visitor.socket.send({"type": "read", "seq": seq})


async def settled(visitor: VisitorClient) -> None:
    """Every frame sent before this one has been handled (the socket handles them in order)."""
    assert visitor.socket
    await visitor.socket.send({"type": "ping"})
    await visitor.socket.wait_type("pong")


async def test_read_raises_the_seq_and_tells_the_agent(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("Is the blue one in stock?"))["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    reply = await agent.send(chat_id, "Yes, three left.")
    assert reply["seq"] == 4
    await visitor.socket.wait_type("event", seq=4)

    for bad in ("4", -1, 1.5, True, None, 5):  # 5: past the chat's last seq
        await read(visitor, bad)
        error = await visitor.socket.wait_type("error")
        assert error["code"] == "bad_request" and error["field"] == "seq", (bad, error)

    await read(visitor, 4)
    seen = await agent.socket.wait_type("chat.read", chat_id=chat_id)
    assert seen["seq"] == 4
    summary = (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()
    assert summary["visitor_read_seq"] == 4

    # Lower or the same: nothing stored, nobody told.
    await read(visitor, 3)
    await read(visitor, 4)
    await settled(visitor)
    again = VisitorClient(server.base_url)  # another tab of the same visitor: its own socket
    again.token = visitor.token
    await again.connect()
    await read(again, 2)
    await settled(again)
    assert (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()["visitor_read_seq"] == 4
    assert not [f for f in agent.socket.frames if f["type"] == "chat.read"]

    # The next agent message read: the seq rises again.
    await agent.send(chat_id, "Shall I reserve one?")
    await read(visitor, 5)
    assert (await agent.socket.wait_type("chat.read", chat_id=chat_id))["seq"] == 5
    await again.close()
    await visitor.close()
    await agent.close()


async def test_read_frames_are_rate_limited_per_socket(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    chat_id = (await visitor.send("hello"))["chat_id"]
    assert (await agent.post(f"/api/v1/chats/{chat_id}/accept")).status_code == 200
    for n in range(8):
        await agent.send(chat_id, f"line {n}")
    for seq in range(4, 12):  # eight newer seqs at once: five go through, then one a second
        await read(visitor, seq)
    error = await visitor.socket.wait_type("error")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    await settled(visitor)
    summary = (await agent.http.get(f"/api/v1/chats/{chat_id}")).json()
    assert summary["visitor_read_seq"] == 8
    await visitor.close()
    await agent.close()
