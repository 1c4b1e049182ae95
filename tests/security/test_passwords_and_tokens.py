"""Visitor tokens and password hashing."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.security.passwords import MIN_PASSWORD, hash_password, verify_password
from frontdesk.security.tokens import (
    hash_secret,
    new_secret,
    new_visitor_id,
    sign_visitor,
    verify_visitor_token,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
URLSAFE = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- visitor tokens


def test_token_verifies_to_its_visitor_id():
    visitor_id = new_visitor_id()
    token = sign_visitor(visitor_id, KEY)
    assert token.startswith(visitor_id + ".")
    assert verify_visitor_token(token, KEY) == visitor_id


def test_token_signed_with_another_key_fails():
    visitor_id = new_visitor_id()
    assert verify_visitor_token(sign_visitor(visitor_id, OTHER_KEY), KEY) is None
    assert verify_visitor_token(sign_visitor(visitor_id, KEY), OTHER_KEY) is None


def test_a_token_is_bound_to_its_visitor():
    a, b = new_visitor_id(), new_visitor_id()
    mac_of_a = sign_visitor(a, KEY).split(".")[1]
    assert verify_visitor_token(f"{b}.{mac_of_a}", KEY) is None


def test_visitor_ids_carry_128_random_bits():
    ids = [new_visitor_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for visitor_id in ids[:50]:
        assert visitor_id[0] == "V"
        body = visitor_id[1:]
        assert set(body) <= set(URLSAFE)
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        assert len(raw) * 8 >= 128
    # Every position varies (no constant padding hiding behind the length).
    for pos in range(1, len(ids[0]) - 1):
        assert len({i[pos] for i in ids}) > 20


@given(data=st.data())
def test_any_single_character_change_fails(data):
    visitor_id = new_visitor_id()
    token = sign_visitor(visitor_id, KEY)
    pos = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="pos")
    char = data.draw(st.sampled_from(string.printable), label="char")
    changed = token[:pos] + char + token[pos + 1 :]
    if changed != token:
        assert verify_visitor_token(changed, KEY) is None


@given(data=st.data())
def test_dropping_or_adding_a_character_fails(data):
    token = sign_visitor(new_visitor_id(), KEY)
    pos = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    assert verify_visitor_token(token[:pos] + token[pos + 1 :], KEY) is None
    char = data.draw(st.sampled_from(URLSAFE + "."))
    assert verify_visitor_token(token[:pos] + char + token[pos:], KEY) is None


@pytest.mark.parametrize(
    "value", [None, 123, 1.5, b"Vabc.def", ["V.x"], {"token": "x"}, object(), "", ".", "no-dot", "a.b.c"]
)
def test_malformed_tokens_are_none(value):
    assert verify_visitor_token(value, KEY) is None


def test_overlong_token_is_none():
    visitor_id = "V" + "a" * 200
    assert verify_visitor_token(sign_visitor(visitor_id, KEY), KEY) is None


@pytest.mark.parametrize("char", ["é", "€", "\u0100", "😀"])
def test_non_ascii_token_is_none(char):
    token = sign_visitor(new_visitor_id(), KEY)
    assert verify_visitor_token(token[:-1] + char, KEY) is None
    assert verify_visitor_token(f"V{char}.abc", KEY) is None


def test_secrets_are_random_and_hashed():
    a, b = new_secret(), new_secret()
    assert a != b and len(a) >= 43
    assert hash_secret(a) == hash_secret(a) != hash_secret(b)
    assert a not in hash_secret(a)


# ---------------------------------------------------------------- passwords


def test_password_hash_verifies_and_is_salted():
    password = "correct horse battery"
    first, second = hash_password(password), hash_password(password)
    assert first != second and password not in first
    assert first.startswith("$argon2id$")
    assert verify_password(first, password) and verify_password(second, password)
    assert not verify_password(first, password + "!")
    assert not verify_password(first, "Correct horse battery")


def test_verify_without_a_hash_or_with_garbage_is_false():
    assert verify_password(None, "whatever-long-enough") is False
    assert verify_password("", "whatever-long-enough") is False
    assert verify_password("not-a-hash", "whatever-long-enough") is False
    assert verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", "whatever-long-enough") is False


def test_minimum_password_length():
    with pytest.raises(ValueError, match="password"):
        hash_password("x" * (MIN_PASSWORD - 1))
    with pytest.raises(ValueError):
        hash_password("")
    assert verify_password(hash_password("y" * MIN_PASSWORD), "y" * MIN_PASSWORD)
