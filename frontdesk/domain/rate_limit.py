"""Token buckets: a steady rate with room for a burst. Time is passed in, so tests need no clock."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float  # tokens added per second
    burst: int  # bucket size
    tokens: float = field(init=False)
    updated: float | None = field(default=None)  # None: never used

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self, now: float, cost: float = 1.0) -> float:
        """0.0 when allowed (and spent); otherwise the seconds to wait before retrying."""
        if self.updated is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate

    def wait_time(self, now: float, cost: float = 1.0) -> float:
        """What take() would answer, without spending anything."""
        tokens = self.tokens
        if self.updated is not None:
            tokens = min(self.burst, tokens + (now - self.updated) * self.rate)
        return 0.0 if tokens >= cost else (cost - tokens) / self.rate


class KeyedLimiter:
    """One bucket per key (e-mail, address, user); idle buckets are forgotten."""

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, now: float, cost: float = 1.0) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
        return bucket.take(now, cost)

    def wait_time(self, key: str, now: float) -> float:
        bucket = self._buckets.get(key)
        return 0.0 if bucket is None else bucket.wait_time(now)

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - (b.updated or 0.0) >= refill]:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # still full: drop the oldest half
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].updated or 0.0)
            for key in oldest[: max(1, self.max_keys // 2)]:
                del self._buckets[key]
