"""Routing under real concurrency: agents and visitors racing (sends, accepts, declines, closes,
transfers, dispatches, expiries, status changes and disconnects) in randomized rounds, with the
design's invariants checked after every round; and interleavings forced with row locks."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest
from sqlalchemy import select, text, update

from frontdesk.actions import availability, dispatch, offers, transfers
from frontdesk.actions.chats import do_accept_chat, do_close_chat, do_send_visitor_message
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import Chat, DepartmentMember, RoutingLog, User
from tests.actions.routing_support import (
    bring_online,
    chat,
    check_chat_invariants,
    first_message,
    make_admin,
    make_agent,
    make_department,
    new_cid,
    set_last_assigned,
    staff,
)
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROUNDS = 100  # per backend
SEED = 20260329
EXPECTED = {"conflict", "forbidden", "chat_closed", "not_found", "offline"}


class Floor:
    """Two departments (rush: automatic offers; desk: agents pick), agents working in one or
    both, visitors coming and going; `ops()` draws one round of racing operations."""

    async def build(self, ctx, rng: random.Random):
        self.ctx, self.rng = ctx, rng
        admin = await make_admin(ctx)
        self.rush = await make_department(ctx, admin, "rush", offer_timeout_seconds=30)
        self.desk = await make_department(ctx, admin, "desk", routing="pick")
        self.agents = [await make_agent(ctx, admin, max_chats=m) for m in (1, 2, 2, 3, 1)]
        self.max = {a.id: m for a, m in zip(self.agents, (1, 2, 2, 3, 1), strict=True)}
        await staff(ctx, admin, self.rush["id"], self.agents[:4])
        await staff(ctx, admin, self.desk["id"], self.agents[2:])
        self.connected = {a.id: True for a in self.agents}
        self.visitors = [await new_visitor(ctx) for _ in range(9)]
        self.errors: list[str] = []
        return self

    async def snapshot(self) -> list[Any]:
        async with self.ctx.db.read() as conn:
            return list((await conn.execute(select(Chat).where(Chat.status != "closed"))).all())

    def ops(self, open_chats: list[Any]) -> list[Any]:
        rng, ctx = self.rng, self.ctx
        queued = [c for c in open_chats if c.status == "queued"]
        active = [c for c in open_chats if c.status == "active"]
        offered = [c for c in queued if c.offered_to is not None]
        ops, labels = [], []
        for _ in range(rng.randint(8, 16)):
            before = len(ops)
            kind = rng.choice(
                ["send", "send", "send", "accept", "accept", "close", "close", "decline", "dispatch", "dispatch"]
                + ["vclose", "transfer", "expire", "status", "presence"]
            )
            agent = rng.choice(self.agents)
            if kind == "send":
                visitor = rng.choice(self.visitors)
                dept = rng.choice(["rush", "rush", "desk"])
                ops.append(
                    do_send_visitor_message(ctx=ctx, actor=visitor, text="hello?", client_id=new_cid(), department=dept)
                )
            elif kind == "accept":
                # Mostly the agent a chat is offered to; otherwise anyone, for any waiting chat (taking
                # an unoffered one from an auto department's queue is allowed; someone else's offer is not).
                if queued:
                    target = rng.choice(offered if offered and rng.random() < 0.6 else queued)
                    if target.offered_to is not None and rng.random() < 0.7:
                        agent = next(a for a in self.agents if a.id == target.offered_to)
                    ops.append(do_accept_chat(ctx=ctx, actor=agent, chat_id=target.id))
            elif kind == "close" and active:
                target = rng.choice(active)
                closer = next((a for a in self.agents if a.id == target.assignee_id), agent)
                ops.append(do_close_chat(ctx=ctx, actor=closer if rng.random() < 0.9 else agent, chat_id=target.id))
            elif kind == "vclose" and open_chats:
                target = rng.choice(open_chats)
                visitor = next(v for v in self.visitors if v.visitor_id == target.visitor_id)
                ops.append(do_close_chat(ctx=ctx, actor=visitor, chat_id=target.id))
            elif kind == "decline" and offered:
                target = rng.choice(offered)
                decliner = next(a for a in self.agents if a.id == target.offered_to)
                ops.append(offers.do_decline_offer(ctx=ctx, actor=decliner, chat_id=target.id))
            elif kind == "dispatch":
                ops.append(dispatch.do_dispatch(ctx, self.rush["id"]))
            elif kind == "transfer" and active:
                target = rng.choice(active)
                owner = next(a for a in self.agents if a.id == target.assignee_id)
                if rng.random() < 0.5:
                    ops.append(
                        transfers.do_transfer_chat(ctx=ctx, actor=owner, chat_id=target.id, to_agent_id=agent.id)
                    )
                else:
                    dest = rng.choice([self.rush, self.desk])
                    ops.append(
                        transfers.do_transfer_chat(ctx=ctx, actor=owner, chat_id=target.id, to_department_id=dest["id"])
                    )
            elif kind == "expire" and offered:
                ops.append(self._expire(rng.choice(offered).id))
            elif kind == "status":
                ops.append(availability.do_set_agent_status(ctx, agent.id, rng.choice(["online", "online", "away"])))
            elif kind == "presence":
                ops.append(self._flip_presence(agent.id))
            if len(ops) > before:
                labels.append(kind)
        return list(zip(labels, ops, strict=True))

    async def _expire(self, chat_id: int) -> None:
        async with self.ctx.db.write() as conn:
            await conn.execute(
                update(Chat)
                .where(Chat.id == chat_id, Chat.offered_to.is_not(None))
                .values(offer_expires_at=utcnow().replace(year=2000))
            )
        await offers.do_expire_offers(self.ctx)

    async def _flip_presence(self, agent_id: int) -> None:
        if self.connected[agent_id]:
            self.connected[agent_id] = False
            if await self.ctx.presence.agent_disconnected(agent_id):
                await offers.do_withdraw_offers(self.ctx, agent_id)
        else:
            self.connected[agent_id] = True
            await self.ctx.presence.agent_connected(agent_id)
            await availability.do_agent_came_online(self.ctx, agent_id)

    async def settle(self) -> None:
        """Between rounds people come back (half the time), then a final dispatch runs."""
        if self.rng.random() < 0.5:
            for a in self.agents:
                if not self.connected[a.id]:
                    await self._flip_presence(a.id)
                await availability.do_set_agent_status(self.ctx, a.id, "online")
        await dispatch.do_dispatch(self.ctx, self.rush["id"])

    async def check(self, round_no: int) -> None:
        ctx = self.ctx
        chats = await check_chat_invariants(ctx)  # seqs, one open chat per visitor, offered xor active…
        async with ctx.db.read() as conn:
            status = dict((await conn.execute(select(User.id, User.status))).all())
            members = {
                (d, u)
                for d, u in (await conn.execute(select(DepartmentMember.department_id, DepartmentMember.user_id)))
            }
            refusals = {
                (c, a)
                for c, a in await conn.execute(
                    select(RoutingLog.chat_id, RoutingLog.agent_id).where(
                        RoutingLog.kind.in_(("declined", "offer_expired"))  # a withdrawn offer is no refusal
                    )
                )
            }
        connected = await ctx.presence.connected_agents()
        held = {a.id: 0 for a in self.agents}
        for c in chats:
            holder = c.assignee_id if c.status == "active" else c.offered_to if c.status == "queued" else None
            if holder in held:
                held[holder] += 1
        for agent_id, n in held.items():
            assert n <= self.max[agent_id], f"round {round_no}: agent {agent_id} holds {n} > {self.max[agent_id]}"
        for c in chats:
            if c.status != "queued" or c.offered_to is not None or c.department_id != self.rush["id"]:
                continue
            eligible = [
                a.id
                for a in self.agents
                if status[a.id] == "online"
                and a.id in connected
                and (self.rush["id"], a.id) in members
                and held[a.id] < self.max[a.id]
                and (c.id, a.id) not in refusals
            ]
            assert not eligible, f"round {round_no}: chat {c.id} waits while {eligible} have room"


async def quick_deadlock_detection(ctx) -> None:
    """PostgreSQL waits deadlock_timeout (1 s) before it looks for a deadlock; this database only: 50 ms."""
    async with ctx.db.write() as conn:
        name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
        await conn.execute(text(f"ALTER DATABASE \"{name}\" SET deadlock_timeout = '50ms'"))
    await ctx.db.write_engine.dispose()  # new connections pick it up


async def test_randomized_rounds_keep_the_invariants(ctx, backend):
    if backend == "postgres":
        await quick_deadlock_detection(ctx)
    rng = random.Random(f"{SEED}-{backend}")
    floor = await Floor().build(ctx, rng)
    started = time.monotonic()
    outcomes: dict[str, int] = {}
    for round_no in range(ROUNDS):
        ops = floor.ops(await floor.snapshot())
        results = await asyncio.gather(*(op for _, op in ops), return_exceptions=True)
        for (label, _), r in zip(ops, results, strict=True):
            if isinstance(r, ChatRuleError):
                assert r.code in EXPECTED, f"round {round_no}: unexpected refusal {r.code}: {r.message}"
                key = f"refused:{r.code}"
            elif isinstance(r, BaseException):
                raise AssertionError(f"round {round_no}: {label} failed: {r!r}") from r
            else:
                key = "ok"
            outcomes[key] = outcomes.get(key, 0) + 1
        await floor.settle()
        await floor.check(round_no)
    print(f"{backend}: {ROUNDS} rounds in {time.monotonic() - started:.1f} s: {outcomes}")
    # The rounds really raced and did things: chats were offered, accepted, closed; some refusals.
    kinds = {r.kind for r in await _log(ctx)}
    assert {"queued", "offered", "assigned", "declined", "offer_expired", "transferred", "missed"} <= kinds, kinds
    assert outcomes["ok"] > ROUNDS * 5 and outcomes.get("refused:conflict", 0) > 0, outcomes
    assert time.monotonic() - started < 60


async def _log(ctx):
    async with ctx.db.read() as conn:
        return list((await conn.execute(select(RoutingLog.kind).distinct())).all())


async def test_first_messages_racing_dispatches_offer_each_chat_once(ctx):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "rush")
    agents = [await make_agent(ctx, admin, max_chats=2) for _ in range(3)]
    await staff(ctx, admin, dept["id"], agents)
    visitors = [await new_visitor(ctx) for _ in range(10)]
    sends = [
        do_send_visitor_message(ctx=ctx, actor=v, text="hi", client_id=new_cid(), department="rush") for v in visitors
    ]
    dispatches = [dispatch.do_dispatch(ctx, dept["id"]) for _ in range(6)]
    results = await asyncio.gather(*sends, *dispatches)
    offers = [pair for made in results[len(sends) :] for pair in made]
    offers += await dispatch.do_dispatch(ctx, dept["id"])
    assert len({c for c, _ in offers}) == len(offers) == 6  # 3 agents x 2 slots, each chat offered once
    chats = await check_chat_invariants(ctx, [v.visitor_id for v in visitors])
    assert sorted(c.offered_to for c in chats if c.offered_to) == sorted([a.id for a in agents] * 2)
    # Everyone accepts everything offered to them, at once: all succeed, nobody is over.
    accepts = [
        do_accept_chat(ctx=ctx, actor=next(a for a in agents if a.id == c.offered_to), chat_id=c.id)
        for c in chats
        if c.offered_to
    ]
    await asyncio.gather(*accepts)
    chats = await check_chat_invariants(ctx, [v.visitor_id for v in visitors])
    assert sorted(c.assignee_id for c in chats if c.status == "active") == sorted([a.id for a in agents] * 2)


async def test_two_agents_racing_for_one_chat_in_a_pick_department(ctx):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "desk", routing="pick")
    agents = [await make_agent(ctx, admin, max_chats=1) for _ in range(4)]
    await staff(ctx, admin, dept["id"], agents)
    for _ in range(5):
        visitor = await new_visitor(ctx)
        chat_id = await first_message(ctx, visitor, "desk")
        results = await asyncio.gather(
            *(do_accept_chat(ctx=ctx, actor=a, chat_id=chat_id) for a in agents), return_exceptions=True
        )
        winners = [a for a, r in zip(agents, results, strict=True) if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1, results
        assert all(isinstance(r, ChatRuleError) and r.code == "conflict" for r in losers), losers
        assert (await chat(ctx, chat_id)).assignee_id == winners[0].id
        await do_close_chat(ctx=ctx, actor=winners[0], chat_id=chat_id)


# ---------------------------------------------------------------- interleavings forced with row locks


async def hold_user_row(ctx, user_id: int, *, until: asyncio.Event, locked: asyncio.Event) -> None:
    """A transaction that holds one agent's row lock (on SQLite: the one write connection)."""
    async with ctx.db.write() as conn:
        await conn.execute(select(User.id).where(User.id == user_id).with_for_update())
        locked.set()
        await until.wait()


