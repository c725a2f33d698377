"""The Notifications table (one per stage): inbox rows, reminder lists of tasks and SMS verification codes.

  pk (PK)          sk (SK)                   item
  ``USER#<user>``  ``N#<notification id>``   an inbox row: one delivery of a reminder occurrence or a digest;
                                             its conditional creation is the exactly-once claim of the send
  ``USER#<user>``  ``REM#<task id>``         the reminders of a task (absent: the default reminder applies)
  ``USER#<user>``  ``PHONE``                 the pending SMS verification code (hashed), expires in 10 min
  ``USER#<user>``  ``LIMIT#<name>``          a rate limit's stamps for the user (SMS codes sent, codes tried)
  ``NUMBER#<hash>`` ``LIMIT#<name>``         a rate limit's stamps for a phone number (keyed hash), across users
  ``ALL``           ``LIMIT#<name>``         a rate limit's stamps of every user together (SMS codes a day)
  ``TOKEN#<id>``    ``LIMIT#api``            an API token's requests in the last minute (issue 16)
  ``REPLY#<hash>``  ``REPLY``                the last reminder sent to a phone number / address (hash of channel and
                                             address): what an answer from there applies to (issue 16), 14 days
GSI ``by_unread`` (sparse): ``unread_pk`` = ``USER#<user>`` only while a row is unread, range ``sk``: the
unread count and "mark all read" are one Query. TTL attribute ``expires_at`` (epoch seconds) on every item
that may go away by itself; DynamoDB TTL deletes lazily, so reads also skip expired items.
"""

from __future__ import annotations

import base64
import binascii
import json
import time as clock
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters.write_errors import is_conditional_failure
from backend.domain.inbound import REPLY_TARGET_KEPT, ReplyTarget
from backend.domain.notifications import KEEP_DAYS, Delivery, Notification
from backend.domain.rate_limits import Counter, LimitKey
from backend.domain.reminders import Reminder
from backend.errors import InvalidInputError

NOTE, REMINDERS, PHONE, LIMIT = "N#", "REM#", "PHONE", "LIMIT#"
NUMBER_PK = "NUMBER#"
REPLY_PK, REPLY = "REPLY#", "REPLY"
TOKEN_PK = "TOKEN#"  # noqa: S105 - a key prefix, not a secret
ALL_USERS_PK = "ALL"
LEASE_SECONDS = 120  # a claim whose sender died is taken over after this long


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


class _Meta:
    table_name = "notifications"  # set by configure_notification_models()
    billing_mode = "PAY_PER_REQUEST"
    region = "us-east-1"
    host: str | None = None


class UnreadIndex(GlobalSecondaryIndex["NotificationModel"]):
    class Meta:
        index_name = "by_unread"
        projection = KeysOnlyProjection()

    unread_pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class DeliveryAttribute(MapAttribute[str, Any]):
    status = UnicodeAttribute()
    detail = UnicodeAttribute(default="")
    attempts = NumberAttribute(default=0)


class NotificationModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute(null=True)
    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute(default="")
    fire_at = UTCDateTimeAttribute()
    created_at = UTCDateTimeAttribute()
    task_id = UnicodeAttribute(null=True)
    reminder_id = UnicodeAttribute(null=True)
    origin = UnicodeAttribute(default="")
    due_key = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    deliveries = MapAttribute[str, Any](default=dict)
    read = BooleanAttribute(default=False)
    unread_pk = UnicodeAttribute(null=True)
    snoozed_until = UTCDateTimeAttribute(null=True)
    lease_until = NumberAttribute(default=0)

    by_unread = UnreadIndex()


