"""Exports: one transcript as HTML / JSON, chats as CSV / JSON Lines streamed page by page;
internal events only when asked by a role that may, CSV cells that never run as formulas."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from sqlalchemy import event

from frontdesk.actions import archive
from frontdesk.actions.context import Context
from frontdesk.domain.chat_rules import ChatRuleError
from tests.actions.archive_support import FORMULA, XSS, World, build_world, bulk_chats

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def world(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> World:
    return await build_world(ctx)


async def collect(ctx, actor, fmt="csv", internal=False, page_size=archive.EXPORT_PAGE, **filters) -> list[bytes]:
    chunks = await archive.open_export(
        ctx=ctx, actor=actor, query=archive.ArchiveQuery(**filters), fmt=fmt, internal=internal, page_size=page_size
    )
    return [chunk async for chunk in chunks]


def csv_rows(chunks: list[bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))


async def test_csv_one_row_per_event_without_internal_notes_and_without_formulas(ctx, world):
    rows = csv_rows(await collect(ctx, world.sue, department_id=world.sales))
    assert {int(r["chat_id"]) for r in rows} == {world.chats["tyres"], world.chats["wheel"]}
    assert list(rows[0]) == list(archive.CSV_COLUMNS)
    texts = [r["text"] for r in rows]
    assert "Yes — Schwalbe tyres, both widths." in texts
    assert not any("zebra" in t for t in texts) and all(r["internal"] == "no" for r in rows)
    assert "'" + FORMULA in texts and FORMULA not in texts
    tyres = [r for r in rows if int(r["chat_id"]) == world.chats["tyres"]]
    assert tyres[0]["visitor_name"] == "Tina Tyres" and tyres[0]["rating"] == "5" and tyres[0]["tags"] == "vip"
    assert tyres[0]["agent"] == "Ann Sales" and tyres[0]["department"] == "Sales"
    assert [r["kind"] for r in tyres][0] == "chat.started" and tyres[0]["text"] == "Chat started"


async def test_internal_events_only_when_asked_by_a_role_that_may(ctx, world):
    rows = csv_rows(await collect(ctx, world.sue, internal=True, department_id=world.sales))
    notes = [r for r in rows if r["internal"] == "yes"]
    assert len(notes) == 1 and "zebra" in notes[0]["text"] and notes[0]["kind"] == "note"
    lines = await collect(ctx, world.max, fmt="jsonl", internal=True)
    events = [e for chunk in lines for line in chunk.splitlines() for e in orjson.loads(line)["events"]]
    assert any(e["internal"] for e in events)
    # Agents export single transcripts, without internal events; bulk exports are for leads.
    for call in (
        lambda: collect(ctx, world.ann),
        lambda: archive.export_transcript(
            ctx=ctx, actor=world.ann, chat_id=world.chats["tyres"], fmt="json", internal=True
        ),
    ):
        with pytest.raises(ChatRuleError) as err:
            await call()
        assert err.value.code == "forbidden"
    content, media = await archive.export_transcript(ctx=ctx, actor=world.ann, chat_id=world.chats["tyres"], fmt="json")
    data = orjson.loads(content)
    assert media == "application/json" and data["chat"]["id"] == world.chats["tyres"]
    assert "zebra" not in content and not any(e["internal"] for e in data["events"])
    content, _ = await archive.export_transcript(
        ctx=ctx, actor=world.sue, chat_id=world.chats["tyres"], fmt="json", internal=True
    )
    assert "zebra" in content


async def test_exports_follow_the_scope_and_the_filters(ctx, world):
    c = world.chats
    rows = csv_rows(await collect(ctx, world.sue))  # sales only
    assert {int(r["chat_id"]) for r in rows} == {c["tyres"], c["wheel"]}
    rows = csv_rows(await collect(ctx, world.admin, q="tyres", date_from="2026-01-01", date_to="2026-02-28"))
    assert {int(r["chat_id"]) for r in rows} == {c["tyres"]}
    with pytest.raises(ChatRuleError) as err:
        await archive.export_transcript(ctx=ctx, actor=world.sue, chat_id=c["refund"], fmt="html")
    assert err.value.code == "not_found"
    with pytest.raises(ChatRuleError) as err:
        await collect(ctx, world.admin, date_from="soon")
    assert err.value.field == "from"


async def test_html_transcript_is_escaped_and_standalone(ctx, world):
    page, media = await archive.export_transcript(ctx=ctx, actor=world.admin, chat_id=world.chats["refund"], fmt="html")
    assert media.startswith("text/html")
    assert page.startswith("<!doctype html>") and "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in page
    assert "default-src 'none'" in page and "I will refund it today." in page
    assert XSS not in page


async def test_bulk_exports_read_one_page_of_chats_at_a_time(ctx, world):
    pages: list[str] = []
    events: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "ORDER BY chats.id DESC" in statement:
            pages.append(statement)
        if "ORDER BY messages.chat_id, messages.seq" in statement:
            events.append(statement)

    engine = ctx.db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        chunks = await collect(ctx, world.admin, fmt="jsonl", page_size=2)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    per_chunk = [len(chunk.splitlines()) for chunk in chunks]
    assert per_chunk == [2, 2]  # four chats, two pages, one chunk each
    assert len(pages) == 3 and len(events) == 2  # the third page finds nothing and ends it
    ids = [orjson.loads(line)["chat"]["id"] for chunk in chunks for line in chunk.splitlines()]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4


async def test_a_few_thousand_chats_stream_in_pages(ctx, world):
    ids = await bulk_chats(ctx.db, 3000, department_id=world.support)
    chunks = await collect(ctx, world.admin, fmt="csv", q="pedals", page_size=500)
    assert len(chunks) == 1 + 6  # the header, then one chunk per page of 500 chats
    rows = csv_rows(chunks)
    assert len(rows) == 3 * 3000 and {int(r["chat_id"]) for r in rows} == set(ids)
    lines = [
        line
        for chunk in await collect(ctx, world.admin, fmt="jsonl", department_id=world.support)
        for line in chunk.splitlines()
    ]
    assert len(lines) == 3000 + 2
