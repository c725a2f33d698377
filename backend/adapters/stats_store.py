"""Productivity aggregates in the Tasks table, under each user's own partition (see docs/data-model.md).

  user_id (PK) | sk (SK)
  ``STAT#DAY#<local date>``   counters of one local day (flat numeric attributes, see backend/domain/stats.py)
  ``STAT#SUMMARY``            all-time counters: completions per day (streaks), open tasks by due moment (overdue)
  ``STAT#TASK#<task id>``     what one task contributes now (``c``, JSON) and the change it reflects (``ord``)
  ``ACTIVITY#<utc day>#<n>`` | ``USER#<user id>``   users whose tasks changed that day (the repair's work list;
                              8 shards so a busy day is not one hot partition)

``ord`` = task version x 2 (+1 once the task is deleted): a stream record older than or equal to the stored one
is a replay or arrived out of order, and changes nothing. Aggregate counters change with ``ADD`` in the same
transaction as the contribution, which is conditional on the ``ord`` read: applying a record is all or nothing,
exactly once. The stream handler ignores every item whose ``sk`` does not start with ``TASK#`` (these included).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from backend.adapters import prefetched
from backend.adapters.task_store.models import LABEL, PROJECT
from backend.domain.stats import SUMMARY, Counters, split_item
from backend.errors import InvalidInputError

STAT = "STAT#"
STAT_DAY = "STAT#DAY#"
STAT_SUMMARY = "STAT#SUMMARY"
STAT_TASK = "STAT#TASK#"
ACTIVITY = "ACTIVITY#"
ACTIVITY_SHARDS = 8
MAX_TRANSACTION = 100


@dataclass(frozen=True)
class StoredContribution:
    order: int  # version * 2, + 1 when deleted
    counters: Counters = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        return self.order % 2 == 1


def _item_sk(item: str) -> str:
    return STAT_SUMMARY if item == SUMMARY else f"STAT#{item}"


def _item_name(sk: str) -> str:
    return SUMMARY if sk == STAT_SUMMARY else sk.removeprefix(STAT)


def _encode(counters: Mapping[tuple[str, str], int]) -> str:
    nested: dict[str, dict[str, int]] = {}
    for (item, attr), value in sorted(counters.items()):
        nested.setdefault(item, {})[attr] = value
    return json.dumps(nested, separators=(",", ":"))


def _decode(raw: str) -> Counters:
    return {(item, attr): int(v) for item, attrs in json.loads(raw).items() for attr, v in attrs.items()}


encode_counters, decode_counters = _encode, _decode  # a contribution row's ``c`` (the task mover rewrites it)


def _by_item(counters: Mapping[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (item, attr), value in counters.items():
        out.setdefault(item, {})[attr] = value
    return out


def _numbers(item: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v["N"]) for k, v in item.items() if "N" in v and k not in {"user_id", "sk"}}


def _shard(user_id: str) -> int:
    return int(hashlib.sha256(user_id.encode()).hexdigest(), 16) % ACTIVITY_SHARDS


class DynamoStatsStore:
    """Aggregates, per-task contributions and the activity list, with the low-level client (dynamic attributes)."""

    def __init__(self, *, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    # --- the stream side ---------------------------------------------------------------------------
    def get_contribution(self, user_id: str, task_id: str) -> StoredContribution | None:
        item = self._db.get_item(
            TableName=self._table,
            Key={"user_id": {"S": user_id}, "sk": {"S": STAT_TASK + task_id}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return StoredContribution(order=int(item["ord"]["N"]), counters=_decode(item["c"]["S"]))

    def apply(
        self,
        user_id: str,
        task_id: str,
        *,
        expected: StoredContribution | None,
        new: StoredContribution,
        delta: Counters,
    ) -> bool:
        """Store ``new`` and add ``delta`` to the aggregates if the contribution is still ``expected``.

        False when another writer got there first (the caller reads again). All in one transaction unless the
        change touches more than 99 aggregate items (a long recurring history): then the first transaction holds
        the contribution and the rest follow; a crash in between is drift that the daily repair removes.
        """
        put: dict[str, Any] = {
            "Put": {
                "TableName": self._table,
                "Item": {
                    "user_id": {"S": user_id},
                    "sk": {"S": STAT_TASK + task_id},
                    "ord": {"N": str(new.order)},
                    "c": {"S": _encode(new.counters)},
                },
                **self._condition(expected),
            }
        }
        # A shared task's contribution lives in its project's partition; its counters go to each member's own
        # aggregates (items ``<member>@<item>``, backend/domain/stats.py), in the same transaction.
        updates = [
            self._add(member or user_id, plain, attrs)
            for (member, plain), attrs in sorted(
                ((split_item(item), attrs) for item, attrs in _by_item(delta).items()),
                key=lambda entry: (entry[0][0] or "", entry[0][1]),
            )
        ]
        chunks = [updates[i : i + MAX_TRANSACTION - 1] for i in range(0, max(len(updates), 1), MAX_TRANSACTION - 1)]
        try:
            self._db.transact_write_items(TransactItems=[put, *chunks[0]])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        for chunk in chunks[1:]:
            self._db.transact_write_items(TransactItems=chunk)
        return True

    @staticmethod
    def _condition(expected: StoredContribution | None) -> dict[str, Any]:
        if expected is None:
            return {"ConditionExpression": "attribute_not_exists(sk)"}
        return {
            "ConditionExpression": "ord = :ord",
            "ExpressionAttributeValues": {":ord": {"N": str(expected.order)}},
        }

    def _add(self, user_id: str, item: str, attrs: Mapping[str, int]) -> dict[str, Any]:
        names = {f"#a{i}": name for i, name in enumerate(attrs)}
        values = {f":v{i}": {"N": str(value)} for i, value in enumerate(attrs.values())}
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"user_id": {"S": user_id}, "sk": {"S": _item_sk(item)}},
                "UpdateExpression": "ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(attrs))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def mark_active(self, user_ids: Iterable[str], day: date) -> None:
        """Put the users on the day's work list of the repair (idempotent)."""
        for user_id in sorted(set(user_ids)):
            self._db.put_item(
                TableName=self._table,
                Item={
                    "user_id": {"S": f"{ACTIVITY}{day.isoformat()}#{_shard(user_id)}"},
                    "sk": {"S": f"USER#{user_id}"},
                },
            )

    def active_users(self, day: date, *, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        """One page of the users active on ``day`` (Queries over the 8 shards, in order), and the next cursor."""
        shard, start = self._decode_cursor(cursor, day) if cursor else (0, None)
        users: list[str] = []
        while shard < ACTIVITY_SHARDS and len(users) < limit:
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "user_id = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"{ACTIVITY}{day.isoformat()}#{shard}"}},
                "Limit": limit - len(users),
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._db.query(**kwargs)
            users.extend(item["sk"]["S"].removeprefix("USER#") for item in page["Items"])
            start = page.get("LastEvaluatedKey")
            if start is None:
                shard += 1
        if shard >= ACTIVITY_SHARDS:
            return users, None
        raw = json.dumps({"d": day.isoformat(), "s": shard, "k": start}).encode()
        return users, base64.urlsafe_b64encode(raw).decode()

    @staticmethod
    def _decode_cursor(cursor: str, day: date) -> tuple[int, dict[str, Any] | None]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor))
            if payload["d"] != day.isoformat() or not 0 <= int(payload["s"]) < ACTIVITY_SHARDS:
                raise ValueError("another day")
            return int(payload["s"]), payload["k"]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise InvalidInputError("The cursor is not valid.", fields={"cursor": "is not valid"}) from exc

    # --- the read side -------------------------------------------------------------------------------
    def read(self, user_id: str, *, since: date) -> tuple[dict[date, dict[str, int]], dict[str, int]]:
        """Day items from ``since`` on and the summary: one Query (``STAT#DAY#<since>`` .. ``STAT#SUMMARY``), or
        none when the request's read-ahead fetched that range with the caller's Users row."""
        days: dict[date, dict[str, int]] = {}
        summary: dict[str, int] = {}
        first = f"{STAT_DAY}{since.isoformat()}"
        held = prefetched.take_range(self._table, user_id, first, STAT_SUMMARY)  # read ahead with the Users row
        items = (
            held
            if held is not None
            else self._query(
                user_id, "user_id = :u AND sk BETWEEN :a AND :b", {":a": {"S": first}, ":b": {"S": STAT_SUMMARY}}
            )
        )
        for item in items:
            sk = item["sk"]["S"]
            if sk == STAT_SUMMARY:
                summary = _numbers(item)
            else:
                days[date.fromisoformat(sk.removeprefix(STAT_DAY))] = _numbers(item)
        return days, summary

    def names(self, user_id: str, *, projects: list[str], labels: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        """The names the figures show: one BatchGetItem of the ``PROJECT#`` and ``LABEL#`` items (per 100 keys), not
        two Queries of every project and label."""
        wanted = [PROJECT + p for p in dict.fromkeys(projects)] + [LABEL + label for label in dict.fromkeys(labels)]
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 100):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [{"user_id": {"S": user_id}, "sk": {"S": sk}} for sk in wanted[i : i + 100]],
                    "ProjectionExpression": "sk, #n",
                    "ExpressionAttributeNames": {"#n": "name"},
                    "ConsistentRead": True,
                }
            }
            for _ in range(8):
                answer = self._db.batch_get_item(RequestItems=pending)
                found.update({it["sk"]["S"]: it["name"]["S"] for it in answer["Responses"].get(self._table, [])})
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB kept refusing a batch get")
        return (
            {sk.removeprefix(PROJECT): name for sk, name in found.items() if sk.startswith(PROJECT)},
            {sk.removeprefix(LABEL): name for sk, name in found.items() if sk.startswith(LABEL)},
        )

    def aggregates(self, user_id: str) -> Counters:
        """Every non-zero aggregate counter of the user (tests and the repair compare these)."""
        out: Counters = {}
        for item in self._query(user_id, "user_id = :u AND begins_with(sk, :p)", {":p": {"S": STAT}}):
            sk = item["sk"]["S"]
            if sk.startswith(STAT_TASK):
                continue
            name = _item_name(sk)
            out.update({(name, attr): n for attr, n in _numbers(item).items() if n})
        return out

    def replace_all(self, user_id: str, aggregates: Counters, contributions: Mapping[str, StoredContribution]) -> None:
        """The repair: write the recomputed aggregates and contributions, delete the stale ones.

        Tombstones (contributions of deleted tasks) stay: they keep late replays of the task's records harmless.
        """
        wanted: dict[str, dict[str, Any]] = {}
        for name, attrs in _by_item(aggregates).items():
            wanted[_item_sk(name)] = {k: {"N": str(v)} for k, v in attrs.items()}
        for task_id, stored in contributions.items():
            wanted[STAT_TASK + task_id] = {"ord": {"N": str(stored.order)}, "c": {"S": _encode(stored.counters)}}
        stale: list[str] = []
        for item in self._query(user_id, "user_id = :u AND begins_with(sk, :p)", {":p": {"S": STAT}}):
            sk = item["sk"]["S"]
            tombstone = sk.startswith(STAT_TASK) and int(item["ord"]["N"]) % 2 == 1
            if sk not in wanted and not tombstone:
                stale.append(sk)
        requests: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": {"user_id": {"S": user_id}, "sk": {"S": sk}}}} for sk in stale
        ]
        requests += [
            {"PutRequest": {"Item": {"user_id": {"S": user_id}, "sk": {"S": sk}, **attrs}}}
            for sk, attrs in wanted.items()
        ]
        self._batch_write(requests)

    # --- the whole partition ---------------------------------------------------------------------------
    def erase_user(self, user_id: str) -> int:
        """Delete every item of the user's partition (tasks, links, projects, labels, aggregates); returns how many."""
        keys = [
            {"DeleteRequest": {"Key": {"user_id": item["user_id"], "sk": item["sk"]}}}
            for item in self._query(user_id, "user_id = :u", {}, projection="user_id, sk")
        ]
        self._batch_write(keys)
        return len(keys)

    def _query(
        self, user_id: str, condition: str, values: dict[str, Any], *, projection: str | None = None
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": {":u": {"S": user_id}, **values},
            "ConsistentRead": True,
        }
        if projection:
            kwargs["ProjectionExpression"] = projection
        while True:
            page = self._db.query(**kwargs)
            yield from page["Items"]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for i in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[i : i + 25]}
            for _ in range(8):
                unprocessed = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not unprocessed:
                    break
                pending = unprocessed
            else:
                raise RuntimeError("DynamoDB kept refusing a batch write")
