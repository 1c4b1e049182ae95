"""domain/staffing_models.py: the published Erlang checks, the chat model equal to Erlang A with one
chat per agent, the closed-form wait within T against the tagged visitor's Markov chain, the
models' invariants (hypothesis), required_agents minimal, and every bad goal named."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.staffing_models import (
    MODEL_NAMES,
    Goal,
    Load,
    aht_at,
    chat_chain,
    chat_model,
    erlang_a,
    erlang_c,
    erlang_servers,
    meets_goal,
    predict,
    required_agents,
    with_meets,
)

# pyworkforce's documented examples: 100 contacts per 30 minutes, handle time 3 minutes, 20 s
PER_HOUR, AHT, T = 200.0, 180.0, 20.0


def test_erlang_c_published_check():
    m = erlang_c(PER_HOUR, AHT, 14, seconds=T)
    assert round(m.service_level, 5) == 0.88835
    assert round(m.prob_wait, 5) == 0.17413
    assert m.abandonment == 0.0
    assert m.occupancy == pytest.approx(10 / 14)
    assert m.avg_wait_s == pytest.approx(7.835937, abs=1e-5)  # ASA = C · AHT / (N − A)
    p = predict("erlang_c", Load(PER_HOUR, (AHT,)), 14, seconds=T)
    assert (round(p.service_level, 5), round(p.prob_wait, 5), p.agents, p.model) == (0.88835, 0.17413, 14, "erlang_c")
    assert required_agents("erlang_c", Load(PER_HOUR, (AHT,)), Goal(0.8, T, None)).agents == 14


def test_erlang_a_published_check():
    # the README's example: mean patience 5 min, 13 agents -> service level 0.858, abandonment 0.025
    m = erlang_a(PER_HOUR, AHT, 13, 300.0, seconds=T)
    assert round(m.service_level, 3) == 0.858
    assert round(m.abandonment, 3) == 0.025
    assert round(m.occupancy, 3) == 0.750
    # their exact regression figures for 14 agents (tests/test_abandonment.py): the same definition
    # of the service level (answered within T among all arrivals) to six digits
    m = erlang_a(PER_HOUR, AHT, 14, 300.0, seconds=T)
    assert round(m.service_level, 6) == 0.916792
    assert round(m.abandonment, 6) == 0.013984
    assert round(m.prob_wait, 5) == 0.14526
    assert round(m.occupancy, 6) == 0.704297
    assert round(m.avg_wait_s / 60, 6) == 0.069919
    p = required_agents("erlang_a", Load(PER_HOUR, (AHT,), 300.0), Goal(0.8, T, 0.05))
    assert p.agents == 13 and p.meets is True


def _erlang_c_closed_form(lam_h: float, aht: float, n: int, t: float) -> tuple[float, float]:
    """The textbook formula (Erlang B recursion), written apart from the module's chain."""
    a = lam_h / 3600 * aht
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    c = n * b / (n - a * (1 - b))
    return 1 - c * math.exp(-(n - a) * t / aht), c


@pytest.mark.parametrize(
    ("lam", "aht", "n", "t"), [(200, 180, 11, 20), (30, 600, 6, 0), (900, 240, 70, 45), (5, 60, 1, 10)]
)
def test_erlang_c_equals_the_closed_form(lam, aht, n, t):
    sl, c = _erlang_c_closed_form(lam, aht, n, t)
    m = erlang_c(lam, aht, n, seconds=t)
    assert m.service_level == pytest.approx(sl, abs=1e-12)
    assert m.prob_wait == pytest.approx(c, abs=1e-12)


def test_erlang_c_without_enough_agents_never_answers_in_time():
    m = erlang_c(PER_HOUR, AHT, 10, seconds=T)  # offered load 10 erlangs on 10 servers
    assert (m.service_level, m.prob_wait, m.avg_wait_s) == (0.0, 1.0, math.inf)
    assert predict("erlang_c", Load(PER_HOUR, (AHT,)), 0, seconds=T).service_level == 0.0


GRID = [
    (lam, aht, n, patience, t)
    for lam in (3.0, 60.0, 400.0)
    for aht in (90.0, 420.0)
    for n in (1, 4, 30)
    for patience in (None, 45.0, 600.0)
    for t in (0.0, 20.0, 120.0)
]


