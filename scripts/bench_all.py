"""``make bench``: every benchmark, one after the other, figures only, and all of them in one JSON file.

Each part is its own process (each starts its own local AWS on free ports, and they must not share moto's
in-process backends) and writes its own JSON; this collects them into ``.local/bench/bench.json`` with the time
each part took and the total. The handlers' EMF metric lines and INFO logs are switched off for every part
(``POWERTOOLS_METRICS_DISABLED``, ``POWERTOOLS_LOG_LEVEL``: the logger reads its level when first imported, before a
part sets up its local AWS, so it is set here). A part that fails is reported with the end of its error output,
and the others still run.

    PYTHONPATH=. python -m scripts.bench_all [--only load,api]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUTPUT = Path(".local/bench/bench.json")
# (name, module, arguments, the JSON file it writes)
PARTS: list[tuple[str, str, list[str], Path]] = [
    # 300 reminders scheduled one by one, not 1 000: the emulator's Scheduler makes it ~0.15 s each (2.5 min of
    # the bench for 1 000); the figure is per reminder
    (
        "api",
        "scripts.bench",
        ["--output", ".local/bench/latest.json", "--schedule-count", "300"],
        Path(".local/bench/latest.json"),
    ),
    ("load", "scripts.bench_load", ["--output", ".local/bench/load.json"], Path(".local/bench/load.json")),
    (
        "sessions",
        "scripts.bench_sessions",
        ["--output", ".local/bench/sessions.json"],
        Path(".local/bench/sessions.json"),
    ),
    ("attachments", "scripts.bench_attachments", [], Path(".local/bench/attachments.json")),
    ("live", "scripts.bench_live", ["--output", ".local/bench/live.json"], Path(".local/bench/live.json")),
    ("ui", "scripts.bench_ui", [], Path(".local/bench/ui.json")),
    ("sharing", "scripts.bench_sharing", [], Path(".local/bench/sharing.json")),
    # a 2 000-row Todoist CSV imported the way the UI does it: in pieces within the API's write budget (issue 14)
    ("import", "scripts.bench_import", ["--output", ".local/bench/import.json"], Path(".local/bench/import.json")),
    # a month view with 500 dated tasks in the browser: time to render, API calls (issue 14)
    (
        "calendar",
        "scripts.bench_calendar",
        ["--output", ".local/bench/calendar.json"],
        Path(".local/bench/calendar.json"),
    ),
    ("webhooks", "scripts.bench_webhooks", [], Path(".local/bench/webhooks.json")),
    (
        "durability",
        "scripts.bench_durability",
        ["--json", ".local/bench/durability.json"],
        Path(".local/bench/durability.json"),
    ),
    # the cost model's calls per operation (it also regenerates the figures in docs/operations.md)
    ("calls", "scripts.measure_calls", [], Path("docs/measured-calls.json")),
]
QUIET = {
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "PYTHONUNBUFFERED": "1",
}


def run_part(module: str, arguments: list[str], written: Path) -> dict[str, Any]:
    began, started_at = time.perf_counter(), time.time()
    done = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        env={**os.environ, **QUIET},
        stdout=None,  # the part's report goes straight to the terminal
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    result: dict[str, Any] = {"seconds": round(time.perf_counter() - began, 1), "exit_code": done.returncode}
    if done.returncode != 0 or not written.exists() or written.stat().st_mtime < started_at:  # (not a stale file)
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        print(f"! {module} failed (exit {done.returncode}):\n{tail}", flush=True)
        result["error"] = tail
    else:
        result["figures"] = json.loads(written.read_text())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_all", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated part names: " + ", ".join(name for name, *_ in PARTS))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else {name for name, *_ in PARTS}
    began = time.perf_counter()
    report: dict[str, Any] = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "parts": {}}
    for name, module, arguments, written in PARTS:
        if name in wanted:
            print(f"\n=== {name} ({module})", flush=True)
            report["parts"][name] = run_part(module, arguments, written)
            print(f"--- {name}: {report['parts'][name]['seconds']} s", flush=True)
    report["total_seconds"] = round(time.perf_counter() - began, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    failed = [name for name, part in report["parts"].items() if part["exit_code"] != 0 or "error" in part]
    print(f"\nmake bench: {report['total_seconds']} s in all; every figure in {args.output}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
