"""DynamoDB through PynamoDB: the table models and the repositories built on them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import base as pynamodb_connection
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from backend import aws
from backend.adapters import prefetched
from backend.adapters.api_tokens import TOKEN_MODELS
from backend.adapters.attachments import ATTACHMENT_MODELS
from backend.adapters.calendar_feeds import FEED_MODELS
from backend.adapters.notifications import NotificationModel, configure_notification_models
from backend.adapters.task_addresses import ADDRESS_MODELS
from backend.adapters.task_store.activity import ACTIVITY_MODELS
from backend.adapters.task_store.comments import COMMENT_MODELS
from backend.adapters.task_store.erasure import ERASURE_MODELS
from backend.adapters.task_store.models import TASK_TABLE_MODELS, TaskModel
from backend.adapters.webhooks import configure_webhook_models
from backend.adapters.write_errors import is_conditional_failure
from backend.domain.stats import DEFAULT_DAILY_GOAL
from backend.domain.users import DELETED_MARKER_LIFETIME, NotificationPreferences, User
from backend.errors import ConflictError
from backend.names import ResourceNames

# Every model's connection takes its botocore session from the process's shared one (see ``aws.pynamodb_session``).
pynamodb_connection.get_session = aws.pynamodb_session  # type: ignore[attr-defined]  # (its module's import)


class PreferencesAttribute(MapAttribute[str, Any]):
    email_notifications = BooleanAttribute(default=True)
    sms_phone = UnicodeAttribute(null=True)
    # reminders and notifications (issue 5); absent on older rows, hence the defaults
    sms_verified = BooleanAttribute(default=False)
    sms_notifications = BooleanAttribute(default=False)
    in_app_notifications = BooleanAttribute(default=True)
    quiet_start = UnicodeAttribute(null=True)
    quiet_end = UnicodeAttribute(null=True)
    default_reminder_minutes = NumberAttribute(null=True)
    digest_enabled = BooleanAttribute(default=False)
    digest_time = UnicodeAttribute(default="08:00")
    daily_goal = NumberAttribute(null=True)  # null: the default goal
    weekly_summary = BooleanAttribute(null=True)
    date_order = UnicodeAttribute(null=True)  # null: from the time zone (issue 14)


_NOTIFICATION_FIELDS = (
    "sms_verified",
    "sms_notifications",
    "in_app_notifications",
    "quiet_start",
    "quiet_end",
    "default_reminder_minutes",
    "digest_enabled",
    "digest_time",
    "date_order",
)


def _preferences(item: PreferencesAttribute) -> NotificationPreferences:
    defaults = NotificationPreferences()
    values = {name: getattr(item, name, None) for name in _NOTIFICATION_FIELDS}
    minutes = values["default_reminder_minutes"]
    return NotificationPreferences(
        email_notifications=bool(item.email_notifications),
        sms_phone=item.sms_phone,
        sms_verified=bool(values["sms_verified"]),
        sms_notifications=bool(values["sms_notifications"]),
        in_app_notifications=defaults.in_app_notifications
        if values["in_app_notifications"] is None
        else bool(values["in_app_notifications"]),
        quiet_start=values["quiet_start"],
        quiet_end=values["quiet_end"],
        default_reminder_minutes=None if minutes is None else int(minutes),
        digest_enabled=bool(values["digest_enabled"]),
        digest_time=values["digest_time"] or defaults.digest_time,
        daily_goal=int(item.daily_goal or DEFAULT_DAILY_GOAL),
        weekly_summary=bool(item.weekly_summary),
        date_order=values["date_order"],
    )


class UserModel(Model):
    """Users table: one item per Cognito user, keyed by the ``sub``."""

    class Meta:
        table_name = "users"  # set from Settings by configure_models()
        billing_mode = "PAY_PER_REQUEST"
        region = "us-east-1"
        host: str | None = None

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    timezone = UnicodeAttribute(null=True)
    preferences = PreferencesAttribute(default=PreferencesAttribute)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
    sessions_valid_after = UTCDateTimeAttribute(null=True)
    deleted_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # only on a deleted account's marker (the table's TTL removes it)
    # Issue 13: the shared projects the user is a member of. Written only by the membership transactions
    # (adapters/task_store/sharing.py, ADD/DELETE on the set); ``save`` never writes it, so a profile save from a
    # copy read before an invitation was accepted cannot drop it.
    shared_projects = UnicodeSetAttribute(null=True)


class UserSharedProjectsModel(Model):
    """The Users row seen only through ``shared_projects`` (no VersionAttribute): what the membership transactions
    write (ADD / DELETE of one project id), without touching the profile or its version."""

    class Meta:
        table_name = "users"  # set from Settings by configure_models()
        region = "us-east-1"
        host: str | None = None

    user_id = UnicodeAttribute(hash_key=True)
    shared_projects = UnicodeSetAttribute(null=True)


# What ``save`` writes: every attribute but the key, the version (PynamoDB bumps it) and ``shared_projects``.
_PROFILE_ATTRIBUTES = tuple(
    name for name in UserModel.get_attributes() if name not in {"user_id", "version", "shared_projects"}
)


# The models whose create_table() makes a table (the other Tasks-table models share TaskModel's table).
MODELS: tuple[type[Model], ...] = (UserModel, TaskModel, NotificationModel)


def configure_models(*, names: ResourceNames, region: str, endpoint: str | None) -> None:
    """Point every model at this stage's tables, region and endpoint (once per cold start)."""
    tables: dict[type[Model], str] = {UserModel: names.users_table, UserSharedProjectsModel: names.users_table}
    tables.update(dict.fromkeys(TASK_TABLE_MODELS, names.tasks_table))
    tables.update(dict.fromkeys(ATTACHMENT_MODELS, names.tasks_table))
    tables.update(dict.fromkeys(FEED_MODELS + TOKEN_MODELS + ADDRESS_MODELS, names.tasks_table))
    tables.update(dict.fromkeys(ACTIVITY_MODELS + COMMENT_MODELS + ERASURE_MODELS, names.tasks_table))
    for model, table_name in tables.items():
        model.Meta.table_name = table_name
        model.Meta.region = region  # type: ignore[attr-defined]
        model.Meta.host = endpoint  # type: ignore[attr-defined]
        model._connection = None  # rebuilt lazily with the new settings
    configure_notification_models(table_name=names.notifications_table, region=region, endpoint=endpoint)
    configure_webhook_models(table_name=names.notifications_table, region=region, endpoint=endpoint)


