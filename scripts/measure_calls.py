"""``make bench`` (one step of it): the AWS calls each user operation makes, for the cost model.

Starts its own local AWS and local API on free ports, signs up one user with a few projects and tasks, then drives
each operation of ``OPERATIONS`` through the real API over HTTP (the typed client the UI uses) and counts, per
operation, everything it causes until the streams are drained — the API request, the Lambda invocations it leads to
(authorizer, api, analytics and live on the streams, reminders when a schedule fires) with their durations, the
DynamoDB calls with the capacity units AWS would charge, Scheduler schedules created/updated/deleted, e-mails and
SMS. Writes ``docs/measured-calls.json`` (read by ``scripts/cost_model.py``), then regenerates the cost figures in
``docs/operations.md``.

How it counts (no mock: the real calls go to the emulator, the meter only watches them):
- every botocore call goes through ``BaseClient._make_api_call``; a wrapper records it against the Lambda function
  running in that thread (``backend.local.lambda_runtime.invoke`` is wrapped to say which, and to time it);
- moto reports fixed capacity units, so the units are computed the way DynamoDB documents them, from the item images:
  reads 4 KB per unit (half for eventually consistent, double in a transaction), writes 1 KB per unit of the larger of
  the old and new image (double in a transaction), plus one write per global secondary index whose projection
  changes (two when its key moves). The images come from side reads that are not counted; a query is re-run
  without its filter and projection to size what it really reads.
- durations are wall times on this machine against moto on loopback (no network): the model adds a per-call AWS
  latency (scripts/cost_model.py).

    PYTHONPATH=. python -m scripts.measure_calls [--repeat 3] [--no-docs]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.client
from botocore.exceptions import ClientError

OUTPUT = Path("docs/measured-calls.json")
READ_UNIT, WRITE_UNIT = 4096, 1024
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
# Threads of backend/adapters/task_store/store.py's fan-out pool run a handler's parallel queries; every other
# thread without a running invocation is the emulator's own (the scheduler deleting a fired one-time schedule, the
# stream pumps) and is not counted.
FAN_OUT_THREADS = "fan-out"


# --- item sizes (DynamoDB's documented rules, close enough for a cost model) -------------------------------------
def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return (len(str(inner).lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner))
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind in {"SS", "NS", "BS"}:
        return sum(_value_size({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in inner.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _projected(index: dict[str, Any], table_keys: list[str], item: dict[str, Any] | None) -> dict[str, Any] | None:
    """What of ``item`` a global secondary index holds (None: a sparse index that does not hold it)."""
    keys = [k["AttributeName"] for k in index["KeySchema"]]
    if not item or any(k not in item for k in keys):
        return None
    projection = index["Projection"]
    if projection["ProjectionType"] == "ALL":
        return item
    wanted = set(keys) | set(table_keys) | set(projection.get("NonKeyAttributes", []))
    return {k: v for k, v in item.items() if k in wanted}


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


# --- the meter ------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    invocations: Counter[str] = field(default_factory=Counter)
    durations_ms: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)  # "<function> <service>:<operation>"
    read_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # per function
    write_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


class Meter:
    """Watches every botocore call made inside a (local) Lambda invocation; side reads are not counted."""

    def __init__(self, endpoint: str, region: str, credentials: dict[str, str]) -> None:
        self._side: Any = boto3.session.Session().client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=credentials["aws_access_key_id"],
            aws_secret_access_key=credentials["aws_secret_access_key"],
        )
        self._local = threading.local()
        self._active: list[str] = []
        self._lock = threading.Lock()
        self._schemas: dict[str, dict[str, Any]] = {}
        self.tally = Tally()

    # which function runs now
    def function(self) -> str | None:
        name = getattr(self._local, "function", None)
        if name is None and threading.current_thread().name.startswith(FAN_OUT_THREADS):
            with self._lock:  # the task store's pool of parallel queries: the invocation that started it
                running = set(self._active)
                return "api" if "api" in running else (next(iter(running)) if len(running) == 1 else None)
        return None if name is None else str(name)

    @contextmanager
    def running(self, function_name: str) -> Iterator[None]:
        previous = getattr(self._local, "function", None)
        self._local.function = function_name
        with self._lock:
            self._active.append(function_name)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            with self._lock:
                self._active.remove(function_name)
                self.tally.invocations[function_name] += 1
                self.tally.durations_ms[function_name] += elapsed
            self._local.function = previous

    def reset(self) -> Tally:
        with self._lock:
            done, self.tally = self.tally, Tally()
        return done

    # side reads (never counted)
    def _schema(self, table: str) -> dict[str, Any]:
        if table not in self._schemas:
            self._schemas[table] = self._side.describe_table(TableName=table)["Table"]
        return self._schemas[table]

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {k["AttributeName"]: item[k["AttributeName"]] for k in self._schema(table)["KeySchema"]}

    def _image(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._side.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return found

    def _index_writes(self, table: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
        """Write units the table's global secondary indexes add for one item changing from ``old`` to ``new``."""
        schema = self._schema(table)
        table_keys = [k["AttributeName"] for k in schema["KeySchema"]]
        units = 0
        for index in schema.get("GlobalSecondaryIndexes", []):
            keys = [k["AttributeName"] for k in index["KeySchema"]]
            before, after = _projected(index, table_keys, old), _projected(index, table_keys, new)
            if before == after:
                continue
            moved = before is not None and after is not None and any(before[k] != after[k] for k in keys)
            for image in (before, after) if moved else (after or before,):
                units += _units(item_size(image), WRITE_UNIT)
        return units

    def _write(self, table: str, old: dict[str, Any] | None, new: dict[str, Any] | None, factor: int) -> float:
        return factor * _units(max(item_size(old), item_size(new)), WRITE_UNIT) + self._index_writes(table, old, new)

    def _query_read(self, params: dict[str, Any], operation: str) -> float:
        """Units of a Query/Scan: what it reads before filter and projection (re-run without them, uncounted)."""
        side: dict[str, Any] = {
            k: params[k] for k in ("TableName", "IndexName", "Limit", "ExclusiveStartKey") if k in params
        }
        if operation == "Query":
            condition = params["KeyConditionExpression"]
            side["KeyConditionExpression"] = condition
            side["ScanIndexForward"] = params.get("ScanIndexForward", True)
            names = set(re.findall(r"#\w+", condition))
            values = set(re.findall(r":\w+", condition))
            if names:
                side["ExpressionAttributeNames"] = {
                    k: v for k, v in params["ExpressionAttributeNames"].items() if k in names
                }
            if values:
                side["ExpressionAttributeValues"] = {
                    k: v for k, v in params["ExpressionAttributeValues"].items() if k in values
                }
        read = self._side.query(**side) if operation == "Query" else self._side.scan(**side)
        total = sum(item_size(i) for i in read.get("Items", []))
        return _units(total, READ_UNIT) * (1.0 if params.get("ConsistentRead") else 0.5)

    def before(self, operation: str, params: dict[str, Any]) -> Any:
        if operation in {"UpdateItem", "DeleteItem"}:
            return self._image(params["TableName"], params["Key"])
        if operation == "PutItem":
            return self._image(params["TableName"], self._key_of(params["TableName"], params["Item"]))
        if operation == "TransactWriteItems":
            olds = []
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                key = body["Key"] if "Key" in body else self._key_of(body["TableName"], body["Item"])
                olds.append((kind, body, self._image(body["TableName"], key)))
            return olds
        if operation == "BatchWriteItem":
            olds = []
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        olds.append((table, item, self._image(table, self._key_of(table, item))))
                    else:
                        key = request["DeleteRequest"]["Key"]
                        olds.append((table, None, self._image(table, key)))
            return olds
        return None

    def capacity(
        self, operation: str, params: dict[str, Any], result: dict[str, Any] | None, before: Any
    ) -> tuple[float, float]:
        """(read units, write units) of one call; a refused conditional write still costs its write units."""
        if operation in WRITES or operation in {"TransactWriteItems", "BatchWriteItem"}:
            return 0.0, self._write_units(operation, params, result, before)
        return self._read_units(operation, params, result), 0.0

    def _read_units(self, operation: str, params: dict[str, Any], result: dict[str, Any] | None) -> float:
        if operation == "GetItem":
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            return _units(item_size((result or {}).get("Item")), READ_UNIT) * factor
        if operation == "BatchGetItem":
            units = 0.0
            for table, request in params["RequestItems"].items():
                factor = 1.0 if request.get("ConsistentRead") else 0.5
                found = (result or {}).get("Responses", {}).get(table, [])
                units += sum(_units(item_size(i), READ_UNIT) * factor for i in found)
                units += max(0, len(request["Keys"]) - len(found)) * factor  # a missing item still costs a unit
            return units
        if operation == "TransactGetItems":
            items = [r.get("Item") for r in (result or {}).get("Responses", [])]
            items = items or [None] * len(params["TransactItems"])
            return float(sum(2 * _units(item_size(i), READ_UNIT) for i in items))
        if operation in {"Query", "Scan"}:
            return self._query_read(params, operation)
        return 0.0  # DescribeTable and the like

    def _write_units(self, operation: str, params: dict[str, Any], result: dict[str, Any] | None, before: Any) -> float:
        if operation in WRITES:
            table = params["TableName"]
            new = None
            if operation == "PutItem":
                new = params["Item"] if result is not None else before
            elif operation == "UpdateItem":
                new = self._image(table, params["Key"])
            elif result is None:  # a refused delete leaves the item
                new = before
            return self._write(table, before, new, 1)
        if operation == "TransactWriteItems":
            units = 0.0
            for kind, body, old in before:
                table = body["TableName"]
                if kind == "ConditionCheck" or result is None:
                    units += 2 * _units(item_size(old), WRITE_UNIT)
                    continue
                new = body["Item"] if kind == "Put" else None
                if kind == "Update":
                    new = self._image(table, body["Key"])
                units += self._write(table, old, new, 2)
            return units
        return sum(self._write(table, old, new, 1) for table, new, old in before)  # BatchWriteItem

    def install(self) -> Callable[[], None]:
        """Wrap botocore and the local Lambda runtime; returns the function that undoes it."""
        import backend.local.asgi as asgi_module
        import backend.local.lambda_runtime as runtime_module
        import backend.local.runtime as local_runtime_module

        meter = self
        original_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
        original_invoke = runtime_module.invoke

        def metered_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            function = meter.function()
            if function is None or client is meter._side:
                return original_call(client, operation, params)
            service = client.meta.service_model.service_name
            before = meter.before(operation, params) if service == "dynamodb" else None
            result: dict[str, Any] | None = None
            try:
                result = original_call(client, operation, params)
                return result
            except ClientError:
                result = None
                raise
            finally:
                reads, writes = meter.capacity(operation, params, result, before) if service == "dynamodb" else (0, 0)
                if service == "sns" and operation == "Publish" and "PhoneNumber" in params:
                    operation = "Publish(SMS)"
                with meter._lock:
                    meter.tally.calls[f"{function} {service}:{operation}"] += 1
                    meter.tally.read_units[function] += reads
                    meter.tally.write_units[function] += writes

        def metered_invoke(handler: Any, event: dict[str, Any], function_name: str) -> Any:
            with meter.running(function_name):
                return original_invoke(handler, event, function_name)

        botocore.client.BaseClient._make_api_call = metered_call  # type: ignore[attr-defined]
        for module in (runtime_module, local_runtime_module, asgi_module):
            module.invoke = metered_invoke  # type: ignore[attr-defined]

        def undo() -> None:
            botocore.client.BaseClient._make_api_call = original_call  # type: ignore[attr-defined]
            for module in (runtime_module, local_runtime_module, asgi_module):
                module.invoke = original_invoke  # type: ignore[attr-defined]

        return undo


