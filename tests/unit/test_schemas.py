"""The API's request shapes: what PATCH /me accepts and what it refuses, before any AWS call."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from backend.schemas import ProfileUpdate


def rejected(payload: Any) -> dict[tuple[str | int, ...], str]:
    """The (location → error type) of every problem pydantic finds in ``payload``."""
    with pytest.raises(ValidationError) as caught:
        ProfileUpdate.model_validate(payload)
    return {tuple(error["loc"]): error["type"] for error in caught.value.errors()}


def test_an_empty_update_is_valid_and_changes_nothing() -> None:
    update = ProfileUpdate.model_validate({})
    assert update.model_fields_set == set()
    assert update.display_name is None


def test_a_full_update() -> None:
    update = ProfileUpdate.model_validate(
        {
            "display_name": "  Ada Lovelace  ",
            "timezone": "Europe/Berlin",
            "preferences": {"email_notifications": False, "sms_phone": "+4915112345678"},
        }
    )
    assert update.display_name == "Ada Lovelace"  # surrounding blanks are trimmed
    assert update.timezone == "Europe/Berlin"
    assert update.preferences is not None
    assert update.preferences.email_notifications is False
    assert update.preferences.sms_phone == "+4915112345678"


def test_unknown_fields_are_rejected_at_every_level() -> None:
    assert rejected({"nickname": "x"}) == {("nickname",): "extra_forbidden"}
    assert rejected({"preferences": {"push": True}}) == {("preferences", "push"): "extra_forbidden"}
    assert rejected({"email": "other@example.com"}) == {("email",): "extra_forbidden"}  # not editable here


def test_the_time_zone_must_be_an_iana_name() -> None:
    assert rejected({"timezone": "Mars/Olympus_Mons"}) == {("timezone",): "value_error"}
    assert rejected({"timezone": "europe/berlin"}) == {("timezone",): "value_error"}  # names are case-sensitive
    assert rejected({"timezone": ""}) == {("timezone",): "string_too_short"}
    assert rejected({"timezone": "A" * 65}) == {("timezone",): "string_too_long"}


@given(st.sampled_from(sorted(available_timezones())))
def test_every_iana_time_zone_is_accepted(name: str) -> None:
    assert ProfileUpdate.model_validate({"timezone": name}).timezone == name


def test_display_name_length() -> None:
    assert ProfileUpdate.model_validate({"display_name": "x" * 80}).display_name == "x" * 80
    assert rejected({"display_name": "x" * 81}) == {("display_name",): "string_too_long"}
    assert rejected({"display_name": ""}) == {("display_name",): "string_too_short"}
    assert rejected({"display_name": "   "}) == {("display_name",): "string_too_short"}  # blank after trimming


@pytest.mark.parametrize(
    "phone",
    ["12345678", "+0123456789", "+1 415 555 0123", "+1415555012345678", "+12345", "+1-415-555-0123", "phone"],
)
def test_sms_phone_must_be_e164(phone: str) -> None:
    assert rejected({"preferences": {"sms_phone": phone}}) == {("preferences", "sms_phone"): "string_pattern_mismatch"}


@pytest.mark.parametrize("phone", ["+14155550123", "+4915112345678", "+1234567"])
def test_e164_numbers_are_accepted(phone: str) -> None:
    update = ProfileUpdate.model_validate({"preferences": {"sms_phone": phone}})
    assert update.preferences is not None
    assert update.preferences.sms_phone == phone


def test_an_explicit_null_phone_is_told_apart_from_an_absent_one() -> None:
    cleared = ProfileUpdate.model_validate({"preferences": {"sms_phone": None}}).preferences
    kept = ProfileUpdate.model_validate({"preferences": {"email_notifications": True}}).preferences
    assert cleared is not None
    assert kept is not None
    assert "sms_phone" in cleared.model_fields_set
    assert "sms_phone" not in kept.model_fields_set


def test_wrong_types_are_rejected() -> None:
    assert rejected({"display_name": 5, "preferences": {"email_notifications": "maybe"}}) == {
        ("display_name",): "string_type",
        ("preferences", "email_notifications"): "bool_parsing",
    }
    assert rejected({"preferences": "yes"}) == {("preferences",): "model_type"}
    assert rejected([]) == {(): "model_type"}
