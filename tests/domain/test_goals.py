"""domain/goals.py: checking a department's goals (each mistake named), whether a figure met its
goal, and a goal's figure out of summed roll-up columns."""

from __future__ import annotations

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.goals import Goal, check_goals, goal_figure, is_met
from frontdesk.domain.metric_buckets import bucket_column, bucket_of
from frontdesk.domain.metrics import summarize_rollup


def test_a_whole_set_of_goals_is_checked():
    goals = check_goals(
        [
            {"metric": "service_level", "target": 0.8, "seconds": 30},
            {"metric": "missed_share", "target": 0},
            {"metric": "first_response_p90", "target": 90},
        ]
    )
    assert goals == [
        Goal("service_level", 0.8, 30),
        Goal("missed_share", 0.0, None),
        Goal("first_response_p90", 90.0, None),
    ]
    assert check_goals([]) == []


@pytest.mark.parametrize(
    ("goals", "field"),
    [
        ("service_level", "goals"),
        ([{"metric": "missed_share", "target": 0.1}] * 6, "goals"),
        ([{"metric": "satisfaction", "target": 0.9}, {"metric": "missed_share", "target": 1.5}], "goals[1].target"),
        ([{"metric": "satisfaction", "target": 0.9}, {"metric": "satisfaction", "target": 0.8}], "goals[1].metric"),
        ([{"metric": "missed_share", "target": True}], "goals[0].target"),
        ([{"metric": "missed_share", "target": float("nan")}], "goals[0].target"),
        ([{"metric": "missed_share", "target": -0.1}], "goals[0].target"),
        ([{"metric": "handle_p50", "target": 86_401}], "goals[0].target"),
        ([{"metric": "service_level", "target": 0.9, "seconds": 25}], "goals[0].seconds"),
        ([{"metric": "service_level", "target": 0.9, "seconds": 30.0}], "goals[0].seconds"),
        ([{"metric": "satisfaction", "target": 0.9, "seconds": 30}], "goals[0].seconds"),
        ([{"metric": "Satisfaction", "target": 0.9}], "goals[0].metric"),
        ([{"metric": "satisfaction", "target": 0.9, "note": "x"}], "goals[0].note"),
        ([None], "goals[0]"),
    ],
)
def test_each_mistake_is_named(goals, field):
    with pytest.raises(ChatRuleError) as e:
        check_goals(goals)
    assert (e.value.code, e.value.field) == ("bad_request", field)
    assert str(e.value).startswith(field + ":")


def test_met_is_at_least_or_at_most_the_target_and_none_without_a_figure():
    assert is_met("service_level", 0.8, 0.8) is True
    assert is_met("service_level", 0.79, 0.8) is False
    assert is_met("missed_share", 0.05, 0.05) is True
    assert is_met("missed_share", 0.06, 0.05) is False
    assert is_met("handle_p50", 301, 300) is False
    assert is_met("satisfaction", None, 0.9) is None


def _sums(first_responses: list[float], **counts: float) -> dict[str, float]:
    sums: dict[str, float] = dict(counts)
    sums["first_response_n"] = len(first_responses)
    sums["first_response_sum"] = sum(first_responses)
    for v in first_responses:
        column = bucket_column("first_response", bucket_of(v))
        sums[column] = sums.get(column, 0) + 1
    return sums


def test_figures_from_summed_rollups():
    sums = _sums([3, 12, 30, 31, 400], chats=8, missed=3, rated=4, rating_good=3)
    # answered within 30 s: 3 of 5 (30 itself is within: buckets hold v <= edge)
    assert goal_figure(Goal("service_level", 0.8, 30), sums) == pytest.approx(0.6)
    assert goal_figure(Goal("service_level", 0.8, 45), sums) == pytest.approx(0.8)
    assert goal_figure(Goal("missed_share", 0.1), sums) == pytest.approx(3 / 8)
    assert goal_figure(Goal("satisfaction", 0.9), sums) == pytest.approx(0.75)
    p90 = goal_figure(Goal("first_response_p90", 60), sums)
    assert p90 == summarize_rollup(sums, "first_response")["p90"] and 30 < p90 <= 450
    empty: dict[str, float] = {}
    for goal in (Goal("service_level", 0.8, 30), Goal("missed_share", 0.1), Goal("handle_p50", 60)):
        assert goal_figure(goal, empty) is None
