"""Attachment metadata and storage usage, on the Tasks table (single table, partitioned by user).

  user_id (PK) | sk (SK)
  ``ATT#<task>#<attachment>``   the attachment (listed per task with ``begins_with``)
  ``ATTREF#<attachment>``       pointer to its task, so ``/attachments/{id}`` is two GetItems, never a query
  ``USAGE#attachments``         bytes stored by the user (atomic counter; the quota is checked against it)
The task item carries ``attachment_count`` (ready attachments), kept in the same transactions.
Pending and rejected rows (and their pointers) carry ``expires_at`` (TTL, epoch seconds); ready rows do not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.models import TASK, TableMeta, connection
from backend.adapters.write_errors import is_conditional_failure
from backend.domain.attachments import Attachment, AttachmentStatus
from backend.errors import ConflictError

ATT, REF = "ATT#", "ATTREF#"
# In a user's partition: an attachment whose objects are under this user's keys moved with its task to ``at`` (a
# shared project, or another user's personal project: task_store/rekey.py writes it), so deleting the account can
# keep those objects for the task's new owners.
FILE_REF = "FILEREF#"
USAGE_SK = "USAGE#attachments"
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # "now" for reads that must see expired rows too


class AttachmentModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    attachment_id = UnicodeAttribute()
    task_id = UnicodeAttribute()
    name = UnicodeAttribute()
    declared_type = UnicodeAttribute()
    declared_size = NumberAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    content_type = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    thumbnail = BooleanAttribute(default=False)
    reason = UnicodeAttribute(null=True)
    processed_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    source = UnicodeAttribute(null=True)  # the uploaded object version bound to it (see ``claim``)
    key_owner = UnicodeAttribute(null=True)  # set by a move (task_store/rekey.py): where its objects' keys point


class FileRefModel(Model):
    """``<sub>`` / ``FILEREF#<attachment>``: where an attachment keyed under this user went (``at``, ``task_id``)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    task_id = UnicodeAttribute()


class AttachmentRefModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class UsageModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    bytes_used = NumberAttribute(default=0)


