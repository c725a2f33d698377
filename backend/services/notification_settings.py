"""Notification preferences of the profile (issue 5): API shape <-> domain, and the rules of a change."""

from __future__ import annotations

from datetime import time
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.domain.quick_add import DateOrder, default_date_order
from backend.domain.reminders import QuietHours
from backend.domain.users import NotificationPreferences, User
from backend.errors import InvalidInputError
from backend.schemas import Preferences, PreferencesUpdate, QuietHoursWindow


def public_preferences(user: User) -> Preferences:
    p = user.preferences
    quiet = QuietHoursWindow(start=p.quiet_start, end=p.quiet_end) if p.quiet_start and p.quiet_end else None
    return Preferences(
        email_notifications=p.email_notifications,
        sms_phone=p.sms_phone,
        sms_verified=p.sms_verified,
        sms_notifications=p.sms_notifications,
        in_app_notifications=p.in_app_notifications,
        quiet_hours=quiet,
        default_reminder_minutes=p.default_reminder_minutes,
        digest_enabled=p.digest_enabled,
        digest_time=p.digest_time,
        daily_goal=p.daily_goal,
        weekly_summary=p.weekly_summary,
        date_order=date_order_of(user),
    )


def preference_changes(user: User, update: PreferencesUpdate | None) -> dict[str, Any]:
    """The notification fields a PATCH /me changes (``None`` on a nullable field clears it when sent)."""
    if update is None:
        return {}
    sent = update.model_fields_set
    changes: dict[str, Any] = {}
    for name in ("in_app_notifications", "digest_enabled"):
        if name in sent and getattr(update, name) is not None:
            changes[name] = getattr(update, name)
    if "digest_time" in sent and update.digest_time is not None:
        changes["digest_time"] = update.digest_time
    if "date_order" in sent:
        changes["date_order"] = update.date_order
    if "default_reminder_minutes" in sent:
        changes["default_reminder_minutes"] = update.default_reminder_minutes
    if "quiet_hours" in sent:
        window = update.quiet_hours
        changes["quiet_start"] = window.start if window else None
        changes["quiet_end"] = window.end if window else None
    if "sms_notifications" in sent and update.sms_notifications is not None:
        phone_changes = "sms_phone" in sent and update.sms_phone != user.preferences.sms_phone
        if update.sms_notifications and (phone_changes or not user.preferences.sms_verified):
            raise InvalidInputError(
                "Verify your phone number before turning on SMS.",
                fields={"preferences.sms_notifications": "needs a verified phone number"},
            )
        changes["sms_notifications"] = update.sms_notifications
    return changes


def date_order_of(user: User | None) -> DateOrder:
    """How the user writes numeric dates: their choice, else their time zone's usual order (issue 14)."""
    chosen = user.preferences.date_order if user else None
    if chosen in ("DMY", "MDY", "YMD"):
        return cast(DateOrder, chosen)
    return default_date_order(user.timezone if user else None)


def zone_of(user: User | None) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone) if user and user.timezone else ZoneInfo("UTC")
    except ZoneInfoNotFoundError:
        return ZoneInfo("UTC")


def quiet_hours(preferences: NotificationPreferences) -> QuietHours | None:
    if not preferences.quiet_start or not preferences.quiet_end:
        return None
    return QuietHours(start=time.fromisoformat(preferences.quiet_start), end=time.fromisoformat(preferences.quiet_end))
