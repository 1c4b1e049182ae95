"""What every figure of the reports means, and how one closed chat's figures are worked out.

Pure functions, no I/O (issue 14). `METRICS` holds one definition per metric; docs/metrics.md
repeats each definition word for word (a test checks it) and every report answer carries the
definitions of the figures it returns. `compute_chat_facts` turns a closed chat's row, its stored
events (the `messages` table) and its routing log into a `ChatFacts` (one `chat_facts` row);
`rollup_increments` says what that fact adds to the hourly roll-ups (`metric_hours`).
Durations are summarised as median, 90th percentile, mean and count: `summarize_values` exactly
from per-chat values, `summarize_buckets` approximately from the roll-ups' histogram buckets
(domain/metric_buckets.py). All times are UTC here; the report layer localises.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from frontdesk.domain.chat_rules import AuthorType, ChatRuleError, EventKind
from frontdesk.domain.metric_buckets import BUCKETS, COUNT_COLUMNS, DURATION_METRICS, EDGES, bucket_column, bucket_of

# Active handle time: a gap between messages longer than these is not counted (counts 0).
VISITOR_GAP_LIMIT_S = 240  # the agent wrote last and waits on the visitor
AGENT_GAP_LIMIT_S = 600  # the visitor wrote last (or the chat was just assigned) and waits on the agent
# Reports read exact per-chat values (chat_facts) up to this many chats, else the roll-ups.
EXACT_LIMIT = 20_000
GOOD_RATING = 4  # ratings of 4 and 5 are "good" (thumbs up is stored as 5)

Unit = Literal["count", "seconds", "share", "score"]


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    unit: Unit
    definition: str


def _m(key: str, label: str, unit: Unit, definition: str) -> tuple[str, Metric]:
    return key, Metric(key, label, unit, definition)


METRICS: dict[str, Metric] = dict(
    [
        _m(
            "chats",
            "Chats",
            "count",
            "Chats started in the period (a chat belongs to the hour and day it started in), counted once it has "
            "closed.",
        ),
        _m(
            "answered",
            "Answered",
            "count",
            "Chats in which a human agent sent the visitor a message after the visitor's first message. Internal "
            "notes and whispers, system messages and an invitation's opening text do not count.",
        ),
        _m(
            "missed",
            "Missed",
            "count",
            "Chats that closed before any human agent replied: the visitor left or closed the chat while waiting, "
            "the chat timed out, or it was closed unanswered. Every closed chat is either answered or missed.",
        ),
        _m(
            "dropped",
            "Dropped",
            "count",
            "Answered chats that closed while the visitor had not read the agents' last message (the last message "
            "seq the visitor's widget reported as read is below the seq of the last agent message).",
        ),
        _m(
            "offline_messages",
            "Offline messages",
            "count",
            "Messages visitors left with the offline form while the department was not taking chats.",
        ),
        _m(
            "queue_wait",
            "Queue wait",
            "seconds",
            "From the moment a chat was queued to its first assignment (an agent accepted it, or it went straight to "
            "the inviting agent: 0 s). Chats never assigned have none.",
        ),
        _m(
            "first_response",
            "First response time",
            "seconds",
            "From the moment the chat started to the first human agent reply (answered chats only).",
        ),
        _m(
            "reply",
            "Reply time",
            "seconds",
            "From each visitor message that starts an unanswered run of visitor messages to the next human agent "
            "message. A chat's reply time is the mean of its replies; a last visitor message nobody answered counts "
            "no reply.",
        ),
        _m(
            "handle",
            "Active handle time",
            "seconds",
            "The sum of the gaps between consecutive moments while an agent held the chat: the assignment, each "
            "message of the visitor or an agent, and the end of the hold (the close, a transfer to a queue or an "
            "escalation). A gap after an agent's message longer than 240 s (waiting on the visitor), or after a "
            "visitor's message or the assignment longer than 600 s (waiting on the agent), counts 0 s: it is left "
            "out whole, not capped. Time back in a queue is not counted.",
        ),
        _m(
            "duration",
            "Chat duration",
            "seconds",
            "From the moment the chat started to the moment it closed.",
        ),
        _m(
            "concurrency",
            "Concurrency",
            "count",
            "The number of chats the credited agent held at once while this chat was theirs, itself included, "
            "weighted by time (from this chat's assignment to its close).",
        ),
        _m(
            "transfers",
            "Transfers",
            "count",
            "Transfers of chats to another agent or department (chat.transferred events).",
        ),
        _m(
            "escalations",
            "Escalations",
            "count",
            "Escalations of chats to a higher level (chat.escalated events).",
        ),
        _m(
            "service_level",
            "Service level",
            "share",
            "The share of answered chats whose first response came within T seconds; the denominator is the "
            "answered chats (missed chats are counted by Missed).",
        ),
        _m(
            "satisfaction",
            "Satisfaction",
            "share",
            "The share of good ratings (4 or 5 stars; a thumbs up is stored as 5) among the rated chats.",
        ),
        _m(
            "rating_average",
            "Average rating",
            "score",
            "The mean of the visitors' ratings, 1 to 5, over the rated chats.",
        ),
        _m(
            "review_score",
            "Review score",
            "score",
            "The mean review score, 0 to 5, over the reviewed chats (a chat with several reviews counts the mean of "
            "its reviews).",
        ),
        _m(
            "invitations_sent",
            "Invitations sent",
            "count",
            "Invitations to chat created for visitors, by a rule or by an agent.",
        ),
        _m(
            "invitations_accepted",
            "Invitations accepted",
            "count",
            "Invitations the visitor answered, starting a chat.",
        ),
        _m(
            "online_hours",
            "Online hours",
            "seconds",
            "Time an agent's status was online.",
        ),
        _m(
            "chatting_hours",
            "Chatting hours",
            "seconds",
            "Time an agent held at least one chat, whatever their status.",
        ),
        _m(
            "idle_hours",
            "Idle hours",
            "seconds",
            "Time an agent was online and held no chat.",
        ),
    ]
)


def definitions(keys: Iterable[str]) -> dict[str, str]:
    """`{key: definition}` for the metrics a report returns (unknown keys are left out)."""
    return {k: METRICS[k].definition for k in keys if k in METRICS}


# ---------------------------------------------------------------------------------------------
# Summaries of durations: median, p90, mean, count


class Summary(TypedDict):
    n: int
    mean: float | None
    p50: float | None
    p90: float | None
    approx: bool


def _quantile_sorted(xs: Sequence[float], q: float) -> float:
    """numpy's default ("linear") quantile of sorted values."""
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def summarize_values(values: Sequence[float]) -> Summary:
    """Exact summary of per-chat values (None values are skipped)."""
    xs = sorted(float(v) for v in values if v is not None)
    if not xs:
        return {"n": 0, "mean": None, "p50": None, "p90": None, "approx": False}
    return {
        "n": len(xs),
        "mean": math.fsum(xs) / len(xs),
        "p50": _quantile_sorted(xs, 0.5),
        "p90": _quantile_sorted(xs, 0.9),
        "approx": False,
    }


