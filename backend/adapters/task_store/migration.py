"""Issue 13's migration: what data written before shared projects needs (decision §31, docs/data-model.md).

The layout keeps every existing item where it is (personal projects stay in the owner's partition), so nothing is
copied or re-keyed. Two things remain, both additive and idempotent:

1. **The Tasks table's new indexes** (``by_assignee``): on AWS the CDK adds them (a deploy before the code that
   reads them); a local table restored from an older snapshot gets them here, one ``UpdateTable`` per index (AWS
   and moto accept one new GSI per call).
2. **The task attributes the sharing code writes** (``created_by``; ``completed_by`` on done tasks): an item from
   before them is read as its partition user's, which is right for a personal task; the backfill writes it down so
   that the fallback can go once every table reports nothing left. ``UpdateItem`` with
   ``attribute_not_exists(created_by)``: never overwrites, never bumps ``version`` (an open screen's next edit
   still matches), safe to run while users work, and a second run changes nothing.

One function for a local run and a deployed stage (``scripts/migrate_shared_projects.py`` is its command line).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from backend.adapters.task_store.models import TASK, TaskModel


@dataclass
class MigrationReport:
    indexes_added: list[str] = field(default_factory=list)
    indexes_missing: list[str] = field(default_factory=list)  # only when not allowed to add them (a deployed table)
    users: int = 0
    tasks_seen: int = 0
    tasks_backfilled: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(self.indexes_added or self.tasks_backfilled)


def _wanted_indexes() -> dict[str, dict[str, Any]]:
    """The GSIs the model declares, in the shape ``UpdateTable`` takes."""
    schema = TaskModel._get_schema()
    definitions = {d["AttributeName"]: d for d in schema["attribute_definitions"]}
    wanted = {}
    for index in schema["global_secondary_indexes"]:
        keys = [k["AttributeName"] for k in index["key_schema"]]
        wanted[index["index_name"]] = {
            "Create": {
                "IndexName": index["index_name"],
                "KeySchema": index["key_schema"],
                "Projection": index["projection"],
            },
            "AttributeDefinitions": [definitions[name] for name in keys],
        }
    return wanted


def ensure_indexes(dynamodb: Any, table: str, *, create: bool, report: MigrationReport) -> None:
    """Add the model's GSIs the table lacks (``create``), or only name them (a CDK-managed table: deploy first)."""
    described = dynamodb.describe_table(TableName=table)["Table"]
    present = {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}
    for name, update in _wanted_indexes().items():
        if name in present:
            continue
        if not create:
            report.indexes_missing.append(name)
            continue
        dynamodb.update_table(
            TableName=table,
            AttributeDefinitions=update["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": update["Create"]}],
        )
        report.indexes_added.append(name)


def _user_ids(dynamodb: Any, users_table: str) -> Iterator[str]:
    """Every user (a parallel-free Scan of the keys only: the one scan, offline, in the migration alone)."""
    for page in dynamodb.get_paginator("scan").paginate(TableName=users_table, ProjectionExpression="user_id"):
        for item in page["Items"]:
            yield item["user_id"]["S"]


def backfill_user(dynamodb: Any, table: str, user_id: str, report: MigrationReport) -> None:
    """``created_by`` (and ``completed_by`` on a done task) = the partition's user, where absent."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="user_id = :pk AND begins_with(sk, :task)",
        ProjectionExpression="user_id, sk, #status, created_by",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":pk": {"S": user_id}, ":task": {"S": TASK}},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page["Items"]:
            report.tasks_seen += 1
            if "created_by" in item:
                continue
            done = item.get("status", {}).get("S") == "done"
            assignments = "SET created_by = :user" + (", completed_by = :user" if done else "")
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key={"user_id": item["user_id"], "sk": item["sk"]},
                    UpdateExpression=assignments,
                    ConditionExpression="attribute_exists(sk) AND attribute_not_exists(created_by)",
                    ExpressionAttributeValues={":user": {"S": user_id}},
                )
            except ClientError as exc:
                # deleted or written by the new code meanwhile: nothing left to do for this task
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                continue
            report.tasks_backfilled += 1


def migrate(dynamodb: Any, *, users_table: str, tasks_table: str, create_indexes: bool) -> MigrationReport:
    """The whole migration, resumable at any point (every step is idempotent)."""
    report = MigrationReport()
    ensure_indexes(dynamodb, tasks_table, create=create_indexes, report=report)
    for user_id in _user_ids(dynamodb, users_table):
        report.users += 1
        backfill_user(dynamodb, tasks_table, user_id, report)
    return report
