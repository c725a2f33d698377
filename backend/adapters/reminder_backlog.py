"""Tasks whose schedules a failed Scheduler call left behind (issue 15), on the Notifications table.

  pk (PK)      sk (SK)                  item
  ``REMSYNC``  ``<partition>/<task>``   the task's reminders must be planned again: ``partition``, ``task_id``,
                                        ``at`` (epoch ms of the failure, the clear's condition), TTL 30 days

One partition for the whole stage: it holds only what an outage left (empty otherwise), and the reconciler reads
it with one Query instead of a scan of every user's tasks. Written with one PutItem after the failed call (the task's
own write had already happened), deleted on condition that no later failure wrote it again meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

PENDING_PK = "REMSYNC"
LIFETIME = timedelta(days=30)  # a task still failing after that is given up (its reminder fires or not by then)


@dataclass(frozen=True)
class Pending:
    partition: str  # where the task lives: ``<sub>`` or ``P#<project>``
    task_id: str
    at: int  # epoch milliseconds of the failure it records


class DynamoReminderBacklog:
    def __init__(self, *, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def mark(self, partition: str, task_id: str, *, now: datetime) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": PENDING_PK},
                "sk": {"S": f"{partition}/{task_id}"},
                "partition": {"S": partition},
                "task_id": {"S": task_id},
                "at": {"N": str(int(now.timestamp() * 1000))},
                "expires_at": {"N": str(int((now + LIFETIME).timestamp()))},
            },
        )

    def pending(self, *, limit: int) -> list[Pending]:
        """Up to ``limit`` entries in key order (one Query page; what is left waits for the next run)."""
        page = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": PENDING_PK}},
            ConsistentRead=True,
            Limit=limit,
        )
        return [
            Pending(partition=item["partition"]["S"], task_id=item["task_id"]["S"], at=int(item["at"]["N"]))
            for item in page["Items"]
        ]

    def clear(self, entry: Pending) -> bool:
        """Delete the entry unless a later failure rewrote it (then the task needs another pass)."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={"pk": {"S": PENDING_PK}, "sk": {"S": f"{entry.partition}/{entry.task_id}"}},
                ConditionExpression="#at = :at",
                ExpressionAttributeNames={"#at": "at"},
                ExpressionAttributeValues={":at": {"N": str(entry.at)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
