"""The histogram buckets of the hourly roll-ups (migration 0011, `metric_hours`).

Each duration metric is counted into fixed buckets so that percentiles over any range can be read
from summed columns without touching the per-chat rows. A bucket `i` holds values `v` with
`EDGES[i-1] < v <= EDGES[i]` (bucket 0: `v <= EDGES[0]`; the last bucket: `v > EDGES[-1]`).
Service levels ("answered within T seconds") are read at an edge, so T must be one of EDGES.
"""

from __future__ import annotations

from bisect import bisect_left

# seconds
EDGES: tuple[int, ...] = (
    5,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    240,
    300,
    450,
    600,
    900,
    1200,
    1800,
    2700,
    3600,
    7200,
    14400,
)
BUCKETS = len(EDGES) + 1  # 22

# The counts kept per hour (integer columns of metric_hours; review_sum is the one float sum).
COUNT_COLUMNS: tuple[str, ...] = (
    "chats",
    "answered",
    "missed",
    "dropped",
    "transfers",
    "escalations",
    "rated",
    "rating_sum",
    "rating_good",
    "reviewed",
    "invited",
)

# The duration metrics kept per hour (n, sum and buckets each). Names are the column prefixes.
DURATION_METRICS: tuple[str, ...] = ("queue_wait", "first_response", "reply", "handle", "duration")


def bucket_of(seconds: float) -> int:
    """The bucket a duration falls in."""
    return bisect_left(EDGES, seconds)


def bucket_column(metric: str, i: int) -> str:
    return f"{metric}_b{i}"
