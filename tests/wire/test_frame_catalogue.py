"""The frame catalogue (frontdesk/wire/frames.py) against docs/protocol.md and its own schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from frontdesk import wire
from frontdesk.wire import CATALOGUE
from tests.frames import frame_problem, json_schemas, publish_problem

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"
HEADER = "| frame | to | builder | fields |"


def documented() -> dict[str, tuple[str, set[str]]]:
    """docs/protocol.md's catalogue table: frame type -> (to, builder names)."""
    doc = DOC.read_text()
    assert HEADER in doc, f"docs/protocol.md needs the catalogue table, header {HEADER!r}"
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in doc[doc.index(HEADER) :].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        (frame_type,) = re.findall(r"`([a-z_.]+)`", cells[0])
        rows[frame_type] = (cells[1], set(re.findall(r"`([a-z_]+)`", cells[2])))
    return rows


def test_the_protocol_doc_lists_exactly_the_catalogue() -> None:
    rows = documented()
    assert set(CATALOGUE) - set(rows) == set(), "frame types missing from docs/protocol.md's catalogue table"
    assert set(rows) - set(CATALOGUE) == set(), "documented frame types that the catalogue does not have"
    for frame_type, (to, builders) in rows.items():
        assert to == CATALOGUE[frame_type].audience, (frame_type, to, CATALOGUE[frame_type].audience)
        for name in builders:
            assert callable(getattr(wire, name, None)), f"{frame_type}: no builder frontdesk.wire.{name}"


NOW = datetime(2026, 11, 25, 11, 40, 3, tzinfo=UTC)
ROW = SimpleNamespace(
    chat_id=12,
    seq=5,
    kind="message",
    author_type="agent",
    agent_id=3,
    author_name="Ada",
    body="Hello",
    client_id="k2f9abcdef",
    data={},
    created_at=NOW,
)
CHAT = SimpleNamespace(
    id=12,
    status="active",
    visitor_id="Vx1",
    visitor_name=None,
    visitor_email=None,
    visitor_page_url=None,
    visitor_page_title=None,
    assignee_id=3,
    assignee_name="Ada",
    last_seq=5,
    last_message_at=NOW,
    last_message_text="Hello",
    last_message_author="agent",
    created_at=NOW,
    assigned_at=NOW,
    closed_at=None,
    closed_by=None,
    department_id=1,
    department_slug="sales",
    department_name="Sales",
    queued_at=NOW,
    offered_to=None,
    offer_expires_at=None,
    missed=False,
    rating=None,
    rating_comment=None,
    rated_at=None,
    required_level=1,
    tags_json='[{"id": 1, "name": "Refund", "colour": "#d97706"}]',
    visitor_read_seq=0,
)


_INVITATION: wire.InvitationPayload = {
    "id": 7,
    "text": "Questions about our plans?",
    "agent": {"name": "Ada", "avatar_url": None},
    "department_id": 1,
    "expires_at": "2026-11-25T11:41:03.120Z",
}


VISIT = SimpleNamespace(
    id=41,
    visitor_id="Vx1",
    number=2,
    started_at=NOW,
    page_url="https://shop.example/pricing",
    page_title="Pricing",
    page_since=NOW,
    referrer=None,
    country="DE",
    city=None,
    browser="Firefox",
    os="Linux",
    device="desktop",
    language="de-DE",
    screen="desktop",
    pages=3,
    visible_ms=81000,
    name=None,
    chat_id=12,
    agent_id=3,
    agent_name="Ada",
    invitation_id=None,
    state="chatting",
    department_id=1,
)


