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


# Every route of the app and the rule that guards it. `public`: anyone; `visitor`: the widget
# (a signed visitor token where a visitor is involved); `authenticated`: any logged-in user;
# otherwise an action of RULES above. tests/api/test_permissions.py fails when a route has no
# entry here, or when an entry's route is gone, and checks every rule with every role.
ROUTE_RULES: dict[tuple[str, str], str] = {
    ("GET", "/"): "public",
    ("GET", "/widget.js"): "public",
    ("GET", "/console"): "public",
    ("GET", "/console/"): "public",
    ("HEAD", "/console/"): "public",
    ("GET", "/console/static"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",  # or FRONTDESK_METRICS_TOKEN
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/docs"): "public",
    ("GET", "/docs/oauth2-redirect"): "public",
    ("POST", "/api/v1/auth/login"): "public",
    ("POST", "/api/v1/auth/logout"): "authenticated",
    ("GET", "/api/v1/auth/me"): "authenticated",
    ("PUT", "/api/v1/auth/me/status"): "authenticated",
    ("GET", "/api/v1/chats"): "chat.list",
    ("GET", "/api/v1/chats/{chat_id}"): "chat.read",
    ("GET", "/api/v1/chats/{chat_id}/messages"): "chat.read",
    ("GET", "/api/v1/chats/{chat_id}/transcript.txt"): "chat.read",
    ("POST", "/api/v1/chats/{chat_id}/messages"): "chat.reply",
    ("POST", "/api/v1/chats/{chat_id}/accept"): "chat.accept",
    ("POST", "/api/v1/chats/{chat_id}/decline"): "chat.accept",
    ("POST", "/api/v1/chats/{chat_id}/close"): "chat.close",
    ("POST", "/api/v1/chats/{chat_id}/transfer"): "chat.transfer",
    ("POST", "/api/v1/chats/{chat_id}/notes"): "chat.note",
    ("GET", "/api/v1/departments"): "department.read",
    ("POST", "/api/v1/departments"): "department.manage",
    ("PATCH", "/api/v1/departments/{department_id}"): "department.manage",
    ("DELETE", "/api/v1/departments/{department_id}"): "department.manage",
    ("PUT", "/api/v1/departments/{department_id}/members"): "department.members",
    ("GET", "/api/v1/settings/widget"): "department.read",
    ("PUT", "/api/v1/settings/widget"): "settings.manage",
    ("GET", "/api/v1/users"): "user.list",
    ("POST", "/api/v1/users"): "user.manage",
    ("PATCH", "/api/v1/users/{user_id}"): "user.update",
    ("GET", "/api/v1/tickets"): "ticket.read",
    ("POST", "/api/v1/tickets/{ticket_id}/done"): "ticket.update",
    ("POST", "/api/v1/widget/visitors"): "visitor",
    ("GET", "/api/v1/widget/config"): "visitor",
    ("POST", "/api/v1/widget/offline"): "visitor",
    ("WS", "/api/v1/widget/ws"): "visitor",
    ("WS", "/api/v1/agent/ws"): "authenticated",
}

# Frames on the agent socket and the action each one needs (the visitor socket reaches only the
# visitor's own chat, enforced by the visitor actions).
AGENT_FRAME_RULES: dict[str, str] = {
    "ping": "authenticated",
    "message.send": "chat.reply",
    "typing": "chat.reply",
    "sync": "chat.read",
    "chat.accept": "chat.accept",
    "chat.decline": "chat.accept",
    "chat.close": "chat.close",
    "status.set": "authenticated",
}
