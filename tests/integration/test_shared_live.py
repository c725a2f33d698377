"""Live updates of a shared project, end to end on the local stack (API → Tasks stream → live Lambda → Redis →
``changes()``): a member's change reaches every member's channel, each in their own time zone, a stranger's channel
hears nothing, a comment's creation, edit and delete reach every member with the comment, and a removed member's
screen is told the project is gone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from backend.adapters.task_store.sharing import DynamoMembershipStore
from backend.adapters.task_store.store import DynamoTaskStore
from backend.client.live import Change
from backend.domain.sharing import Invitation, Membership, Role, project_partition
from backend.domain.tasks import Project, new_id
from backend.local.testing import LocalRun
from tests.conftest import SignedInUser
from tests.integration.test_live_updates import Listener

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def listener(local: LocalRun) -> Iterator[Listener]:
    assert local.redis is not None
    listening = Listener(local.redis.url)
    listening.wait_subscribed()
    yield listening
    listening.stop()


def next_change(listener: Listener, user_id: str, kind: str = "task") -> Change:
    """The next change of ``kind`` on the user's channel (others, e.g. a member joining, passed over)."""
    while True:
        change = listener.next_for(user_id, timeout=30)[1]
        if change.kind == kind:
            return change


def signed_in(api_url: str, user: SignedInUser) -> tuple[str, httpx.Client]:
    http = httpx.Client(base_url=api_url, headers=user.headers, timeout=30)
    return http.get("/me").json()["id"], http


def test_a_members_change_reaches_every_member_and_a_removed_one_drops_the_project(
    local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser], listener: Listener
) -> None:
    from backend.bootstrap import dependencies

    dependencies()
    (owner, owner_http), (editor, editor_http), (stranger, stranger_http) = (
        signed_in(api_url, make_user()) for _ in range(3)
    )
    editor_http.patch("/me", json={"timezone": "Pacific/Kiritimati"}).raise_for_status()  # UTC+14
    members = DynamoMembershipStore()
    project_id = new_id()
    DynamoTaskStore().save_project(
        Project(id=project_id, user_id=project_partition(project_id), name="Team", color="#000000", position="a1")
    )
    members.add_owner(Membership(project_id=project_id, user_id=owner, role=Role.OWNER, joined_at=NOW))
    invitation = members.invite(
        Invitation(
            id=new_id(),
            project_id=project_id,
            email=editor_http.get("/me").json()["email"],
            role=Role.EDITOR,
            invited_by=owner,
            created_at=NOW,
        )
    )
    membership = members.accept(
        invitation, Membership(project_id=project_id, user_id=editor, role=Role.EDITOR, joined_at=NOW)
    )
    joined = listener.next_for(editor)[1]
    assert (joined.kind, joined.id, joined.op) == ("project", project_id, "upsert")

    today_utc = datetime.now(UTC).date().isoformat()  # in UTC+14 it may already be tomorrow: overdue differs
    created = owner_http.post("/tasks", json={"title": "team task", "project_id": project_id, "due_date": today_utc})
    assert created.status_code == 201, created.text
    for user_id in (owner, editor):
        change = next_change(listener, user_id)
        assert (change.kind, change.op, change.id) == ("task", "upsert", created.json()["id"])
        assert change.task is not None
        assert change.task.created_by == owner
    edited = editor_http.patch(
        f"/tasks/{created.json()['id']}", json={"version": created.json()["version"], "priority": 1}
    )
    assert edited.status_code == 200, edited.text
    seen_by_owner = next_change(listener, owner)
    assert seen_by_owner.task is not None
    assert seen_by_owner.task.priority == 1  # the editor's change, live on the owner's screen

    # A comment, its edit and its delete by the editor reach the owner's channel within a second, the comment in the
    # API's shape (the panel applies it in place), and the task's new comment_count comes with the task's change.
    task_id = created.json()["id"]
    said = editor_http.post(f"/tasks/{task_id}/comments", json={"body": "On it"})
    assert said.status_code == 201, said.text
    answered = time.time()
    received_at, heard = listener.next_for(owner, timeout=30)
    while heard.kind != "comment":
        if heard.kind == "task":
            assert heard.task is not None
            assert heard.task.comment_count == 1
        received_at, heard = listener.next_for(owner, timeout=30)
    assert (heard.op, heard.id) == ("upsert", said.json()["id"])
    assert heard.comment is not None
    assert (heard.comment.body, heard.comment.author_id) == ("On it", editor)
    assert heard.comment.author_name == said.json()["author_name"]
    assert received_at - answered < 1.0
    comment_id, version = said.json()["id"], said.json()["version"]
    edit = editor_http.patch(f"/comments/{comment_id}", json={"body": "On it - Friday", "version": version})
    assert edit.status_code == 200, edit.text
    answered = time.time()
    received_at, heard = listener.next_for(owner, timeout=30)
    while heard.kind != "comment":
        received_at, heard = listener.next_for(owner, timeout=30)
    assert (heard.op, heard.id) == ("upsert", comment_id)
    assert heard.comment is not None
    assert (heard.comment.body, heard.comment.version) == ("On it - Friday", edit.json()["version"])
    assert heard.comment.edited_at is not None
    assert received_at - answered < 1.0
    assert editor_http.delete(f"/comments/{comment_id}").status_code == 204
    gone_comment = next_change(listener, owner, "comment")
    assert (gone_comment.op, gone_comment.id, gone_comment.comment) == ("delete", comment_id, None)
    assert next_change(listener, editor, "comment").op == "upsert"  # the author's other tabs hear it too

    members.remove(membership)
    gone = next_change(listener, editor, "project")
    assert (gone.kind, gone.id, gone.op) == ("project", project_id, "delete")
    stranger_http.post("/tasks", json={"title": "a marker"}).raise_for_status()
    # Everything before the marker on the stranger's channel would have been someone else's: only the marker comes.
    first = next_change(listener, stranger)
    assert first.task is not None
    assert first.task.title == "a marker"
