"""Escalation tiers: why a chat goes up a level, and to which level. Pure rules.

Agents have a level per department (`department_members.level`, 1 = first line). An agent
escalates a chat they hold to the next level with a reason from a short fixed list (so reports
can count escalations by reason) and, optionally, a line of detail for the next agent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from frontdesk.domain.chat_rules import ChatRuleError

# code -> what the console shows. Codes are stored (routing_log.data.reason) and counted in
# reports; add new ones at the end, never rename one that has been used.
REASONS: dict[str, str] = {
    "technical": "Needs technical expertise",
    "billing": "Billing, refund or account decision",
    "complaint": "Complaint or unhappy customer",
    "not_in_script": "Not covered by the scripted answers",
    "sales": "Sales opportunity",
    "other": "Other",
}
DETAIL_MAX_CHARS = 200
SPECIALIST_NOTICE = "We're connecting you with a specialist"


@dataclass(frozen=True, slots=True)
class EscalationReason:
    code: str
    label: str
    detail: str  # "" when none was given

    def note(self, to_level: int) -> str:
        """The internal note the next agent reads (never shown to the visitor)."""
        text = f"Escalated to level {to_level}: {self.label}"
        return f"{text} — {self.detail}" if self.detail else text


def check_reason(reason: object, detail: object = None) -> EscalationReason:
    """A known reason code and at most a line of detail; `other` needs the detail."""
    if not isinstance(reason, str) or reason not in REASONS:
        raise ChatRuleError("bad_request", f"reason: must be one of {', '.join(REASONS)}", field="reason")
    if detail is None:
        text = ""
    elif not isinstance(detail, str):
        raise ChatRuleError("bad_request", "detail: must be a string", field="detail")
    else:
        text = " ".join(detail.split())  # one line: the note and the log keep it tidy
        if "\x00" in text:
            raise ChatRuleError("bad_request", "detail: must not contain NUL characters", field="detail")
        if len(text) > DETAIL_MAX_CHARS:
            raise ChatRuleError(
                "bad_request",
                f"detail: must be at most {DETAIL_MAX_CHARS} characters (got {len(text)})",
                field="detail",
            )
    if reason == "other" and not text:
        raise ChatRuleError("bad_request", "detail: say why when the reason is other", field="detail")
    return EscalationReason(reason, REASONS[reason], text)


def next_level(*, required_level: int, agent_level: int | None, member_levels: Iterable[int]) -> int:
    """The level an escalated chat needs: one above both the chat's current requirement and
    the escalating agent's own level in the department. Refused when nobody in the department
    works at that level or above (the agent is at the top already)."""
    current = max(required_level, agent_level or 1)
    top = max(member_levels, default=1)
    if current >= top:
        raise ChatRuleError(
            "conflict",
            f"Nobody in this department works above level {current}: there is no higher level to escalate to.",
        )
    return current + 1