def bucket_bounds(i: int) -> tuple[float, float]:
    """The (lower, upper] bounds of bucket i; the last bucket is read as (EDGES[-1], 2 * EDGES[-1]]."""
    lower = 0.0 if i == 0 else float(EDGES[i - 1])
    upper = float(EDGES[i]) if i < len(EDGES) else 2.0 * EDGES[-1]
    return lower, upper


def _order_statistic(buckets: Sequence[int], j: int) -> float:
    """Where the j-th smallest (0-based) value lies, the bucket's values spread evenly inside it
    (the k-th of c at (k + 1) / (c + 1) of the way)."""
    before = 0
    for i, c in enumerate(buckets):
        if c and before + c > j:
            lower, upper = bucket_bounds(i)
            return lower + (upper - lower) * (j - before + 1) / (c + 1)
        before += c
    return bucket_bounds(len(buckets) - 1)[1]  # not reached for j < sum(buckets)


def _quantile_buckets(buckets: Sequence[int], count: int, q: float) -> float:
    """numpy's "linear" quantile with each order statistic read from its bucket."""
    h = (count - 1) * q
    k = math.floor(h)
    lo = _order_statistic(buckets, k)
    if k + 1 >= count or h == k:
        return lo
    return lo + (h - k) * (_order_statistic(buckets, k + 1) - lo)


