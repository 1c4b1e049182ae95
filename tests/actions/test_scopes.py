"""The one read rule (domain/access.py) against a real database (SQLite and PostgreSQL): what
"handled" means, lists and the archive agreeing with reads by id, and a note unlocking nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from frontdesk.actions import archive, notes, quality, reads
from frontdesk.actions.archive import ArchiveQuery
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_agent_message
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.events import ChatEvent
from frontdesk.store import access_store, chat_store
from frontdesk.store.models import Chat
from tests.actions.routing_support import first_message, make_admin, make_agent, make_department, new_cid, staff
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def refused(coro) -> ChatRuleError:  # type: ignore[no-untyped-def]
    with pytest.raises(ChatRuleError) as info:
        await coro
    return info.value


async def test_reads_lists_and_the_archive_agree_and_follow_the_chats_an_agent_handled(ctx):
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales", routing="pick")
    billing = await make_department(ctx, admin, "billing", routing="pick")
    ann, bob = await make_agent(ctx, admin, name="Ann"), await make_agent(ctx, admin, name="Bob")
    meg = await make_agent(ctx, admin, role="manager", name="Meg")
    await staff(ctx, admin, sales["id"], [ann])
    await staff(ctx, admin, billing["id"], [bob])
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales", "saddle broken")
    await do_accept_chat(ctx=ctx, actor=ann, chat_id=chat_id)
    await do_send_agent_message(ctx=ctx, actor=ann, chat_id=chat_id, text="Sending a new saddle", client_id=new_cid())
    await do_close_chat(ctx=ctx, actor=ann, chat_id=chat_id)

    async def sees(actor) -> dict[str, bool]:  # type: ignore[no-untyped-def]
        try:
            await reads.get_chat(ctx=ctx, actor=actor, chat_id=chat_id)
            by_id = True
        except ChatRuleError as err:
            assert (err.code, err.message) == ("not_found", "That chat does not exist or is not yours.")
            by_id = False
        listed = [c["id"] for c in (await reads.list_chats(ctx=ctx, actor=actor, status="closed"))["chats"]]
        found = [
            r["chat"]["id"]
            for r in (await archive.search(ctx=ctx, actor=actor, query=ArchiveQuery(q="saddle")))["chats"]
        ]
        return {"by_id": by_id, "listed": chat_id in listed, "archive": chat_id in found}

    everywhere, nowhere = (
        dict.fromkeys(("by_id", "listed", "archive"), True),
        dict.fromkeys(("by_id", "listed", "archive"), False),
    )
    assert await sees(ann) == everywhere and await sees(meg) == everywhere
    assert await sees(bob) == nowhere
    # The chat moves to Billing (as if transferred after it ended: its department changes):
    # Bob now works in its department; Ann handled it, so she keeps it.
    async with ctx.db.write() as conn:
        await conn.execute(update(Chat).where(Chat.id == chat_id).values(department_id=billing["id"], assignee_id=None))
    assert await sees(bob) == everywhere
    assert await sees(ann) == everywhere  # routing_log `assigned`: she handled it


async def test_a_note_is_not_handling(ctx):
    admin = await make_admin(ctx)
    sales = await make_department(ctx, admin, "sales", routing="pick")
    ann, cat = await make_agent(ctx, admin, name="Ann"), await make_agent(ctx, admin, name="Cat")
    await staff(ctx, admin, sales["id"], [ann, cat])
    chat_id = await first_message(ctx, await new_visitor(ctx), "sales")
    await do_accept_chat(ctx=ctx, actor=ann, chat_id=chat_id)
    await do_close_chat(ctx=ctx, actor=ann, chat_id=chat_id)
    # Cat may read the chat (her department) but may not note it...
    err = await refused(notes.do_add_note(ctx=ctx, actor=cat, chat_id=chat_id, text="mine now", client_id=new_cid()))
    assert err.code == "forbidden"
    # ...and a note she wrote anyway (say, before this rule) makes her no handler of it.
    async with ctx.db.write() as conn:
        locked = await chat_store.advance_seq(conn, chat_id, require_open=False)
        row = ChatEvent(chat_id, locked.last_seq, "note", "agent", cat.id, "Cat", "old note", None, {}, utcnow(), True)
        await chat_store.insert_events(conn, [row])
    async with ctx.db.read() as conn:
        assert not await access_store.handled(conn, chat_id, cat.id)
        assert await access_store.handled(conn, chat_id, ann.id)
    for read in (quality.reviews_of_chat, quality.list_annotations):
        assert (await refused(read(ctx=ctx, actor=cat, chat_id=chat_id))).code == "forbidden"
    assert (await quality.reviews_of_chat(ctx=ctx, actor=ann, chat_id=chat_id))["reviews"] == []
    # Ann, its agent, notes it even now it has ended.
    await notes.do_add_note(ctx=ctx, actor=ann, chat_id=chat_id, text="follow up", client_id=new_cid())