@pytest.mark.parametrize(("lam", "aht", "n", "patience", "t"), GRID)
def test_chat_model_with_one_chat_per_agent_is_erlang_a(lam, aht, n, patience, t):
    chat = chat_model(lam, (aht,), n, patience, seconds=t)
    a = erlang_a(lam, aht, n, patience, seconds=t)
    for name in ("service_level", "abandonment", "occupancy", "prob_wait"):
        assert getattr(chat, name) == pytest.approx(getattr(a, name), abs=1e-9), name
    assert chat.avg_wait_s == pytest.approx(a.avg_wait_s, abs=1e-9, rel=1e-9)
    load = Load(lam, (aht,), patience)
    assert predict("chat", load, n, seconds=t).service_level == pytest.approx(
        predict("erlang_a", load, n, seconds=t).service_level, abs=1e-9
    )


@pytest.mark.parametrize("patience", [None, 90.0])
def test_chat_model_with_a_flat_handle_time_is_erlang_a_on_all_slots(patience):
    # an agent holding k chats of AHT A finishes at k / A: n agents x m chats = n·m servers of A
    chat = chat_model(300.0, (400.0, 400.0, 400.0), 9, patience, seconds=30)
    a = erlang_a(300.0, 400.0, 27, patience, seconds=30)
    assert chat.service_level == pytest.approx(a.service_level, abs=1e-9)
    assert chat.abandonment == pytest.approx(a.abandonment, abs=1e-9)


def _tagged_served_within(mu: float, theta: float, ahead: int, t: float) -> float:
    """P(served within t) for a visitor with `ahead` others waiting, by the matrix exponential of
    its own chain: positions ahead … 0, then served / left (absorbing)."""
    size = ahead + 3
    served, left = ahead + 1, ahead + 2
    q = np.zeros((size, size))
    for pos in range(ahead + 1):  # state index = visitors ahead
        forward = mu + pos * theta
        q[pos, pos - 1 if pos else served] += forward
        q[pos, left] += theta
        q[pos, pos] = -(forward + theta)
    return float(expm(q * t)[ahead, served])


@pytest.mark.parametrize(("n", "m", "patience", "t"), [(3, 2, 60.0, 30.0), (5, 3, 200.0, 90.0), (2, 1, 20.0, 10.0)])
def test_service_level_equals_the_tagged_visitors_chain(n, m, patience, t):
    aht = tuple(200.0 + 60 * k for k in range(m))
    lam = 3600 * n * m / aht[-1] * 1.1  # overloaded: long queues
    metrics, chain = chat_chain(lam, aht, n, patience, seconds=t)
    mu = n * m / aht[-1]
    p = chain.probabilities
    ahead = [j for j in range(len(p) - chain.slots) if p[chain.slots + j] > 1e-13]  # the rest adds < 1e-10
    want = p[: chain.slots].sum() + sum(
        p[chain.slots + j] * _tagged_served_within(mu, 1 / patience, j, t) for j in ahead
    )
    assert metrics.service_level == pytest.approx(want, abs=1e-9)


def test_the_wait_limits_of_the_service_level():
    load = Load(250.0, (240.0, 300.0, 380.0), 150.0)
    at_zero = predict("chat", load, 8, seconds=0)
    assert at_zero.service_level == pytest.approx(1 - at_zero.prob_wait, abs=1e-12)
    forever = predict("chat", load, 8, seconds=1e6)
    assert forever.service_level == pytest.approx(1 - forever.abandonment, abs=1e-9)


def test_chat_service_level_rises_with_agents_and_with_faster_chats():
    load = Load(300.0, (240.0, 300.0, 390.0), 120.0)
    levels = [predict("chat", load, n, seconds=60).service_level for n in range(1, 30)]
    assert all(b > a for a, b in zip(levels, levels[1:], strict=False) if a < 1 - 1e-9)
    abandon = [predict("chat", load, n, seconds=60).abandonment for n in range(1, 30)]
    assert all(b < a for a, b in zip(abandon, abandon[1:], strict=False) if a > 1e-12)
    faster = Load(300.0, (200.0, 250.0, 330.0), 120.0)
    for n in (4, 8, 12):
        assert predict("chat", faster, n, seconds=60).service_level > predict("chat", load, n, seconds=60).service_level


