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

A revocation (`wire.revoke_frame()`) published to `agent:{id}` or `visitor:{id}` is not sent to the
client: each node's hub closes the matching sockets with 4001 (realtime/hub.Hub.revoke).
"""

from __future__ import annotations

from frontdesk.domain.chat_rules import ChatStatus


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
    topics = agents_of_chat(status, assignee_id, department_id)
    if chat_id is not None:
        topics.append(chat_topic(chat_id))
    if not internal:
        topics.append(visitor_topic(visitor_id))
    return topics


def whisper_audience(*, chat_id: int, assignee_id: int | None, author_id: int) -> list[str]:
    """A whisper: the chat's agent, whoever follows the chat, and its author's other tabs —
    never the visitor, never the queue."""
    topics = [agent_topic(a) for a in sorted({assignee_id, author_id} - {None})]  # type: ignore[type-var,arg-type]
    topics.append(chat_topic(chat_id))
    return topics


def participation_audience(
    *, chat_id: int, visitor_id: str, assignee_id: int | None, agent_ids: tuple[int, ...] = ()
) -> list[str]:
    """A supervisor joining, leaving or taking over a chat: its agents (`agent_ids`: the one who
    joined, the agent who lost it), followers, and the visitor, who sees who is in the chat."""
    ids = sorted({assignee_id, *agent_ids} - {None})  # type: ignore[type-var]
    return [*(agent_topic(a) for a in ids), chat_topic(chat_id), visitor_topic(visitor_id)]  # type: ignore[arg-type]


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
    for agent_id in sorted({assignee_id, previous_assignee_id} - {None}):  # type: ignore[type-var]
        topics.append(agent_topic(agent_id))  # type: ignore[arg-type]
    # Monitor pages see every change of an ongoing chat, including it leaving their department;
    # whoever follows the chat (a watcher, a participant) sees it too.
    topics.append(monitor_topic(department_id))
    if chat_id is not None:
        topics.append(chat_topic(chat_id))
    if previous_department_id is not None and previous_department_id != department_id:
        topics.append(monitor_topic(previous_department_id))
    return topics


def typing_audience(
    *, from_visitor: bool, visitor_id: str, status: str, assignee_id: int | None, department_id: int
) -> list[str]:
    """Typing goes to the other side only, never broadcast further."""
    if from_visitor:
        return agents_of_chat(status, assignee_id, department_id)
    return [visitor_topic(visitor_id)]
