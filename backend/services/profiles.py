"""Profile use cases: create on confirmation, read (self-healing), edit, delete. No HTTP, no boto3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from backend.adapters.ports import IdentityDirectory, UserRepository
from backend.domain.users import User, new_user, with_changes
from backend.errors import NotFoundError
from backend.schemas import ProfileUpdate
from backend.services.notification_settings import preference_changes


def register_confirmed_user(*, users: UserRepository, user_id: str, email: str, now: datetime) -> User:
    """The post-confirmation trigger: create the Users row once, however often Cognito retries."""
    return users.add(new_user(user_id=user_id, email=email, now=now))


def get_profile(*, users: UserRepository, identity: IdentityDirectory, user_id: str, now: datetime) -> User:
    """The caller's profile. A confirmed user whose row is missing (lost trigger, admin-confirmed) gets it now."""
    user = users.get(user_id)
    if user is not None:
        return user
    email = identity.email_of(user_id)
    if email is None:
        raise NotFoundError("This account no longer exists.")
    return register_confirmed_user(users=users, user_id=user_id, email=email, now=now)


def update_profile(
    *,
    users: UserRepository,
    identity: IdentityDirectory,
    user_id: str,
    changes: ProfileUpdate,
    now: datetime,
    on_timezone_change: Callable[[str], object] | None = None,
) -> User:
    user = get_profile(users=users, identity=identity, user_id=user_id, now=now)
    preferences = changes.preferences
    sent = preferences.model_fields_set if preferences else set()
    updated = with_changes(
        user,
        now=now,
        display_name=changes.display_name,
        timezone=changes.timezone,
        email_notifications=preferences.email_notifications if preferences else None,
        sms_phone=preferences.sms_phone if preferences else None,
        # An explicit ``"sms_phone": null`` removes the number; leaving it out keeps it.
        clear_sms_phone="sms_phone" in sent and preferences is not None and preferences.sms_phone is None,
        notifications=preference_changes(user, preferences),
        daily_goal=preferences.daily_goal if preferences else None,
        weekly_summary=preferences.weekly_summary if preferences else None,
    )
    if replace(updated, updated_at=user.updated_at) == user:
        return user  # nothing changed: no write, no new version
    saved = users.save(updated)
    if on_timezone_change is not None and saved.timezone != user.timezone:
        on_timezone_change(user_id)  # statistics count local days: re-base them on the new zone
    return saved


def delete_account(*, users: UserRepository, identity: IdentityDirectory, user_id: str) -> None:
    """Remove the sign-in identity first, so a half-finished delete never leaves a user who can sign in."""
    identity.delete_user(user_id)
    users.delete(user_id)
