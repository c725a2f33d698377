"""Comments, @mentions and the activity log over HTTP (issue 13): who may do what, what a mention delivers, paging.

The shared project is set up with the membership store (the same code the member routes call); everything under test
goes through the API.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.activity import ActivityStore, activity_item
from backend.adapters.task_store.models import connection
from backend.client import ApiClient
from backend.domain.activity import ActivityEntry, What
from backend.domain.sharing import Invitation, Membership, Role, project_partition
from backend.domain.tasks import Project, Task, new_id
from backend.errors import InvalidInputError
from backend.local.testing import LocalRun
from tests.api.conftest import assert_error_shape
from tests.api.test_dynamodb_calls import dynamodb_calls
from tests.conftest import SignedInUser


@dataclass(frozen=True)
class Person:
    user: SignedInUser
    id: str
    name: str

    @property
    def headers(self) -> dict[str, str]:
        return self.user.headers


@dataclass(frozen=True)
class Team:
    project_id: str
    task_id: str
    owner: Person
    admin: Person
    editor: Person
    viewer: Person
    stranger: Person


def _person(http: httpx.Client, user: SignedInUser, name: str) -> Person:
    response = http.patch("/me", headers=user.headers, json={"display_name": name})
    assert response.status_code == 200, response.text
    return Person(user=user, id=response.json()["id"], name=name)


@pytest.fixture(scope="module")
def team(local: LocalRun, http: httpx.Client, make_user: Callable[[], SignedInUser]) -> Team:
    from backend.bootstrap import dependencies

    deps = dependencies()
    names = ("Olga Owner", "Ada Admin", "Eddie Editor", "Vera Viewer", "Stan Stranger")
    owner, admin, editor, viewer, stranger = (_person(http, make_user(), name) for name in names)
    now = datetime.now(UTC)
    project_id = new_id()
    partition = project_partition(project_id)
    deps.tasks.save_project(Project(id=project_id, user_id=partition, name="Team", color="#000000", position="a1"))
    deps.memberships.add_owner(Membership(project_id=project_id, user_id=owner.id, role=Role.OWNER, joined_at=now))
    for person, role in ((admin, Role.ADMIN), (editor, Role.EDITOR), (viewer, Role.VIEWER)):
        invitation = deps.memberships.invite(
            Invitation(
                id=new_id(),
                project_id=project_id,
                email=person.user.email,
                role=role,
                invited_by=owner.id,
                created_at=now,
            )
        )
        deps.memberships.accept(
            invitation, Membership(project_id=project_id, user_id=person.id, role=role, joined_at=now)
        )
    task = Task(
        id=new_id(), user_id=partition, project_id=project_id, title="Plan the offsite", created_at=now, updated_at=now
    )
    deps.tasks.save_task(task, previous=None)
    return Team(project_id, task.id, owner, admin, editor, viewer, stranger)


def _comment(http: httpx.Client, who: Person, task_id: str, body: str) -> dict[str, Any]:
    response = http.post(f"/tasks/{task_id}/comments", headers=who.headers, json={"body": body})
    assert response.status_code == 201, response.text
    comment: dict[str, Any] = response.json()
    return comment


def _comment_count(task_id: str, partition: str) -> int:
    from backend.bootstrap import dependencies

    task = dependencies().tasks.get_task(partition, task_id)
    assert task is not None
    return task.comment_count


def test_an_editor_comments_and_every_member_reads_it(http: httpx.Client, team: Team) -> None:
    before = _comment_count(team.task_id, project_partition(team.project_id))
    body = "Let's **book** the venue.\n\n- [ ] ask around"
    comment = _comment(http, team.editor, team.task_id, body)
    assert comment["id"].startswith(f"{team.task_id}.")
    assert (comment["author_id"], comment["author_name"], comment["body"]) == (team.editor.id, team.editor.name, body)
    assert (comment["version"], comment["edited_at"], comment["mentions"]) == (1, None, [])
    assert _comment_count(team.task_id, project_partition(team.project_id)) == before + 1
    for reader in (team.owner, team.admin, team.editor, team.viewer):
        listed = http.get(f"/tasks/{team.task_id}/comments", headers=reader.headers)
        assert listed.status_code == 200, listed.text
        assert comment["id"] in [c["id"] for c in listed.json()["items"]]


def test_a_viewer_cannot_comment_and_a_stranger_sees_nothing(http: httpx.Client, team: Team) -> None:
    refused = http.post(f"/tasks/{team.task_id}/comments", headers=team.viewer.headers, json={"body": "hi"})
    assert_error_shape(refused, 403, "forbidden")
    comment = _comment(http, team.editor, team.task_id, "visible to members only")
    for method, path, body in (
        ("GET", f"/tasks/{team.task_id}/comments", None),
        ("POST", f"/tasks/{team.task_id}/comments", {"body": "hello?"}),
        ("PATCH", f"/comments/{comment['id']}", {"body": "mine now"}),
        ("DELETE", f"/comments/{comment['id']}", None),
        ("GET", f"/projects/{team.project_id}/activity", None),
    ):
        response = http.request(method, path, headers=team.stranger.headers, json=body)
        assert_error_shape(response, 404, "not_found")


def test_the_author_edits_with_the_version_and_a_stale_edit_is_409(http: httpx.Client, team: Team) -> None:
    comment = _comment(http, team.editor, team.task_id, "first draft")
    path = f"/comments/{comment['id']}"
    edited = http.patch(path, headers=team.editor.headers, json={"body": "second draft", "version": 1})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["body"], edited.json()["version"]) == ("second draft", 2)
    assert edited.json()["edited_at"] is not None
    stale = http.patch(path, headers=team.editor.headers, json={"body": "from an old screen", "version": 1})
    assert_error_shape(stale, 409, "stale_version")
    for other in (team.admin, team.owner):  # nobody rewrites someone else's words, admins included
        assert_error_shape(http.patch(path, headers=other.headers, json={"body": "rewritten"}), 403, "forbidden")
    listed = http.get(f"/tasks/{team.task_id}/comments", headers=team.viewer.headers).json()["items"]
    assert next(c for c in listed if c["id"] == comment["id"])["body"] == "second draft"


def test_the_author_or_an_admin_deletes_others_cannot(http: httpx.Client, team: Team) -> None:
    partition = project_partition(team.project_id)
    by_admin = _comment(http, team.admin, team.task_id, "admin's note")
    by_editor = _comment(http, team.editor, team.task_id, "editor's note")
    count = _comment_count(team.task_id, partition)
    refused = http.delete(f"/comments/{by_admin['id']}", headers=team.editor.headers)
    assert_error_shape(refused, 403, "forbidden")
    assert_error_shape(http.delete(f"/comments/{by_editor['id']}", headers=team.viewer.headers), 403, "forbidden")
    assert http.delete(f"/comments/{by_editor['id']}", headers=team.admin.headers).status_code == 204
    assert http.delete(f"/comments/{by_admin['id']}", headers=team.admin.headers).status_code == 204
    assert _comment_count(team.task_id, partition) == count - 2
    gone = http.delete(f"/comments/{by_admin['id']}", headers=team.admin.headers)
    assert_error_shape(gone, 404, "not_found")
    ids = [c["id"] for c in http.get(f"/tasks/{team.task_id}/comments", headers=team.owner.headers).json()["items"]]
    assert by_admin["id"] not in ids
    assert by_editor["id"] not in ids


def test_a_forged_comment_id_is_404(http: httpx.Client, team: Team) -> None:
    comment = _comment(http, team.editor, team.task_id, "real")
    ulid = comment["id"].split(".")[1]
    personal = http.post("/tasks", headers=team.stranger.headers, json={"title": "my own"}).json()
    # the stranger names their own task with the shared comment's ulid: not found there
    forged = http.patch(f"/comments/{personal['id']}.{ulid}", headers=team.stranger.headers, json={"body": "x"})
    assert_error_shape(forged, 404, "not_found")
    malformed = http.delete("/comments/not-a-comment", headers=team.editor.headers)
    assert malformed.status_code in (404, 422)


def test_bodies_are_checked(http: httpx.Client, team: Team) -> None:
    for body in ("", "   \n ", "x" * 10_001, "bell\x07"):
        response = http.post(f"/tasks/{team.task_id}/comments", headers=team.editor.headers, json={"body": body})
        error = assert_error_shape(response, 422)
        assert "body" in error["fields"]
    assert _comment(http, team.editor, team.task_id, "y" * 10_000)["body"] == "y" * 10_000


def test_comments_on_a_personal_task_page_oldest_first(http: httpx.Client, team: Team) -> None:
    solo = team.stranger  # a stranger to the team, the owner of their personal tasks
    task = http.post("/tasks", headers=solo.headers, json={"title": "personal"}).json()
    made = [_comment(http, solo, task["id"], f"note {i}")["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"/tasks/{task['id']}/comments", headers=solo.headers, params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == made
    assert_error_shape(http.get(f"/tasks/{task['id']}/comments", headers=team.editor.headers), 404, "not_found")
    assert http.get(f"/tasks/{task['id']}", headers=solo.headers).json()["comment_count"] == 5
    # a personal project keeps no activity log
    activity = http.get(f"/projects/{task['project_id']}/activity", headers=solo.headers)
    assert activity.status_code == 200, activity.text
    assert activity.json() == {"items": [], "cursor": None}


def test_a_mention_reaches_the_member_inbox_and_email(
    http: httpx.Client, team: Team, local: LocalRun, api_url: str
) -> None:
    comment = _comment(http, team.editor, team.task_id, "@vera can you check? cc @stan and @eddie")
    assert comment["mentions"] == [team.viewer.id]  # the stranger is no member; the author is not notified
    inbox = http.get("/notifications", headers=team.viewer.headers).json()["items"]
    mention = next(n for n in inbox if n["kind"] == "mention")
    assert team.editor.name in mention["title"]
    assert "Plan the offsite" in mention["title"]
    assert mention["task_id"] == team.task_id
    assert mention["body"].startswith("@vera can you check?")
    assert not any(
        n["kind"] == "mention" for n in http.get("/notifications", headers=team.stranger.headers).json()["items"]
    )
    assert local.scheduler is not None
    local.scheduler.fire_due(datetime.now(UTC) + timedelta(minutes=2))
    emails = [m for m in ApiClient(api_url).outbox() if team.viewer.user.email in m.to]
    assert any(team.editor.name in (m.subject or "") for m in emails)


def test_a_mention_added_by_an_edit_notifies_once(http: httpx.Client, team: Team) -> None:
    task = http.post("/tasks", headers=team.editor.headers, json={"title": "Vera's", "project_id": team.project_id})
    assert task.status_code == 201, task.text
    comment = _comment(http, team.editor, task.json()["id"], "draft")

    def mentions_of_vera() -> int:
        rows = http.get("/notifications", headers=team.viewer.headers).json()["items"]
        return sum(1 for n in rows if n["kind"] == "mention" and n["task_id"] == task.json()["id"])

    from backend.bootstrap import dependencies

    scheduler = dependencies().scheduler
    assert scheduler is not None

    def emails_waiting(comment: dict[str, Any]) -> list[str]:
        return scheduler.names(f"m-{comment['id'].rsplit('.', 1)[1]}")

    # (body, mention rows, an email waiting): told when first named; the mention taken out withdraws the email (it
    # would quote words taken back); named again or twice, nobody is told again.
    steps = (("draft for @vera", 1, 1), ("draft", 1, 0), ("draft, @vera: again", 1, 0), ("@vera @vera!", 1, 0))
    for body, told, waiting in steps:
        edited = http.patch(f"/comments/{comment['id']}", headers=team.editor.headers, json={"body": body})
        assert edited.status_code == 200, edited.text
        assert (mentions_of_vera(), len(emails_waiting(comment))) == (told, waiting), body
    assert edited.json()["mentions"] == [team.viewer.id]
    # A deleted comment's mention email is not sent either.
    second = _comment(http, team.editor, task.json()["id"], "@vera look")
    assert (mentions_of_vera(), len(emails_waiting(second))) == (2, 1)
    assert http.delete(f"/comments/{second['id']}", headers=team.editor.headers).status_code == 204
    assert emails_waiting(second) == []


def test_the_activity_log_pages_newest_first(http: httpx.Client, team: Team) -> None:
    path = f"/projects/{team.project_id}/activity"
    comment = _comment(http, team.editor, team.task_id, "logged")
    latest = http.get(path, headers=team.viewer.headers).json()["items"][0]
    assert (latest["what"], latest["actor_id"], latest["actor_name"]) == ("commented", team.editor.id, team.editor.name)
    assert latest["after"] == {"comment_id": comment["id"], "body": "logged"}
    assert latest["task_title"] == "Plan the offsite"

    partition = project_partition(team.project_id)
    start = datetime.now(UTC) + timedelta(minutes=1)
    for i in range(55):
        ActivityStore().put(
            partition,
            ActivityEntry(
                actor=team.owner.id, what=What.RENAMED, at=start + timedelta(seconds=i), after={"name": f"v{i}"}
            ),
        )
    first = http.get(path, headers=team.viewer.headers).json()
    assert len(first["items"]) == 50
    assert first["items"][0]["after"] == {"name": "v54"}
    assert first["cursor"]
    rest = http.get(path, headers=team.viewer.headers, params={"cursor": first["cursor"]}).json()
    names = [e["after"].get("name") for e in first["items"] + rest["items"]]
    assert names[:55] == [f"v{i}" for i in reversed(range(55))]
    assert "commented" in [e["what"] for e in rest["items"]]
    bad = http.get(path, headers=team.viewer.headers, params={"cursor": "bm9wZQ"})
    assert "cursor" in assert_error_shape(bad, 400)["fields"]


def _log(http: httpx.Client, team: Team, who: Person) -> list[dict[str, Any]]:
    """Every row of the team's log (newest first), over every page."""
    rows: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        page = http.get(f"/projects/{team.project_id}/activity", headers=who.headers, params=params)
        assert page.status_code == 200, page.text
        rows += page.json()["items"]
        if not page.json()["cursor"]:
            return rows
        params = {"cursor": page.json()["cursor"]}


