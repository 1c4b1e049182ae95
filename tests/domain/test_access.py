"""The pure rules of frontdesk/domain/access.py."""

from __future__ import annotations

from frontdesk.domain.access import may_read_chat, member_change_refused


def test_a_supervisor_changes_only_agents_memberships():
    roles = {1: "supervisor", 2: "agent", 3: "agent", 4: "manager", 5: "supervisor"}
    current = {1: 1, 2: 1, 4: 1}
    ok = member_change_refused
    assert ok(actor_id=1, current=current, wanted={1: 1, 2: 3, 3: 1, 4: 1}, roles=roles) is None
    assert ok(actor_id=1, current=current, wanted={1: 1, 4: 1}, roles=roles) is None  # removes an agent
    assert "your own" in ok(actor_id=1, current=current, wanted={1: 2, 2: 1, 4: 1}, roles=roles)
    assert "your own" in ok(actor_id=1, current=current, wanted={2: 1, 4: 1}, roles=roles)
    assert "manager" in ok(actor_id=1, current=current, wanted={1: 1, 2: 1}, roles=roles)
    assert "supervisor" in ok(actor_id=1, current=current, wanted={**current, 5: 1}, roles=roles)


def test_the_read_rule():
    def reads(role, *, department_id=1, assignee_id=None, status="closed", mine=(2,), handled=False):  # type: ignore[no-untyped-def]
        return may_read_chat(
            role=role, user_id=7, department_id=department_id, assignee_id=assignee_id, status=status,
            my_departments=mine, handled=handled,
        )  # fmt: skip

    assert reads("admin") and reads("manager")
    assert not reads("agent") and not reads("supervisor")
    assert reads("agent", department_id=2) and reads("agent", assignee_id=7) and reads("agent", handled=True)
    assert reads("supervisor", status="queued") and not reads("agent", status="queued")  # may accept anywhere
