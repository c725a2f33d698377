"""Issue 14's import figure: a 2 000-row Todoist CSV end to end, the way the UI imports it.

The client (``backend.client.importing``) sends the file in pieces to ``POST /api/import`` (each inside the API's 6 s
write budget) into a new project it creates first, over HTTP to the local API on moto; the figure is the whole
import's wall time, the time per piece and per row, and what was created. Stand-alone (its own local AWS on free
ports); writes JSON for ``scripts.bench_all``.

    PYTHONPATH=. .venv/bin/python -m scripts.bench_import [--rows 2000] [--output .local/bench/import.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from backend.client import ApiClient
from backend.client.importing import CHUNK_ROWS, TodoistImport
from backend.local.testing import free_port, local_aws, serve_local_api
from scripts.bench import signed_in_user
from scripts.bench_feed import todoist_csv


def run(rows: int) -> dict[str, object]:
    content = todoist_csv(rows, dated=False)
    with local_aws(port=free_port()), serve_local_api(free_port()) as api_url:
        _, tokens = signed_in_user(api_url)
        client = ApiClient(api_url, tokens.access_token)
        began = time.perf_counter()
        plan = TodoistImport(content)
        if plan.needs_project:
            plan.into(client.create_project(plan.new_project()).id)
        pieces: list[float] = []
        while (request := plan.next_request()) is not None:
            started = time.perf_counter()
            plan.take(client.import_file(request))
            pieces.append(time.perf_counter() - started)
            print(f"  {plan.done_rows} of {plan.total_rows} rows ({pieces[-1]:.2f} s)", flush=True)
        total = time.perf_counter() - began
        result = plan.result()
    figures: dict[str, object] = {
        "task_rows": rows,
        "csv_rows": plan.total_rows,
        "csv_kb": len(content) // 1024,
        "rows_per_piece": CHUNK_ROWS,
        "pieces": len(pieces),
        "seconds_total": round(total, 2),
        "seconds_per_piece_median": round(statistics.median(pieces), 2),
        "seconds_per_piece_max": round(max(pieces), 2),
        "ms_per_task": round(total * 1000 / max(result.created.tasks, 1), 1),
        "created": result.created.model_dump(),
        "problems": len(result.problems),
        "problems_by_kind": dict(Counter(problem.message[:60] for problem in result.problems).most_common()),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--output", type=Path, default=Path(".local/bench/import.json"))
    args = parser.parse_args()
    figures = run(args.rows)
    print(
        f"Todoist CSV, {figures['task_rows']} task rows ({figures['csv_rows']} CSV rows, {figures['csv_kb']} KB): "
        f"{figures['seconds_total']} s end to end in {figures['pieces']} pieces of ~{figures['rows_per_piece']} rows "
        f"(median {figures['seconds_per_piece_median']} s, max {figures['seconds_per_piece_max']} s a piece; "
        f"{figures['ms_per_task']} ms a task); created {figures['created']}, {figures['problems']} problems"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
