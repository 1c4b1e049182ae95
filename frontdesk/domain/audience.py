"""Who receives what. One function per kind of thing published; every rule is tested.

Topics name audiences, not sockets:
  visitor:{id}   every socket of that visitor
  agent:{id}     every console tab of that agent
  queue:{dept}   every agent watching that department's waiting queue
  chat:{id}      every agent socket following that chat beyond its assignee: supervisors who
                 joined it (participants) and those watching it read-only (docs/architecture/
                 supervision.md). Only agent sockets ever subscribe to it, after a permission
                 check, so internal events (notes, whispers) go there too.
  monitor:{dept} every supervisor's Monitor page for that department: chat summaries when a
                 chat starts, is assigned, moves or ends (never per message)
  visitors       the live view (realtime/live_visitors.py): no socket subscribes to it; each
                 node's hub hands what arrives to its LiveVisitors, which re-reads the pages of
                 its watching sockets (at most once a second each). Announced when visits change
                 (tracking), and by every chat summary (a visitor's chat state changes with it).

A revocation (`wire.revoke_frame()`) published to `agent:{id}` or `visitor:{id}` is not sent to the
client: each node's hub closes the matching sockets with 4001 (realtime/hub.Hub.revoke).
"""

from __future__ import annotations

from collections.abc import Iterable

from frontdesk.domain.chat_rules import INTERNAL_KINDS, PARTICIPATION_KINDS, ChatStatus, EventKind


