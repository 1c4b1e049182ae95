"""Who may do what: one table for HTTP and WebSocket alike (docs/permissions.md).

Roles: admin > supervisor > agent. Visitors are not users; they reach only their own chat,
which the visitor actions enforce by always filtering on the token's visitor id.
"""

from __future__ import annotations

from frontdesk.domain.chat_rules import ChatRuleError

ROLES = ("admin", "supervisor", "agent")

_ALL = frozenset(ROLES)
_LEADS = frozenset({"admin", "supervisor"})

RULES: dict[str, frozenset[str]] = {
    "chat.list": _ALL,
    "chat.read": _ALL,  # transcripts, including closed chats
    "chat.accept": _ALL,
    "chat.reply": _ALL,  # and only in chats assigned to you (checked by the action)
    "chat.close": _ALL,  # your own chats; leads may close any
    "chat.close_any": _LEADS,
    "chat.accept_any_department": _LEADS,
    "chat.transfer": _ALL,  # your own chats
    "chat.transfer_any": _LEADS,
    "chat.note": _ALL,
    "department.read": _ALL,
    "department.manage": frozenset({"admin"}),
    "department.members": _LEADS,
    "user.list": _ALL,
    "user.update": _LEADS,  # e.g. an agent's maximum of concurrent chats
    "user.manage": frozenset({"admin"}),
    "settings.manage": frozenset({"admin"}),
    "ticket.read": _ALL,
    "ticket.update": _ALL,
}


def allowed(role: str, action: str) -> bool:
    try:
        return role in RULES[action]
    except KeyError:
        raise LookupError(f"no permission rule for {action!r}") from None


def require(role: str, action: str) -> None:
    if not allowed(role, action):
        raise ChatRuleError("forbidden", f"Your role ({role}) may not do {action}.")
