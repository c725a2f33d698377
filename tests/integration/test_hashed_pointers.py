"""The secrets found by their hash (the task email address, the calendar feed): a new one ends the old one in the
same write, a write made on a stale read is refused, and a removal takes the pointer along."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from backend.adapters.calendar_feeds import DynamoCalendarFeeds
from backend.adapters.task_addresses import DynamoTaskAddresses
from backend.errors import ConflictError
from backend.local.testing import LocalRun

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def addresses(local: LocalRun) -> DynamoTaskAddresses:
    from backend.bootstrap import dependencies

    dependencies()  # (configures the models for this module's emulator)
    return DynamoTaskAddresses()


@pytest.fixture(scope="module")
def feeds(addresses: DynamoTaskAddresses) -> DynamoCalendarFeeds:
    return DynamoCalendarFeeds()


def test_an_address_replaced_ends_the_old_one_and_a_stale_replace_is_refused(addresses: DynamoTaskAddresses) -> None:
    user = f"u-{uuid.uuid4().hex}"
    assert addresses.replace(user, "first", now=NOW, previous=None)
    assert not addresses.replace(user, "other", now=NOW, previous=None)  # read before the first one was made
    assert addresses.replace(user, "second", now=NOW, previous="first")
    assert (addresses.owner_of("first"), addresses.owner_of("second"), addresses.current(user)) == (
        None,
        user,
        "second",
    )
    assert not addresses.replace(user, "third", now=NOW, previous="first")  # stale: "second" stays
    assert addresses.owner_of("third") is None
    assert addresses.forget(user)
    assert (addresses.owner_of("second"), addresses.current(user)) == (None, None)
    assert not addresses.forget(user)


def test_a_feed_replaced_or_revoked_takes_its_pointer_along(feeds: DynamoCalendarFeeds) -> None:
    user = f"u-{uuid.uuid4().hex}"
    feeds.replace(user, "a" * 64, now=NOW)
    feeds.replace(user, "b" * 64, now=NOW)
    assert (feeds.owner_of("a" * 64), feeds.owner_of("b" * 64)) == (None, user)
    other = f"u-{uuid.uuid4().hex}"
    with pytest.raises(ConflictError):  # a hash already in use is never overwritten
        feeds.replace(other, "b" * 64, now=NOW)
    assert feeds.owner_of("b" * 64) == user
    assert feeds.revoke(user)
    assert feeds.owner_of("b" * 64) is None
    assert not feeds.revoke(user)
