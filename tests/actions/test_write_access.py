"""Who may write to a chat's visitor, against a real database (SQLite and PostgreSQL): the
one reply check (actions/access.writable_chat) decides alike for free text (on both send paths),
a canned response and a file. A supervisor who joined the chat may send all three; before
joining and after leaving, none; a chat that does not exist is the one not-found answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from frontdesk.actions import attachments, canned, chats, supervision
from frontdesk.actions.access import NOT_FOUND
from frontdesk.actions.attachments import Upload, storage
from frontdesk.actions.context import AgentActor, Context
from frontdesk.domain.audience import agent_topic, chat_topic, visitor_topic
from frontdesk.domain.chat_rules import ChatRuleError
from tests import files
from tests.actions.routing_support import (
    events,
    first_message,
    make_admin,
    make_agent,
    make_department,
    new_cid,
    published_frames,
    staff,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")

Send = Callable[[Context, AgentActor, int], Awaitable[dict[str, Any]]]


def _upload(ctx: Context) -> Upload:
    path = storage(ctx).incoming()
    data = files.pdf()
    path.write_bytes(data)
    return Upload(path=path, filename="invoice.pdf", size=len(data), fields={"client_id": new_cid()})


async def send_text(ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    sent = await chats.do_send_agent_message(ctx=ctx, actor=actor, chat_id=chat_id, text="Hello", client_id=new_cid())
    return sent.event


async def send_canned(ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    canned_id = ctx.canned_id  # type: ignore[attr-defined]
    sent = await chats.do_send_agent_message(
        ctx=ctx, actor=actor, chat_id=chat_id, text=None, client_id=new_cid(), canned_id=canned_id
    )
    return sent.event


async def send_file(ctx: Context, actor: AgentActor, chat_id: int) -> dict[str, Any]:
    sent = await attachments.do_send_agent_file(ctx=ctx, actor=actor, chat_id=chat_id, upload=_upload(ctx))
    return sent.event


SENDS: dict[str, Send] = {"text": send_text, "canned": send_canned, "file": send_file}


class Floor:
    pass


async def floor(ctx: Context) -> Floor:
    f = Floor()
    f.admin = await make_admin(ctx)
    f.sales = await make_department(ctx, f.admin, "sales", routing="pick")
    f.ann = await make_agent(ctx, f.admin, name="Ann")
    f.bob = await make_agent(ctx, f.admin, name="Bob")
    f.sam = await make_agent(ctx, f.admin, role="supervisor", name="Sam")
    await staff(ctx, f.admin, f.sales["id"], [f.ann, f.bob, f.sam])
    hello = await canned.do_create_canned(
        ctx=ctx, actor=f.admin, data={"title": "Hello", "shortcut": "hello", "body": "Hello!", "scope": "global"}
    )
    ctx.canned_id = hello["id"]  # type: ignore[attr-defined]
    f.visitor = await new_visitor(ctx)
    f.chat_id = await first_message(ctx, f.visitor, "sales", "My invoice is wrong")
    await chats.do_accept_chat(ctx=ctx, actor=f.ann, chat_id=f.chat_id)
    return f


async def refused(coro: Awaitable[Any]) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        await coro
    return info.value


@pytest.mark.parametrize("what", sorted(SENDS))
async def test_a_joined_supervisor_may_send_what_the_agent_may(sctx, what):
    ctx = sctx
    send = SENDS[what]
    f = await floor(ctx)
    # Not joined: refused like any agent who does not hold the chat.
    assert (await refused(send(ctx, f.sam, f.chat_id))).code == "forbidden"
    assert (await refused(send(ctx, f.bob, f.chat_id))).code == "forbidden"

    await supervision.do_join(ctx=ctx, actor=f.sam, chat_id=f.chat_id)
    ctx.published.clear()  # type: ignore[attr-defined]
    event = await send(ctx, f.sam, f.chat_id)
    assert event["kind"] == "message" and event["author"] == {"type": "agent", "id": f.sam.id, "name": "Sam"}
    # The visitor, the chat's agent and its followers get it, as from the chat's agent.
    for topic in (visitor_topic(f.visitor.visitor_id), agent_topic(f.ann.id), chat_topic(f.chat_id)):
        assert [e["seq"] for e in published_frames(ctx, topic, "event")] == [event["seq"]]
    stored = (await events(ctx, f.chat_id))[-1]
    assert (stored.seq, stored.agent_id, stored.internal) == (event["seq"], f.sam.id, False)
    # Another agent of the department still may not.
    assert (await refused(send(ctx, f.bob, f.chat_id))).code == "forbidden"

    await supervision.do_leave(ctx=ctx, actor=f.sam, chat_id=f.chat_id)
    assert (await refused(send(ctx, f.sam, f.chat_id))).code == "forbidden"
    await send(ctx, f.ann, f.chat_id)  # the chat's agent, throughout


@pytest.mark.parametrize("what", sorted(SENDS))
async def test_a_missing_chat_is_the_one_not_found(sctx, what):
    ctx = sctx
    f = await floor(ctx)
    err = await refused(SENDS[what](ctx, f.ann, 987_654_321))
    assert (err.code, err.message) == ("not_found", NOT_FOUND)


@pytest.mark.parametrize("what", sorted(SENDS))
async def test_a_closed_chat_takes_nothing_even_from_a_participant(sctx, what):
    ctx = sctx
    f = await floor(ctx)
    await supervision.do_join(ctx=ctx, actor=f.sam, chat_id=f.chat_id)
    await chats.do_close_chat(ctx=ctx, actor=f.ann, chat_id=f.chat_id)
    last = (await events(ctx, f.chat_id))[-1].seq
    for actor in (f.sam, f.ann):
        assert (await refused(SENDS[what](ctx, actor, f.chat_id))).code in ("forbidden", "chat_closed")
    assert (await events(ctx, f.chat_id))[-1].seq == last
