"""Canned responses: their shortcuts, variables and rendering. Pure functions: no I/O.

A body is plain text with variables written `{{visitor.name}}`. Rendering is one regex
substitution over a fixed list of variables: user text is never compiled as a template, values
are inserted once (a visitor called "{{agent.name}}" is not expanded), and no `{{` or `}}`
ever reaches the visitor, whatever the body or the values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.text import clean_text, strip_controls


class Scope(StrEnum):
    GLOBAL = "global"  # every agent, every chat
    DEPARTMENT = "department"  # chats of one department
    PERSONAL = "personal"  # its owner only


# The documented variables and what they hold at send time (docs/architecture/canned.md).
VARIABLES: dict[str, str] = {
    "visitor.name": "the visitor's name, if they gave one",
    "visitor.email": "the visitor's e-mail address, if they gave one",
    "agent.name": "the name of the agent who sends the response",
    "department.name": "the name of the chat's department",
}

# Always known when a response is sent, so a fallback for them would never be used.
ALWAYS_SET = frozenset({"agent.name", "department.name"})

SHORTCUT = re.compile(r"[a-z0-9_-]{1,40}")
# `{{ name }}`: anything between double braces is a variable reference, known or not.
VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PUNCTUATION = frozenset(",.;:!?)")

TITLE_MAX = 100
BODY_MAX = 4000
FALLBACK_MAX = 100


def _text(value: object, field: str, *, max_len: int, one_line: bool) -> str:
    value = clean_text(value, field, multiline=True).strip()  # NUL: a 400; other controls removed
    if one_line and any(ch in value for ch in "\r\n"):
        raise ChatRuleError("bad_request", f"{field}: must be a single line", field=field)
    if one_line:
        value = strip_controls(value)  # and the bidi controls
    if not value:
        raise ChatRuleError("bad_request", f"{field}: must not be empty", field=field)
    if len(value) > max_len:
        raise ChatRuleError("bad_request", f"{field}: must be at most {max_len} characters", field=field)
    return value


def check_shortcut(value: object) -> str:
    """`refund` or `#refund` -> `refund`: lowercase letters, digits, `_` and `-`."""
    if not isinstance(value, str):
        raise ChatRuleError("bad_request", "shortcut: must be a string", field="shortcut")
    value = value.strip().removeprefix("#")
    if not SHORTCUT.fullmatch(value):
        raise ChatRuleError(
            "bad_request",
            "shortcut: use 1 to 40 lowercase letters, digits, _ and - (e.g. #refund)",
            field="shortcut",
        )
    return value


def check_title(value: object) -> str:
    return _text(value, "title", max_len=TITLE_MAX, one_line=True)


def check_body(value: object) -> str:
    """The body as stored; refuses unknown variables (naming the first) and stray braces."""
    body = _text(value, "body", max_len=BODY_MAX, one_line=False)
    for match in VARIABLE.finditer(body):
        name = match.group(1)
        if name not in VARIABLES:
            raise ChatRuleError("bad_request", f"body: unknown variable {{{{{name}}}}}", field="body")
    rest = VARIABLE.sub("\x00", body)  # "{{{x}}}" must not pass as "{" + variable + "}"
    if "{{" in rest or "}}" in rest or "{\x00" in rest or "\x00}" in rest:
        raise ChatRuleError(
            "bad_request", "body: {{ and }} may only surround a variable, like {{visitor.name}}", field="body"
        )
    return body


def check_fallbacks(value: object) -> dict[str, str]:
    """{variable: text used when it has no value}; empty texts are dropped."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ChatRuleError("bad_request", "fallbacks: must be an object of variable -> text", field="fallbacks")
    out: dict[str, str] = {}
    for name, text in value.items():
        field = f"fallbacks.{name}"
        if name not in VARIABLES:
            raise ChatRuleError("bad_request", f"{field}: unknown variable {{{{{name}}}}}", field=field)
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        text = _text(text, field, max_len=FALLBACK_MAX, one_line=True)
        if "{{" in text or "}}" in text:
            raise ChatRuleError("bad_request", f"{field}: must not contain {{{{ or }}}}", field=field)
        out[name] = text
    return out


def variables_in(body: str) -> list[str]:
    """The known variables a body uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in VARIABLE.finditer(body):
        if match.group(1) in VARIABLES:
            seen.setdefault(match.group(1), None)
    return list(seen)


def _no_braces(text: str) -> str:
    # Values are inserted as they are, so braces around them could meet: "{" + "{x" -> "{{x".
    while "{{" in text or "}}" in text:
        text = text.replace("{{", "{").replace("}}", "}")
    return text


def render(body: str, values: Mapping[str, str | None], fallbacks: Mapping[str, str] | None = None) -> str:
    """The body with each variable replaced by its value, else its fallback, else nothing.

    A variable that renders empty also takes the space before it when punctuation, a space or
    the end of a line follows ("Hi {{visitor.name}}, …" -> "Hi, …"). Unknown variables (a body saved
    before a variable was retired) render empty too. The result never contains `{{` or `}}`."""
    fallbacks = fallbacks or {}

    def value_of(name: str) -> str:
        value = values.get(name) if name in VARIABLES else None
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())  # one line, as a name is shown
        fallback = fallbacks.get(name) if name in VARIABLES else None
        return fallback.strip() if isinstance(fallback, str) else ""

    out: list[str] = []
    last = 0
    for match in VARIABLE.finditer(body):
        out.append(body[last : match.start()])
        value = value_of(match.group(1))
        if not value:
            after = body[match.end() : match.end() + 1]
            if (not after or after in PUNCTUATION or after.isspace()) and out[-1].endswith(" "):
                out[-1] = out[-1].rstrip(" ")
        out.append(value)
        last = match.end()
    out.append(body[last:])
    return _no_braces("".join(out)).strip()


def matches(query: str, shortcut: str, title: str) -> bool:
    """The picker's filter: every word of the query in the shortcut or the title."""
    hay = f"{shortcut} {title}".lower()
    return all(word in hay for word in query.lower().removeprefix("#").split())


SCRIPTED_MESSAGE = "This department answers from approved responses only: pick one with #."


def check_free_text_allowed(*, scripted: bool, exempt: bool, level: int | None) -> None:
    """Scripted mode: in a scripted department a first-level agent (level 1, or not a member at
    all) sends only canned responses. `exempt`: supervisors and admins, never restricted."""
    if scripted and not exempt and (level or 1) < 2:
        raise ChatRuleError("scripted", SCRIPTED_MESSAGE)