def _to_domain(item: UserModel) -> User:
    return User(
        id=item.user_id,
        email=item.email,
        display_name=item.display_name,
        timezone=item.timezone,
        created_at=item.created_at,
        updated_at=item.updated_at,
        preferences=_preferences(item.preferences),
        version=int(item.version or 0),
        sessions_valid_after=item.sessions_valid_after,
        deleted_at=item.deleted_at,
        shared_projects=frozenset(item.shared_projects or ()),
    )


def _to_item(user: User) -> UserModel:
    item = UserModel(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        created_at=user.created_at.astimezone(UTC),
        updated_at=user.updated_at.astimezone(UTC),
        preferences=PreferencesAttribute(
            email_notifications=user.preferences.email_notifications,
            sms_phone=user.preferences.sms_phone,
            **{name: getattr(user.preferences, name) for name in _NOTIFICATION_FIELDS},
            daily_goal=user.preferences.daily_goal,
            weekly_summary=user.preferences.weekly_summary,
        ),
        sessions_valid_after=user.sessions_valid_after.astimezone(UTC) if user.sessions_valid_after else None,
        deleted_at=user.deleted_at.astimezone(UTC) if user.deleted_at else None,
        expires_at=user.deleted_at + DELETED_MARKER_LIFETIME if user.deleted_at else None,
        shared_projects=set(user.shared_projects) or None,
    )
    if user.version:  # VersionAttribute: unset means "must not exist yet", else "must still be this version"
        item.version = user.version
    return item


class DynamoUserRepository:
    def get(self, user_id: str) -> User | None:
        hit = prefetched.take(UserModel.Meta.table_name, user_id)  # the session check's read, fetched ahead
        if hit is not None:
            return _to_domain(UserModel.from_raw_data(hit.item)) if hit.item is not None else None
        try:
            return _to_domain(UserModel.get(user_id, consistent_read=True))
        except DoesNotExist:
            return None

    def add(self, user: User) -> User:
        item = _to_item(replace(user, version=0))
        try:
            item.save()  # conditional on absence (VersionAttribute)
        except PutError as exc:
            if not is_conditional_failure(exc):
                raise
            existing = self.get(user.id)
            if existing is None:  # deleted in between: nothing sensible to return but the new user
                raise
            return existing
        return _to_domain(item)

    def save(self, user: User) -> User:
        """Store the profile if still at ``user.version``. An UpdateItem of the profile's attributes, not a PutItem:
        ``shared_projects`` is left as stored (the membership transactions own it) and comes back current."""
        item = _to_item(user)
        if not user.version:
            return self._put_new(item)
        actions: list[Action] = []
        for name in _PROFILE_ATTRIBUTES:
            attribute, value = UserModel.get_attributes()[name], getattr(item, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        try:
            item.update(actions=actions)  # conditional on the version we read (and bumps it)
        except UpdateError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The profile was changed meanwhile; reload it and try again.") from exc
            raise
        return _to_domain(item)

    @staticmethod
    def _put_new(item: UserModel) -> User:
        try:
            item.save()  # conditional on absence (VersionAttribute)
        except PutError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The profile was changed meanwhile; reload it and try again.") from exc
            raise
        return _to_domain(item)

    def delete(self, user_id: str) -> None:
        # Unconditional: deleting an account wins over any concurrent profile edit.
        UserModel(user_id=user_id).delete(add_version_condition=False)
