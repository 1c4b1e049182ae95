"""The staffing models' parameters fitted from frontdesk's own records (issue 15). Pure, no I/O.

- `fit_aht_by_load`: AHT_k, the mean service time of a chat while its agent holds k chats, from
  (service seconds, time-weighted number of chats the agent held while it ran) per answered chat.
  Service time = the time the chat held a slot of its agent: chat_facts `duration_s − queue_wait_s`
  (accepted → closed), not the active handle time. A chat counts for k = its concurrency rounded
  to the nearest whole number, within 1 … max_chats. Then:
  1. AHT_k = the mean of k's samples;
  2. made non-decreasing in k (pool-adjacent-violators, weighted by the samples: an agent holding
     more chats is not faster per chat; noise in thin groups would otherwise let the chat model
     staff fewer agents for more load);
  3. a k without samples: linear between the nearest k below and above that have samples, and the
     nearest one's value beyond the first / last k with samples.
- `fit_patience`: the mean patience of an exponential patience, censored: everyone who waited
  was still patient for the time they waited, and only those who left reached their patience. The
  maximum-likelihood estimate is total time waited by everyone / number who left (floored at
  1 s); None when nobody left (no evidence that visitors ever leave).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from frontdesk.domain.chat_rules import ChatRuleError

MIN_PATIENCE_S = 1.0


def fit_aht_by_load(
    samples: Iterable[tuple[float, float]], max_chats: int, *, monotone: bool = True
) -> tuple[float, ...]:
    """AHT_1 … AHT_max_chats in seconds (see the module). Samples with a non-finite or non-positive
    service time or a non-finite concurrency are skipped; ChatRuleError("history", field="department")
    when none is left."""
    if isinstance(max_chats, bool) or not isinstance(max_chats, int) or max_chats < 1:
        raise ChatRuleError("bad_request", "max_chats: must be a whole number ≥ 1", field="max_chats")
    sums = [0.0] * max_chats
    counts = [0] * max_chats
    for service_s, concurrency in samples:
        if not (_finite(service_s) and _finite(concurrency)) or service_s <= 0:
            continue
        k = min(max_chats, max(1, math.floor(concurrency + 0.5)))  # round half up: 1.5 -> 2
        sums[k - 1] += float(service_s)
        counts[k - 1] += 1
    known = [k for k in range(max_chats) if counts[k]]
    if not known:
        raise ChatRuleError("history", "department: no answered chats to fit the handle times from", field="department")
    means = [sums[k] / counts[k] for k in known]
    if monotone:
        means = _non_decreasing(means, [counts[k] for k in known])
    return tuple(_fill(known, means, max_chats))


def fit_patience(answered_waits: Sequence[float], abandoned_waits: Sequence[float]) -> float | None:
    """The mean patience in seconds, or None when nobody left (see the module). Negative or
    non-finite waits are skipped."""
    left = [float(w) for w in abandoned_waits if _finite(w) and w >= 0]
    if not left:
        return None
    exposure = sum(left) + sum(float(w) for w in answered_waits if _finite(w) and w >= 0)
    return max(MIN_PATIENCE_S, exposure / len(left))


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _non_decreasing(values: Sequence[float], weights: Sequence[int]) -> list[float]:
    """The weighted least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, length]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, float(w), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    out: list[float] = []
    for mean, _w, n in blocks:
        out.extend([mean] * int(n))
    return out


def _fill(known: Sequence[int], means: Sequence[float], size: int) -> list[float]:
    """Values for 0 … size − 1 from those at the `known` indices: linear between, flat beyond."""
    out: list[float] = []
    for k in range(size):
        if k <= known[0]:
            out.append(means[0])
        elif k >= known[-1]:
            out.append(means[-1])
        else:
            i = next(i for i, kk in enumerate(known) if kk >= k)
            lo, hi = known[i - 1], known[i]
            frac = (k - lo) / (hi - lo)
            out.append(means[i - 1] * (1 - frac) + means[i] * frac)
    return out