def summarize_buckets(n: int, total: float, buckets: Sequence[int]) -> Summary:
    """Approximate summary from roll-ups: `n` values summing to `total`, counted in the histogram
    buckets of domain/metric_buckets.py. The mean is exact; p50/p90 follow numpy's "linear"
    quantile with each order statistic placed inside its bucket: when the two values the exact
    quantile interpolates between share a bucket, the estimate is in that bucket too."""
    if len(buckets) != BUCKETS:
        raise ValueError(f"expected {BUCKETS} buckets, got {len(buckets)}")
    count = sum(buckets)
    if n <= 0 or count <= 0:
        return {"n": 0, "mean": None, "p50": None, "p90": None, "approx": True}
    return {
        "n": n,
        "mean": total / n,
        "p50": _quantile_buckets(buckets, count, 0.5),
        "p90": _quantile_buckets(buckets, count, 0.9),
        "approx": True,
    }


def _check_service_seconds(seconds: object) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds not in EDGES:
        edges = ", ".join(str(e) for e in EDGES)
        raise ChatRuleError("bad_request", f"seconds: must be one of {edges}", field="seconds")
    return seconds


def service_level(buckets: Sequence[int], seconds: int) -> float | None:
    """The share of answered chats whose first response came within `seconds` (one of EDGES),
    from the first_response histogram buckets (their sum is the answered chats). None: no chats."""
    t = _check_service_seconds(seconds)
    if len(buckets) != BUCKETS:
        raise ValueError(f"expected {BUCKETS} buckets, got {len(buckets)}")
    total = sum(buckets)
    if total == 0:
        return None
    within = sum(buckets[: EDGES.index(t) + 1])
    return within / total


def service_level_of(first_responses: Sequence[float], seconds: int) -> float | None:
    """The same share from exact per-chat first response times (answered chats only)."""
    t = _check_service_seconds(seconds)
    xs = [v for v in first_responses if v is not None]
    if not xs:
        return None
    return sum(1 for v in xs if v <= t) / len(xs)


# ---------------------------------------------------------------------------------------------
# One closed chat's figures


@dataclass(frozen=True, slots=True)
class EventRow:
    """The columns of a stored chat event (a `messages` row) the facts read."""

    seq: int
    kind: str
    author_type: str
    agent_id: int | None
    created_at: datetime
    internal: bool = False


@dataclass(frozen=True, slots=True)
class RoutingRow:
    """The columns of a `routing_log` row the facts read (kinds: queued, offered, declined,
    offer_expired, assigned, transferred, escalated, taken_over, missed, ...)."""

    kind: str
    agent_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChatRow:
    """The columns of a closed `chats` row the facts read."""

    id: int
    department_id: int | None
    assignee_id: int | None
    created_at: datetime
    closed_at: datetime
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    missed: bool = False
    rating: int | None = None
    invitation_id: int | None = None
    visitor_read_seq: int = 0


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of time another chat was held by the credited agent (for concurrency)."""

    start: datetime
    end: datetime | None  # None: still held


@dataclass(slots=True)
class ChatFacts:
    """One closed chat's figures: the columns of `chat_facts` (docs/metrics.md)."""

    chat_id: int
    department_id: int | None
    agent_id: int | None
    first_agent_id: int | None
    started_at: datetime
    hour_at: datetime
    ended_at: datetime | None
    answered: bool = False
    missed: bool = False
    dropped: bool = False
    queue_wait_s: float | None = None
    first_response_s: float | None = None
    reply_n: int = 0
    reply_sum_s: float = 0.0
    reply_max_s: float | None = None
    handle_s: float | None = None
    duration_s: float | None = None
    visitor_messages: int = 0
    agent_messages: int = 0
    transfers: int = 0
    escalations: int = 0
    rating: int | None = None
    review_score: float | None = None
    invitation_id: int | None = None
    concurrency: float | None = None

    @property
    def reply_mean_s(self) -> float | None:
        return self.reply_sum_s / self.reply_n if self.reply_n else None

    def row(self) -> dict[str, Any]:
        """The chat_facts columns (computed_at is the store's)."""
        return {
            "chat_id": self.chat_id,
            "department_id": self.department_id,
            "agent_id": self.agent_id,
            "first_agent_id": self.first_agent_id,
            "started_at": self.started_at,
            "hour_at": self.hour_at,
            "ended_at": self.ended_at,
            "answered": self.answered,
            "missed": self.missed,
            "dropped": self.dropped,
            "queue_wait_s": self.queue_wait_s,
            "first_response_s": self.first_response_s,
            "reply_n": self.reply_n,
            "reply_sum_s": self.reply_sum_s,
            "reply_max_s": self.reply_max_s,
            "handle_s": self.handle_s,
            "duration_s": self.duration_s,
            "visitor_messages": self.visitor_messages,
            "agent_messages": self.agent_messages,
            "transfers": self.transfers,
            "escalations": self.escalations,
            "rating": self.rating,
            "review_score": self.review_score,
            "invitation_id": self.invitation_id,
            "concurrency": self.concurrency,
        }


