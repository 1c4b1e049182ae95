"""Who receives what. One function per kind of thing published; every rule is tested.

Topics name audiences, not sockets:
  visitor:{id}   every socket of that visitor
  agent:{id}     every console tab of that agent
  queue:{dept}   every agent watching that department's waiting queue
"""

from __future__ import annotations

from frontdesk.domain.chat_rules import ChatStatus


def visitor_topic(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def agent_topic(agent_id: int) -> str:
    return f"agent:{agent_id}"


def queue_topic(department_id: int) -> str:
    return f"queue:{department_id}"


def agents_of_chat(status: str, assignee_id: int | None, department_id: int) -> list[str]:
    """Agents who follow a chat's events: its assignee, or everyone watching its queue."""
    if assignee_id is not None:
        return [agent_topic(assignee_id)]
    if status == ChatStatus.QUEUED:
        return [queue_topic(department_id)]
    return []


def chat_event_audience(
    *, internal: bool, visitor_id: str, status: str, assignee_id: int | None, department_id: int
) -> list[str]:
    """A stored chat event. Internal events (notes, whispers) never reach the visitor."""
    topics = agents_of_chat(status, assignee_id, department_id)
    if not internal:
        topics.append(visitor_topic(visitor_id))
    return topics


def chat_summary_audience(
    *,
    status: str,
    assignee_id: int | None,
    previous_assignee_id: int | None,
    department_id: int,
    previous_department_id: int | None = None,
    queue_changed: bool,
) -> list[str]:
    """A chat's summary for agents' lists: a queue hears when a chat enters or leaves it."""
    topics: list[str] = []
    if queue_changed or (status == ChatStatus.QUEUED and assignee_id is None):
        topics.append(queue_topic(department_id))
        if previous_department_id is not None and previous_department_id != department_id:
            topics.append(queue_topic(previous_department_id))
    for agent_id in sorted({assignee_id, previous_assignee_id} - {None}):  # type: ignore[type-var]
        topics.append(agent_topic(agent_id))  # type: ignore[arg-type]
    return topics


def typing_audience(
    *, from_visitor: bool, visitor_id: str, status: str, assignee_id: int | None, department_id: int
) -> list[str]:
    """Typing goes to the other side only, never broadcast further."""
    if from_visitor:
        return agents_of_chat(status, assignee_id, department_id)
    return [visitor_topic(visitor_id)]
