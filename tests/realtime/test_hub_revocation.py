"""The hub acts on a revocation frame instead of delivering it: it closes (4001) exactly the
topic's sockets opened with a revoked credential, or all of them when none is named."""

from __future__ import annotations

import pytest

from frontdesk.actions.context import Outbox
from frontdesk.realtime.hub import REVOKE_PREFIX, REVOKED, Hub, SocketChannel
from frontdesk.wire import revoke_frame


def channel(hub: Hub, topic: str, credential: str | None) -> SocketChannel:
    c = SocketChannel(None, queue_size=10)  # type: ignore[arg-type] — the writer is never started
    c.credential = credential
    hub.subscribe(c, topic)
    return c


def published(frame: dict) -> str:
    outbox = Outbox()
    outbox.add(["t"], frame)
    return outbox.messages()[0][1]


def test_the_frame_as_published_is_recognised():
    for credentials in (None, ["0123456789abcdef"]):
        assert published(revoke_frame(credentials)).startswith(REVOKE_PREFIX)
    assert not published({"type": "event", "text": '{"type":"revoke"'}).startswith(REVOKE_PREFIX)


@pytest.mark.asyncio
async def test_only_the_named_credentials_sockets_close():
    hub = Hub()
    a, b, other = channel(hub, "agent:1", "aaaa"), channel(hub, "agent:1", "bbbb"), channel(hub, "agent:2", "aaaa")
    hub.deliver("agent:1", published({"type": "event", "seq": 1}))
    hub.deliver("agent:1", published(revoke_frame(["aaaa"])))
    assert (a.close_code, b.close_code, other.close_code) == (REVOKED, None, None)
    assert a.queue.qsize() == 2  # the event queued before it is still sent (flush), then the close
    hub.deliver("agent:1", published({"type": "event", "seq": 2}))
    assert a.queue.qsize() == 2 and b.queue.qsize() == 2  # nothing more for the revoked socket
    hub.deliver("agent:1", published(revoke_frame(None)))
    assert b.close_code == REVOKED and other.close_code is None


@pytest.mark.asyncio
async def test_a_visitor_topic_closes_every_socket_of_the_visitor():
    hub = Hub()
    tabs = [channel(hub, "visitor:Vx", None) for _ in range(2)]
    bystander = channel(hub, "visitor:Vy", None)
    hub.deliver("visitor:Vx", published(revoke_frame(None)))
    assert [t.close_code for t in tabs] == [REVOKED, REVOKED] and bystander.close_code is None