def test_project_changes_are_logged_with_before_and_after(http: httpx.Client, team: Team) -> None:
    path = f"/projects/{team.project_id}"
    changes = [
        {"name": "Team offsite"},
        {"color": "#ff0000", "sections": ["Ideas", "Booked"]},
        {"archived": True},
        {"archived": False, "name": "Team"},
        {"name": "Team"},  # nothing changes: nothing logged
    ]
    for change in changes:
        response = http.patch(path, headers=team.admin.headers, json=change)
        assert response.status_code == 200, response.text
    refused = http.patch(path, headers=team.viewer.headers, json={"name": "Mine now"})
    assert_error_shape(refused, 403)
    logged = [e for e in _log(http, team, team.viewer) if e["what"] in {"renamed", "archived", "unarchived"}]
    logged = [e for e in logged if e["actor_id"] == team.admin.id]  # (another test's rows are the owner's)
    assert [(e["what"], e["actor_name"], e["before"], e["after"]) for e in reversed(logged)] == [
        ("renamed", team.admin.name, {"name": "Team"}, {"name": "Team offsite"}),
        (
            "renamed",
            team.admin.name,
            {"color": "#000000", "sections": []},
            {"color": "#ff0000", "sections": ["Ideas", "Booked"]},
        ),
        ("archived", team.admin.name, {"archived": False}, {"archived": True}),
        (
            "unarchived",
            team.admin.name,
            {"name": "Team offsite", "archived": True},
            {"name": "Team", "archived": False},
        ),
    ]
    restored = http.patch(path, headers=team.admin.headers, json={"color": "#000000", "sections": []})
    assert restored.status_code == 200, restored.text


