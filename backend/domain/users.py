"""The user profile: pure rules, no storage."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
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
    # How the user writes numeric dates in quick add ("DMY", "MDY", "YMD"); None: from the time zone (issue 14).
    date_order: str | None = None


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
    # Tokens from sign-ins before this instant are refused (a password reset, a deleted account): issue 12.
    sessions_valid_after: datetime | None = None
    # Set on the marker that replaces a deleted account's row until the last of its tokens has expired.
    deleted_at: datetime | None = None
    # The shared projects the user is a member of (issue 13, owner included; <= 50). Changed only in the transaction
    # that adds or removes their ``M#`` row (adapters/task_store/sharing.py); a profile save never writes it.
    shared_projects: frozenset[str] = frozenset()


# How long a deleted account's marker outlives it: longer than an access token (1 h) and the authorizer cache.
DELETED_MARKER_LIFETIME = timedelta(days=1)


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


def without_old_sessions(user: User, *, now: datetime) -> User:
    """The user after a password reset or a "sign out everywhere": every token from an earlier sign-in is refused
    from ``now`` on."""
    return replace(user, sessions_valid_after=now)


def deleted_marker(*, user_id: str, now: datetime, version: int = 0) -> User:
    """What stays of a deleted account until its tokens have expired: the id and two instants, nothing personal."""
    return User(
        id=user_id,
        email="",
        display_name="",
        timezone=None,
        created_at=now,
        updated_at=now,
        version=version,
        sessions_valid_after=now,
        deleted_at=now,
    )


def first_valid_second(cut_off: datetime) -> int:
    """The first whole second (epoch) whose sign-ins count after a cut-off.

    Token times are whole seconds, so a sign-in in the same second as the cut-off cannot be told from one just
    before it: it is refused (the safe side). The password-reset trigger returns only once this second has
    begun, so the sign-in that follows a reset always counts.
    """
    return math.ceil(cut_off.timestamp())


def until_first_valid_second(cut_off: datetime) -> timedelta:
    """How long after a cut-off its sign-ins start to count again (under a second): what whoever sets a cut-off
    waits before answering, so the user's next sign-in is never taken for an old one."""
    return timedelta(seconds=first_valid_second(cut_off) - cut_off.timestamp())


def session_is_current(user: User, *, signed_in_at: int | None) -> bool:
    """Whether a token whose sign-in was at ``signed_in_at`` (``auth_time``, whole epoch seconds) still counts."""
    if user.sessions_valid_after is None:
        return True
    return signed_in_at is not None and signed_in_at >= first_valid_second(user.sessions_valid_after)
