"""The transcript archive: full-text search over messages, behind one interface.

`archive_search(conn)` returns the implementation for the connection's database:

- `SqliteArchiveSearch`: FTS5. `messages_fts` (migration 0007) is contentless and kept by
  triggers on `messages`; its rowid is `chat_id * 2**24 + seq` (FTS_KEY). FTS5 hands matches out
  in rowid order, so walking them with ORDER BY rowid DESC yields chats newest first and
  stops as soon as a page is full; the chat id is `rowid >> 24`, no lookup needed.
- `PostgresArchiveSearch`: `to_tsvector('simple', …)` behind a GIN expression index. The query
  asks for chats (id descending) that have a matching message; the planner picks between
  walking chats newest first and probing each (common words) or collecting the few matches
  from the index (rare words) from the word statistics ANALYZE keeps for the index.

Both see the same words: SQLite's unicode61 tokenizer splits on punctuation and spaces, and
PostgreSQL gets the body with punctuation and spaces turned into single spaces (its own parser
would otherwise keep `jane@example.com` or `example.com/x` whole). 'simple' and
`remove_diacritics 0`: lowercase, no stemming, no stop words, no accent folding — chats come
in any language, and one query should find the same chats on either database.

Results are chat ids, newest first, with keyset pagination (`before`: a chat id). Filters and
the searcher's scope are conditions on `chats`, shared by both implementations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from frontdesk.domain.archive_query import SearchText, fts5_query, tsquery_text
from frontdesk.store import access_store, chat_store
from frontdesk.store.models import Chat, ChatTag, Message

FTS_SEQ_BITS = 24  # rowid = chat_id << 24 | seq (seq < 16,777,216 events per chat)
PG_DOCUMENT = "to_tsvector('simple'::regconfig, regexp_replace(body, '[[:punct:][:space:]]+', ' ', 'g'))"


@dataclass(frozen=True, slots=True)
class ArchiveFilters:
    """Conditions on the chats searched. `scope_*` is who is searching: None departments means
    every department; chats `scope_user_id` holds or handled are in scope wherever they are."""

    created_from: datetime | None = None
    created_before: datetime | None = None  # exclusive
    department_id: int | None = None
    agent_id: int | None = None
    tag_id: int | None = None
    rating_min: int | None = None
    rating_max: int | None = None
    min_minutes: float | None = None
    max_minutes: float | None = None
    status: str | None = None
    now: datetime | None = None  # the end of a chat still open, for durations
    scope_departments: frozenset[int] | None = None
    scope_user_id: int | None = None


class _minutes_open(FunctionElement):  # noqa: N801 — a SQL expression, named like one
    """Minutes from a chat's start to its end (or to :now while it is open)."""

    type = Float()
    inherit_cache = True


@compiles(_minutes_open, "sqlite")
def _minutes_sqlite(element, compiler, **kw):
    end = compiler.process(element.clauses.clauses[0], **kw)
    return f"((julianday(coalesce(chats.closed_at, {end})) - julianday(chats.created_at)) * 1440.0)"


@compiles(_minutes_open, "postgresql")
def _minutes_postgresql(element, compiler, **kw):
    end = compiler.process(element.clauses.clauses[0], **kw)
    return f"(extract(epoch from (coalesce(chats.closed_at, {end}) - chats.created_at)) / 60.0)"


def chat_conditions(f: ArchiveFilters) -> list[Any]:
    """The filters and the scope as conditions on `chats` (any dialect)."""
    cond: list[Any] = []
    if f.scope_departments is not None:  # the read rule of domain/access.py
        cond.append(access_store.scope_condition(f.scope_departments, f.scope_user_id))
    if f.created_from is not None:
        cond.append(Chat.created_at >= f.created_from)
    if f.created_before is not None:
        cond.append(Chat.created_at < f.created_before)
    if f.department_id is not None:
        cond.append(Chat.department_id == f.department_id)
    if f.agent_id is not None:
        cond.append(Chat.assignee_id == f.agent_id)
    if f.status is not None:
        cond.append(Chat.status == f.status)
    if f.rating_min is not None:
        cond.append(Chat.rating >= f.rating_min)
    if f.rating_max is not None:
        cond.append(Chat.rating <= f.rating_max)
    if f.tag_id is not None:
        # IN, not a correlated EXISTS: the tag's own index can then drive the query.
        cond.append(Chat.id.in_(select(ChatTag.chat_id).where(ChatTag.tag_id == f.tag_id)))
    if f.min_minutes is not None or f.max_minutes is not None:
        minutes = _minutes_open(bindparam("duration_now", f.now, type_=DateTime(timezone=True)))
        if f.min_minutes is not None:
            cond.append(minutes >= f.min_minutes)
        if f.max_minutes is not None:
            cond.append(minutes <= f.max_minutes)
    return cond


EVENT_COLUMNS = (*chat_store.MESSAGE_COLUMNS, Message.internal)


