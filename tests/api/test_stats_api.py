"""GET /api/stats (aggregates after the stream), the daily goal, export and "delete everything", over HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.api.conftest import aws_client
from tests.conftest import PASSWORD, SignedInUser

Json = dict[str, Any]


def client(api_url: str, user: SignedInUser) -> httpx.Client:
    return httpx.Client(base_url=api_url, headers=user.headers, timeout=15)


def drain(local: LocalRun) -> None:
    assert local.streams is not None
    local.streams.drain()


def add_task(http: httpx.Client, **fields: Any) -> Json:
    response = http.post("/tasks", json={"title": "a task", **fields})
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def complete(http: httpx.Client, task: Json) -> Json:
    response = http.post(f"/tasks/{task['id']}/complete")
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def stats(http: httpx.Client, **params: str) -> Json:
    response = http.get("/stats", params=params)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


@pytest.fixture(scope="module")
def pair(api_url: str, make_user: Callable[[], SignedInUser]) -> tuple[httpx.Client, httpx.Client]:
    return client(api_url, make_user()), client(api_url, make_user())


def test_completions_show_up_for_their_owner_only(local: LocalRun, pair: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = pair
    assert a.patch("/me", json={"timezone": "Europe/Berlin", "preferences": {"daily_goal": 2}}).status_code == 200
    label = a.post("/labels", json={"name": "deep"}).json()
    project = a.post("/projects", json={"name": "Work"}).json()
    first = add_task(a, priority=1, labels=[label["id"]], project_id=project["id"])
    second = add_task(a, due_date="2020-01-01")
    add_task(a)
    complete(a, first)
    complete(a, second)
    drain(local)
    mine = stats(a, range="7d")
    today = date.fromisoformat(mine["today"])
    assert mine["created"] == 3
    assert mine["completed"] == 2
    assert mine["per_day"][-1] == {"day": today.isoformat(), "created": 3, "completed": 2}
    assert len(mine["per_day"]) == 7
    assert len(mine["per_week"]) == 12
    assert mine["per_week"][-1]["completed"] == 2
    assert (mine["on_time"], mine["late"], mine["on_time_rate"]) == (0, 1, 0.0)
    assert mine["streak"] == {"current": 1, "longest": 1, "today": 2, "goal": 2}
    assert mine["timezone"] == "Europe/Berlin"
    assert {"key": project["id"], "name": "Work", "count": 1} in mine["by_project"]
    assert mine["by_label"] == [{"key": label["id"], "name": "deep", "count": 1}]
    assert {"key": "1", "name": "P1", "count": 1} in mine["by_priority"]
    assert mine["busiest_weekday"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][today.weekday()]
    theirs = stats(b)
    assert (theirs["created"], theirs["completed"], theirs["overdue_now"]) == (0, 0, 0)
    assert theirs["by_project"] == []
    assert theirs["by_label"] == []


def test_overdue_now_and_reopen(local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser]) -> None:
    with client(api_url, make_user()) as http:
        late = add_task(http, due_date="2021-05-01")
        add_task(http, due_date="2099-01-01")
        drain(local)
        assert stats(http)["overdue_now"] == 1
        done = complete(http, late)
        drain(local)
        assert stats(http)["overdue_now"] == 0
        assert http.post(f"/tasks/{done['id']}/reopen").status_code == 200
        drain(local)
        after = stats(http)
        assert after["overdue_now"] == 1
        assert after["completed"] == 0


@pytest.mark.parametrize("bad", ["1y", "30", "", "7D"])
def test_a_bad_range_names_the_field(pair: tuple[httpx.Client, httpx.Client], bad: str) -> None:
    response = pair[0].get("/stats", params={"range": bad})
    assert response.status_code == 422
    assert "range" in response.json()["error"]["fields"]


@pytest.mark.parametrize("goal", [0, 101, "three"])
def test_the_daily_goal_is_checked(pair: tuple[httpx.Client, httpx.Client], goal: object) -> None:
    response = pair[0].patch("/me", json={"preferences": {"daily_goal": goal}})
    assert response.status_code == 422
    assert "preferences.daily_goal" in response.json()["error"]["fields"]


def test_stats_need_a_token(api_url: str) -> None:
    assert httpx.get(f"{api_url}/stats").status_code == 401
    assert httpx.get(f"{api_url}/export").status_code == 401


def test_export_json_and_csv_hold_only_my_data(api_url: str, make_user: Callable[[], SignedInUser]) -> None:
    with client(api_url, make_user()) as a, client(api_url, make_user()) as b:
        project = a.post("/projects", json={"name": "=HYPERLINK(evil)"}).json()
        task = add_task(a, title="Write the report", project_id=project["id"], notes="line 1\nline 2, with comma")
        add_task(b, title="Secret of B")
        response = a.get("/export", params={"format": "json"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        document = response.json()
        assert [t["title"] for t in document["tasks"]] == ["Write the report"]
        assert {p["name"] for p in document["projects"]} == {"Inbox", "=HYPERLINK(evil)"}
        assert "Secret of B" not in response.text
        tasks_csv = a.get("/export", params={"format": "csv"})
        assert tasks_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(tasks_csv.text)))
        assert [(r["id"], r["title"], r["notes"]) for r in rows] == [
            (task["id"], "Write the report", "line 1\nline 2, with comma")
        ]
        assert rows[0]["project"] == "'=HYPERLINK(evil)"  # never a live spreadsheet formula
        projects_csv = list(csv.DictReader(io.StringIO(a.get("/export?format=csv&part=projects").text)))
        assert len(projects_csv) == 2
        bad = a.get("/export", params={"format": "xml"})
        assert bad.status_code == 422
        assert "format" in bad.json()["error"]["fields"]


def partition(local: LocalRun, user_id: str) -> list[str]:
    dynamodb = aws_client(local, "dynamodb")
    items = dynamodb.query(
        TableName=ResourceNames("local").tasks_table,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user_id}},
    )["Items"]
    return [item["sk"]["S"] for item in items]


def test_delete_everything_keeps_the_account(
    local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    with client(api_url, make_user()) as http, client(api_url, make_user()) as other:
        user_id = http.get("/me").json()["id"]
        complete(http, add_task(http, label_names=["x"]))
        keep = add_task(other)
        drain(local)
        assert any(sk.startswith("STAT#") for sk in partition(local, user_id))
        assert http.delete("/data").status_code == 204
        drain(local)
        assert partition(local, user_id) == []
        assert http.get("/me").status_code == 200
        assert http.get("/tasks", params={"status": "all"}).json()["items"] == []
        assert stats(http)["created"] == 0
        assert other.get(f"/tasks/{keep['id']}").status_code == 200


def notification_rows(local: LocalRun, user_id: str) -> list[str]:
    items = aws_client(local, "dynamodb").query(
        TableName=ResourceNames("local").notifications_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"USER#{user_id}"}},
    )["Items"]
    return [item["sk"]["S"] for item in items]


def test_delete_everything_removes_the_inbox_and_pending_reminders(
    local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    scheduler, group = aws_client(local, "scheduler"), ResourceNames("local").schedule_group
    with client(api_url, make_user()) as http:
        user_id = http.get("/me").json()["id"]
        soon = add_task(http, due_date=(date.today() + timedelta(days=1)).isoformat(), due_time="10:00")
        later = add_task(http, due_date=(date.today() + timedelta(days=6)).isoformat(), due_time="10:00")
        for task in (soon, later):
            put = http.put(f"/tasks/{task['id']}/reminders", json={"reminders": [{"minutes_before": 10}]})
            assert put.status_code == 200, put.text
        assert local.scheduler is not None
        local.scheduler.fire_due(datetime.now(UTC) + timedelta(days=3))  # the first reminder: an inbox row
        assert any(sk.startswith("N#") for sk in notification_rows(local, user_id))
        assert scheduler.list_schedules(GroupName=group, NamePrefix=f"r-{later['id']}-")["Schedules"]

        assert http.delete("/data").status_code == 204

        assert notification_rows(local, user_id) == []
        assert scheduler.list_schedules(GroupName=group, NamePrefix=f"r-{later['id']}-")["Schedules"] == []
        assert http.get("/notifications").json()["items"] == []


def test_deleting_the_account_deletes_its_data(
    local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    with client(api_url, make_user()) as http:
        user_id = http.get("/me").json()["id"]
        complete(http, add_task(http))
        drain(local)
        assert partition(local, user_id) != []
        assert http.request("DELETE", "/me", json={"password": PASSWORD}).status_code == 204
        drain(local)
        assert partition(local, user_id) == []