def test_my_csv_export_holds_my_shared_work_marked_with_its_project(http: httpx.Client, team: Team) -> None:
    label = http.post("/labels", headers=team.admin.headers, json={"name": "admin-only"})
    assert label.status_code == 201, label.text
    shared_task = http.get(f"/tasks/{team.task_id}", headers=team.admin.headers).json()
    labelled = http.patch(
        f"/tasks/{team.task_id}",
        headers=team.admin.headers,
        json={"labels": [label.json()["id"]], "version": shared_task["version"]},
    )
    assert labelled.status_code == 200, labelled.text
    own = http.post("/tasks", headers=team.editor.headers, json={"title": "my own errand"})
    assert own.status_code == 201, own.text

    tasks_csv = http.get("/export", headers=team.editor.headers, params={"format": "csv"})
    assert tasks_csv.status_code == 200, tasks_csv.text
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(tasks_csv.text))}
    mine, ours = rows[own.json()["id"]], rows[team.task_id]
    assert (mine["shared"], mine["project"]) == ("False", "Inbox")
    assert (ours["title"], ours["shared"], ours["project_id"], ours["project"]) == (
        "Plan the offsite",
        "True",
        team.project_id,
        "Team",
    )
    assert ours["labels"] == ""  # the admin's label is theirs: neither its name nor its id is in my export
    assert label.json()["id"] not in tasks_csv.text
    assert ours["created_by"] == (shared_task["created_by"] or "")
    projects = list(
        csv.DictReader(io.StringIO(http.get("/export?format=csv&part=projects", headers=team.editor.headers).text))
    )
    assert {(p["name"], p["shared"], p["role"]) for p in projects} == {
        ("Inbox", "False", "owner"),
        ("Team", "True", "editor"),
    }
    # A stranger's export has nothing of the project.
    theirs = http.get("/export", headers=team.stranger.headers, params={"format": "csv"}).text
    assert team.task_id not in theirs
    exported = http.get("/export", headers=team.editor.headers, params={"format": "json"}).json()
    shared = next(p for p in exported["shared_projects"] if p["id"] == team.project_id)
    assert next(t for t in shared["tasks"] if t["id"] == team.task_id)["labels"] == []