def test_slower_chats_at_higher_load_need_more_agents_than_the_flat_model_says():
    flat = Load(400.0, (300.0, 300.0, 300.0), 120.0)
    slowing = Load(400.0, (300.0, 360.0, 450.0), 120.0)
    assert required_agents("chat", slowing, Goal()).agents > required_agents("chat", flat, Goal()).agents


def test_flow_balance_answered_visitors_are_the_finished_chats():
    # what enters service (λ (1 − abandonment)) leaves it: Σ π_s d_s over the chain
    lam, aht, n, patience = 320.0, (250.0, 330.0, 420.0), 7, 80.0
    metrics, chain = chat_chain(lam, aht, n, patience, seconds=60)
    m = len(aht)
    per_agent = [0.0] + [k / aht[k - 1] for k in range(1, m + 1)] + [0.0]
    rates = []
    for s in range(len(chain.probabilities)):
        q, r = divmod(min(s, n * m), n)
        rates.append(r * per_agent[q + 1] + (n - r) * per_agent[q])
    finished = float(np.dot(chain.probabilities, rates))
    assert finished == pytest.approx(lam / 3600 * (1 - metrics.abandonment), rel=1e-9)


def test_a_thousand_agents_stay_finite():
    for model in MODEL_NAMES:
        p = predict(model, Load(20_000.0, (300.0, 400.0, 520.0, 660.0), 90.0), 1000, seconds=30)
        assert all(math.isfinite(x) for x in (p.service_level, p.abandonment, p.avg_wait_s, p.occupancy, p.prob_wait))
    huge = required_agents("chat", Load(20_000.0, (300.0, 400.0, 520.0, 660.0), 90.0), Goal())
    assert 100 < huge.agents < 1000


def test_erlang_counts_an_agent_as_concurrency_servers():
    assert erlang_servers(7, 2.5) == 17
    assert aht_at((100.0, 200.0, 400.0), 2.5) == 300.0
    assert aht_at((100.0, 200.0, 400.0), 5) == 400.0
    load = Load(300.0, (200.0, 260.0, 330.0), None)
    default = predict("erlang_c", load, 10, seconds=60)  # 30 servers of AHT_3
    assert default.service_level == erlang_c(300.0, 330.0, 30, seconds=60).service_level
    two = predict("erlang_c", load, 10, seconds=60, concurrency=2)
    assert two.service_level == erlang_c(300.0, 260.0, 20, seconds=60).service_level
    a = predict("erlang_a", load, 10, seconds=60, concurrency=2)  # no patience: Erlang A is Erlang C
    assert (a.service_level, a.prob_wait, a.avg_wait_s) == (two.service_level, two.prob_wait, two.avg_wait_s)


def test_no_arrivals_need_no_agents():
    for model in MODEL_NAMES:
        p = required_agents(model, Load(0.0, (300.0, 400.0), 60.0), Goal(0.95, 10, 0.0))
        assert (p.agents, p.service_level, p.abandonment, p.meets) == (0, 1.0, 0.0, True)


@pytest.mark.parametrize(
    ("load", "goal", "field"),
    [
        (Load(100.0, (300.0,)), Goal(1.0, 0.0), "goal.service_level"),
        (Load(100.0, (300.0,)), Goal(1.0, 60.0), "goal.service_level"),
        (Load(100.0, (300.0,)), Goal(0.0, 60.0), "goal.service_level"),
        (Load(100.0, (300.0,)), Goal(1.2, 60.0), "goal.service_level"),
        (Load(100.0, (300.0,)), Goal(float("nan"), 60.0), "goal.service_level"),
        (Load(100.0, (300.0,)), Goal(0.8, -1.0), "goal.seconds"),
        (Load(100.0, (300.0,)), Goal(0.8, 60.0, 1.5), "goal.max_abandon"),
        (Load(100.0, (300.0,), 60.0), Goal(0.8, 60.0, 0.0), "goal.max_abandon"),
        (Load(-1.0, (300.0,)), Goal(), "arrivals"),
        (Load(float("inf"), (300.0,)), Goal(), "arrivals"),
        (Load(100.0, ()), Goal(), "aht_by_load"),
        (Load(100.0, (300.0, 0.0)), Goal(), "aht_by_load"),
        (Load(100.0, (300.0,), 0.0), Goal(), "patience_s"),
        (Load(100_000.0, (300.0,), 60.0), Goal(0.8, 60.0, 0.05), "goal.service_level"),  # not met by 1000 agents
    ],
)
def test_bad_goals_and_loads_are_named(load, goal, field):
    with pytest.raises(ChatRuleError) as e:
        required_agents("chat", load, goal)
    assert (e.value.code, e.value.field) == ("goal", field)
    assert e.value.message.startswith(field + ":")


