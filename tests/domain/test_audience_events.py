"""Who hears a stored chat event, decided from its kind (domain/audience.event_audience, the
rule of the one append path and the group-commit writer) and a transfer (transfer_audience)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.domain.audience import (
    agent_topic,
    chat_topic,
    event_audience,
    participation_audience,
    queue_topic,
    transfer_audience,
    visitor_topic,
    whisper_audience,
)
from frontdesk.domain.chat_rules import INTERNAL_KINDS, PARTICIPATION_KINDS, ChatStatus, EventKind

kinds = st.sampled_from(list(EventKind))
statuses = st.sampled_from([str(s) for s in ChatStatus])
ids = st.integers(min_value=1, max_value=10**6)
agent_ids = st.none() | ids
C, D, V = 12, 7, "V1"


def audience_of(kind, status, assignee, author=None, agents=()):  # type: ignore[no-untyped-def]
    return event_audience(
        kind=kind,
        chat_id=C,
        visitor_id=V,
        status=status,
        assignee_id=assignee,
        department_id=D,
        author_id=author,
        agent_ids=agents,
    )


def test_internal_kinds_are_the_notes_and_whispers():
    assert {EventKind.NOTE, EventKind.WHISPER} == INTERNAL_KINDS
    assert {k for k in EventKind if k.internal} == INTERNAL_KINDS
    assert set(EventKind) >= PARTICIPATION_KINDS


@given(kind=kinds, status=statuses, assignee=agent_ids, author=ids, agents=st.lists(agent_ids, max_size=3))
def test_an_event_reaches_its_visitor_exactly_when_its_kind_is_public(kind, status, assignee, author, agents):
    topics = audience_of(kind, status, assignee, author, agents)
    visitor = [t for t in topics if t.startswith("visitor:")]
    assert visitor == ([] if kind in INTERNAL_KINDS else [visitor_topic(V)])
    assert len(topics) == len(set(topics))
    assert chat_topic(C) in topics  # followers hear every kind
    for agent in agents:
        if agent is not None:
            assert agent_topic(agent) in topics


@given(status=statuses, assignee=agent_ids, author=ids)
def test_a_whisper_reaches_the_agent_and_its_author_never_the_queue(status, assignee, author):
    topics = audience_of(EventKind.WHISPER, status, assignee, author, (author,))
    assert topics == whisper_audience(chat_id=C, assignee_id=assignee, author_id=author)
    assert queue_topic(D) not in topics


@given(kind=st.sampled_from(sorted(PARTICIPATION_KINDS)), assignee=agent_ids, joined=ids)
def test_participation_reaches_the_chats_agents_followers_and_visitor(kind, assignee, joined):
    topics = audience_of(kind, ChatStatus.ACTIVE, assignee, None, (joined,))
    assert topics == participation_audience(chat_id=C, visitor_id=V, assignee_id=assignee, agent_ids=(joined,))


def test_a_queued_chats_events_reach_its_queue_and_an_assigned_ones_its_agent():
    assert audience_of(EventKind.MESSAGE, ChatStatus.QUEUED, None) == [queue_topic(D), chat_topic(C), visitor_topic(V)]
    assert audience_of(EventKind.NOTE, ChatStatus.ACTIVE, 3, 3, (3,)) == [agent_topic(3), chat_topic(C)]
    # Closing a chat seen as it was (queued), with the agent it was offered to.
    assert audience_of(EventKind.CHAT_CLOSED, ChatStatus.QUEUED, None, None, (5,)) == [
        queue_topic(D),
        chat_topic(C),
        visitor_topic(V),
        agent_topic(5),
    ]


@given(internal=st.booleans(), previous=agent_ids, to_agent=agent_ids)
def test_a_transfer_reaches_the_new_and_the_previous_agent(internal, previous, to_agent):
    status = ChatStatus.QUEUED if to_agent is None else ChatStatus.ACTIVE
    topics = transfer_audience(
        chat_id=C,
        visitor_id=V,
        internal=internal,
        status=status,
        assignee_id=to_agent,
        department_id=D,
        previous_assignee_id=previous,
    )
    expected = {chat_topic(C)}
    expected |= {queue_topic(D)} if to_agent is None else {agent_topic(to_agent)}
    expected |= set() if previous is None else {agent_topic(previous)}
    expected |= set() if internal else {visitor_topic(V)}
    assert set(topics) == expected and len(topics) == len(expected)


@given(assignee=ids)
def test_an_assignment_reaches_the_queue_the_chat_leaves(assignee):
    topics = audience_of(EventKind.CHAT_ASSIGNED, ChatStatus.ACTIVE, assignee)
    assert sorted(topics) == sorted([agent_topic(assignee), chat_topic(C), visitor_topic(V), queue_topic(D)])