def test_a_deleted_task_takes_its_comments_along(http: httpx.Client, team: Team) -> None:
    from backend.adapters.task_store.comments import DynamoCommentStore

    created = http.post(
        "/tasks", headers=team.editor.headers, json={"title": "short-lived", "project_id": team.project_id}
    )
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    for body in ("one", "two"):
        _comment(http, team.editor, task_id, body)
    partition = project_partition(team.project_id)
    assert len(DynamoCommentStore().page(partition, task_id, limit=10, cursor=None)[0]) == 2
    assert http.delete(f"/tasks/{task_id}", headers=team.editor.headers).status_code == 204
    assert DynamoCommentStore().page(partition, task_id, limit=10, cursor=None) == ([], None)


def test_my_data_holds_my_comments_not_the_other_members(http: httpx.Client, team: Team) -> None:
    mine = _comment(http, team.editor, team.task_id, "exported with my data")
    theirs = _comment(http, team.admin, team.task_id, "the admin's words")
    export = http.get("/export", headers=team.editor.headers, params={"format": "json"})
    assert export.status_code == 200, export.text
    shared = next(p for p in export.json()["shared_projects"] if p["id"] == team.project_id)
    ids = {c["id"] for c in shared["comments"]}
    assert mine["id"] in ids
    assert theirs["id"] not in ids
    assert next(c for c in shared["comments"] if c["id"] == mine["id"])["body"] == "exported with my data"
    solo = team.stranger
    task = http.post("/tasks", headers=solo.headers, json={"title": "mine alone"}).json()
    note = _comment(http, solo, task["id"], "a personal note")
    personal = http.get("/export", headers=solo.headers, params={"format": "json"}).json()
    assert note["id"] in [c["id"] for c in personal["comments"]]