async def messages_at(conn: AsyncConnection, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """Stored events by (chat_id, seq): one probe of the (chat_id, seq) index each."""
    keys = list(keys)
    if not keys:
        return {}
    # OR of pairs rather than a row-value IN, which SQLite answers with a scan.
    cond = or_(*(and_(Message.chat_id == c, Message.seq == s) for c, s in keys))
    return {(r.chat_id, r.seq): r for r in await conn.execute(select(*EVENT_COLUMNS).where(cond))}


@dataclass(frozen=True, slots=True)
class Hit:
    """The first message of a chat that matches (its row: EVENT_COLUMNS), and how many do."""

    chat_id: int
    seq: int
    count: int
    message: Any


class ArchiveSearch:
    """Full-text search over messages; one implementation per database."""

    async def chat_ids(
        self, conn: AsyncConnection, search: SearchText, filters: ArchiveFilters, *, before: int | None, limit: int
    ) -> list[int]:
        """Chats (newest first, ids below `before`) with a message matching every term."""
        raise NotImplementedError

    async def hits(self, conn: AsyncConnection, search: SearchText, chat_ids: Sequence[int]) -> dict[int, Hit]:
        """For each chat, its first matching message and the number of matching messages."""
        raise NotImplementedError


_fts = table("messages_fts", column("rowid", Integer))
_FTS_ROWID = _fts.c.rowid


def _fts_match(query: str) -> Any:
    return literal_column("messages_fts").op("MATCH")(query)


class SqliteArchiveSearch(ArchiveSearch):
    # With filters, matches walked newest first before going chat by chat (below). A match
    # walked costs about 1 µs (its chat looked up, the filters checked): some 20 ms at most.
    WALK = 20_000

    async def chat_ids(
        self, conn: AsyncConnection, search: SearchText, filters: ArchiveFilters, *, before: int | None, limit: int
    ) -> list[int]:
        query = fts5_query(search)
        cond = chat_conditions(filters)
        low, high = await self._id_bounds(conn, filters)
        if before is not None:
            high = before if high is None else min(high, before)
        rows = select(_FTS_ROWID.label("r")).where(_fts_match(query))
        if high is not None:
            rows = rows.where(_FTS_ROWID < (high << FTS_SEQ_BITS))  # noqa: SIM300
        if low is not None:
            rows = rows.where(_FTS_ROWID >= (low << FTS_SEQ_BITS))  # noqa: SIM300
        # 1. Matches first, newest first: FTS5 hands rows out in rowid (= chat) order, and the
        #    LIMIT ends the walk as soon as the page is full, so a common word reads only a few
        #    of its matches. Filters that pass few chats would make it read them all, so with
        #    filters the walk ends at the WALK-th match (found by FTS5 alone, ~1 ms).
        floor = None
        if cond:
            nth = rows.order_by(_FTS_ROWID.desc()).limit(1).offset(self.WALK - 1)
            floor = (await conn.execute(nth)).scalar()
        chat_of_row = _FTS_ROWID.op(">>")(FTS_SEQ_BITS)
        page = (
            rows.with_only_columns(Chat.id)
            .join_from(_fts, Chat, Chat.id == chat_of_row)
            .where(*cond)
            .distinct()
            .order_by(_FTS_ROWID.desc())
            .limit(limit)
        )
        if floor is not None:
            page = page.where(_FTS_ROWID >= floor)  # noqa: SIM300
        ids = [row.id for row in await conn.execute(page)]
        if len(ids) == limit or floor is None:
            return ids
        # 2. Chats first, below the walk: the filters pick chats newest first (indexes where they
        #    have them), and each is probed in the FTS index by its own rowid range. The walk's
        #    last chat may have matches below the floor, so it is left to this step.
        boundary = int(floor) >> FTS_SEQ_BITS
        ids = [i for i in ids if i > boundary]
        key = Chat.id * (1 << FTS_SEQ_BITS)
        probe = exists(
            select(literal_column("1"))
            .select_from(_fts)
            .where(_fts_match(query), _FTS_ROWID.between(key, key + ((1 << FTS_SEQ_BITS) - 1)))
        )
        rest = select(Chat.id).where(*cond, Chat.id <= boundary, probe)
        if low is not None:
            rest = rest.where(Chat.id >= low)
        rest = rest.order_by(Chat.id.desc()).limit(limit - len(ids))
        return ids + [row.id for row in await conn.execute(rest)]

    async def _id_bounds(self, conn: AsyncConnection, f: ArchiveFilters) -> tuple[int | None, int | None]:
        """A date range as a range of chat ids (an index range scan), which narrows the part
        of the FTS index walked; the dates themselves are still checked on each chat."""
        if f.created_from is None and f.created_before is None:
            return None, None
        cond = []
        if f.created_from is not None:
            cond.append(Chat.created_at >= f.created_from)
        if f.created_before is not None:
            cond.append(Chat.created_at < f.created_before)
        row = (await conn.execute(select(func.min(Chat.id), func.max(Chat.id)).where(*cond))).one()
        if row[0] is None:
            return 0, 0  # no chat in the range: nothing to walk
        return int(row[0]), int(row[1]) + 1

    async def hits(self, conn: AsyncConnection, search: SearchText, chat_ids: Sequence[int]) -> dict[int, Hit]:
        if not chat_ids:
            return {}
        query = fts5_query(search)
        # One statement: for each chat, its matches are a small rowid range of the index.
        per_chat = [
            select(func.min(_FTS_ROWID).label("first"), func.count().label("n"))
            .select_from(_fts)
            .where(_fts_match(query), _FTS_ROWID.between(chat_id << FTS_SEQ_BITS, ((chat_id + 1) << FTS_SEQ_BITS) - 1))
            for chat_id in chat_ids
        ]
        rows = (await conn.execute(union_all(*per_chat))).all()
        mask = (1 << FTS_SEQ_BITS) - 1
        firsts = {int(r.first) >> FTS_SEQ_BITS: (int(r.first) & mask, int(r.n)) for r in rows if r.first is not None}
        messages = await messages_at(conn, ((chat_id, seq) for chat_id, (seq, _) in firsts.items()))
        return {
            chat_id: Hit(chat_id, seq, n, messages[(chat_id, seq)])
            for chat_id, (seq, n) in firsts.items()
            if (chat_id, seq) in messages
        }


def _pg_matches(column: Any, query: str) -> Any:
    document: Any = literal_column(PG_DOCUMENT.replace("(body,", f"({column},"))
    # The query goes in as a literal (escaped by the dialect), not a parameter: with a prepared
    # statement PostgreSQL switches to a generic plan after five runs, which cannot know how
    # common the words are, and a plan right for one word is ruinous for another.
    words = bindparam(None, query, type_=String(), literal_execute=True)
    return document.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), words))


