"""Retention: how long transcripts and visitor data are kept, and what "anonymised" leaves.
Pure rules, no I/O; the job is actions/retention.py (docs/architecture/privacy.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.settings import settings_object

MODES = ("delete", "anonymise")
MAX_DAYS = 3650
DEFAULT: dict[str, Any] = {"retention_days": 0, "mode": "anonymise"}
# What an anonymised message's text becomes: the row stays (seq, times, author type) for reports.
REMOVED = "[removed]"


def check_privacy_settings(data: object) -> dict[str, Any]:
    """Validated changes; errors name the field."""
    data = settings_object(data, DEFAULT)
    out: dict[str, Any] = {}
    if "retention_days" in data:
        days = data["retention_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
            raise ChatRuleError(
                "bad_request",
                f"retention_days: must be a whole number from 0 (keep forever) to {MAX_DAYS}",
                field="retention_days",
            )
        out["retention_days"] = days
    if "mode" in data:
        if data["mode"] not in MODES:
            raise ChatRuleError("bad_request", "mode: must be delete or anonymise", field="mode")
        out["mode"] = data["mode"]
    return out


def cutoff(retention_days: int, now: datetime) -> datetime | None:
    """Chats closed before this moment are due; None when everything is kept."""
    if retention_days <= 0:
        return None
    return now - timedelta(days=retention_days)