async def blocked(ctx, *, at_least: int = 1, query: str = "%", unless_done: asyncio.Task | None = None) -> None:
    """Wait until `at_least` transactions of this database wait for a lock (PostgreSQL; their SQL
    LIKE `query`), or until `unless_done` finishes. SQLite shows no such thing: a short pause."""
    if ctx.db.is_sqlite:
        await asyncio.sleep(0.3)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if unless_done is not None and unless_done.done():
            return
        async with ctx.db.read() as conn:
            waiting = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query LIKE :query"
                    ),
                    {"query": query},
                )
            ).scalar_one()
        if waiting >= at_least:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing blocked on a lock ({query})")


async def forced_race(ctx, held_user_id: int, first, second) -> list[Any]:
    """Start `first` while an agent's row is locked (it gets as far as that lock), then `second`,
    then release the row. Returns both outcomes (exceptions included)."""
    release, locked = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(hold_user_row(ctx, held_user_id, until=release, locked=locked))
    await locked.wait()
    one = asyncio.create_task(first)
    await blocked(ctx)  # `first` waits for the held row
    two = asyncio.create_task(second)
    await blocked(ctx, at_least=2, unless_done=two)  # `second` waits too, or is through already
    await asyncio.sleep(0.05)
    release.set()
    await holder
    return await asyncio.wait_for(asyncio.gather(one, two, return_exceptions=True), 15)


