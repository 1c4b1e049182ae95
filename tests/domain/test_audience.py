"""Who receives what: the audience rules, checked over every status and assignment."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.domain import audience
from frontdesk.domain.audience import (
    agent_topic,
    chat_event_audience,
    chat_summary_audience,
    queue_topic,
    typing_audience,
    visitor_topic,
)
from frontdesk.domain.chat_rules import ChatStatus

statuses = st.sampled_from([str(s) for s in ChatStatus])
visitor_ids = st.text(min_size=1, max_size=30)
agent_ids = st.none() | st.integers(min_value=1, max_value=10**9)
departments = st.integers(min_value=1, max_value=10**6)
D = 7  # a department id for the example-based tests
QUEUE_TOPIC = queue_topic(D)


def is_visitor_topic(topic: str) -> bool:
    return topic.startswith("visitor:")


@given(visitor_id=visitor_ids, status=statuses, assignee_id=agent_ids)
def test_internal_events_never_reach_a_visitor(visitor_id, status, assignee_id):
    topics = chat_event_audience(
        internal=True, visitor_id=visitor_id, status=status, assignee_id=assignee_id, department_id=D
    )
    assert not any(is_visitor_topic(t) for t in topics)
    assert visitor_topic(visitor_id) not in topics


@given(visitor_id=visitor_ids, status=statuses, assignee_id=agent_ids)
def test_public_events_reach_their_own_visitor_once(visitor_id, status, assignee_id):
    topics = chat_event_audience(
        internal=False, visitor_id=visitor_id, status=status, assignee_id=assignee_id, department_id=D
    )
    assert [t for t in topics if is_visitor_topic(t)] == [visitor_topic(visitor_id)]
    assert len(topics) == len(set(topics))


@given(visitor_id=visitor_ids, internal=st.booleans())
def test_queued_unassigned_chat_reaches_the_queue(visitor_id, internal):
    topics = chat_event_audience(
        internal=internal, visitor_id=visitor_id, status=ChatStatus.QUEUED, assignee_id=None, department_id=D
    )
    assert QUEUE_TOPIC in topics
    assert not any(t.startswith("agent:") for t in topics)


@given(visitor_id=visitor_ids, status=statuses, assignee=st.integers(min_value=1, max_value=10**9))
def test_assigned_chat_reaches_only_its_assignee_and_visitor(visitor_id, status, assignee):
    topics = chat_event_audience(
        internal=False, visitor_id=visitor_id, status=status, assignee_id=assignee, department_id=D
    )
    assert sorted(topics) == sorted([agent_topic(assignee), visitor_topic(visitor_id)])
    internal = chat_event_audience(
        internal=True, visitor_id=visitor_id, status=status, assignee_id=assignee, department_id=D
    )
    assert internal == [agent_topic(assignee)]


def test_unassigned_chat_outside_the_queue_reaches_no_agent():
    for status in (ChatStatus.ACTIVE, ChatStatus.CLOSED):
        assert chat_event_audience(
            internal=False, visitor_id="V1", status=status, assignee_id=None, department_id=D
        ) == [visitor_topic("V1")]
        assert (
            chat_event_audience(internal=True, visitor_id="V1", status=status, assignee_id=None, department_id=D) == []
        )


@given(visitor_id=visitor_ids, status=statuses, assignee_id=agent_ids)
def test_typing_goes_only_to_the_other_side(visitor_id, status, assignee_id):
    from_visitor = typing_audience(
        from_visitor=True, visitor_id=visitor_id, status=status, assignee_id=assignee_id, department_id=D
    )
    assert not any(is_visitor_topic(t) for t in from_visitor)
    assert from_visitor == audience.agents_of_chat(status, assignee_id, D)
    if assignee_id is not None:
        assert from_visitor == [agent_topic(assignee_id)]  # not the whole queue
    from_agent = typing_audience(
        from_visitor=False, visitor_id=visitor_id, status=status, assignee_id=assignee_id, department_id=D
    )
    assert from_agent == [visitor_topic(visitor_id)]


def test_typing_in_a_queued_chat_reaches_the_queue():
    assert typing_audience(from_visitor=True, visitor_id="V1", status="queued", assignee_id=None, department_id=D) == [
        QUEUE_TOPIC
    ]


@given(
    status=statuses,
    assignee_id=agent_ids,
    previous=agent_ids,
    queue_changed=st.booleans(),
)
def test_chat_summaries_reach_agents_only(status, assignee_id, previous, queue_changed):
    topics = chat_summary_audience(
        status=status,
        assignee_id=assignee_id,
        previous_assignee_id=previous,
        department_id=D,
        queue_changed=queue_changed,
    )
    assert not any(is_visitor_topic(t) for t in topics)
    assert len(topics) == len(set(topics))
    for agent in (assignee_id, previous):
        if agent is not None:
            assert agent_topic(agent) in topics
    expected_agents = {agent_topic(a) for a in (assignee_id, previous) if a is not None}
    assert {t for t in topics if t.startswith("agent:")} == expected_agents
    in_queue = status == ChatStatus.QUEUED and assignee_id is None
    assert (QUEUE_TOPIC in topics) == (queue_changed or in_queue)


def test_topic_names():
    assert visitor_topic("Vabc") == "visitor:Vabc"
    assert agent_topic(12) == "agent:12"
    assert queue_topic(3) == "queue:3"


@given(status=statuses, assignee_id=agent_ids, dept=departments, other=departments)
def test_events_reach_only_their_own_departments_queue(status, assignee_id, dept, other):
    topics = chat_event_audience(
        internal=False, visitor_id="V1", status=status, assignee_id=assignee_id, department_id=dept
    )
    queues = [t for t in topics if t.startswith("queue:")]
    assert queues in ([], [queue_topic(dept)])
    if other != dept:
        assert queue_topic(other) not in topics


def test_a_chat_moving_between_departments_is_announced_to_both_queues():
    topics = chat_summary_audience(
        status="queued",
        assignee_id=None,
        previous_assignee_id=4,
        department_id=2,
        previous_department_id=1,
        queue_changed=True,
    )
    assert sorted(topics) == ["agent:4", "monitor:1", "monitor:2", "queue:1", "queue:2"]
