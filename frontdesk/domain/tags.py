"""Tags on chats: a managed list (name + colour) agents pick from. Pure validation."""

from __future__ import annotations

import re
from typing import Any

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.text import clean_line

NAME_MAX_CHARS = 40
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#64748b"
FIELDS = ("name", "colour")


def check_tag_name(value: object) -> str:
    name = clean_line(value, "name")  # one line, single spaces: "VIP " and "VIP" are one tag
    if not name:
        raise ChatRuleError("bad_request", "name: must not be empty", field="name")
    if len(name) > NAME_MAX_CHARS:
        raise ChatRuleError("bad_request", f"name: must be at most {NAME_MAX_CHARS} characters", field="name")
    return name


def check_colour(value: object) -> str:
    if not isinstance(value, str) or not COLOUR.fullmatch(value):
        raise ChatRuleError("bad_request", "colour: must be a hex colour like #2563eb", field="colour")
    return value.lower()


def check_tag(data: object, *, partial: bool = False) -> dict[str, Any]:
    """Validated column values of a tag; every error names its field."""
    if not isinstance(data, dict):
        raise ChatRuleError("bad_request", "body: must be a JSON object", field="body")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ChatRuleError("bad_request", f"{unknown[0]}: unknown field", field=unknown[0])
    if not partial and "name" not in data:
        raise ChatRuleError("bad_request", "name: is required", field="name")
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = check_tag_name(data["name"])
    if "colour" in data:
        out["colour"] = check_colour(data["colour"])
    elif not partial:
        out["colour"] = DEFAULT_COLOUR
    return out
