"""Who may reach a project or a task, and where it lives (issue 13): the one place every service asks.

A personal project (and its tasks) lives in its owner's partition ``<sub>``, and its owner is its only member (role
``owner``); a shared project ``p`` lives in ``P#<p>`` and its members are its ``M#`` rows, named by the caller's
``User.shared_projects`` (read once per request with the caller's Users row, so knowing which partitions to try
costs nothing). Whoever is not a member gets ``NotFoundError`` (404, no existence leak); what a member's role allows
is decided by ``backend.domain.sharing.authorize(access.role, Action...)``, called by the service with the role
found here.

Costs: ``project`` one GetItem (personal) or one BatchGetItem (shared: the project and the caller's membership);
``task`` one GetItem in ``<sub>``, and only when absent there one BatchGetItem over the shared projects: at most two.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.adapters.ports import MembershipStore, TaskStore
from backend.domain.sharing import Membership, Role, project_partition, user_partitions
from backend.domain.tasks import Project, Task
from backend.domain.users import User
from backend.errors import NotFoundError

INBOX_ID = "inbox"  # (services/projects.py's; not imported: projects imports this module)


@dataclass(frozen=True)
class ProjectAccess:
    project_id: str
    partition: str  # where the project and its tasks live: ``<sub>`` or ``P#<project>``
    role: Role
    shared: bool
    project: Project | None = None  # as read to decide (None: not read, or an Inbox not created yet)
    membership: Membership | None = None  # the caller's ``M#`` row (shared projects only)


def partitions(user: User) -> list[str]:
    """Every partition the user's views read: ``[sub] + ["P#<p>" for p in shared_projects]``."""
    return user_partitions(user.id, user.shared_projects)


def personal(user: User, project: Project | None, project_id: str) -> ProjectAccess:
    return ProjectAccess(project_id=project_id, partition=user.id, role=Role.OWNER, shared=False, project=project)


def shared(project: Project | None, membership: Membership) -> ProjectAccess:
    return ProjectAccess(
        project_id=membership.project_id,
        partition=project_partition(membership.project_id),
        role=membership.role,
        shared=True,
        project=project,
        membership=membership,
    )


def _no_project() -> NotFoundError:
    return NotFoundError("No such project.", fields={"project_id": "does not exist"})


def project(user: User, project_id: str, *, tasks: TaskStore, memberships: MembershipStore) -> ProjectAccess:
    """The caller's access to a project (``NotFoundError`` when it is not theirs to see)."""
    if project_id in user.shared_projects:
        found = memberships.projects_of(user.id, [project_id])
        if not found:  # removed meanwhile (the set was read at the start of the request), or being deleted
            raise _no_project()
        shared_project, membership = found[0]
        return shared(shared_project, membership)
    stored = tasks.get_project(user.id, project_id)
    if stored is None and project_id != INBOX_ID:  # the Inbox exists for everyone (created on first use)
        raise _no_project()
    return personal(user, stored, project_id)


def task(user: User, task_id: str, *, tasks: TaskStore, memberships: MembershipStore) -> tuple[Task, ProjectAccess]:
    """A task the caller may see, with their access to its project (``NotFoundError`` otherwise)."""
    own = tasks.get_task(user.id, task_id)
    if own is not None:
        return own, personal(user, None, own.project_id)
    if user.shared_projects:
        found = memberships.find_task(user.id, user.shared_projects, task_id)
        if found is not None:
            shared_task, membership = found
            return shared_task, shared(None, membership)
    raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