class TaskCounterModel(Model):
    """The task item seen only through its attachment counter (no VersionAttribute: we add 1 to ``version``
    ourselves, so an edit based on the task read before the attachment came answers 409 instead of losing it)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    attachment_count = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


ATTACHMENT_MODELS: tuple[type[Model], ...] = (
    AttachmentModel,
    AttachmentRefModel,
    FileRefModel,
    UsageModel,
    TaskCounterModel,
)


class ReadyOutcome(StrEnum):
    READY = "ready"
    NOT_PENDING = "not_pending"  # processed already (a duplicate event) or deleted meanwhile
    TASK_GONE = "task_gone"
    OVER_QUOTA = "over_quota"


def _attachment(item: AttachmentModel) -> Attachment:
    return Attachment(
        id=item.attachment_id,
        user_id=item.user_id,
        task_id=item.task_id,
        name=item.name,
        declared_type=item.declared_type,
        declared_size=int(item.declared_size),
        status=AttachmentStatus(item.status),
        created_at=item.created_at,
        content_type=item.content_type,
        size=int(item.size) if item.size is not None else None,
        sha256=item.sha256,
        thumbnail=bool(item.thumbnail),
        reason=item.reason,
        processed_at=item.processed_at,
        expires_at=item.expires_at,
        source=item.source,
        key_owner=item.key_owner,
    )


def _sk(task_id: str, attachment_id: str) -> str:
    return f"{ATT}{task_id}#{attachment_id}"


def _expired(expires_at: datetime | None, now: datetime) -> bool:
    # DynamoDB deletes expired items up to days later (the local emulator never): expired is gone.
    return expires_at is not None and expires_at <= now


class DynamoAttachmentStore:
    """Attachment rows, their pointers, the usage counter and the task's attachment counter."""

    def add(self, attachment: Attachment) -> None:
        item = AttachmentModel(
            user_id=attachment.user_id,
            sk=_sk(attachment.task_id, attachment.id),
            attachment_id=attachment.id,
            task_id=attachment.task_id,
            name=attachment.name,
            declared_type=attachment.declared_type,
            declared_size=attachment.declared_size,
            status=attachment.status.value,
            created_at=attachment.created_at,
            expires_at=attachment.expires_at,
        )
        ref = AttachmentRefModel(
            user_id=attachment.user_id,
            sk=REF + attachment.id,
            task_id=attachment.task_id,
            expires_at=attachment.expires_at,
        )
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item, condition=AttachmentModel.sk.does_not_exist())
            transaction.save(ref, condition=AttachmentRefModel.sk.does_not_exist())

    def get(self, user_id: str, attachment_id: str, *, now: datetime) -> Attachment | None:
        try:
            ref = AttachmentRefModel.get(user_id, REF + attachment_id, consistent_read=True)
        except DoesNotExist:
            return None
        return self.get_in_task(user_id, ref.task_id, attachment_id, now=now)

    def get_in_task(self, user_id: str, task_id: str, attachment_id: str, *, now: datetime) -> Attachment | None:
        try:
            item = AttachmentModel.get(user_id, _sk(task_id, attachment_id), consistent_read=True)
        except DoesNotExist:
            return None
        return None if _expired(item.expires_at, now) else _attachment(item)

    def list_for_task(self, user_id: str, task_id: str, *, now: datetime) -> list[Attachment]:
        items = AttachmentModel.query(user_id, AttachmentModel.sk.startswith(f"{ATT}{task_id}#"), consistent_read=True)
        return [_attachment(item) for item in items if not _expired(item.expires_at, now)]

    def keyed_under(self, partition: str, owner: str) -> list[Attachment]:
        items = AttachmentModel.query(
            partition,
            AttachmentModel.sk.startswith(ATT),  # ("ATT#": not the "ATTREF#" pointers)
            filter_condition=AttachmentModel.key_owner == owner,
            consistent_read=True,
        )
        return [_attachment(item) for item in items]

    def moved_away(self, owner: str) -> list[Attachment]:
        """The rows, wherever they moved, whose objects are still under ``owner``'s keys: one Query of the owner's
        ``FILEREF#`` pointers, then one BatchGetItem of the rows they name (a pointer whose row moved on or went is
        stale: the row is checked)."""
        refs = FileRefModel.query(owner, FileRefModel.sk.startswith(FILE_REF), consistent_read=True)
        keys = [(ref.at, _sk(ref.task_id, ref.sk.removeprefix(FILE_REF))) for ref in refs]
        if not keys:
            return []
        rows = AttachmentModel.batch_get(keys, consistent_read=True)
        return [_attachment(row) for row in rows if row.key_owner == owner]

    def bytes_used(self, user_id: str) -> int:
        try:
            return int(UsageModel.get(user_id, USAGE_SK, consistent_read=True).bytes_used or 0)
        except DoesNotExist:
            return 0

    def claim(self, attachment: Attachment, *, source: str) -> bool:
        """Bind the pending attachment to the uploaded version ``source`` unless another one is bound already.

        Re-posting the upload form stages new versions; the first one the processor takes is the attachment's, and
        ``mark_ready`` requires it, so two versions checked at once can never mix file, hash and thumbnail.
        """
        row = AttachmentModel(user_id=attachment.user_id, sk=_sk(attachment.task_id, attachment.id))
        try:
            row.update(
                actions=[AttachmentModel.source.set(source)],
                condition=(AttachmentModel.status == AttachmentStatus.PENDING.value)
                & (AttachmentModel.source.does_not_exist() | (AttachmentModel.source == source)),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def mark_ready(
        self,
        attachment: Attachment,
        *,
        source: str,
        size: int,
        sha256: str,
        content_type: str,
        thumbnail: bool,
        now: datetime,
        quota_bytes: int,
    ) -> ReadyOutcome:
        """pending → ready, the task's counter +1 and the usage +size, all or nothing (quota checked atomically)."""
        row = AttachmentModel(user_id=attachment.user_id, sk=_sk(attachment.task_id, attachment.id))
        ref = AttachmentRefModel(user_id=attachment.user_id, sk=REF + attachment.id)
        task = TaskCounterModel(user_id=attachment.user_id, sk=TASK + attachment.task_id)
        usage = UsageModel(user_id=attachment.user_id, sk=USAGE_SK)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(
                    row,
                    actions=[
                        AttachmentModel.status.set(AttachmentStatus.READY.value),
                        AttachmentModel.size.set(size),
                        AttachmentModel.sha256.set(sha256),
                        AttachmentModel.content_type.set(content_type),
                        AttachmentModel.thumbnail.set(thumbnail),
                        AttachmentModel.processed_at.set(now),
                        AttachmentModel.expires_at.remove(),
                    ],
                    condition=(AttachmentModel.status == AttachmentStatus.PENDING.value)
                    & (AttachmentModel.source == source),
                )
                transaction.update(
                    ref, actions=[AttachmentRefModel.expires_at.remove()], condition=AttachmentRefModel.sk.exists()
                )
                transaction.update(
                    task,
                    actions=[TaskCounterModel.attachment_count.add(1), TaskCounterModel.version.add(1)],
                    condition=TaskCounterModel.sk.exists(),
                )
                transaction.update(
                    usage,
                    actions=[UsageModel.bytes_used.add(size)],
                    condition=UsageModel.bytes_used.does_not_exist() | (UsageModel.bytes_used <= quota_bytes - size),
                )
        except TransactWriteError as exc:
            if not is_conditional_failure(exc):
                raise
            return self._why_not_ready(attachment, now=now)
        return ReadyOutcome.READY

    def _why_not_ready(self, attachment: Attachment, *, now: datetime) -> ReadyOutcome:
        current = self.get_in_task(attachment.user_id, attachment.task_id, attachment.id, now=now)
        if current is None or current.status is not AttachmentStatus.PENDING:
            return ReadyOutcome.NOT_PENDING
        try:
            TaskCounterModel.get(attachment.user_id, TASK + attachment.task_id, consistent_read=True)
        except DoesNotExist:
            return ReadyOutcome.TASK_GONE
        return ReadyOutcome.OVER_QUOTA

    def mark_rejected(self, attachment: Attachment, *, reason: str, now: datetime, expires_at: datetime) -> bool:
        """pending → rejected (kept until ``expires_at`` so the user can read why); False if not pending."""
        row = AttachmentModel(user_id=attachment.user_id, sk=_sk(attachment.task_id, attachment.id))
        ref = AttachmentRefModel(user_id=attachment.user_id, sk=REF + attachment.id)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(
                    row,
                    actions=[
                        AttachmentModel.status.set(AttachmentStatus.REJECTED.value),
                        AttachmentModel.reason.set(reason[:500]),
                        AttachmentModel.processed_at.set(now),
                        AttachmentModel.expires_at.set(expires_at),
                    ],
                    condition=AttachmentModel.status == AttachmentStatus.PENDING.value,
                )
                transaction.update(
                    ref,
                    actions=[AttachmentRefModel.expires_at.set(expires_at)],
                    condition=AttachmentRefModel.sk.exists(),
                )
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def delete(self, attachment: Attachment, *, task_exists: bool = True) -> None:
        """The row and its pointer; a ready one gives its bytes back and leaves the task's count."""
        current = self.get_in_task(attachment.user_id, attachment.task_id, attachment.id, now=_LONG_AGO)
        if current is None:
            return
        row = AttachmentModel(user_id=current.user_id, sk=_sk(current.task_id, current.id))
        ref = AttachmentRefModel(user_id=current.user_id, sk=REF + current.id)
        ready = current.status is AttachmentStatus.READY
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.delete(row, condition=AttachmentModel.status == current.status.value)
                transaction.delete(ref)
                if ready and current.size:
                    transaction.update(
                        UsageModel(user_id=current.user_id, sk=USAGE_SK),
                        actions=[UsageModel.bytes_used.add(-current.size)],
                    )
                if ready and task_exists:
                    transaction.update(
                        TaskCounterModel(user_id=current.user_id, sk=TASK + current.task_id),
                        actions=[TaskCounterModel.attachment_count.add(-1), TaskCounterModel.version.add(1)],
                        condition=TaskCounterModel.sk.exists(),
                    )
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                # Processed or deleted meanwhile (or the task went): the caller may simply retry.
                raise ConflictError("The attachment changed meanwhile; try again.") from exc
            raise
