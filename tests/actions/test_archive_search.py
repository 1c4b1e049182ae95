"""Archive search on both databases: finds by words, respects every filter and the searcher's
scope, keeps the index in step with the messages, and survives any input."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update

from frontdesk.actions import archive
from frontdesk.actions.context import Context
from frontdesk.domain.archive_query import WORD
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store import archive_store
from frontdesk.store.archive_store import FTS_SEQ_BITS, _pg_matches
from frontdesk.store.models import Chat, Message
from tests.actions.archive_support import FORMULA, XSS, World, build_world, found

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def world(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> World:
    return await build_world(ctx)


async def test_finds_chats_by_words_newest_first_with_a_marked_snippet(ctx, world):
    c = world.chats
    assert await found(ctx, world.admin, "tyres") == [c["unicode"], c["tyres"]]
    assert await found(ctx, world.admin, "TYRES schwalbe") == [c["tyres"]]  # every word, in one message
    assert await found(ctx, world.admin, "29er schwalbe") == []  # two messages of the chat: no match
    page = await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(q="schwalbe"))
    [item] = page["chats"]
    assert item["chat"]["id"] == c["tyres"] and item["chat"]["visitor"]["name"] == "Tina Tyres"
    hit = item["hit"]
    assert hit["parts"] == ["Yes — ", "Schwalbe", " tyres, both widths."]
    assert hit["count"] == 1 and hit["kind"] == "message" and hit["author"]["type"] == "agent"
    assert hit["internal"] is False
    # the first matching message is the snippet; count says how many matched
    [item] = (await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(q="tyres")))["chats"][1:]
    assert (
        item["hit"]["parts"][1] == "tyres" and item["hit"]["count"] == 2 and item["hit"]["author"]["type"] == "visitor"
    )


async def test_phrases_prefixes_addresses_and_unicode(ctx, world):
    c = world.chats
    assert await found(ctx, world.admin, '"rear wheel"') == [c["wheel"]]
    assert await found(ctx, world.admin, '"wheel rear"') == []
    assert await found(ctx, world.admin, "wheel rear") == [c["wheel"]]
    assert await found(ctx, world.admin, "refun*") == [c["refund"]]
    assert await found(ctx, world.admin, "example") == [c["wheel"]]  # inside an e-mail address
    assert await found(ctx, world.admin, "jane@example.com") == [c["wheel"]]
    assert await found(ctx, world.admin, "grüße") == [c["unicode"]]
    assert await found(ctx, world.admin, "MÜNCHEN") == [c["unicode"]]
    assert await found(ctx, world.admin, "東京") == [c["unicode"]]
    assert await found(ctx, world.admin, "img onerror") == [c["refund"]]  # markup is just words
    hit = (await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(q="onerror")))["chats"][0]
    assert "".join(hit["hit"]["parts"]) == XSS  # returned as text parts, for textContent


async def test_internal_notes_are_searchable_by_agents(ctx, world):
    for who in (world.admin, world.ann, world.sue, world.max):
        page = await archive.search(ctx=ctx, actor=who, query=archive.ArchiveQuery(q="zebra"))
        assert [i["chat"]["id"] for i in page["chats"]] == [world.chats["tyres"]], who.role
        assert page["chats"][0]["hit"]["internal"] is True and page["chats"][0]["hit"]["kind"] == "note"


async def test_each_filter(ctx, world):
    c, a = world.chats, world.admin
    assert await found(ctx, a, "tyres", department_id=world.sales) == [c["tyres"]]
    assert await found(ctx, a, "tyres", agent_id=world.bob.id) == [c["unicode"]]
    assert await found(ctx, a, "tyres", date_from="2026-01-01", date_to="2026-01-31") == [c["tyres"]]
    assert await found(ctx, a, "tyres", date_from="2026-01-11") == [c["unicode"]]
    assert await found(ctx, a, "tyres", date_to="2026-01-10") == [c["tyres"]]  # the whole day
    assert await found(ctx, a, "tyres", date_from="2025-01-01", date_to="2025-12-31") == []
    assert await found(ctx, a, "tyres", date_from="2026-03-01T00:00:00Z", date_to="2026-03-01T01:00:00+00:00") == [
        c["unicode"]
    ]
    assert await found(ctx, a, None, rating_min=4) == [c["tyres"]]
    assert await found(ctx, a, None, rating_max=2) == [c["refund"]]
    assert await found(ctx, a, "tyres", rating_min=1) == [c["tyres"]]  # unrated chats drop out
    assert await found(ctx, a, "tyres", tag_id=world.vip) == [c["tyres"]]
    assert await found(ctx, a, None, tag_id=world.vip + 1000) == []
    assert await found(ctx, a, None, min_minutes=30) == [c["refund"]]
    assert await found(ctx, a, "tyres", max_minutes=15) == [c["tyres"]]
    assert await found(ctx, a, "tyres", min_minutes=15, max_minutes=25) == [c["unicode"]]
    assert await found(ctx, a, None, status="active") == [c["wheel"]]
    assert await found(ctx, a, "wheel", status="closed") == []
    assert await found(ctx, a, "tyres", status="closed", department_id=world.support, agent_id=world.bob.id) == [
        c["unicode"]
    ]


async def test_filters_are_checked_and_errors_name_the_field(ctx, world):
    bad = [
        ({"date_from": "yesterday"}, "from"),
        ({"date_to": "2026-13-01"}, "to"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "to"),
        ({"status": "lost"}, "status"),
        ({"rating_min": 0}, "rating_min"),
        ({"rating_min": 4, "rating_max": 2}, "rating_max"),
        ({"min_minutes": -1}, "min_minutes"),
        ({"min_minutes": 10, "max_minutes": 5}, "max_minutes"),
        ({"department_id": 0}, "department_id"),
        ({"q": "x" * 501}, "q"),
    ]
    for filters, field in bad:
        with pytest.raises(ChatRuleError) as err:
            await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(**filters))
        assert err.value.code == "bad_request" and err.value.field == field, (filters, err.value.message)
    with pytest.raises(ChatRuleError) as err:
        await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(), limit=101)
    assert err.value.field == "limit"


async def test_searchers_see_only_the_chats_in_their_scope(ctx, world):
    c = world.chats
    everything = [c["unicode"], c["wheel"], c["refund"], c["tyres"]]
    assert await found(ctx, world.admin) == everything
    assert await found(ctx, world.max) == everything  # a manager: every department
    assert await found(ctx, world.ann) == [c["wheel"], c["tyres"]]  # sales
    assert await found(ctx, world.sue) == [c["wheel"], c["tyres"]]  # supervises sales
    assert await found(ctx, world.bob) == [c["unicode"], c["refund"]]
    assert await found(ctx, world.ann, "tyres") == [c["tyres"]]
    assert await found(ctx, world.ann, "refund", department_id=world.support) == []  # a filter cannot widen it
    # A chat assigned to an agent stays theirs when it moves to another department.
    await _move(ctx, c["refund"], world.sales)
    assert await found(ctx, world.bob, "refund") == [c["refund"]]
    assert await found(ctx, world.ann, "refund") == [c["refund"]]
    # Reading a transcript follows the same scope; out of scope looks like no chat at all.
    with pytest.raises(ChatRuleError) as err:
        await archive.transcript(ctx=ctx, actor=world.ann, chat_id=c["unicode"])
    assert err.value.code == "not_found"
    seen = await archive.transcript(ctx=ctx, actor=world.ann, chat_id=c["tyres"])
    kinds = [(e["kind"], e["internal"]) for e in seen["events"]]
    assert ("note", True) in kinds and ("message", False) in kinds


async def _move(ctx: Context, chat_id: int, department_id: int) -> None:
    async with ctx.db.write() as conn:
        await conn.execute(update(Chat).where(Chat.id == chat_id).values(department_id=department_id))


async def test_keyset_pages(ctx, world):
    c = world.chats
    first = await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(q="tyres"), limit=1)
    assert [i["chat"]["id"] for i in first["chats"]] == [c["unicode"]] and first["next_before"] == c["unicode"]
    second = await archive.search(
        ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(q="tyres"), before=first["next_before"], limit=1
    )
    assert [i["chat"]["id"] for i in second["chats"]] == [c["tyres"]] and second["next_before"] is None
    assert await found(ctx, world.admin, None, limit=1) == [c["unicode"], c["wheel"], c["refund"], c["tyres"]]


ODD = [
    '"', "'", '""', '"tyres', "tyres\"", "AND", "OR tyres", "NOT", "NEAR(tyres schwalbe)", "*", "tyres*",
    "t*", "-tyres", "+tyres", "body:tyres", "tyres:*", "^tyres", "(tyres", "tyres)", "{tyres}", "a", "x",
    "\\", "%", "_", "%_%", "tyres & schwalbe", "tyres | x", "!tyres", "<->", "tyres <-> schwalbe", "'tyres'",
    "x" * 500, "tyres " + "y" * 490, "東", "😀", "🙂 tyres", "ÿ", "ß", "İ", "\u200b", "\u0301e", "\ufeff",
    "; DROP TABLE messages; --", "' OR 1=1 --", "1", "29er", "0x10", "1.5",
]  # fmt: skip


async def test_odd_input_never_breaks_the_search(ctx, world):
    c = world.chats
    for q in ODD:
        page = await archive.search(ctx=ctx, actor=world.admin, query=archive.ArchiveQuery(q=q))
        assert isinstance(page["chats"], list), q
    assert await found(ctx, world.admin, "NEAR(tyres schwalbe)") == []  # "near" is a word like any other
    assert await found(ctx, world.admin, '"tyres') == [c["unicode"], c["tyres"]]
    assert await found(ctx, world.admin, "29er") == [c["tyres"]]
    assert await found(ctx, world.admin, "!!! ???") == []  # only punctuation: no match, not everything
    assert await found(ctx, world.admin, "🙂 tyres") == [c["unicode"], c["tyres"]]
    assert await found(ctx, world.admin, FORMULA) == [c["tyres"]]
    async with ctx.db.read() as conn:  # and the tables are all still there
        assert (await conn.execute(select(Message.id).limit(1))).first() is not None


async def test_the_index_follows_changes_and_deletions(ctx, world):
    c = world.chats
    async with ctx.db.write() as conn:  # what retention's anonymisation does
        await conn.execute(
            update(Message).where(Message.chat_id == c["refund"], Message.body != "").values(body="removed")
        )
    assert await found(ctx, world.admin, "refund") == []
    assert await found(ctx, world.admin, "removed") == [c["refund"]]
    async with ctx.db.write() as conn:
        await conn.execute(delete(Chat).where(Chat.id == c["unicode"]))  # messages go by cascade
    assert await found(ctx, world.admin, "tyres") == [c["tyres"]]
    assert await found(ctx, world.admin, "münchen") == []


async def test_the_schema_holds_the_index(ctx, world):
    async with ctx.db.read() as conn:
        if conn.dialect.name == "sqlite":
            triggers = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
            assert {"messages_fts_insert", "messages_fts_delete", "messages_fts_update"} <= triggers
            # Every message with a body is in the index under its key (contentless: probe each).
            rows = (
                await conn.execute(select(Message.chat_id, Message.seq, Message.body).where(Message.body != ""))
            ).all()
            assert len(rows) >= 9
            for row in rows:
                word = WORD.findall(row.body)[-1].lower()
                key = (row.chat_id << FTS_SEQ_BITS) + row.seq
                hit = await conn.execute(
                    text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q AND rowid = :key"),
                    {"q": f'"{word}"', "key": key},
                )
                assert hit.first() is not None, (row.chat_id, row.seq, word)
        else:
            await conn.execute(text("SET enable_seqscan = off"))
            # The store's expression is the index's: otherwise every search would read every message.
            query = select(Message.chat_id).where(_pg_matches("messages.body", "'zebra'"))
            plan = "\n".join(
                r[0]
                for r in await conn.execute(
                    text("EXPLAIN " + str(query.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})))
                )
            )
            assert "ix_messages_body_fts" in plan, plan


async def test_a_short_walk_then_chats_first_finds_the_same(ctx, world, monkeypatch):
    """On SQLite a search walks at most WALK matches, then goes chat by chat; with a walk of
    one match, every search takes the second path and must find exactly the same chats."""
    c = world.chats
    cases = [
        ("tyres", {}),
        ("tyres", {"department_id": world.support}),
        ("tyres", {"agent_id": world.ann.id}),
        ("tyres", {"tag_id": world.vip}),
        ("tyres", {"date_from": "2026-01-01", "date_to": "2026-02-28"}),
        ('"rear wheel"', {}),
        ("zebra", {}),
        ("the", {"status": "closed"}),
    ]
    expected = [await found(ctx, world.admin, q, **f) for q, f in cases]
    expected += [await found(ctx, world.admin, "tyres", limit=1), await found(ctx, world.ann, "tyres")]
    monkeypatch.setattr(archive_store.SqliteArchiveSearch, "WALK", 1)
    got = [await found(ctx, world.admin, q, **f) for q, f in cases]
    got += [await found(ctx, world.admin, "tyres", limit=1), await found(ctx, world.ann, "tyres")]
    assert got == expected
    assert expected[0] == [c["unicode"], c["tyres"]] and expected[1] == [c["unicode"]]
