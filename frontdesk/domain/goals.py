"""A department's goals (issue 14): which figures can have one, checking a new set, and whether a
figure met its goal. No I/O.

A goal is a metric, a target and, for the service level, the T of "answered within T seconds"
(one of metric_buckets.EDGES, so the roll-up buckets can answer it). A "min" goal is met when the
figure is at least the target, a "max" goal when it is at most the target; a day without the
figure (no chats, no ratings) neither meets nor misses its goal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from frontdesk.domain.chat_rules import bad_field
from frontdesk.domain.metric_buckets import EDGES
from frontdesk.domain.metrics import duration_buckets, service_level, summarize_rollup


@dataclass(frozen=True, slots=True)
class GoalMetric:
    key: str
    label: str
    unit: str  # share (0-1) | seconds
    direction: str  # min: at least the target; max: at most the target
    definition: str


GOAL_METRICS: dict[str, GoalMetric] = {
    m.key: m
    for m in (
        GoalMetric(
            "service_level",
            "Service level",
            "share",
            "min",
            "Share of answered chats whose first response came within `seconds` (denominator: answered chats).",
        ),
        GoalMetric(
            "missed_share",
            "Missed chats",
            "share",
            "max",
            "Share of chats started that were missed (the visitor left before any agent replied).",
        ),
        GoalMetric(
            "satisfaction",
            "Satisfaction",
            "share",
            "min",
            "Share of good ratings (4 or 5) among the rated chats.",
        ),
        GoalMetric(
            "first_response_p90",
            "First response p90",
            "seconds",
            "max",
            "90th percentile of the first response time of answered chats, in seconds.",
        ),
        GoalMetric(
            "handle_p50",
            "Active handle time p50",
            "seconds",
            "max",
            "Median active handle time of answered chats, in seconds.",
        ),
    )
}
MAX_SECONDS_TARGET = 86_400  # a day


@dataclass(frozen=True, slots=True)
class Goal:
    metric: str
    target: float
    seconds: int | None = None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def check_goals(items: object) -> list[Goal]:
    """A department's whole set of goals: at most one per metric; an empty list removes them all."""
    if not isinstance(items, list):
        raise bad_field("goals", "must be a list of {metric, target[, seconds]}")
    if len(items) > len(GOAL_METRICS):
        raise bad_field("goals", f"at most {len(GOAL_METRICS)} goals, one per metric")
    out: list[Goal] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"goals[{i}]"
        if not isinstance(item, dict):
            raise bad_field(where, "must be an object with metric and target")
        extra = sorted(set(item) - {"metric", "target", "seconds"})
        if extra:
            raise bad_field(f"{where}.{extra[0]}", "unknown field")
        metric = item.get("metric")
        if not isinstance(metric, str) or metric not in GOAL_METRICS:
            raise bad_field(f"{where}.metric", "must be one of " + ", ".join(GOAL_METRICS))
        if metric in seen:
            raise bad_field(f"{where}.metric", f"{metric} appears twice")
        seen.add(metric)
        spec = GOAL_METRICS[metric]
        target = _number(item.get("target"))
        if spec.unit == "share":
            if target is None or not 0 <= target <= 1:
                raise bad_field(f"{where}.target", "must be a share from 0 to 1 (0.8 is 80 %)")
        elif target is None or not 0 < target <= MAX_SECONDS_TARGET:
            raise bad_field(f"{where}.target", f"must be a number of seconds above 0 and at most {MAX_SECONDS_TARGET}")
        seconds = item.get("seconds")
        if metric == "service_level":
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds not in EDGES:
                raise bad_field(f"{where}.seconds", "must be one of " + ", ".join(str(e) for e in EDGES))
        elif seconds is not None:
            raise bad_field(f"{where}.seconds", "only a service_level goal takes seconds")
        out.append(Goal(metric, target, seconds if metric == "service_level" else None))
    return out


def is_met(metric: str, actual: float | None, target: float) -> bool | None:
    """Whether a figure met its goal; None when there is no figure."""
    if actual is None:
        return None
    if GOAL_METRICS[metric].direction == "min":
        return actual >= target - 1e-9
    return actual <= target + 1e-9


def _share(part: Any, whole: Any) -> float | None:
    whole = float(whole or 0)
    return float(part or 0) / whole if whole else None


def goal_figure(goal: Goal, sums: Mapping[str, Any]) -> float | None:
    """The goal's figure out of summed metric_hours columns (a day's, or a range's); None when
    there is nothing to measure. Percentiles are interpolated in the roll-up buckets."""
    if goal.metric == "service_level":
        assert goal.seconds is not None
        return service_level(duration_buckets(sums, "first_response"), goal.seconds)
    if goal.metric == "missed_share":
        return _share(sums.get("missed"), sums.get("chats"))
    if goal.metric == "satisfaction":
        return _share(sums.get("rating_good"), sums.get("rated"))
    metric, key = {"first_response_p90": ("first_response", "p90"), "handle_p50": ("handle", "p50")}[goal.metric]
    value = summarize_rollup(sums, metric)[key]  # type: ignore[literal-required]
    return None if value is None else float(value)


def add_sums(into: dict[str, float], row: Mapping[str, Any], columns: Sequence[str]) -> None:
    for column in columns:
        into[column] = into.get(column, 0) + float(row[column] or 0)
