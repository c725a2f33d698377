"""DynamoDB Streams -> Lambda, locally: what the event source mappings do in AWS and moto does not.

moto records every write of a table that has a stream (the records its ``dynamodbstreams`` API serves), but
invokes nothing. ``StreamPump`` reads those records in-process, in order, and hands them to each of the table's
consumers (one per event source mapping in AWS: the analytics Lambda, the live-updates Lambda...) as the Lambda
service would (``{"Records": [...]}``, at most the consumer's ``batch_size`` at a time, the stream ARN, epoch
timestamps). Each consumer has its own position in the stream, its own retries and its own poller thread, like
separate mappings: a slow or failing consumer neither delays nor re-delivers another's records. Records every
consumer is past are dropped from moto's shard (AWS keeps 24 hours; moto would keep them forever, and copies the
whole table, stream included, on every transaction). Records a handler reports as failed (``batchItemFailures``)
are retried from the first failure on the next poll, up to ``max_retries`` times, then logged and skipped, like a
mapping with ``BisectBatchOnFunctionError`` and a retry limit.

Background threads poll every consumer's ``interval`` (``make run`` and the API tests); tests that must not depend
on timing call ``drain()``, which delivers everything written so far to every consumer before it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard

log = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Consumer:
    """One event source mapping: a name (logs), the function, its batch size and how often it polls."""

    name: str
    deliver: Deliver
    batch_size: int = 100
    interval: float = 0.1


@dataclass
class _Cursor:
    consumer: Consumer
    position: int | None = None  # sequence number of its next record; None: the start of the shard
    failures: int = 0
    delivered: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)


class StreamPump:
    def __init__(self, *, table: str, region: str, consumers: Sequence[Consumer], max_retries: int = 3) -> None:
        self._table, self._region, self._max_retries = table, region, max_retries
        self._cursors = [_Cursor(consumer) for consumer in consumers]
        self._shard_lock = threading.Lock()  # positions and moto's record list, briefly
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def table(self) -> str:
        return self._table

    @property
    def delivered(self) -> dict[str, int]:
        """Records delivered so far, per consumer."""
        return {cursor.consumer.name: cursor.delivered for cursor in self._cursors}

    def _shard(self) -> tuple[StreamShard | None, str]:
        # Looked up every time: moto replaces the table object when it rolls back a failed transaction.
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region].tables.get(self._table)
        if table is None or table.stream_shard is None:
            return None, ""
        return table.stream_shard, f"{table.table_arn}/stream/{table.latest_stream_label}"

    def _take(self, cursor: _Cursor, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """The cursor's position and up to ``limit`` records from there."""
        with self._shard_lock:
            shard, arn = self._shard()
            if shard is None:
                return 0, []
            start, end = shard.starting_sequence_number, shard.starting_sequence_number + len(shard.items)
            # Clamped: a rolled-back transaction removes records at the end (backend/local/transactions.py).
            position = min(max(cursor.position if cursor.position is not None else start, start), end)
            items = shard.items[position - start : position - start + limit]
            return position, [self._lambda_record(item.to_json(), arn) for item in items]

    def _advance(self, cursor: _Cursor, position: int) -> None:
        """Move the cursor to ``position``; drop the records every consumer is past."""
        with self._shard_lock:
            cursor.position = position
            shard, _ = self._shard()
            if shard is None:
                return
            start = shard.starting_sequence_number
            behind = min(c.position if c.position is not None else start for c in self._cursors)
            count = min(max(behind - start, 0), len(shard.items))
            if count:
                del shard.items[:count]  # one atomic list operation; moto numbers new records from len + start
                shard.starting_sequence_number += count

    @staticmethod
    def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
        body = dict(record["dynamodb"])
        moment = body.get("ApproximateCreationDateTime")
        if isinstance(moment, datetime):
            # moto stamps naive UTC datetimes; the Lambda event carries epoch seconds
            body["ApproximateCreationDateTime"] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        return {**record, "dynamodb": body, "eventSourceARN": arn}

    @contextmanager
    def _holding_all(self) -> Iterator[None]:
        with ExitStack() as stack:
            for cursor in self._cursors:  # always in the same order: no deadlock between two callers
                stack.enter_context(cursor.lock)
            yield

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No background delivery inside (this thread may still ``collect()`` or ``drain()``)."""
        with self._holding_all():
            yield

    def collect(self) -> list[dict[str, Any]]:
        """Take every record some consumer has not had out of the stream, delivering nothing (tests replay them)."""
        with self._holding_all():
            behind = min(self._cursors, key=lambda c: self._take(c, 0)[0])
            position, records = self._take(behind, 1_000_000)
            for cursor in self._cursors:
                self._advance(cursor, max(self._take(cursor, 0)[0], position + len(records)))
            return records

    def drain(self) -> int:
        """Deliver every pending record to every consumer (batch after batch) before returning; how many records
        were delivered, counted once per consumer."""
        with self._holding_all():
            return sum(self._drain(cursor) for cursor in self._cursors)

    def _drain(self, cursor: _Cursor) -> int:
        with cursor.lock:
            count = 0
            while not self._stop.is_set():
                position, records = self._take(cursor, cursor.consumer.batch_size)
                if not records:
                    break
                done = self._deliver_batch(cursor, records)
                self._advance(cursor, position + done)
                count += done
                if done < len(records):
                    break  # a failure: retried on the next poll
            cursor.delivered += count
            return count

    def _deliver_batch(self, cursor: _Cursor, records: list[dict[str, Any]]) -> int:
        """How many records, from the start, are done (delivered, or skipped after too many retries)."""
        name = cursor.consumer.name
        try:
            result = cursor.consumer.deliver({"Records": records})
        except Exception:
            log.exception("the %s stream handler failed on a whole batch", name)
            failed_at = 0
        else:
            failures = (result or {}).get("batchItemFailures") or []
            sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
            failed = [sequence.index(f["itemIdentifier"]) for f in failures if f.get("itemIdentifier") in sequence]
            if not failed:
                cursor.failures = 0
                return len(records)
            failed_at = min(failed)
        cursor.failures += 1
        if cursor.failures > self._max_retries:
            log.error(
                "%s: skipping stream record %s after %d attempts", name, records[failed_at]["eventID"], cursor.failures
            )
            cursor.failures = 0
            return failed_at + 1
        return failed_at

    # --- the background pollers, one per consumer ------------------------------------------------------
    def start(self) -> None:
        for cursor in self._cursors:
            thread = threading.Thread(
                target=self._loop, args=(cursor,), name=f"stream-{cursor.consumer.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _loop(self, cursor: _Cursor) -> None:
        while not self._stop.wait(cursor.consumer.interval):
            try:
                self._drain(cursor)
            except Exception:
                log.exception("%s stream delivery failed", cursor.consumer.name)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