# --- the activity store itself (moto): newest first, no empty last page, cursors bound to their project, TTL ---------
# (here rather than in tests/integration: one emulator start fewer; ``team`` has pointed the models at this one)
T0 = datetime(2026, 3, 11, 9, tzinfo=UTC)


def _fill_log(partition: str, count: int) -> None:
    with TransactWrite(connection=connection()) as transaction:
        for i in range(count):
            entry = ActivityEntry(
                actor="alice",
                what=What.EDITED,
                at=T0 + timedelta(minutes=i),
                task_id=f"t{i}",
                task_title=f"task {i}",
                before={"title": None},
                after={"title": f"task {i}", "labels": ["a"]},
            )
            transaction.save(activity_item(partition, entry))


def test_the_activity_store_pages_newest_first_until_the_end(team: Team) -> None:
    partition = project_partition(new_id())
    _fill_log(partition, 7)
    seen: list[str | None] = []
    cursor = None
    pages = 0
    while True:
        page, cursor = ActivityStore().list_activity(partition, now=T0, limit=3, cursor=cursor)
        pages += 1
        seen += [entry.task_id for entry in page]
        if cursor is None:
            break
    assert seen == [f"t{i}" for i in reversed(range(7))]
    assert pages == 3  # 3 + 3 + 1: no empty last page
    newest = ActivityStore().list_activity(partition, now=T0, limit=1)[0][0]
    assert newest.before == {"title": None}
    assert newest.after == {"title": "task 6", "labels": ["a"]}
    assert newest.id is not None
    assert newest.at == T0 + timedelta(minutes=6)


def test_the_activity_store_gives_no_cursor_after_a_full_last_page(team: Team) -> None:
    partition = project_partition(new_id())
    _fill_log(partition, 4)
    first, cursor = ActivityStore().list_activity(partition, now=T0, limit=2)
    second, cursor = ActivityStore().list_activity(partition, now=T0, limit=2, cursor=cursor)
    assert len(first) == len(second) == 2
    assert cursor is None


