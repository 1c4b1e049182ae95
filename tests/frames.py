"""Frames checked against the catalogue (frontdesk/wire/frames.py), for tests only.

`frame_problem(frame, side)`: what is wrong with a frame a client received (None when nothing):
an unknown type, a frame its side never receives, a field missing, extra or of the wrong type
(pydantic validates the catalogue's TypedDicts strictly, unknown keys refused), an event of an
unknown kind, or an internal event (note, whisper) on a visitor's socket.

`publish_problem(topics, frame)`: the same for a frame an action queues on its Outbox, plus
the audience: nothing for agents only (internal events, summaries, annotations...) ever goes
to a `visitor:{id}` topic.

tests/clients.py checks every frame its sockets receive; tests/actions/conftest.py checks
every frame an action queues.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, get_args, get_type_hints

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from frontdesk.domain.chat_rules import INTERNAL_KINDS, EventKind
from frontdesk.wire import CATALOGUE

Side = Literal["visitor", "agent"]
KINDS = frozenset(EventKind)
_STRICT = ConfigDict(extra="forbid", strict=True)


def _forbid_extra(schema: Any, seen: set[int]) -> None:
    """Give the TypedDicts of a frame's schema (nested ones too) `extra="forbid"`, strict: a key
    the catalogue does not name is a failure, not ignored. (Set on the classes for pydantic
    only; the app never reads it.)"""
    if id(schema) in seen:
        return
    seen.add(id(schema))
    if is_typeddict(schema):
        schema.__pydantic_config__ = _STRICT
        for hint in get_type_hints(schema).values():
            _forbid_extra(hint, seen)
    for arg in get_args(schema):
        _forbid_extra(arg, seen)


@cache
def adapters(frame_type: str) -> tuple[TypeAdapter[Any], ...]:
    """One validator per variant of a frame type (`welcome`: visitor's and agent's)."""
    spec = CATALOGUE[frame_type]
    for schema in spec.schemas:
        _forbid_extra(schema, set())
    return tuple(TypeAdapter(schema) for schema in spec.schemas)


def json_schemas() -> dict[str, list[dict[str, Any]]]:
    """The catalogue as JSON schemas: frame type -> one schema per variant."""
    return {t: [a.json_schema() for a in adapters(t)] for t in CATALOGUE}


def schema_problem(frame: Mapping[str, Any]) -> str | None:
    frame_type = frame.get("type")
    if not isinstance(frame_type, str) or frame_type not in CATALOGUE:
        return f"frame type {frame_type!r} is not in the catalogue (frontdesk/wire/frames.py)"
    errors = []
    for adapter in adapters(frame_type):
        try:
            adapter.validate_python(dict(frame), strict=True)
            break
        except ValidationError as exc:
            errors.append(str(exc))
    else:
        return f"{frame_type!r} frame does not match its schema: {' | '.join(errors)}"
    if frame_type == "event" or frame_type == "ack":
        event = frame if frame_type == "event" else frame["event"]
        if event["kind"] not in KINDS:
            return f"event of unknown kind {event['kind']!r} (not an EventKind)"
    return None


def _internal_event(frame: Mapping[str, Any]) -> bool:
    event = frame.get("event") if frame.get("type") == "ack" else frame
    return frame.get("type") in ("event", "ack") and event["kind"] in INTERNAL_KINDS  # type: ignore[index]


def frame_problem(frame: Mapping[str, Any], side: Side | None = None) -> str | None:
    """A frame a client of `side` received (None: either side)."""
    problem = schema_problem(frame)
    if problem:
        return problem
    audience = CATALOGUE[frame["type"]].audience
    if audience == "bus":
        return f"{frame['type']!r} is for the bus only, yet a client received it"
    if side is not None and audience not in ("both", side):
        return f"a {side} received {frame['type']!r}, a frame for the {audience} only"
    if side == "visitor" and _internal_event(frame) and frame["type"] == "event":
        return f"a visitor received an internal event ({frame['kind']!r})"
    return None


def publish_problem(topics: list[str], frame: Mapping[str, Any]) -> str | None:
    """A frame queued for the bus to `topics`."""
    problem = schema_problem(frame)
    if problem:
        return problem
    audience = CATALOGUE[frame["type"]].audience
    for topic in topics:
        if not topic.startswith("visitor:"):
            continue
        if audience == "agent":
            return f"{frame['type']!r} (agents only) published to {topic}"
        if _internal_event(frame):
            return f"internal event {frame.get('kind')!r} published to {topic}"
    return None
