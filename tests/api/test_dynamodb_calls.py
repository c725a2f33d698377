"""DynamoDB calls per API request, counted on every DynamoDB client of the process (PynamoDB's per-model clients and
``backend.aws``'s), so what ``make bench`` measures per call cannot creep back: each request reads the caller's
Users row once (the session check) and then only what it cannot do without (issue 15, point 5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from backend.local.dynamodb_calls import recorded_calls
from backend.local.testing import LocalRun
from tests.conftest import SignedInUser


class Calls(Counter[str]):
    """Operation name -> count, and what each call was (for the failure message)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []


@contextmanager
def dynamodb_calls(*, request_threads_only: bool = False) -> Iterator[Calls]:
    """Counts DynamoDB operations by name while the block runs (read once it is over)."""
    counter = Calls()
    with recorded_calls(request_threads_only=request_threads_only) as recorded:
        yield counter
    for name, params in recorded:
        counter[name] += 1
        counter.seen.append(f"{name} {params.get('TableName', '')} {params.get('Key', '')}")


@pytest.fixture(scope="module")
def http(api_url: str, make_user: Callable[[], SignedInUser]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, headers=make_user().headers, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def task(http: httpx.Client, local: LocalRun) -> dict[str, Any]:
    """A task in a project of its own, with a label, and one completed task: the stats name both."""
    project = http.post("/projects", json={"name": "Garden"}).json()
    label = http.post("/labels", json={"name": "outside"}).json()
    body = {"title": "water the roses", "project_id": project["id"], "labels": [label["id"]]}
    done = http.post("/tasks", json={**body, "due_date": "2026-01-02"}).json()
    assert http.post(f"/tasks/{done['id']}/complete").status_code == 200
    created: dict[str, Any] = http.post("/tasks", json=body).json()
    assert local.streams is not None
    local.streams.drain()  # the aggregates the stats read
    return created


@pytest.fixture(autouse=True)
def quiet_streams(local: LocalRun) -> Iterator[None]:
    """The stream consumers (analytics, live) run in this process too: delivered first and paused while a test
    counts, so their reads are not taken for the request's."""
    assert local.streams is not None
    assert local.notification_streams is not None
    local.streams.drain()
    local.notification_streams.drain()
    with local.streams.paused(), local.notification_streams.paused():
        yield


def calls_of(
    http: httpx.Client, method: str, url: str, *, expect: int | None = None, **kwargs: Any
) -> tuple[httpx.Response, Calls]:
    with dynamodb_calls() as counter:
        response = http.request(method, url, **kwargs)
    assert response.status_code == expect if expect else response.status_code < 300, response.text
    return response, counter


def test_stats_read_the_users_row_once_and_the_names_in_one_batch(http: httpx.Client, task: dict[str, Any]) -> None:
    response, calls = calls_of(http, "GET", "/stats?range=30d")
    body = response.json()
    assert [c["name"] for c in body["by_project"]] == ["Garden"]
    assert [c["name"] for c in body["by_label"]] == ["outside"]
    # the session check's Users row with the summary and the days (one BatchGetItem across both tables, was: a
    # GetItem and a Query), then the names' BatchGetItem (was, before: 2 GetItem + 3 Query)
    assert calls == {"BatchGetItem": 2}, calls.seen


def test_a_year_of_stats_queries_its_days_and_agrees_with_the_read_ahead(
    http: httpx.Client, task: dict[str, Any]
) -> None:
    """365 days don't fit one BatchGetItem: the Users row alone, then the Query as before. Same figures."""
    year, calls = calls_of(http, "GET", "/stats?range=365d")
    assert calls == {"GetItem": 1, "Query": 1, "BatchGetItem": 1}, calls.seen
    month = http.get("/stats?range=30d").json()
    assert year.json()["per_week"] == month["per_week"]
    assert year.json()["streak"] == month["streak"]
    assert month["completed"] == year.json()["completed"] == 1


def test_stats_without_projects_or_labels_to_name_skip_the_batch(api_url: str, make_user: Any) -> None:
    with httpx.Client(base_url=api_url, headers=make_user().headers, timeout=15) as fresh:
        _, calls = calls_of(fresh, "GET", "/stats?range=7d")
    assert calls == {"BatchGetItem": 1}, calls.seen


def test_reading_a_task_is_the_session_read_and_the_task(http: httpx.Client, task: dict[str, Any]) -> None:
    response, calls = calls_of(http, "GET", f"/tasks/{task['id']}")
    assert calls == {"BatchGetItem": 1}, calls.seen  # the Users row and the task together (was: 2 GetItem)
    assert response.json()["title"] == task["title"]
    missing, calls = calls_of(http, "GET", "/tasks/no-such-task", expect=404)
    assert calls == {"BatchGetItem": 1}, calls.seen  # its absence came with the Users row: not read again
    assert missing.json()["error"]["fields"] == {"task_id": "does not exist"}


def test_an_edit_reads_the_task_once_and_writes_once(http: httpx.Client, task: dict[str, Any]) -> None:
    current = http.get(f"/tasks/{task['id']}").json()
    url = f"/tasks/{task['id']}"
    _, calls = calls_of(http, "PATCH", url, json={"version": current["version"], "notes": "ripe ones"})
    # the session check and the task in one call, the write (its project only when a section is set or it moves);
    # new words for the search index: a transaction
    assert calls == {"BatchGetItem": 1, "TransactWriteItems": 1}, calls.seen
    edited, calls = calls_of(http, "PATCH", url, json={"version": current["version"] + 1, "priority": 1})
    # nothing beside the task changes: one conditional PutItem (half a transaction's write cost)
    assert calls == {"BatchGetItem": 1, "PutItem": 1}, calls.seen
    assert edited.json()["priority"] == 1


def test_me_is_one_read(http: httpx.Client) -> None:
    first = http.get("/me").json()["task_email"]  # the task address is made on first use
    response, calls = calls_of(http, "GET", "/me")
    assert calls == {"BatchGetItem": 1}, calls.seen  # the Users row and the task address's secret together
    assert response.json()["task_email"] == first


def test_subtasks_are_one_query_and_a_subtask_one_transaction(http: httpx.Client, task: dict[str, Any]) -> None:
    """Issue 14: a subtask's create writes its parent's count in its own transaction; listing a task's subtasks is
    the parent's read and one Query of ``by_parent``, whatever else the partition holds."""
    _, calls = calls_of(http, "POST", "/tasks", json={"title": "prune", "parent_id": task["id"]})
    # the session, the parent, the project (a new task's place: its last position), the write
    assert calls == {"GetItem": 3, "Query": 1, "TransactWriteItems": 1}, calls.seen
    response, calls = calls_of(http, "GET", "/tasks", params={"parent_id": task["id"]})
    assert [t["title"] for t in response.json()["items"]] == ["prune"]
    assert calls == {"GetItem": 2, "Query": 1}, calls.seen
