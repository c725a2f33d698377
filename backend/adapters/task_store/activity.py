"""The activity log of a shared project: ``L#<ulid>`` rows in its partition ``P#<project>`` (issue 13).

A write that changes a shared project puts ``activity_item(partition, entry)`` in its own ``TransactWrite``
(``transaction.save(item)``: an unconditional put; the ULID is new), so the log holds exactly the writes that
happened. Rows expire by TTL (``expires_at``, the table's TTL attribute) a year after the event. The ULID is made
from the event's time, so the sort key orders the log by time and a Query backwards reads it newest first.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model
from ulid import ULID

from backend.adapters.task_store.cursors import decode_partition_cursor, partition_cursor
from backend.adapters.task_store.models import TableMeta
from backend.domain.activity import RETENTION_DAYS, ActivityEntry, What

ACTIVITY = "L#"
PAGE = 50


class ActivityModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the project's partition, P#<project>
    sk = UnicodeAttribute(range_key=True)  # L#<ulid>
    actor = UnicodeAttribute()
    what = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    task_id = UnicodeAttribute(null=True)
    task_title = UnicodeAttribute(null=True)
    member_id = UnicodeAttribute(null=True)
    # JSON objects of the changed fields: shown, never queried, and JSON keeps None and lists as they are
    before = UnicodeAttribute(default="{}")
    after = UnicodeAttribute(default="{}")
    expires_at = TTLAttribute()


def activity_item(partition: str, entry: ActivityEntry) -> ActivityModel:
    """The row of ``entry`` in ``partition`` (``P#<project>``), for a transaction to put."""
    row_id = entry.id or str(ULID.from_datetime(entry.at))
    return ActivityModel(
        user_id=partition,
        sk=f"{ACTIVITY}{row_id}",
        actor=entry.actor,
        what=entry.what.value,
        at=entry.at,
        task_id=entry.task_id,
        task_title=entry.task_title,
        member_id=entry.member_id,
        before=json.dumps(dict(entry.before), separators=(",", ":")),
        after=json.dumps(dict(entry.after), separators=(",", ":")),
        expires_at=entry.at + timedelta(days=RETENTION_DAYS),
    )


def entry_of(item: ActivityModel) -> ActivityEntry:
    return ActivityEntry(
        id=item.sk.removeprefix(ACTIVITY),
        actor=item.actor,
        what=What(item.what),
        at=item.at,
        task_id=item.task_id,
        task_title=item.task_title,
        member_id=item.member_id,
        before=json.loads(item.before),
        after=json.loads(item.after),
    )


def _list_name(partition: str) -> str:
    return f"activity:{partition}"


class ActivityStore:
    """Reads a project's log; the rows are written by the transactions of the writes they record."""

    def list_activity(
        self, partition: str, *, now: datetime, limit: int = PAGE, cursor: str | None = None
    ) -> tuple[list[ActivityEntry], str | None]:
        """One page of the log, newest first, and the cursor of the next page (None at the end). Rows past their
        TTL are skipped (DynamoDB deletes them lazily)."""
        start: dict[str, Any] | None = None
        if cursor:
            start = decode_partition_cursor(
                cursor, list_name=_list_name(partition), partition=partition, sk_prefix=ACTIVITY
            )
        items = ActivityModel.query(
            partition,
            ActivityModel.sk.startswith(ACTIVITY),
            filter_condition=ActivityModel.expires_at > now,
            scan_index_forward=False,
            last_evaluated_key=start,
            page_size=limit + 1,
        )
        page: list[ActivityEntry] = []
        last: ActivityModel | None = None
        for item in items:
            page.append(entry_of(item))
            last = item
            if len(page) == limit:
                break
        more = last is not None and len(page) == limit and next(items, None) is not None
        return page, (
            partition_cursor(_list_name(partition), partition, last.sk) if more and last is not None else None
        )

    def put(self, partition: str, entry: ActivityEntry) -> ActivityEntry:
        """A row on its own (what has no transaction of its own to join, e.g. tests and one-off events)."""
        item = activity_item(partition, entry)
        item.save()
        return entry_of(item)


ACTIVITY_MODELS: tuple[type[Model], ...] = (ActivityModel,)  # configured with the Tasks table (adapters/dynamodb.py)
