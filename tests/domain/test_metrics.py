"""domain/metrics.py: each definition of docs/metrics.md on hand-built event lists, the summaries
(percentiles, service level), and a property test that summing roll-up increments gives the
figures computed from the facts directly."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.metric_buckets import BUCKETS, DURATION_METRICS, EDGES, bucket_of
from frontdesk.domain.metrics import (
    AGENT_GAP_LIMIT_S,
    METRICS,
    VISITOR_GAP_LIMIT_S,
    ChatFacts,
    ChatRow,
    EventRow,
    Interval,
    RoutingRow,
    add_increments,
    agent_holds,
    bucket_bounds,
    compute_chat_facts,
    duration_buckets,
    duration_values,
    rollup_increments,
    service_level,
    service_level_of,
    summarize_buckets,
    summarize_rollup,
    summarize_values,
)

T0 = datetime(2026, 10, 24, 12, 0, 0, tzinfo=UTC)
ADA, BEN, CAI = 11, 12, 13
DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


class Chat:
    """A hand-built chat: events and routing rows appended in time order."""

    def __init__(self, chat_id: int = 1) -> None:
        self.id = chat_id
        self.events: list[EventRow] = [EventRow(1, "chat.started", "system", None, at(0))]
        self.routing: list[RoutingRow] = [RoutingRow("queued", None, at(0))]
        self.assignee: int | None = None
        self.read_seq = 0

    def _event(self, kind: str, author: str, agent: int | None, s: float, internal: bool = False) -> int:
        seq = len(self.events) + 1
        self.events.append(EventRow(seq, kind, author, agent, at(s), internal))
        return seq

    def visitor(self, s: float) -> int:
        return self._event("message", "visitor", None, s)

    def agent(self, agent: int, s: float) -> int:
        return self._event("message", "agent", agent, s)

    def assign(self, agent: int, s: float, kind: str = "assigned") -> None:
        self.routing.append(RoutingRow(kind, agent, at(s)))
        self._event("chat.assigned" if kind == "assigned" else "chat.taken_over", "system", None, s)
        self.assignee = agent

    def transfer(self, s: float, to_agent: int | None) -> None:
        self.routing.append(RoutingRow("transferred", to_agent, at(s)))
        self._event("chat.transferred", "system", None, s)
        self.assignee = to_agent

    def escalate(self, agent: int, s: float) -> None:
        self.routing.append(RoutingRow("escalated", agent, at(s)))
        self._event("chat.escalated", "system", None, s)
        self.assignee = None

    def facts(self, closed: float, **kw: object) -> ChatFacts:
        self._event("chat.closed", "system", None, closed)
        row = ChatRow(
            id=self.id,
            department_id=1,
            assignee_id=self.assignee,
            created_at=at(0),
            closed_at=at(closed),
            queued_at=at(0),
            rating=kw.pop("rating", None),  # type: ignore[arg-type]
            invitation_id=kw.pop("invitation_id", None),  # type: ignore[arg-type]
            visitor_read_seq=self.read_seq,
        )
        return compute_chat_facts(row, self.events, self.routing, **kw)  # type: ignore[arg-type]


# ---- each definition on a hand-built chat ------------------------------------------------------


def test_a_missed_chat_the_visitor_left_while_waiting() -> None:
    c = Chat()
    c.visitor(0)
    f = c.facts(90)
    assert (f.answered, f.missed, f.dropped) == (False, True, False)
    assert f.first_response_s is None and f.queue_wait_s is None and f.handle_s is None
    assert f.duration_s == 90 and f.visitor_messages == 1 and f.agent_id is None
    assert rollup_increments(f)["missed"] == 1 and "answered" not in rollup_increments(f)


def test_assigned_but_closed_before_any_reply_is_missed() -> None:
    """chats.missed is only routing's flag (closed while queued); the fact counts any chat that
    closed unanswered - here the visitor left 2 min after an agent accepted, before a reply."""
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 10)
    f = c.facts(130)
    assert f.missed and not f.answered
    assert f.queue_wait_s == 10 and f.agent_id == ADA
    assert f.handle_s == 120  # waiting on the agent, 120 s <= 600 s: counted


def test_notes_whispers_system_and_the_invitation_text_are_no_reply() -> None:
    c = Chat()
    c._event("message", "agent", ADA, 0)  # the invitation's opening text, before the visitor spoke
    c.visitor(5)
    c.assign(ADA, 6, kind="assigned")
    c._event("note", "agent", ADA, 10, internal=True)
    c._event("whisper", "agent", BEN, 11, internal=True)
    c._event("message", "system", None, 12)
    c._event("message", "agent", None, 13)  # the team's text: no human wrote it
    f = c.facts(20, invitation_id=7)
    assert not f.answered and f.missed and f.first_agent_id is None
    assert f.invitation_id == 7 and rollup_increments(f)["invited"] == 1


def test_an_answered_chat_first_response_and_reply_times() -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 20)
    c.agent(ADA, 50)  # reply 50 s, first response 50 s (from the chat's start)
    c.visitor(60)
    c.visitor(70)  # the same unanswered run: measured from 60
    c.agent(ADA, 100)  # reply 40 s
    c.agent(ADA, 110)  # no visitor message waiting: no reply
    c.read_seq = 99
    f = c.facts(120)
    assert f.answered and not f.missed and not f.dropped
    assert f.first_response_s == 50 and f.first_agent_id == ADA and f.queue_wait_s == 20
    assert (f.reply_n, f.reply_sum_s, f.reply_max_s, f.reply_mean_s) == (2, 90, 50, 45)
    assert (f.visitor_messages, f.agent_messages) == (3, 3)
    assert f.duration_s == 120


def test_a_dropped_chat_left_with_the_last_agent_message_unread() -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 5)
    first = c.agent(ADA, 30)
    c.read_seq = first  # read the first reply
    c.visitor(40)
    c.agent(ADA, 60)  # never read
    f = c.facts(70)
    assert f.answered and f.dropped

    c2 = Chat()
    c2.visitor(0)
    c2.assign(ADA, 5)
    c2.read_seq = c2.agent(ADA, 30)
    c2._event("note", "agent", ADA, 40, internal=True)  # a later note is not the visitor's to read
    assert not c2.facts(50).dropped


def test_a_transfer_to_a_department_stops_the_handle_clock_until_reassigned() -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 10)
    c.agent(ADA, 40)  # 30 s waiting on the agent
    c.transfer(100, None)  # 60 s waiting on the visitor; then queued
    c.assign(BEN, 400)  # 300 s back in the queue: not handle time
    c.agent(BEN, 430)  # 30 s
    c.read_seq = 99
    f = c.facts(460)  # 30 s waiting on the visitor
    assert f.transfers == 1 and f.agent_id == BEN and f.first_agent_id == ADA
    assert f.handle_s == 30 + 60 + 30 + 30
    assert f.queue_wait_s == 10  # the first assignment


def test_a_transfer_to_an_agent_credits_the_new_agent() -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 10)
    c.agent(ADA, 20)
    c.transfer(30, BEN)
    c.agent(BEN, 40)
    c.read_seq = 99
    f = c.facts(50)
    assert f.agent_id == BEN and f.transfers == 1 and f.handle_s == 10 + 10 + 10 + 10


@pytest.mark.parametrize(
    ("gap", "counted"),
    [(AGENT_GAP_LIMIT_S, AGENT_GAP_LIMIT_S), (AGENT_GAP_LIMIT_S + 1, 0)],
)
def test_a_gap_waiting_on_the_agent_over_600_s_counts_zero(gap: int, counted: int) -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 0)
    c.agent(ADA, 10)
    c.visitor(20)
    c.agent(ADA, 20 + gap)
    c.read_seq = 99
    f = c.facts(20 + gap)
    assert f.handle_s == 10 + 10 + counted


@pytest.mark.parametrize(
    ("gap", "counted"),
    [(VISITOR_GAP_LIMIT_S, VISITOR_GAP_LIMIT_S), (VISITOR_GAP_LIMIT_S + 1, 0)],
)
def test_a_gap_waiting_on_the_visitor_over_240_s_counts_zero(gap: int, counted: int) -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 0)
    c.agent(ADA, 10)
    c.visitor(10 + gap)
    c.read_seq = 99
    f = c.facts(10 + gap)
    assert f.handle_s == 10 + counted


def test_an_escalation_then_missed_back_in_the_queue() -> None:
    """Answered before the escalation, so not missed even though routing flags it missed; the
    chat counts for the last agent who held it."""
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 10)
    c.agent(ADA, 20)
    c.escalate(ADA, 30)
    c.routing.append(RoutingRow("missed", None, at(90)))
    c.read_seq = 99
    f = c.facts(90)
    assert f.escalations == 1 and f.answered and not f.missed
    assert f.agent_id == ADA
    assert f.handle_s == 10 + 10  # held 10..30 only


def test_agent_holds_counts_every_agent_who_held_the_chat() -> None:
    # Ada held it 10-60, escalated it; Ben took it 70 and transferred it to Cai at 100; Cai holds it still.
    routing = [
        RoutingRow("queued", None, at(0)),
        RoutingRow("assigned", ADA, at(10)),
        RoutingRow("escalated", ADA, at(60)),
        RoutingRow("assigned", BEN, at(70)),
        RoutingRow("transferred", CAI, at(100)),
    ]
    holds = agent_holds(7, at(0), CAI, at(100), None, routing)
    assert holds == [
        (ADA, Interval(at(10), at(60))),
        (BEN, Interval(at(70), at(100))),
        (CAI, Interval(at(100), None)),
    ]
    # closed at 200: Cai's hold ends then; no routing rows: held from assigned_at to the close
    assert agent_holds(7, at(0), CAI, at(100), at(200), routing)[-1] == (CAI, Interval(at(100), at(200)))
    assert agent_holds(8, at(0), ADA, at(5), at(50), []) == [(ADA, Interval(at(5), at(50)))]


def test_rating_review_and_concurrency() -> None:
    c = Chat()
    c.visitor(0)
    c.assign(ADA, 0)
    c.agent(ADA, 10)
    c.read_seq = 99
    # Ada held another chat for the first half of this one and a third for all of it.
    others = [Interval(at(-50), at(50)), Interval(at(-10), None)]
    f = c.facts(100, rating=4, review_scores=[3.0, 4.5], others=others)
    assert f.rating == 4 and f.review_score == 3.75
    assert f.concurrency == pytest.approx(1 + 0.5 + 1)
    inc = rollup_increments(f)
    assert (inc["rated"], inc["rating_sum"], inc["rating_good"], inc["reviewed"], inc["review_sum"]) == (
        1,
        4,
        1,
        1,
        3.75,
    )


# ---- summaries ---------------------------------------------------------------------------------


def test_percentiles_are_numpys_linear_method() -> None:
    s = summarize_values([10, 1, 4, 3, 2])
    # sorted 1 2 3 4 10: p50 = 3; p90 rank 0.9 * 4 = 3.6 -> 4 + 0.6 * (10 - 4) = 7.6
    assert s == {"n": 5, "mean": 4.0, "p50": 3.0, "p90": pytest.approx(7.6), "approx": False}
    assert summarize_values([]) == {"n": 0, "mean": None, "p50": None, "p90": None, "approx": False}
    # one slow outlier moves the mean, not the median
    assert summarize_values([20] * 9 + [10800])["p50"] == 20


def test_summarize_buckets_reads_inside_the_bucket() -> None:
    buckets = [0] * BUCKETS
    for v in (3, 7, 8, 9, 100, 2000):
        buckets[bucket_of(v)] += 1
    s = summarize_buckets(6, 2127, buckets)
    assert s["approx"] and s["n"] == 6 and s["mean"] == pytest.approx(2127 / 6)
    assert 5 < s["p50"] <= 10  # the exact 8.5 lies in (5, 10]
    assert 90 < s["p90"] <= 2700  # exact 1050: between the buckets of 100 and 2000
    # two values in different buckets: each placed mid-bucket (0-5 -> 2.5, 10-15 -> 12.5), then
    # the linear rule halfway between them, as the exact median (10) is halfway between 5 and 15
    two = [0] * BUCKETS
    two[bucket_of(5)] += 1
    two[bucket_of(15)] += 1
    assert summarize_buckets(2, 20, two)["p50"] == pytest.approx(7.5)
    assert summarize_buckets(0, 0, [0] * BUCKETS)["p50"] is None
    with pytest.raises(ValueError):
        summarize_buckets(1, 1, [1])


def test_service_level_at_an_edge() -> None:
    values = [30, 30.001, 5, 600]
    buckets = [0] * BUCKETS
    for v in values:
        buckets[bucket_of(v)] += 1
    assert service_level(buckets, 30) == 0.5  # 30 s is within 30 s; 30.001 s is not
    assert service_level_of(values, 30) == 0.5
    assert service_level(buckets, 600) == 1.0
    assert service_level([0] * BUCKETS, 30) is None


@pytest.mark.parametrize("bad", [31, 0, -5, "30", 30.0, True, None])
def test_service_level_needs_t_at_a_bucket_edge(bad: object) -> None:
    with pytest.raises(ChatRuleError) as err:
        service_level([0] * BUCKETS, bad)  # type: ignore[arg-type]
    assert err.value.field == "seconds" and err.value.code == "bad_request"
    with pytest.raises(ChatRuleError):
        service_level_of([1.0], bad)  # type: ignore[arg-type]


# ---- the registry and its documentation --------------------------------------------------------


def test_every_contract_metric_has_one_definition_written_in_docs_metrics_md() -> None:
    required = {
        "chats",
        "answered",
        "missed",
        "dropped",
        "offline_messages",
        "queue_wait",
        "first_response",
        "reply",
        "handle",
        "duration",
        "concurrency",
        "transfers",
        "escalations",
        "service_level",
        "satisfaction",
        "rating_average",
        "review_score",
        "invitations_sent",
        "invitations_accepted",
        "online_hours",
        "chatting_hours",
        "idle_hours",
    }
    assert required <= set(METRICS)
    docs = re.sub(r"\s+", " ", DOCS.read_text(encoding="utf-8"))
    for key, metric in METRICS.items():
        assert metric.key == key and metric.unit in ("count", "seconds", "share", "score")
        assert metric.definition in docs, f"docs/metrics.md lacks the definition of {key!r} word for word"


# ---- roll-ups: the increments of many facts add up to the facts' own figures -----------------

_durations = st.one_of(st.none(), st.floats(min_value=0, max_value=40_000, allow_nan=False))


@st.composite
def _facts(draw: st.DrawFn) -> ChatFacts:
    answered = draw(st.booleans())
    reply_n = draw(st.integers(0, 6)) if answered else 0
    return ChatFacts(
        chat_id=draw(st.integers(1, 10**9)),
        department_id=draw(st.sampled_from([None, 1, 2])),
        agent_id=draw(st.sampled_from([None, ADA, BEN])),
        first_agent_id=None,
        started_at=T0,
        hour_at=T0 + timedelta(hours=draw(st.integers(0, 3))),
        ended_at=T0,
        answered=answered,
        missed=not answered,
        dropped=answered and draw(st.booleans()),
        queue_wait_s=draw(_durations),
        first_response_s=draw(st.floats(0, 20_000)) if answered else None,
        reply_n=reply_n,
        reply_sum_s=draw(st.floats(0, 5_000)) if reply_n else 0.0,
        handle_s=draw(_durations),
        duration_s=draw(st.floats(0, 40_000)),
        transfers=draw(st.integers(0, 3)),
        escalations=draw(st.integers(0, 2)),
        rating=draw(st.one_of(st.none(), st.integers(1, 5))),
        review_score=draw(st.one_of(st.none(), st.floats(0, 5))),
        invitation_id=draw(st.one_of(st.none(), st.integers(1, 99))),
    )


def _check_percentile(values: list[float], approx: float | None, q: float) -> None:
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo, hi = xs[math.floor(h)], xs[math.ceil(h)]
    exact = summarize_values(xs)["p50" if q == 0.5 else "p90"]
    assert approx is not None and exact is not None
    low_edge = bucket_bounds(bucket_of(lo))[0]
    high_edge = bucket_bounds(bucket_of(hi))[1]
    # between the buckets of the two values the exact quantile interpolates between ...
    assert low_edge <= approx <= high_edge + 1e-9
    if bucket_of(lo) == bucket_of(hi):  # ... and in the exact value's own bucket when they share one
        assert bucket_of(exact) == bucket_of(lo)
        assert bucket_bounds(bucket_of(exact))[0] <= approx <= bucket_bounds(bucket_of(exact))[1] + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.lists(_facts(), min_size=1, max_size=60))
def test_summed_increments_equal_the_figures_of_the_facts(facts: list[ChatFacts]) -> None:
    total: dict[str, float] = {}
    for f in facts:
        add_increments(total, rollup_increments(f))
    assert total["chats"] == len(facts)
    assert total.get("answered", 0) == sum(f.answered for f in facts)
    assert total.get("missed", 0) == sum(f.missed for f in facts)
    assert total.get("dropped", 0) == sum(f.dropped for f in facts)
    assert total.get("transfers", 0) == sum(f.transfers for f in facts)
    assert total.get("escalations", 0) == sum(f.escalations for f in facts)
    rated = [f.rating for f in facts if f.rating is not None]
    assert (total.get("rated", 0), total.get("rating_sum", 0)) == (len(rated), sum(rated))
    assert total.get("rating_good", 0) == sum(1 for r in rated if r >= 4)
    reviews = [f.review_score for f in facts if f.review_score is not None]
    assert total.get("reviewed", 0) == len(reviews)
    assert total.get("review_sum", 0) == pytest.approx(math.fsum(reviews))
    assert total.get("invited", 0) == sum(f.invitation_id is not None for f in facts)
    for metric in DURATION_METRICS:
        values = [v for f in facts if (v := duration_values(f)[metric]) is not None]
        assert total.get(f"{metric}_n", 0) == len(values)
        assert total.get(f"{metric}_sum", 0) == pytest.approx(math.fsum(values))
        assert duration_buckets(total, metric) == [sum(1 for v in values if bucket_of(v) == i) for i in range(BUCKETS)]
        summary = summarize_rollup(total, metric)
        exact = summarize_values(values)
        assert summary["n"] == exact["n"]
        if values:
            assert summary["mean"] == pytest.approx(exact["mean"])
            _check_percentile(values, summary["p50"], 0.5)
            _check_percentile(values, summary["p90"], 0.9)
    # a row read back from chat_facts (a mapping) gives the same increments: it can be subtracted
    for f in facts:
        assert rollup_increments(f.row()) == rollup_increments(f)


def test_bucket_bounds_cover_the_edges() -> None:
    assert bucket_bounds(0) == (0.0, EDGES[0])
    assert bucket_bounds(BUCKETS - 1)[0] == EDGES[-1]
    for v in (0, 5, 5.5, 14400, 14401):
        lower, upper = bucket_bounds(bucket_of(v))
        assert lower <= v <= upper or (v > EDGES[-1] and lower < v)
