"""DynamoDB Streams -> Lambda, locally: what the event source mapping does in AWS and moto does not.

moto records every write of a table that has a stream (the records its ``dynamodbstreams`` API serves), but
invokes nothing. ``StreamPump`` reads those records in-process, in order, hands them to the handler as the Lambda
service would (``{"Records": [...]}``, at most ``batch_size`` at a time, the stream ARN, epoch timestamps), and
drops the delivered ones from moto's shard (AWS keeps 24 hours; moto would keep them forever, and copies the
whole table, stream included, on every transaction). Records the handler reports as failed
(``batchItemFailures``) are retried from the first failure on the next poll, up to ``max_retries`` times, then
logged and dropped, like a mapping with ``BisectBatchOnFunctionError`` and a retry limit.

A background thread polls every ``interval`` seconds (``make run`` and the API tests); tests that must not depend
on timing call ``drain()``, which delivers everything written so far before it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard

log = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], Any]


class StreamPump:
    def __init__(
        self,
        *,
        table: str,
        region: str,
        deliver: Deliver,
        batch_size: int = 100,
        interval: float = 0.1,
        max_retries: int = 3,
    ) -> None:
        self._table, self._region, self._deliver = table, region, deliver
        self._batch_size, self._interval, self._max_retries = batch_size, interval, max_retries
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self.delivered = 0

    def _shard(self) -> tuple[StreamShard | None, str]:
        # Looked up every time: moto replaces the table object when it rolls back a failed transaction.
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region].tables.get(self._table)
        if table is None or table.stream_shard is None:
            return None, ""
        return table.stream_shard, f"{table.table_arn}/stream/{table.latest_stream_label}"

    def _take(self, limit: int) -> list[dict[str, Any]]:
        shard, arn = self._shard()
        if shard is None:
            return []
        return [self._lambda_record(item.to_json(), arn) for item in shard.items[:limit]]

    def _drop(self, count: int) -> None:
        shard, _ = self._shard()
        if shard is not None and count:
            del shard.items[:count]  # one atomic list operation; moto numbers new records from len + start
            shard.starting_sequence_number += count

    @staticmethod
    def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
        body = dict(record["dynamodb"])
        moment = body.get("ApproximateCreationDateTime")
        if isinstance(moment, datetime):
            body["ApproximateCreationDateTime"] = moment.timestamp()
        return {**record, "dynamodb": body, "eventSourceARN": arn}

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No background delivery inside (this thread may still ``collect()`` or ``drain()``)."""
        with self._lock:
            yield

    def collect(self) -> list[dict[str, Any]]:
        """Take every pending record out of the stream without delivering it (tests replay them by hand)."""
        with self._lock:
            records = self._take(1_000_000)
            self._drop(len(records))
            return records

    def drain(self) -> int:
        """Deliver every pending record (batch after batch) before returning; how many were delivered."""
        with self._lock:
            count = 0
            while not self._stop.is_set() and (records := self._take(self._batch_size)):
                done = self._deliver_batch(records)
                self._drop(done)
                count += done
                if done < len(records):
                    break  # a failure: retried on the next drain
            self.delivered += count
            return count

    def _deliver_batch(self, records: list[dict[str, Any]]) -> int:
        """How many records, from the start, are done (delivered, or dropped after too many retries)."""
        try:
            result = self._deliver({"Records": records})
        except Exception:
            log.exception("the stream handler failed on a whole batch")
            failed_at = 0
        else:
            failures = (result or {}).get("batchItemFailures") or []
            sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
            failed = [sequence.index(f["itemIdentifier"]) for f in failures if f.get("itemIdentifier") in sequence]
            if not failed:
                self._failures = 0
                return len(records)
            failed_at = min(failed)
        self._failures += 1
        if self._failures > self._max_retries:
            log.error("dropping stream record %s after %d attempts", records[failed_at]["eventID"], self._failures)
            self._failures = 0
            return failed_at + 1
        return failed_at

    # --- the background poller ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="dynamodb-stream-pump", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.drain()
            except Exception:
                log.exception("stream delivery failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
