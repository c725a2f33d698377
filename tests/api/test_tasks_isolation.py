"""Two users: every route answers B with 404 for A's task/project/label ids (400 for A's cursor), never A's data,
and A's data is unchanged afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import SignedInUser

Json = dict[str, Any]


@dataclass(frozen=True)
class World:
    a: httpx.Client
    b: httpx.Client
    ids: dict[str, str]  # a_task, a_done, a_project, a_label, a_cursor, b_task, b_project, b_label
    secrets: tuple[str, ...]  # text only A's data contains (ids B sends may be echoed back; A's content never)
    baseline: Json  # A's data as A left it

    def snapshot(self) -> Json:
        """Everything of A's that B's calls could touch: every task (with versions), project and label."""
        return {
            "tasks": self.a.get("/tasks", params={"status": "all", "limit": 200}).json(),
            "projects": self.a.get("/projects").json(),
            "labels": self.a.get("/labels").json(),
        }


def _created(response: httpx.Response) -> Json:
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


@pytest.fixture(scope="module")
def world(api_url: str, make_user: Callable[[], SignedInUser]) -> Iterator[World]:
    a = httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30)
    b = httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30)
    a_project = _created(a.post("/projects", json={"name": "A-secret-project", "sections": ["Todo"]}))
    a_label = _created(a.post("/labels", json={"name": "a-secret-label"}))
    a_task = _created(
        a.post(
            "/tasks",
            json={
                "title": "A secret task",
                "notes": "A secret note",
                "project_id": a_project["id"],
                "section": "Todo",
                "labels": [a_label["id"]],
                "due_date": "2030-01-01",
            },
        )
    )
    a_done = _created(a.post("/tasks", json={"title": "A secret done task", "project_id": a_project["id"]}))
    assert a.post(f"/tasks/{a_done['id']}/complete").status_code == 200
    for i in range(3):
        _created(a.post("/tasks", json={"title": f"A secret filler {i}"}))
    page = a.get("/tasks", params={"limit": 2}).json()
    assert page["next_cursor"]
    b_project = _created(b.post("/projects", json={"name": "B project", "sections": ["Todo"]}))
    b_label = _created(b.post("/labels", json={"name": "b-label"}))
    b_task = _created(b.post("/tasks", json={"title": "B task", "project_id": b_project["id"]}))
    ids = {
        "a_task": a_task["id"],
        "a_done": a_done["id"],
        "a_project": a_project["id"],
        "a_label": a_label["id"],
        "a_cursor": page["next_cursor"],
        "b_task": b_task["id"],
        "b_project": b_project["id"],
        "b_label": b_label["id"],
    }
    world = World(a=a, b=b, ids=ids, secrets=("A secret", "A-secret-project", "a-secret-label"), baseline={})
    world.baseline.update(world.snapshot())
    assert len(world.baseline["tasks"]["items"]) == 5
    yield world
    a.close()
    b.close()


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Json | None = None
    params: Json | None = None


def call(method: str, path: str, body: Json | None, params: Json | None, status: int, *, id: str) -> Any:
    return pytest.param(Call(method, path, body, params), status, id=id)


# B's call with A's ids, and the status B must get
MATRIX: list[Any] = [
    # one task of A's
    call("GET", "/tasks/{a_task}", None, None, 404, id="get-task"),
    call("PATCH", "/tasks/{a_task}", {"version": 1, "title": "B was here"}, None, 404, id="patch-task"),
    call("PATCH", "/tasks/{a_task}", {"version": 99, "title": "B was here"}, None, 404, id="patch-task-stale"),
    call("DELETE", "/tasks/{a_task}", None, None, 404, id="delete-task"),
    call("POST", "/tasks/{a_task}/complete", None, None, 404, id="complete-task"),
    call("POST", "/tasks/{a_done}/reopen", None, None, 404, id="reopen-task"),
    # bulk with one of A's ids, alone or next to B's own
    call("POST", "/tasks/bulk", {"action": "complete", "ids": ["{a_task}"]}, None, 404, id="bulk-complete"),
    call("POST", "/tasks/bulk", {"action": "reopen", "ids": ["{a_done}"]}, None, 404, id="bulk-reopen"),
    call(
        "POST", "/tasks/bulk", {"action": "delete", "ids": ["{b_task}", "{a_task}"]}, None, 404, id="bulk-delete-mixed"
    ),
    call(
        "POST",
        "/tasks/bulk",
        {"action": "move", "ids": ["{a_task}"], "project_id": "{b_project}"},
        None,
        404,
        id="bulk-move-a-task",
    ),
    call(
        "POST",
        "/tasks/bulk",
        {"action": "move", "ids": ["{b_task}"], "project_id": "{a_project}"},
        None,
        404,
        id="bulk-move-into-a-project",
    ),
    # A's project or label on B's own task
    call("POST", "/tasks", {"title": "B", "project_id": "{a_project}"}, None, 404, id="create-in-a-project"),
    call("POST", "/tasks", {"title": "B", "labels": ["{a_label}"]}, None, 404, id="create-with-a-label"),
    call("PATCH", "/tasks/{b_task}", {"version": 1, "project_id": "{a_project}"}, None, 404, id="move-to-a-project"),
    call("PATCH", "/tasks/{b_task}", {"version": 1, "labels": ["{a_label}"]}, None, 404, id="add-a-label"),
    call(
        "PATCH",
        "/tasks/{b_task}",
        {"version": 1, "order": {"after_id": "{a_task}"}},
        None,
        404,
        id="order-after-a-task",
    ),
    # A's project
    call("GET", "/projects/{a_project}", None, None, 404, id="get-project"),
    call("PATCH", "/projects/{a_project}", {"name": "B was here"}, None, 404, id="patch-project"),
    call("PATCH", "/projects/{a_project}", {"archived": True}, None, 404, id="archive-project"),
    call("DELETE", "/projects/{a_project}", None, None, 404, id="delete-project"),
    call("PATCH", "/projects/{b_project}", {"after_id": "{a_project}"}, None, 404, id="order-after-a-project"),
    # A's label
    call("GET", "/labels/{a_label}", None, None, 404, id="get-label"),
    call("PATCH", "/labels/{a_label}", {"name": "B was here"}, None, 404, id="patch-label"),
    call("DELETE", "/labels/{a_label}", None, None, 404, id="delete-label"),
    # lists filtered by A's ids, or continued with A's cursor
    call("GET", "/tasks", None, {"project_id": "{a_project}"}, 404, id="list-a-project"),
    call("GET", "/tasks", None, {"project_id": "{a_project}", "view": "today"}, 404, id="list-a-project-today"),
    call("GET", "/tasks", None, {"label_id": "{a_label}"}, 404, id="list-a-label"),
    call("GET", "/tasks", None, {"cursor": "{a_cursor}"}, 400, id="a-cursor"),
    call("GET", "/tasks", None, {"cursor": "{a_cursor}", "limit": 200}, 400, id="a-cursor-big-page"),
]


@pytest.mark.parametrize(("request_", "status"), MATRIX)
def test_b_cannot_reach_a(world: World, request_: Call, status: int) -> None:
    ids = world.ids
    response = world.b.request(
        request_.method, _fill(request_.path, ids), json=_fill(request_.body, ids), params=_fill(request_.params, ids)
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == ("not_found" if status == 404 else "invalid_input")
    assert not any(secret in response.text for secret in world.secrets), response.text
    assert world.snapshot() == world.baseline


def test_b_sees_nothing_of_a_in_its_own_lists(world: World) -> None:
    views: list[Json] = [
        {},
        *({"view": v} for v in ("today", "upcoming", "inbox", "completed")),
        {"status": "all"},
        {"q": "secret"},
    ]
    for params in views:
        response = world.b.get("/tasks", params={**params, "limit": 200})
        assert response.status_code == 200
        assert not any(secret in response.text for secret in world.secrets), (params, response.text)
    for path in ("/projects", "/labels"):
        response = world.b.get(path)
        assert response.status_code == 200
        assert not any(secret in response.text for secret in world.secrets), response.text
    parsed = world.b.post("/quick-add/parse", json={"text": "x #A-secret-project"}).json()
    assert (parsed["project_name"], parsed["project_found"]) == ("A-secret-project", False)
    assert parsed["task"]["project_id"] is None


def test_b_still_works_on_its_own_data(world: World) -> None:
    """The matrix did not break B's own objects (so the 404s above are about ownership, not bad requests)."""
    ids = world.ids
    for path in (f"/tasks/{ids['b_task']}", f"/projects/{ids['b_project']}", f"/labels/{ids['b_label']}"):
        assert world.b.get(path).status_code == 200
    assert world.b.get("/tasks", params={"project_id": ids["b_project"]}).status_code == 200
    assert world.b.get("/tasks", params={"label_id": ids["b_label"]}).status_code == 200
    created = world.b.post(
        "/tasks", json={"title": "B two", "project_id": ids["b_project"], "labels": [ids["b_label"]]}
    )
    assert created.status_code == 201
