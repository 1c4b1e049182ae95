"""Chat facts and hourly roll-ups (issue 14): each closed chat's figures (`chat_facts`, computed
by domain/metrics.compute_chat_facts) and their sums per UTC hour, department and credited agent
(`metric_hours`), written in the same transaction so the two always agree.

The job (frontdesk/jobs.py, under the `jobs` lease) calls do_update_due_facts every pass;
do_record_facts does given chats (tests, the demo); do_rebuild_facts starts from nothing
(`frontdesk analytics rebuild`). A fact computed again (a rating, a review, a read receipt came
after it) first takes its old increments off the roll-ups, then adds the new ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import Context, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain.metrics import (
    ChatFacts,
    ChatRow,
    Interval,
    RoutingRow,
    add_increments,
    compute_chat_facts,
    credited_agent,
    held_intervals,
    rollup_increments,
    rollup_key,
)
from frontdesk.domain.satisfaction import CHANGE_WINDOW, RATE_WINDOW
from frontdesk.store import facts_store

BATCH = 500
# A chat can be rated up to RATE_WINDOW after it closed and the rating changed for CHANGE_WINDOW.
RATING_LOOKBACK = RATE_WINDOW + CHANGE_WINDOW + timedelta(hours=1)
# Read receipts that arrive after the fact (a dropped chat read after all) are looked for this long.
READ_LOOKBACK = timedelta(days=1)


async def do_update_due_facts(ctx: Context, *, limit: int = BATCH, since: datetime | None = None) -> int:
    """Compute the facts that are due, at most `limit`, in one transaction: closed chats without
    a fact (closed since `since`, or all when None), then facts whose chat was rated, reviewed or
    read after they were computed (ratings and reads looked for among the chats closed since
    `since`, at most RATING_LOOKBACK / READ_LOOKBACK back). Returns how many facts were written."""
    now = utcnow()
    async with ctx.db.read() as conn:
        ids = await facts_store.chats_without_facts(conn, limit=limit, closed_since=since)
        if len(ids) < limit:
            ids += await facts_store.changed_facts(
                conn,
                limit=limit - len(ids),
                rated_since=max(since, now - RATING_LOOKBACK) if since is not None else now - RATING_LOOKBACK,
                read_since=since if since is not None else now - READ_LOOKBACK,
            )
    if not ids:
        return 0
    return await do_record_facts(ctx, sorted(set(ids)))


async def do_record_facts(ctx: Context, chat_ids: Sequence[int]) -> int:
    """Compute and store the facts of these chats (those closed; others are skipped) and move
    the roll-ups by the difference, in one transaction. Returns how many facts were written."""
    if not chat_ids:
        return 0
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        return await _record(conn, list(chat_ids), now, is_sqlite=ctx.db.is_sqlite)


async def _record(conn: AsyncConnection, chat_ids: list[int], now: datetime, *, is_sqlite: bool) -> int:
    chats, events, routing, reviews = await facts_store.chat_inputs(conn, chat_ids, lock=not is_sqlite)
    if not chats:
        return 0
    old = await facts_store.facts_of(conn, [c.id for c in chats])
    others = await _other_chats(conn, chats, routing)
    facts: list[ChatFacts] = []
    for chat in chats:
        held = held_intervals(chat, routing.get(chat.id, []))
        agent = credited_agent(chat, held)
        around = [iv for cid, iv in others.get(agent, []) if cid != chat.id] if agent is not None else []
        facts.append(
            compute_chat_facts(
                chat,
                events.get(chat.id, []),
                routing.get(chat.id, []),
                review_scores=reviews.get(chat.id, ()),
                others=around,
            )
        )
    deltas: dict[tuple[datetime, int, int], dict[str, float]] = defaultdict(dict)
    for row in old.values():
        add_increments(deltas[rollup_key(row)], rollup_increments(row), -1)
    for fact in facts:
        add_increments(deltas[rollup_key(fact)], rollup_increments(fact), 1)
    await facts_store.upsert_facts(conn, [{**f.row(), "computed_at": now} for f in facts], is_sqlite=is_sqlite)
    await facts_store.add_to_rollups(conn, deltas, is_sqlite=is_sqlite)
    return len(facts)


async def _other_chats(
    conn: AsyncConnection, chats: Sequence[ChatRow], routing: dict[int, list[RoutingRow]]
) -> dict[int, list[tuple[int, Interval]]]:
    """The held intervals of the credited agents' chats around these chats, one query per
    stretch of at most a day of chat starts (a batch is mostly one stretch)."""
    credited = []
    for chat in chats:
        agent = credited_agent(chat, held_intervals(chat, routing.get(chat.id, [])))
        if agent is not None:
            credited.append((chat, agent))
    credited.sort(key=lambda ca: ca[0].created_at)
    out: dict[int, list[tuple[int, Interval]]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    i = 0
    while i < len(credited):
        start = credited[i][0].created_at
        j = i
        while j < len(credited) and credited[j][0].created_at - start <= timedelta(days=1):
            j += 1
        group = credited[i:j]
        end = max(c.closed_at for c, _a in group)
        found = await facts_store.held_intervals_of(conn, {a for _c, a in group}, start, end)
        for agent, items in found.items():
            for cid, iv in items:
                if (agent, cid) not in seen:
                    seen.add((agent, cid))
                    out[agent].append((cid, iv))
        i = j
    return out


async def do_rebuild_facts(
    ctx: Context, *, batch: int = BATCH, progress: Callable[[int, int], None] | None = None
) -> int:
    """Clear chat_facts and metric_hours and compute every closed chat's fact again, a batch per
    transaction; `progress(done, total)` after each batch. Returns how many facts were written."""
    async with unit_of_work(ctx) as (conn, _outbox):
        await facts_store.clear_all(conn)
    async with ctx.db.read() as conn:
        total = await facts_store.count_closed_chats(conn)
    done, after = 0, 0
    if progress is not None:
        progress(0, total)
    while True:
        async with ctx.db.read() as conn:
            ids = await facts_store.all_closed_chat_ids(conn, after_id=after, limit=batch)
        if not ids:
            break
        done += await do_record_facts(ctx, ids)
        after = ids[-1]
        if progress is not None:
            progress(done, max(total, done))
    return done
