"""Token buckets: time is passed in, so these run without a clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.domain.rate_limit import KeyedLimiter, TokenBucket

T0 = 1000.0  # a realistic time.monotonic() value


def test_burst_then_refuse():
    bucket = TokenBucket(rate=2.0, burst=5)
    assert [bucket.take(T0) for _ in range(5)] == [0.0] * 5
    wait = bucket.take(T0)
    assert wait == pytest.approx(0.5)  # one token at 2/s
    assert bucket.take(T0) == pytest.approx(0.5)  # refusing spends nothing


def test_refill_over_time():
    bucket = TokenBucket(rate=1.0, burst=3)
    for _ in range(3):
        assert bucket.take(T0) == 0.0
    assert bucket.take(T0 + 0.5) == pytest.approx(0.5)
    assert bucket.take(T0 + 1.0) == 0.0
    assert bucket.take(T0 + 1.0) > 0
    # A long pause refills to the burst, never beyond it.
    later = T0 + 3600
    assert [bucket.take(later) for _ in range(3)] == [0.0] * 3
    assert bucket.take(later) > 0


def test_the_wait_it_answers_is_enough():
    bucket = TokenBucket(rate=4.0, burst=2)
    bucket.take(T0)
    bucket.take(T0)
    wait = bucket.take(T0 + 0.1)
    assert wait == pytest.approx(0.15)
    assert bucket.take(T0 + 0.1 + wait * 0.9) > 0
    assert bucket.take(T0 + 0.1 + wait + 1e-9) == 0.0


def test_cost_is_spent_as_a_whole():
    bucket = TokenBucket(rate=1.0, burst=5)
    assert bucket.take(T0, cost=3) == 0.0
    assert bucket.take(T0, cost=3) == pytest.approx(1.0)
    assert bucket.take(T0, cost=2) == 0.0


def test_wait_time_never_spends():
    bucket = TokenBucket(rate=1.0, burst=2)
    for i in range(100):
        assert bucket.wait_time(T0 + i * 0.001) == 0.0
    assert bucket.take(T0) == 0.0 and bucket.take(T0) == 0.0
    for _ in range(10):
        assert bucket.wait_time(T0 + 0.25) == pytest.approx(0.75)
    assert bucket.take(T0 + 1.0) == 0.0


def test_refill_when_the_clock_starts_at_zero():
    bucket = TokenBucket(rate=1.0, burst=1)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(1.0) == 0.0


steps = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=3, allow_nan=False),  # time since the previous call
        st.sampled_from(["take", "take", "take", "wait"]),
    ),
    max_size=120,
)


@given(
    rate=st.floats(min_value=0.1, max_value=20, allow_nan=False),
    burst=st.integers(min_value=1, max_value=10),
    start=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    calls=steps,
)
def test_allowed_takes_in_any_window_are_bounded(rate, burst, start, calls):
    """However calls are spaced, a window of W seconds allows at most burst + rate*W takes."""
    bucket = TokenBucket(rate=rate, burst=burst)
    now = start
    allowed: list[float] = []
    for dt, op in calls:
        now += dt
        if op == "wait":
            predicted = bucket.wait_time(now)
            assert predicted >= 0.0
            assert bucket.take(now) == pytest.approx(predicted)  # what take answers, unspent before
            if predicted == 0.0:
                allowed.append(now)
        else:
            wait = bucket.take(now)
            assert wait >= 0.0
            if wait == 0.0:
                allowed.append(now)
    for i, a in enumerate(allowed):
        for j in range(i, len(allowed)):
            window = allowed[j] - a
            assert j - i + 1 <= burst + rate * window + 1e-6


@given(
    rate=st.floats(min_value=0.1, max_value=20, allow_nan=False),
    burst=st.integers(min_value=1, max_value=10),
    calls=st.lists(st.floats(min_value=0, max_value=2, allow_nan=False), max_size=60),
)
def test_wait_time_matches_take_and_spends_nothing(rate, burst, calls):
    a, b = TokenBucket(rate=rate, burst=burst), TokenBucket(rate=rate, burst=burst)
    now = T0
    for dt in calls:
        now += dt
        b.wait_time(now)  # b is asked first every time; a never is
        b.wait_time(now + 0.5)
        assert a.take(now) == pytest.approx(b.take(now))


# ---------------------------------------------------------------- KeyedLimiter


def test_keys_are_limited_independently():
    limiter = KeyedLimiter(rate=1.0, burst=2)
    assert limiter.take("a", T0) == 0.0 and limiter.take("a", T0) == 0.0
    assert limiter.take("a", T0) > 0
    assert limiter.take("b", T0) == 0.0
    assert limiter.wait_time("a", T0) > 0 and limiter.wait_time("b", T0) == 0.0
    assert limiter.wait_time("never-seen", T0) == 0.0


def test_idle_full_buckets_are_forgotten_first():
    limiter = KeyedLimiter(rate=1.0, burst=2, max_keys=4)
    limiter.take("old", T0)
    for key in ("x", "y", "z"):
        limiter.take(key, T0 + 2.0)
        limiter.take(key, T0 + 2.0)
    limiter.take("new", T0 + 2.5)  # "old" has refilled: forgetting it changes nothing
    assert "old" not in limiter._buckets
    # The drained keys are still remembered, so they are still limited.
    assert all(limiter.wait_time(key, T0 + 2.5) > 0 for key in ("x", "y", "z"))


@given(
    max_keys=st.integers(min_value=2, max_value=12),
    calls=st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.floats(min_value=0, max_value=5)),
        max_size=150,
    ),
)
def test_eviction_keeps_at_most_max_keys(max_keys, calls):
    limiter = KeyedLimiter(rate=0.5, burst=3, max_keys=max_keys)
    now = T0
    for key, dt in calls:
        now += dt
        limiter.take(f"k{key}", now)
        assert len(limiter._buckets) <= max_keys


def test_eviction_with_a_single_key_slot():
    limiter = KeyedLimiter(rate=1.0, burst=1, max_keys=1)
    for i in range(5):
        limiter.take(f"k{i}", T0)
    assert len(limiter._buckets) <= 1
