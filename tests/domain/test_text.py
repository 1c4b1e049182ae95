"""The one text cleaner and the one e-mail address parser (frontdesk/domain/text.py): examples and
properties. Whatever the parser accepts becomes a mail header as it is; whatever the cleaner
returns holds no NUL, control or (in one line) bidi character, and cleaning it again changes
nothing."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.text import (
    BIDI_CONTROLS,
    clean_line,
    clean_text,
    parse_email_address,
    scrub,
    strip_controls,
)

POISONED = "=?utf-8?q?a=0D=0ABcc=3A_x=40evil.test?=@b.cd"
CONTROLS = {chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}

GOOD = [
    ("jane@example.com", "jane@example.com"),
    ("  Jane.Doe+tag@Example.COM ", "Jane.Doe+tag@example.com"),
    ("o'brien@shop.example.org", "o'brien@shop.example.org"),
    ("ann@bücher.de", "ann@xn--bcher-kva.de"),
    ("x@ｅｘａｍｐｌｅ.com", "x@example.com"),  # fullwidth letters: IDNA maps them
    ("a_b-c@sub-domain.example.co", "a_b-c@sub-domain.example.co"),
]

BAD = [
    POISONED,
    "=?utf-8?b?YWJj?=@example.com",
    "a?=b@example.com",
    "jane@example",
    "jane",
    "@example.com",
    "jane@",
    "a@b@example.com",
    "jane doe@example.com",
    "jane@exa mple.com",
    "jane@example.com\r\nBcc: evil@example.net",
    "jane@example.com\nBcc: x@y.zz",
    "jane@example.com, evil@example.net",
    "jane@example.com; evil@example.net",
    "Jane <jane@example.com>",
    '"jane"@example.com',
    "jane(comment)@example.com",
    "jane@[127.0.0.1]",
    "jane@1.2.3.4",
    "jane@-example.com",
    "jane@example-.com",
    "jane@exa_mple.com",
    "jane..doe@example.com",
    ".jane@example.com",
    "jane.@example.com",
    "jäne@example.com",  # a non-ASCII local part needs SMTPUTF8: not accepted
    "a" * 65 + "@example.com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 5) + ".com",  # over 254
    "jane\x00@example.com",
    "jane@example.com\u2028",
    "jane\u202e@example.com",
    "",
    "   ",
    None,
    42,
]


@pytest.mark.parametrize(("given", "expected"), GOOD)
def test_good_addresses_are_normalised(given, expected):
    assert parse_email_address(given) == expected


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_bad_addresses_are_a_400_naming_the_field(value):
    with pytest.raises(ChatRuleError) as info:
        parse_email_address(value, "reply_to")
    assert (info.value.code, info.value.field) == ("bad_request", "reply_to")
    assert info.value.message.startswith("reply_to: ")


def test_the_encoded_word_is_named_in_the_reason():
    with pytest.raises(ChatRuleError, match="encoded words"):
        parse_email_address(POISONED)


_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~.-"
addresses = st.one_of(
    st.emails().map(str),
    st.text(max_size=80),
    st.from_regex(rf"[{_ATEXT}]{{1,70}}@[^@]{{1,40}}", fullmatch=True),
    st.from_regex(rf"[{_ATEXT}]{{1,20}}@([a-z0-9-]{{1,20}}\.){{1,3}}[a-z]{{2,8}}", fullmatch=True),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.text(st.characters(codec="ascii"), min_size=1, max_size=20),
        st.text(min_size=1, max_size=30),
    ),
)


@settings(max_examples=500, deadline=None)
@given(addresses)
@example(POISONED)
@example("=?utf-8?q?x?=@example.com")
def test_whatever_the_parser_accepts_is_one_plain_header_address(value):
    try:
        address = parse_email_address(value)
    except ChatRuleError:
        return
    assert "\r" not in address and "\n" not in address
    assert address.isascii() and len(address) <= 254
    assert not any(ch.isspace() or ch in CONTROLS or ch in '"<>(),;:[]\\' for ch in address)
    message = EmailMessage()
    message["To"] = address
    message["Reply-To"] = address
    message["Subject"] = "x"
    message.set_content("body")
    assert str(message["To"]) == address  # nothing decoded, nothing added
    assert [a.addr_spec for a in message["To"].addresses] == [address]
    message.as_bytes()
    assert parse_email_address(address) == address  # normalised: parsing again changes nothing


any_text = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(sorted(CONTROLS) + list(BIDI_CONTROLS) + ["\u2028", "\u2029"]),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_one_line_cleaning_leaves_no_control_or_bidi_character_and_is_idempotent(value):
    cleaned = strip_controls(value)
    assert not (set(cleaned) & (CONTROLS | set(BIDI_CONTROLS) | {"\u2028", "\u2029"}))
    assert strip_controls(cleaned) == cleaned
    line = clean_line(value.replace("\x00", ""), "name")
    assert line == clean_line(line, "name") and line == line.strip()
    assert scrub(value) == scrub(scrub(value) or "") or scrub(value) is None
    assert "\x00" not in (scrub(value) or "")


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_multi_line_cleaning_keeps_only_newlines_and_tabs_and_is_idempotent(value):
    cleaned = strip_controls(value, multiline=True)
    assert not (set(cleaned) & (CONTROLS - {"\n", "\t"}))
    assert strip_controls(cleaned, multiline=True) == cleaned


def test_typed_text_with_nul_is_a_400_naming_the_field_and_other_controls_go():
    with pytest.raises(ChatRuleError) as info:
        clean_text("Ann\x00", "name")
    assert (info.value.code, info.value.field) == ("bad_request", "name")
    with pytest.raises(ChatRuleError) as info:
        clean_line(7, "title")
    assert info.value.field == "title"
    assert clean_line("  Ann\t\u202eLee\u202c \x07", "name") == "Ann Lee"
    assert clean_text("line one\r\nline\x1b two\ttab", "text", multiline=True) == "line one\nline two\ttab"
    assert clean_text("مرحبا\u200f", "text", multiline=True) == "مرحبا\u200f"  # bidi kept in message text
    assert scrub("Check\x00out\u202e") == "Checkout"
    assert scrub("\x00\x01") is None and scrub(42) is None
    assert scrub("a" * 400, max_chars=300) == "a" * 300
