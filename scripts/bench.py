"""``make bench``: what one authenticated API call costs next to one raw DynamoDB read, on the same emulator.

Starts its own local AWS and local API on free ports (never those of a running ``make run``), signs up one user,
then times N sequential ``GET /api/me`` over HTTP (one keep-alive connection: request → ASGI adapter → Lambda
authorizer (JWT) → API handler → DynamoDB get on the emulator) against N raw boto3 ``get_item`` calls of the same
item. ``GET /api/health`` (no token, no AWS call) shows the adapter's own share. Prints a table and the p50 ratio
and writes the figures to ``.local/bench/latest.json``.

    PYTHONPATH=. python -m scripts.bench [-n 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from backend.client import ApiClient, CognitoAuth, Tokens
from backend.local.bootstrap import local_client
from backend.local.environment import LOCAL_REGION, LOCAL_STAGE
from backend.local.testing import free_port, local_aws, serve_local_api
from backend.names import ResourceNames
from scripts.bench_cost import print_cost, run_cost
from scripts.bench_reminders import print_reminders, run_reminders
from scripts.bench_stats import print_stats, run_stats
from scripts.bench_tasks import measure_scale, measure_search, print_search, run_tasks

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

OUTPUT = Path(".local/bench/latest.json")
PASSWORD = "Bench-Password-42"  # noqa: S105 - a throwaway user on a throwaway emulator
WARMUP = 20


@dataclass(frozen=True)
class Figures:
    name: str
    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float


def measure(name: str, n: int, call: Callable[[], None], setup: Callable[[], None] | None = None) -> Figures:
    """``call``'s latency over ``n`` calls (after warm-up calls); ``setup`` runs before each, untimed."""
    for _ in range(WARMUP):  # connections, caches (JWKS), lazy imports
        if setup is not None:
            setup()
        call()
    samples: list[float] = []
    for _ in range(n):
        if setup is not None:
            setup()
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Figures(
        name=name,
        n=n,
        p50_ms=round(statistics.median(samples), 3),
        p95_ms=round(cuts[94], 3),
        mean_ms=round(statistics.fmean(samples), 3),
        min_ms=round(min(samples), 3),
        max_ms=round(max(samples), 3),
    )


