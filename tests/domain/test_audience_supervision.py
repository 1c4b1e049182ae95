"""Audience rules of supervision: followers of a chat, whispers, joins and take-overs, monitors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.domain.audience import (
    agent_topic,
    chat_event_audience,
    chat_summary_audience,
    chat_topic,
    monitor_topic,
    participation_audience,
    queue_topic,
    visitor_topic,
    whisper_audience,
)
from frontdesk.domain.chat_rules import ChatStatus

statuses = st.sampled_from([str(s) for s in ChatStatus])
agent_ids = st.none() | st.integers(min_value=1, max_value=10**9)
chat_ids = st.integers(min_value=1, max_value=10**12)
visitor_ids = st.text(min_size=1, max_size=30)
departments = st.integers(min_value=1, max_value=10**6)


@given(chat_id=chat_ids, assignee=agent_ids, author=st.integers(min_value=1, max_value=10**9))
def test_a_whisper_reaches_the_chats_agents_and_followers_never_a_visitor_or_queue(chat_id, assignee, author):
    topics = whisper_audience(chat_id=chat_id, assignee_id=assignee, author_id=author)
    assert not any(t.startswith(("visitor:", "queue:", "monitor:")) for t in topics)
    assert chat_topic(chat_id) in topics and agent_topic(author) in topics
    if assignee is not None:
        assert agent_topic(assignee) in topics
    assert len(topics) == len(set(topics))


@given(visitor_id=visitor_ids, status=statuses, assignee=agent_ids, chat_id=chat_ids, dept=departments)
def test_stored_events_reach_the_chats_followers_and_internal_ones_never_the_visitor(
    visitor_id, status, assignee, chat_id, dept
):
    internal = chat_event_audience(
        internal=True, visitor_id=visitor_id, status=status, assignee_id=assignee, department_id=dept, chat_id=chat_id
    )
    public = chat_event_audience(
        internal=False, visitor_id=visitor_id, status=status, assignee_id=assignee, department_id=dept, chat_id=chat_id
    )
    assert chat_topic(chat_id) in internal and chat_topic(chat_id) in public
    assert not any(t.startswith("visitor:") for t in internal)
    assert [t for t in public if t.startswith("visitor:")] == [visitor_topic(visitor_id)]
    assert set(public) - set(internal) == {visitor_topic(visitor_id)}


@given(
    chat_id=chat_ids,
    visitor_id=visitor_ids,
    assignee=agent_ids,
    others=st.lists(st.integers(min_value=1, max_value=10**9), max_size=3),
)
def test_joins_and_take_overs_reach_the_visitor_the_agents_and_followers(chat_id, visitor_id, assignee, others):
    topics = participation_audience(
        chat_id=chat_id, visitor_id=visitor_id, assignee_id=assignee, agent_ids=tuple(others)
    )
    assert visitor_topic(visitor_id) in topics  # the visitor sees who is in the chat
    assert chat_topic(chat_id) in topics
    expected = {agent_topic(a) for a in [assignee, *others] if a is not None}
    assert {t for t in topics if t.startswith("agent:")} == expected
    assert len(topics) == len(set(topics))
    assert not any(t.startswith(("queue:", "monitor:")) for t in topics)


@given(status=statuses, assignee=agent_ids, dept=departments, previous=st.none() | departments)
def test_every_summary_reaches_the_departments_monitor_and_the_one_it_left(status, assignee, dept, previous):
    topics = chat_summary_audience(
        status=status,
        assignee_id=assignee,
        previous_assignee_id=None,
        department_id=dept,
        previous_department_id=previous,
        queue_changed=False,
    )
    monitors = {t for t in topics if t.startswith("monitor:")}
    expected = {monitor_topic(dept)} | ({monitor_topic(previous)} if previous is not None else set())
    assert monitors == expected
    assert not any(t.startswith(("visitor:", "chat:")) for t in topics)
    followed = chat_summary_audience(
        status=status,
        assignee_id=assignee,
        previous_assignee_id=None,
        department_id=dept,
        queue_changed=False,
        chat_id=9,
    )
    assert chat_topic(9) in followed and not any(t.startswith("visitor:") for t in followed)
    assert followed.count("visitors") == 1  # the live view hears of every change of a chat's state


def test_topic_names():
    assert chat_topic(12) == "chat:12"
    assert monitor_topic(3) == "monitor:3"
    assert queue_topic(3) != monitor_topic(3)
