"""The API's cost per call (issue 15, item 5): ``GET`` and ``PATCH /tasks/{id}`` and ``GET /stats`` next to one raw
``get_item`` on the same emulator of the item each is about (the task; the statistics summary), each measured three
ways:

- **http**: through the local API (HTTP → the ASGI stand-in for API Gateway → the API Lambda), as the UI calls it;
- **handler**: the API Lambda alone, called in-process with the event the local API builds (what runs in AWS; the
  authorizer's Allow is cached per token there, so it is not in the path of a call);
- **floor**: the DynamoDB calls the operation made (recorded from one real call), replayed raw with boto3 on the
  same emulator: what the emulator charges for what the operation must read and write.

``handler - floor`` is what our code costs beside its DynamoDB calls; ``floor / get_item`` is what moto charges for
the calls (a BatchGetItem of two items, a conditional PutItem) next to one GetItem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from botocore import xform_name
from starlette.requests import Request

from backend.adapters.stats_store import STAT_SUMMARY
from backend.local.asgi import authorized, proxy_event
from backend.local.dynamodb_calls import Call, recorded_calls
from backend.local.lambda_runtime import invoke


class Measure(Protocol):
    def __call__(self, name: str, n: int, call: Callable[[], None], setup: Callable[[], None] | None = None) -> Any: ...


def replay(dynamodb: Any, calls: list[Call]) -> Callable[[], None]:
    """The recorded calls made again, raw, in order."""

    def call() -> None:
        for operation, params in calls:
            getattr(dynamodb, xform_name(operation))(**params)

    return call


class InProcessApi:
    """The API Lambda called directly, with the proxy event the local API builds for the same request."""

    def __init__(self, api_url: str, access_token: str) -> None:
        from backend.handlers import api, authorizer

        self._handler = api.lambda_handler
        self._prefix = urlsplit(api_url).path
        self._authorization = f"Bearer {access_token}"
        token_event = {
            "type": "TOKEN",
            "authorizationToken": self._authorization,
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/tasks",
        }
        self._policy = invoke(authorizer.lambda_handler, token_event, "authorizer")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = urlsplit(path)
        raw = json.dumps(body).encode() if body is not None else b""
        scope = {
            "type": "http",
            "method": method,
            "path": self._prefix + url.path,
            "query_string": url.query.encode(),
            "headers": [(b"authorization", self._authorization.encode()), (b"content-type", b"application/json")],
            "client": ("127.0.0.1", 50000),
        }
        event = proxy_event(Request(scope), raw)
        authorized(event, self._policy)
        result: dict[str, Any] = invoke(self._handler, event, "api")
        if result["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {result['statusCode']} {result.get('body')}")
        return dict(json.loads(result["body"])) if result.get("body") else {}


def run_cost(
    *,
    http: httpx.Client,
    headers: dict[str, str],
    api_url: str,
    access_token: str,
    dynamodb: Any,
    table: str,
    user_id: str,
    n: int,
    measure: Measure,
) -> dict[str, Any]:
    task = http.post("/tasks", headers=headers, json={"title": "cost probe", "notes": "x"}).json()
    key = {"user_id": {"S": user_id}, "sk": {"S": f"TASK#{task['id']}"}}
    version = {"v": task["version"]}
    api = InProcessApi(api_url, access_token)
    get_path, stats_path = f"/tasks/{task['id']}", "/stats?range=30d"

    def http_patch() -> None:
        answer = http.patch(get_path, headers=headers, json={"version": version["v"], "notes": "x"})
        answer.raise_for_status()
        version["v"] = answer.json()["version"]

    def handler_patch() -> None:
        version["v"] = api.call("PATCH", get_path, {"version": version["v"], "notes": "x"})["version"]

    # what the floor of a PATCH replays: its read, then its write conditional on the version it read, reset to that
    # version before each replay (untimed) so the condition holds as it did
    before = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    with recorded_calls(request_threads_only=True) as patch_calls:
        http_patch()
    with recorded_calls(request_threads_only=True) as get_calls:
        http.get(get_path, headers=headers).raise_for_status()
    with recorded_calls(request_threads_only=True) as stats_calls:
        http.get(stats_path, headers=headers).raise_for_status()

    def reset() -> None:
        dynamodb.put_item(TableName=table, Item=before)

    summary = {"user_id": {"S": user_id}, "sk": {"S": STAT_SUMMARY}}
    ways: dict[str, tuple[Callable[[], None], Callable[[], None], Callable[[], None]]] = {
        "GET /tasks/{id}": (
            lambda: _ok(http.get(get_path, headers=headers)),
            lambda: _none(api.call("GET", get_path)),
            replay(dynamodb, get_calls),
        ),
        "PATCH /tasks/{id}": (http_patch, handler_patch, replay(dynamodb, patch_calls)),
        "GET /stats?range=30d": (
            lambda: _ok(http.get(stats_path, headers=headers)),
            lambda: _none(api.call("GET", stats_path)),
            replay(dynamodb, stats_calls),
        ),
    }
    # each next to a raw get_item of the item it is about (as the figures were): the task, the summary
    baselines = {
        "GET /tasks/{id}": measure(
            "raw get_item (the task)", n, lambda: _none(dynamodb.get_item(TableName=table, Key=key))
        ),
        "GET /stats?range=30d": measure(
            "raw get_item (the stats summary)", n, lambda: _none(dynamodb.get_item(TableName=table, Key=summary))
        ),
    }
    baselines["PATCH /tasks/{id}"] = baselines["GET /tasks/{id}"]
    figures = list(baselines.values())[:2]
    operations: dict[str, Any] = {}
    for operation, calls in (
        ("GET /tasks/{id}", get_calls),
        ("PATCH /tasks/{id}", patch_calls),
        ("GET /stats?range=30d", stats_calls),
    ):
        over_http, in_handler, raw_calls = ways[operation]
        http_fig = measure(f"{operation}: http", n, over_http)
        handler_fig = measure(f"{operation}: handler", n, in_handler)
        floor_fig = measure(f"{operation}: floor", n, raw_calls, reset if operation.startswith("PATCH") else None)
        figures += [http_fig, handler_fig, floor_fig]
        base = baselines[operation].p50_ms
        operations[operation] = {
            "baseline": baselines[operation].name,
            "dynamodb_calls": [name for name, _ in calls],
            "ratio_p50_http_over_get_item": round(http_fig.p50_ms / base, 2),
            "ratio_p50_handler_over_get_item": round(handler_fig.p50_ms / base, 2),
            "ratio_p50_floor_over_get_item": round(floor_fig.p50_ms / base, 2),
            "ours_ms": round(handler_fig.p50_ms - floor_fig.p50_ms, 2),
        }
    return {"figures": [asdict(figure) for figure in figures], "operations": operations}


def _ok(response: httpx.Response) -> None:
    response.raise_for_status()


def _none(_: object) -> None:
    return None


def print_cost(report: dict[str, Any]) -> None:
    print("\nAPI cost per call (issue 15): p50 over a raw get_item of the item it is about, on the same emulator\n")
    for row in report["figures"]:
        print(f"{row['name']:44} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['mean_ms']:8.2f} {row['max_ms']:8.2f}")
    print(f"\n{'':20} {'http':>6} {'handler':>8} {'floor':>6} {'ours ms':>8}  DynamoDB calls (baseline)")
    for operation, row in report["operations"].items():
        http, handler, floor = (row[f"ratio_p50_{way}_over_get_item"] for way in ("http", "handler", "floor"))
        print(
            f"{operation:20} {http:5.2f}x {handler:7.2f}x {floor:5.2f}x {row['ours_ms']:8.2f}  "
            f"{row['dynamodb_calls']} ({row['baseline']})"
        )
