"""domain/activity: segments of an agent's day and their hours, from hand-made rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk.domain.activity import (
    ActivityRow,
    Hours,
    Segment,
    agent_hours,
    daily_hours,
    local_day_bounds,
    segments,
    total_hours,
)

OSLO = ZoneInfo("Europe/Oslo")
H = 3600.0


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def row(when: datetime, status: str, load: int = 0, reason: str = "manual") -> ActivityRow:
    return ActivityRow(at=when, status=status, load=load, reason=reason)


def test_segments_carry_in_the_state_before_the_start_and_clip_to_the_range() -> None:
    rows = [
        row(at(2, 7), "online", reason="connected"),  # before the range: carried in
        row(at(2, 9), "online", 1, "assigned"),
        row(at(2, 10), "online", 2, "assigned"),
        row(at(2, 11), "away", 2, "manual"),
        row(at(2, 12), "online", 0, "closed"),  # (two closes at once: one row with the load after)
        row(at(3, 1), "offline", 0, "disconnected"),  # after the range: ignored
    ]
    got = segments(rows, at(2, 8), at(2, 13))
    assert got == [
        Segment(at(2, 8), at(2, 9), "online", 0, None),
        Segment(at(2, 9), at(2, 10), "online", 1, "assigned"),
        Segment(at(2, 10), at(2, 11), "online", 2, "assigned"),
        Segment(at(2, 11), at(2, 12), "away", 2, "manual"),
        Segment(at(2, 12), at(2, 13), "online", 0, "closed"),
    ]
    hours = agent_hours(got)
    assert hours == Hours(online_s=4 * H, away_s=1 * H, chatting_s=3 * H, idle_s=2 * H, concurrency=(1 + 2 + 2) / 3)


def test_nothing_known_before_the_first_row_counts_as_offline_and_rows_in_any_order() -> None:
    rows = [row(at(2, 10), "offline", reason="disconnected"), row(at(2, 9), "online", reason="connected")]
    got = segments(rows, at(2, 8), at(2, 12))
    assert [(s.start.hour, s.end.hour, s.status) for s in got] == [
        (8, 9, "offline"),
        (9, 10, "online"),
        (10, 12, "offline"),
    ]
    assert agent_hours(got) == Hours(online_s=H, away_s=0.0, chatting_s=0.0, idle_s=H, concurrency=None)


def test_a_row_exactly_at_the_start_keeps_its_reason_and_equal_neighbours_merge() -> None:
    rows = [row(at(2, 8), "online", 1, "assigned"), row(at(2, 9), "online", 1, "transferred_in")]
    assert segments(rows, at(2, 8), at(2, 10)) == [Segment(at(2, 8), at(2, 10), "online", 1, "assigned")]
    assert segments(rows, at(2, 10), at(2, 10)) == []


def test_chats_held_count_as_chatting_whatever_the_status() -> None:
    rows = [
        row(at(2, 8), "online", 2, "assigned"),
        row(at(2, 9), "offline", 2, "disconnected"),  # their chats stay theirs until transferred
        row(at(2, 10), "offline", 1, "transferred"),
    ]
    hours = agent_hours(segments(rows, at(2, 8), at(2, 12)))
    assert hours == Hours(online_s=H, away_s=0.0, chatting_s=4 * H, idle_s=0.0, concurrency=(2 + 2 + 1 + 1) / 4)


def test_oslo_days_have_23_and_25_hours_when_the_clocks_change() -> None:
    # 2026: summer time starts Sunday 29 March (02:00 -> 03:00), ends Sunday 25 October (03:00 -> 02:00).
    start, end = local_day_bounds(date(2026, 3, 29), OSLO)
    assert (start, end) == (at(28, 23), at(29, 22))
    assert end - start == timedelta(hours=23)
    start, end = local_day_bounds(date(2026, 10, 25), OSLO)
    assert (start, end) == (at(24, 22, month=10), at(25, 23, month=10))
    assert end - start == timedelta(hours=25)
    # Online the whole of each day: the hours are the day's length.
    rows = [row(at(1, 0), "online", reason="connected")]
    days = daily_hours(rows, date(2026, 3, 28), date(2026, 3, 30), OSLO)
    assert [d.online_s / H for d in days.values()] == [24, 23, 24]
    autumn = daily_hours(rows, date(2026, 10, 25), date(2026, 10, 25), OSLO)
    assert autumn[date(2026, 10, 25)].online_s == 25 * H


def test_a_night_shift_across_local_midnight_is_split_over_two_days() -> None:
    # Oslo, the night the clocks go forward: on at 22:00 local on the 28th (21:00 UTC), a chat
    # from 23:30 to 01:30 local (22:30-00:30 UTC), off at 06:00 local on the 29th (04:00 UTC, CEST).
    rows = [
        row(at(28, 21), "online", reason="connected"),
        row(at(28, 22, 30), "online", 1, "assigned"),
        row(at(29, 0, 30), "online", 0, "closed"),
        row(at(29, 4), "offline", reason="manual"),
    ]
    days = daily_hours(rows, date(2026, 3, 28), date(2026, 3, 29), OSLO)
    first, second = days[date(2026, 3, 28)], days[date(2026, 3, 29)]
    assert first == Hours(online_s=2 * H, away_s=0.0, chatting_s=0.5 * H, idle_s=1.5 * H, concurrency=1.0)
    # 00:00-06:00 local on the 29th is five real hours (02:00-03:00 does not exist).
    assert second == Hours(online_s=5 * H, away_s=0.0, chatting_s=1.5 * H, idle_s=3.5 * H, concurrency=1.0)
    whole = total_hours([first, second])
    assert (whole.online_s, whole.chatting_s, whole.concurrency) == (7 * H, 2 * H, 1.0)
    # The day's timeline starts with the carried-in chat, cut at local midnight.
    start, end = local_day_bounds(date(2026, 3, 29), OSLO)
    assert segments(rows, start, end)[0] == Segment(at(28, 23), at(29, 0, 30), "online", 1, None)


def test_total_hours_weights_concurrency_by_chatting_time() -> None:
    a = Hours(online_s=H, away_s=0.0, chatting_s=3 * H, idle_s=0.0, concurrency=1.0)
    b = Hours(online_s=H, away_s=0.0, chatting_s=H, idle_s=0.0, concurrency=3.0)
    assert total_hours([a, b]).concurrency == 1.5
    assert total_hours([]).concurrency is None


def test_naive_times_are_read_as_utc() -> None:
    naive = datetime(2026, 3, 2, 9)
    got = segments([row(naive, "away")], at(2, 8), at(2, 10))
    assert [s.status for s in got] == ["offline", "away"]