class PostgresArchiveSearch(ArchiveSearch):
    async def chat_ids(
        self, conn: AsyncConnection, search: SearchText, filters: ArchiveFilters, *, before: int | None, limit: int
    ) -> list[int]:
        matching = exists().where(Message.chat_id == Chat.id, _pg_matches("messages.body", tsquery_text(search)))
        stmt = select(Chat.id).where(matching, *chat_conditions(filters))
        if before is not None:
            stmt = stmt.where(Chat.id < before)
        stmt = stmt.order_by(Chat.id.desc()).limit(limit)
        return [row.id for row in await conn.execute(stmt)]

    async def hits(self, conn: AsyncConnection, search: SearchText, chat_ids: Sequence[int]) -> dict[int, Hit]:
        if not chat_ids:
            return {}
        ranked = (
            select(
                *EVENT_COLUMNS,
                func.count().over(partition_by=Message.chat_id).label("n"),
                func.row_number().over(partition_by=Message.chat_id, order_by=Message.seq).label("r"),
            )
            .where(Message.chat_id.in_(list(chat_ids)), _pg_matches("messages.body", tsquery_text(search)))
            .subquery()
        )
        rows = (await conn.execute(select(ranked).where(ranked.c.r == 1))).all()
        return {int(r.chat_id): Hit(int(r.chat_id), int(r.seq), int(r.n), r) for r in rows}


def archive_search(conn: AsyncConnection) -> ArchiveSearch:
    """The full-text search of this connection's database."""
    return SqliteArchiveSearch() if conn.dialect.name == "sqlite" else PostgresArchiveSearch()


# -- what the searches return, read the same way on both databases ------------------------------
async def browse_chat_ids(
    conn: AsyncConnection, filters: ArchiveFilters, *, before: int | None, limit: int
) -> list[int]:
    """Chats matching the filters alone (no search text), newest first."""
    stmt = select(Chat.id).where(*chat_conditions(filters))
    if before is not None:
        stmt = stmt.where(Chat.id < before)
    stmt = stmt.order_by(Chat.id.desc()).limit(limit)
    return [row.id for row in await conn.execute(stmt)]


async def chat_rows(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, Any]:
    """Chat summaries (chat_store's columns: visitor, agent, department, rating, tags) by id."""
    if not chat_ids:
        return {}
    stmt = chat_store._chat_select().where(Chat.id.in_(list(chat_ids)))
    return {row.id: row for row in await conn.execute(stmt)}


async def events_of_chats(
    conn: AsyncConnection,
    chat_ids: Sequence[int],
    *,
    include_internal: bool,
    after: int = 0,
    limit: int | None = None,
) -> list[Any]:
    """The events of these chats by chat then seq (exports read one page of chats at a time;
    one chat's transcript pages with `after` and `limit`)."""
    if not chat_ids:
        return []
    stmt = select(*EVENT_COLUMNS).where(Message.chat_id.in_(list(chat_ids)))
    if after:
        stmt = stmt.where(Message.seq > after)
    if not include_internal:
        stmt = stmt.where(~Message.internal)
    stmt = stmt.order_by(Message.chat_id, Message.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(await conn.execute(stmt))
