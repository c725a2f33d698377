"""Issue 13's migration on data written by the code before shared projects (tests/fixtures/pre_sharing_dataset.json,
made at c831d88 by tests/fixtures/make_pre_sharing_dataset.py): loaded into a table without the new index, read
through the new API before and after ``migrate``, which must change no answer, add the index, backfill the new
attributes without touching a version, and change nothing the second time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.adapters.task_store.migration import migrate
from backend.local.environment import LOCAL_STAGE
from backend.names import ResourceNames
from tests.api.conftest import claims_of
from tests.conftest import PASSWORD, SignedInUser, latest_code

DATASET = Path(__file__).parent.parent / "fixtures" / "pre_sharing_dataset.json"
NAMES = ResourceNames(LOCAL_STAGE)
Json = dict[str, Any]


@pytest.fixture(scope="module")
def old_data(
    api_url: str, auth: Any, dynamodb: Any, make_user: Callable[[], SignedInUser]
) -> tuple[dict[str, httpx.Client], dict[str, str]]:
    """ann and bob signed up on this emulator, their old items loaded under their new ids, by_assignee dropped."""
    dump = DATASET.read_text()
    old_ids = {item["email"]["S"]: item["user_id"]["S"] for item in json.loads(dump)["tables"][NAMES.users_table]}
    clients, subs = {}, {}
    for email, old_id in old_ids.items():
        auth.sign_up(email, PASSWORD)
        auth.confirm_sign_up(email, latest_code(api_url, email))
        tokens = auth.sign_in(email, PASSWORD)
        name = email.split("@")[0]
        subs[name] = claims_of(tokens.access_token)["sub"]
        dump = dump.replace(old_id, subs[name])
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        clients[name] = httpx.Client(base_url=api_url, headers=headers, timeout=30)
    dynamodb.update_table(
        TableName=NAMES.tasks_table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_assignee"}}]
    )
    for table, items in json.loads(dump)["tables"].items():
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
    return clients, subs


def _answers(client: httpx.Client) -> Json:
    """Every list, search, label view and statistic a user of the old code could ask for."""

    def get(path: str, **params: Any) -> Any:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    projects = get("/projects")
    labels = get("/labels")
    answers: Json = {"projects": projects, "labels": labels, "me": get("/me")}
    answers["view all"] = get("/tasks", status="all", limit=200)
    for view in ("today", "upcoming", "all"):
        answers[f"view {view} open"] = get("/tasks", view=view, limit=200)
    answers["upcoming 31 days"] = get("/tasks", view="upcoming", days=31, due_from="2027-01-01", limit=200)
    answers["done"] = get("/tasks", status="done", limit=200)
    answers["by priority"] = get("/tasks", sort="priority", limit=200)
    for word in ("budget", "groceries", "tulips", "chap"):
        answers[f"search {word}"] = get("/tasks", q=word, limit=200)
    for project in projects:
        answers[f"project {project['name']}"] = get("/tasks", project_id=project["id"], sort="manual", limit=200)
    for label in labels:
        answers[f"label {label['name']}"] = get("/tasks", label_id=label["id"], limit=200)
    answers["stats"] = get("/stats", range="90d")
    for task in answers["view all"]["items"]:
        if task.get("attachment_count"):
            files = get(f"/tasks/{task['id']}/attachments")["items"]
            signed = ("download_url", "thumbnail_url", "urls_expire_at")  # signed anew on every call
            answers[f"files {task['id']}"] = [{k: v for k, v in f.items() if k not in signed} for f in files]
    return answers


def _task_items(dynamodb: Any, sub: str) -> list[Json]:
    pages = dynamodb.get_paginator("query").paginate(
        TableName=NAMES.tasks_table,
        KeyConditionExpression="user_id = :pk AND begins_with(sk, :task)",
        ExpressionAttributeValues={":pk": {"S": sub}, ":task": {"S": "TASK#"}},
    )
    return [item for page in pages for item in page["Items"]]


def test_the_old_data_reads_the_same_before_and_after_and_a_second_run_changes_nothing(
    old_data: tuple[dict[str, httpx.Client], dict[str, str]], dynamodb: Any
) -> None:
    clients, subs = old_data
    before = {name: _answers(client) for name, client in clients.items()}
    assert len(before["ann"]["view all"]["items"]) == 19  # the dataset: 20 made, 1 deleted
    assert [t["title"] for t in before["ann"]["search budget"]["items"]]  # the old search index is read
    versions = {item["sk"]["S"]: item["version"]["N"] for item in _task_items(dynamodb, subs["ann"])}

    report = migrate(dynamodb, users_table=NAMES.users_table, tasks_table=NAMES.tasks_table, create_indexes=True)

    assert report.indexes_added == ["by_assignee"]
    assert report.users == 2
    assert report.tasks_backfilled == report.tasks_seen == 20  # ann's 19 + bob's 1
    for name, sub in subs.items():
        for item in _task_items(dynamodb, sub):
            assert item["created_by"] == {"S": sub}
            assert ("completed_by" in item) == (item["status"]["S"] == "done")
            if name == "ann":
                assert item["version"]["N"] == versions[item["sk"]["S"]]  # an open screen's next edit still fits
    after = {name: _answers(client) for name, client in clients.items()}
    assert after == before

    again = migrate(dynamodb, users_table=NAMES.users_table, tasks_table=NAMES.tasks_table, create_indexes=True)
    assert not again.changed_anything
    assert again.tasks_seen == 20


def test_migrated_tasks_take_part_in_the_new_features(
    old_data: tuple[dict[str, httpx.Client], dict[str, str]],
) -> None:
    """The index the migration added answers "assigned to me" for an old task assigned now."""
    clients, subs = old_data
    ann = clients["ann"]
    task = ann.get("/tasks", params={"q": "gardening"}).json()["items"][0]
    assigned = ann.patch(f"/tasks/{task['id']}", json={"assignee_id": subs["ann"], "version": task["version"]})
    assert assigned.status_code == 200, assigned.text
    mine = ann.get("/tasks", params={"assignee": "me"})
    assert mine.status_code == 200, mine.text
    assert [t["id"] for t in mine.json()["items"]] == [task["id"]]
