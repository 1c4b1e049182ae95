"""Who may do what: one table for HTTP and WebSocket alike (docs/permissions.md).

Roles: admin > manager > supervisor > agent. An admin runs the system (users, settings,
departments); a manager leads every department (monitoring, reviews, members) but not the
system; a supervisor leads the departments they are a member of; an agent answers chats.
Visitors are not users; they reach only their own chat, which the visitor actions enforce by
always filtering on the token's visitor id.

A rule is the set of roles allowed. A role written `role@own-departments` (`own_departments()`)
is allowed only for chats and departments of the departments it is a member of: the action
checks that with `in_scope()` once it knows the department. A role written `role@greeter`
(`greeters()`) is allowed only to users of that role marked as greeters (`users.greeter`), in
their own departments too: `allowed()` says no for it, and the action that knows the user asks
`greeter_rule()` (actions/live.visitor_scope).
"""

from __future__ import annotations

from collections.abc import Container

from frontdesk.domain.chat_rules import ChatRuleError

ROLES = ("admin", "manager", "supervisor", "agent")
SCOPED = "@own-departments"


def own_departments(*roles: str) -> frozenset[str]:
    """Roles allowed only within the departments they are members of."""
    return frozenset(role + SCOPED for role in roles)


GREETER = "@greeter"


def greeters(*roles: str) -> frozenset[str]:
    """Roles allowed only to users marked as greeters, within their own departments."""
    return frozenset(role + GREETER for role in roles)


SELF = "@self"


def own_figures(*roles: str) -> frozenset[str]:
    """Roles allowed only for their own figures (a report's `agent` forced to themselves)."""
    return frozenset(role + SELF for role in roles)


_ALL = frozenset(ROLES)
_LEADS = frozenset({"admin", "manager", "supervisor"})
_MANAGERS = frozenset({"admin", "manager"})
# Supervision (issue 5): managers and admins everywhere, supervisors in their departments.
_SUPERVISE = _MANAGERS | own_departments("supervisor")

