"""domain/staffing_fit.py: AHT_k grouped by rounded concurrency (monotone, gaps filled as documented)
and the censored exponential patience, each checked against data drawn with known parameters."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.staffing_fit import fit_aht_by_load, fit_patience


def test_samples_are_grouped_by_rounded_concurrency():
    samples = [(100.0, 1.0), (140.0, 1.4), (200.0, 1.5), (260.0, 2.49), (330.0, 3.2), (370.0, 2.7)]
    # k=1: 100, 140; k=2: 200, 260; k=3: 330, 370
    assert fit_aht_by_load(samples, 3) == (120.0, 230.0, 350.0)


def test_concurrency_outside_one_to_m_counts_at_the_ends():
    assert fit_aht_by_load([(100.0, 0.2), (300.0, 7.0), (500.0, 4.0)], 2) == (100.0, 400.0)


def test_a_faster_group_is_pooled_with_the_one_before_it():
    samples = [(300.0, 1)] * 3 + [(200.0, 2)] + [(500.0, 3)] * 2
    assert fit_aht_by_load(samples, 3) == (275.0, 275.0, 500.0)  # (3*300 + 200) / 4
    assert fit_aht_by_load(samples, 3, monotone=False) == (300.0, 200.0, 500.0)


def test_loads_without_samples_are_filled_between_and_beyond():
    samples = [(200.0, 2), (500.0, 5)]
    assert fit_aht_by_load(samples, 6) == (200.0, 200.0, 300.0, 400.0, 500.0, 500.0)


def test_bad_samples_are_skipped_and_none_left_is_no_history():
    assert fit_aht_by_load([(120.0, 1), (0.0, 1), (-5.0, 1), (float("nan"), 1), (90.0, float("inf"))], 1) == (120.0,)
    with pytest.raises(ChatRuleError) as e:
        fit_aht_by_load([(0.0, 1)], 2)
    assert (e.value.code, e.value.field) == ("history", "department")
    with pytest.raises(ChatRuleError) as e:
        fit_aht_by_load([(10.0, 1)], 0)
    assert e.value.field == "max_chats"


def test_aht_by_load_recovers_known_handle_times():
    rng = np.random.default_rng(7)
    truth = (240.0, 300.0, 390.0)
    samples = [
        (float(rng.exponential(truth[k - 1])), k + rng.uniform(-0.45, 0.45)) for k in (1, 2, 3) for _ in range(4000)
    ]
    fitted = fit_aht_by_load(samples, 3)
    assert fitted == pytest.approx(truth, rel=0.05)


def test_patience_is_the_censored_exponential_mle():
    # everyone's time waited / those who left: (10 + 20 + 30 + 60) / 2
    assert fit_patience([10.0, 20.0], [30.0, 60.0]) == 60.0
    assert fit_patience([10.0, 20.0], []) is None
    assert fit_patience([], [0.0, 0.0]) == 1.0  # floored at 1 s
    assert fit_patience([float("nan"), -3.0, 40.0], [20.0]) == 60.0


def test_patience_recovers_a_known_mean_from_censored_waits():
    rng = np.random.default_rng(11)
    patience = rng.exponential(150.0, 20_000)  # what each visitor would wait at most
    offered = rng.exponential(60.0, 20_000)  # how long each would have to wait for an agent
    answered = offered[offered < patience]
    abandoned = patience[offered >= patience]
    assert fit_patience(answered.tolist(), abandoned.tolist()) == pytest.approx(150.0, rel=0.05)
    # the naive mean of the abandoners' waits is far off: the censoring matters
    assert abandoned.mean() < 0.6 * 150.0
