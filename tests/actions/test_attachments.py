"""Files in chats against a real database (SQLite and PostgreSQL): checked from their bytes,
stored with their message or not at all, readable only by the chat's people."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from frontdesk.actions import attachments, chats, profiles, reads, users
from frontdesk.actions.attachments import Upload, storage
from frontdesk.actions.context import AgentActor, Context, VisitorActor
from frontdesk.api.uploads import OVERHEAD, receive_multipart
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import Attachment, Chat, Message
from tests import files
from tests.actions.routing_support import make_admin, make_department
from tests.actions.support import frames, new_agent, new_cid, new_visitor

pytestmark = pytest.mark.asyncio


def upload(ctx: Context, data: bytes, name: str, **fields: str) -> Upload:
    """A received upload, as api/uploads.py leaves it: at a temporary path of the storage."""
    path = storage(ctx).incoming()
    path.write_bytes(data)
    return Upload(path=path, filename=name, size=len(data), fields=fields)


def stored_files(ctx: Context) -> list[Path]:
    root = storage(ctx).root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def open_chat(ctx: Context, *, accept: bool = True) -> tuple[VisitorActor, AgentActor, int]:
    visitor = await new_visitor(ctx)
    sent = await chats.do_send_visitor_message(ctx=ctx, actor=visitor, text="hello", client_id=new_cid())
    agent = await new_agent(ctx)
    if accept:
        await chats.do_accept_chat(ctx=ctx, actor=agent, chat_id=sent.event["chat_id"])
    return visitor, agent, sent.event["chat_id"]


async def rows(ctx: Context, model, **where):  # type: ignore[no-untyped-def]
    async with ctx.db.read() as conn:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return list((await conn.execute(stmt)).all())


async def test_visitor_image_is_stored_with_its_message_and_reaches_the_agent(ctx):
    visitor, agent, chat_id = await open_chat(ctx)
    ctx.published.clear()
    result = await attachments.do_send_visitor_file(
        ctx=ctx, actor=visitor, upload=upload(ctx, files.png(64, 48), "shot.png")
    )
    event = result.event
    assert event["kind"] == "message" and event["author"]["type"] == "visitor" and event["text"] == "shot.png"
    att = event["data"]["attachment"]
    assert att == {
        "id": att["id"],
        "name": "shot.png",
        "size": len(files.png(64, 48)),
        "type": "image/png",
        "image": True,
        "width": 64,
        "height": 48,
    }
    # The agent and the visitor hear of it, like any message.
    published = frames(ctx.published, f"agent:{agent.id}")
    assert [f["data"]["attachment"]["id"] for f in published if f.get("kind") == "message"] == [att["id"]]
    assert frames(ctx.published, f"visitor:{visitor.visitor_id}")
    [row] = await rows(ctx, Attachment, id=att["id"])
    assert (row.chat_id, row.seq, row.kind, row.visitor_id) == (chat_id, event["seq"], "chat", visitor.visitor_id)
    assert storage(ctx).exists(att["id"])
    assert not list(storage(ctx).temp_dir.iterdir())  # the temporary copy was moved, not copied
    [chat] = await rows(ctx, Chat, id=chat_id)
    assert chat.last_message_text == "📎 shot.png" and chat.last_seq == event["seq"]
    # The agent opens it: the bytes as sent, labelled as sniffed.
    stored = await attachments.file_for_agent(ctx=ctx, actor=agent, chat_id=chat_id, file_id=att["id"])
    assert stored.content_type == "image/png" and stored.image
    assert b"".join([c async for c in stored.chunks()]) == files.png(64, 48)


@pytest.mark.parametrize(
    ("data", "name", "kind", "stored_name"),
    [
        (files.pdf(), "Invoice 42.pdf", "application/pdf", "Invoice 42.pdf"),
        (
            files.docx(),
            "contract.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "contract.docx",
        ),
        (files.xlsx(), "prices", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "prices.xlsx"),
        (files.plain_zip(), "logs.zip", "application/zip", "logs.zip"),
        (files.CSV, "orders.csv", "text/csv", "orders.csv"),
        (files.TEXT, "notes", "text/plain", "notes.txt"),
        (files.jpeg_header(), "photo.png", "image/jpeg", "photo.png.jpg"),  # named PNG, but a JPEG
    ],
)
async def test_agent_sends_each_allowed_kind_as_sniffed(ctx, data, name, kind, stored_name):
    _visitor, agent, chat_id = await open_chat(ctx)
    result = await attachments.do_send_agent_file(ctx=ctx, actor=agent, chat_id=chat_id, upload=upload(ctx, data, name))
    att = result.event["data"]["attachment"]
    assert (att["type"], att["name"], att["size"]) == (kind, stored_name, len(data))
    assert result.event["author"] == {"type": "agent", "id": agent.id, "name": agent.name}


async def assert_nothing_stored(ctx: Context, chat_id: int, last_seq: int) -> None:
    """No message, no attachment row, no file, no temporary file: nothing half-stored."""
    [chat] = await rows(ctx, Chat, id=chat_id)
    assert chat.last_seq == last_seq
    assert await rows(ctx, Attachment, chat_id=chat_id) == []
    assert [m for m in await rows(ctx, Message, chat_id=chat_id) if m.data.get("attachment")] == []
    assert stored_files(ctx) == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (files.HTML, "cat.png", "file: this is an HTML page, which is not accepted here"),
        (files.SVG, "cat.png", "file: this is an SVG image, which is not accepted here"),
        (b"", "empty.png", "file: is empty"),
        (b"MZ\x90\x00" + b"\x00" * 100, "setup.pdf", "file: this is a file of a kind we do not accept"),
        (b"\x89PNG\r\n\x1a\n", "broken.png", "file: this is a damaged PNG image"),
    ],
)
async def test_disguised_empty_and_unknown_files_are_refused_naming_the_reason(ctx, data, name, message):
    visitor, _agent, chat_id = await open_chat(ctx)
    [before] = await rows(ctx, Chat, id=chat_id)
    with pytest.raises(ChatRuleError) as err:
        await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, data, name))
    assert err.value.code == "bad_request" and err.value.field == "file"
    assert err.value.message.startswith(message)
    await assert_nothing_stored(ctx, chat_id, before.last_seq)


async def test_configured_types_and_size_limit_apply(ctx):
    visitor, _agent, chat_id = await open_chat(ctx)
    ctx.settings.attachment_types = ["png", "pdf"]
    ctx.settings.attachment_max_bytes = 1000
    try:
        with pytest.raises(ChatRuleError) as err:
            await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, files.docx(), "a.docx"))
        assert "a Word document, which is not accepted here (accepted: PNG, PDF)" in err.value.message
        with pytest.raises(ChatRuleError) as err:
            await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, b"x" * 1001, "a.txt"))
        assert err.value.code == "too_large" and err.value.message == "file: larger than the 1000 bytes limit"
        assert stored_files(ctx) == []
    finally:
        ctx.settings.attachment_types = ["png", "jpeg", "gif", "webp", "pdf", "txt", "csv", "zip", "docx", "xlsx"]
        ctx.settings.attachment_max_bytes = 10 * 1024 * 1024


async def test_agents_follow_the_rules_of_replying(ctx):
    _visitor, agent, chat_id = await open_chat(ctx)
    other = await new_agent(ctx)
    [before] = await rows(ctx, Chat, id=chat_id)
    with pytest.raises(ChatRuleError) as err:
        await attachments.do_send_agent_file(
            ctx=ctx, actor=other, chat_id=chat_id, upload=upload(ctx, files.pdf(), "a.pdf")
        )
    assert err.value.code == "forbidden"
    with pytest.raises(ChatRuleError) as err:
        await attachments.do_send_agent_file(
            ctx=ctx, actor=agent, chat_id=999_999, upload=upload(ctx, files.pdf(), "a.pdf")
        )
    assert err.value.code == "not_found"
    _v2, agent2, queued = await open_chat(ctx, accept=False)
    with pytest.raises(ChatRuleError) as err:
        await attachments.do_send_agent_file(
            ctx=ctx, actor=agent2, chat_id=queued, upload=upload(ctx, files.pdf(), "a.pdf")
        )
    assert err.value.code == "conflict"
    await chats.do_close_chat(ctx=ctx, actor=agent, chat_id=chat_id)
    with pytest.raises(ChatRuleError) as err:
        await attachments.do_send_agent_file(
            ctx=ctx, actor=agent, chat_id=chat_id, upload=upload(ctx, files.pdf(), "a.pdf")
        )
    assert err.value.code in ("forbidden", "chat_closed")
    await assert_nothing_stored(ctx, chat_id, before.last_seq + 1)  # + the close


async def test_visitor_needs_an_open_chat(ctx):
    visitor = await new_visitor(ctx)
    with pytest.raises(ChatRuleError) as err:
        await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, files.png(), "a.png"))
    assert err.value.code == "conflict" and "Start the chat" in err.value.message
    assert stored_files(ctx) == []


async def test_a_queued_chat_takes_the_visitors_file(ctx):
    visitor, _agent, chat_id = await open_chat(ctx, accept=False)
    result = await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, files.pdf(), "a.pdf"))
    assert result.event["chat_id"] == chat_id


async def test_a_retry_with_the_same_client_id_is_stored_once(ctx):
    visitor, _agent, chat_id = await open_chat(ctx)
    cid = new_cid()
    first = await attachments.do_send_visitor_file(
        ctx=ctx, actor=visitor, upload=upload(ctx, files.pdf(), "a.pdf", client_id=cid)
    )
    again = await attachments.do_send_visitor_file(
        ctx=ctx, actor=visitor, upload=upload(ctx, files.pdf(), "a.pdf", client_id=cid)
    )
    assert again.duplicate and again.event == first.event
    assert len(await rows(ctx, Attachment, chat_id=chat_id)) == 1
    assert len(stored_files(ctx)) == 1  # the retry's copy was dropped


async def test_a_failure_while_storing_leaves_nothing_half_stored(ctx):
    """The disk refuses the file after the message was written: the message is rolled back."""
    visitor, _agent, chat_id = await open_chat(ctx)
    [before] = await rows(ctx, Chat, id=chat_id)
    received = upload(ctx, files.png(), "a.png")
    outside = received.path.parent.parent.parent / f"upload-{uuid.uuid4().hex}.part"
    received.path.rename(outside)
    received.path = outside
    root = storage(ctx).root
    for leftover in root.rglob("*"):  # make the storage a file: nothing can be kept in it
        if leftover.is_file():
            leftover.unlink()
    for d in sorted(root.rglob("*"), reverse=True):
        d.rmdir()
    root.rmdir()
    root.write_bytes(b"not a directory")
    try:
        ctx.published.clear()
        with pytest.raises(ChatRuleError) as err:
            await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=received)
        assert err.value.code == "unavailable" and "file could not be stored" in err.value.message
        [after] = await rows(ctx, Chat, id=chat_id)
        assert after.last_seq == before.last_seq and after.last_message_text == before.last_message_text
        assert await rows(ctx, Attachment, chat_id=chat_id) == []
        assert not outside.exists()  # the temporary file is removed too
        assert not [f for f in frames(ctx.published) if f.get("type") == "event"]  # nothing announced
    finally:
        root.unlink()


async def test_a_database_failure_while_storing_keeps_no_file(ctx):
    visitor, _agent, chat_id = await open_chat(ctx)
    [before] = await rows(ctx, Chat, id=chat_id)
    async with ctx.db.write() as conn:
        await conn.execute(text("DROP TABLE attachments"))
    with pytest.raises(Exception):  # the database's error (SQLite: retryable; PostgreSQL: a bug)
        await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, files.png(), "a.png"))
    [after] = await rows(ctx, Chat, id=chat_id)
    assert after.last_seq == before.last_seq
    assert stored_files(ctx) == []


async def test_who_may_open_a_chats_file(ctx):
    visitor, agent, chat_id = await open_chat(ctx)
    result = await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, files.pdf(), "a.pdf"))
    file_id = result.event["data"]["attachment"]["id"]
    # the chat's visitor and agent, a colleague of its department, a manager, an admin
    assert (await attachments.file_for_visitor(ctx=ctx, actor=visitor, file_id=file_id)).name == "a.pdf"
    for actor in (agent, await new_agent(ctx), await new_agent(ctx, "manager"), await new_agent(ctx, "admin")):
        stored = await attachments.file_for_agent(ctx=ctx, actor=actor, chat_id=chat_id, file_id=file_id)
        assert stored.content_type == "application/pdf" and not stored.image
    # another visitor: not found
    with pytest.raises(ChatRuleError) as err:
        await attachments.file_for_visitor(ctx=ctx, actor=await new_visitor(ctx), file_id=file_id)
    assert err.value.code == "not_found"
    # an agent who works only in another department: not found, like the chat itself
    admin = await make_admin(ctx)
    await make_department(ctx, admin, "billing")
    outsider = await users.do_create_user(
        ctx=ctx,
        email=f"o-{uuid.uuid4().hex[:8]}@example.com",
        name="Out",
        role="agent",
        password="a-long-enough-password",
        departments=["billing"],
    )
    with pytest.raises(ChatRuleError) as err:
        await attachments.file_for_agent(
            ctx=ctx, actor=AgentActor(outsider["id"], "Out", "agent"), chat_id=chat_id, file_id=file_id
        )
    assert err.value.code == "not_found"
    # the right file under another chat's id, or ids that are not ours: not found
    for chat, fid in ((chat_id + 1, file_id), (chat_id, "x" * 22), (chat_id, "../../secret_key")):
        with pytest.raises(ChatRuleError) as err:
            await attachments.file_for_agent(ctx=ctx, actor=agent, chat_id=chat, file_id=fid)
        assert err.value.code == "not_found"


# ---- receiving a multipart body -------------------------------------------------------------
BOUNDARY = "----frontdesk-test-boundary"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: image/png\r\n"  # what the client claims: ignored
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def chunked(body: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


async def test_a_multipart_body_streams_to_a_temporary_file(ctx):
    temp = storage(ctx).incoming()
    body = multipart(
        [
            ("client_id", None, b"cid-12345678"),
            ("file", "résumé.pdf", files.pdf()),  # browsers send the name as UTF-8
        ]
    )
    received = await receive_multipart(chunked(body), CTYPE, temp=temp, max_bytes=10_000)
    assert received.filename == "résumé.pdf" and received.fields == {"client_id": "cid-12345678"}
    assert received.path.read_bytes() == files.pdf() and received.size == len(files.pdf())


async def test_an_endless_upload_is_cut_off_at_the_limit(ctx):
    """Reading stops at the first chunk past the limit: the body is never held whole."""
    temp = storage(ctx).incoming()
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        head = multipart([("file", "big.txt", b"")]).split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        yield head
        while True:
            consumed += 64 * 1024
            yield b"a" * 64 * 1024

    with pytest.raises(ChatRuleError) as err:
        await receive_multipart(endless(), CTYPE, temp=temp, max_bytes=1024 * 1024)
    assert err.value.code == "too_large" and err.value.message == "file: larger than the 1 MB limit"
    assert consumed <= 1024 * 1024 + OVERHEAD + 64 * 1024
    assert not temp.exists()


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        (b"{}", "application/json", "file: send the file as multipart/form-data"),
        (multipart([("client_id", None, b"x" * 8)]), CTYPE, "file: no file in the request"),
        (multipart([("file", "a.pdf", b"1"), ("file", "b.pdf", b"2")]), CTYPE, "file: send one file per request"),
        (multipart([("client_id", None, b"x" * 500)]), CTYPE, "client_id: too long"),
        (multipart([("file", "a.pdf", files.pdf())])[:-40], CTYPE, "file: the upload was cut short"),
    ],
)
async def test_malformed_uploads_are_refused(ctx, body, ctype, message):
    temp = storage(ctx).incoming()
    with pytest.raises(ChatRuleError) as err:
        await receive_multipart(chunked(body), ctype, temp=temp, max_bytes=10_000)
    assert err.value.message == message
    assert not temp.exists()


# ---- profiles ---------------------------------------------------------------------------------
async def test_agents_edit_their_own_profile_and_visitors_see_it_when_they_join(ctx):
    agent = await new_agent(ctx)
    profile = await profiles.do_update_profile(
        ctx=ctx, actor=agent, data={"name": "  Anna   Berg ", "title": "Bike fitter"}
    )
    assert (profile["name"], profile["title"], profile["avatar_url"]) == ("Anna Berg", "Bike fitter", None)
    for data, field in (({"role": "admin"}, "role"), ({"title": "x" * 101}, "title"), ({"name": ""}, "name")):
        with pytest.raises(ChatRuleError) as err:
            await profiles.do_update_profile(ctx=ctx, actor=agent, data=data)
        assert err.value.field == field
    profile = await profiles.do_set_avatar(ctx=ctx, actor=agent, upload=upload(ctx, files.png(96, 96), "me.png"))
    url = profile["avatar_url"]
    assert url.startswith("/api/v1/avatars/") and len(url.rsplit("/", 1)[1]) >= 22
    photo = await profiles.avatar_file(ctx=ctx, file_id=url.rsplit("/", 1)[1])
    assert photo.image and photo.content_type == "image/png"

    visitor = await new_visitor(ctx)
    sent = await chats.do_send_visitor_message(ctx=ctx, actor=visitor, text="hi", client_id=new_cid())
    joined = await chats.do_accept_chat(ctx=ctx, actor=agent, chat_id=sent.event["chat_id"])
    assert joined["data"]["agent"] == {"id": agent.id, "name": "Anna Berg", "title": "Bike fitter", "avatar_url": url}
    welcome = await reads.open_chat_for_visitor(ctx=ctx, actor=visitor)
    assert welcome["agent"] == joined["data"]["agent"]

    # A new photo replaces the old one, whose URL stops working; removing it works too.
    newer = await profiles.do_set_avatar(ctx=ctx, actor=agent, upload=upload(ctx, files.gif(), "me.gif"))
    assert newer["avatar_url"] != url
    with pytest.raises(ChatRuleError):
        await profiles.avatar_file(ctx=ctx, file_id=url.rsplit("/", 1)[1])
    assert len(stored_files(ctx)) == 1
    removed = await profiles.do_remove_avatar(ctx=ctx, actor=agent)
    assert removed["avatar_url"] is None and stored_files(ctx) == []


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (files.SVG, "me.png", "bad_request"),
        (files.HTML, "me.png", "bad_request"),
        (files.pdf(), "me.pdf", "bad_request"),
        (files.png(5000, 10), "wide.png", "bad_request"),
        (b"", "me.png", "bad_request"),
        (files.png() + b"\x00" * (1024 * 1024), "huge.png", "too_large"),
    ],
)
async def test_a_photo_is_a_raster_image_within_limits(ctx, data, name, code):
    agent = await new_agent(ctx)
    with pytest.raises(ChatRuleError) as err:
        await profiles.do_set_avatar(ctx=ctx, actor=agent, upload=upload(ctx, data, name))
    assert err.value.code == code
    assert stored_files(ctx) == []
    assert (await profiles.get_profile(ctx=ctx, actor=agent))["avatar_url"] is None


async def test_forgetting_a_chats_files_removes_rows_and_bytes(ctx):
    """What retention and a visitor's deletion request use: rows in their transaction, bytes after."""
    from frontdesk.actions.context import unit_of_work
    from frontdesk.store import attachment_store

    visitor, _agent, chat_id = await open_chat(ctx)
    for name in ("a.pdf", "b.pdf"):
        await attachments.do_send_visitor_file(ctx=ctx, actor=visitor, upload=upload(ctx, files.pdf(), name))
    async with unit_of_work(ctx) as (conn, _outbox):
        ids = await attachment_store.delete_chat_attachments(conn, [chat_id])
    assert len(ids) == 2 and len(stored_files(ctx)) == 2
    await attachments.delete_files(ctx, ids)
    assert stored_files(ctx) == [] and await rows(ctx, Attachment, chat_id=chat_id) == []
    with pytest.raises(ChatRuleError):
        await attachments.file_for_visitor(ctx=ctx, actor=visitor, file_id=ids[0])
