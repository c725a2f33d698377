"""Inputs that used to answer 500 or cost without bound (issue 12, findings 5 and 7): deep JSON, dates outside
1970-2100 (sent, or already stored), control characters in one-line fields, and the per-user quotas.

The quotas are set low for this module's local stack (``TMP_QUOTA_*``), so each is met with a handful of requests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from backend import bootstrap
from backend.local.environment import LOCAL_STAGE
from backend.names import ResourceNames
from tests.api.conftest import assert_error_shape, claims_of
from tests.conftest import SignedInUser

QUOTAS = {
    "TMP_QUOTA_TASKS": "4",
    "TMP_QUOTA_OPEN_TASKS": "3",
    "TMP_QUOTA_PROJECTS": "2",
    "TMP_QUOTA_LABELS": "2",
    "TMP_QUOTA_TASKS_WITH_REMINDERS": "2",
}


@pytest.fixture(scope="module", autouse=True)
def low_quotas(api_url: str) -> Iterator[None]:
    """This module's API runs with tiny quotas (settings are read again after the reset); others never see them."""
    os.environ.update(QUOTAS)
    bootstrap.reset()
    yield
    for name in QUOTAS:
        os.environ.pop(name, None)
    bootstrap.reset()


@pytest.fixture(scope="module")
def client(api_url: str, make_user: Callable[[], SignedInUser]) -> Iterator[httpx.Client]:
    """One user for the tests that create next to nothing (signing up takes a while): at most 2 tasks in all, under
    this module's quota of 3 open tasks."""
    with httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30) as http:
        yield http


@pytest.fixture
def new_client(api_url: str, make_user: Callable[[], SignedInUser]) -> Iterator[httpx.Client]:
    """A new user: quotas are per user."""
    with httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30) as http:
        yield http


def _quota_error(response: httpx.Response, field: str) -> None:
    error = assert_error_shape(response, 409, "quota_exceeded")
    assert field in error["fields"], error
    assert "at most" in error["message"], error["message"]


# --- deep JSON -------------------------------------------------------------------------------------
def test_json_nested_1100_levels_is_a_422_on_the_body(client: httpx.Client) -> None:
    body = '{"title": "deep", "notes": ' + "[" * 1100 + "]" * 1100 + "}"
    response = client.post("/tasks", content=body, headers={"Content-Type": "application/json"})
    error = assert_error_shape(response, 422, "validation_error")
    assert "body" in error["fields"]


def test_json_nested_beyond_the_depth_limit_is_a_422(client: httpx.Client) -> None:
    body = '{"title": "deep", "notes": ' + "[" * 100 + "]" * 100 + "}"
    response = client.post("/tasks", content=body, headers={"Content-Type": "application/json"})
    error = assert_error_shape(response, 422, "validation_error")
    assert "nest" in error["fields"]["body"]


# --- dates ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"title": "t", "due_date": "0001-01-01"}, "due_date", 422),
        ({"title": "t", "due_date": "2101-01-01"}, "due_date", 422),
        ({"title": "t", "start_date": "1969-12-31"}, "start_date", 422),
        # the rule is parsed by the service: 400 like every other rule it refuses
        ({"title": "t", "due_date": "2030-01-01", "recurrence": "FREQ=DAILY;UNTIL=99991231"}, "recurrence", 400),
    ],
)
def test_a_task_date_outside_1970_2100_is_refused_with_its_field(
    client: httpx.Client, body: dict[str, Any], field: str, status: int
) -> None:
    error = assert_error_shape(client.post("/tasks", json=body), status)
    assert field in error["fields"], error


def test_dates_outside_the_range_are_refused_in_edits_filters_and_reminders(client: httpx.Client) -> None:
    task = client.post("/tasks", json={"title": "dated", "due_date": "2030-01-01", "due_time": "09:00"}).json()
    edit = client.patch(f"/tasks/{task['id']}", json={"version": task["version"], "due_date": "9999-12-31"})
    assert "due_date" in assert_error_shape(edit, 422)["fields"]
    listing = client.get("/tasks", params={"due_from": "0001-01-01"})
    assert "due_from" in assert_error_shape(listing, 422)["fields"]
    listing = client.get("/tasks", params={"due_to": "2200-01-01"})
    assert "due_to" in assert_error_shape(listing, 422)["fields"]
    at = client.put(f"/tasks/{task['id']}/reminders", json={"reminders": [{"at": "0001-01-01T00:00:00+05:00"}]})
    assert "reminders.0.at" in assert_error_shape(at, 422)["fields"]


