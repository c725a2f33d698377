"""The role matrix of shared projects (issue 13), data-driven: every row is a request on one shared project and the
least role that may make it; each runs as {owner, admin, editor, viewer, removed member, stranger}.

* a role at least the row's: a success (2xx);
* a member with a lower role: 403 in the error shape;
* a removed member and a stranger: 404 in the error shape (the project does not exist for them).

Each helper of issue 13 appends the rows of its routes to ``ROWS``. A path or body names placeholders in braces,
filled per request by ``World.fill``: ``{project}``, ``{task}`` (a task of the project), ``{target}`` (a viewer
the row may act on), ``{fresh_email}`` (a new address), ``{fresh_invitation}`` (a new pending invitation's id),
``{fresh_comment}`` (a new comment of the owner on ``{task}``, as ``<task>.<ulid>``); add
a placeholder to ``World.fill`` if a row needs another. Rows must leave the project as usable as they found it (a
successful request runs up to four times: once per role allowed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from backend.domain.sharing import Role
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    body: dict[str, Any] | None
    least: Role
    per_item: bool = False  # a bulk route answers 200 with one result per item: the row's checks apply to results[0]


ROWS: list[Row] = [
    # --- members and invitations (sharing-core) ---
    Row("GET", "/projects/{project}/members", None, Role.VIEWER),
    Row("POST", "/projects/{project}/members", {"email": "{fresh_email}", "role": "viewer"}, Role.ADMIN),
    Row("PATCH", "/projects/{project}/members/{target}", {"role": "viewer"}, Role.ADMIN),
    Row("DELETE", "/projects/{project}/members/{fresh_invitation}", None, Role.ADMIN),
    # --- the project itself (sharing-core; DELETE is the owner's alone: tests/api/test_sharing_api.py) ---
    Row("GET", "/projects/{project}", None, Role.VIEWER),
    Row("PATCH", "/projects/{project}", {"name": "Matrix"}, Role.ADMIN),
    Row("PATCH", "/projects/{project}", {"archived": False}, Role.ADMIN),
    # --- comments and activity (comments helper); {fresh_comment} is the owner's: only its author edits it, an admin
    # deletes anyone's ---
    Row("GET", "/tasks/{task}/comments", None, Role.VIEWER),
    Row("POST", "/tasks/{task}/comments", {"body": "matrix @viewer"}, Role.EDITOR),
    Row("PATCH", "/comments/{fresh_comment}", {"body": "edited"}, Role.OWNER),
    Row("DELETE", "/comments/{fresh_comment}", None, Role.ADMIN),
    Row("GET", "/projects/{project}/activity", None, Role.VIEWER),
    # --- tasks (tasks of shared projects) ---
    Row("GET", "/tasks/{task}", None, Role.VIEWER),
    Row("GET", "/tasks?project_id={project}", None, Role.VIEWER),
    Row("POST", "/tasks", {"title": "matrix add", "project_id": "{project}"}, Role.EDITOR),
    Row("PATCH", "/tasks/{task}", {"version": "{task_version}", "priority": 2}, Role.EDITOR),
    Row("PATCH", "/tasks/{task}", {"version": "{task_version}", "assignee_id": None}, Role.EDITOR),
    Row("POST", "/tasks/{task}/complete", None, Role.EDITOR),
    Row("POST", "/tasks/{task}/reopen", None, Role.EDITOR),
    Row("POST", "/tasks/bulk", {"action": "reopen", "ids": ["{task}"]}, Role.EDITOR),
    Row("POST", "/tasks/bulk-edit", {"items": [{"id": "{task}", "priority": 2}]}, Role.EDITOR, per_item=True),
    Row("DELETE", "/tasks/{fresh_task}", None, Role.EDITOR),
    Row("GET", "/tasks/{task}/reminders", None, Role.VIEWER),
    Row("PUT", "/tasks/{task}/reminders", {"reminders": []}, Role.VIEWER),  # each member's own
    Row("GET", "/tasks/{task}/attachments", None, Role.VIEWER),
    Row("POST", "/tasks/{task}/attachments", {"name": "a.txt", "content_type": "text/plain", "size": 3}, Role.EDITOR),
    # --- nested subtasks (issue 14): a fresh parent, so {task} never gets open subtasks ---
    Row("GET", "/tasks?parent_id={task}", None, Role.VIEWER),
    Row("POST", "/tasks", {"title": "matrix subtask", "parent_id": "{fresh_task}"}, Role.EDITOR),
    Row("POST", "/tasks/{task}/complete?children=keep", None, Role.EDITOR),
]
CALLERS = ("owner", "admin", "editor", "viewer", "removed", "stranger")
RANK = {"owner": Role.OWNER, "admin": Role.ADMIN, "editor": Role.EDITOR, "viewer": Role.VIEWER}


@dataclass
class World:
    project: str
    task: str
    target: str
    clients: dict[str, httpx.Client]

    def fill(self, text: str) -> str:
        if "{fresh_invitation}" in text:
            email = f"matrix-{uuid.uuid4().hex[:10]}@example.com"
            answer = self.clients["owner"].post(f"/projects/{self.project}/members", json={"email": email})
            assert answer.status_code == 201, answer.text
            text = text.replace("{fresh_invitation}", answer.json()["id"])
        if "{fresh_comment}" in text:
            answer = self.clients["owner"].post(f"/tasks/{self.task}/comments", json={"body": "the owner's"})
            assert answer.status_code == 201, answer.text
            text = text.replace("{fresh_comment}", answer.json()["id"])
        if "{fresh_task}" in text:
            body = {"title": "matrix delete", "project_id": self.project}
            text = text.replace("{fresh_task}", _ok(self.clients["owner"].post("/tasks", json=body), 201)["id"])
        if '"{task_version}"' in text:  # a number in the JSON body: the task's version now
            version = _ok(self.clients["owner"].get(f"/tasks/{self.task}"))["version"]
            text = text.replace('"{task_version}"', str(version))
        if "{fresh_email}" in text:
            text = text.replace("{fresh_email}", f"matrix-{uuid.uuid4().hex[:10]}@example.com")
        return text.replace("{project}", self.project).replace("{task}", self.task).replace("{target}", self.target)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def world(api_url: str, make_user: Callable[[], SignedInUser]) -> World:
    clients: dict[str, httpx.Client] = {}
    ids: dict[str, str] = {}
    for name in (*CALLERS, "target"):
        user = make_user()
        clients[name] = httpx.Client(base_url=api_url, headers=user.headers, timeout=30)
        ids[name] = _ok(clients[name].get("/me"))["id"]
        ids[name + "_email"] = user.email
    owner = clients["owner"]
    project = _ok(owner.post("/projects", json={"name": "Matrix"}), 201)["id"]
    task = _ok(owner.post("/tasks", json={"title": "Matrix task", "project_id": project}), 201)["id"]
    for name, role in (("admin", "admin"), ("editor", "editor"), ("viewer", "viewer"), ("removed", "editor"),
                       ("target", "viewer")):  # fmt: skip
        invitation = _ok(
            owner.post(f"/projects/{project}/members", json={"email": ids[name + "_email"], "role": role}), 201
        )
        _ok(clients[name].post(f"/invitations/{invitation['id']}/accept"))
    _ok(owner.delete(f"/projects/{project}/members/{ids['removed']}"), 204)
    return World(project=project, task=task, target=ids["target"], clients=clients)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method} {row.path}")
def test_the_role_matrix(world: World, row: Row, caller: str) -> None:
    body = json.loads(world.fill(json.dumps(row.body))) if row.body is not None else None
    response = world.clients[caller].request(row.method, world.fill(row.path), json=body)
    if row.per_item:
        assert response.status_code == 200, response.text
        result = response.json()["results"][0]
        denied = 404 if caller in ("removed", "stranger") else None if RANK[caller].at_least(row.least) else 403
        assert result["status"] == (denied or 200), f"{caller}: {result}"
        if denied is not None:
            assert set(result["error"]) == {"code", "message", "fields"}, result
            assert result["task"] is None, result
    elif caller in ("removed", "stranger"):
        assert_error_shape(response, 404)
    elif RANK[caller].at_least(row.least):
        assert response.status_code < 300, f"{caller}: {response.status_code} {response.text}"
    else:
        assert_error_shape(response, 403)
