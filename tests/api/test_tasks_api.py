"""Tasks, projects, labels and quick add over HTTP: the local API (same handlers and authorizer as AWS) on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import SignedInUser

Json = dict[str, Any]


@dataclass
class Api:
    """One signed-in user's HTTP client with a few shortcuts."""

    http: httpx.Client

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def task(self, title: str, status: int = 201, **fields: Any) -> Json:
        result: Json = self.ok("POST", "/tasks", status, json={"title": title, **fields})
        return result

    def project(self, name: str, **fields: Any) -> Json:
        result: Json = self.ok("POST", "/projects", 201, json={"name": name, **fields})
        return result

    def label(self, name: str, **fields: Any) -> Json:
        result: Json = self.ok("POST", "/labels", 201, json={"name": name, **fields})
        return result

    def page(self, **params: Any) -> Json:
        result: Json = self.ok("GET", "/tasks", params=params)
        return result

    def titles(self, **params: Any) -> list[str]:
        page = self.page(**params, limit=200)
        assert page["next_cursor"] is None
        return [t["title"] for t in page["items"]]

    def today(self) -> date:
        """The caller's today, as the server sees it (the API runs on the real clock)."""
        parsed = self.ok("POST", "/quick-add/parse", json={"text": "x today"})
        return date.fromisoformat(parsed["task"]["due_date"])


@pytest.fixture(scope="module")
def new_api(api_url: str, make_user: Callable[[], SignedInUser]) -> Iterator[Callable[[], Api]]:
    clients: list[httpx.Client] = []

    def make() -> Api:
        client = httpx.Client(base_url=api_url, headers=make_user().headers, timeout=30)
        clients.append(client)
        return Api(client)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(new_api: Callable[[], Api]) -> Api:
    """A fresh user, for tests that look at whole lists (Inbox, Completed, all labels)."""
    return new_api()


@pytest.fixture(scope="module")
def shared(new_api: Callable[[], Api]) -> Api:
    """One user for tests that only look at their own objects (signing up a user per test is slow)."""
    return new_api()


# --- CRUD ----------------------------------------------------------------------------------------
def test_project_crud(api: Api) -> None:
    created = api.project("Work", color="#ff8800", sections=["Todo", "Doing", "Done"])
    assert created["name"] == "Work"
    assert created["sections"] == ["Todo", "Doing", "Done"]
    assert created["is_inbox"] is False
    pid = created["id"]
    assert api.ok("GET", f"/projects/{pid}") == created
    changed = api.ok("PATCH", f"/projects/{pid}", json={"name": "Job", "color": "#000000", "archived": True})
    assert (changed["name"], changed["color"], changed["archived"]) == ("Job", "#000000", True)
    assert changed["version"] == created["version"] + 1
    listed = api.ok("GET", "/projects")
    assert [p["name"] for p in listed] == ["Inbox", "Job"]
    assert listed[0]["is_inbox"] is True
    assert api.ok("DELETE", f"/projects/{pid}", 204) is None
    for method in ("GET", "DELETE"):
        assert api.ok(method, f"/projects/{pid}", 404)["error"]["code"] == "not_found"
    assert api.ok("PATCH", f"/projects/{pid}", 404, json={"name": "x"})["error"]["code"] == "not_found"


def test_project_order(api: Api) -> None:
    a, b, c = (api.project(name) for name in ("A", "B", "C"))
    api.ok("PATCH", f"/projects/{c['id']}", json={"after_id": a["id"]})
    assert [p["name"] for p in api.ok("GET", "/projects")] == ["Inbox", "A", "C", "B"]
    api.ok("PATCH", f"/projects/{b['id']}", json={"after_id": None})
    assert [p["name"] for p in api.ok("GET", "/projects")] == ["Inbox", "B", "A", "C"]


def test_the_inbox_is_fixed(shared: Api) -> None:
    assert shared.ok("DELETE", "/projects/inbox", 400)["error"]["fields"] == {"project_id": "is the Inbox"}
    assert "name" in shared.ok("PATCH", "/projects/inbox", 400, json={"name": "Other"})["error"]["fields"]
    assert shared.ok("PATCH", "/projects/inbox", json={"color": "#123456"})["color"] == "#123456"
    assert shared.ok("GET", "/projects/inbox")["name"] == "Inbox"


