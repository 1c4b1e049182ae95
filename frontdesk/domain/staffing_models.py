"""Staffing models (issue 15): for an hour's arrivals, the service level, abandonment, average wait
and occupancy that n agents give, and the smallest n that meets a goal. Pure: numpy/scipy, no I/O.

Three models (docs/staffing.md "The three models" has the formulas and when each is wrong):
- `erlang_c`: M/M/N, visitors never leave. An agent counts as `concurrency` servers (the
  industry's "concurrency factor"), each with the handle time at that concurrency.
- `erlang_a`: M/M/N+M, the same servers, and a waiting visitor leaves after an exponential
  patience (mean `patience_s`).
- `chat_model`: n agents each hold up to m = len(aht_by_load) chats; an agent holding k chats
  finishes them at the total rate k / AHT_k; new chats go to the least-loaded agent, so with s
  chats in service the loads are balanced (s mod n agents hold ⌊s/n⌋ + 1, the others ⌊s/n⌋);
  waiting visitors leave at rate 1 / patience each. A birth-death chain over the number of chats in
  the system, solved numerically. With m = 1 it is Erlang A.

All three are one birth-death chain over s = chats in the system (in service + waiting) with
arrival rate λ; they differ only in the service rate d_s of states s ≤ N (N = slots):
  π_s ∝ Π_{i≤s} λ / d_i,   d_{N+j} = μ + j·θ for j ≥ 1 waiting (μ = d_N, θ = 1 / patience).
The chain is summed in log space (stable for thousands of slots) and the queue is cut where the
tail holds less than 1e-12 of the mass.

Words (docs/staffing.md and design-15 "Words"):
- service level = share of ALL arrivals answered with a queue wait ≤ T (an abandoner never counts);
- abandonment = share of arrivals who leave the queue before an agent accepts;
- average wait = mean queue time over all arrivals (abandoners' time to leaving included), L_q / λ;
- occupancy = mean busy slots / all slots (N = agents × chats per agent): slot occupancy;
- probability of waiting = share of arrivals who find every slot taken.
A visitor who arrives to j others waiting needs j + 1 slot releases (each at rate μ, the ones
ahead also leave at θ each) before it leaves itself (θ): in closed form
  P(served and wait ≤ T | j ahead) = μ / (μ + (j+1)θ) · (1 − I_{e^{−θT}}(μ/θ + 1, j + 1))
(I = the regularised incomplete beta function; the time to be served, given served, is a sum of
exponentials of rates μ + θ, …, μ + (j+1)θ). Without abandonment it is the Erlang C tail
P(wait > T) = P(wait) · e^{−(μ − λ)T}.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import betainc

from frontdesk.domain.chat_rules import ChatRuleError

MODEL_NAMES = ("chat", "erlang_a", "erlang_c")
ERROR_CODE = "goal"  # the code of every ChatRuleError raised here (design-15); HTTP 400
TAIL = 1e-12  # the queue is cut where the rest of the chain holds less than this
MAX_QUEUE = 2_000_000  # a safety bound on the cut (never reached with patience ≥ 1 s)

DEFINITIONS = {
    "service_level": "share of all arrivals answered with a queue wait of at most `seconds` "
    "(visitors who leave count as not answered within it)",
    "abandonment": "share of arrivals who leave the queue before an agent accepts",
    "avg_wait_s": "mean queue wait over all arrivals, in seconds (those who leave: until they leave)",
    "occupancy": "mean busy chat slots / (agents x chats per agent)",
    "prob_wait": "share of arrivals who find every chat slot taken",
}


@dataclass(frozen=True, slots=True)
class Load:
    arrivals_per_hour: float
    aht_by_load: tuple[float, ...]  # seconds; AHT_k = mean handle time of a chat while its agent holds k chats
    patience_s: float | None = None  # mean patience (exponential); None = visitors never leave


@dataclass(frozen=True, slots=True)
class Goal:
    service_level: float = 0.8  # share of arrivals answered within `seconds`
    seconds: float = 60.0
    max_abandon: float | None = 0.05


@dataclass(frozen=True, slots=True)
class Prediction:
    model: str
    agents: int
    service_level: float
    abandonment: float
    avg_wait_s: float  # math.inf when visitors never leave and the agents cannot keep up
    occupancy: float
    prob_wait: float
    meets: bool | None = None


@dataclass(frozen=True, slots=True)
class Metrics:
    """What one chain gives: the five figures (see the module's words)."""

    service_level: float
    abandonment: float
    avg_wait_s: float
    occupancy: float
    prob_wait: float


@dataclass(frozen=True, slots=True)
class Chain:
    """A solved chain: `probabilities[s]` = P(s visitors in the system), s = 0 … slots + queue cut
    (the geometric tail of a chain without abandonment is summed in closed form: `tail_mass`)."""

    slots: int
    probabilities: np.ndarray
    tail_mass: float  # mass beyond the last state listed (closed form; 0 with abandonment)
    stable: bool


# --- the chain ---------------------------------------------------------------------------------


def _service_rates_erlang(servers: int, aht_s: float) -> np.ndarray:
    return np.arange(1, servers + 1, dtype=float) / aht_s


def _service_rates_chat(agents: int, aht_by_load: Sequence[float]) -> np.ndarray:
    """d_s for s = 1 … agents·m: r = s mod n agents hold q + 1 chats, n − r hold q (q = s div n)."""
    m = len(aht_by_load)
    per_agent = np.zeros(m + 2)  # per_agent[k] = k / AHT_k, the rate an agent holding k finishes chats
    per_agent[1 : m + 1] = np.arange(1, m + 1) / np.asarray(aht_by_load, dtype=float)
    s = np.arange(1, agents * m + 1)
    q, r = np.divmod(s, agents)
    rates: np.ndarray = r * per_agent[q + 1] + (agents - r) * per_agent[q]
    return rates


def _solve(lam: float, rates: np.ndarray, theta: float, seconds: float) -> tuple[Metrics, Chain]:
    """The chain with arrival rate `lam` (per second), service rates d_1 … d_N, abandonment θ."""
    slots = len(rates)
    if slots == 0:
        # nobody to answer: everyone leaves after their patience, or waits for ever
        metrics = Metrics(0.0, 1.0, 1.0 / theta, 0.0, 1.0) if theta > 0 else Metrics(0.0, 0.0, math.inf, 0.0, 1.0)
        return metrics, Chain(0, np.array([1.0]), 0.0, theta > 0)
    mu = float(rates[-1])
    log_lam = math.log(lam)
    logp = np.empty(slots + 1)
    logp[0] = 0.0
    np.cumsum(log_lam - np.log(rates), out=logp[1:])
    if theta <= 0:
        rho = lam / mu
        if rho >= 1.0 - 1e-12:
            metrics = Metrics(0.0, 0.0, math.inf, 1.0, 1.0)
            return metrics, Chain(slots, np.zeros(slots + 1), 1.0, False)
        # queue: π_{N+j} = π_N ρ^j, j ≥ 1; sum = π_N ρ / (1 − ρ)
        log_tail = logp[-1] + math.log(rho) - math.log1p(-rho)
        log_z = float(np.logaddexp(_logsumexp(logp), log_tail))
        p = np.exp(logp - log_z)
        tail = math.exp(log_tail - log_z)
        p_n = float(p[-1])
        prob_wait = p_n / (1.0 - rho)
        lq = p_n * rho / (1.0 - rho) ** 2
        sl = 1.0 - prob_wait * math.exp(-(mu - lam) * seconds)
        busy = float(np.dot(np.arange(slots), p[:-1])) + slots * prob_wait
        metrics = Metrics(
            service_level=_clip(sl),
            abandonment=0.0,
            avg_wait_s=lq / lam,
            occupancy=_clip(busy / slots),
            prob_wait=_clip(prob_wait),
        )
        return metrics, Chain(slots, p, tail, True)
    # with abandonment: extend the queue until its tail is negligible
    cut = int(max(0.0, (lam - mu) / theta)) + 32 + int(10 * math.sqrt(lam / theta))
    while True:
        j = np.arange(1, cut + 1)
        logq = logp[-1] + np.cumsum(log_lam - np.log(mu + j * theta))
        log_all = np.concatenate((logp, logq))
        log_z = _logsumexp(log_all)
        if log_all[-1] - log_z < math.log(TAIL) - 5 or cut >= MAX_QUEUE:
            break
        cut *= 2
    p = np.exp(log_all - log_z)
    queue = p[slots:]  # π_{N+j}, j = 0 … cut
    waiting = np.arange(cut + 1)
    prob_wait = float(queue.sum())
    lq = float(np.dot(waiting, queue))
    if seconds > 0:
        served = (mu / (mu + (waiting + 1) * theta)) * (
            1.0 - betainc(mu / theta + 1.0, waiting + 1.0, math.exp(-theta * seconds))
        )
        sl = float(p[:slots].sum()) + float(np.dot(queue, served))
    else:
        sl = float(p[:slots].sum())
    busy = float(np.dot(np.arange(slots), p[:slots])) + slots * prob_wait
    metrics = Metrics(
        service_level=_clip(sl),
        abandonment=_clip(theta * lq / lam),
        avg_wait_s=lq / lam,
        occupancy=_clip(busy / slots),
        prob_wait=_clip(prob_wait),
    )
    return metrics, Chain(slots, p, 0.0, True)


def _logsumexp(x: np.ndarray) -> float:
    top = float(x.max())
    return top + math.log(float(np.exp(x - top).sum()))


def _clip(x: float) -> float:
    return min(1.0, max(0.0, float(x)))


def _theta(patience_s: float | None) -> float:
    return 0.0 if patience_s is None else 1.0 / patience_s


_IDLE = Metrics(service_level=1.0, abandonment=0.0, avg_wait_s=0.0, occupancy=0.0, prob_wait=0.0)


# --- the three models, callable directly --------------------------------------------------------


def erlang_c(arrivals_per_hour: float, aht_s: float, servers: int, *, seconds: float) -> Metrics:
    """M/M/N: `servers` servers of mean handle time `aht_s`, visitors never leave."""
    if arrivals_per_hour <= 0:
        return _IDLE
    return _solve(arrivals_per_hour / 3600.0, _service_rates_erlang(servers, aht_s), 0.0, seconds)[0]


def erlang_a(
    arrivals_per_hour: float, aht_s: float, servers: int, patience_s: float | None, *, seconds: float
) -> Metrics:
    """M/M/N+M: as Erlang C, and a waiting visitor leaves after an exponential patience (mean `patience_s`)."""
    if arrivals_per_hour <= 0:
        return _IDLE
    rates = _service_rates_erlang(servers, aht_s)
    return _solve(arrivals_per_hour / 3600.0, rates, _theta(patience_s), seconds)[0]


def chat_model(
    arrivals_per_hour: float, aht_by_load: Sequence[float], agents: int, patience_s: float | None, *, seconds: float
) -> Metrics:
    """The chat model: `agents` agents, each holding up to len(aht_by_load) chats (see the module)."""
    return chat_chain(arrivals_per_hour, aht_by_load, agents, patience_s, seconds=seconds)[0]


def chat_chain(
    arrivals_per_hour: float, aht_by_load: Sequence[float], agents: int, patience_s: float | None, *, seconds: float
) -> tuple[Metrics, Chain]:
    """The chat model's figures and its solved chain (the tests check the chain's probabilities)."""
    if arrivals_per_hour <= 0:
        return _IDLE, Chain(agents * len(aht_by_load), np.array([1.0]), 0.0, True)
    rates = _service_rates_chat(agents, aht_by_load) if agents > 0 else np.empty(0)
    return _solve(arrivals_per_hour / 3600.0, rates, _theta(patience_s), seconds)


# --- checks --------------------------------------------------------------------------------------


def _bad(field: str, message: str) -> ChatRuleError:
    return ChatRuleError(ERROR_CODE, f"{field}: {message}", field=field)


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def check_load(load: Load) -> None:
    """ChatRuleError naming the field: negative or non-finite arrivals, no handle times, AHT ≤ 0, patience ≤ 0."""
    if not _finite(load.arrivals_per_hour) or load.arrivals_per_hour < 0:
        raise _bad("arrivals", "arrivals per hour must be a number ≥ 0")
    if len(load.aht_by_load) == 0:
        raise _bad("aht_by_load", "give the handle time for at least one chat per agent")
    for aht in load.aht_by_load:
        if not _finite(aht) or aht <= 0:
            raise _bad("aht_by_load", "every handle time must be a number of seconds > 0")
    if load.patience_s is not None and (not _finite(load.patience_s) or load.patience_s <= 0):
        raise _bad("patience_s", "the mean patience must be a number of seconds > 0 (or none: visitors never leave)")


def check_goal(goal: Goal) -> None:
    """ChatRuleError naming the field: a service level outside (0, 1], 100 % (never met with random
    arrivals; within 0 s said so), seconds < 0, a maximum abandonment outside [0, 1]."""
    if not _finite(goal.seconds) or goal.seconds < 0:
        raise _bad("goal.seconds", "the answer time must be a number of seconds ≥ 0")
    if not _finite(goal.service_level) or not 0 < goal.service_level <= 1:
        raise _bad("goal.service_level", "the service level must be a share in (0, 1]")
    if goal.service_level >= 1:
        if goal.seconds == 0:
            raise _bad("goal.service_level", "100 % within 0 s cannot be met")
        raise _bad(
            "goal.service_level",
            f"100 % within {goal.seconds:g} s cannot be met: with random arrivals some visitor always waits longer",
        )
    if goal.max_abandon is not None and (not _finite(goal.max_abandon) or not 0 <= goal.max_abandon <= 1):
        raise _bad("goal.max_abandon", "the maximum abandonment must be a share in [0, 1]")


def _check_model(model: str) -> None:
    if model not in MODEL_NAMES:
        raise _bad("model", f"unknown model {model!r} (one of {', '.join(MODEL_NAMES)})")


def _check_concurrency(concurrency: float | None) -> None:
    if concurrency is not None and (not _finite(concurrency) or concurrency < 1):
        raise _bad("concurrency", "chats per agent must be a number ≥ 1")


# --- predict and required_agents -------------------------------------------------------------------


def aht_at(aht_by_load: Sequence[float], concurrency: float) -> float:
    """The handle time at a (possibly fractional) concurrency: AHT_k interpolated linearly,
    held flat outside 1 … m."""
    m = len(aht_by_load)
    x = min(max(concurrency, 1.0), float(m))
    lo = int(math.floor(x))
    if lo >= m:
        return float(aht_by_load[m - 1])
    frac = x - lo
    return float(aht_by_load[lo - 1]) * (1 - frac) + float(aht_by_load[lo]) * frac


def erlang_servers(agents: int, concurrency: float) -> int:
    """An agent counts as `concurrency` servers; a fraction of a slot is no slot (floor)."""
    return max(0, int(math.floor(agents * concurrency + 1e-9)))


def _metrics(model: str, load: Load, agents: int, seconds: float, concurrency: float | None) -> Metrics:
    if load.arrivals_per_hour <= 0:
        return _IDLE
    if model == "chat":
        return chat_model(load.arrivals_per_hour, load.aht_by_load, agents, load.patience_s, seconds=seconds)
    c = float(len(load.aht_by_load)) if concurrency is None else float(concurrency)
    servers = erlang_servers(agents, c)
    aht = aht_at(load.aht_by_load, c)
    if model == "erlang_c":
        return erlang_c(load.arrivals_per_hour, aht, servers, seconds=seconds)
    return erlang_a(load.arrivals_per_hour, aht, servers, load.patience_s, seconds=seconds)


def predict(model: str, load: Load, agents: int, *, seconds: float, concurrency: float | None = None) -> Prediction:
    """What `agents` agents give for this hour's load under `model` (one of MODEL_NAMES).

    Erlang C and Erlang A count an agent as `concurrency` servers (default m = len(aht_by_load)),
    each with the handle time at that concurrency (`aht_at`); Erlang C ignores the patience. The
    chat model ignores `concurrency` (its m is len(aht_by_load))."""
    _check_model(model)
    check_load(load)
    _check_concurrency(concurrency)
    if not _finite(seconds) or seconds < 0:
        raise _bad("goal.seconds", "the answer time must be a number of seconds ≥ 0")
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        raise _bad("agents", "the number of agents must be a whole number ≥ 0")
    m = _metrics(model, load, agents, seconds, concurrency)
    return Prediction(model, agents, m.service_level, m.abandonment, m.avg_wait_s, m.occupancy, m.prob_wait)


def meets_goal(metrics: Metrics | Prediction, goal: Goal) -> bool:
    ok = metrics.service_level >= goal.service_level - 1e-12
    if goal.max_abandon is not None:
        ok = ok and metrics.abandonment <= goal.max_abandon + 1e-12
    return ok


def required_agents(
    model: str, load: Load, goal: Goal, *, max_agents: int = 1000, concurrency: float | None = None
) -> Prediction:
    """The smallest number of agents whose prediction meets both the service level and the maximum
    abandonment of `goal` (0 when no one arrives). ChatRuleError naming the field for a bad load or
    goal, or when `max_agents` agents do not meet it.

    The search starts at the offered load in agents (λ · AHT_c / c, c = m for the chat model),
    gallops up or down by 1, 2, 4, … and bisects: about 2·log2 of the distance evaluations. It
    relies on the models being monotone in n (more agents never lower the service level nor
    raise abandonment)."""
    _check_model(model)
    check_load(load)
    check_goal(goal)
    _check_concurrency(concurrency)
    lam = load.arrivals_per_hour
    if lam == 0:
        return Prediction(model, 0, 1.0, 0.0, 0.0, 0.0, 0.0, meets=True)
    if goal.max_abandon == 0 and load.patience_s is not None and model != "erlang_c":
        raise _bad("goal.max_abandon", "0 % abandonment cannot be met while visitors leave after a finite patience")
    seconds = goal.seconds
    cache: dict[int, Metrics] = {}

    def evaluate(n: int) -> Metrics:
        if n not in cache:
            cache[n] = _metrics(model, load, n, seconds, concurrency)
        return cache[n]

    def ok(n: int) -> bool:
        return meets_goal(evaluate(n), goal)

    m = len(load.aht_by_load)
    c = m if model == "chat" or concurrency is None else concurrency
    offered = lam / 3600.0 * aht_at(load.aht_by_load, c) / c
    start = min(max_agents, max(1, math.ceil(offered)))
    if ok(start):
        hi, step = start, 1  # gallop down: find a failing lo
        lo = hi - step
        while lo >= 1 and ok(lo):
            hi, step = lo, step * 2
            lo = hi - step
        lo = max(lo, 0)  # 0 agents never meet a goal with arrivals
    else:
        lo, step = start, 1  # gallop up: find a meeting hi
        hi = min(max_agents, lo + step)
        while not ok(hi):
            if hi >= max_agents:
                figures = evaluate(hi)
                missed = figures.service_level < goal.service_level - 1e-12
                field = "goal.service_level" if missed else "goal.max_abandon"
                raise _bad(field, f"not met with {max_agents} agents")
            lo, step = hi, step * 2
            hi = min(max_agents, lo + step)
    while hi - lo > 1:  # invariant: lo fails (or is 0), hi meets
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    figures = evaluate(hi)
    return Prediction(
        model,
        hi,
        figures.service_level,
        figures.abandonment,
        figures.avg_wait_s,
        figures.occupancy,
        figures.prob_wait,
        True,
    )


def with_meets(prediction: Prediction, goal: Goal) -> Prediction:
    """The prediction with `meets` filled in for `goal`."""
    return replace(prediction, meets=meets_goal(prediction, goal))
