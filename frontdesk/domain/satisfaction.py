"""Satisfaction ratings: what a visitor may send about a chat, and when. Pure rules, no I/O.

Ratings are stored on a 1–5 scale whatever the widget shows: thumbs up is 5, thumbs down is 1.
Reports count 4 and 5 as good, 1 and 2 as bad (3 is neither)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from frontdesk.domain.chat_rules import ChatRuleError, ChatStatus
from frontdesk.domain.dates import parse_bound
from frontdesk.domain.settings import settings_object

MAX_COMMENT_CHARS = 1000
GOOD, BAD = 5, 1
WORDS = {"good": GOOD, "bad": BAD}
GOOD_FROM = 4  # a rating of 4 or 5 is good
# A rating can be changed for a while (a slip of the finger), then it stands.
CHANGE_WINDOW = timedelta(minutes=10)
# After this long a closed chat can no longer be rated: the visitor has moved on.
RATE_WINDOW = timedelta(days=7)
SCALES = ("thumbs", "stars")
DEFAULT_RATING_SETTINGS: dict[str, Any] = {"enabled": True, "scale": "thumbs", "transcript": True}


def check_score(value: object) -> int:
    """1–5, or "good"/"bad" for the thumbs."""
    if isinstance(value, str) and value in WORDS:
        return WORDS[value]
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise ChatRuleError(
            "bad_request", 'rating: must be a whole number from 1 to 5, "good" or "bad"', field="rating"
        )
    return value


def check_comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ChatRuleError("bad_request", "comment: must be text", field="comment")
    if "\x00" in value:
        raise ChatRuleError("bad_request", "comment: must not contain NUL characters", field="comment")
    value = value.strip()
    if len(value) > MAX_COMMENT_CHARS:
        raise ChatRuleError("bad_request", f"comment: must be at most {MAX_COMMENT_CHARS} characters", field="comment")
    return value or None


def can_rate(
    *, status: str, missed: bool, closed_at: datetime | None, rated_at: datetime | None, now: datetime
) -> None:
    """A chat is rated once it has ended (not a missed one), once, changeable for CHANGE_WINDOW."""
    if status != ChatStatus.CLOSED or closed_at is None:
        raise ChatRuleError("conflict", "A chat can be rated once it has ended.")
    if missed:
        raise ChatRuleError("conflict", "Nobody answered this chat, so there is nothing to rate.")
    if rated_at is not None:
        if now - rated_at > CHANGE_WINDOW:
            raise ChatRuleError("conflict", "You have already rated this chat.")
    elif now - closed_at > RATE_WINDOW:
        raise ChatRuleError("conflict", "This chat ended too long ago to be rated.")


def is_good(score: int) -> bool:
    return score >= GOOD_FROM


def check_rating_settings(value: object) -> dict[str, Any]:
    """The widget's `rating` settings: whether to ask, on which scale, and the transcript offer."""
    value = settings_object(value, ("enabled", "scale", "transcript"), at="rating")
    out = dict(DEFAULT_RATING_SETTINGS)
    for key in ("enabled", "transcript"):
        if key in value:
            if not isinstance(value[key], bool):
                raise ChatRuleError("bad_request", f"rating.{key}: must be true or false", field=f"rating.{key}")
            out[key] = value[key]
    if "scale" in value:
        if value["scale"] not in SCALES:
            raise ChatRuleError("bad_request", "rating.scale: must be thumbs or stars", field="rating.scale")
        out["scale"] = value["scale"]
    return out


def check_range(
    since: str | None, until: str | None, now: datetime, *, default_days: int = 30
) -> tuple[datetime, datetime]:
    """A report's [from, to): dates are whole days, `to` included; by default the last 30 days.
    Dates are parsed strictly (domain/dates.py)."""
    end = parse_bound(until, "to", end=True) if until else now
    if since:
        start = parse_bound(since, "from")
    elif end - datetime.min.replace(tzinfo=UTC) < timedelta(days=default_days):
        raise ChatRuleError("bad_request", "to: too early", field="to")
    else:
        start = end - timedelta(days=default_days)
    if start >= end:
        raise ChatRuleError("bad_request", "to: must be after from", field="to")
    return start, end
