"""The user profile rules: defaults of a new user and what an edit changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.domain.users import NotificationPreferences, User, default_display_name, new_user, with_changes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def a_user() -> User:
    return User(
        id="sub-1",
        email="ada@example.com",
        display_name="Ada",
        timezone="Europe/London",
        created_at=NOW,
        updated_at=NOW,
        preferences=NotificationPreferences(email_notifications=True, sms_phone="+441234567890"),
        version=3,
    )


def test_new_user_is_named_after_the_local_part_of_the_address() -> None:
    user = new_user(user_id="sub-1", email="grace.hopper@example.com", now=NOW)
    assert user.display_name == "grace.hopper"
    assert user.id == "sub-1"
    assert user.email == "grace.hopper@example.com"
    assert user.timezone is None
    assert user.created_at == user.updated_at == NOW
    assert user.preferences == NotificationPreferences(email_notifications=True, sms_phone=None)
    assert user.version == 0  # not stored yet


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("a@b.c", "a"),
        ("  spaced  @example.com", "spaced"),
        ("@example.com", "@example.com"),  # nothing before the "@": the whole address
        ("no-at-sign", "no-at-sign"),
        ("x" * 100 + "@example.com", "x" * 80),  # never longer than a display name may be
    ],
)
def test_default_display_name(email: str, name: str) -> None:
    assert default_display_name(email) == name


def test_with_changes_changes_only_what_is_given() -> None:
    user = a_user()
    changed = with_changes(user, now=LATER, display_name="Countess")
    assert changed.display_name == "Countess"
    assert changed.timezone == user.timezone
    assert changed.preferences == user.preferences
    assert changed.updated_at == LATER
    assert changed.created_at == NOW
    assert changed.version == user.version  # the repository bumps it when it stores the change
    assert user.display_name == "Ada"  # frozen: the original is untouched


def test_with_nothing_given_only_updated_at_moves() -> None:
    user = a_user()
    assert with_changes(user, now=LATER) == User(**{**user.__dict__, "updated_at": LATER})


def test_with_changes_sets_preferences() -> None:
    changed = with_changes(a_user(), now=LATER, timezone="Asia/Tokyo", email_notifications=False, sms_phone="+15550001")
    assert changed.timezone == "Asia/Tokyo"
    assert changed.preferences == NotificationPreferences(email_notifications=False, sms_phone="+15550001")


def test_clearing_the_sms_phone() -> None:
    changed = with_changes(a_user(), now=LATER, clear_sms_phone=True)
    assert changed.preferences.sms_phone is None
    assert changed.preferences.email_notifications is True


def test_sms_phone_none_without_clear_keeps_the_number() -> None:
    assert with_changes(a_user(), now=LATER, sms_phone=None).preferences.sms_phone == "+441234567890"


def test_false_is_a_change_not_an_absence() -> None:
    assert with_changes(a_user(), now=LATER, email_notifications=False).preferences.email_notifications is False