def test_label_crud(api: Api) -> None:
    created = api.label("urgent", color="#ff0000")
    lid = created["id"]
    assert api.ok("GET", f"/labels/{lid}") == created
    assert api.ok("POST", "/labels", 400, json={"name": "URGENT"})["error"]["fields"] == {"name": "is already used"}
    changed = api.ok("PATCH", f"/labels/{lid}", json={"name": "critical"})
    assert (changed["name"], changed["color"], changed["version"]) == ("critical", "#ff0000", 2)
    api.label("later")
    assert [label["name"] for label in api.ok("GET", "/labels")] == ["critical", "later"]
    task = api.task("tagged", labels=[lid])
    assert api.ok("DELETE", f"/labels/{lid}", 204) is None
    assert api.ok("GET", f"/labels/{lid}", 404)["error"]["code"] == "not_found"
    assert api.ok("DELETE", f"/labels/{lid}", 404)["error"]["code"] == "not_found"
    assert api.ok("GET", f"/tasks/{task['id']}")["labels"] == []


def test_task_crud(shared: Api) -> None:
    project = shared.project("Trip", sections=["Plan", "Pack"])
    label = shared.label("travel")
    created = shared.task(
        "Book hotel",
        notes="**near** the station",
        project_id=project["id"],
        priority=2,
        due_date="2030-05-01",
        due_time="09:30",
        start_date="2030-04-20",
        section="Plan",
        labels=[label["id"]],
        subtasks=[{"title": "compare prices"}, {"title": "pay", "done": True}],
    )
    tid = created["id"]
    assert created["version"] == 1
    assert created["status"] == "open"
    assert created["due_time"] == "09:30:00"
    assert [(s["title"], s["done"]) for s in created["subtasks"]] == [("compare prices", False), ("pay", True)]
    assert shared.ok("GET", f"/tasks/{tid}") == created

    changed = shared.ok(
        "PATCH", f"/tasks/{tid}", json={"version": 1, "title": "Book a hotel", "section": "Pack", "priority": 1}
    )
    assert (changed["title"], changed["section"], changed["priority"], changed["version"]) == (
        "Book a hotel",
        "Pack",
        1,
        2,
    )
    assert changed["notes"] == created["notes"]  # fields not sent stay
    cleared = shared.ok("PATCH", f"/tasks/{tid}", json={"version": 2, "due_date": None, "start_date": None})
    assert (cleared["due_date"], cleared["due_time"], cleared["start_date"]) == (None, None, None)
    reordered = list(reversed(cleared["subtasks"]))
    patched = shared.ok("PATCH", f"/tasks/{tid}", json={"version": 3, "subtasks": reordered})
    assert [s["id"] for s in patched["subtasks"]] == [s["id"] for s in reordered]

    assert shared.ok("DELETE", f"/tasks/{tid}", 204) is None
    for method, path in (("GET", f"/tasks/{tid}"), ("DELETE", f"/tasks/{tid}"), ("POST", f"/tasks/{tid}/complete")):
        assert shared.ok(method, path, 404)["error"]["code"] == "not_found"
    assert shared.ok("PATCH", f"/tasks/{tid}", 404, json={"version": 4, "title": "x"})["error"]["code"] == "not_found"


def test_a_task_without_project_goes_to_the_inbox(api: Api) -> None:
    task = api.task("loose")
    assert task["project_id"] == "inbox"
    assert api.titles(view="inbox") == ["loose"]


def test_moving_a_task_to_another_project_clears_its_section(shared: Api) -> None:
    board = shared.project("Board", sections=["Todo"])
    other = shared.project("Other")
    task = shared.task("card", project_id=board["id"], section="Todo")
    moved = shared.ok("PATCH", f"/tasks/{task['id']}", json={"version": 1, "project_id": other["id"]})
    assert (moved["project_id"], moved["section"]) == (other["id"], None)
    assert shared.titles(project_id=other["id"]) == ["card"]
    assert shared.titles(project_id=board["id"]) == []


def test_manual_order_within_a_project(shared: Api) -> None:
    project = shared.project("Ordered")
    a, b, c = (shared.task(t, project_id=project["id"]) for t in ("a", "b", "c"))
    shared.ok("PATCH", f"/tasks/{c['id']}", json={"version": 1, "order": {"after_id": a["id"], "before_id": b["id"]}})
    assert shared.titles(project_id=project["id"]) == ["a", "c", "b"]
    shared.ok("PATCH", f"/tasks/{a['id']}", json={"version": 1, "order": {"after_id": b["id"]}})
    assert shared.titles(project_id=project["id"]) == ["c", "b", "a"]
    body = {"version": 1, "order": {"after_id": a["id"], "before_id": c["id"]}}  # a is after c: not in order
    assert "order" in shared.ok("PATCH", f"/tasks/{b['id']}", 400, json=body)["error"]["fields"]


