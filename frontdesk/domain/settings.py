"""What every settings change shares before its own fields are checked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from frontdesk.domain.chat_rules import ChatRuleError


def settings_object(data: object, known: Iterable[str], *, at: str | None = None) -> dict[str, Any]:
    """A settings change: an object whose keys are all settings we know, else a 400 naming the
    object (`body`, or `at` for a nested one such as `rating`) or its first unknown key
    (`mode`, `rating.colour`)."""
    where = at or "body"
    if not isinstance(data, dict):
        raise ChatRuleError("bad_request", f"{where}: must be an object", field=where)
    unknown = set(data) - set(known)
    if unknown:
        name = f"{at}.{sorted(unknown)[0]}" if at else sorted(unknown)[0]
        raise ChatRuleError("bad_request", f"{name}: unknown setting", field=name)
    return data