def only_refusals(results: list[Any]) -> None:
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, ChatRuleError)]
    assert not unexpected, unexpected


async def rush_with_two(ctx):
    """An auto department with agents b (lower id) and a; a has been idle longer, so is offered first."""
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "rush")
    b, a = [await make_agent(ctx, admin) for _ in range(2)]
    await staff(ctx, admin, dept["id"], [a, b])
    await set_last_assigned(ctx, b.id, 1)
    return dept, a, b


async def test_accepting_an_offer_while_the_department_is_dispatched(ctx):
    """Regression (PostgreSQL deadlock before 3ee727d): dispatch held the department row FOR UPDATE
    while waiting for agents' rows; the accept held the agent's row and inserted routing_log rows
    whose foreign key needs KEY SHARE on that department row. The accept died with a deadlock."""
    dept, a, b = await rush_with_two(ctx)
    offered = await first_message(ctx, await new_visitor(ctx), "rush")
    await dispatch.do_dispatch(ctx, dept["id"])
    assert (await chat(ctx, offered)).offered_to == a.id
    waiting = await first_message(ctx, await new_visitor(ctx), "rush")  # the next visitor: dispatch has work
    results = await forced_race(
        ctx,
        b.id,  # dispatch stops at b's row, holding the department
        dispatch.do_dispatch(ctx, dept["id"]),
        do_accept_chat(ctx=ctx, actor=a, chat_id=offered),
    )
    only_refusals(results)
    assert ((await chat(ctx, offered)).status, (await chat(ctx, offered)).assignee_id) == ("active", a.id)
    await dispatch.do_dispatch(ctx, dept["id"])
    assert (await chat(ctx, waiting)).offered_to == b.id
    await check_chat_invariants(ctx)


