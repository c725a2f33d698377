"""Comments on tasks: ``C#<task id>#<ulid>`` items in the task's partition (issue 13; layout in
``backend/domain/comments.py``).

Every write is one transaction: the comment, the task's ``comment_count`` (adding or deleting one; the task's
version goes up with it, as with attachments, so an edit based on the task read before cannot overwrite the count)
and, in a shared project, the activity row. The task must still be in the partition the caller was given access
through: a task moved or deleted meanwhile fails the condition, and the service answers with what it finds then.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.activity import ACTIVITY, ActivityModel, activity_item
from backend.adapters.task_store.cursors import decode_partition_cursor, partition_cursor
from backend.adapters.task_store.models import TASK, TableMeta, connection
from backend.adapters.write_errors import is_conditional_failure
from backend.domain.activity import ActivityEntry, comment_words
from backend.domain.comments import Comment
from backend.errors import ConflictError

COMMENT = "C#"
BATCH = 25  # deletes per BatchWriteItem


def comment_prefix(task_id: str) -> str:
    """Every comment of a task: ``C#<task id>#`` (what a task's move takes along)."""
    return f"{COMMENT}{task_id}#"


class CommentModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the task's partition
    sk = UnicodeAttribute(range_key=True)  # C#<task id>#<ulid>
    task_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    body = UnicodeAttribute()
    mentions = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UTCDateTimeAttribute()
    edited_at = UTCDateTimeAttribute(null=True)
    logged_in = UnicodeAttribute(null=True)  # the partition of its "commented" activity row L#<ulid>
    notified = ListAttribute(of=UnicodeAttribute, null=True)  # every member told of it (absent: its mentions)
    version = VersionAttribute()


class TaskCommentCountModel(Model):
    """The task item seen only through its comment counter (no VersionAttribute: we add 1 to ``version`` ourselves,
    so a task edit based on the task read before the comment answers 409 instead of writing an old count back)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    comment_count = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


COMMENT_MODELS: tuple[type[Model], ...] = (CommentModel, TaskCommentCountModel)


def _item(comment: Comment) -> CommentModel:
    item = CommentModel(
        user_id=comment.partition,
        sk=f"{comment_prefix(comment.task_id)}{comment.id}",
        task_id=comment.task_id,
        author_id=comment.author_id,
        body=comment.body,
        mentions=list(comment.mentions),
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        logged_in=comment.logged_in,
        notified=list(comment.notified) or None,
    )
    if comment.version:
        item.version = comment.version
    return item


def _comment(item: CommentModel) -> Comment:
    return Comment(
        id=item.sk.removeprefix(comment_prefix(item.task_id)),
        task_id=item.task_id,
        partition=item.user_id,
        author_id=item.author_id,
        body=item.body,
        created_at=item.created_at,
        edited_at=item.edited_at,
        mentions=tuple(str(user) for user in item.mentions or ()),
        version=int(item.version or 0),
        logged_in=item.logged_in,
        notified=tuple(str(user) for user in item.notified or ()),
    )


def _count(partition: str, task_id: str, change: int, transaction: TransactWrite) -> None:
    task = TaskCommentCountModel(user_id=partition, sk=f"{TASK}{task_id}")
    transaction.update(
        task,
        actions=[TaskCommentCountModel.comment_count.add(change), TaskCommentCountModel.version.add(1)],
        condition=TaskCommentCountModel.sk.exists(),
    )


def _rewrite_words(comment: Comment, body: str | None, transaction: TransactWrite) -> None:
    """The comment's "commented" row gets its words now (None: none, the comment is deleted)."""
    assert comment.logged_in is not None
    row = ActivityModel(user_id=comment.logged_in, sk=f"{ACTIVITY}{comment.id}")
    words = json.dumps(comment_words(comment.public_id, body), separators=(",", ":"))
    transaction.update(row, actions=[ActivityModel.after.set(words)], condition=ActivityModel.sk.exists())


def _only_the_log_row_failed(exc: TransactWriteError) -> bool:
    """The row of the words is the transaction's last item; only it failed: the log lost it (the project it was in
    was deleted, or the row's year is over), and the comment's own write may go on without it."""
    codes = [getattr(r, "code", None) for r in getattr(exc, "cancellation_reasons", None) or []]
    return bool(codes) and codes[-1] == "ConditionalCheckFailed" and not any(codes[:-1])


def comment_key(sk: str) -> tuple[str, str] | None:
    """(task id, comment ulid) of a comment item's sort key ``C#<task id>#<ulid>``, None for any other item."""
    if not sk.startswith(COMMENT):
        return None
    task_id, sep, ulid = sk.removeprefix(COMMENT).rpartition("#")
    return (task_id, ulid) if sep and task_id and ulid else None