RULES: dict[str, frozenset[str]] = {
    "chat.list": _ALL,
    # Reading a chat (frontdesk/domain/access.py): supervisors and agents their departments' chats
    # and the chats they handled; anything else is 404. Lists are filtered the same way.
    "chat.read": _MANAGERS | own_departments("supervisor", "agent"),
    "chat.accept": _ALL,
    "chat.reply": _ALL,  # and only in chats assigned to you (checked by the action)
    "chat.close": _ALL,  # your own chats; leads may close any
    "chat.close_any": _LEADS,
    "chat.accept_any_department": _LEADS,
    "chat.transfer": _ALL,  # your own chats
    "chat.transfer_any": _LEADS,
    "chat.note": _ALL,  # in your own chats and chats you handled (checked by the action)
    "chat.note_any": _SUPERVISE,  # in any chat of the departments you lead
    "department.read": _ALL,
    "department.manage": frozenset({"admin"}),
    "department.members": _MANAGERS | own_departments("supervisor"),  # supervisors: agents' memberships only
    "user.list": _ALL,
    "user.update": _LEADS,  # e.g. an agent's maximum of concurrent chats
    "user.manage": frozenset({"admin"}),  # create, deactivate, reactivate users; set their passwords
    "user.rename": frozenset({"admin"}),  # another user's name (the one visitors see); yours: /api/v1/profile
    "token.manage_own": _ALL,  # list, create and revoke your own API tokens
    "token.manage": frozenset({"admin"}),  # everyone's API tokens
    "settings.manage": frozenset({"admin"}),
    "ticket.read": _ALL,
    "ticket.update": _ALL,
    # satisfaction, retention and audit (issue 5)
    "report.satisfaction": _MANAGERS | own_departments("supervisor"),  # ratings per agent, department
    "privacy.manage": frozenset({"admin"}),  # the retention period and mode
    "visitor.delete": frozenset({"admin"}),  # one visitor's data, on their request
    "tracking.manage": frozenset({"admin"}),  # the tracking mode and IP truncation (issue 13)
    "audit.read": _MANAGERS,  # the audit log
    "mail.read": frozenset({"admin"}),  # e-mail the server gave up on, with the reason
    "mail.manage": frozenset({"admin"}),  # queue a failed e-mail again, or discard it
    # canned responses and scripted mode (issue 4)
    "canned.use": _ALL,  # list and send them; create, change and delete your personal ones
    "canned.manage": _LEADS,  # the shared ones: global and per department
    "chat.reply_unscripted": _LEADS,  # free text in a scripted department, whatever the level
    # supervision and quality (issue 5)
    "chat.monitor": _SUPERVISE,  # the Monitor page; watch any ongoing chat read-only, live
    "chat.whisper": _SUPERVISE,  # a message only the chat's agents see
    "chat.join": _SUPERVISE,  # become a visible participant (and leave again)
    "chat.take_over": _SUPERVISE,  # become the chat's agent, past the maximum of chats
    "chat.annotate": _SUPERVISE,  # comment on a message of a transcript
    "review.write": _SUPERVISE,  # score a chat on its department's scorecard
    "review.read": _SUPERVISE,  # every review and annotation (of the departments in scope)
    "review.mine": _ALL,  # reviews and annotations of the chats you handled
    "scorecard.manage": _SUPERVISE,  # a department's scorecard criteria
    "report.quality": _SUPERVISE,  # average review scores per agent and department
    # escalation tiers, tags (issue 4)
    "chat.escalate": _ALL,  # your own chats, to the next level of the department
    "report.escalations": _LEADS,  # escalations counted by reason
    "tag.read": _ALL,  # the managed list of tags
    "tag.manage": _LEADS,  # create, rename, recolour, delete tags
    "chat.tag": _ALL,  # add or remove tags on chats you can read
    # transcript archive (issue 5): scoped roles see their departments' chats and their own
    "archive.search": _MANAGERS | own_departments("supervisor", "agent"),  # search, read a transcript
    "archive.export": _MANAGERS | own_departments("supervisor"),  # chats of a date range as CSV / JSONL
    "archive.export_internal": _MANAGERS | own_departments("supervisor"),  # notes, whispers in exports
    # invitations (issue 13): a department's automatic rules, and the outcomes of invitations
    "invitation_rule.manage": _SUPERVISE,  # create, change, order, simulate the rules
    "invitation.report": _SUPERVISE,  # shown, accepted, dismissed, expired, blocked per rule/agent/department
    # live visitors (issue 13): agents marked as greeters too (users.greeter; actions/live.py)
    "visitor.view": _MANAGERS | own_departments("supervisor") | greeters("agent"),  # the live view, journeys
    "visitor.invite": _MANAGERS | own_departments("supervisor") | greeters("agent"),  # invite one to chat
    "user.greeter": _MANAGERS,  # mark an agent as a greeter (PATCH /api/v1/users/{id} `greeter`)
    # analytics (issue 14): supervisors their departments, agents only their own figures
    # (actions/reports.report_scope turns the request into the filter, or a 403 naming the field)
    "report.view": _MANAGERS | own_departments("supervisor") | own_figures("agent"),
    "goal.manage": _MANAGERS,  # a department's goals (PUT /api/v1/departments/{id}/goals)
    # staffing (issue 15): forecasts, required agents, coverage, offices, rotations, plans
    "staffing.view": _MANAGERS | own_departments("supervisor"),
    "staffing.manage": _MANAGERS,  # offices, holidays, shifts, rotations, applying plans
    # shifts (issue 15; actions/schedule.py): supervisors their departments' agents, agents their own
    "shift.view": _MANAGERS | own_departments("supervisor") | own_figures("agent"),
}


def allowed(role: str, action: str) -> bool:
    """Whether the role may do the action at all (perhaps only in its own departments)."""
    try:
        rule = RULES[action]
    except KeyError:
        raise LookupError(f"no permission rule for {action!r}") from None
    return role in rule or role + SCOPED in rule or role + SELF in rule


def own_figures_only(role: str, action: str) -> bool:
    """Whether the role may do the action only about itself (its own figures)."""
    return role + SELF in RULES[action] and role not in RULES[action]


def greeter_rule(role: str, action: str) -> bool:
    """Whether the role may do the action only when the user is marked as a greeter."""
    return not allowed(role, action) and role + GREETER in RULES[action]


