"""``make bench``, the load test (issue 15): 50 simulated users for 60 s against the local stack, with locust.

Starts its own local AWS and local API on free loopback ports, signs up ``--users`` accounts (one per simulated
user, each seeded with ``SEEDED`` tasks), then runs locust headless in a subprocess (``scripts/locustfile.py``: list
views, quick add, complete, edit, search, attachment requests, with think time) for ``--seconds``. Reports
throughput, p50/p95/p99 per operation and errors, then checks every write the API acknowledged against the table
(consistent reads): each task at the last acknowledged version, title and status, each requested attachment's row.

    PYTHONPATH=. python -m scripts.bench_load [--users 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from backend.local.bootstrap import local_client
from backend.local.environment import LOCAL_REGION, LOCAL_STAGE
from backend.local.testing import free_port, local_aws, serve_local_api
from backend.names import ResourceNames
from scripts.bench import signed_in_user
from scripts.bench_tasks import seed

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SEEDED = 40  # tasks per account before the run (10 of them with "invoice" in the title)
SPAWN_RATE = 25  # users started per second


def _account(api_url: str) -> dict[str, str]:
    _, tokens = signed_in_user(api_url)
    me = httpx.get(f"{api_url}/me", headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=30)
    me.raise_for_status()
    return {"user_id": me.json()["id"], "token": tokens.access_token}


def _locust(api_url: str, *, users: int, seconds: int, accounts: Path, acks: Path, csv_prefix: Path) -> None:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--users", str(users), "--spawn-rate", str(SPAWN_RATE), "--run-time", f"{seconds}s", "--stop-timeout", "10",
        "--host", api_url, "--csv", str(csv_prefix), "--loglevel", "ERROR", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_LOAD_ACCOUNTS": str(accounts), "BENCH_LOAD_ACKS": str(acks)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"locust exited with {done.returncode}:\n{done.stderr[-3000:]}")


def _figures(csv_prefix: Path, seconds: int) -> dict[str, Any]:
    """Locust's summary CSV as figures: per operation and in all (its percentiles are bucketed: 2 significant
    digits above 100 ms)."""
    rows = list(csv.DictReader(Path(f"{csv_prefix}_stats.csv").read_text().splitlines()))
    failures = list(csv.DictReader(Path(f"{csv_prefix}_failures.csv").read_text().splitlines()))

    def figures(row: dict[str, str]) -> dict[str, Any]:
        return {
            "requests": int(row["Request Count"]),
            "errors": int(row["Failure Count"]),
            "per_second": round(float(row["Requests/s"]), 2),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "max_ms": round(float(row["Max Response Time"]), 1),
        }

    operations = {row["Name"]: figures(row) for row in rows if row["Name"] != "Aggregated"}
    total = figures(next(row for row in rows if row["Name"] == "Aggregated"))
    return {
        "seconds": seconds,
        "operations": operations,
        "total": total,
        "error_kinds": [
            {"name": f["Name"], "error": f["Error"][:200], "count": int(f["Occurrences"])} for f in failures
        ],
    }


def _check_acknowledged(acks: dict[str, Any], *, endpoint: str) -> dict[str, Any]:
    """Every acknowledged write, read back with consistent reads: tasks at their last acknowledged state (a newer
    version only when a request to that task was still unanswered when the run stopped), attachment rows present."""
    dynamodb = local_client("dynamodb", endpoint, LOCAL_REGION)
    table = ResourceNames(LOCAL_STAGE).tasks_table
    checked, problems = 0, []
    for user_id, written in acks.items():
        for task_id, ack in written["tasks"].items():
            checked += 1
            key = {"user_id": {"S": user_id}, "sk": {"S": f"TASK#{task_id}"}}
            item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            if item is None:
                problems.append(f"task {task_id}: missing")
                continue
            version = int(item["version"]["N"])
            status = item["status"]["S"]
            if ack["in_flight"] and version > ack["version"]:
                continue  # its last request was sent but never answered before the stop
            if (version, item["title"]["S"], status) != (ack["version"], ack["title"], ack["status"]):
                problems.append(f"task {task_id}: stored v{version} {status!r}, acknowledged {ack}")
        for task_id, attachment_id in written["attachments"]:
            checked += 1
            key = {"user_id": {"S": user_id}, "sk": {"S": f"ATT#{task_id}#{attachment_id}"}}
            if "Item" not in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True):
                problems.append(f"attachment {attachment_id}: missing")
    return {"acknowledged_writes_checked": checked, "missing_or_different": len(problems), "problems": problems[:20]}


def run(*, users: int, seconds: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as workdir,
        local_aws(port=free_port()) as local,
        serve_local_api(free_port()) as api_url,
    ):
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            accounts = list(pool.map(lambda _: _account(api_url), range(users)))
        for account in accounts:
            seed(account["user_id"], SEEDED)
        if local.streams is not None:
            # The seeded items' stream records, taken out undelivered: the stream consumers (in this process) would
            # otherwise spend the run on 2 000 old records instead of the run's own writes.
            local.streams.collect()
        prepared_s = time.perf_counter() - began
        accounts_file, acks_file = Path(workdir, "accounts.json"), Path(workdir, "acks.json")
        accounts_file.write_text(json.dumps(accounts))
        prefix = Path(workdir, "locust")
        _locust(api_url, users=users, seconds=seconds, accounts=accounts_file, acks=acks_file, csv_prefix=prefix)
        figures = _figures(prefix, seconds)
        if local.streams is not None:
            local.streams.drain()  # the stream consumers' backlog, so the check reads a settled table
        figures["check"] = _check_acknowledged(json.loads(acks_file.read_text()), endpoint=local.endpoint)
    figures["users"] = users
    figures["seeded_tasks_per_user"] = SEEDED
    figures["prepare_seconds"] = round(prepared_s, 1)
    return figures


def print_report(report: dict[str, Any]) -> None:
    total = report["total"]
    print(
        f"\nload test (locust, {report['users']} users, {report['seconds']} s, local API on loopback): "
        f"{total['per_second']} requests/s, {total['requests']} requests, {total['errors']} errors"
    )
    print(f"{'operation':34} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for name, row in [*sorted(report["operations"].items()), ("all", total)]:
        print(
            f"{name:34} {row['requests']:8} {row['errors']:6} {row['p50_ms']:7.0f} {row['p95_ms']:7.0f} "
            f"{row['p99_ms']:7.0f}"
        )
    for kind in report["error_kinds"]:
        print(f"  error x{kind['count']} {kind['name']}: {kind['error']}")
    check = report["check"]
    print(
        f"acknowledged writes checked afterwards: {check['acknowledged_writes_checked']}, "
        f"missing or different: {check['missing_or_different']}"
    )
    for problem in check["problems"]:
        print(f"  ! {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--output", type=Path, default=Path(".local/bench/load.json"))
    args = parser.parse_args(argv)
    report = run(users=args.users, seconds=args.seconds)
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