def test_an_activity_cursor_of_another_project_is_refused(team: Team) -> None:
    mine, theirs = project_partition(new_id()), project_partition(new_id())
    _fill_log(theirs, 3)
    _, cursor = ActivityStore().list_activity(theirs, now=T0, limit=1)
    assert cursor is not None
    with pytest.raises(InvalidInputError):
        ActivityStore().list_activity(mine, now=T0, cursor=cursor)


def test_activity_rows_past_their_year_are_not_listed(team: Team) -> None:
    partition = project_partition(new_id())
    _fill_log(partition, 2)
    assert ActivityStore().list_activity(partition, now=T0 + timedelta(days=366)) == ([], None)


def test_dynamodb_calls_per_comment_request(http: httpx.Client, team: Team) -> None:
    """The calls each route makes on a shared task (the figures of docs/data-model.md), so they cannot creep up."""
    with dynamodb_calls(request_threads_only=True) as post:
        comment = _comment(http, team.editor, team.task_id, "no mention")
    # the session's Users row, the task (own partition, then the shared projects), the transaction
    assert post == {"GetItem": 2, "BatchGetItem": 1, "TransactWriteItems": 1}
    with dynamodb_calls(request_threads_only=True) as listing:
        http.get(f"/tasks/{team.task_id}/comments", headers=team.viewer.headers, params={"limit": 5})
    # session, task (2), the Query, then one read per distinct author on the page (at most 5)
    assert (listing["BatchGetItem"], listing["Query"]) == (1, 1)
    assert 2 <= listing["GetItem"] <= 2 + 5
    with dynamodb_calls(request_threads_only=True) as edit:
        http.patch(f"/comments/{comment['id']}", headers=team.editor.headers, json={"body": "still none"})
    assert edit == {"GetItem": 3, "BatchGetItem": 1, "TransactWriteItems": 1}  # + the comment read
    with dynamodb_calls(request_threads_only=True) as log:
        http.get(f"/projects/{team.project_id}/activity", headers=team.viewer.headers)
    # session, the project and the caller's membership (one BatchGetItem), the Query, the names
    assert (log["BatchGetItem"], log["Query"]) == (1, 1)


def _log_rows_of(http: httpx.Client, team: Team, comment_id: str) -> dict[str, dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:  # the whole log: another test may have put rows dated ahead of these
        params: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = http.get(f"/projects/{team.project_id}/activity", headers=team.viewer.headers, params=params).json()
        items += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            break
    mentioning = [e for e in items if comment_id in (e["after"].get("comment_id"), e["before"].get("comment_id"))]
    return {e["what"]: e for e in mentioning}


def test_the_log_keeps_a_comments_words_in_one_row_and_loses_them_with_it(http: httpx.Client, team: Team) -> None:
    comment = _comment(http, team.editor, team.task_id, "rude words")
    path = f"/comments/{comment['id']}"
    assert http.patch(path, headers=team.editor.headers, json={"body": "kind words"}).status_code == 200
    rows = _log_rows_of(http, team, comment["id"])
    assert rows["commented"]["after"] == {"comment_id": comment["id"], "body": "kind words"}
    assert "body" not in rows["comment_edited"]["after"]
    assert "body" not in rows["comment_edited"]["before"]
    assert http.delete(path, headers=team.admin.headers).status_code == 204
    rows = _log_rows_of(http, team, comment["id"])
    assert set(rows) == {"commented", "comment_edited", "comment_deleted"}
    assert all("words" not in json.dumps(row) for row in rows.values())


def test_a_comment_whose_log_row_is_gone_is_still_edited_and_deleted(http: httpx.Client, team: Team) -> None:
    from backend.adapters.task_store.activity import ActivityModel

    comment = _comment(http, team.editor, team.task_id, "its row will expire")
    ActivityModel(user_id=project_partition(team.project_id), sk="L#" + comment["id"].split(".")[1]).delete()
    path = f"/comments/{comment['id']}"
    assert http.patch(path, headers=team.editor.headers, json={"body": "edited"}).status_code == 200
    assert http.delete(path, headers=team.editor.headers).status_code == 204
    assert "commented" not in _log_rows_of(http, team, comment["id"])