# --- the operations -----------------------------------------------------------------------------------------
@dataclass
class Session:
    api: Any  # backend.client.ApiClient with the user's token
    local: Any  # backend.local.runtime.LocalRun
    reset: Callable[[], Tally]  # forget what was counted so far (set-up that belongs to another operation)
    tasks: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """What AWS would do after the request: the stream consumers catch up."""
        for pump in (self.local.streams, self.local.notification_streams):
            if pump is not None:
                pump.drain()


def _task(session: Session, **fields: Any) -> Any:
    from backend.schemas import TaskCreate

    return session.api.create_task(TaskCreate(title=f"measure {uuid.uuid4().hex[:6]} report budget", **fields))


def op_open_app(s: Session) -> None:
    """What a tab loads when it opens (profile, sidebar, the Today list, the bell)."""
    s.api.get_me()
    s.api.list_projects()
    s.api.list_labels()
    s.api.list_tasks(view="today")
    s.api.unread_count()


def op_list_tasks(s: Session) -> None:
    s.api.list_tasks(view="all", limit=50)


def op_get_task(s: Session) -> None:
    s.api.get_task(s.tasks[0])


def op_create_task(s: Session) -> None:
    s.tasks.append(_task(s, due_date=date.today() + timedelta(days=3)).id)