def hour_of(at: datetime) -> datetime:
    """The UTC hour a time falls in (the roll-ups' key)."""
    return at.replace(minute=0, second=0, microsecond=0)


def _seconds(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds())


def _public_message(e: EventRow) -> bool:
    return e.kind == EventKind.MESSAGE and not e.internal


def _human_reply(e: EventRow) -> bool:
    """A message a human agent wrote to the visitor (not a note or whisper, not the team's text)."""
    return _public_message(e) and e.author_type == AuthorType.AGENT and e.agent_id is not None


# routing_log kinds that give the chat to an agent / take it away from its agent
_HELD_FROM = frozenset({"assigned", "taken_over"})
_HELD_UNTIL = frozenset({"escalated", "missed"})


def held_intervals(chat: ChatRow, routing: Sequence[RoutingRow]) -> list[tuple[datetime, datetime, int | None]]:
    """The stretches an agent held the chat: (start, end, agent). From routing_log: `assigned`
    and `taken_over` start one (for their agent), `transferred` to an agent starts one for them
    and to a department (no agent) ends it, `escalated` ends it; the close ends the last. A chat
    with no routing rows but an assigned_at is held from then to the close."""
    rows = sorted(routing, key=lambda r: r.created_at)
    out: list[tuple[datetime, datetime, int | None]] = []
    start: datetime | None = None
    agent: int | None = None
    for r in rows:
        if r.created_at > chat.closed_at:
            break
        gives = r.kind in _HELD_FROM or (r.kind == "transferred" and r.agent_id is not None)
        takes = r.kind in _HELD_UNTIL or (r.kind == "transferred" and r.agent_id is None)
        if gives or takes:
            if start is not None:
                out.append((start, r.created_at, agent))
            start, agent = (r.created_at, r.agent_id) if gives else (None, None)
    if start is not None:
        out.append((start, chat.closed_at, agent))
    if not out and not any(r.kind in _HELD_FROM for r in rows) and chat.assigned_at is not None:
        out.append((chat.assigned_at, chat.closed_at, chat.assignee_id))
    return [iv for iv in out if iv[1] >= iv[0]]


_STILL_HELD = datetime.max.replace(tzinfo=UTC)


def agent_holds(
    chat_id: int,
    created_at: datetime,
    assignee_id: int | None,
    assigned_at: datetime | None,
    closed_at: datetime | None,
    routing: Sequence[RoutingRow],
) -> list[tuple[int, Interval]]:
    """Every agent's holds of one chat, closed or not, for the concurrency of the chats around
    it: (agent, interval) from `held_intervals`, the interval open (end None) while the chat is.
    A chat held, then transferred or escalated away counts for each agent who held it."""
    row = ChatRow(
        id=chat_id,
        department_id=None,
        assignee_id=assignee_id,
        created_at=created_at,
        closed_at=closed_at if closed_at is not None else _STILL_HELD,
        assigned_at=assigned_at,
    )
    return [
        (agent, Interval(start, None if end == _STILL_HELD else end))
        for start, end, agent in held_intervals(row, routing)
        if agent is not None
    ]


def active_handle_seconds(
    events: Sequence[EventRow], held: Sequence[tuple[datetime, datetime, int | None]]
) -> float | None:
    """Docs/metrics.md "Active handle time". None when no agent ever held the chat."""
    if not held:
        return None
    msgs = sorted((e for e in events if _public_message(e)), key=lambda e: e.seq)
    total = 0.0
    for start, end, _agent in held:
        # the assignment is a point "waiting on the agent" (they have to read the chat and answer)
        agent_wrote_last = False
        prev = start
        points = [m for m in msgs if start < m.created_at <= end]
        for m in points:
            total += _counted_gap(_seconds(prev, m.created_at), agent_wrote_last)
            prev = m.created_at
            agent_wrote_last = m.author_type == AuthorType.AGENT
        total += _counted_gap(_seconds(prev, end), agent_wrote_last)
    return total