def test_the_impossible_goal_says_so():
    with pytest.raises(ChatRuleError) as e:
        required_agents("erlang_a", Load(100.0, (300.0,), 60.0), Goal(1.0, 0.0))
    assert e.value.message == "goal.service_level: 100 % within 0 s cannot be met"


def test_unknown_model_and_bad_agents_are_named():
    with pytest.raises(ChatRuleError) as e:
        predict("erlang_b", Load(1.0, (60.0,)), 1, seconds=1)
    assert e.value.field == "model"
    with pytest.raises(ChatRuleError) as e:
        predict("chat", Load(1.0, (60.0,)), -1, seconds=1)
    assert e.value.field == "agents"
    with pytest.raises(ChatRuleError) as e:
        predict("erlang_c", Load(1.0, (60.0,)), 1, seconds=1, concurrency=0.5)
    assert e.value.field == "concurrency"


loads = st.builds(
    Load,
    arrivals_per_hour=st.floats(0.5, 600.0),
    aht_by_load=st.lists(st.floats(30.0, 900.0), min_size=1, max_size=4).map(lambda xs: tuple(sorted(xs))),
    patience_s=st.one_of(st.none(), st.floats(5.0, 1800.0)),
)


@settings(max_examples=60, deadline=None)
@given(load=loads, agents=st.integers(0, 60), seconds=st.floats(0.0, 600.0), model=st.sampled_from(MODEL_NAMES))
def test_invariants(load, agents, seconds, model):
    p = predict(model, load, agents, seconds=seconds)
    for x in (p.service_level, p.abandonment, p.occupancy, p.prob_wait):
        assert 0.0 <= x <= 1.0
    assert p.service_level <= 1.0 - p.abandonment + 1e-9
    assert p.service_level <= 1.0 - p.prob_wait + 1e-9 or seconds > 0
    assert p.avg_wait_s >= 0
    if model == "chat" and agents > 0:
        _, chain = chat_chain(load.arrivals_per_hour, load.aht_by_load, agents, load.patience_s, seconds=seconds)
        assert chain.probabilities.sum() + chain.tail_mass == pytest.approx(1.0, abs=1e-9) or not chain.stable
        assert (chain.probabilities >= 0).all()


goals = st.builds(
    Goal,
    service_level=st.floats(0.5, 0.98),
    seconds=st.floats(0.0, 300.0),
    max_abandon=st.one_of(st.none(), st.floats(0.005, 0.3)),
)


def _meets(p, goal):  # written out here, apart from the module's meets_goal
    return p.service_level >= goal.service_level and (goal.max_abandon is None or p.abandonment <= goal.max_abandon)


@settings(max_examples=50, deadline=None)
@given(load=loads, goal=goals, model=st.sampled_from(MODEL_NAMES))
def test_required_agents_is_the_smallest_that_meets_the_goal(load, goal, model):
    p = required_agents(model, load, goal)
    assert p.meets is True
    assert _meets(p, goal) and meets_goal(p, goal)
    assert replace(predict(model, load, p.agents, seconds=goal.seconds), meets=True) == p
    assert p.agents >= 1
    assert not _meets(predict(model, load, p.agents - 1, seconds=goal.seconds), goal)


def test_with_meets_fills_in_the_verdict():
    load = Load(300.0, (240.0, 300.0, 380.0), 60.0)
    need = required_agents("chat", load, Goal())
    assert with_meets(predict("chat", load, need.agents, seconds=60), Goal()).meets is True
    assert with_meets(predict("chat", load, need.agents - 1, seconds=60), Goal()).meets is False


def test_the_abandonment_goal_can_be_the_one_that_binds():
    load = Load(300.0, (240.0, 300.0, 380.0), 60.0)
    loose = required_agents("chat", load, Goal(0.5, 300.0, None))
    strict = required_agents("chat", load, Goal(0.5, 300.0, 0.005))
    assert strict.agents > loose.agents
    assert strict.abandonment <= 0.005
    assert predict("chat", load, strict.agents - 1, seconds=300.0).abandonment > 0.005
