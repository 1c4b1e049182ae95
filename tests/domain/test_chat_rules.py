"""Pure chat rules: message text, client ids, and which transitions each status allows."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from frontdesk.domain.chat_rules import (
    PREVIEW_CHARS,
    AuthorType,
    ChatRuleError,
    ChatStatus,
    can_accept,
    can_close,
    can_send,
    check_client_id,
    check_message_text,
    preview,
)
from frontdesk.domain.text import strip_controls

VALID_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # used with fullmatch: no $ loophole


def refused(fn, *args, **kwargs) -> ChatRuleError:
    with pytest.raises(ChatRuleError) as info:
        fn(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------- check_message_text


def test_message_text_is_stripped():
    assert check_message_text("  \n\thello there \r\n", max_chars=100) == "hello there"


def test_inner_whitespace_is_kept():
    assert check_message_text(" a\n\nb  c ", max_chars=100) == "a\n\nb  c"


@pytest.mark.parametrize("text", ["", " ", "\n\t \r\n", "\u2003\u00a0"])
def test_empty_or_blank_text_is_refused(text):
    err = refused(check_message_text, text, max_chars=100)
    assert err.code == "bad_request"
    assert err.field == "text" and err.message.startswith("text:")


@pytest.mark.parametrize("text", ["\x00", "hello\x00", "\x00 hi", "a\x00b"])
def test_nul_is_refused(text):
    err = refused(check_message_text, text, max_chars=100)
    assert err.code == "bad_request" and err.field == "text" and "NUL" in err.message


@pytest.mark.parametrize("value", [None, 42, b"bytes", ["hi"], {"text": "hi"}])
def test_non_string_text_is_refused(value):
    err = refused(check_message_text, value, max_chars=100)
    assert err.code == "bad_request" and err.field == "text"


def test_text_at_the_limit_is_accepted_and_measured_after_stripping():
    text = "  " + "x" * 10 + "  \n"
    assert check_message_text(text, max_chars=10) == "x" * 10


def test_text_over_the_limit_is_too_large():
    err = refused(check_message_text, "x" * 11, max_chars=10)
    assert err.code == "too_large" and err.field == "text"
    assert err.message.startswith("text:") and "10" in err.message and "11" in err.message


@given(text=st.text(max_size=60), max_chars=st.integers(min_value=1, max_value=40))
def test_message_text_property(text, max_chars):
    """Either the stored text is the stripped input, without control characters other than newline
    and tab (domain/text.py), within the limit, or the right error."""
    cleaned = strip_controls(text.replace("\x00", ""), multiline=True).strip()
    try:
        stored = check_message_text(text, max_chars=max_chars)
    except ChatRuleError as err:
        assert err.field == "text"
        if "\x00" in text or not cleaned:
            assert err.code == "bad_request"
        else:
            assert err.code == "too_large" and len(cleaned) > max_chars
        return
    assert stored == cleaned
    assert stored and len(stored) <= max_chars and "\x00" not in stored


# ---------------------------------------------------------------- check_client_id


@given(st.from_regex(VALID_CLIENT_ID, fullmatch=True))
def test_valid_client_ids_are_returned_unchanged(client_id):
    assert check_client_id(client_id) == client_id


# Everything but "\n" (tested on its own below): the pattern, its neighbours and the rest of Unicode.
NEAR_ALPHABET = st.one_of(
    st.sampled_from("azAZ09_-"),
    st.sampled_from(" .+/=:;@!~*'\"\\\t\r\x00é٣ＡＺ"),
    st.characters(exclude_characters="\n"),
)


@given(st.text(alphabet=NEAR_ALPHABET, min_size=0, max_size=70))
def test_client_id_accepted_exactly_when_it_matches_the_pattern(client_id):
    if VALID_CLIENT_ID.fullmatch(client_id):
        assert check_client_id(client_id) == client_id
    else:
        err = refused(check_client_id, client_id)
        assert err.code == "bad_request" and err.field == "client_id"
        assert err.message.startswith("client_id:")


@pytest.mark.parametrize(
    "client_id",
    ["a" * 7, "a" * 65, "", "abcd efgh", "abcd.efgh", "ＡＢＣＤＥＦＧＨ", "abcdefgh\t", "\nabcdefgh"],
)
def test_client_id_boundaries(client_id):
    assert refused(check_client_id, client_id).code == "bad_request"


@pytest.mark.parametrize("client_id", ["a" * 8, "A" * 64, "a-b_c-0123", "________"])
def test_client_id_boundaries_accepted(client_id):
    assert check_client_id(client_id) == client_id


@pytest.mark.parametrize("value", [None, 12345678, b"abcdefgh", ["abcdefgh"]])
def test_non_string_client_id_is_refused(value):
    assert refused(check_client_id, value).field == "client_id"


@pytest.mark.parametrize("client_id", ["abcdefgh\n", "a" * 64 + "\n"])
def test_client_id_with_trailing_newline_is_refused(client_id):
    assert refused(check_client_id, client_id).code == "bad_request"


@given(st.text(alphabet=st.sampled_from("aZ9_-\n. "), max_size=70))
@example("abcdefgh\n")
def test_client_id_property_over_all_text(client_id):
    if VALID_CLIENT_ID.fullmatch(client_id):
        assert check_client_id(client_id) == client_id
    else:
        assert refused(check_client_id, client_id).code == "bad_request"


# ---------------------------------------------------------------- transitions

SEND_RULES = {
    # (status, author): None when allowed, else the error code
    (ChatStatus.QUEUED, AuthorType.VISITOR): None,
    (ChatStatus.QUEUED, AuthorType.AGENT): "conflict",
    (ChatStatus.QUEUED, AuthorType.SYSTEM): None,
    (ChatStatus.ACTIVE, AuthorType.VISITOR): None,
    (ChatStatus.ACTIVE, AuthorType.AGENT): None,
    (ChatStatus.ACTIVE, AuthorType.SYSTEM): None,
    (ChatStatus.CLOSED, AuthorType.VISITOR): "chat_closed",
    (ChatStatus.CLOSED, AuthorType.AGENT): "chat_closed",
    (ChatStatus.CLOSED, AuthorType.SYSTEM): "chat_closed",
}


def test_send_rules_cover_every_status_and_author():
    assert set(SEND_RULES) == {(s, a) for s in ChatStatus for a in AuthorType}


@pytest.mark.parametrize(("status", "author"), list(SEND_RULES))
def test_can_send(status, author):
    expected = SEND_RULES[(status, author)]
    if expected is None:
        assert can_send(status, author) is None
        assert can_send(str(status), AuthorType(str(author))) is None  # plain strings from the DB
    else:
        assert refused(can_send, status, author).code == expected
        assert refused(can_send, str(status), author).code == expected


ME, OTHER = 7, 8
ACCEPT_RULES = {
    # (status, assignee): None when allowed, else the error code
    (ChatStatus.QUEUED, None): None,
    (ChatStatus.ACTIVE, ME): "conflict",
    (ChatStatus.ACTIVE, OTHER): "conflict",
    (ChatStatus.CLOSED, None): "chat_closed",
    (ChatStatus.CLOSED, ME): "chat_closed",
    (ChatStatus.CLOSED, OTHER): "chat_closed",
}


@pytest.mark.parametrize(("status", "assignee"), list(ACCEPT_RULES))
def test_can_accept(status, assignee):
    expected = ACCEPT_RULES[(status, assignee)]
    if expected is None:
        assert can_accept(str(status), assignee, ME) is None
    else:
        err = refused(can_accept, str(status), assignee, ME)
        assert err.code == expected
        if status == ChatStatus.ACTIVE:
            assert ("already have" in err.message) == (assignee == ME)


@pytest.mark.parametrize("status", list(ChatStatus))
def test_can_close(status):
    if status == ChatStatus.CLOSED:
        assert refused(can_close, str(status)).code == "chat_closed"
    else:
        assert can_close(str(status)) is None


@given(st.text(max_size=400))
def test_preview_is_short_and_single_spaced(text):
    p = preview(text)
    assert len(p) <= PREVIEW_CHARS
    assert "\n" not in p and "  " not in p
    if len(" ".join(text.split())) <= PREVIEW_CHARS:
        assert p == " ".join(text.split())
    else:
        assert p.endswith("…")