def department_scoped(role: str, action: str) -> bool:
    """Whether the role may do the action only in the departments it is a member of."""
    return allowed(role, action) and role not in RULES[action]


def in_scope(role: str, action: str, department_id: int | None, my_departments: Container[int]) -> bool:
    """The department check of a scoped rule; `my_departments` holds the actor's departments."""
    if not allowed(role, action):
        return False
    if not department_scoped(role, action):
        return True
    return department_id is not None and department_id in my_departments


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
    ("GET", "/console/vendor/plotly.min.js"): "public",  # api/vendor.py: the charts' library
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",  # direct loopback requests only, or FRONTDESK_METRICS_TOKEN
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/docs"): "public",  # unless FRONTDESK_API_DOCS=false
    ("GET", "/api/v1/docs/{asset}"): "public",  # Swagger UI's files, served from here
    ("POST", "/api/v1/auth/login"): "public",
    ("POST", "/api/v1/auth/logout"): "authenticated",
    ("GET", "/api/v1/auth/me"): "authenticated",
    ("PUT", "/api/v1/auth/me/status"): "authenticated",
    ("GET", "/api/v1/chats"): "chat.list",
    ("GET", "/api/v1/chats/{chat_id}"): "chat.read",
    ("GET", "/api/v1/chats/{chat_id}/messages"): "chat.read",
    ("GET", "/api/v1/chats/{chat_id}/transcript.txt"): "archive.search",
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
    ("PATCH", "/api/v1/users/{user_id}"): "user.update",  # `name`: user.rename too
    ("POST", "/api/v1/users/{user_id}/deactivate"): "user.manage",
    ("POST", "/api/v1/users/{user_id}/reactivate"): "user.manage",
    ("PUT", "/api/v1/users/{user_id}/password"): "user.manage",
    ("GET", "/api/v1/tokens"): "token.manage_own",  # `user_id` of someone else: token.manage
    ("POST", "/api/v1/tokens"): "token.manage_own",
    ("DELETE", "/api/v1/tokens/{token_id}"): "token.manage_own",  # someone else's: token.manage
    ("GET", "/api/v1/tickets"): "ticket.read",
    ("POST", "/api/v1/tickets/{ticket_id}/done"): "ticket.update",
    ("GET", "/api/v1/canned"): "canned.use",
    ("POST", "/api/v1/canned"): "canned.use",  # shared scopes: canned.manage, checked by the action
    ("PATCH", "/api/v1/canned/{canned_id}"): "canned.use",
    ("DELETE", "/api/v1/canned/{canned_id}"): "canned.use",
    ("POST", "/api/v1/chats/{chat_id}/escalate"): "chat.escalate",
    ("GET", "/api/v1/escalations/reasons"): "chat.escalate",
    ("GET", "/api/v1/escalations/report"): "report.escalations",
    ("GET", "/api/v1/tags"): "tag.read",
    ("POST", "/api/v1/tags"): "tag.manage",
    ("PATCH", "/api/v1/tags/{tag_id}"): "tag.manage",
    ("DELETE", "/api/v1/tags/{tag_id}"): "tag.manage",
    ("PUT", "/api/v1/chats/{chat_id}/tags/{tag_id}"): "chat.tag",
    ("DELETE", "/api/v1/chats/{chat_id}/tags/{tag_id}"): "chat.tag",
    ("GET", "/api/v1/archive/search"): "archive.search",
    ("GET", "/api/v1/archive/chats/{chat_id}"): "archive.search",
    ("GET", "/api/v1/chats/{chat_id}/transcript.html"): "archive.search",
    ("GET", "/api/v1/chats/{chat_id}/transcript.json"): "archive.search",
    ("GET", "/api/v1/archive/export.csv"): "archive.export",
    ("GET", "/api/v1/archive/export.jsonl"): "archive.export",
    ("POST", "/api/v1/chats/{chat_id}/attachments"): "chat.reply",
    ("GET", "/api/v1/chats/{chat_id}/attachments/{file_id}"): "chat.read",
    ("GET", "/api/v1/profile"): "authenticated",
    ("PATCH", "/api/v1/profile"): "authenticated",  # your own: name and job title
    ("PUT", "/api/v1/profile/avatar"): "authenticated",
    ("DELETE", "/api/v1/profile/avatar"): "authenticated",
    ("GET", "/api/v1/avatars/{file_id}"): "public",  # random ids; the widget shows them on other sites
    ("POST", "/api/v1/widget/attachments"): "visitor",  # X-Visitor-Token: into the visitor's open chat
    ("GET", "/api/v1/widget/attachments/{file_id}"): "visitor",  # X-Visitor-Token: files of their chats
    ("POST", "/api/v1/widget/visitors"): "visitor",
    ("GET", "/api/v1/widget/config"): "visitor",
    ("POST", "/api/v1/widget/offline"): "visitor",
    ("WS", "/api/v1/widget/ws"): "visitor",  # chat.rate, transcript.email: the visitor's own ended chats
    ("GET", "/api/v1/reports/satisfaction"): "report.satisfaction",
    ("GET", "/api/v1/settings/privacy"): "privacy.manage",
    ("PUT", "/api/v1/settings/privacy"): "privacy.manage",
    ("GET", "/api/v1/settings/tracking"): "tracking.manage",
    ("PUT", "/api/v1/settings/tracking"): "tracking.manage",
    ("DELETE", "/api/v1/visitors/{visitor_id}"): "visitor.delete",
    ("GET", "/api/v1/audit"): "audit.read",
    ("GET", "/api/v1/mail/failed"): "mail.read",
    ("POST", "/api/v1/mail/{mail_id}/retry"): "mail.manage",
    ("DELETE", "/api/v1/mail/{mail_id}"): "mail.manage",
    ("WS", "/api/v1/agent/ws"): "authenticated",
    # supervision and quality (issue 5; api/supervision.py)
    ("GET", "/api/v1/monitor/chats"): "chat.monitor",
    ("GET", "/api/v1/chats/{chat_id}/participants"): "chat.read",
    ("POST", "/api/v1/chats/{chat_id}/whispers"): "chat.whisper",
    ("POST", "/api/v1/chats/{chat_id}/join"): "chat.join",
    ("POST", "/api/v1/chats/{chat_id}/leave"): "chat.join",
    ("POST", "/api/v1/chats/{chat_id}/take-over"): "chat.take_over",
    ("GET", "/api/v1/chats/{chat_id}/annotations"): "review.mine",  # your chats; leads: review.read
    ("POST", "/api/v1/chats/{chat_id}/annotations"): "chat.annotate",
    ("DELETE", "/api/v1/annotations/{annotation_id}"): "chat.annotate",
    ("GET", "/api/v1/departments/{department_id}/scorecard"): "review.mine",
    ("PUT", "/api/v1/departments/{department_id}/scorecard"): "scorecard.manage",
    ("GET", "/api/v1/chats/{chat_id}/reviews"): "review.mine",  # your chats; leads: review.read
    ("PUT", "/api/v1/chats/{chat_id}/review"): "review.write",
    ("GET", "/api/v1/reviews/mine"): "review.mine",
    ("GET", "/api/v1/reports/review-scores"): "report.quality",
    # invitations (issue 13; api/invitations.py)
    ("POST", "/api/v1/visitors/{visitor_id}/invitations"): "visitor.invite",  # 409 visitor_gone: they left
    ("GET", "/api/v1/invitation-rules"): "invitation_rule.manage",
    ("POST", "/api/v1/invitation-rules"): "invitation_rule.manage",
    ("POST", "/api/v1/invitation-rules/reorder"): "invitation_rule.manage",
    ("POST", "/api/v1/invitation-rules/simulate"): "invitation_rule.manage",
    ("GET", "/api/v1/invitation-rules/{rule_id}"): "invitation_rule.manage",
    ("PUT", "/api/v1/invitation-rules/{rule_id}"): "invitation_rule.manage",
    ("DELETE", "/api/v1/invitation-rules/{rule_id}"): "invitation_rule.manage",
    ("GET", "/api/v1/reports/invitations"): "invitation.report",
    # live visitors (issue 13; api/visitors_live.py)
    ("GET", "/api/v1/visitors/live"): "visitor.view",
    ("GET", "/api/v1/visitors/{visitor_id}/journey"): "chat.read",  # visitor.view, or one of their chats readable
    # analytics (issue 14; api/reports.py): actions/reports.report_scope narrows each answer
    ("GET", "/api/v1/reports/summary"): "report.view",
    ("GET", "/api/v1/reports/volume"): "report.view",
    ("GET", "/api/v1/reports/times"): "report.view",
    ("GET", "/api/v1/reports/agents"): "report.view",
    ("GET", "/api/v1/reports/departments"): "report.view",
    ("GET", "/api/v1/reports/transfers"): "report.view",
    ("GET", "/api/v1/reports/heatmap"): "report.view",
    ("GET", "/api/v1/reports/chats"): "report.view",
    # analytics (issue 14; api/report_extra.py): dashboard, goals, export, agents' activity
    ("GET", "/api/v1/reports/dashboard"): "report.view",
    ("GET", "/api/v1/departments/{department_id}/goals"): "report.view",  # of your departments (agents too)
    ("PUT", "/api/v1/departments/{department_id}/goals"): "goal.manage",
    ("GET", "/api/v1/reports/goals"): "report.view",
    ("GET", "/api/v1/reports/export"): "report.view",
    ("GET", "/api/v1/reports/activity"): "report.view",
    ("GET", "/api/v1/reports/agents/{agent_id}/timeline"): "report.view",  # agents: their own only
    # staffing reads (issue 15; api/staffing.py): supervisors their own departments
    ("GET", "/api/v1/staffing/forecast"): "staffing.view",
    ("GET", "/api/v1/staffing/parameters"): "staffing.view",
    ("GET", "/api/v1/staffing/required"): "staffing.view",
    ("GET", "/api/v1/staffing/coverage"): "staffing.view",
    ("POST", "/api/v1/staffing/whatif"): "staffing.view",
    # offices, shifts, rotations (issue 15; api/schedule.py): shifts are read by `shift.view`
    # (actions/schedule.shift_scope: supervisors their departments' agents, agents their own)
    ("GET", "/api/v1/staffing/offices"): "staffing.view",
    ("POST", "/api/v1/staffing/offices"): "staffing.manage",
    ("PATCH", "/api/v1/staffing/offices/{office_id}"): "staffing.manage",
    ("DELETE", "/api/v1/staffing/offices/{office_id}"): "staffing.manage",
    ("PUT", "/api/v1/staffing/offices/{office_id}/holidays"): "staffing.manage",
    ("PUT", "/api/v1/staffing/agents/{agent_id}/office"): "staffing.manage",
    ("GET", "/api/v1/staffing/shifts"): "shift.view",
    ("POST", "/api/v1/staffing/shifts"): "staffing.manage",
    ("PATCH", "/api/v1/staffing/shifts/{shift_id}"): "staffing.manage",
    ("DELETE", "/api/v1/staffing/shifts/{shift_id}"): "staffing.manage",
    ("GET", "/api/v1/staffing/agents/{agent_id}/shifts.ics"): "shift.view",
    ("GET", "/api/v1/staffing/rotations"): "staffing.view",
    ("POST", "/api/v1/staffing/rotations"): "staffing.manage",
    ("DELETE", "/api/v1/staffing/rotations/{rotation_id}"): "staffing.manage",
    ("POST", "/api/v1/staffing/rotations/{rotation_id}/apply"): "staffing.manage",
    # suggested shift plans (issue 15; api/plans.py): supervisors read their departments' plans
    ("GET", "/api/v1/staffing/plans"): "staffing.view",
    ("POST", "/api/v1/staffing/plans"): "staffing.manage",
    ("GET", "/api/v1/staffing/plans/{plan_id}"): "staffing.view",
    ("POST", "/api/v1/staffing/plans/{plan_id}/apply"): "staffing.manage",
    ("POST", "/api/v1/staffing/plans/{plan_id}/discard"): "staffing.manage",
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
    # supervision (issue 5; realtime/following.py)
    "monitor.start": "chat.monitor",
    "monitor.stop": "authenticated",
    "watch": "chat.monitor",
    "unwatch": "authenticated",
    "whisper.send": "chat.whisper",
    # live visitors (issue 13; realtime/live_visitors.py)
    "visitors.watch": "visitor.view",
    "visitors.unwatch": "authenticated",
}
