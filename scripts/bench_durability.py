"""Durability figures of the local AWS (issue 15), against ``python -m backend.local serve`` in a scratch directory.

1. kill -9: 200 ``PutItem`` calls, each answered 200, ``kill -9`` 0.3 s after the last answer, restart: how many
   are there (goal: all 200).
2. With 10 000 tasks and 100 MB of attachments stored: bytes written to disk per small change (one task update,
   a ``TransactWriteItems`` of the task and its counter): the journal's growth per change, plus the snapshot
   rewrite amortised over the changes that trigger one (goal: <= 64 KiB).
3. Start-up time at that size: from process start to "# local AWS on ..." after a clean stop (snapshot only) and
   after a kill -9 (snapshot + journal replay), wall clock and CPU seconds of the process (the wall clock follows
   the machine's load); and the restore part alone (what the emulator reports on stderr).

``python -m scripts.bench_durability [--tasks 10000] [--attachments-mb 100] [--json out.json]``: figures only on
stdout, and the same as JSON if asked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from backend.local.bootstrap import LOCAL_CREDENTIALS
from backend.local.durability import COMPACT_RECORDS
from backend.local.environment import LOCAL_REGION, LOCAL_STAGE
from backend.local.testing import free_port
from backend.names import ResourceNames

NAMES = ResourceNames(LOCAL_STAGE)
REPO = Path(__file__).resolve().parents[1]
_RESTORED = re.compile(r"local data: restored in ([0-9.]+) s")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux): the start-up cost without the machine's load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


class Served:
    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir, self.port = workdir, port
        started = time.monotonic()
        env = {**os.environ, "LOCAL_AWS_PORT": str(port), "PYTHONPATH": str(REPO), "POWERTOOLS_LOG_LEVEL": "ERROR"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.local", "serve"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        for line in self.process.stdout:
            if line.startswith("# local AWS on "):
                self.startup_s = time.monotonic() - started
                self.startup_cpu_s = _cpu_seconds(self.process.pid)
                break
        else:
            raise SystemExit(f"serve did not start: {''.join(self.stderr)[-2000:]}")

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    @property
    def restore_s(self) -> float | None:
        deadline = time.monotonic() + 5  # stderr is read on another thread: the line may come a moment later
        while time.monotonic() < deadline:
            for line in list(self.stderr):
                match = _RESTORED.search(line)
                if match:
                    return float(match.group(1))
            time.sleep(0.05)
        return None

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name=LOCAL_REGION,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            **LOCAL_CREDENTIALS,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)


def _task(user: str, i: int) -> dict[str, Any]:
    """An item the size and shape of a task row (keys, GSI keys, a title, a note, dates)."""
    return {
        "user_id": {"S": user},
        "sk": {"S": f"TASK#{i:08d}"},
        "status_pk": {"S": f"{user}#open"},
        "due_sk": {"S": f"2027-01-{1 + i % 28:02d}#{i:08d}"},
        "title": {"S": f"Task number {i} with a title of a usual length"},
        "notes": {"S": "Some notes " * 20},
        "priority": {"N": str(i % 4)},
        "created_at": {"S": "2026-12-05T10:00:00Z"},
        "version": {"N": "1"},
    }


def kill_9_experiment(workdir: Path) -> dict[str, Any]:
    served = Served(workdir, free_port())
    dynamodb = served.client("dynamodb")
    for i in range(200):
        dynamodb.put_item(TableName=NAMES.tasks_table, Item=_task("kill-9", i))
    time.sleep(0.3)
    served.kill()
    again = Served(workdir, served.port)
    present = again.client("dynamodb").query(
        TableName=NAMES.tasks_table,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": "kill-9"}},
        ConsistentRead=True,
        Select="COUNT",
    )["Count"]
    again.stop()
    return {"acknowledged": 200, "present_after_kill_9": present}


def _journal_bytes(state: Path) -> int:
    return sum(p.stat().st_size for p in state.glob("journal-*.log"))


def size_experiment(workdir: Path, tasks: int, attachments_mb: int, changes: int) -> dict[str, Any]:
    state = workdir / ".local" / "aws"
    served = Served(workdir, free_port())
    dynamodb, s3 = served.client("dynamodb"), served.client("s3")
    for start in range(0, tasks, 25):
        batch = [{"PutRequest": {"Item": _task("bench", i)}} for i in range(start, min(start + 25, tasks))]
        dynamodb.batch_write_item(RequestItems={NAMES.tasks_table: batch})
    for n in range(attachments_mb // 10):
        s3.put_object(Bucket=NAMES.attachments_bucket, Key=f"users/bench/file-{n}.bin", Body=os.urandom(10 << 20))
    served.stop()  # a clean stop folds everything into the snapshot

    served = Served(workdir, served.port)
    clean_start_s, clean_restore_s, clean_cpu_s = served.startup_s, served.restore_s, served.startup_cpu_s
    snapshot_bytes = (state / "snapshot.pickle").stat().st_size
    blob_bytes = sum(p.stat().st_size for p in (state / "blobs").iterdir())
    dynamodb = served.client("dynamodb")
    time.sleep(2)  # let the start-up compaction (if any) finish, so only our changes grow the journal
    before = _journal_bytes(state)
    for i in range(changes):
        task = _task("bench", i)
        task["title"] = {"S": f"Edited title {i}"}
        task["version"] = {"N": "2"}
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": NAMES.tasks_table, "Item": task}},
                {
                    "Update": {
                        "TableName": NAMES.tasks_table,
                        "Key": {"user_id": {"S": "bench"}, "sk": {"S": "USAGE#tasks"}},
                        "UpdateExpression": "ADD edits :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    journal_per_change = (_journal_bytes(state) - before) / changes
    served.kill()  # the changes stay in the journal: the next start replays them
    served = Served(workdir, served.port)
    crash_start_s, crash_restore_s, crash_cpu_s = served.startup_s, served.restore_s, served.startup_cpu_s
    served.stop()
    amortised_snapshot = (snapshot_bytes) / COMPACT_RECORDS
    return {
        "tasks": tasks,
        "attachments_mb": attachments_mb,
        "snapshot_bytes": snapshot_bytes,
        "blob_bytes": blob_bytes,
        "journal_bytes_per_small_change": round(journal_per_change),
        "snapshot_bytes_per_change_amortised": round(amortised_snapshot),
        "disk_bytes_per_small_change": round(journal_per_change + amortised_snapshot),
        "startup_s_clean": round(clean_start_s, 2),
        "startup_cpu_s_clean": clean_cpu_s,
        "restore_s_clean": clean_restore_s,
        "startup_s_after_kill_9": round(crash_start_s, 2),
        "startup_cpu_s_after_kill_9": crash_cpu_s,
        "restore_s_after_kill_9": crash_restore_s,
        "journal_records_replayed_after_kill_9": changes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--attachments-mb", type=int, default=100)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-durability-"))
    try:
        (scratch / "kill").mkdir()
        (scratch / "size").mkdir()
        figures = {
            "kill_9": kill_9_experiment(scratch / "kill"),
            "at_size": size_experiment(scratch / "size", args.tasks, args.attachments_mb, args.changes),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