def _counted_gap(gap: float, agent_wrote_last: bool) -> float:
    limit = VISITOR_GAP_LIMIT_S if agent_wrote_last else AGENT_GAP_LIMIT_S
    return gap if gap <= limit else 0.0


def reply_times(events: Sequence[EventRow]) -> list[float]:
    """Docs/metrics.md "Reply time": each visitor message that starts an unanswered run -> the
    next human agent message."""
    out: list[float] = []
    waiting_since: datetime | None = None
    for e in sorted(events, key=lambda e: e.seq):
        if not _public_message(e):
            continue
        if e.author_type == AuthorType.VISITOR:
            if waiting_since is None:
                waiting_since = e.created_at
        elif _human_reply(e) and waiting_since is not None:
            out.append(_seconds(waiting_since, e.created_at))
            waiting_since = None
    return out


def concurrency(
    held: Sequence[tuple[datetime, datetime, int | None]], agent_id: int | None, others: Sequence[Interval]
) -> float | None:
    """Time-weighted number of chats `agent_id` held while this chat was theirs (itself
    included): 1 + the overlap of the other chats' held intervals / the length of this chat's."""
    mine = [(s, e) for s, e, a in held if a == agent_id and agent_id is not None]
    length = sum(_seconds(s, e) for s, e in mine)
    if not mine:
        return None
    if length == 0:
        return 1.0 + sum(1 for o in others if _overlaps_instant(o, mine[-1][0]))
    overlap = 0.0
    for s, e in mine:
        for o in others:
            o_end = o.end if o.end is not None else e
            overlap += _seconds(max(s, o.start), min(e, o_end)) if o.start < e and o_end > s else 0.0
    return 1.0 + overlap / length


def _overlaps_instant(o: Interval, at: datetime) -> bool:
    return o.start <= at and (o.end is None or o.end > at)


def credited_agent(chat: ChatRow, held: Sequence[tuple[datetime, datetime, int | None]]) -> int | None:
    """The agent a chat counts for: its last assignee (chats.assignee_id), else the last agent
    who held it (an escalated or transferred chat that was missed back in a queue)."""
    if chat.assignee_id is not None:
        return chat.assignee_id
    for _s, _e, agent in reversed(held):
        if agent is not None:
            return agent
    return None


def compute_chat_facts(
    chat: ChatRow,
    events: Sequence[EventRow],
    routing: Sequence[RoutingRow],
    *,
    review_scores: Sequence[float] = (),
    others: Sequence[Interval] = (),
) -> ChatFacts:
    """One closed chat's figures (docs/metrics.md). `others`: the intervals the credited agent
    held other chats around this one (store: facts_store.held_intervals_of)."""
    evs = sorted(events, key=lambda e: e.seq)
    started, ended = chat.created_at, chat.closed_at
    public = [e for e in evs if _public_message(e)]
    first_visitor = next((e for e in public if e.author_type == AuthorType.VISITOR), None)
    replies = [e for e in public if _human_reply(e) and first_visitor is not None and e.seq > first_visitor.seq]
    answered = bool(replies)
    agent_side = [e for e in public if e.author_type == AuthorType.AGENT]
    last_agent_seq = agent_side[-1].seq if agent_side else 0
    held = held_intervals(chat, routing)
    agent = credited_agent(chat, held)

    queued = next((r.created_at for r in sorted(routing, key=lambda r: r.created_at) if r.kind == "queued"), None)
    queued = queued or chat.queued_at or started
    first_held = held[0][0] if held else None
    replies_s = reply_times(evs)
    return ChatFacts(
        chat_id=chat.id,
        department_id=chat.department_id,
        agent_id=agent,
        first_agent_id=replies[0].agent_id if replies else None,
        started_at=started,
        hour_at=hour_of(started),
        ended_at=ended,
        answered=answered,
        missed=not answered,
        dropped=answered and chat.visitor_read_seq < last_agent_seq,
        queue_wait_s=_seconds(queued, first_held) if first_held is not None else None,
        first_response_s=_seconds(started, replies[0].created_at) if replies else None,
        reply_n=len(replies_s),
        reply_sum_s=math.fsum(replies_s),
        reply_max_s=max(replies_s) if replies_s else None,
        handle_s=active_handle_seconds(evs, held),
        duration_s=_seconds(started, ended),
        visitor_messages=sum(1 for e in public if e.author_type == AuthorType.VISITOR),
        agent_messages=len(agent_side),
        transfers=sum(1 for e in evs if e.kind == EventKind.CHAT_TRANSFERRED),
        escalations=sum(1 for e in evs if e.kind == EventKind.CHAT_ESCALATED),
        rating=chat.rating,
        review_score=math.fsum(review_scores) / len(review_scores) if review_scores else None,
        invitation_id=chat.invitation_id,
        concurrency=concurrency(held, agent, others),
    )


