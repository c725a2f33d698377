"""The user profile: pure rules, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class NotificationPreferences:
    email_notifications: bool = True
    sms_phone: str | None = None  # E.164; verified by the reminders feature before SMS is sent
    # --- reminders and notifications (issue 5) ---
    sms_verified: bool = False  # the code sent to sms_phone came back; a new number needs a new code
    sms_notifications: bool = False  # only with a verified number
    in_app_notifications: bool = True
    quiet_start: str | None = None  # "HH:MM" local; no email/SMS from start to end (may wrap midnight)
    quiet_end: str | None = None
    default_reminder_minutes: int | None = None  # for tasks with a due time and no reminders of their own
    digest_enabled: bool = False
    digest_time: str = "08:00"  # local
    daily_goal: int = 3  # completions a day that keep a streak going (stats)
    weekly_summary: bool = False  # opt-in weekly summary email (stats)


@dataclass(frozen=True)
class User:
    id: str  # the Cognito ``sub``
    email: str
    display_name: str
    timezone: str | None  # IANA name; None until the browser or the user sets it
    created_at: datetime
    updated_at: datetime
    preferences: NotificationPreferences = field(default_factory=NotificationPreferences)
    version: int = 0  # optimistic locking; bumped by every save


def default_display_name(email: str) -> str:
    """What we call a new user before they choose: the part of the address before the ``@``."""
    local = email.split("@", 1)[0].strip()
    return (local or email)[:80]


def new_user(*, user_id: str, email: str, now: datetime) -> User:
    return User(
        id=user_id,
        email=email,
        display_name=default_display_name(email),
        timezone=None,
        created_at=now,
        updated_at=now,
    )


def with_changes(
    user: User,
    *,
    now: datetime,
    display_name: str | None = None,
    timezone: str | None = None,
    email_notifications: bool | None = None,
    sms_phone: str | None = None,
    clear_sms_phone: bool = False,
    notifications: dict[str, Any] | None = None,
    daily_goal: int | None = None,
    weekly_summary: bool | None = None,
) -> User:
    """The user after a profile edit; ``None`` means "leave as it is"."""
    preferences = user.preferences
    if email_notifications is not None:
        preferences = replace(preferences, email_notifications=email_notifications)
    if sms_phone is not None or clear_sms_phone:
        preferences = replace(preferences, sms_phone=sms_phone)
        if sms_phone != user.preferences.sms_phone:  # a new number is not verified (issue 5)
            preferences = replace(preferences, sms_verified=False, sms_notifications=False)
    if notifications:
        preferences = replace(preferences, **notifications)
    if daily_goal is not None:
        preferences = replace(preferences, daily_goal=daily_goal)
    if weekly_summary is not None:
        preferences = replace(preferences, weekly_summary=weekly_summary)
    return replace(
        user,
        display_name=display_name if display_name is not None else user.display_name,
        timezone=timezone if timezone is not None else user.timezone,
        preferences=preferences,
        updated_at=now,
    )
