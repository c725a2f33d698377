"""A cheaper rollback for moto's ``TransactWriteItems`` (what every task write and every aggregate update uses).

moto 5.2 deep-copies each whole table a transaction touches before applying it, to restore the copy if an action
fails. The cost grows with the table (items and stream records): a few hundred tasks already make every write
slow, and the copies fragment memory so much that a long local session or a test with thousands of writes grows
by gigabytes. This keeps moto's behaviour — all actions or none, stream records only for what was applied — by
saving only the items the transaction names (and the stream's length) and restoring those on failure.

Installed once per process by ``backend.local.runtime.local_aws``; AWS behaves the same without it.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_state = {"installed": False}
_lock = threading.Lock()
_cheap_copy = threading.local()


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    if getattr(_cheap_copy, "on", False):
        return self  # moto "restores" this object on failure: a no-op, we restore the touched items ourselves
    clone = copy.copy(self)
    memo[id(self)] = clone
    for name, value in vars(self).items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


def _keys(table: Table, op_type: str, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    attrs = op["Item"] if op_type == "Put" else op["Key"]
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


def install() -> None:
    with _lock:
        if _state["installed"]:
            return
        original = DynamoDBBackend.transact_write_items
        Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]

        def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
            saved: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
            streams: dict[int, tuple[Table, int]] = {}
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName", ""))
                if table is None or op_type not in {"Put", "Update", "Delete"}:
                    continue
                hash_value, range_value = _keys(table, op_type, op)
                current = table.get_item(hash_value, range_value)
                saved.append((table, hash_value, range_value, copy.deepcopy(current)))
                if table.stream_shard is not None:
                    streams.setdefault(id(table), (table, len(table.stream_shard.items)))
            _cheap_copy.on = True
            try:
                original(self, transact_items)
            except Exception:
                for table, hash_value, range_value, before in reversed(saved):
                    _restore(table, hash_value, range_value, before)
                for table, length in streams.values():
                    if table.stream_shard is not None:
                        del table.stream_shard.items[length:]
                raise
            finally:
                _cheap_copy.on = False

        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _state["installed"] = True


def _restore(table: Table, hash_value: DynamoType, range_value: DynamoType | None, before: Any) -> None:
    if range_value is not None:
        partition = table.items[hash_value]
        if before is None:
            partition.pop(range_value, None)
        else:
            partition[range_value] = before
    elif before is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = before
