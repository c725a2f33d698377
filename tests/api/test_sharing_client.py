"""The typed client's shared-project calls against the real local API (issue 13): what the UI reads parses from
what the routes answer — members and invitations, assignees, comments and the activity log."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.client import ApiClient, ApiError
from backend.client.api import ProjectCreate, TaskCreate, TaskUpdate
from tests.conftest import SignedInUser


def client(api_url: str, user: SignedInUser) -> ApiClient:
    return ApiClient(api_url, user.tokens.access_token)


def test_share_accept_assign_comment_and_read_the_log(api_url: str, make_user: Callable[[], SignedInUser]) -> None:
    owner_user, member_user = make_user(), make_user()
    owner, member = client(api_url, owner_user), client(api_url, member_user)
    owner.update_me({"display_name": "Olga Owner"})
    member.update_me({"display_name": "Eddie Editor"})
    me, them = owner.get_me().id, member.get_me().id
    project = owner.create_project(ProjectCreate(name="Trip"))
    task = owner.create_task(TaskCreate(title="Book flights", project_id=project.id))

    # Invite by email: a pending invitation; the invitee lists it, accepts, and both see the membership.
    pending = owner.add_member(project.id, member_user.email.upper(), "editor")
    assert pending.pending
    assert pending.role == "editor"
    assert owner.add_member(project.id, member_user.email, "editor").id == pending.id  # asked twice: the same one
    [invitation] = member.list_invitations()
    assert (invitation.project_id, invitation.project_name, invitation.role) == (project.id, "Trip", "editor")
    member.accept_invitation(invitation.id)
    assert member.list_invitations() == []
    listed = owner.list_members(project.id)
    assert {(m.user_id, m.role) for m in listed.members} == {(me, "owner"), (them, "editor")}
    assert listed.invitations == []
    assert {p.id: p for p in member.list_projects()}[project.id].name == "Trip"

    # An editor may not change roles (403 with a reason); the owner may.
    with pytest.raises(ApiError) as refused:
        member.change_role(project.id, me, "viewer")
    assert refused.value.status == 403
    assert refused.value.message

    # Assigned to the member: their "assigned to me" lists it.
    shared_task = owner.get_task(task.id)
    owner.update_task(task.id, TaskUpdate(version=shared_task.version, assignee_id=them))
    assert [t.id for t in member.list_tasks(assignee="me").items] == [task.id]

    # Comments: add (with a mention), edit with the version, list, delete.
    said = member.add_comment(task.id, "On it @OlgaOwner")
    assert (said.author_id, said.author_name, said.mentions) == (them, "Eddie Editor", [me])
    edited = member.edit_comment(said.id, "On it, @OlgaOwner", version=said.version)
    assert edited.edited
    assert edited.body == "On it, @OlgaOwner"
    assert [c.body for c in owner.list_comments(task.id)] == ["On it, @OlgaOwner"]
    member.delete_comment(said.id)
    assert owner.list_comments(task.id) == []

    # The log, newest first, names who did what.
    page = owner.list_activity(project.id)
    whats = [entry.what for entry in page.items]
    assert {"assigned", "commented", "member_added"} <= set(whats)
    assert all(entry.actor_id for entry in page.items)

    # Leaving: the project is gone for the member (404 from then on).
    member.remove_member(project.id, them)
    assert project.id not in {p.id for p in member.list_projects()}
    with pytest.raises(ApiError) as gone:
        member.list_comments(task.id)
    assert gone.value.status == 404