def op_update_task(s: Session) -> None:
    from backend.schemas import TaskUpdate

    task = s.api.get_task(s.tasks[1])
    s.api.update_task(task.id, TaskUpdate(title=f"{task.title} edited", version=task.version))


def op_complete_task(s: Session) -> None:
    s.api.complete_task(s.tasks.pop())


def op_search(s: Session) -> None:
    s.api.list_tasks(view="all", q="budget")


def op_set_reminder(s: Session) -> None:
    from backend.schemas_notifications import ReminderIn

    at = datetime.now(UTC) + timedelta(days=2)
    s.api.put_reminders(s.tasks[2], [ReminderIn(at=at)])


def op_reminder_sent(s: Session) -> None:
    """A reminder's schedule fires: the reminders Lambda sends the e-mail and writes the inbox row."""
    from backend.schemas_notifications import ReminderIn

    s.api.put_reminders(s.tasks[3], [ReminderIn(at=datetime.now(UTC) + timedelta(seconds=1))])
    s.settle()
    # only the firing is this operation's: the set-up above is set_reminder's
    s.reset()
    s.local.scheduler.fire_due(datetime.now(UTC) + timedelta(minutes=1))


def op_notifications(s: Session) -> None:
    s.api.list_notifications()


def op_stats(s: Session) -> None:
    s.api.get_stats("30d")


