"""Canned responses, pure rules: shortcuts, variables refused when unknown, rendering that never
lets braces through, and scripted mode's who-may-type-freely rule."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from frontdesk.domain.canned import (
    SCRIPTED_MESSAGE,
    VARIABLES,
    check_body,
    check_fallbacks,
    check_free_text_allowed,
    check_shortcut,
    render,
    variables_in,
)
from frontdesk.domain.chat_rules import ChatRuleError

NAMES = sorted(VARIABLES)


def refused(fn, *args, **kwargs) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        fn(*args, **kwargs)
    return info.value


# ---- saving -------------------------------------------------------------------------------


def test_unknown_variable_is_refused_by_name():
    error = refused(check_body, "Hello {{visitor.name}}, you are {{visitor.age}} years old")
    assert error.message == "body: unknown variable {{visitor.age}}"
    assert error.field == "body"
    assert refused(check_body, "{{ Visitor.Name }}").message == "body: unknown variable {{Visitor.Name}}"
    assert refused(check_body, "{{}}").message == "body: unknown variable {{}}"


def test_stray_braces_are_refused():
    for body in ("Use {{ to open", "close }} here", "{{visitor.name}", "{{{visitor.name}}}", "a {{ b {{agent.name}}"):
        error = refused(check_body, body)
        assert error.field == "body", body


def test_known_variables_with_spaces_are_accepted():
    body = check_body("  Hi {{ visitor.name }}, this is {{agent.name}} of {{department.name}}.  ")
    assert body.startswith("Hi {{ visitor.name }}")
    assert variables_in(body) == ["visitor.name", "agent.name", "department.name"]


def test_body_limits():
    assert refused(check_body, "   ").field == "body"
    assert refused(check_body, 12).message == "body: must be a string"
    assert refused(check_body, "x" * 4001).field == "body"
    assert refused(check_body, "a\x00b").field == "body"


def test_shortcuts():
    assert check_shortcut("#refund") == "refund"
    assert check_shortcut(" late_delivery-2 ") == "late_delivery-2"
    for bad in ("", "#", "Refund", "re fund", "#réfund", "x" * 41, 5, None, "##refund"):
        assert refused(check_shortcut, bad).field == "shortcut", bad


def test_fallbacks_name_the_variable():
    assert check_fallbacks({"visitor.name": " there ", "visitor.email": ""}) == {"visitor.name": "there"}
    assert check_fallbacks(None) == {}
    error = refused(check_fallbacks, {"visitor.age": "30"})
    assert error.field == "fallbacks.visitor.age"
    assert "unknown variable {{visitor.age}}" in error.message
    assert refused(check_fallbacks, {"visitor.name": "{{agent.name}}"}).field == "fallbacks.visitor.name"
    assert refused(check_fallbacks, {"visitor.name": "two\nlines"}).field == "fallbacks.visitor.name"
    assert refused(check_fallbacks, ["visitor.name"]).field == "fallbacks"


# ---- rendering ----------------------------------------------------------------------------

VALUES = {"visitor.name": "Maria", "visitor.email": "m@example.com", "agent.name": "Ann", "department.name": "Sales"}


def test_render_fills_every_variable():
    body = "Hi {{visitor.name}} ({{ visitor.email }}), {{agent.name}} from {{department.name}} here."
    assert render(body, VALUES) == "Hi Maria (m@example.com), Ann from Sales here."


def test_missing_value_uses_the_fallback_then_nothing():
    body = "Hi {{visitor.name}}, how can I help?"
    assert render(body, {"visitor.name": None}, {"visitor.name": "there"}) == "Hi there, how can I help?"
    assert render(body, {"visitor.name": "   "}, {"visitor.name": "there"}) == "Hi there, how can I help?"
    assert render(body, {}, {}) == "Hi, how can I help?"
    assert render("Dear {{visitor.name}} thanks", {}) == "Dear thanks"
    assert render("Thanks {{visitor.name}}", {}) == "Thanks"


def test_values_are_inserted_once_never_expanded():
    # a visitor who calls themselves "{{agent.name}}" gets that text, without the braces
    out = render("Hi {{visitor.name}}!", {"visitor.name": "{{agent.name}}", "agent.name": "Ann"})
    assert out == "Hi {agent.name}!"
    assert "Ann" not in out


def test_unknown_variable_in_an_old_body_renders_empty():
    assert render("Hi {{visitor.age}}!", VALUES) == "Hi!"


def test_values_are_one_line():
    assert render("Hi {{visitor.name}}.", {"visitor.name": "Ma\nria  X"}) == "Hi Ma ria X."


# bodies made of braces, punctuation and variable references, known and unknown
pieces = list("{} .,!ab\n") + ["{{visitor.name}}", "{{ agent.name }}", "{{x}}", "{{", "}}"]
bodies = st.lists(st.sampled_from(pieces), max_size=30).map("".join)
values = st.dictionaries(st.sampled_from(NAMES + ["other"]), st.one_of(st.none(), st.text()))
fallbacks = st.dictionaries(st.sampled_from(NAMES), st.text())


@given(body=st.one_of(st.text(), bodies), values=values, fallbacks=fallbacks)
@example(body="{{{visitor.name}}}", values={"visitor.name": "{"}, fallbacks={})
@example(body="{", values={}, fallbacks={})
@example(body="{{visitor.name}}{", values={"visitor.name": "{"}, fallbacks={})
@example(body="}{{agent.name}}", values={"agent.name": "}"}, fallbacks={})
def test_rendering_never_lets_double_braces_through(body, values, fallbacks):
    out = render(body, values, fallbacks)
    assert "{{" not in out
    assert "}}" not in out


@given(
    name=st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",))).filter(
        lambda s: s.strip()
    )
)
def test_a_saved_body_shows_the_value(name):
    body = check_body("Hello {{visitor.name}}, welcome.")
    out = render(body, {"visitor.name": name})
    assert " ".join(name.split()) in out
    assert "{" not in out


# ---- scripted mode ------------------------------------------------------------------------


def test_scripted_mode_refuses_level_one_free_text_only():
    error = refused(check_free_text_allowed, scripted=True, exempt=False, level=1)
    assert error.code == "scripted" and error.message == SCRIPTED_MESSAGE
    refused(check_free_text_allowed, scripted=True, exempt=False, level=None)  # not a member: first level
    check_free_text_allowed(scripted=True, exempt=False, level=2)
    check_free_text_allowed(scripted=True, exempt=False, level=3)
    check_free_text_allowed(scripted=True, exempt=True, level=1)  # supervisors and admins
    check_free_text_allowed(scripted=False, exempt=False, level=1)