def signed_in_user(api_url: str) -> tuple[str, Tokens]:
    api = ApiClient(api_url)
    auth = CognitoAuth(api.config())
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    auth.sign_up(email, PASSWORD)
    code = next(
        match.group(1)
        for message in reversed(api.outbox())
        if email in message.to and (match := re.search(r"\b(\d{6})\b", message.body))
    )
    auth.confirm_sign_up(email, code)
    tokens = auth.sign_in(email, PASSWORD)
    if not isinstance(tokens, Tokens):
        raise RuntimeError("the bench user should not need MFA")
    return email, tokens


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run(n: int, schedule_count: int = 1000) -> dict[str, Any]:
    began = time.perf_counter()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # the analytics handler's EMF lines would bury the report
    with local_aws(port=free_port()) as local, serve_local_api(free_port()) as api_url:
        _, tokens = signed_in_user(api_url)
        dynamodb: DynamoDBClient = local_client("dynamodb", local.endpoint, LOCAL_REGION)
        table = ResourceNames(LOCAL_STAGE).users_table
        with httpx.Client(base_url=api_url, timeout=10) as http:
            headers = {"Authorization": f"Bearer {tokens.access_token}"}
            me = http.get("/me", headers=headers)
            me.raise_for_status()
            key = {"user_id": {"S": me.json()["id"]}}
            if "Item" not in dynamodb.get_item(TableName=table, Key=key):
                raise RuntimeError("the Users row is missing")

            def get_me() -> None:
                http.get("/me", headers=headers).raise_for_status()

            def get_item() -> None:
                dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)

            def health() -> None:
                http.get("/health").raise_for_status()

            results = [
                measure("GET /api/me (HTTP, authorizer, DynamoDB)", n, get_me),
                measure("raw boto3 get_item (Users table)", n, get_item),
                measure("GET /api/health (HTTP only)", n, health),
            ]
            stats = run_stats(
                http=http,
                headers=headers,
                dynamodb=dynamodb,
                table=ResourceNames(LOCAL_STAGE).tasks_table,
                user_id=me.json()["id"],
                n=max(n // 3, 30),
            )
            assert local.streams is not None
            # The tasks figures as before the analytics Lambda existed: its stream delivery (and the 10 000 seeded
            # tasks' records) would otherwise compete for the same CPU in this process.
            with local.streams.paused():
                tasks = run_tasks(
                    http=http,
                    headers=headers,
                    dynamodb=dynamodb,
                    table=ResourceNames(LOCAL_STAGE).tasks_table,
                    user_id=me.json()["id"],
                    # moto answers a 50-item query in ~0.2 s: fewer samples keep the bench near a minute
                    n=max(n // 6, 20),
                    measure=measure,
                )
                owners = tasks.pop("scale_owners")
                tasks["scale"] = measure_scale(
                    owners=owners,
                    n=max(n // 15, 10),
                    measure=measure,
                    dynamodb=dynamodb,
                    table=ResourceNames(LOCAL_STAGE).tasks_table,
                )
                tasks["search"] = measure_search(  # issue 18
                    owners=owners,
                    n=max(n // 15, 10),
                    measure=measure,
                    dynamodb=dynamodb,
                    table=ResourceNames(LOCAL_STAGE).tasks_table,
                )
                cost = run_cost(  # issue 15
                    http=http,
                    headers=headers,
                    api_url=api_url,
                    access_token=tokens.access_token,
                    dynamodb=dynamodb,
                    table=ResourceNames(LOCAL_STAGE).tasks_table,
                    user_id=me.json()["id"],
                    n=n,
                    measure=measure,
                )
            reminders = run_reminders(local, n=n, schedule_count=schedule_count)  # issue 5
    me_fig, item_fig, _ = results
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "n": n,
        "warmup": WARMUP,
        "results": [asdict(figures) for figures in results],
        "ratio_p50_me_over_get_item": round(me_fig.p50_ms / item_fig.p50_ms, 2),
        "ratio_p95_me_over_get_item": round(me_fig.p95_ms / item_fig.p95_ms, 2),
        "tasks": tasks,
        "cost": cost,
        "reminders": reminders,
        "stats": stats,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "moto": version("moto"),
            "boto3": version("boto3"),
            "aws_lambda_powertools": version("aws-lambda-powertools"),
        },
        "wall_seconds": round(time.perf_counter() - began, 1),
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"\nlatency over {report['n']} sequential calls each ({report['warmup']} warm-up calls not counted)\n")
    print(f"{'':44} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'max ms':>8}")
    for row in report["results"]:
        print(f"{row['name']:44} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['mean_ms']:8.2f} {row['max_ms']:8.2f}")
    print(
        f"\nGET /api/me / get_item: {report['ratio_p50_me_over_get_item']}x at p50, "
        f"{report['ratio_p95_me_over_get_item']}x at p95"
    )
    tasks = report["tasks"]
    print("\ntasks (issue 4)\n")
    for row in tasks["figures"]:
        print(f"{row['name']:44} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['mean_ms']:8.2f} {row['max_ms']:8.2f}")
    print(f"\nratio at p50: list/query {tasks['ratio_p50_list_over_query']}x")
    print("\nDynamoDB calls per API operation:")
    for operation, calls in tasks["dynamodb_calls_per_operation"].items():
        print(f"  {operation:36} {sum(calls.values()):3}  {calls}")
    scale = tasks["scale"]
    print("\nlist latency (service layer), user with 100 vs 10 000 tasks, next to the raw Query of the view:")
    for view in ("today", "all"):
        small, large = scale[f"{view}@100"], scale[f"{view}@10000"]
        raw_small, raw_large = scale[f"raw_{view}@100"], scale[f"raw_{view}@10000"]
        print(
            f"  view={view:6} p50 {small['p50_ms']:7.2f} ms vs {large['p50_ms']:7.2f} ms "
            f"(ratio {scale[f'ratio_{view}_10000_over_100']}); raw Query {raw_small['p50_ms']:.2f} vs "
            f"{raw_large['p50_ms']:.2f} ms (ratio {scale[f'ratio_raw_{view}_10000_over_100']}: the emulator's); "
            f"service / raw {scale[f'ratio_{view}_service_over_raw_100']}x at 100, "
            f"{scale[f'ratio_{view}_service_over_raw_10000']}x at 10 000"
        )
    print_search(tasks["search"])
    print_cost(report["cost"])
    print_reminders(report["reminders"])
    print_stats(report["stats"])
    env = report["environment"]
    print(
        f"(moto {env['moto']}, Python {env['python']}, {env['cpus']} CPUs, load {env['load_average_1m']}; "
        f"{report['wall_seconds']} s in all)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="calls per measurement (default 300)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write the JSON (default {OUTPUT})")
    parser.add_argument(
        "--schedule-count", type=int, default=1000, help="reminders scheduled one by one for the time figure"
    )
    args = parser.parse_args(argv)
    report = run(args.n, args.schedule_count)
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
