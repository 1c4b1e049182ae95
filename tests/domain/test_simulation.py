"""The desk simulation behind `frontdesk demo` (domain/simulation.py): deterministic per seed, a
daily rhythm, nobody above their maximum, handle times that grow with load, and visitors who give
up when the desk is understaffed (and rarely when it is not)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from statistics import mean
from zoneinfo import ZoneInfo

from frontdesk.domain.simulation import (
    AgentSpec,
    DepartmentSpec,
    Shift,
    SimChat,
    SimConfig,
    SimResult,
    demo_config,
    simulate,
)

START = datetime(2026, 3, 23, tzinfo=UTC)  # a Monday; Europe's clocks go forward on the 29th


@cache
def demo_week(seed: int = 1) -> SimResult:
    return simulate(demo_config(), START, 1, seed)


def flat_desk(
    *,
    agents: int,
    max_chats: int,
    per_hour: float,
    aht: tuple[float, ...] = (600.0,),
    daily: tuple[float, ...] = (1.0,) * 24,
) -> SimConfig:
    """One always-open department (a flat arrival rate unless `daily` says otherwise) and agents
    online around the clock."""
    dept = DepartmentSpec(
        slug="desk", name="Desk", timezone="UTC", hours={}, peak_per_hour=per_hour, daily=daily, weekly=(1.0,) * 7
    )
    always = Shift(days=tuple(range(7)), start=0, minutes=24 * 60)
    people = tuple(
        AgentSpec(name=f"Agent {i}", email=f"a{i}@example.com", departments=("desk",), timezone="UTC",
                  shifts=(always,), max_chats=max_chats)
        for i in range(agents)
    )  # fmt: skip
    return SimConfig(
        departments=(dept,), agents=people, aht_by_load=aht, invitation_rate=0.0, transfer_p=0.0, escalation_p=0.0
    )


def held_intervals(chat: SimChat) -> list[tuple[datetime, datetime, int]]:
    """Who held the chat when, read from its timeline alone (not the simulator's counters)."""
    out: list[tuple[datetime, datetime, int]] = []
    holder: tuple[datetime, int] | None = None
    for m in chat.messages:
        if m.kind == "chat.assigned" or (m.kind == "chat.transferred" and m.data.get("to_agent")):
            if holder is not None:
                out.append((holder[0], m.at, holder[1]))
            who = m.data["agent"] if m.kind == "chat.assigned" else m.data["to_agent"]
            holder = (m.at, who["id"])
        elif m.kind in ("chat.transferred", "chat.escalated", "chat.closed") and holder is not None:
            out.append((holder[0], m.at, holder[1]))
            holder = None
    return out


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    first, again = demo_week(), simulate(demo_config(), START, 1, 1)
    assert first.chats == again.chats
    assert first.routing == again.routing
    assert first.statuses == again.statuses
    assert first.invitations == again.invitations and first.offline == again.offline
    small = flat_desk(agents=2, max_chats=2, per_hour=6)
    assert simulate(small, START, 1, 1).chats == simulate(small, START, 1, 1).chats
    assert simulate(small, START, 1, 1).chats != simulate(small, START, 1, 2).chats
    told: list[tuple[int, int]] = []
    watched = simulate(small, START, 1, 1, on_day=lambda done, total: told.append((done, total)))
    assert watched.chats == simulate(small, START, 1, 1).chats  # progress reports change nothing
    assert told == [(d, 7) for d in range(1, 8)]


def test_the_history_has_everything_the_reports_show() -> None:
    result = demo_week()
    chats = result.chats
    assert 1000 < len(chats) < 4000
    assert all(c.closed_at is not None and c.closed_at >= c.created_at for c in chats)
    kinds = Counter(r.kind for r in result.routing)
    for kind in ("queued", "offered", "assigned", "transferred", "escalated", "missed", "offline_ticket"):
        assert kinds[kind] > 0, kind
    assert sum(c.missed for c in chats) > 0 and sum(c.dropped for c in chats) > 0
    ratings = Counter(c.rating for c in chats if c.rating is not None)
    assert ratings[5] + ratings[4] > 2 * (ratings[1] + ratings[2])  # mostly good
    assert any(c.invitation is not None for c in chats)
    assert {i.outcome for i in result.invitations} >= {"accepted", "dismissed", "expired"}
    assert len(result.offline) > 0
    reasons = Counter((s.status, s.reason) for s in result.statuses)
    for pair in (("online", "connected"), ("offline", "disconnected"), ("away", "manual"), ("online", "assigned")):
        assert reasons[pair] > 0, pair
    # A dropped chat: the visitor left with the agent's last message unread.
    dropped = next(c for c in chats if c.dropped)
    last_agent = max(i for i, m in enumerate(dropped.messages, 1) if m.author == "agent" and m.kind == "message")
    assert dropped.read_seq < last_agent


def test_more_chats_at_the_peak_hour_than_at_three_in_the_morning() -> None:
    # Open and staffed around the clock, so every arrival is a chat: the curve alone decides.
    curve = demo_config().departments[0].daily
    result = simulate(flat_desk(agents=4, max_chats=3, per_hour=8, daily=curve), START, 1, 2)
    hours = Counter(c.created_at.hour for c in result.chats)
    assert hours[10] > 5 * max(1, hours[3])
    oslo = ZoneInfo("Europe/Oslo")
    weekdays = Counter(c.created_at.astimezone(oslo).weekday() for c in demo_week().chats)
    assert weekdays[0] > 2 * weekdays[6]  # a weekly rhythm: Monday is busier than Sunday


def test_no_agent_ever_holds_more_than_their_maximum() -> None:
    result = demo_week()
    changes: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for chat in result.chats:
        for start, end, agent in held_intervals(chat):
            changes[agent] += [(start, 1), (end, -1)]
    assert changes
    for agent, points in changes.items():
        held = peak = 0
        for _at, step in sorted(points, key=lambda p: (p[0], p[1])):  # a release before a take at the same time
            held += step
            peak = max(peak, held)
        assert peak <= result.config.agents[agent].max_chats, result.config.agents[agent].name
    assert all(s.load <= result.config.agents[s.agent].max_chats for s in result.statuses)


def test_a_night_shift_runs_across_midnight() -> None:
    result = demo_week()
    oslo = ZoneInfo("Europe/Oslo")
    lars = next(i for i, a in enumerate(result.config.agents) if a.name == "Lars Moen")
    ends = [s.at.astimezone(oslo) for s in result.statuses if s.agent == lars and s.status == "offline"]
    assert ends and all(e.hour in (1, 2) for e in ends)  # 17:00-01:00, later only while finishing a chat


def test_handle_times_grow_with_the_chats_an_agent_holds() -> None:
    config = flat_desk(agents=2, max_chats=3, per_hour=16, aht=(300.0, 600.0, 900.0))
    result = simulate(config, START, 1, 3)
    by_load: dict[int, list[float]] = defaultdict(list)
    for chat in result.chats:
        if chat.load_at_assignment and chat.assigned_at and chat.closed_at:
            by_load[chat.load_at_assignment].append((chat.closed_at - chat.assigned_at).total_seconds())
    assert all(len(by_load[k]) > 50 for k in (1, 2, 3)), {k: len(v) for k, v in by_load.items()}
    assert mean(by_load[1]) * 1.3 < mean(by_load[2])
    assert mean(by_load[2]) * 1.2 < mean(by_load[3])


def test_visitors_give_up_when_understaffed_and_rarely_when_not() -> None:
    def missed_share(config: SimConfig) -> float:
        chats = simulate(config, START, 1, 5).chats
        return sum(c.missed and c.closed_by == "visitor" for c in chats) / len(chats)  # they gave up

    # 12 chats an hour: one agent holding one chat of 10 minutes serves 6 of them; five agents
    # holding up to three serve all.
    understaffed = missed_share(flat_desk(agents=1, max_chats=1, per_hour=12))
    overstaffed = missed_share(flat_desk(agents=5, max_chats=3, per_hour=12))
    assert understaffed > 0.4
    assert overstaffed < 0.08  # only the few who leave within the seconds an offer takes


def test_the_weeks_and_the_timeline_stay_within_the_range() -> None:
    result = demo_week()
    assert result.end == START + timedelta(weeks=1)
    assert all(START <= c.created_at < result.end for c in result.chats)
    assert all(c.closed_at is not None and c.closed_at <= result.end + timedelta(hours=6) for c in result.chats)


def test_until_cuts_the_history_there_and_leaves_out_what_is_unfinished() -> None:
    small = replace(flat_desk(agents=3, max_chats=2, per_hour=10), invitation_rate=0.3)
    until = START + timedelta(days=7, hours=14, minutes=23)  # the 8th day, mid-afternoon
    result = simulate(small, START, 1, 4, until=until)
    assert result.end == until
    assert simulate(small, START, 1, 4, until=until).chats == result.chats  # deterministic
    # Today's chats up to now are there, every one finished; nothing is dated after now.
    assert any(c.created_at >= START + timedelta(days=7) for c in result.chats)
    assert all(c.closed_at is not None and c.closed_at <= until for c in result.chats)
    assert all(m.at <= until for c in result.chats for m in c.messages)
    assert all(c.rated_at is None or c.rated_at <= until for c in result.chats)
    assert all(r.at <= until for r in result.routing) and all(s.at <= until for s in result.statuses)
    assert all(i.outcome_at <= until for i in result.invitations)
    # The uncut run has chats still going at that moment: the cut left them out.
    uncut = simulate(small, START, 2, 4).chats
    assert any(c.created_at < until < c.closed_at for c in uncut if c.closed_at is not None)
    # Numbered from 1 with every reference inside (the store relies on it).
    assert [c.number for c in result.chats] == list(range(1, len(result.chats) + 1))
    assert [i.number for i in result.invitations] == list(range(1, len(result.invitations) + 1))
    assert all(r.chat is None or 1 <= r.chat <= len(result.chats) for r in result.routing)
    assert all(i.chat is None or result.chats[i.chat - 1].invitation == i.number - 1 for i in result.invitations)
    # Every agent ends offline, at the cut at the latest.
    last: dict[int, str] = {}
    for s in result.statuses:
        last[s.agent] = s.status
    assert set(last.values()) <= {"offline"}