def _store_due_date(dynamodb: Any, user_sub: str, task_id: str, day: str) -> None:
    """What an older API let in: a task due in the year 1 (written as the store would have)."""
    dynamodb.update_item(
        TableName=ResourceNames(LOCAL_STAGE).tasks_table,
        Key={"user_id": {"S": user_sub}, "sk": {"S": f"TASK#{task_id}"}},
        UpdateExpression="SET due_date = :d, recurrence_anchor = :d, due_sk = :sk",
        ExpressionAttributeValues={":d": {"S": day}, ":sk": {"S": f"{day}T~#{task_id}"}},
    )


def test_a_stored_task_due_in_the_year_1_never_answers_500(new_client: httpx.Client, dynamodb: Any) -> None:
    sub = claims_of(str(new_client.headers["Authorization"]).removeprefix("Bearer "))["sub"]
    task = new_client.post("/tasks", json={"title": "ancient", "due_date": "2030-01-01", "recurrence": "FREQ=DAILY"})
    task_id = task.json()["id"]
    _store_due_date(dynamodb, sub, task_id, "0001-01-01")

    put = new_client.put(f"/tasks/{task_id}/reminders", json={"reminders": [{"days_before": 1, "time": "09:00"}]})
    assert "due_date" in assert_error_shape(put, 400, "invalid_input")["fields"]
    got = new_client.get(f"/tasks/{task_id}/reminders")
    assert got.status_code == 200, got.text
    completed = new_client.post(f"/tasks/{task_id}/complete")
    assert "due_date" in assert_error_shape(completed, 400, "invalid_input")["fields"]
    # the way out: a date in range, then everything works again
    current = new_client.get(f"/tasks/{task_id}").json()
    fixed = new_client.patch(f"/tasks/{task_id}", json={"version": current["version"], "due_date": "2030-01-02"})
    assert fixed.status_code == 200, fixed.text
    assert new_client.post(f"/tasks/{task_id}/complete").status_code == 200


# --- control characters --------------------------------------------------------------------------------
@pytest.mark.parametrize("title", ["line\nbreak", "tab\there", "bell\x07", "cr\rhere", "del\x7f", "c1\x85"])
def test_control_characters_are_refused_in_a_title(client: httpx.Client, title: str) -> None:
    error = assert_error_shape(client.post("/tasks", json={"title": title}), 422, "validation_error")
    assert "title" in error["fields"], error