def visitor_topic(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def agent_topic(agent_id: int) -> str:
    return f"agent:{agent_id}"


def queue_topic(department_id: int) -> str:
    return f"queue:{department_id}"


def chat_topic(chat_id: int) -> str:
    return f"chat:{chat_id}"


def monitor_topic(department_id: int) -> str:
    return f"monitor:{department_id}"


def visitors_topic() -> str:
    return "visitors"


def except_socket(topic: str, socket_id: str) -> str:
    """`topic` minus one socket: the sender's own socket, whose ack already carries the event."""
    return f"{topic}!{socket_id}"


def agents_of_chat(status: str, assignee_id: int | None, department_id: int) -> list[str]:
    """Agents who follow a chat's events: its assignee, or everyone watching its queue."""
    if assignee_id is not None:
        return [agent_topic(assignee_id)]
    if status == ChatStatus.QUEUED:
        return [queue_topic(department_id)]
    return []


def chat_event_audience(
    *,
    internal: bool,
    visitor_id: str,
    status: str,
    assignee_id: int | None,
    department_id: int,
    chat_id: int | None = None,
) -> list[str]:
    """A stored chat event. Internal events (notes, whispers) never reach the visitor. With
    `chat_id`, also everyone following the chat (participants, watchers): one more topic per
    event, which costs a dictionary miss on a node where nobody follows it."""
    return _chat_event_topics(internal, visitor_id, status, assignee_id, department_id, chat_id)


def _chat_event_topics(
    internal: bool, visitor_id: str, status: str, assignee_id: int | None, department_id: int, chat_id: int | None
) -> list[str]:
    # Positional: on the message hot path (once per message of a group commit).
    if assignee_id is not None:
        topics = [f"agent:{assignee_id}"]
    elif status == ChatStatus.QUEUED:
        topics = [f"queue:{department_id}"]
    else:
        topics = []
    if chat_id is not None:
        topics.append(f"chat:{chat_id}")
    if not internal:
        topics.append(f"visitor:{visitor_id}")
    return topics


# Kinds with an audience of their own (beyond the chat's agents, followers and visitor).
_BY_KIND = frozenset({EventKind.WHISPER, EventKind.CHAT_ASSIGNED, *PARTICIPATION_KINDS})


def event_audience(
    kind: str,
    chat_id: int,
    visitor_id: str,
    status: str,
    assignee_id: int | None,
    department_id: int,
    author_id: int | None = None,
    agent_ids: Iterable[int | None] = (),
) -> list[str]:
    """Who hears a stored chat event, decided from its kind and the chat (`status`,
    `assignee_id`, `department_id`: the chat as the caller says the event should be seen —
    usually as it is after the event). `agent_ids`: agents who hear of it beyond the chat's
    own (the agent who lost the chat, the one it was offered to, an internal event's author).

    A whisper goes to the chat's agent, its author and followers; joining, leaving and taking
    over to the chat's agents, followers and the visitor; every other kind to the chat's
    agents (its assignee, or its queue while waiting), followers and — unless internal — its
    visitor; `chat.assigned` also to the department's queue, which the chat leaves. Internal
    kinds (chat_rules.INTERNAL_KINDS) never reach a visitor."""
    if not agent_ids and kind not in _BY_KIND:  # the common case, and the hot path's: one call
        return _chat_event_topics(kind in INTERNAL_KINDS, visitor_id, status, assignee_id, department_id, chat_id)
    extra = sorted({a for a in agent_ids if a is not None})
    if kind == EventKind.WHISPER:
        topics = whisper_audience(chat_id=chat_id, assignee_id=assignee_id, author_id=author_id)
    elif kind in PARTICIPATION_KINDS:
        return participation_audience(
            chat_id=chat_id, visitor_id=visitor_id, assignee_id=assignee_id, agent_ids=tuple(extra)
        )
    else:
        topics = _chat_event_topics(kind in INTERNAL_KINDS, visitor_id, status, assignee_id, department_id, chat_id)
        if kind == EventKind.CHAT_ASSIGNED and queue_topic(department_id) not in topics:
            topics.append(queue_topic(department_id))
    for agent_id in extra:
        topic = agent_topic(agent_id)
        if topic not in topics:
            topics.append(topic)
    return topics


def transfer_audience(
    *,
    chat_id: int,
    visitor_id: str,
    internal: bool,
    status: str,
    assignee_id: int | None,
    department_id: int,
    previous_assignee_id: int | None,
) -> list[str]:
    """A transfer (and its note): the chat's agents as it now is (its new assignee, or its new
    department's queue), the agent who had it, followers, and — unless internal — the visitor."""
    return event_audience(
        kind=EventKind.NOTE if internal else EventKind.CHAT_TRANSFERRED,
        chat_id=chat_id,
        visitor_id=visitor_id,
        status=status,
        assignee_id=assignee_id,
        department_id=department_id,
        agent_ids=(previous_assignee_id,),
    )


def whisper_audience(*, chat_id: int, assignee_id: int | None, author_id: int | None) -> list[str]:
    """A whisper: the chat's agent, whoever follows the chat, and its author's other tabs —
    never the visitor, never the queue."""
    topics = [agent_topic(a) for a in sorted({a for a in (assignee_id, author_id) if a is not None})]
    topics.append(chat_topic(chat_id))
    return topics


def participation_audience(
    *, chat_id: int, visitor_id: str, assignee_id: int | None, agent_ids: tuple[int, ...] = ()
) -> list[str]:
    """A supervisor joining, leaving or taking over a chat: its agents (`agent_ids`: the one who
    joined, the agent who lost it), followers, and the visitor, who sees who is in the chat."""
    ids = sorted({a for a in (assignee_id, *agent_ids) if a is not None})
    return [*(agent_topic(a) for a in ids), chat_topic(chat_id), visitor_topic(visitor_id)]


def chat_summary_audience(
    *,
    status: str,
    assignee_id: int | None,
    previous_assignee_id: int | None,
    department_id: int,
    previous_department_id: int | None = None,
    queue_changed: bool,
    chat_id: int | None = None,
) -> list[str]:
    """A chat's summary for agents' lists: a queue hears when a chat enters or leaves it."""
    topics: list[str] = []
    if queue_changed or (status == ChatStatus.QUEUED and assignee_id is None):
        topics.append(queue_topic(department_id))
        if previous_department_id is not None and previous_department_id != department_id:
            topics.append(queue_topic(previous_department_id))
    for agent_id in sorted({a for a in (assignee_id, previous_assignee_id) if a is not None}):
        topics.append(agent_topic(agent_id))
    # Monitor pages see every change of an ongoing chat, including it leaving their department;
    # whoever follows the chat (a watcher, a participant) sees it too, and so does the live view
    # (the visitor's chat state: waiting, chatting with whom, none once it ends).
    topics.append(monitor_topic(department_id))
    if chat_id is not None:
        topics.append(chat_topic(chat_id))
        topics.append(visitors_topic())
    if previous_department_id is not None and previous_department_id != department_id:
        topics.append(monitor_topic(previous_department_id))
    return topics


def read_receipt_audience(*, chat_id: int, status: str, assignee_id: int | None, department_id: int) -> list[str]:
    """The visitor has read the chat (`chat.read`): its agents and whoever follows it; never the
    visitor (they know)."""
    return [*agents_of_chat(status, assignee_id, department_id), chat_topic(chat_id)]


def typing_audience(
    *, from_visitor: bool, visitor_id: str, status: str, assignee_id: int | None, department_id: int
) -> list[str]:
    """Typing goes to the other side only, never broadcast further."""
    if from_visitor:
        return agents_of_chat(status, assignee_id, department_id)
    return [visitor_topic(visitor_id)]
