"""The shared first check of every settings change (domain/settings.settings_object)."""

from __future__ import annotations

import pytest

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.retention import check_privacy_settings
from frontdesk.domain.satisfaction import check_rating_settings
from frontdesk.domain.settings import settings_object
from frontdesk.domain.tracking import check_tracking_settings


def field_of(check, data) -> str | None:  # type: ignore[no-untyped-def]
    with pytest.raises(ChatRuleError) as info:
        check(data)
    assert info.value.code == "bad_request"
    return info.value.field


def test_an_object_of_known_keys_passes_through():
    data = {"mode": "on"}
    assert settings_object(data, ("mode", "truncate_ip")) is data
    assert settings_object({}, ()) == {}


@pytest.mark.parametrize("data", [None, [], "mode=on", 3])
def test_anything_but_an_object_names_the_body_or_the_nested_field(data):
    assert field_of(lambda d: settings_object(d, ("mode",)), data) == "body"
    assert field_of(lambda d: settings_object(d, ("enabled",), at="rating"), data) == "rating"


def test_the_first_unknown_key_is_named_with_its_path():
    assert field_of(lambda d: settings_object(d, ("mode",)), {"mode": "on", "zeta": 1, "beta": 2}) == "beta"
    assert field_of(lambda d: settings_object(d, ("enabled",), at="rating"), {"colour": "red"}) == "rating.colour"


@pytest.mark.parametrize(
    ("check", "data", "field"),
    [
        (check_tracking_settings, {"mode": "on", "track_everything": True}, "track_everything"),
        (check_privacy_settings, {"retention_days": 30, "forever": True}, "forever"),
        (check_rating_settings, {"enabled": True, "stars": 10}, "rating.stars"),
        (check_tracking_settings, ["mode", "on"], "body"),
        (check_rating_settings, "yes", "rating"),
    ],
)
def test_each_settings_check_refuses_unknown_keys_by_name(check, data, field):
    assert field_of(check, data) == field