def comment_from_image(image: dict[str, Any]) -> Comment:
    """The comment in a stream record's image (DynamoDB JSON), as the store would read it."""
    return _comment(CommentModel.from_raw_data(image))


def _list_name(partition: str, task_id: str) -> str:
    return f"comments:{partition}:{task_id}"


class DynamoCommentStore:
    def get(self, partition: str, task_id: str, comment_ulid: str) -> Comment | None:
        try:
            item = CommentModel.get(partition, f"{comment_prefix(task_id)}{comment_ulid}", consistent_read=True)
        except DoesNotExist:
            return None
        return _comment(item)

    def page(self, partition: str, task_id: str, *, limit: int, cursor: str | None) -> tuple[list[Comment], str | None]:
        """A task's comments, oldest first, and the cursor of the next page (None at the end)."""
        prefix = comment_prefix(task_id)
        start: dict[str, Any] | None = None
        if cursor:
            start = decode_partition_cursor(
                cursor, list_name=_list_name(partition, task_id), partition=partition, sk_prefix=prefix
            )
        items = CommentModel.query(
            partition, CommentModel.sk.startswith(prefix), last_evaluated_key=start, page_size=limit + 1
        )
        page: list[Comment] = []
        last: CommentModel | None = None
        for item in items:
            page.append(_comment(item))
            last = item
            if len(page) == limit:
                break
        if last is None or len(page) < limit or next(items, None) is None:
            return page, None
        return page, partition_cursor(_list_name(partition, task_id), partition, last.sk)

    def add(self, comment: Comment, *, activity: ActivityEntry | None) -> Comment:
        """Store a new comment and count it on its task. ``ConflictError`` if the task left the partition meanwhile
        (moved or deleted)."""
        item = _item(comment)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(item, condition=CommentModel.sk.does_not_exist())
                _count(comment.partition, comment.task_id, +1, transaction)
                if activity is not None:
                    transaction.save(activity_item(comment.partition, activity))
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The task changed while you commented; try again.") from exc
            raise
        return _comment(item)

    def edit(self, comment: Comment, *, activity: ActivityEntry | None) -> Comment | None:
        """Store an edited comment if it is still at ``comment.version`` (the one read), and its new words on its
        "commented" row; None if the comment was edited or deleted meanwhile."""
        item = _item(comment)  # the version condition comes with the VersionAttribute
        words = comment.logged_in is not None
        for _ in range(2):
            try:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.save(item)
                    if activity is not None:
                        transaction.save(activity_item(comment.partition, activity))
                    if words:
                        _rewrite_words(comment, comment.body, transaction)
                return _comment(item)
            except TransactWriteError as exc:
                if words and _only_the_log_row_failed(exc):
                    words = False  # the row is gone: nothing of the words to keep in step
                    continue
                if is_conditional_failure(exc):
                    return None
                raise
        raise AssertionError("unreachable")  # the second try has no log row to fail

    def delete(self, comment: Comment, *, activity: ActivityEntry | None) -> bool:
        """Delete a comment still at ``comment.version``, count it off its task and take its words off its
        "commented" row; False if it changed or went."""
        words = comment.logged_in is not None
        for _ in range(2):
            try:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.delete(_item(comment))  # conditional on the version read
                    _count(comment.partition, comment.task_id, -1, transaction)
                    if activity is not None:
                        transaction.save(activity_item(comment.partition, activity))
                    if words:
                        _rewrite_words(comment, None, transaction)
                return True
            except TransactWriteError as exc:
                if words and _only_the_log_row_failed(exc):
                    words = False
                    continue
                if is_conditional_failure(exc):
                    return False
                raise
        raise AssertionError("unreachable")

    def in_partition(self, partition: str, *, author_id: str | None = None) -> list[Comment]:
        """Every comment of a partition (every task's), oldest first per task; ``author_id``: only theirs (the
        export of "my data"). One paged Query."""
        items = CommentModel.query(
            partition,
            CommentModel.sk.startswith(COMMENT),
            filter_condition=(CommentModel.author_id == author_id) if author_id is not None else None,
        )
        return [_comment(item) for item in items]

    def delete_all(self, partition: str, task_id: str) -> int:
        """Delete every comment of a task (after the task itself was deleted); how many there were."""
        keys = [
            item.sk
            for item in CommentModel.query(
                partition, CommentModel.sk.startswith(comment_prefix(task_id)), attributes_to_get=["sk"]
            )
        ]
        with CommentModel.batch_write() as batch:
            for sk in keys:
                batch.delete(CommentModel(user_id=partition, sk=sk))
        return len(keys)