async def test_accepting_from_the_queue_while_dispatch_runs(ctx):
    """Regression (PostgreSQL deadlock before 3ee727d): accept locked chat then agent, dispatch agents
    then the chats it planned; taking a not-yet-offered chat of an auto department while dispatch
    planned it deadlocked."""
    dept, a, b = await rush_with_two(ctx)
    chat_id = await first_message(ctx, await new_visitor(ctx), "rush")
    results = await forced_race(
        ctx,
        b.id,  # dispatch stops at b's row (the lowest id): it has read the queue, locked nothing else
        dispatch.do_dispatch(ctx, dept["id"]),
        do_accept_chat(ctx=ctx, actor=b, chat_id=chat_id),  # locks the chat, then waits for b's row
    )
    only_refusals(results)
    row = await chat(ctx, chat_id)
    assert (row.status == "active") != (row.offered_to is not None)
    await check_chat_invariants(ctx)


@pytest.mark.parametrize("leaves_by", ["visitor_close", "mark_missed"])
async def test_a_visitor_leaving_the_queue_while_dispatch_runs(ctx, leaves_by):
    """Regression (PostgreSQL deadlock before 3ee727d): closing a waiting chat (visitor, or mark_missed)
    held the chat row and inserted a routing_log row needing KEY SHARE on the department row, which
    dispatch held FOR UPDATE while waiting for that chat."""
    dept, a, b = await rush_with_two(ctx)
    visitor = await new_visitor(ctx)
    chat_id = await first_message(ctx, visitor, "rush")
    leave = (
        do_close_chat(ctx=ctx, actor=visitor, chat_id=chat_id)
        if leaves_by == "visitor_close"
        else dispatch.do_mark_missed(ctx, chat_id)
    )
    results = await forced_race(ctx, b.id, dispatch.do_dispatch(ctx, dept["id"]), leave)
    only_refusals(results)
    row = await chat(ctx, chat_id)
    assert (row.status, row.missed, row.offered_to) == ("closed", True, None)
    await check_chat_invariants(ctx)


