"""Invitation rules: validation naming each bad field, safe globs, and the evaluation table
(every condition, gate and cap can stop a rule)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.invitation_rules import (
    CAP_AFTER_CHAT,
    CAP_DAYS,
    CAP_IN_CHAT,
    CAP_VISIT,
    GATE_CLOSED,
    GATE_NO_SLOT,
    GATE_WAIT,
    Capacity,
    History,
    Visit,
    check_rule,
    compile_glob,
    evaluate,
    rule_from_row,
)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Oslo


def rule(rule_id: int = 1, position: int = 0, **data: Any) -> Any:
    data.setdefault("name", f"rule {rule_id}")
    data.setdefault("action", {"text": "Hello!"})
    values = check_rule(data)
    return rule_from_row(SimpleNamespace(id=rule_id, department_id=1, position=position, **values))


def visit(**fields: Any) -> Visit:
    base: dict[str, Any] = {
        "url": "https://shop.example/pricing?plan=pro",
        "title": "Pricing - Example",
        "page_since": NOW - timedelta(seconds=40),
        "started_at": NOW - timedelta(seconds=300),
        "pages": 3,
        "returning": True,
        "referrer": "https://www.google.com/search?q=x",
        "country": "NO",
        "device": "desktop",
        "language": "nb-NO",
    }
    return Visit(**{**base, **fields})


OPEN = Capacity(accepting=True, free_slots=2, wait_estimate_s=0.0)


# ---- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": {"text": "x"}}, "name"),
        ({"name": "x"}, "action"),
        ({"name": "", "action": {"text": "x"}}, "name"),
        ({"name": "x", "action": {"text": "x"}, "colour": 1}, "colour"),
        ({"name": "x", "action": {}}, "action.text"),
        ({"name": "x", "action": {"text": "x", "as": "bot"}}, "action.as"),
        ({"name": "x", "action": {"text": "x", "as": "agent"}}, "action.agent_id"),
        ({"name": "x", "action": {"text": "x", "agent_id": 3}}, "action.agent_id"),
        ({"name": "x", "action": {"text": "x", "delay_s": 601}}, "action.delay_s"),
        ({"name": "x", "action": {"text": "x" * 1001}}, "action.text"),
        ({"name": "x", "action": {"text": "x"}, "enabled": "yes"}, "enabled"),
        ({"name": "x", "action": {"text": "x"}, "gates": {"max_wait_s": 0}}, "gates.max_wait_s"),
        ({"name": "x", "action": {"text": "x"}, "gates": {"free_slot": 1}}, "gates.free_slot"),
        ({"name": "x", "action": {"text": "x"}, "gates": {"slots": 1}}, "gates.slots"),
        ({"name": "x", "action": {"text": "x"}, "caps": {"min_days_between": -1}}, "caps.min_days_between"),
        ({"name": "x", "action": {"text": "x"}, "caps": {"once_per_visit": None}}, "caps.once_per_visit"),
        ({"name": "x", "action": {"text": "x"}, "conditions": {}}, "conditions"),
        ({"name": "x", "action": {"text": "x"}, "conditions": [1]}, "conditions[0]"),
    ],
)
def test_a_bad_rule_names_its_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ChatRuleError) as caught:
        check_rule(data)
    assert caught.value.code == "bad_request"
    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}: ")


GOOD = {"field": "pages", "op": "gte", "value": 2}


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"field": "colour", "value": 1}, "field"),
        ({"field": "url", "op": "regex", "value": "x"}, "op"),
        ({"field": "url"}, "value"),
        ({"field": "url", "value": ""}, "value"),
        ({"field": "url", "value": "*" * 11}, "value"),
        ({"field": "url", "value": "/a" * 200}, "value"),
        ({"field": "url", "value": "/a\nb"}, "value"),
        ({"field": "title", "value": 5}, "value"),
        ({"field": "time_on_page", "value": -1}, "value"),
        ({"field": "time_on_site", "value": True}, "value"),
        ({"field": "pages", "value": 0}, "value"),
        ({"field": "returning", "value": "yes"}, "value"),
        ({"field": "referrer_domain", "value": "http://x/y"}, "value"),
        ({"field": "country", "value": ["NOR"]}, "value[0]"),
        ({"field": "country", "value": []}, "value"),
        ({"field": "device", "value": ["desktop", "fridge"]}, "value[1]"),
        ({"field": "language", "value": ["e"]}, "value[0]"),
        ({"field": "schedule", "value": {"days": ["mon"], "from": "9", "to": "17:00"}}, "value.from"),
        ({"field": "schedule", "value": {"days": ["monday"], "from": "09:00", "to": "17:00"}}, "value.days[0]"),
        ({"field": "schedule", "value": {"days": ["mon"], "from": "17:00", "to": "09:00"}}, "value.to"),
        ({"field": "schedule", "value": {"days": ["mon"], "from": "09:00", "to": "25:00"}}, "value.to"),
        ({"field": "pages", "value": 2, "extra": 1}, "extra"),
    ],
)
def test_a_bad_condition_names_its_path(condition: dict[str, Any], field: str) -> None:
    data = {"name": "x", "action": {"text": "x"}, "conditions": [GOOD, GOOD, condition]}
    with pytest.raises(ChatRuleError) as caught:
        check_rule(data)
    assert caught.value.field == f"conditions[2].{field}"
    assert caught.value.message.startswith(f"conditions[2].{field}: ")


def test_a_good_rule_is_normalised() -> None:
    values = check_rule(
        {
            "name": "  Pricing  ",
            "action": {"text": "Hi", "as": "agent", "agent_id": 7, "delay_s": 5},
            "conditions": [
                {"field": "country", "value": ["no", "SE", "no"]},
                {"field": "referrer_domain", "op": "is", "value": "WWW.Google.com"},
                {"field": "schedule", "value": {"days": ["fri", "mon"], "from": "09:00", "to": "24:00"}},
            ],
        }
    )
    assert values["name"] == "Pricing"
    assert values["conditions"][0] == {"field": "country", "op": "in", "value": ["NO", "SE"]}
    assert values["conditions"][1]["value"] == "google.com"
    assert values["conditions"][2]["value"]["days"] == ["mon", "fri"]
    assert values["gates"] == {"accepting": True, "free_slot": False, "max_wait_s": None}
    assert values["caps"] == {"once_per_visit": True, "min_days_between": 0, "quiet_after_chat_min": 30}
    assert values["action"] == {"text": "Hi", "as": "agent", "agent_id": 7, "delay_s": 5}


# ---- globs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("/pricing*", "https://shop.example/pricing", True),
        ("/pricing*", "https://shop.example/pricing/pro?x=1", True),
        ("/pricing", "https://shop.example/pricing?x=1", False),
        ("/pricing*", "https://shop.example/about/pricing", False),
        ("*/pricing*", "https://shop.example/about/pricing", True),
        ("/PRICING*", "https://shop.example/pricing", True),
        ("/docs/?/intro", "https://x/docs/a/intro", True),
        ("/docs/?/intro", "https://x/docs/ab/intro", False),
        ("*example.com/*", "https://www.example.com/", True),
        ("*.example.com/*", "https://example.com/", False),
        # Regex syntax is literal text, never an expression.
        ("/a.c", "https://x/abc", False),
        ("/a.c", "https://x/a.c", True),
        ("/(a+)+$", "https://x/aaaa", False),
        ("/(a+)+$", "https://x/(a+)+$", True),
        ("/[ab]", "https://x/a", False),
        ("/x|y", "https://x/y", False),
        ("*a*b*c*", "https://x/zzazzbzzc", True),
        ("*a*b*c*", "https://x/zzczzbzza", False),
        ("*/a?c/*", "https://x/abc/", True),
        ("*/a?c/*", "https://x/ac/", False),
        ("*b?d?f*", "https://x/abxdxfbcdef", True),
        ("*b?d?f*", "https://x/abxdxgbcdeg", False),
        ("/??/*", "https://x/ab/c", True),
        ("/??/*", "https://x/a/c", False),
    ],
)
def test_globs(pattern: str, url: str, expected: bool) -> None:
    assert compile_glob(pattern).matches(url) is expected


def test_a_glob_is_bounded_on_a_hostile_url() -> None:
    """Ten stars and a 2,000-character URL that almost matches: the matcher takes one pass per
    segment (no backtracking), far below a millisecond budget per page view."""
    url = "https://x/" + "a" * 1990
    for pattern in ("*a*a*a*a*a*a*a*a*a*a!", "*a?a?a?a?a*a?a?a?a?a*!", "*" + "?" * 280 + "!"):
        glob = compile_glob(pattern)
        started = time.perf_counter()
        for _ in range(10):
            assert not glob.matches(url)
        assert (time.perf_counter() - started) / 10 < 0.05, pattern


# ---- evaluation: each condition, gate and cap can stop a rule ------------------------------

CONDITIONS_THAT_HOLD = [
    {"field": "url", "value": "/pricing*"},
    {"field": "title", "value": "pricing"},
    {"field": "time_on_page", "value": 30},
    {"field": "time_on_site", "value": 120},
    {"field": "pages", "value": 3},
    {"field": "returning", "value": True},
    {"field": "referrer_domain", "value": "google.com"},
    {"field": "country", "value": ["NO", "SE"]},
    {"field": "device", "value": ["desktop"]},
    {"field": "language", "value": ["nb"]},
    {"field": "schedule", "value": {"days": ["mon"], "from": "09:00", "to": "17:00"}},
]


def test_every_condition_holding_fires() -> None:
    r = rule(conditions=CONDITIONS_THAT_HOLD)
    decision = evaluate([r], visit(), NOW, OPEN, timezone="Europe/Oslo")
    assert decision.fired == r


@pytest.mark.parametrize(
    ("condition", "visit_fields"),
    [
        ({"field": "url", "value": "/pricing*"}, {"url": "https://shop.example/about"}),
        ({"field": "title", "value": "pricing"}, {"title": "About us"}),
        ({"field": "pages", "value": 3}, {"pages": 2}),
        ({"field": "returning", "value": True}, {"returning": False}),
        ({"field": "referrer_domain", "value": "google.com"}, {"referrer": "https://notgoogle.com/"}),
        ({"field": "referrer_domain", "value": "google.com"}, {"referrer": "not a url"}),
        ({"field": "country", "value": ["NO"]}, {"country": None}),
        ({"field": "device", "value": ["desktop"]}, {"device": "phone"}),
        ({"field": "language", "value": ["nb"]}, {"language": "nbx"}),
    ],
)
def test_each_condition_can_stop_a_rule(condition: dict[str, Any], visit_fields: dict[str, Any]) -> None:
    r = rule(conditions=[condition])
    assert evaluate([r], visit(), NOW, OPEN).fired == r
    decision = evaluate([r], visit(**visit_fields), NOW, OPEN)
    assert decision.fired is None and decision.blocked is None


@pytest.mark.parametrize(
    ("days", "start", "end", "fires"),
    [
        (["mon"], "11:00", "11:01", True),  # 11:00 in Oslo (UTC+1 in December)
        (["mon"], "10:00", "11:00", False),  # 10:00-11:00 local: just over
        (["tue"], "00:00", "24:00", False),
    ],
)
def test_the_schedule_is_in_the_departments_time_zone(days: list[str], start: str, end: str, fires: bool) -> None:
    r = rule(conditions=[{"field": "schedule", "value": {"days": days, "from": start, "to": end}}])
    assert (evaluate([r], visit(), NOW, OPEN, timezone="Europe/Oslo").fired == r) is fires


def test_time_conditions_say_when_to_look_again() -> None:
    r = rule(conditions=[{"field": "time_on_page", "value": 50}, {"field": "time_on_site", "value": 310}])
    decision = evaluate([r], visit(), NOW, OPEN)
    assert decision.fired is None
    assert decision.recheck_in_s == pytest.approx(10.0)
    assert evaluate([r], visit(), NOW + timedelta(seconds=10), OPEN).fired == r
    other = rule(conditions=[{"field": "url", "value": "/nothing"}, {"field": "time_on_page", "value": 50}])
    assert evaluate([other], visit(), NOW, OPEN).recheck_in_s is None  # can never fire on this page


@pytest.mark.parametrize(
    ("gates", "capacity", "reason"),
    [
        ({"accepting": True}, Capacity(accepting=False, free_slots=3), GATE_CLOSED),
        ({"accepting": False, "free_slot": True}, Capacity(accepting=False, free_slots=0), GATE_NO_SLOT),
        ({"free_slot": True}, Capacity(free_slots=0, wait_estimate_s=10), GATE_NO_SLOT),
        ({"max_wait_s": 60}, Capacity(free_slots=5, wait_estimate_s=61), GATE_WAIT),
        ({"max_wait_s": 60}, Capacity(free_slots=5, wait_estimate_s=None), GATE_WAIT),
        ({"free_slot": True, "max_wait_s": 60}, Capacity(free_slots=0, wait_estimate_s=90), GATE_WAIT),
    ],
)
def test_each_gate_can_block(gates: dict[str, Any], capacity: Capacity, reason: str) -> None:
    r = rule(gates=gates)
    decision = evaluate([r], visit(), NOW, capacity)
    assert decision.fired is None
    assert decision.blocked == r and decision.reason == reason


def test_open_gates() -> None:
    either = rule(gates={"free_slot": True, "max_wait_s": 60})
    assert evaluate([either], visit(), NOW, Capacity(free_slots=0, wait_estimate_s=30)).fired == either
    assert evaluate([either], visit(), NOW, Capacity(free_slots=1, wait_estimate_s=900)).fired == either
    closed_ok = rule(gates={"accepting": False})
    assert evaluate([closed_ok], visit(), NOW, Capacity(accepting=False)).fired == closed_ok


@pytest.mark.parametrize(
    ("caps", "history", "reason"),
    [
        ({}, History(in_chat=True), CAP_IN_CHAT),
        ({"quiet_after_chat_min": 0}, History(in_chat=True), CAP_IN_CHAT),
        ({"once_per_visit": True}, History(invited_this_visit=True), CAP_VISIT),
        ({"min_days_between": 2}, History(last_invited_at=NOW - timedelta(days=1)), CAP_DAYS),
        ({"quiet_after_chat_min": 30}, History(last_chat_ended_at=NOW - timedelta(minutes=29)), CAP_AFTER_CHAT),
    ],
)
def test_each_cap_can_stop_a_rule(caps: dict[str, Any], history: History, reason: str) -> None:
    r = rule(caps=caps)
    decision = evaluate([r], visit(), NOW, OPEN, history=history)
    assert decision.fired is None and decision.blocked is None
    assert decision.skipped == {r.id: reason}


def test_caps_that_have_passed() -> None:
    r = rule(caps={"once_per_visit": False, "min_days_between": 2, "quiet_after_chat_min": 30})
    history = History(
        invited_this_visit=True,
        last_invited_at=NOW - timedelta(days=2, seconds=1),
        last_chat_ended_at=NOW - timedelta(minutes=31),
    )
    assert evaluate([r], visit(), NOW, OPEN, history=history).fired == r


def test_the_first_rule_by_position_fires_and_disabled_ones_never() -> None:
    first = rule(1, position=2)
    second = rule(2, position=1, enabled=False)
    third = rule(3, position=3)
    assert evaluate([third, first, second], visit(), NOW, OPEN).fired == first


def test_a_gated_rule_lets_a_later_one_fire_and_is_reported_when_none_does() -> None:
    gated = rule(1, position=0, gates={"free_slot": True})
    later = rule(2, position=1)
    full = Capacity(free_slots=0)
    assert evaluate([gated, later], visit(), NOW, full).fired == later
    decision = evaluate([gated], visit(), NOW, full)
    assert (decision.blocked, decision.reason) == (gated, GATE_NO_SLOT)
