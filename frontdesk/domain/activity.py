"""Agent activity: an agent's day as segments of (status, load), and their online, away,
chatting and idle hours. Pure: the rows come from `agent_activity` (store/activity_store.py),
one per change of an agent's status or load (docs/architecture/analytics.md, "Agent activity").

A row says "from `at` on, the agent was `status` holding `load` chats". The state before the
first row is unknown and counted as offline with no chats. Days are cut at LOCAL midnight in a
time zone (`local_day_bounds`), so a DST day has 23 or 25 hours and a night shift from 22:00 to
06:00 shows on two days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

STATUSES = ("online", "away", "offline")
# Why a row was written (agent_activity.reason). Status changes: the agent by hand, their console
# connecting, the presence sweep finding their connection gone, an offer they let expire, an
# admin deactivating them. Load changes: a chat assigned to them (accepted, dispatched from an
# invitation), closed, transferred away from them or to them, taken over by a supervisor,
# escalated away from them.
STATUS_REASONS = ("manual", "connected", "disconnected", "offer_expired", "deactivated")
LOAD_REASONS = ("assigned", "closed", "transferred", "transferred_in", "taken_over", "took_over", "escalated")
REASONS = STATUS_REASONS + LOAD_REASONS


class ActivityRowLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def load(self) -> int: ...


@dataclass(frozen=True)
class ActivityRow:
    """One change, as the store returns it (and tests write it by hand)."""

    at: datetime
    status: str
    load: int
    reason: str | None = None
    agent_id: int = 0


@dataclass(frozen=True)
class Segment:
    """[start, end): the agent was `status` holding `load` chats; `reason`: the change that began it
    (None when the segment was carried in from before the range, or nothing was known)."""

    start: datetime
    end: datetime
    status: str
    load: int
    reason: str | None = None

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Hours:
    """Seconds in each state over some segments. online_s / away_s: time with that status.
    chatting_s: time holding at least one chat, whatever the status (docs/metrics.md: an agent
    whose console went away still holds their chats until someone transfers them). idle_s:
    online holding none. concurrency: the time-weighted mean load while chatting (None when never
    chatting)."""

    online_s: float
    away_s: float
    chatting_s: float
    idle_s: float
    concurrency: float | None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def segments(rows: Iterable[ActivityRowLike], start: datetime, end: datetime) -> list[Segment]:
    """One agent's segments clipped to [start, end). `rows` may hold rows before `start` (the
    last of them is the state carried in) and after `end` (ignored); their order does not
    matter. Adjacent segments of the same status and load are merged."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    ordered = sorted(rows, key=lambda r: _utc(r.at))
    status, load, reason = "offline", 0, None
    cursor = start
    out: list[Segment] = []

    def emit(until: datetime) -> None:
        if until <= cursor:
            return
        last = out[-1] if out else None
        if last is not None and last.status == status and last.load == load and last.end == cursor:
            out[-1] = Segment(last.start, until, status, load, last.reason)
        else:
            out.append(Segment(cursor, until, status, load, reason))

    for row in ordered:
        at = _utc(row.at)
        if at >= end:
            break
        if at > start:
            emit(at)
            cursor = at
        status, load = row.status, max(0, int(row.load))
        reason = getattr(row, "reason", None) if at >= start else None
    emit(end)
    return out


def agent_hours(segs: Iterable[Segment]) -> Hours:
    """The online, away, chatting and idle seconds of some segments, and the concurrency."""
    online = away = chatting = idle = weighted = 0.0
    for s in segs:
        seconds = s.seconds
        if s.status == "online":
            online += seconds
        elif s.status == "away":
            away += seconds
        if s.load > 0:
            chatting += seconds
            weighted += seconds * s.load
        elif s.status == "online":
            idle += seconds
    return Hours(online, away, chatting, idle, weighted / chatting if chatting > 0 else None)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of `day`'s local midnight and the next one: 24 hours, or 23 / 25 on the
    days the clocks change."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def daily_hours(rows: Sequence[ActivityRowLike], first: date, last: date, tz: ZoneInfo) -> dict[date, Hours]:
    """One agent's hours for each local day from `first` to `last` (inclusive)."""
    out: dict[date, Hours] = {}
    day = first
    while day <= last:
        start, end = local_day_bounds(day, tz)
        out[day] = agent_hours(segments(rows, start, end))
        day += timedelta(days=1)
    return out


def total_hours(parts: Iterable[Hours]) -> Hours:
    """Hours added up (e.g. the days of a range, or several agents); concurrency re-weighted."""
    online = away = chatting = idle = weighted = 0.0
    for h in parts:
        online += h.online_s
        away += h.away_s
        chatting += h.chatting_s
        idle += h.idle_s
        weighted += h.chatting_s * (h.concurrency or 0.0)
    return Hours(online, away, chatting, idle, weighted / chatting if chatting > 0 else None)
