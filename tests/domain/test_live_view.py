"""The live view's question (domain/live_view.check_live_query): every bad field is named."""

from __future__ import annotations

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.live_view import DEFAULT_PAGE_SIZE, SORTS, STATES, check_live_query


def test_nothing_asked_is_the_default_page():
    q = check_live_query({})
    assert (q.sort, q.descending, q.page, q.page_size, q.offset) == ("time_on_site", False, 1, DEFAULT_PAGE_SIZE, 0)
    assert (q.url, q.country, q.referrer, q.returning, q.state, q.department) == (None,) * 6


def test_filters_sorts_and_pages_are_read_from_a_frame_or_a_query_string():
    q = check_live_query(
        {"url": " /pricing ", "country": "de", "referrer": "google", "returning": "true", "state": "invited"},
        "-pages",
        "3",
        "20",
    )
    assert (q.url, q.country, q.referrer, q.returning, q.state) == ("/pricing", "DE", "google", True, "invited")
    assert (q.sort, q.descending, q.page, q.page_size, q.offset) == ("pages", True, 3, 20, 40)
    assert check_live_query({"returning": False, "department": 4}).department == 4
    for key in SORTS:
        assert check_live_query({}, key).sort == key
    for state in STATES:
        assert check_live_query({"state": state}).state == state


@pytest.mark.parametrize(
    ("filters", "sort", "page", "page_size", "field"),
    [
        ({}, None, None, 1000, "page_size"),
        ({}, None, None, 0, "page_size"),
        ({}, "bogus", None, None, "sort"),
        ({}, "--pages", None, None, "sort"),
        ({}, 5, None, None, "sort"),
        ({}, None, 0, None, "page"),
        ({}, None, True, None, "page"),
        ({"state": "sleeping"}, None, None, None, "filter.state"),
        ({"country": "DEU"}, None, None, None, "filter.country"),
        ({"country": "1x"}, None, None, None, "filter.country"),
        ({"url": "x" * 201}, None, None, None, "filter.url"),
        ({"referrer": 5}, None, None, None, "filter.referrer"),
        ({"url": "a\x00b"}, None, None, None, "filter.url"),
        ({"returning": "maybe"}, None, None, None, "filter.returning"),
        ({"department": 0}, None, None, None, "filter.department"),
        ({"department": 2**31}, None, None, None, "filter.department"),
        ({"colour": "red"}, None, None, None, "filter.colour"),
    ],
)
def test_bad_input_names_the_field(filters, sort, page, page_size, field):
    with pytest.raises(ChatRuleError) as err:
        check_live_query(filters, sort, page, page_size, prefix="filter.")
    assert err.value.code == "bad_request"
    assert err.value.field == field  # page, page_size and sort sit beside the filter: never prefixed
    assert err.value.message.startswith(field + ":")