def op_delete_task(s: Session) -> None:
    s.api.delete_task(s.tasks.pop(0))


OPERATIONS: dict[str, Callable[[Session], None]] = {
    "open_app": op_open_app,
    "list_tasks": op_list_tasks,
    "get_task": op_get_task,
    "create_task": op_create_task,
    "update_task": op_update_task,
    "complete_task": op_complete_task,
    "search": op_search,
    "set_reminder": op_set_reminder,
    "reminder_sent": op_reminder_sent,
    "notifications": op_notifications,
    "stats": op_stats,
    "delete_task": op_delete_task,
}


def _signed_in(api_url: str) -> Any:
    from backend.client import ApiClient
    from scripts.bench import signed_in_user

    _, tokens = signed_in_user(api_url)
    return ApiClient(api_url, tokens.access_token)


def _summary(tallies: list[Tally], requests: int) -> dict[str, Any]:
    """The median of the repeats (calls and units are the same each time; durations vary)."""
    last = tallies[-1]
    functions = sorted(set().union(*(t.invocations for t in tallies)))
    lambdas = {}
    for name in functions:
        per_call = [t.durations_ms[name] / t.invocations[name] for t in tallies if t.invocations[name]]
        if not round(statistics.median(t.invocations[name] for t in tallies)):
            continue  # a stray stream batch in one repeat only
        lambdas[name] = {
            # the median: how the stream pumps batch records varies with timing
            "invocations": round(statistics.median(t.invocations[name] for t in tallies)),
            # rounded up to 5 ms: the figure is a local wall time, finer steps would only be noise in the diff
            "ms_per_invocation": 5 * math.ceil(statistics.median(per_call) / 5),
        }
    dynamodb: dict[str, dict[str, float]] = {}
    for function in sorted(set(last.read_units) | set(last.write_units)):
        dynamodb[function] = {
            "read_units": round(last.read_units[function], 1),
            "write_units": round(last.write_units[function], 1),
        }
    calls = dict(sorted(last.calls.items()))

    def count(pattern: str) -> int:
        return sum(n for name, n in calls.items() if re.search(pattern, name))

    return {
        "api_requests": requests,
        "lambda": lambdas,
        "dynamodb": dynamodb,
        "schedules": {
            "created": count(r"scheduler:CreateSchedule$"),
            "updated": count(r"scheduler:UpdateSchedule$"),
            "deleted": count(r"scheduler:DeleteSchedule$"),
        },
        "emails": count(r"(ses|sesv2):Send(Raw)?Email$"),
        "sms": count(r"Publish\(SMS\)$"),
        "calls": calls,
    }