# --- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("request_", "status", "field"),
    [
        (("POST", "/tasks", {"title": "x" * 501}), 422, "title"),
        (("POST", "/tasks", {"title": "   "}), 422, "title"),
        (("POST", "/tasks", {}), 422, "title"),
        (("POST", "/tasks", {"title": "ok", "priority": 5}), 422, "priority"),
        (("POST", "/tasks", {"title": "ok", "priority": 0}), 422, "priority"),
        (("POST", "/tasks", {"title": "ok", "labels": [f"l{i}" for i in range(11)]}), 422, "labels"),
        (("POST", "/tasks", {"title": "ok", "notes": "n" * 20_001}), 422, "notes"),
        (("POST", "/tasks", {"title": "ok", "due_date": "2026-02-30"}), 422, "due_date"),
        (("POST", "/tasks", {"title": "ok", "due_time": "25:00", "due_date": "2026-03-01"}), 422, "due_time"),
        (("POST", "/tasks", {"title": "ok", "project_id": "not an id!"}), 422, "project_id"),
        (("POST", "/tasks", {"title": "ok", "colour": "#ffffff"}), 422, "colour"),
        (("POST", "/tasks", {"title": "ok", "subtasks": [{"title": ""}]}), 422, "subtasks.0.title"),
        (("POST", "/tasks", {"title": "ok", "due_time": "09:00"}), 400, "due_time"),
        (("POST", "/tasks", {"title": "ok", "due_date": "2026-03-01", "recurrence": "FREQ=HOURLY"}), 400, "recurrence"),
        (("POST", "/tasks", {"title": "ok", "due_date": "2026-03-01", "recurrence": "EVERY=DAY"}), 400, "recurrence"),
        (("POST", "/tasks", {"title": "ok", "recurrence": "FREQ=DAILY"}), 400, "recurrence"),
        (("POST", "/tasks", {"title": "ok", "due_date": "2026-03-01", "start_date": "2026-03-02"}), 400, "start_date"),
        (("POST", "/tasks", {"title": "ok", "section": "Doing"}), 400, "section"),
        (("POST", "/projects", {"name": "Bad", "color": "red"}), 422, "color"),
        (("POST", "/projects", {"name": "Bad", "color": "#12345"}), 422, "color"),
        (("POST", "/projects", {"name": ""}), 422, "name"),
        (("POST", "/projects", {"name": "x" * 61}), 422, "name"),
        (("POST", "/projects", {"name": "ok", "owner": "me"}), 422, "owner"),
        (("POST", "/labels", {"name": "ok", "color": "#GGGGGG"}), 422, "color"),
        (("POST", "/tasks/bulk", {"action": "archive", "ids": ["a"]}), 422, "action"),
        (("POST", "/tasks/bulk", {"action": "complete", "ids": []}), 422, "ids"),
        (("POST", "/tasks/bulk", {"action": "complete", "ids": [f"t{i}" for i in range(101)]}), 422, "ids"),
        (("POST", "/tasks/bulk", {"action": "move", "ids": ["<task>"]}), 400, "project_id"),
        (("POST", "/quick-add/parse", {"text": ""}), 422, "text"),
        (("PATCH", "/tasks/<task>", {"title": "no version"}), 422, "version"),
        (("PATCH", "/tasks/<task>", {"version": 0}), 422, "version"),
        (("PATCH", "/tasks/<task>", {"version": 1, "priority": 9}), 422, "priority"),
        (("PATCH", "/tasks/<task>", {"version": 1, "section": "Nowhere"}), 400, "section"),
    ],
)
def test_validation(shared: Api, request_: tuple[str, str, Json], status: int, field: str) -> None:
    method, path, body = request_
    target: Json | None = None
    if "<task>" in path or body.get("ids") == ["<task>"]:
        target = shared.task("target")
        path = path.replace("<task>", target["id"])
        body = {k: [target["id"]] if v == ["<task>"] else v for k, v in body.items()}
    error = shared.ok(method, path, status, json=body)["error"]
    assert error["code"] == ("validation_error" if status == 422 else "invalid_input")
    assert field in error["fields"], error
    assert "ok" not in shared.titles(status="all")  # nothing was created
    if target is not None:
        assert shared.ok("GET", f"/tasks/{target['id']}") == target  # nor changed


