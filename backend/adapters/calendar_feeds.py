"""The calendar feed's token, stored hashed in the Tasks table (issue 14).

  ``FEED#<sha256>`` / ``FEED``   the pointer a feed request reads (one GetItem): whose feed this is
  ``<sub>``         / ``FEED``   the user's side: the hash of their current feed, so a new one or a revocation
                                 deletes the old pointer in the same transaction (the old URL answers 404 at once)

One feed per user (a project feed is the same token with ``?project_id=``). The token itself is never stored.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.models import TableMeta
from backend.adapters.write_errors import is_conditional_failure
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


class DynamoCalendarFeeds:
    def replace(self, user_id: str, token_hash: str, *, now: datetime) -> None:
        current = _current(user_id)
        unchanged: Condition
        try:
            with TransactWrite(connection=UserFeedModel._get_connection().connection) as transaction:
                if current is not None:
                    transaction.delete(FeedPointerModel(POINTER + current.token_hash, FEED))
                    unchanged = UserFeedModel.token_hash == current.token_hash
                else:
                    unchanged = UserFeedModel.user_id.does_not_exist()
                transaction.save(
                    FeedPointerModel(POINTER + token_hash, FEED, owner_id=user_id, created_at=now),
                    condition=FeedPointerModel.user_id.does_not_exist(),
                )
                transaction.save(
                    UserFeedModel(user_id, FEED, token_hash=token_hash, created_at=now), condition=unchanged
                )
        except TransactWriteError as exc:
            if is_conditional_failure(exc):  # another request replaced or revoked it meanwhile
                raise ConflictError("The calendar feed was changed meanwhile; try again.") from exc
            raise

    def revoke(self, user_id: str) -> bool:
        current = _current(user_id)
        if current is None:
            return False
        try:
            with TransactWrite(connection=UserFeedModel._get_connection().connection) as transaction:
                transaction.delete(FeedPointerModel(POINTER + current.token_hash, FEED))
                transaction.delete(
                    UserFeedModel(user_id, FEED), condition=UserFeedModel.token_hash == current.token_hash
                )
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The calendar feed was changed meanwhile; try again.") from exc
            raise
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
