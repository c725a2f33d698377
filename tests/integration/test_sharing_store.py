"""Memberships, invitations and ``User.shared_projects`` on moto (issue 13): the membership transactions keep the
Users row's set in step across the two tables, profile saves never drop it, and ``services.access`` finds a
project or a task in at most two reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.adapters.dynamodb import DynamoUserRepository
from backend.adapters.task_store.sharing import DynamoMembershipStore
from backend.adapters.task_store.store import DynamoTaskStore
from backend.domain.sharing import MAX_SHARED_PROJECTS, Invitation, Membership, Role, project_partition
from backend.domain.tasks import Project, Status, Task, new_id
from backend.domain.users import User, new_user
from backend.errors import ConflictError, NotFoundError, QuotaExceededError
from backend.local.testing import LocalRun
from backend.services import access

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def stores(local: LocalRun) -> tuple[DynamoUserRepository, DynamoTaskStore, DynamoMembershipStore]:
    from backend.bootstrap import dependencies

    dependencies()  # points the models at this emulator's tables
    return DynamoUserRepository(), DynamoTaskStore(), DynamoMembershipStore()


def a_user(users: DynamoUserRepository) -> User:
    user_id = new_id()
    return users.add(new_user(user_id=user_id, email=f"{user_id.lower()}@example.com", now=NOW))


def a_shared_project(tasks: DynamoTaskStore, members: DynamoMembershipStore, owner: User) -> Project:
    project_id = new_id()
    project = Project(id=project_id, user_id=project_partition(project_id), name="Team", color="#000000", position="a1")
    members.add_owner(Membership(project_id=project_id, user_id=owner.id, role=Role.OWNER, joined_at=NOW))
    return tasks.save_project(project)


def an_invitation(project: Project, email: str, inviter: User, role: Role = Role.EDITOR) -> Invitation:
    return Invitation(
        id=new_id(),
        project_id=project.id,
        email=email,
        role=role,
        invited_by=inviter.id,
        created_at=NOW,
        project_name=project.name,
    )


def test_accepting_writes_the_membership_and_shared_projects_together(stores: Any) -> None:
    users, tasks, members = stores
    owner, guest = a_user(users), a_user(users)
    project = a_shared_project(tasks, members, owner)
    assert users.get(owner.id).shared_projects == {project.id}

    invitation = members.invite(an_invitation(project, guest.email, owner))
    assert members.invitations_for(guest.email, now=NOW) == [invitation]
    assert members.seats_taken(project.id, now=NOW) == 2
    with pytest.raises(ConflictError):  # one pending invitation per address
        members.invite(an_invitation(project, guest.email, owner))

    joined = members.accept(
        invitation, Membership(project_id=project.id, user_id=guest.id, role=invitation.role, joined_at=NOW)
    )
    assert (joined.role, joined.version) == (Role.EDITOR, 1)
    assert users.get(guest.id).shared_projects == {project.id}
    assert members.invitations_for(guest.email, now=NOW) == []
    assert members.list_invitations(project.id, now=NOW) == []
    roles = {m.user_id: m.role for m in members.list_members(project.id)}
    assert roles == {owner.id: Role.OWNER, guest.id: Role.EDITOR}
    with pytest.raises(NotFoundError):  # accepted once: gone
        members.accept(invitation, joined)

    members.remove(joined)
    assert users.get(guest.id).shared_projects == frozenset()
    assert members.get_membership(project.id, guest.id) is None


def test_a_profile_save_from_an_older_copy_keeps_shared_projects(stores: Any) -> None:
    users, tasks, members = stores
    owner = a_user(users)
    stale = users.get(owner.id)
    project = a_shared_project(tasks, members, owner)  # joins after the copy was read
    saved = users.save(replace(stale, display_name="Renamed"))
    assert saved.display_name == "Renamed"
    assert saved.shared_projects == {project.id}
    assert users.get(owner.id).shared_projects == {project.id}


def test_the_cap_on_shared_projects_refuses_the_51st(stores: Any, dynamodb_users: Any) -> None:
    users, tasks, members = stores
    guest = a_user(users)
    dynamodb_users(guest.id, {f"p{i}" for i in range(MAX_SHARED_PROJECTS)})
    owner = a_user(users)
    project = a_shared_project(tasks, members, owner)
    invitation = members.invite(an_invitation(project, guest.email, owner))
    with pytest.raises(QuotaExceededError):
        members.accept(invitation, Membership(project_id=project.id, user_id=guest.id, role=Role.VIEWER, joined_at=NOW))
    assert members.get_membership(project.id, guest.id) is None
    assert members.invitations_for(guest.email, now=NOW) == [invitation]  # still there: nothing was written


def test_role_change_and_transfer_are_conditional_on_the_version_read(stores: Any) -> None:
    users, tasks, members = stores
    owner, guest = a_user(users), a_user(users)
    project = a_shared_project(tasks, members, owner)
    invitation = members.invite(an_invitation(project, guest.email, owner, Role.VIEWER))
    joined = members.accept(
        invitation, Membership(project_id=project.id, user_id=guest.id, role=Role.VIEWER, joined_at=NOW)
    )
    admin = members.change_role(joined, Role.ADMIN)
    assert (admin.role, admin.version) == (Role.ADMIN, joined.version + 1)
    with pytest.raises(ConflictError):
        members.change_role(joined, Role.EDITOR)  # from the older version
    old_owner, new_owner = members.transfer(members.get_membership(project.id, owner.id), admin)
    assert (old_owner.role, new_owner.role) == (Role.ADMIN, Role.OWNER)


def test_access_finds_personal_and_shared_projects_and_tasks(stores: Any) -> None:
    users, tasks, members = stores
    owner, guest, stranger = a_user(users), a_user(users), a_user(users)
    project = a_shared_project(tasks, members, owner)
    invitation = members.invite(an_invitation(project, guest.email, owner, Role.VIEWER))
    members.accept(invitation, Membership(project_id=project.id, user_id=guest.id, role=Role.VIEWER, joined_at=NOW))
    guest = users.get(guest.id)
    task = tasks.save_task(
        Task(
            id=new_id(),
            user_id=project_partition(project.id),
            project_id=project.id,
            title="Shared work",
            status=Status.OPEN,
            position="a1",
            created_at=NOW,
            updated_at=NOW,
        ),
        previous=None,
    )
    found, where = access.task(guest, task.id, tasks=tasks, memberships=members)
    assert found.id == task.id
    assert (where.partition, where.role, where.shared) == (project_partition(project.id), Role.VIEWER, True)
    seen = access.project(guest, project.id, tasks=tasks, memberships=members)
    assert (seen.role, seen.project and seen.project.name) == (Role.VIEWER, "Team")
    assert access.partitions(guest) == [guest.id, project_partition(project.id)]

    for outsider in (stranger, users.get(stranger.id)):
        with pytest.raises(NotFoundError):
            access.task(outsider, task.id, tasks=tasks, memberships=members)
        with pytest.raises(NotFoundError):
            access.project(outsider, project.id, tasks=tasks, memberships=members)
    # A member removed after their row was read (the set is stale): still nothing.
    members.remove(members.get_membership(project.id, guest.id))
    with pytest.raises(NotFoundError):
        access.project(guest, project.id, tasks=tasks, memberships=members)
    with pytest.raises(NotFoundError):
        access.task(guest, task.id, tasks=tasks, memberships=members)

    personal = tasks.save_project(
        Project(id=new_id(), user_id=stranger.id, name="Mine", color="#000000", position="a1")
    )
    mine = access.project(stranger, personal.id, tasks=tasks, memberships=members)
    assert (mine.partition, mine.role, mine.shared) == (stranger.id, Role.OWNER, False)
    assert access.project(stranger, "inbox", tasks=tasks, memberships=members).role is Role.OWNER


def test_forgetting_a_project_takes_it_out_of_every_members_set(stores: Any) -> None:
    users, tasks, members = stores
    owner, guest = a_user(users), a_user(users)
    project = a_shared_project(tasks, members, owner)
    invitation = members.invite(an_invitation(project, guest.email, owner))
    members.accept(invitation, Membership(project_id=project.id, user_id=guest.id, role=Role.EDITOR, joined_at=NOW))
    members.invite(an_invitation(project, "later@example.com", owner))
    members.forget_project(project.id, now=NOW)
    assert users.get(owner.id).shared_projects == frozenset()
    assert users.get(guest.id).shared_projects == frozenset()
    assert members.list_members(project.id) == []
    assert members.invitations_for("later@example.com", now=NOW) == []


def test_expired_invitations_are_not_listed(stores: Any) -> None:
    users, tasks, members = stores
    owner = a_user(users)
    project = a_shared_project(tasks, members, owner)
    invitation = members.invite(an_invitation(project, "expiring@example.com", owner))
    later = NOW + timedelta(days=31)
    assert members.invitations_for("expiring@example.com", now=later) == []
    assert members.invitation_for("expiring@example.com", invitation.id, now=later) is None
    assert members.invitation_for("expiring@example.com", invitation.id, now=NOW) == invitation


@pytest.fixture(scope="module")
def dynamodb_users(local: LocalRun) -> Any:
    from tests.integration.conftest import USERS_TABLE, aws_client

    client = aws_client(local, "dynamodb")

    def put_set(user_id: str, projects: set[str]) -> None:
        client.update_item(
            TableName=USERS_TABLE,
            Key={"user_id": {"S": user_id}},
            UpdateExpression="SET shared_projects = :s",
            ExpressionAttributeValues={":s": {"SS": sorted(projects)}},
        )

    return put_set
