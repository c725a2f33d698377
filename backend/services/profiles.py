"""Profile use cases: create on confirmation, check a caller, read (self-healing), edit, delete. No HTTP, no boto3."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from backend.adapters.ports import IdentityDirectory, UserRepository
from backend.domain.users import (
    User,
    deleted_marker,
    new_user,
    session_is_current,
    until_first_valid_second,
    with_changes,
    without_old_sessions,
)
from backend.errors import NotAuthenticatedError, NotFoundError, WrongPasswordError
from backend.schemas import ProfileUpdate
from backend.services.notification_settings import preference_changes


def register_confirmed_user(*, users: UserRepository, user_id: str, email: str, now: datetime) -> User:
    """The post-confirmation trigger: create the Users row once, however often Cognito retries."""
    return users.add(new_user(user_id=user_id, email=email, now=now))


def authenticate(
    *, users: UserRepository, identity: IdentityDirectory, user_id: str, signed_in_at: int | None, now: datetime
) -> User:
    """The caller behind a valid token, on every API request: the token is a JWT, valid for an hour whatever
    happened since, so the Users row says whether its sign-in still counts.

    Refused: a token from before a password reset or an account deletion (``sessions_valid_after``), and a
    caller whose Cognito user is gone. A missing row of a user who exists is created (docs/decisions.md §7), and
    so is a deleted-account marker met by a *newer* sign-in: the deletion stopped before removing the Cognito
    user (the only way to sign in after the marker), and the user must be able to use the account or delete it
    again.
    """
    user = users.get(user_id)
    if user is not None and not session_is_current(user, signed_in_at=signed_in_at):
        raise NotAuthenticatedError("Your session has ended. Sign in again.")
    if user is not None and user.deleted_at is None:
        return user
    email = identity.email_of(user_id)
    if email is None:
        raise NotAuthenticatedError("This account no longer exists.")
    if user is None:
        return register_confirmed_user(users=users, user_id=user_id, email=email, now=now)
    return users.save(replace(new_user(user_id=user_id, email=email, now=now), version=user.version))


def end_sessions(*, users: UserRepository, user_id: str, email: str, now: datetime) -> User:
    """After a password reset: every token from an earlier sign-in is refused (the refresh tokens are revoked
    by the caller). A missing row is created first, or the self-healing would let an old token back in."""
    user = users.get(user_id) or register_confirmed_user(users=users, user_id=user_id, email=email, now=now)
    return users.save(without_old_sessions(user, now=now))


def sign_out_everywhere(
    *,
    users: UserRepository,
    identity: IdentityDirectory,
    user_id: str,
    now: datetime,
    wait: Callable[[float], object] = time.sleep,
) -> None:
    """The user's own "sign out everywhere": every token from a sign-in until ``now`` is refused at once (access
    tokens by ``sessions_valid_after``, refresh tokens revoked by Cognito), this device's included.

    Cognito's GlobalSignOut alone revokes only the refresh tokens; the access tokens are JWTs valid for up to an
    hour. Returns once the cut-off's second is over (token times are whole seconds), like the reset trigger: the
    sign-in that follows is never taken for an old one."""
    user = get_profile(users=users, identity=identity, user_id=user_id, now=now)
    users.save(without_old_sessions(user, now=now))
    identity.sign_out_everywhere(user_id)
    wait(until_first_valid_second(now).total_seconds())


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


def delete_account(
    *,
    users: UserRepository,
    identity: IdentityDirectory,
    user_id: str,
    password: str,
    now: datetime,
    erase_data: Callable[[str], object],
) -> None:
    """Delete the account after a re-authentication with the password.

    Order: the data first (a failure later leaves a user who can sign in and retry, not data nobody can ask to
    delete); then the row becomes a marker that refuses every token issued so far, the refresh tokens are
    revoked, and the Cognito user goes last. A failure after the marker leaves a Cognito user who can sign in
    anew: ``authenticate`` gives that newer session its account back, so the deletion can be retried.
    """
    if not identity.password_matches(user_id, password):
        raise WrongPasswordError("That password is not correct.", fields={"password": "is not correct"})
    erase_data(user_id)
    current = users.get(user_id)
    marker = deleted_marker(user_id=user_id, now=now, version=current.version if current else 0)
    users.save(marker) if current is not None else users.add(marker)
    identity.sign_out_everywhere(user_id)
    identity.delete_user(user_id)