def measure(repeat: int = 3) -> dict[str, Any]:
    from backend.local.bootstrap import LOCAL_CREDENTIALS
    from backend.local.environment import LOCAL_REGION
    from backend.local.testing import free_port, local_aws, serve_local_api

    results: dict[str, Any] = {}
    api_port = free_port()
    with local_aws(port=free_port(), api_url=f"http://127.0.0.1:{api_port}/api") as local:
        meter = Meter(local.endpoint, LOCAL_REGION, LOCAL_CREDENTIALS)
        undo = meter.install()
        try:
            with serve_local_api(api_port) as api_url:
                session = Session(api=_signed_in(api_url), local=local, reset=meter.reset)
                for _ in range(12):  # a user with some tasks: lists and searches read something
                    session.tasks.append(_task(session, due_date=date.today()).id)
                session.settle()
                tallies: dict[str, list[Tally]] = defaultdict(list)
                requests: dict[str, int] = {}
                for _ in range(repeat):
                    for name, operation in OPERATIONS.items():
                        meter.reset()
                        operation(session)
                        session.settle()
                        tally = meter.reset()
                        tallies[name].append(tally)
                        requests[name] = tally.invocations["api"]
                for name in OPERATIONS:
                    results[name] = _summary(tallies[name], requests[name])
        finally:
            undo()
    return {
        "about": (
            "Measured by scripts/measure_calls.py (make bench) on the local emulator: calls and capacity units per "
            "operation as AWS would count them; ms_per_invocation is local wall time against moto on loopback "
            "(the cost model adds AWS's per-call latency). Regenerate with make bench; never edit by hand."
        ),
        "operations": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-docs", action="store_true", help="do not regenerate docs/operations.md")
    args = parser.parse_args(argv)
    measured = measure(args.repeat)
    args.output.write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n")
    for name, figures in measured["operations"].items():
        units = figures["dynamodb"]
        reads = sum(u["read_units"] for u in units.values())
        writes = sum(u["write_units"] for u in units.values())
        print(
            f"{name:15} requests {figures['api_requests']:2}  RRU {reads:5.1f}  WRU {writes:5.1f}  "
            f"schedules +{figures['schedules']['created']} -{figures['schedules']['deleted']}  "
            f"emails {figures['emails']}"
        )
    print(f"# wrote {args.output}")
    if not args.no_docs:
        from scripts import cost_model

        cost_model.main(["--write"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