class ReminderAttribute(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    at = UTCDateTimeAttribute(null=True)
    minutes_before = NumberAttribute(null=True)
    days_before = NumberAttribute(null=True)
    time = UnicodeAttribute(null=True)


class TaskRemindersModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    reminders = ListAttribute(of=ReminderAttribute, default=list)
    updated_at = UTCDateTimeAttribute()


class PhoneCodeModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    phone = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    expires_at = TTLAttribute()


class LimitModel(Model):
    """The stamps (epoch seconds) of one rate limit's key; ``version`` makes each write conditional on the read."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    stamps = ListAttribute(of=NumberAttribute, default=list)
    version = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class ReplyTargetModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # REPLY#<reply_key>
    sk = UnicodeAttribute(range_key=True, default=REPLY)
    user_id = UnicodeAttribute()
    partition = UnicodeAttribute()
    task_id = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


NOTIFICATION_TABLE_MODELS: tuple[type[Model], ...] = (
    NotificationModel,
    TaskRemindersModel,
    PhoneCodeModel,
    LimitModel,
    ReplyTargetModel,
)


def _limit_keys(key: LimitKey) -> tuple[str, str]:
    partitions = {
        "user": user_pk(key.id),
        "number": NUMBER_PK + key.id,
        "all": ALL_USERS_PK,
        "token": TOKEN_PK + key.id,  # an API token's requests (issue 16)
    }
    return partitions[key.scope], LIMIT + key.name


def configure_notification_models(*, table_name: str, region: str, endpoint: str | None) -> None:
    for model in NOTIFICATION_TABLE_MODELS:
        model.Meta.table_name = table_name
        model.Meta.region = region  # type: ignore[attr-defined]
        model.Meta.host = endpoint  # type: ignore[attr-defined]
        model._connection = None


# --- mapping ---------------------------------------------------------------------------------------
def _deliveries(raw: Any) -> dict[str, Delivery]:
    result: dict[str, Delivery] = {}
    for channel, value in (raw.as_dict() if isinstance(raw, MapAttribute) else dict(raw or {})).items():
        data = value.as_dict() if isinstance(value, MapAttribute) else dict(value)
        result[channel] = Delivery(
            status=data.get("status", "pending"), detail=data.get("detail", ""), attempts=int(data.get("attempts", 0))
        )
    return result


def _note(item: NotificationModel) -> Notification:
    return Notification(
        id=item.notification_id,
        user_id=item.user_id,
        kind=item.kind,  # type: ignore[arg-type]
        title=item.title,
        body=item.body or "",
        fire_at=item.fire_at,
        created_at=item.created_at,
        task_id=item.task_id,
        reminder_id=item.reminder_id,
        origin=item.origin or "",
        due_key=item.due_key,
        deliveries=_deliveries(item.deliveries),
        read=bool(item.read),
        snoozed_until=item.snoozed_until,
    )


def _note_item(note: Notification, *, lease_until: float = 0) -> NotificationModel:
    return NotificationModel(
        pk=user_pk(note.user_id),
        sk=NOTE + note.id,
        expires_at=note.created_at + timedelta(days=KEEP_DAYS),
        notification_id=note.id,
        user_id=note.user_id,
        kind=note.kind,
        title=note.title,
        body=note.body,
        fire_at=note.fire_at,
        created_at=note.created_at,
        task_id=note.task_id,
        reminder_id=note.reminder_id,
        origin=note.origin,
        due_key=note.due_key,
        status=note.status,
        deliveries={
            channel: {"status": d.status, "detail": d.detail, "attempts": d.attempts}
            for channel, d in note.deliveries.items()
        },
        read=note.read,
        unread_pk=None if note.read else user_pk(note.user_id),
        snoozed_until=note.snoozed_until,
        lease_until=lease_until,
    )


def _reminder(item: ReminderAttribute) -> Reminder:
    return Reminder(
        id=item.id,
        at=item.at,
        minutes_before=None if item.minutes_before is None else int(item.minutes_before),
        days_before=None if item.days_before is None else int(item.days_before),
        time=time.fromisoformat(item.time) if item.time else None,
    )


def _reminder_item(reminder: Reminder) -> ReminderAttribute:
    return ReminderAttribute(
        id=reminder.id,
        at=reminder.at.astimezone(UTC) if reminder.at else None,
        minutes_before=reminder.minutes_before,
        days_before=reminder.days_before,
        time=f"{reminder.time:%H:%M}" if reminder.time else None,
    )


def _encode_cursor(user_id: str, sk: str) -> str:
    raw = json.dumps({"u": user_id, "s": sk}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(user_id: str, cursor: str) -> str:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(data, dict) and data.get("u") == user_id and str(data.get("s", "")).startswith(NOTE)
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInputError("The cursor is not valid for this list.", fields={"cursor": "is not valid"})
    return str(data["s"])


class DynamoNotifications:
    """Inbox rows, reminder lists and phone codes on the Notifications table."""

    # --- answers to reminders (issue 16) ---
    def remember_reply(self, key: str, target: ReplyTarget) -> None:
        """The last reminder sent there wins (a plain put)."""
        ReplyTargetModel(
            REPLY_PK + key,
            REPLY,
            user_id=target.user_id,
            partition=target.partition,
            task_id=target.task_id,
            notification_id=target.notification_id,
            sent_at=target.sent_at,
            expires_at=target.sent_at + REPLY_TARGET_KEPT,
        ).save()

    def reply_target(self, key: str, *, now: datetime) -> ReplyTarget | None:
        try:
            item = ReplyTargetModel.get(REPLY_PK + key, REPLY, consistent_read=True)
        except DoesNotExist:
            return None
        if item.expires_at is not None and item.expires_at <= now:  # TTL deletes lazily
            return None
        return ReplyTarget(
            user_id=item.user_id,
            partition=item.partition,
            task_id=item.task_id,
            notification_id=item.notification_id,
            sent_at=item.sent_at,
        )

    # --- inbox rows ---
    def claim(self, note: Notification, *, now: datetime) -> bool:
        """Create the row as ``pending`` unless it exists (another delivery of the same occurrence got it);
        a pending row whose lease ran out (its sender died) may be taken over. True: the caller sends."""
        epoch = now.timestamp()
        item = _note_item(note, lease_until=epoch + LEASE_SECONDS)
        free = NotificationModel.pk.does_not_exist() | (
            (NotificationModel.status == "pending") & (NotificationModel.lease_until < epoch)
        )
        try:
            item.save(condition=free)
        except PutError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def record(self, note: Notification) -> Notification:
        """Store the outcome of a claimed delivery."""
        _note_item(note).save()
        return note

    def get(self, user_id: str, notification_id: str) -> Notification | None:
        try:
            return _note(NotificationModel.get(user_pk(user_id), NOTE + notification_id, consistent_read=True))
        except DoesNotExist:
            return None

    def page(self, user_id: str, *, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
        """Newest first."""
        start = None
        if cursor:
            start = {"pk": {"S": user_pk(user_id)}, "sk": {"S": _decode_cursor(user_id, cursor)}}
        items = NotificationModel.query(
            user_pk(user_id),
            NotificationModel.sk.startswith(NOTE),
            scan_index_forward=False,
            last_evaluated_key=start,
            limit=limit + 1,
            page_size=limit + 1,
        )
        now = clock.time()
        rows = [item for item in items if not item.expires_at or item.expires_at.timestamp() > now]
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode_cursor(user_id, rows[-1].sk) if more and rows else None
        return [_note(item) for item in rows], next_cursor

    def unread_count(self, user_id: str) -> int:
        return int(NotificationModel.by_unread.count(user_pk(user_id)))

    def mark_read(self, user_id: str, notification_id: str) -> Notification | None:
        item = NotificationModel(pk=user_pk(user_id), sk=NOTE + notification_id)
        try:
            item.update(
                actions=[NotificationModel.read.set(True), NotificationModel.unread_pk.remove()],
                condition=NotificationModel.pk.exists(),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return self.get(user_id, notification_id)

    def mark_all_read(self, user_id: str) -> int:
        count = 0
        for key in NotificationModel.by_unread.query(user_pk(user_id)):
            item = NotificationModel(pk=key.pk, sk=key.sk)
            try:
                item.update(
                    actions=[NotificationModel.read.set(True), NotificationModel.unread_pk.remove()],
                    condition=NotificationModel.pk.exists(),
                )
                count += 1
            except UpdateError as exc:
                if not is_conditional_failure(exc):
                    raise
        return count

    def set_snoozed(self, user_id: str, notification_id: str, until: datetime) -> Notification | None:
        item = NotificationModel(pk=user_pk(user_id), sk=NOTE + notification_id)
        try:
            item.update(
                actions=[
                    NotificationModel.snoozed_until.set(until.astimezone(UTC)),
                    NotificationModel.read.set(True),
                    NotificationModel.unread_pk.remove(),
                ],
                condition=NotificationModel.pk.exists(),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return self.get(user_id, notification_id)

    # --- reminder lists of tasks ---
    def get_reminders(self, user_id: str, task_id: str) -> list[Reminder] | None:
        """The task's own reminders; None when it never had a list (then the default reminder applies)."""
        try:
            item = TaskRemindersModel.get(user_pk(user_id), REMINDERS + task_id, consistent_read=True)
        except DoesNotExist:
            return None
        return [_reminder(r) for r in item.reminders or ()]

    def put_reminders(self, user_id: str, task_id: str, reminders: list[Reminder], *, now: datetime) -> None:
        TaskRemindersModel(
            pk=user_pk(user_id),
            sk=REMINDERS + task_id,
            reminders=[_reminder_item(r) for r in reminders],
            updated_at=now,
        ).save()

    def count_reminder_lists(self, user_id: str) -> int:
        """Tasks of the user with reminders of their own (an empty list, "no reminder", is not one): a COUNT Query."""
        return int(
            TaskRemindersModel.count(
                user_pk(user_id),
                TaskRemindersModel.sk.startswith(REMINDERS),
                filter_condition=size(TaskRemindersModel.reminders) > 0,
                consistent_read=True,
            )
        )

    def reminder_lists(self, user_id: str) -> dict[str, list[Reminder]]:
        """Task id -> its own reminders (an empty list: "no reminder"), for every task of the user that has a list."""
        items = TaskRemindersModel.query(
            user_pk(user_id), TaskRemindersModel.sk.startswith(REMINDERS), consistent_read=True
        )
        return {item.sk.removeprefix(REMINDERS): [_reminder(r) for r in item.reminders or ()] for item in items}

    def delete_reminders(self, user_id: str, task_id: str) -> None:
        TaskRemindersModel(pk=user_pk(user_id), sk=REMINDERS + task_id).delete()

    # --- SMS verification codes ---
    def put_phone_code(self, user_id: str, phone: str, code_hash: str, *, expires: datetime) -> None:
        PhoneCodeModel(pk=user_pk(user_id), sk=PHONE, phone=phone, code_hash=code_hash, expires_at=expires).save()

    def get_phone_code(self, user_id: str) -> tuple[str, str, datetime] | None:
        """(phone, code hash, expiry) of the pending code, if any and not expired (tries: ``LIMIT#sms-verify``)."""
        try:
            item = PhoneCodeModel.get(user_pk(user_id), PHONE, consistent_read=True)
        except DoesNotExist:
            return None
        if item.expires_at.timestamp() <= clock.time():
            return None
        return item.phone, item.code_hash, item.expires_at

    def delete_phone_code(self, user_id: str) -> None:
        PhoneCodeModel(pk=user_pk(user_id), sk=PHONE).delete()

    # --- rate limits (backend/services/rate_limits.py) ---
    def read_counters(self, keys: Sequence[LimitKey]) -> list[Counter]:
        counters = []
        for key in keys:
            try:
                item = LimitModel.get(*_limit_keys(key), consistent_read=True)
            except DoesNotExist:
                counters.append(Counter())
                continue
            epochs: list[float] = list(item.stamps or ())  # type: ignore[arg-type]  # numbers (of=NumberAttribute)
            stamps = tuple(datetime.fromtimestamp(float(e), UTC) for e in epochs)
            counters.append(Counter(stamps=stamps, version=int(item.version or 0)))
        return counters

    def write_counters(self, writes: Sequence[tuple[LimitKey, Counter, tuple[datetime, ...], datetime]]) -> bool:
        try:
            with TransactWrite(connection=LimitModel._get_connection().connection) as transaction:
                for key, read, stamps, expires in writes:
                    pk, sk = _limit_keys(key)
                    item = LimitModel(
                        pk=pk,
                        sk=sk,
                        stamps=[s.timestamp() for s in stamps],
                        version=read.version + 1,
                        expires_at=expires,
                    )
                    # unchanged since it was read (a row the TTL removed counts as never written)
                    unchanged = (
                        LimitModel.pk.does_not_exist() if read.version == 0 else LimitModel.version == read.version
                    )
                    transaction.save(item, condition=unchanged)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def forget_counter(self, key: LimitKey) -> None:
        pk, sk = _limit_keys(key)
        LimitModel(pk=pk, sk=sk).delete()

    # --- everything of a user (delete my data / my account) ---
    def erase_user(self, user_id: str) -> tuple[int, list[str]]:
        """Delete every row of the user (inbox, reminder lists, phone code).

        Returns how many rows went and the ids of the tasks that had a reminder list (their schedules may remain).
        """
        keys = [item.sk for item in NotificationModel.query(user_pk(user_id), attributes_to_get=["pk", "sk"])]
        with NotificationModel.batch_write() as batch:
            for sk in keys:
                batch.delete(NotificationModel(pk=user_pk(user_id), sk=sk))
        return len(keys), [sk.removeprefix(REMINDERS) for sk in keys if sk.startswith(REMINDERS)]
