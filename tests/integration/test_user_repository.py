"""DynamoUserRepository through PynamoDB on the emulated DynamoDB: idempotent create, optimistic locking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.adapters.dynamodb import DynamoUserRepository
from backend.domain.users import NotificationPreferences, User, new_user
from backend.errors import ConflictError
from backend.local.testing import LocalRun
from tests.integration.conftest import USERS_TABLE

NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(scope="module")
def repo(local: LocalRun) -> DynamoUserRepository:
    return DynamoUserRepository()  # the models point at this module's emulator (local_aws configured them)


def a_new_user(user_id: str) -> User:
    return new_user(user_id=user_id, email=f"{user_id}@example.com", now=NOW)


def test_get_of_an_unknown_user_is_none(repo: DynamoUserRepository) -> None:
    assert repo.get("nobody") is None


def test_add_stores_every_field(repo: DynamoUserRepository, dynamodb: Any) -> None:
    user = replace(
        a_new_user("u-fields"),
        timezone="Pacific/Auckland",
        preferences=NotificationPreferences(email_notifications=False, sms_phone="+6421123456"),
    )
    stored = repo.add(user)
    assert stored == replace(user, version=1)
    assert repo.get("u-fields") == stored
    # The item as other readers (analytics, ops) see it: see docs/data-model.md.
    item = dynamodb.get_item(TableName=USERS_TABLE, Key={"user_id": {"S": "u-fields"}})["Item"]
    assert item["email"] == {"S": "u-fields@example.com"}
    assert item["version"] == {"N": "1"}
    assert item["preferences"]["M"]["email_notifications"] == {"BOOL": False}
    assert item["preferences"]["M"]["sms_phone"] == {"S": "+6421123456"}


def test_datetimes_come_back_in_utc(repo: DynamoUserRepository) -> None:
    berlin_time = NOW.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    stored = repo.add(replace(a_new_user("u-tz"), created_at=berlin_time, updated_at=berlin_time))
    fetched = repo.get("u-tz")
    assert fetched is not None
    assert fetched.created_at == NOW
    assert fetched.created_at.utcoffset() == timedelta(0)
    assert stored.created_at == NOW


def test_add_is_idempotent(repo: DynamoUserRepository) -> None:
    first = repo.add(a_new_user("u-twice"))
    again = repo.add(replace(a_new_user("u-twice"), display_name="someone else", created_at=NOW + timedelta(1)))
    assert again == first  # what is stored, not what was sent
    assert repo.get("u-twice") == first


def test_save_bumps_the_version(repo: DynamoUserRepository) -> None:
    stored = repo.add(a_new_user("u-save"))
    saved = repo.save(replace(stored, display_name="Renamed"))
    assert saved.version == stored.version + 1
    assert repo.get("u-save") == saved


def test_save_with_a_stale_version_is_a_conflict(repo: DynamoUserRepository) -> None:
    stored = repo.add(a_new_user("u-stale"))
    winner = repo.save(replace(stored, display_name="First writer"))
    with pytest.raises(ConflictError):
        repo.save(replace(stored, display_name="Second writer"))  # still based on version 1
    assert repo.get("u-stale") == winner


def test_save_of_a_deleted_user_is_a_conflict_and_does_not_resurrect_it(repo: DynamoUserRepository) -> None:
    stored = repo.add(a_new_user("u-deleted"))
    repo.delete("u-deleted")
    with pytest.raises(ConflictError):
        repo.save(replace(stored, display_name="Ghost"))
    assert repo.get("u-deleted") is None


def test_save_of_a_never_stored_user_is_a_conflict_only_if_it_exists(repo: DynamoUserRepository) -> None:
    fresh = a_new_user("u-never")  # version 0: "must not exist yet"
    assert repo.save(fresh).version == 1
    with pytest.raises(ConflictError):
        repo.save(fresh)


def test_delete_is_idempotent(repo: DynamoUserRepository) -> None:
    repo.add(a_new_user("u-delete"))
    repo.delete("u-delete")
    repo.delete("u-delete")
    assert repo.get("u-delete") is None