def one_of_each() -> list[dict]:
    """A frame from every builder, as the code calls them."""
    event = wire.event_payload(ROW)
    summary = wire.chat_summary(CHAT)
    rating = {"score": 5, "comment": None, "rated_at": "…", "changeable_until": "…"}
    return [
        wire.visitor_welcome_frame({"id": "Vx1", "name": None, "email": None}, None),
        wire.agent_welcome_frame({"id": 3, "name": "Ada", "role": "agent", "status": "online"}),
        wire.event_frame(ROW),
        wire.event_payload_frame(event),
        wire.ack_frame(event, False),
        wire.ack_frame(event),
        wire.error_frame("rate_limited", "Too fast.", "c-123", retry_after=2.0),
        wire.error_frame("offline", "Closed.", "c-123", reason="closed", department="sales"),
        wire.error_frame("bad_request", "No.", None, field="text"),
        wire.synced_frame(12, 9),
        wire.pong_frame(),
        wire.typing_frame(12, wire.visitor_author(), True, "my order"),
        wire.typing_frame(12, wire.agent_author(3, "Ada"), False),
        wire.chat_rated_visitor_frame(12, rating, ref="r1"),
        wire.chat_rated_visitor_frame(12, rating),
        wire.chat_rated_agent_frame(12, summary, changed=False),
        wire.visitor_frame({"id": "Vx1", "name": "Sam", "email": None}, "r2"),
        wire.transcript_queued_frame("r3", {"chat_id": 12, "email": "sam@example.com"}),
        wire.queue_frame(12, "sales", 1, None),
        wire.visitor_forgotten_frame(),
        wire.invitation_frame(_INVITATION),
        wire.invitation_closed_frame(7, "dismissed"),
        wire.visitor_welcome_frame({"id": "Vx1", "name": None, "email": None}, None, _INVITATION),
        wire.chat_updated_frame(summary),
        wire.chat_offered_frame(summary, "2026-11-25T11:41:03.120Z"),
        wire.agent_status_frame("away", "offer_expired"),
        wire.agent_status_frame("online"),
        wire.accepted_frame("r4", 12, 6),
        wire.closed_frame("r5", 12, 7),
        wire.watching_frame("r6", 12, summary),
        wire.unwatched_frame("r7", 12),
        wire.monitor_frame("r8", {"chats": [{**summary, "participants": []}], "departments": []}),
        wire.monitor_stopped_frame("r9"),
        wire.monitor_participants_frame(12, [{"id": 3, "name": "Ada"}]),
        wire.annotation_added_frame({"id": 1, "chat_id": 12, "seq": 5, "text": "ok"}),
        wire.annotation_deleted_frame(12, 1),
        wire.ticket_created_frame({"id": 1}),
        wire.chat_read_frame(12, 7),
        wire.visitors_page_frame(
            "v1",
            {
                "counters": {"online": 1, "chatting": 1, "waiting": 0, "invited": 0},
                "total": 1,
                "page": 1,
                "page_size": 50,
                "items": [wire.live_visitor(VISIT)],
            },
        ),
        wire.revoke_frame(["abcd"]),
        wire.visitors_changed_frame(),
        wire.invitation_rules_changed_frame(3),
    ]


@pytest.mark.parametrize("frame", one_of_each(), ids=lambda f: f["type"])
def test_every_builder_makes_a_frame_its_schema_accepts(frame: dict) -> None:
    assert frame["type"] in CATALOGUE
    side = {"visitor": "visitor", "agent": "agent"}.get(CATALOGUE[frame["type"]].audience)
    bus = CATALOGUE[frame["type"]].audience == "bus"
    problem = publish_problem(["agent:3"], frame) if bus else frame_problem(frame, side)
    assert problem is None, problem


def test_every_catalogue_type_has_a_builder_called_above() -> None:
    assert {f["type"] for f in one_of_each()} == set(CATALOGUE)


def test_the_checks_refuse_what_is_off_the_catalogue() -> None:
    event = wire.event_frame(ROW)
    assert "not in the catalogue" in frame_problem({"type": "brand.new"})  # type: ignore[operator]
    assert "Extra inputs" in frame_problem({**event, "surprise": 1})  # type: ignore[operator]
    assert "seq" in frame_problem({**event, "seq": "5"})  # type: ignore[operator]
    assert "unknown kind" in frame_problem({**event, "kind": "brand.new"})  # type: ignore[operator]
    assert "internal event" in frame_problem({**event, "kind": "whisper"}, "visitor")  # type: ignore[operator]
    assert frame_problem({**event, "kind": "whisper"}, "agent") is None
    assert "for the agent only" in frame_problem(wire.chat_updated_frame(wire.chat_summary(CHAT)), "visitor")  # type: ignore[operator]
    assert "bus only" in frame_problem(wire.revoke_frame(None))  # type: ignore[operator]
    note = {**event, "kind": "note"}
    assert "internal event" in publish_problem(["agent:3", "visitor:Vx1"], note)  # type: ignore[operator]
    assert publish_problem(["agent:3", "chat:12"], note) is None
    assert "agents only" in publish_problem(["visitor:Vx1!s1"], wire.annotation_deleted_frame(12, 1))  # type: ignore[operator]


def test_the_catalogue_has_a_json_schema_per_frame_type() -> None:
    schemas = json_schemas()
    assert set(schemas) == set(CATALOGUE)
    event = schemas["event"][0]
    assert event["properties"]["type"] == {"const": "event", "title": "Type", "type": "string"}
    assert event["additionalProperties"] is False


def test_the_protocol_doc_lists_exactly_the_event_kinds() -> None:
    """The `event` frame's kind table in docs/protocol.md names every EventKind, and only those."""
    from frontdesk.domain.chat_rules import EventKind

    doc = DOC.read_text()
    table = doc[doc.index("| kind | meaning | `data` |") :].split("\n\n", 1)[0]
    kinds = {line.split("`")[1] for line in table.splitlines()[2:] if line.startswith("| `")}
    assert kinds == {k.value for k in EventKind}