# ---------------------------------------------------------------------------------------------
# Roll-ups

SUM_COLUMNS: tuple[str, ...] = ("review_sum",) + tuple(
    c for m in DURATION_METRICS for c in (f"{m}_n", f"{m}_sum", *(bucket_column(m, i) for i in range(BUCKETS)))
)
ROLLUP_COLUMNS: tuple[str, ...] = COUNT_COLUMNS + SUM_COLUMNS


def _getter(fact: ChatFacts | Mapping[str, Any]) -> Callable[[str], Any]:
    if isinstance(fact, Mapping):
        return fact.get
    return lambda k: getattr(fact, k)


def duration_values(fact: ChatFacts | Mapping[str, Any]) -> dict[str, float | None]:
    """The value each duration metric of the roll-ups takes for one chat (None: not counted).
    `reply` is the chat's mean reply time."""
    get = _getter(fact)
    reply_n = get("reply_n") or 0
    return {
        "queue_wait": get("queue_wait_s"),
        "first_response": get("first_response_s"),
        "reply": (get("reply_sum_s") or 0.0) / reply_n if reply_n else None,
        "handle": get("handle_s"),
        "duration": get("duration_s"),
    }


def rollup_key(fact: ChatFacts | Mapping[str, Any]) -> tuple[datetime, int, int]:
    """(hour_at, department_id, agent_id) of metric_hours, 0 standing for none; hour_at aware
    UTC (SQLite hands rows back naive), so an old row's key and its new fact's key are one."""
    get = _getter(fact)
    hour = get("hour_at")
    if hour.tzinfo is None:
        hour = hour.replace(tzinfo=UTC)
    return hour, get("department_id") or 0, get("agent_id") or 0


def rollup_increments(fact: ChatFacts | Mapping[str, Any]) -> dict[str, float]:
    """The metric_hours columns one fact adds to its hour (only the non-zero ones). Accepts a
    ChatFacts or a chat_facts row (a mapping), so a replaced row's increments can be subtracted."""
    get = _getter(fact)
    rating, review = get("rating"), get("review_score")
    inc: dict[str, float] = {
        "chats": 1,
        "answered": int(bool(get("answered"))),
        "missed": int(bool(get("missed"))),
        "dropped": int(bool(get("dropped"))),
        "transfers": get("transfers") or 0,
        "escalations": get("escalations") or 0,
        "rated": int(rating is not None),
        "rating_sum": rating or 0,
        "rating_good": int(rating is not None and rating >= GOOD_RATING),
        "reviewed": int(review is not None),
        "review_sum": review or 0.0,
        "invited": int(get("invitation_id") is not None),
    }
    for metric, value in duration_values(fact).items():
        if value is None:
            continue
        inc[f"{metric}_n"] = 1
        inc[f"{metric}_sum"] = value
        inc[bucket_column(metric, bucket_of(value))] = 1
    return {k: v for k, v in inc.items() if v}


def empty_rollup() -> dict[str, float]:
    return dict.fromkeys(ROLLUP_COLUMNS, 0)


def add_increments(total: dict[str, float], inc: Mapping[str, float], sign: int = 1) -> dict[str, float]:
    for k, v in inc.items():
        total[k] = total.get(k, 0) + sign * v
    return total


def duration_buckets(row: Mapping[str, Any], metric: str) -> list[int]:
    """The 22 histogram bucket counts of one duration metric from a (summed) metric_hours row."""
    return [int(row.get(bucket_column(metric, i)) or 0) for i in range(BUCKETS)]


def summarize_rollup(row: Mapping[str, Any], metric: str) -> Summary:
    """summarize_buckets of one duration metric of a (summed) metric_hours row."""
    return summarize_buckets(
        int(row.get(f"{metric}_n") or 0), float(row.get(f"{metric}_sum") or 0.0), duration_buckets(row, metric)
    )
