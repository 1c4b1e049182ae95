"""Tracking's pure rules (frontdesk/domain/tracking.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.tracking import (
    REFERRER_CHARS,
    TITLE_CHARS,
    URL_CHARS,
    VISIT_IDLE,
    Page,
    VisitState,
    check_page_view,
    check_tracking_settings,
    check_visible_ms,
    clean_page,
    first_language,
    header_says_no,
    screen_class,
    should_track,
    truncate_ip,
    visit_continues,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_ip_addresses_are_truncated_to_their_network():
    assert truncate_ip("203.0.113.77") == "203.0.113.0"
    assert truncate_ip("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::"
    assert truncate_ip("::ffff:198.51.100.9") == "198.51.100.0"  # an IPv4 client on a dual stack
    assert truncate_ip("203.0.113.77", truncate=False) == "203.0.113.77"
    assert truncate_ip("testclient") is None
    assert truncate_ip(None) is None


def test_pages_are_cut_silently_and_cleaned():
    page = clean_page({"url": "https://x.test/" + "a" * 5000, "title": "T\x00\u202eitle" + "t" * 900, "referrer": 7})
    assert page is not None
    assert len(page.url) == URL_CHARS and len(page.title or "") <= TITLE_CHARS
    assert "\x00" not in (page.title or "") and "\u202e" not in (page.title or "")
    assert page.referrer is None  # not a string: not stored, not refused
    long_ref = clean_page({"url": "/", "referrer": "r" * 9000})
    assert long_ref is not None and len(long_ref.referrer or "") == REFERRER_CHARS
    assert clean_page({"url": "   "}) is None
    assert clean_page("nope") is None


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({}, "url"),
        ({"url": 5}, "url"),
        ({"url": "/a", "title": ["x"]}, "title"),
        ({"url": "/a", "referrer": {}}, "referrer"),
        ({"url": "/a", "prev_visible_ms": -1}, "prev_visible_ms"),
        ({"url": "/a", "prev_visible_ms": "12"}, "prev_visible_ms"),
        ({"url": "/a", "prev_visible_ms": True}, "prev_visible_ms"),
    ],
)
def test_a_bad_page_view_names_its_field(frame, field):
    with pytest.raises(ChatRuleError) as caught:
        check_page_view(frame)
    assert caught.value.field == field and caught.value.code == "bad_request"


def test_a_page_view_and_its_previous_time():
    page, prev = check_page_view({"url": "/pricing", "title": "Pricing", "prev_visible_ms": 1500.7})
    assert page == Page("/pricing", "Pricing", None) and prev == 1500
    assert check_visible_ms(10**12) == 24 * 3600 * 1000  # capped at a day, not refused
    with pytest.raises(ChatRuleError):
        check_visible_ms(float("nan"))


@pytest.mark.parametrize(
    ("mode", "dnt", "gpc", "consent", "tracked"),
    [
        ("on", False, False, None, True),
        ("on", True, True, None, True),  # on: the site chose to track everyone
        ("on", False, False, False, False),  # a page that said no is never tracked
        ("respect_dnt", False, False, None, True),
        ("respect_dnt", True, False, None, False),
        ("respect_dnt", False, True, None, False),
        ("consent", False, False, None, False),
        ("consent", False, False, True, True),
        ("off", False, False, True, False),
    ],
)
def test_should_track(mode, dnt, gpc, consent, tracked):
    assert should_track(mode, dnt=dnt, gpc=gpc, consent=consent) is tracked


def test_the_thirty_minute_rule():
    assert visit_continues(NOW - VISIT_IDLE + timedelta(seconds=1), None, NOW)
    assert not visit_continues(NOW - VISIT_IDLE, None, NOW)
    assert not visit_continues(NOW - timedelta(minutes=1), NOW - timedelta(minutes=1), NOW)  # ended
    assert not visit_continues(None, None, NOW)


def test_visit_state_counts_pages_and_visible_time():
    state = VisitState(visit_id=1, visitor_id="v", number=2, started_at=NOW)
    assert state.returning
    state.viewed(Page("/a", "A", "https://ref.test/"), NOW)
    state.timed(4000, NOW + timedelta(seconds=5))
    state.timed(3000, NOW + timedelta(seconds=6))  # never goes back
    assert (state.pages, state.visible_ms, state.page_visible_ms) == (1, 4000, 4000)
    state.viewed(Page("/b", None, None), NOW + timedelta(seconds=10), prev_visible_ms=6000)
    assert (state.pages, state.visible_ms, state.page_url, state.landing_url) == (2, 6000, "/b", "/a")
    state.timed(2500, NOW + timedelta(seconds=13))
    assert state.visible_ms == 8500


def test_settings_languages_screens_and_headers():
    assert check_tracking_settings({"mode": "consent"}) == {"mode": "consent"}
    for body, field in (
        ([], "body"),
        ({"mode": "maybe"}, "mode"),
        ({"truncate_ip": "yes"}, "truncate_ip"),
        ({"x": 1}, "x"),
    ):
        with pytest.raises(ChatRuleError) as caught:
            check_tracking_settings(body)
        assert caught.value.field == field
    assert first_language(["", "de-CH", "en"]) == "de-CH"
    assert first_language("x" * 100) == "x" * 35
    assert first_language(5) is None
    assert screen_class("phone") == "phone" and screen_class("watch") is None
    assert header_says_no("1") and not header_says_no("0") and not header_says_no(None)
