"""Scorecards and reviews: validating criteria and scores, and the weighted score. No I/O."""

from __future__ import annotations

import math
from typing import Any

from frontdesk.domain.chat_rules import ChatRuleError, bad_field
from frontdesk.domain.ids import is_id
from frontdesk.domain.text import clean_line, clean_text, strip_controls

SCORE_MIN, SCORE_MAX = 0, 5
MAX_CRITERIA = 20
MAX_WEIGHT = 100.0
MAX_COMMENT = 4000
MAX_ANNOTATION = 2000


def _bad(message: str, field: str) -> ChatRuleError:
    return bad_field(field, message)


def check_criteria(items: object) -> list[dict[str, Any]]:
    """A department's scorecard: 1–20 criteria with unique names and positive weights."""
    if not isinstance(items, list) or not items:
        raise _bad("must be a list of 1 to 20 criteria", "criteria")
    if len(items) > MAX_CRITERIA:
        raise _bad(f"at most {MAX_CRITERIA} criteria", "criteria")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"criteria[{i}]"
        if not isinstance(item, dict):
            raise _bad("must be an object with name and weight", where)
        name = clean_line(item.get("name"), f"{where}.name")  # NUL: a 400; controls and bidi removed
        if not name or len(name) > 60:
            raise _bad("must be 1 to 60 characters", f"{where}.name")
        if name.casefold() in seen:
            raise _bad(f"{name!r} appears twice", f"{where}.name")
        seen.add(name.casefold())
        description = item.get("description", "")
        if description is None:
            description = ""
        description = clean_text(description, f"{where}.description", multiline=True)
        if len(description) > 300:
            raise _bad("must be at most 300 characters", f"{where}.description")
        weight = item.get("weight", 1)
        if (
            not isinstance(weight, int | float)
            or isinstance(weight, bool)
            or not math.isfinite(weight)
            or not 0 < weight <= MAX_WEIGHT
        ):
            raise _bad(f"must be a number above 0 and at most {MAX_WEIGHT:g}", f"{where}.weight")
        criterion_id = item.get("id")
        if criterion_id is not None and not is_id(criterion_id, field="criterion_id"):
            raise _bad("must be the id of an existing criterion, or left out for a new one", f"{where}.id")
        out.append({"id": criterion_id, "name": name, "description": description.strip(), "weight": float(weight)})
    return out


def check_scores(criteria: list[Any], scores: object) -> list[dict[str, Any]]:
    """Every criterion of the scorecard scored once, a whole number from 0 to 5. Returns the
    review's own copy: criterion id, name, weight (as they are now) and score."""
    if not criteria:
        raise ChatRuleError("conflict", "This department has no scorecard yet; set its criteria first.")
    if not isinstance(scores, list):
        raise _bad("must be a list of {criterion_id, score}", "scores")
    given: dict[int, int] = {}
    for i, item in enumerate(scores):
        where = f"scores[{i}]"
        if not isinstance(item, dict):
            raise _bad("must be an object with criterion_id and score", where)
        cid, score = item.get("criterion_id"), item.get("score")
        if not is_id(cid, field="criterion_id"):
            raise _bad("must be a criterion's id", f"{where}.criterion_id")
        if cid in given:
            raise _bad("scored twice", f"{where}.criterion_id")
        if not isinstance(score, int) or isinstance(score, bool) or not SCORE_MIN <= score <= SCORE_MAX:
            raise _bad(f"must be a whole number from {SCORE_MIN} to {SCORE_MAX}", f"{where}.score")
        given[cid] = score
    known = {c.id for c in criteria}
    unknown = sorted(set(given) - known)
    if unknown:
        raise _bad(f"criterion {unknown[0]} is not on this department's scorecard", "scores")
    missing = [c.name for c in criteria if c.id not in given]
    if missing:
        raise _bad(f"score every criterion (missing: {', '.join(missing)})", "scores")
    return [{"criterion_id": c.id, "name": c.name, "weight": c.weight, "score": given[c.id]} for c in criteria]


def weighted_score(snapshot: list[dict[str, Any]]) -> float:
    """The weighted mean of the scores, on the same 0–5 scale, to two decimals."""
    total = sum(float(s["weight"]) for s in snapshot)
    if total <= 0:
        return 0.0
    return round(sum(float(s["weight"]) * float(s["score"]) for s in snapshot) / total, 2)


def check_comment(text: object, *, field: str = "comment", max_chars: int = MAX_COMMENT, required: bool = False) -> str:
    if text is None and not required:
        return ""
    if not isinstance(text, str) or "\x00" in text:
        raise _bad("must be text without NUL characters", field)
    text = strip_controls(text, multiline=True)
    if len(text) > max_chars or (required and not text.strip()):
        size = f"1 to {max_chars}" if required else f"at most {max_chars}"
        raise _bad(f"must be {size} characters", field)
    return text.strip()
