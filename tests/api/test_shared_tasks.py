"""Tasks of a shared project over HTTP (issue 13): every member sees them in their views, ``assignee_id`` is checked,
``assignee=me`` lists what is assigned to me, two members racing on one version: the loser gets 409, each change
writes an activity row, labels stay each member's, moves, statistics and attachments. Which role may call which route
(viewer, editor, removed member, stranger) is the role matrix's (tests/api/test_sharing_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from backend.adapters.task_store.activity import ActivityStore
from backend.adapters.task_store.sharing import DynamoMembershipStore
from backend.adapters.task_store.store import DynamoTaskStore
from backend.domain.sharing import Invitation, Membership, Role, project_partition
from backend.domain.tasks import Project, new_id
from backend.local.testing import LocalRun
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Member:
    id: str
    email: str
    http: httpx.Client


@dataclass
class Team:
    project_id: str
    owner: Member
    editor: Member
    viewer: Member
    stranger: Member
    members: DynamoMembershipStore


def member(api_url: str, user: SignedInUser) -> Member:
    http = httpx.Client(base_url=api_url, headers=user.headers, timeout=30)
    me = http.get("/me")
    assert me.status_code == 200, me.text
    return Member(id=me.json()["id"], email=user.email, http=http)


def join(members: DynamoMembershipStore, project_id: str, who: Member, role: Role, inviter: Member) -> Membership:
    invitation = members.invite(
        Invitation(
            id=new_id(),
            project_id=project_id,
            email=who.email,
            role=role,
            invited_by=inviter.id,
            created_at=NOW,
            project_name="Team",
        )
    )
    return members.accept(invitation, Membership(project_id=project_id, user_id=who.id, role=role, joined_at=NOW))


@pytest.fixture(scope="module")
def team(local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser]) -> Team:
    from backend.bootstrap import dependencies

    dependencies()  # the models on this module's emulator
    owner, editor, viewer, stranger = (member(api_url, make_user()) for _ in range(4))
    members = DynamoMembershipStore()
    project_id = new_id()
    DynamoTaskStore().save_project(
        Project(id=project_id, user_id=project_partition(project_id), name="Team", color="#000000", position="a1")
    )
    members.add_owner(Membership(project_id=project_id, user_id=owner.id, role=Role.OWNER, joined_at=NOW))
    join(members, project_id, editor, Role.EDITOR, owner)
    join(members, project_id, viewer, Role.VIEWER, owner)
    return Team(project_id, owner, editor, viewer, stranger, members)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def shared_task(team: Team, **fields: Any) -> dict[str, Any]:
    body = {"title": "Plan the offsite", "project_id": team.project_id, **fields}
    return dict(ok(team.owner.http.post("/tasks", json=body), 201))


def test_every_member_sees_a_shared_task_in_their_views(team: Team) -> None:
    task = shared_task(team, due_date=NOW.date().isoformat(), assignee_id=team.editor.id)
    assert (task["created_by"], task["assignee_id"]) == (team.owner.id, team.editor.id)
    own = ok(team.editor.http.post("/tasks", json={"title": "my own errand", "due_date": NOW.date().isoformat()}), 201)
    for who in (team.owner, team.editor, team.viewer):
        listed = [t["id"] for t in ok(who.http.get("/tasks", params={"view": "today"}))["items"]]
        assert task["id"] in listed
        assert ok(who.http.get(f"/tasks/{task['id']}"))["title"] == "Plan the offsite"
        board = ok(who.http.get("/tasks", params={"project_id": team.project_id}))["items"]
        assert task["id"] in [t["id"] for t in board]
    today_of_editor = [t["id"] for t in ok(team.editor.http.get("/tasks", params={"view": "today"}))["items"]]
    assert own["id"] in today_of_editor  # personal and shared work merged
    mine = ok(team.editor.http.get("/tasks", params={"assignee": "me"}))["items"]
    assert [t["id"] for t in mine] == [task["id"]]
    assert ok(team.owner.http.get("/tasks", params={"assignee": "me"}))["items"] == []


def test_an_editor_edits_completes_and_deletes_and_each_change_is_logged(team: Team) -> None:
    task = shared_task(team)
    edited = ok(team.editor.http.patch(f"/tasks/{task['id']}", json={"version": task["version"], "priority": 1}))
    done = ok(team.editor.http.post(f"/tasks/{task['id']}/complete"))
    assert done["completed_by"] == team.editor.id
    assert done["created_by"] == team.owner.id
    reopened = ok(team.owner.http.post(f"/tasks/{task['id']}/reopen"))
    assert reopened["completed_by"] is None
    ok(team.editor.http.delete(f"/tasks/{task['id']}"), 204)
    assert_error_shape(team.owner.http.get(f"/tasks/{task['id']}"), 404)
    log, _ = ActivityStore().list_activity(project_partition(team.project_id), now=datetime.now(UTC), limit=50)
    mine = [(e.what.value, e.actor) for e in reversed(log) if e.task_id == task["id"]]
    assert mine == [
        ("created", team.owner.id),
        ("edited", team.editor.id),
        ("completed", team.editor.id),
        ("reopened", team.owner.id),
        ("deleted", team.editor.id),
    ]
    assert edited["version"] > task["version"]


def test_assignee_must_be_a_member_who_may_complete(team: Team) -> None:
    task = shared_task(team)
    for assignee in (team.viewer.id, team.stranger.id, "nobody-at-all"):
        response = team.owner.http.patch(
            f"/tasks/{task['id']}", json={"version": task["version"], "assignee_id": assignee}
        )
        assert "assignee_id" in assert_error_shape(response, 400)["fields"]
    assigned = ok(
        team.owner.http.patch(f"/tasks/{task['id']}", json={"version": task["version"], "assignee_id": team.owner.id})
    )
    assert assigned["assignee_id"] == team.owner.id
    cleared = ok(
        team.editor.http.patch(f"/tasks/{task['id']}", json={"version": assigned["version"], "assignee_id": None})
    )
    assert cleared["assignee_id"] is None
    # a personal project: only its owner
    response = team.owner.http.post("/tasks", json={"title": "personal", "assignee_id": team.editor.id})
    assert "assignee_id" in assert_error_shape(response, 400)["fields"]
    assert ok(team.owner.http.post("/tasks", json={"title": "mine", "assignee_id": team.owner.id}), 201)


def test_two_members_racing_on_one_version_the_loser_gets_409(team: Team) -> None:
    task = shared_task(team)
    first = team.owner.http.patch(f"/tasks/{task['id']}", json={"version": task["version"], "title": "owner's"})
    second = team.editor.http.patch(f"/tasks/{task['id']}", json={"version": task["version"], "title": "editor's"})
    assert first.status_code == 200, first.text
    assert second.status_code == 409, second.text
    assert second.json()["current"]["title"] == "owner's"  # the loser gets what is stored now, to reload
    assert ok(team.viewer.http.get(f"/tasks/{task['id']}"))["title"] == "owner's"


def test_labels_on_a_shared_task_are_each_members_own(team: Team) -> None:
    owner_label = ok(team.owner.http.post("/labels", json={"name": "urgent"}), 201)["id"]
    editor_label = ok(team.editor.http.post("/labels", json={"name": "mine"}), 201)["id"]
    task = shared_task(team, labels=[owner_label])
    assert_error_shape(
        team.editor.http.patch(f"/tasks/{task['id']}", json={"version": task["version"], "labels": [owner_label]}),
        404,
    )  # someone else's label is not the editor's to set
    edited = ok(
        team.editor.http.patch(f"/tasks/{task['id']}", json={"version": task["version"], "labels": [editor_label]})
    )
    assert set(edited["labels"]) == {owner_label, editor_label}  # the owner's label stays
    by_label = ok(team.editor.http.get("/tasks", params={"label_id": editor_label}))["items"]
    assert [t["id"] for t in by_label] == [task["id"]]


def test_statistics_count_creations_for_the_creator_and_completions_for_the_completer(
    team: Team, local: LocalRun
) -> None:
    from backend.bootstrap import aggregates_store

    assert local.streams is not None
    local.streams.drain()
    stats = aggregates_store()

    def totals(member: Member) -> tuple[int, int]:
        counters = stats.aggregates(member.id)
        created = sum(n for (item, attr), n in counters.items() if item.startswith("DAY#") and attr == "created")
        completed = sum(n for (item, attr), n in counters.items() if item.startswith("DAY#") and attr == "completed")
        return created, completed

    before = {m.id: totals(m) for m in (team.owner, team.editor)}
    task = shared_task(team)
    ok(team.editor.http.post(f"/tasks/{task['id']}/complete"))
    local.streams.drain()
    owner_created, owner_completed = totals(team.owner)
    editor_created, editor_completed = totals(team.editor)
    assert (owner_created - before[team.owner.id][0], owner_completed - before[team.owner.id][1]) == (1, 0)
    assert (editor_created - before[team.editor.id][0], editor_completed - before[team.editor.id][1]) == (0, 1)


def test_members_list_a_shared_tasks_attachments_and_editors_add_and_delete(team: Team) -> None:
    task = shared_task(team)
    upload = {"name": "plan.txt", "content_type": "text/plain", "size": 12}
    assert_error_shape(team.viewer.http.post(f"/tasks/{task['id']}/attachments", json=upload), 403)
    assert_error_shape(team.stranger.http.post(f"/tasks/{task['id']}/attachments", json=upload), 404)
    added = ok(team.editor.http.post(f"/tasks/{task['id']}/attachments", json=upload), 201)["attachment"]
    key = ok(team.editor.http.post(f"/tasks/{task['id']}/attachments", json=upload), 201)["upload"]["fields"]["key"]
    assert key.startswith(f"uploads/P#{team.project_id}/tasks/{task['id']}/")  # the project's space, not the uploader's
    listed = ok(team.viewer.http.get(f"/tasks/{task['id']}/attachments"))["items"]
    assert added["id"] in [a["id"] for a in listed]
    assert ok(team.viewer.http.get(f"/attachments/{added['id']}"))["id"] == added["id"]
    assert_error_shape(team.stranger.http.get(f"/tasks/{task['id']}/attachments"), 404)
    assert_error_shape(team.stranger.http.get(f"/attachments/{added['id']}"), 404)
    assert_error_shape(team.viewer.http.delete(f"/attachments/{added['id']}"), 403)
    ok(team.owner.http.delete(f"/attachments/{added['id']}"), 204)
    assert_error_shape(team.editor.http.get(f"/attachments/{added['id']}"), 404)


def test_a_task_moves_between_a_personal_and_the_shared_project(team: Team) -> None:
    mine = ok(team.owner.http.post("/tasks", json={"title": "bring it to the team"}), 201)
    assert_error_shape(team.editor.http.get(f"/tasks/{mine['id']}"), 404)
    moved = ok(
        team.owner.http.patch(f"/tasks/{mine['id']}", json={"version": mine["version"], "project_id": team.project_id})
    )
    assert moved["project_id"] == team.project_id
    assert ok(team.editor.http.get(f"/tasks/{mine['id']}"))["title"] == "bring it to the team"
    board = ok(team.viewer.http.get("/tasks", params={"project_id": team.project_id}))["items"]
    assert mine["id"] in [t["id"] for t in board]
    stale = team.owner.http.patch(f"/tasks/{mine['id']}", json={"version": mine["version"], "project_id": "inbox"})
    assert stale.status_code == 409, stale.text
    viewer_takes = team.viewer.http.patch(
        f"/tasks/{mine['id']}", json={"version": moved["version"], "project_id": "inbox"}
    )
    assert_error_shape(viewer_takes, 403)  # editing in the source is an editor's
    back = ok(team.editor.http.patch(f"/tasks/{mine['id']}", json={"version": moved["version"], "project_id": "inbox"}))
    assert back["project_id"] == "inbox"  # the editor's own Inbox now
    assert_error_shape(team.owner.http.get(f"/tasks/{mine['id']}"), 404)
    log, _ = ActivityStore().list_activity(project_partition(team.project_id), now=datetime.now(UTC), limit=50)
    assert [e.what.value for e in reversed(log) if e.task_id == mine["id"]] == ["moved", "moved"]


def test_a_task_moving_into_the_shared_project_takes_its_subtasks_where_members_see_and_count_them(
    team: Team,
) -> None:
    """Issue 14: a subtask lives in its parent's partition; moving the parent into a shared project moves its whole
    subtree there (a move between partitions per task), counts and nesting intact, so a member lists and adds to it."""
    owner = team.owner.http
    parent = ok(owner.post("/tasks", json={"title": "trip"}), 201)
    child = ok(owner.post("/tasks", json={"title": "tickets", "parent_id": parent["id"]}), 201)
    ok(owner.post("/tasks", json={"title": "seats", "parent_id": child["id"]}), 201)
    ok(owner.post(f"/tasks/{child['id']}/complete", params={"children": "complete"}))
    current = ok(owner.get(f"/tasks/{parent['id']}"))
    ok(owner.patch(f"/tasks/{parent['id']}", json={"version": current["version"], "project_id": team.project_id}))
    editor = team.editor.http
    listed = ok(editor.get("/tasks", params={"parent_id": parent["id"]}))["items"]
    assert [(t["title"], t["project_id"], t["status"]) for t in listed] == [("tickets", team.project_id, "done")]
    assert [t["title"] for t in ok(editor.get("/tasks", params={"parent_id": child["id"]}))["items"]] == ["seats"]
    ok(editor.post("/tasks", json={"title": "visa", "parent_id": parent["id"]}), 201)
    moved = ok(editor.get(f"/tasks/{parent['id']}"))
    assert (moved["subtask_done"], moved["subtask_count"]) == (1, 2)
    assert_error_shape(team.stranger.http.get("/tasks", params={"parent_id": parent["id"]}), 404)


def test_bulk_edit_applies_each_task_alone_and_its_undo_restores_them_or_reports_a_later_edit(team: Team) -> None:
    """One undoable change (issue 14): the per-item results, then the undo built by the client (backend.client)."""
    from backend.client.bulk_edit import edit_of, undo_of
    from backend.schemas import BulkEditResponse

    http = team.editor.http
    old, new = (ok(http.post("/labels", json={"name": name}), 201)["id"] for name in ("old", "new"))
    dated = ok(http.post("/tasks", json={"title": "dated", "due_date": "2031-01-02", "due_time": "09:30",
                                         "labels": [old], "priority": 3}), 201)  # fmt: skip
    bare = ok(http.post("/tasks", json={"title": "bare"}), 201)
    shared = shared_task(team, due_date="2031-01-05", assignee_id=team.owner.id)
    foreign = ok(team.stranger.http.post("/tasks", json={"title": "not yours"}), 201)
    before = {t["id"]: t for t in (dated, bare, shared)}

    def post(edit: Any, status: int = 200) -> BulkEditResponse:
        body = edit.model_dump(mode="json", exclude_unset=True)
        return BulkEditResponse.model_validate(ok(http.post("/tasks/bulk-edit", json=body), status))

    def stored(task_id: str, who: Member = team.editor) -> dict[str, Any]:
        return dict(ok(who.http.get(f"/tasks/{task_id}")))

    def same(a: dict[str, Any], b: dict[str, Any]) -> None:
        keep = ("due_date", "due_time", "priority", "labels", "assignee_id", "project_id", "section", "title")
        assert {k: a[k] for k in keep} == {k: b[k] for k in keep}

    ids = [dated["id"], bare["id"], shared["id"], foreign["id"]]
    edit = edit_of(ids, due_date="2031-02-01", priority=1, add_labels=[new], remove_labels=[old],
                   assignee_id=team.editor.id)  # fmt: skip
    result = post(edit)
    assert [(r.id, r.status) for r in result.results] == list(zip(ids, (200, 200, 200, 404), strict=True))
    assert result.results[3].error is not None
    assert result.results[3].error.code == "not_found"
    assert stored(dated["id"])["labels"] == [new]
    assert stored(dated["id"])["due_time"] == "09:30:00"
    assert {stored(i)["due_date"] for i in ids[:3]} == {"2031-02-01"}
    assert stored(shared["id"], team.owner)["assignee_id"] == team.editor.id
    # members only: the viewer may not complete, so may not be assigned; the viewer may not edit at all (403)
    refused = post(edit_of([shared["id"]], assignee_id=team.viewer.id)).results[0]
    assert (refused.status, refused.error and "assignee_id" in refused.error.fields) == (400, True)
    as_viewer = team.viewer.http.post("/tasks/bulk-edit", json={"items": [{"id": shared["id"], "priority": 2}]})
    assert ok(as_viewer)["results"][0]["status"] == 403

    # meanwhile the owner edits the shared task: the undo reports it and leaves the owner's edit alone
    owners = ok(team.owner.http.patch(f"/tasks/{shared['id']}", json={"version": stored(shared["id"])["version"],
                                                                       "title": "the owner's"}))  # fmt: skip
    undo = undo_of(edit, result)
    assert undo is not None
    assert [item.id for item in undo.items] == ids[:3]
    undone = post(undo)
    assert [r.status for r in undone.results] == [200, 200, 409]
    assert undone.results[2].task is not None
    assert undone.results[2].task.title == "the owner's"
    same(stored(dated["id"]), before[dated["id"]])
    same(stored(bare["id"]), before[bare["id"]])
    assert stored(shared["id"])["version"] == owners["version"]  # not overwritten

    # a move to the shared project and back (another partition both ways) is one undo too
    move = edit_of([dated["id"], bare["id"]], project_id=team.project_id)
    moved = post(move)
    assert {r.task.project_id for r in moved.results if r.task} == {team.project_id}
    assert stored(bare["id"], team.owner)["project_id"] == team.project_id
    back = undo_of(move, moved)
    assert back is not None
    body, key = back.model_dump(mode="json", exclude_unset=True), {"Idempotency-Key": "undo-the-move"}
    first = ok(http.post("/tasks/bulk-edit", json=body, headers=key))
    assert [r["status"] for r in first["results"]] == [200, 200]
    again = http.post("/tasks/bulk-edit", json=body, headers=key)  # a retry: the first answer, nothing redone
    assert (again.headers.get("Idempotent-Replayed"), again.json()) == ("true", first)
    same(stored(dated["id"]), before[dated["id"]])
    assert_error_shape(team.owner.http.get(f"/tasks/{bare['id']}"), 404)  # personal again


def test_quick_add_finds_shared_projects_one_may_add_to_and_reads_dates_in_the_profiles_order(team: Team) -> None:
    def parse(who: Member, text: str) -> dict[str, Any]:
        return dict(ok(who.http.post("/quick-add/parse", json={"text": text})))

    as_editor = parse(team.editor, "Plan #team @brandnew")
    assert (as_editor["task"]["project_id"], as_editor["project_found"]) == (team.project_id, True)
    assert as_editor["new_labels"] == ["brandnew"]
    assert parse(team.viewer, "Plan #team")["project_found"] is False  # a viewer may not add tasks there
    assert parse(team.stranger, "Plan #team")["project_found"] is False
    me = ok(team.editor.http.patch("/me", json={"preferences": {"date_order": "MDY"}}))
    assert me["preferences"]["date_order"] == "MDY"
    assert parse(team.editor, "Gift 12/24/2031")["task"]["due_date"] == "2031-12-24"
    ok(team.editor.http.patch("/me", json={"preferences": {"date_order": "DMY"}}))
    day_first = parse(team.editor, "Gift 24/12/2025")
    assert (day_first["task"]["due_date"], day_first["warnings"]) == ("2025-12-24", ["Wed Dec 24 2025 is in the past"])
