"""Which chats a user may read: one rule for every read path (docs/permissions.md, "Reading a chat").

The same rule answers `GET /api/v1/chats/{id}` and its messages, participants and transcripts,
the agent socket's `sync`, files, reviews and annotations, watching, the archive and the chat
lists. A chat outside it is answered as if it did not exist (`404`), so ids cannot be probed.

- admins and managers read every chat (`chat.read` unscoped);
- supervisors and agents read the chats of the departments they are a member of, and the chats
  they handled wherever those are now: assigned to them (now or before a transfer or a
  take-over) or joined as a visible participant. Writing an internal note is not handling;
- a waiting (queued) chat is also readable by whoever may accept it in any department
  (`chat.accept_any_department`): one cannot take a chat without reading its question.
"""

from __future__ import annotations

from collections.abc import Container

from frontdesk.domain.chat_rules import ChatStatus
from frontdesk.permissions import allowed, in_scope


def may_read_chat(
    *,
    role: str,
    user_id: int,
    department_id: int | None,
    assignee_id: int | None,
    status: str,
    my_departments: Container[int],
    handled: bool,
) -> bool:
    """Whether the user may read the chat (its summary, events, files, reviews)."""
    if not allowed(role, "chat.read"):
        return False
    if in_scope(role, "chat.read", department_id, my_departments):
        return True
    if assignee_id is not None and assignee_id == user_id:
        return True
    if handled:
        return True
    return status == ChatStatus.QUEUED and allowed(role, "chat.accept_any_department")


def may_write_note(
    *,
    role: str,
    user_id: int,
    department_id: int | None,
    assignee_id: int | None,
    my_departments: Container[int],
    handled: bool,
) -> bool:
    """Internal notes, scoped like replies: the chat's agent and those who handled it (also once
    it has ended), and leads of its department (`chat.note_any`: supervisors in their own
    departments, managers and admins in all). Others — even colleagues who may read the chat —
    leave no note; the caller checks `may_read_chat` first (404 before 403)."""
    if not allowed(role, "chat.note"):
        return False
    if (assignee_id is not None and assignee_id == user_id) or handled:
        return True
    return in_scope(role, "chat.note_any", department_id, my_departments)


def member_change_refused(
    *,
    actor_id: int,
    current: dict[int, int],
    wanted: dict[int, int],
    roles: dict[int, str],
) -> str | None:
    """Why a supervisor may not replace a department's members (user id -> level) with `wanted`,
    or None. A supervisor manages agents' memberships only: they add, remove and re-level
    agents, never themselves nor another supervisor, manager or admin (ask a manager). The
    department's scope (their own departments) is checked before this."""
    changed = sorted(u for u in set(current) | set(wanted) if current.get(u) != wanted.get(u))
    if actor_id in changed:
        return "members: you cannot change your own membership or level; ask a manager"
    for user_id in changed:
        role = roles.get(user_id, "agent")
        if role != "agent":
            return f"members: supervisors change agents' memberships only; user {user_id} is a {role}"
    return None
