"""The calendar feed's token, stored hashed in the Tasks table (issue 14).

  ``FEED#<sha256>`` / ``FEED``   the pointer a feed request reads (one GetItem): whose feed this is
  ``<sub>``         / ``FEED``   the user's side: the hash of their current feed, so a new one or a revocation
                                 deletes the old pointer in the same transaction (the old URL answers 404 at once)

One feed per user (a project feed is the same token with ``?project_id=``). The token itself is never stored.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from backend.adapters import hashed_pointers
from backend.adapters.task_store.models import TableMeta
from backend.errors import ConflictError

FEED = "FEED"
POINTER = "FEED#"


class FeedPointerModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # FEED#<sha256 of the token>
    sk = UnicodeAttribute(range_key=True, default=FEED)
    owner_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class UserFeedModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the user's sub
    sk = UnicodeAttribute(range_key=True, default=FEED)
    token_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


FEED_MODELS: tuple[type[Model], ...] = (FeedPointerModel, UserFeedModel)


def _current(user_id: str) -> UserFeedModel | None:
    try:
        return UserFeedModel.get(user_id, FEED, consistent_read=True)
    except DoesNotExist:
        return None


def _unchanged(current: UserFeedModel | None) -> Condition:
    """The user's item still names the feed read (None: there was none)."""
    if current is None:
        return UserFeedModel.user_id.does_not_exist()
    return UserFeedModel.token_hash == current.token_hash


def _changed_meanwhile() -> ConflictError:
    return ConflictError("The calendar feed was changed meanwhile; try again.")


class DynamoCalendarFeeds:
    def replace(self, user_id: str, token_hash: str, *, now: datetime) -> None:
        current = _current(user_id)
        if not hashed_pointers.replace(
            old=FeedPointerModel(POINTER + current.token_hash, FEED) if current is not None else None,
            new=FeedPointerModel(POINTER + token_hash, FEED, owner_id=user_id, created_at=now),
            own=UserFeedModel(user_id, FEED, token_hash=token_hash, created_at=now),
            unchanged=_unchanged(current),
        ):  # another request replaced or revoked it meanwhile
            raise _changed_meanwhile()

    def revoke(self, user_id: str) -> bool:
        current = _current(user_id)
        if current is None:
            return False
        if not hashed_pointers.remove(
            pointer=FeedPointerModel(POINTER + current.token_hash, FEED),
            own=UserFeedModel(user_id, FEED),
            unchanged=_unchanged(current),
        ):
            raise _changed_meanwhile()
        return True

    def owner_of(self, token_hash: str) -> str | None:
        try:
            owner = str(FeedPointerModel.get(POINTER + token_hash, FEED).owner_id)
        except DoesNotExist:
            return None
        # The owner's row must still name this hash: "delete my data" erases the user's partition, not the pointer
        # (another partition), which must not keep a feed alive that the user can no longer see or revoke.
        current = _current(owner)
        return owner if current is not None and current.token_hash == token_hash else None
