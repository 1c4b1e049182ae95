"""Agents' recurring weekly shifts (issue 15): pure rules, no database, no HTTP.

A shift is local to a time zone (its agent's office's when it was made): it starts on local
`weekday` (0 = Monday) at `start_minute` and lasts `minutes` real minutes (at most 24 hours; past
midnight it runs into the next day), in the weeks whose index % cycle_weeks == cycle_week. The
week index counts whole local weeks since Monday EPOCH_MONDAY, so a rotation of N weeks has a
fixed phase. docs/staffing.md "Shifts, offices and rotations" explains the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

EPOCH_MONDAY = date(2024, 1, 1)  # a Monday: week 0 of every cycle


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    agent_id: int
    timezone: str
    weekday: int  # 0 = Monday, local
    start_minute: int  # minutes after local midnight
    minutes: int  # real length, 15..1440
    cycle_weeks: int = 1
    cycle_week: int = 0  # 0 <= cycle_week < cycle_weeks
    department_id: int | None = None  # None: staffs every department the agent belongs to
    id: int | None = None


def week_index(local_day: date) -> int:
    """Whole weeks from EPOCH_MONDAY to the Monday of `local_day`'s week (negative before it)."""
    return (local_day - EPOCH_MONDAY).days // 7