def test_section_must_belong_to_the_tasks_project(shared: Api) -> None:
    board = shared.project("Board", sections=["Todo"])
    assert shared.task("in a section", project_id=board["id"], section="Todo")["section"] == "Todo"
    error = shared.task("bad", 400, project_id=board["id"], section="Doing")["error"]
    assert error["fields"] == {"section": "is not a section of this project"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"view": "someday"}, "view"),
        ({"sort": "random"}, "sort"),
        ({"status": "archived"}, "status"),
        ({"priority": 5}, "priority"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"days": 0}, "days"),
        ({"days": 32}, "days"),
        ({"due_from": "someday"}, "due_from"),
        ({"q": "x" * 201}, "q"),
        ({"project_id": "no/slashes"}, "project_id"),
    ],
)
def test_list_validation(shared: Api, params: Json, field: str) -> None:
    error = shared.ok("GET", "/tasks", 422, params=params)["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_a_bad_cursor_is_400(shared: Api) -> None:
    error = shared.ok("GET", "/tasks", 400, params={"cursor": "garbage"})["error"]
    assert error == {"code": "invalid_input", "message": error["message"], "fields": {"cursor": "is not valid"}}


def test_unknown_label_or_project_on_create_is_404(shared: Api) -> None:
    assert shared.task("orphan", 404, labels=["NOPE"])["error"]["fields"] == {"labels": "NOPE does not exist"}
    assert shared.task("orphan", 404, project_id="NOPE")["error"]["fields"] == {"project_id": "does not exist"}
    assert "orphan" not in shared.titles(status="all")


def test_invalid_json_is_422(shared: Api) -> None:
    response = shared.http.post("/tasks", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"body": "is not valid JSON"}


# --- filters, views, sort ------------------------------------------------------------------------
@dataclass(frozen=True)
class Seeded:
    api: Api
    today: date
    ids: dict[str, str]  # names of projects and labels → ids


@pytest.fixture(scope="module")
def seeded(new_api: Callable[[], Api]) -> Seeded:
    api = new_api()
    t = api.today()

    def day(offset: int) -> str:
        return (t + timedelta(days=offset)).isoformat()

    work, home = api.project("Work")["id"], api.project("Home")["id"]
    urgent, at_home = api.label("urgent")["id"], api.label("home")["id"]
    api.task("alpha", project_id=work, priority=1, due_date=day(-2), labels=[urgent], notes="Quarterly REPORT")
    api.task("bravo", project_id=work, priority=2, due_date=day(0), labels=[urgent, at_home])
    api.task("charlie", project_id=home, priority=3, due_date=day(1), due_time="08:00")
    api.task("delta", priority=4, due_date=day(6))
    api.task("echo", priority=1, due_date=day(10), notes="milk and eggs")
    api.task("foxtrot Buy MILK")
    golf = api.task("golf", project_id=home, due_date=day(-1), labels=[at_home])
    api.ok("POST", f"/tasks/{golf['id']}/complete")
    return Seeded(api, t, {"Work": work, "Home": home, "urgent": urgent, "home": at_home})


FILTERS: list[tuple[Json, list[str]]] = [
    ({}, ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot Buy MILK"]),
    ({"view": "today"}, ["alpha", "bravo"]),
    ({"view": "upcoming"}, ["bravo", "charlie", "delta"]),
    ({"view": "upcoming", "days": 14}, ["bravo", "charlie", "delta", "echo"]),
    ({"view": "upcoming", "days": 1}, ["bravo"]),
    ({"view": "inbox"}, ["delta", "echo", "foxtrot Buy MILK"]),
    ({"view": "completed"}, ["golf"]),
    ({"status": "all"}, ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot Buy MILK", "golf"]),
    ({"status": "done"}, ["golf"]),
    ({"project_id": "Work"}, ["alpha", "bravo"]),
    ({"project_id": "Home"}, ["charlie"]),
    ({"project_id": "Home", "status": "done"}, ["golf"]),
    ({"project_id": "Work", "view": "today"}, ["alpha", "bravo"]),
    ({"label_id": "urgent"}, ["alpha", "bravo"]),
    ({"label_id": "home"}, ["bravo"]),
    ({"label_id": "home", "status": "all"}, ["bravo", "golf"]),
    ({"priority": 1}, ["alpha", "echo"]),
    ({"priority": 1, "sort": "due"}, ["alpha", "echo"]),
    ({"due_from": 0, "due_to": 1}, ["bravo", "charlie"]),
    ({"due_to": -1}, ["alpha"]),
    ({"overdue": "true"}, ["alpha"]),
    ({"overdue": "true", "sort": "due"}, ["alpha"]),
    ({"q": "milk"}, ["echo", "foxtrot Buy MILK"]),
    ({"q": "  Report "}, ["alpha"]),
    ({"q": "nothing"}, []),
    ({"q": "milk", "view": "inbox"}, ["echo", "foxtrot Buy MILK"]),
    ({"sort": "due"}, ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot Buy MILK"]),
    ({"sort": "priority"}, ["alpha", "echo", "bravo", "charlie", "delta", "foxtrot Buy MILK"]),
    ({"sort": "created"}, ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot Buy MILK"]),
    ({"view": "today", "sort": "priority"}, ["alpha", "bravo"]),
]


@pytest.mark.parametrize(
    ("params", "expected"), FILTERS, ids=["&".join(f"{k}={v}" for k, v in p.items()) or "default" for p, _ in FILTERS]
)
def test_filters(seeded: Seeded, params: Json, expected: list[str]) -> None:
    resolved: Json = {}
    for name, value in params.items():
        if name in {"project_id", "label_id"}:
            resolved[name] = seeded.ids[value]
        elif name in {"due_from", "due_to"}:
            resolved[name] = (seeded.today + timedelta(days=value)).isoformat()
        else:
            resolved[name] = value
    assert seeded.api.titles(**resolved) == expected


def test_list_items_say_whether_they_are_overdue(seeded: Seeded) -> None:
    items = {t["title"]: t for t in seeded.api.page(view="today")["items"]}
    assert items["alpha"]["overdue"] is True
    assert items["bravo"]["overdue"] is False


def test_unknown_project_or_label_filter_is_404(seeded: Seeded) -> None:
    for params in ({"project_id": "NOPE"}, {"label_id": "NOPE"}):
        assert seeded.api.ok("GET", "/tasks", 404, params=params)["error"]["code"] == "not_found"


# --- pagination while the list changes -----------------------------------------------------------
SORTS = ("created", "due", "priority")


def test_pages_have_no_duplicates_or_gaps_while_tasks_change(api: Api) -> None:
    """Three lists (one per sort) are paged through while another tab adds and completes tasks between pages."""
    today = api.today()
    original = [
        api.task(f"t{i:02}", priority=1 + i % 4, due_date=(today + timedelta(days=i % 7)).isoformat())["id"]
        for i in range(20)
    ]
    seen: dict[str, list[str]] = {sort: [] for sort in SORTS}
    cursors: dict[str, str | None] = dict.fromkeys(SORTS)
    finished: set[str] = set()
    changed: set[str] = set()
    pages = 0
    while finished != set(SORTS):
        for sort in sorted(set(SORTS) - finished):
            params: Json = {"sort": sort, "limit": 4}
            if cursors[sort]:
                params["cursor"] = cursors[sort]
            page = api.page(**params)
            pages += 1
            seen[sort] += [t["id"] for t in page["items"]]
            cursors[sort] = page["next_cursor"]
            if page["next_cursor"] is None:
                finished.add(sort)
        # meanwhile, in another tab: a new task, one completed that was already listed and one that was not yet
        api.task(f"new {pages}", priority=1, due_date=today.isoformat())
        listed = next((i for i in seen["created"] if i not in changed), None)
        pending = next((i for i in reversed(original) if i not in seen["created"] and i not in changed), None)
        for tid in filter(None, (listed, pending)):
            api.ok("POST", f"/tasks/{tid}/complete")
            changed.add(tid)
        assert pages < 60, "the cursors do not advance"

    unchanged = {i for i in original if i not in changed}
    assert len(unchanged) >= 10
    for sort in SORTS:
        ids = seen[sort]
        assert len(ids) == len(set(ids)), f"a task was listed twice ({sort})"
        assert unchanged <= set(ids), f"an unchanged task was skipped ({sort})"
        final = [t["id"] for t in api.page(sort=sort, limit=200)["items"]]
        assert [i for i in ids if i in unchanged] == [i for i in final if i in unchanged], f"order ({sort})"
    assert [i for i in seen["created"] if i in unchanged] == [i for i in original if i in unchanged]


# --- complete / reopen ---------------------------------------------------------------------------
def test_complete_and_reopen_a_task(api: Api) -> None:
    task = api.task("finish me")
    done = api.ok("POST", f"/tasks/{task['id']}/complete")
    assert (done["status"], done["version"]) == ("done", 2)
    assert done["completed_at"] is not None
    assert api.titles(view="completed") == ["finish me"]
    assert api.titles() == []
    again = api.ok("POST", f"/tasks/{task['id']}/complete")
    assert again == done  # completing twice changes nothing
    undone = api.ok("POST", f"/tasks/{task['id']}/reopen")
    assert (undone["status"], undone["completed_at"], undone["version"]) == ("open", None, 3)
    assert api.titles() == ["finish me"]
    assert api.titles(view="completed") == []


def test_complete_and_reopen_a_recurring_task_from_quick_add(api: Api) -> None:
    parsed = api.ok("POST", "/quick-add/parse", json={"text": "Standup every monday at 9am"})
    assert parsed["task"]["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"
    first = date.fromisoformat(parsed["task"]["due_date"])
    assert first.weekday() == 0
    task = api.task(**parsed["task"])
    assert task["recurrence_text"] == "every week on Mon"
    assert task["due_time"] == "09:00:00"
    done = api.ok("POST", f"/tasks/{task['id']}/complete")
    assert done["status"] == "open"
    assert date.fromisoformat(done["due_date"]) == first + timedelta(days=7)
    assert done["due_time"] == "09:00:00"
    assert [h["due_date"] for h in done["history"]] == [first.isoformat()]
    assert api.titles(view="completed") == []
    undone = api.ok("POST", f"/tasks/{task['id']}/reopen")
    assert undone["due_date"] == first.isoformat()
    assert undone["history"] == []
    assert undone["status"] == "open"


# --- bulk ----------------------------------------------------------------------------------------
def test_bulk_complete_move_delete(api: Api) -> None:
    target = api.project("Target")
    ids = [api.task(f"b{i}")["id"] for i in range(4)]
    result = api.ok("POST", "/tasks/bulk", json={"action": "complete", "ids": ids[:2]})
    assert [t["status"] for t in result["updated"]] == ["done", "done"]
    assert result["deleted"] == []
    assert api.titles(view="completed") == ["b1", "b0"]  # same moment: the newer id first
    result = api.ok("POST", "/tasks/bulk", json={"action": "reopen", "ids": ids[:1]})
    assert [t["status"] for t in result["updated"]] == ["open"]

    moved = api.ok("POST", "/tasks/bulk", json={"action": "move", "ids": ids[2:], "project_id": target["id"]})
    assert {t["project_id"] for t in moved["updated"]} == {target["id"]}
    assert api.titles(project_id=target["id"]) == ["b2", "b3"]
    assert api.titles(view="inbox") == ["b0"]

    deleted = api.ok("POST", "/tasks/bulk", json={"action": "delete", "ids": [ids[0], ids[2]]})
    assert deleted == {"updated": [], "deleted": [ids[0], ids[2]]}
    assert sorted(api.titles(status="all")) == ["b1", "b3"]


def test_bulk_is_all_or_nothing_on_unknown_ids(shared: Api) -> None:
    task = shared.task("keep")
    error = shared.ok("POST", "/tasks/bulk", 404, json={"action": "delete", "ids": [task["id"], "MISSING"]})["error"]
    assert "MISSING" in error["fields"]["ids"]
    assert shared.ok("GET", f"/tasks/{task['id']}") == task
    error = shared.ok("POST", "/tasks/bulk", 404, json={"action": "move", "ids": [task["id"]], "project_id": "NOPE"})
    assert error["error"]["code"] == "not_found"
    assert shared.ok("GET", f"/tasks/{task['id']}") == task


# --- quick add -----------------------------------------------------------------------------------
def test_quick_add_parse_returns_chips_and_a_task_that_posts_as_is(api: Api) -> None:
    work = api.project("Work")
    existing = api.label("errand")
    text = "Buy milk tomorrow 5pm p1 #work @Errand @shop"
    parsed = api.ok("POST", "/quick-add/parse", json={"text": text})
    today = api.today()
    assert parsed["project_name"] == "work"
    assert parsed["project_found"] is True
    task_in = parsed["task"]
    assert task_in == {
        "title": "Buy milk",
        "notes": "",
        "project_id": work["id"],
        "priority": 1,
        "due_date": (today + timedelta(days=1)).isoformat(),
        "due_time": "17:00:00",
        "start_date": None,
        "section": None,
        "labels": [],
        "label_names": ["Errand", "shop"],
        "subtasks": [],
        "recurrence": None,
        "assignee_id": None,
        "parent_id": None,
        "reset_subtasks": False,
    }
    assert sorted((c["kind"], c["text"]) for c in parsed["chips"]) == [
        ("due", "tomorrow"),
        ("label", "@Errand"),
        ("label", "@shop"),
        ("priority", "p1"),
        ("project", "#work"),
        ("time", "5pm"),
    ]
    assert api.ok("GET", "/labels") == [existing]  # parsing saves nothing
    assert api.titles(status="all") == []

    task = api.task(**task_in)
    labels = {label["name"]: label["id"] for label in api.ok("GET", "/labels")}
    assert labels.keys() == {"errand", "shop"}  # @Errand reused the existing label, @shop was created
    assert sorted(task["labels"]) == sorted([existing["id"], labels["shop"]])
    assert (task["title"], task["project_id"], task["priority"]) == ("Buy milk", work["id"], 1)
    assert api.titles(label_id=labels["shop"]) == ["Buy milk"]


def test_quick_add_with_an_unknown_project_goes_to_the_inbox(shared: Api) -> None:
    parsed = shared.ok("POST", "/quick-add/parse", json={"text": "Plan trip #Someday"})
    assert (parsed["project_name"], parsed["project_found"], parsed["task"]["project_id"]) == ("Someday", False, None)
    assert shared.task(**parsed["task"])["project_id"] == "inbox"


def test_quick_add_of_only_a_date_keeps_the_text_as_title(shared: Api) -> None:
    parsed = shared.ok("POST", "/quick-add/parse", json={"text": "tomorrow"})
    assert parsed["task"]["title"] == "tomorrow"
    assert shared.task(**parsed["task"])["title"] == "tomorrow"


# --- optimistic locking --------------------------------------------------------------------------
def test_a_stale_patch_is_409_with_the_current_task(shared: Api) -> None:
    task = shared.task("v1")
    first = shared.ok("PATCH", f"/tasks/{task['id']}", json={"version": 1, "title": "v2 from tab A"})
    response = shared.http.patch(f"/tasks/{task['id']}", json={"version": 1, "title": "v2 from tab B"})
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "stale_version"
    assert body["error"]["message"]
    current = body["current"]
    assert (current["id"], current["title"], current["version"]) == (task["id"], "v2 from tab A", 2)
    assert current == first
    assert shared.ok("GET", f"/tasks/{task['id']}")["title"] == "v2 from tab A"
    # reloading and retrying with the current version wins
    assert shared.ok("PATCH", f"/tasks/{task['id']}", json={"version": 2, "title": "v3 from tab B"})["version"] == 3


# --- nested subtasks (issue 14) -----------------------------------------------------------------------------------
def test_nested_subtasks_counts_completion_moves_and_deletion(api: Api, new_api: Callable[[], Api]) -> None:
    """A subtask is a task one Query away from its parent: five levels (a top-level task and four below it), the
    parent's "n/m done", the question on completing a parent, the subtree moving and going with its parent."""
    home = api.project("Home", sections=["Now"])
    root = api.task("Root", project_id=home["id"], section="Now")
    a, b, c = (api.task(t, parent_id=root["id"]) for t in ("A", "B", "C"))
    assert (a["project_id"], a["section"], a["depth"], a["parent_id"]) == (home["id"], "Now", 1, root["id"])
    chain = [a]
    for level in range(2, 5):
        chain.append(api.task(f"A{level}", parent_id=chain[-1]["id"]))
    assert chain[-1]["depth"] == 4
    too_deep = api.ok("POST", "/tasks", 400, json={"title": "A5", "parent_id": chain[-1]["id"]})
    assert "parent_id" in too_deep["error"]["fields"]
    api.ok("POST", "/tasks", 400, json={"title": "x", "parent_id": a["id"], "project_id": "inbox"})

    api.ok("POST", f"/tasks/{b['id']}/complete")
    parent = api.ok("GET", f"/tasks/{root['id']}")
    assert (parent["subtask_done"], parent["subtask_count"]) == (1, 3)
    assert [t["title"] for t in api.page(parent_id=root["id"])["items"]] == ["B", "A", "C"]  # by status, in order

    asked = api.ok("POST", f"/tasks/{root['id']}/complete", 409)
    assert asked["error"]["code"] == "open_subtasks"
    assert {a["id"], c["id"]} <= set(asked["error"]["fields"]["children"].removeprefix("open: ").split(", "))
    kept = api.ok("POST", f"/tasks/{root['id']}/complete", params={"children": "keep"})
    assert kept["status"] == "done"
    assert api.ok("GET", f"/tasks/{c['id']}")["status"] == "open"
    api.ok("POST", f"/tasks/{root['id']}/reopen")
    done = api.ok("POST", f"/tasks/{root['id']}/complete", params={"children": "complete"})
    assert (done["status"], done["subtask_done"], done["subtask_count"]) == ("done", 3, 3)
    assert all(api.ok("GET", f"/tasks/{t['id']}")["status"] == "done" for t in chain)

    # a subtask stays with its parent; the parent takes its whole subtree along
    stale = api.ok("GET", f"/tasks/{a['id']}")
    api.ok("PATCH", f"/tasks/{a['id']}", 400, json={"version": stale["version"], "project_id": "inbox"})
    work = api.project("Work")
    moved = api.ok("PATCH", f"/tasks/{root['id']}", json={"version": done["version"], "project_id": work["id"]})
    assert moved["project_id"] == work["id"]
    assert {api.ok("GET", f"/tasks/{t['id']}")["project_id"] for t in (*chain, b, c)} == {work["id"]}

    # a stranger neither sees the subtasks nor adds any
    stranger = new_api()
    stranger.ok("GET", "/tasks", 404, params={"parent_id": root["id"]})
    stranger.ok("POST", "/tasks", 404, json={"title": "mine", "parent_id": root["id"]})

    api.ok("DELETE", f"/tasks/{root['id']}", 204)
    for gone in (root, *chain, b, c):
        api.ok("GET", f"/tasks/{gone['id']}", 404)


def test_a_recurring_parent_resets_its_subtasks_for_the_next_occurrence(api: Api) -> None:
    today = api.today()
    series = api.task("Weekly review", due_date=today.isoformat(), recurrence="FREQ=WEEKLY", reset_subtasks=True)
    steps = [api.task(t, parent_id=series["id"]) for t in ("Inbox zero", "Plan")]
    for step in steps:
        api.ok("POST", f"/tasks/{step['id']}/complete")
    assert api.ok("GET", f"/tasks/{series['id']}")["subtask_done"] == 2
    next_one = api.ok("POST", f"/tasks/{series['id']}/complete")
    assert next_one["due_date"] == (today + timedelta(days=7)).isoformat()
    assert (next_one["status"], next_one["subtask_done"], next_one["subtask_count"]) == ("open", 0, 2)
    assert {api.ok("GET", f"/tasks/{s['id']}")["status"] for s in steps} == {"open"}
    # without the option the subtasks stay as they are
    plain = api.ok("PATCH", f"/tasks/{series['id']}", json={"version": next_one["version"], "reset_subtasks": False})
    api.ok("POST", f"/tasks/{series['id']}/complete", params={"children": "complete"})
    assert api.ok("GET", f"/tasks/{series['id']}")["subtask_done"] == 2
    assert plain["reset_subtasks"] is False


def test_a_task_goes_under_another_and_back_with_its_subtasks(api: Api, new_api: Callable[[], Api]) -> None:
    """PATCH ``parent_id``: the task and its subtree go under a task of the same project (last among its subtasks,
    in its section), every level one deeper, both parents' "n/m done" follow; null brings it back to the top."""
    garden = api.project("Garden", sections=["Spring"])
    plant = api.task("Plant", project_id=garden["id"], section="Spring")
    first = api.task("Dig", parent_id=plant["id"])
    water = api.task("Water", project_id=garden["id"])
    can = api.task("Fill the can", parent_id=water["id"])
    api.ok("POST", f"/tasks/{can['id']}/complete")
    water = api.ok("GET", f"/tasks/{water['id']}")

    moved = api.ok("PATCH", f"/tasks/{water['id']}", json={"version": water["version"], "parent_id": plant["id"]})
    assert (moved["parent_id"], moved["depth"], moved["section"]) == (plant["id"], 1, "Spring")
    assert api.ok("GET", f"/tasks/{can['id']}")["depth"] == 2
    assert [t["title"] for t in api.page(parent_id=plant["id"])["items"]] == ["Dig", "Water"]  # last of them
    parent = api.ok("GET", f"/tasks/{plant['id']}")
    assert (parent["subtask_count"], parent["subtask_done"]) == (2, 0)

    # a subtask to another parent: the first one counts it off, the second one on (done ones in "n done" too)
    done_can = api.ok("GET", f"/tasks/{can['id']}")
    api.ok("PATCH", f"/tasks/{can['id']}", json={"version": done_can["version"], "parent_id": first["id"]})
    assert api.ok("GET", f"/tasks/{water['id']}")["subtask_count"] == 0
    dig = api.ok("GET", f"/tasks/{first['id']}")
    assert (dig["subtask_count"], dig["subtask_done"]) == (1, 1)

    # refused: itself, one of its own subtasks, another project, too deep; a stranger's task is not found
    plant = api.ok("GET", f"/tasks/{plant['id']}")
    for parent_id in (plant["id"], first["id"], can["id"]):
        refused = api.ok(
            "PATCH", f"/tasks/{plant['id']}", 400, json={"version": plant["version"], "parent_id": parent_id}
        )
        assert "parent_id" in refused["error"]["fields"]
    elsewhere = api.task("Elsewhere")
    api.ok("PATCH", f"/tasks/{first['id']}", 400, json={"version": dig["version"], "parent_id": elsewhere["id"]})
    chain = [api.task("L1", project_id=garden["id"])]
    for level in range(2, 5):
        chain.append(api.task(f"L{level}", parent_id=chain[-1]["id"]))
    deep = api.ok("PATCH", f"/tasks/{first['id']}", 400, json={"version": dig["version"], "parent_id": chain[-1]["id"]})
    assert "4 levels" in deep["error"]["message"]
    theirs = new_api().task("Theirs")
    api.ok("PATCH", f"/tasks/{first['id']}", 404, json={"version": dig["version"], "parent_id": theirs["id"]})

    # back to the top, right after its old parent
    water = api.ok("GET", f"/tasks/{water['id']}")
    top = api.ok(
        "PATCH",
        f"/tasks/{water['id']}",
        json={"version": water["version"], "parent_id": None, "order": {"after_id": plant["id"]}},
    )
    assert (top["parent_id"], top["depth"]) == (None, 0)
    assert api.ok("GET", f"/tasks/{plant['id']}")["subtask_count"] == 1
    listed = api.page(project_id=garden["id"], sort="manual", limit=200)["items"]
    assert [t["title"] for t in listed if t["parent_id"] is None][:2] == ["Plant", "Water"]