def test_notes_keep_their_newlines_and_tabs_but_not_other_controls(client: httpx.Client) -> None:
    created = client.post("/tasks", json={"title": "notes", "notes": "one\ntwo\r\n\tthree"})
    assert created.status_code == 201, created.text
    assert created.json()["notes"] == "one\ntwo\r\n\tthree"
    refused = client.post("/tasks", json={"title": "notes", "notes": "nul\x00here"})
    assert "notes" in assert_error_shape(refused, 422)["fields"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/projects", {"name": "a\nb"}, "name"),
        ("/labels", {"name": "a\tb"}, "name"),
        ("/projects", {"name": "p", "sections": ["x\ny"]}, "sections.0"),
        ("/tasks", {"title": "t", "subtasks": [{"title": "s\n"}]}, "subtasks.0.title"),
        ("/tasks", {"title": "t", "label_names": ["l\x1b"]}, "label_names.0"),
        ("/quick-add/parse", {"text": "buy\nmilk"}, "text"),
    ],
)
def test_control_characters_are_refused_in_every_one_line_field(
    client: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    error = assert_error_shape(client.post(path, json=body), 422, "validation_error")
    assert field in error["fields"], error


def test_control_characters_are_refused_in_a_display_name(client: httpx.Client) -> None:
    error = assert_error_shape(client.patch("/me", json={"display_name": "Ann\nBob"}), 422, "validation_error")
    assert "display_name" in error["fields"], error


# --- quotas -------------------------------------------------------------------------------------------------
def test_open_and_stored_task_quotas(new_client: httpx.Client) -> None:
    ids = [new_client.post("/tasks", json={"title": f"t{n}"}).json()["id"] for n in range(3)]
    _quota_error(new_client.post("/tasks", json={"title": "one open too many"}), "tasks")
    assert new_client.post(f"/tasks/{ids[0]}/complete").status_code == 200
    fourth = new_client.post("/tasks", json={"title": "t3"})  # 3 open, 4 stored
    assert fourth.status_code == 201, fourth.text
    _quota_error(new_client.post(f"/tasks/{ids[0]}/reopen"), "tasks")  # would be a 4th open task
    assert new_client.post(f"/tasks/{ids[1]}/complete").status_code == 200
    _quota_error(new_client.post("/tasks", json={"title": "one stored too many"}), "tasks")  # 2 open, 4 stored
    assert new_client.delete(f"/tasks/{ids[0]}").status_code == 204
    assert new_client.post("/tasks", json={"title": "room again"}).status_code == 201
    listed = new_client.get("/tasks", params={"status": "all", "limit": 10}).json()["items"]
    assert len(listed) == 4


def test_bulk_reopen_respects_the_open_task_quota(new_client: httpx.Client) -> None:
    ids = [new_client.post("/tasks", json={"title": f"t{n}"}).json()["id"] for n in range(3)]
    assert new_client.post("/tasks/bulk", json={"action": "complete", "ids": ids}).status_code == 200
    new_client.post("/tasks", json={"title": "new open"})
    _quota_error(new_client.post("/tasks/bulk", json={"action": "reopen", "ids": ids}), "tasks")


def test_project_quota_leaves_out_the_inbox(new_client: httpx.Client) -> None:
    assert [new_client.post("/projects", json={"name": f"p{n}"}).status_code for n in range(2)] == [201, 201]
    _quota_error(new_client.post("/projects", json={"name": "p2"}), "projects")
    assert len(new_client.get("/projects").json()) == 3  # the Inbox and two


def test_label_quota_also_holds_for_quick_add_label_names(new_client: httpx.Client) -> None:
    assert new_client.post("/labels", json={"name": "l0"}).status_code == 201
    both = new_client.post("/tasks", json={"title": "t", "label_names": ["l1", "l2"]})
    _quota_error(both, "label_names")
    assert [label["name"] for label in new_client.get("/labels").json()] == ["l0"], "nothing is half-created"
    assert new_client.get("/tasks").json()["items"] == []
    assert new_client.post("/tasks", json={"title": "t", "label_names": ["l0", "L1"]}).status_code == 201
    _quota_error(new_client.post("/labels", json={"name": "l3"}), "labels")


def test_tasks_with_reminders_quota(new_client: httpx.Client) -> None:
    ids = [
        new_client.post("/tasks", json={"title": f"t{n}", "due_date": "2099-01-01", "due_time": "09:00"}).json()["id"]
        for n in range(3)
    ]
    one = {"reminders": [{"minutes_before": 30}]}
    assert new_client.put(f"/tasks/{ids[0]}/reminders", json=one).status_code == 200
    assert new_client.put(f"/tasks/{ids[1]}/reminders", json=one).status_code == 200
    _quota_error(new_client.put(f"/tasks/{ids[2]}/reminders", json=one), "reminders")
    assert new_client.put(f"/tasks/{ids[1]}/reminders", json={"reminders": [{"minutes_before": 5}]}).status_code == 200
    assert new_client.put(f"/tasks/{ids[2]}/reminders", json={"reminders": []}).status_code == 200  # none: no schedule
    assert new_client.put(f"/tasks/{ids[0]}/reminders", json={"reminders": []}).status_code == 200
    assert new_client.put(f"/tasks/{ids[2]}/reminders", json=one).status_code == 200


def test_a_user_from_before_the_task_counters_is_counted_on_the_first_create(
    new_client: httpx.Client, dynamodb: Any
) -> None:
    ids = [new_client.post("/tasks", json={"title": f"t{n}"}).json()["id"] for n in range(3)]
    sub = claims_of(str(new_client.headers["Authorization"]).removeprefix("Bearer "))["sub"]
    table = ResourceNames(LOCAL_STAGE).tasks_table
    dynamodb.delete_item(TableName=table, Key={"user_id": {"S": sub}, "sk": {"S": "USAGE#tasks"}})  # as before
    assert new_client.delete(f"/tasks/{ids[0]}").status_code == 204  # a delete before the count adds -1 to nothing
    assert new_client.post("/tasks", json={"title": "counted first"}).status_code == 201  # 2 found, 3 now
    _quota_error(new_client.post("/tasks", json={"title": "one open too many"}), "tasks")
    counts = dynamodb.get_item(TableName=table, Key={"user_id": {"S": sub}, "sk": {"S": "USAGE#tasks"}})["Item"]
    assert (counts["tasks"]["N"], counts["open_tasks"]["N"], counts["counted"]["BOOL"]) == ("3", "3", True)
