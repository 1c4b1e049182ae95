"""One way to store a chat event, read from the source with `ast`.

- `chat_store.advance_seq` (reserving a chat's seqs) and `chat_store.insert_events` are called
  only by the one append path, `actions/chat_events.append_events`, and by the group-commit
  writer (`actions/group_commit.py`, which batches the same steps).
- No `SimpleNamespace(**row)` anywhere in frontdesk/: stored events are `domain/events.ChatEvent`.
- No action lists a chat's topics by hand: `audience.visitor_topic`, `queue_topic` and
  `chat_topic` are the audience module's business (`domain/audience.event_audience` and the
  rules beside it), outside it only where a socket subscribes (realtime/) or a frame goes to one
  known audience (ALLOWED_TOPIC_CALLS).
"""

from __future__ import annotations

import ast

from tests.architecture.source import parse, python_files, rel

APPEND_PATH = {"frontdesk/actions/chat_events.py", "frontdesk/actions/group_commit.py"}
STORE_DEFINES = "frontdesk/store/chat_store.py"

# (file, topic function) -> why that file names one audience itself.
ALLOWED_TOPIC_CALLS: dict[tuple[str, str], str] = {
    ("frontdesk/actions/retention.py", "visitor_topic"): "a forgotten visitor's own sockets: forgotten, then closed",
    ("frontdesk/actions/satisfaction.py", "visitor_topic"): "the rating visitor's other tabs",
    ("frontdesk/actions/tickets.py", "queue_topic"): "a new offline message for its department's queue",
    ("frontdesk/actions/quality.py", "chat_topic"): "annotations: for the chat's followers (agents only)",
    ("frontdesk/actions/dispatch.py", "visitor_topic"): "queue positions for one waiting visitor",
    ("frontdesk/actions/group_commit.py", "visitor_topic"): "the sender's own topic, minus its socket (except_socket)",
    ("frontdesk/actions/invitations.py", "visitor_topic"): "an invitation for one visitor, on whichever node they are",
}
TOPIC_FUNCTIONS = {"visitor_topic", "queue_topic", "chat_topic"}


def calls(tree: ast.Module) -> list[tuple[int, str, ast.Call]]:
    """(line, called name, node) for every call `x.name(...)` or `name(...)`."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            out.append((node.lineno, name, node))
    return out


def offending_seq_calls() -> list[str]:
    found = []
    for path in python_files("frontdesk"):
        where = rel(path)
        if where in APPEND_PATH or where == STORE_DEFINES:
            continue
        for line, name, _node in calls(parse(path)):
            if name in ("advance_seq", "insert_events"):
                found.append(f"{where}:{line} {name}")
    return found


def namespace_rows() -> list[str]:
    found = []
    for path in python_files("frontdesk"):
        for line, name, node in calls(parse(path)):
            if name == "SimpleNamespace" and any(k.arg is None for k in node.keywords):
                found.append(f"{rel(path)}:{line}")
    return found


def topics_by_hand() -> list[str]:
    found = []
    for path in python_files("frontdesk/actions"):
        where = rel(path)
        for line, name, _node in calls(parse(path)):
            if name in TOPIC_FUNCTIONS and (where, name) not in ALLOWED_TOPIC_CALLS:
                found.append(f"{where}:{line} {name}")
    return found


def test_seqs_are_reserved_and_events_inserted_only_by_the_append_path():
    assert offending_seq_calls() == []


def test_no_simple_namespace_rows():
    assert namespace_rows() == []


def test_no_action_lists_a_chats_topics_by_hand():
    assert topics_by_hand() == []


def test_allowed_topic_calls_are_still_needed():
    used = set()
    for path in python_files("frontdesk/actions"):
        for _line, name, _node in calls(parse(path)):
            if name in TOPIC_FUNCTIONS:
                used.add((rel(path), name))
    assert set(ALLOWED_TOPIC_CALLS) - used == set()