@pytest.mark.parametrize("leaves_by", ["disconnect", "away"])
async def test_an_agent_leaving_during_a_dispatch_is_not_left_holding_an_offer(ctx, leaves_by):
    """Regression (PostgreSQL before 3ee727d): dispatch read presence and statuses before locking the
    agents' rows, so an agent who disconnected or went away meanwhile found no offer to withdraw and
    was then offered the chat anyway (held until the offer expired)."""
    dept, a, b = await rush_with_two(ctx)
    chat_id = await first_message(ctx, await new_visitor(ctx), "rush")

    async def leave() -> None:
        if leaves_by == "disconnect":
            assert await ctx.presence.agent_disconnected(a.id)
            await offers.do_withdraw_offers(ctx, a.id)
        else:
            await availability.do_set_agent_status(ctx, a.id, "away")

    # dispatch reads who is there, then stops at b's row (the lowest id) before locking a's.
    results = await forced_race(ctx, b.id, dispatch.do_dispatch(ctx, dept["id"]), leave())
    only_refusals(results)
    assert (await chat(ctx, chat_id)).offered_to != a.id


async def hold_chat_row(ctx, chat_id: int, *, until: asyncio.Event, locked: asyncio.Event) -> None:
    """A transaction holding a chat's row, as any writer of that chat does (a visitor's message
    updates the row in the group commit; an accept or close locks it)."""
    async with ctx.db.write() as conn:
        await conn.execute(update(Chat).where(Chat.id == chat_id).values(last_message_at=utcnow()))
        locked.set()
        await until.wait()


async def test_a_waiting_visitor_who_is_writing_keeps_their_place(ctx, backend):
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers: dispatch simply waits for the row")
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "rush")
    (a,) = [await make_agent(ctx, admin, max_chats=1)]
    await staff(ctx, admin, dept["id"], [a])
    older = await first_message(ctx, await new_visitor(ctx), "rush")
    younger = await first_message(ctx, await new_visitor(ctx), "rush")
    release, locked = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(hold_chat_row(ctx, older, until=release, locked=locked))
    await locked.wait()
    dispatching = asyncio.create_task(dispatch.do_dispatch(ctx, dept["id"]))
    await blocked(ctx, unless_done=dispatching)
    release.set()
    await holder
    await asyncio.wait_for(dispatching, 15)
    await dispatch.do_dispatch(ctx, dept["id"])  # and a later pass does not undo it
    assert ((await chat(ctx, older)).offered_to, (await chat(ctx, younger)).offered_to) == (a.id, None)


async def test_an_agent_coming_online_during_a_dispatch_never_exceeds_their_maximum(ctx, backend):
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers: the interleaving cannot happen")
    admin = await make_admin(ctx)
    rush = await make_department(ctx, admin, "rush")
    desk = await make_department(ctx, admin, "desk", routing="pick")
    b = await make_agent(ctx, admin)  # lower id: dispatch locks b's row first
    c = await make_agent(ctx, admin, max_chats=1, online=False)
    await staff(ctx, admin, rush["id"], [b, c])
    await staff(ctx, admin, desk["id"], [b, c])
    await set_last_assigned(ctx, b.id, 1)  # c would be idle longest
    in_desk = await first_message(ctx, await new_visitor(ctx), "desk")
    in_rush = await first_message(ctx, await new_visitor(ctx), "rush")

    release_b, b_locked = asyncio.Event(), asyncio.Event()
    holding_b = asyncio.create_task(hold_user_row(ctx, b.id, until=release_b, locked=b_locked))
    await b_locked.wait()
    dispatching = asyncio.create_task(dispatch.do_dispatch(ctx, rush["id"]))  # c is not online: not a candidate
    await blocked(ctx, unless_done=dispatching)
    await bring_online(ctx, c.id)  # c opens the console meanwhile...
    release_z, z_locked = asyncio.Event(), asyncio.Event()
    holding_z = asyncio.create_task(hold_chat_row(ctx, in_desk, until=release_z, locked=z_locked))
    await z_locked.wait()
    accepting = asyncio.create_task(do_accept_chat(ctx=ctx, actor=c, chat_id=in_desk))  # ...and takes a chat
    await blocked(ctx, at_least=2, unless_done=accepting)
    release_b.set()
    await holding_b
    # dispatch now waits for c's row (it locks every member, online or not, in id order)
    await blocked(ctx, at_least=2, unless_done=dispatching)
    release_z.set()
    await holding_z
    results = await asyncio.wait_for(asyncio.gather(dispatching, accepting, return_exceptions=True), 15)
    only_refusals(results)
    held = sum(
        1
        for row in [await chat(ctx, in_desk), await chat(ctx, in_rush)]
        if (row.status == "active" and row.assignee_id == c.id) or (row.status == "queued" and row.offered_to == c.id)
    )
    assert held <= 1
