"""Projects and labels: create, edit, order, archive, delete. No HTTP, no boto3."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from backend.adapters.ports import MembershipStore, TaskDeletionListener, TaskStore
from backend.domain import activity
from backend.domain.quick_add import name_key
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas, exceeded
from backend.domain.sharing import Action, Membership, Role, authorize
from backend.domain.tasks import INBOX_NAME, Label, Project, new_id, position_after, position_between
from backend.domain.users import User
from backend.errors import InvalidInputError, NotFoundError
from backend.schemas import DEFAULT_COLOR, LabelCreate, LabelUpdate, ProjectCreate, ProjectUpdate
from backend.services import access

INBOX_ID = "inbox"
INBOX_COLOR = "#246fe0"


def ensure_inbox(*, store: TaskStore, user_id: str, now: datetime) -> Project:
    """Every user has an Inbox; it is created on first use (idempotent under concurrent requests)."""
    inbox = store.get_project(user_id, INBOX_ID)
    if inbox is not None:
        return inbox
    project = Project(
        id=INBOX_ID,
        user_id=user_id,
        name=INBOX_NAME,
        color=INBOX_COLOR,
        position="a0",
        is_inbox=True,
        created_at=now,
        updated_at=now,
    )
    return store.add_project_once(project)


def list_projects(*, store: TaskStore, user_id: str, now: datetime) -> list[Project]:
    projects = store.list_projects(user_id)
    if not any(p.is_inbox for p in projects):
        projects.insert(0, ensure_inbox(store=store, user_id=user_id, now=now))
    return projects


# --- shared projects (issue 13) -------------------------------------------------------------------------------
_ROSTER_READS = 8  # parallel member Queries of the listed shared projects


@dataclass(frozen=True)
class Listed:
    """A project as the caller sees it: their role, and a shared project's members (None: a personal one)."""

    project: Project
    role: Role = Role.OWNER
    members: tuple[Membership, ...] | None = None


def list_visible(*, store: TaskStore, memberships: MembershipStore, user: User, now: datetime) -> list[Listed]:
    """The caller's projects, personal and shared: the personal ones with one Query as before; the shared ones with
    one BatchGetItem of their ``PROJECT#`` and the caller's ``M#`` rows (named by ``User.shared_projects``, read with
    the caller's row), plus one Query of each one's members (in parallel) for the sidebar's initials. A shared
    project sits where the caller put it (their membership's ``position``)."""
    personal = list_projects(store=store, user_id=user.id, now=now)
    if not user.shared_projects:
        return [Listed(p) for p in personal]
    shared = memberships.projects_of(user.id, user.shared_projects)
    with ThreadPoolExecutor(max_workers=min(_ROSTER_READS, len(shared) or 1)) as pool:
        rosters = list(pool.map(lambda found: memberships.list_members(found[0].id), shared))
    ids = {project.id for project, _ in shared}
    listed = [Listed(p) for p in personal if p.id not in ids]  # (a share stopped midway: listed once, as shared)
    listed += [
        Listed(replace(project, position=mine.position), mine.role, tuple(roster))
        for (project, mine), roster in zip(shared, rosters, strict=True)
    ]
    return sorted(listed, key=lambda entry: (not entry.project.is_inbox, entry.project.position))


def visible_project(
    *, store: TaskStore, memberships: MembershipStore, user: User, project_id: str, now: datetime
) -> Listed:
    """One project the caller may see (404 otherwise)."""
    where = access.project(user, project_id, tasks=store, memberships=memberships)
    authorize(where.role, Action.READ)
    if not where.shared:
        return Listed(owned_project(store, user.id, project_id, now))
    mine = where.membership
    assert where.project is not None
    assert mine is not None
    project = replace(where.project, position=mine.position)
    return Listed(project, where.role, tuple(memberships.list_members(project_id)))


def owned_project(store: TaskStore, user_id: str, project_id: str, now: datetime) -> Project:
    """The caller's project; another user's id looks exactly like a missing one."""
    if project_id == INBOX_ID:
        return ensure_inbox(store=store, user_id=user_id, now=now)
    project = store.get_project(user_id, project_id)
    if project is None:
        raise NotFoundError("No such project.", fields={"project_id": "does not exist"})
    return project


def create_project(
    *, store: TaskStore, user_id: str, data: ProjectCreate, now: datetime, quotas: Quotas = DEFAULT_QUOTAS
) -> Project:
    projects = list_projects(store=store, user_id=user_id, now=now)
    # Counted from the list read anyway (one Query); two creates at once may both pass at the limit.
    if sum(not p.is_inbox for p in projects) >= quotas.projects:
        hint = "Delete some (archived ones count too) to add more."
        raise exceeded("projects", quotas.projects, field="projects", hint=hint)
    last = max((p.position for p in projects if not p.is_inbox), default=None)
    project = Project(
        id=new_id(),
        user_id=user_id,
        name=data.name,
        color=data.color,
        position=position_after(last or "a0"),
        sections=_unique(data.sections),
        created_at=now,
        updated_at=now,
    )
    return store.save_project(project)


def update_project(
    *,
    store: TaskStore,
    user_id: str,
    project_id: str,
    changes: ProjectUpdate,
    now: datetime,
    memberships: MembershipStore | None = None,
    user: User | None = None,
) -> Project:
    """Rename, recolour, reorder, archive. A shared project (with ``memberships`` and the caller's ``user``): admins
    rename and archive it for everyone, each change logged (before/after) in the write's own transaction; its place
    in the sidebar is each member's own and stays as it is here."""
    if memberships is not None and user is not None and project_id in user.shared_projects:
        return _update_shared(store, memberships, user, project_id=project_id, changes=changes, now=now)
    project = owned_project(store, user_id, project_id, now)
    if project.is_inbox and (changes.archived or (changes.name is not None and changes.name != project.name)):
        raise InvalidInputError("The Inbox cannot be renamed or archived.", fields={"name": "is fixed for the Inbox"})
    position = project.position
    if "after_id" in changes.model_fields_set and not project.is_inbox:
        position = _position_after(store, user_id, project, changes.after_id, now)
    return store.save_project(replace(_changed(project, changes, now), position=position))


def _changed(project: Project, changes: ProjectUpdate, now: datetime) -> Project:
    """The project with the fields ``changes`` names (its position is the caller's: it needs the sidebar's order)."""
    return replace(
        project,
        name=changes.name if changes.name is not None else project.name,
        color=changes.color or project.color,
        archived=changes.archived if changes.archived is not None else project.archived,
        sections=_unique(changes.sections) if changes.sections is not None else project.sections,
        updated_at=now,
    )


def _position_after(store: TaskStore, user_id: str, project: Project, after_id: str | None, now: datetime) -> str:
    others = [p for p in list_projects(store=store, user_id=user_id, now=now) if not p.is_inbox and p.id != project.id]
    if after_id is None:
        return position_between("a0", others[0].position if others else None)
    index = next((i for i, p in enumerate(others) if p.id == after_id), None)
    if index is None:
        raise NotFoundError("No such project.", fields={"after_id": "does not exist"})
    following = others[index + 1].position if index + 1 < len(others) else None
    return position_between(others[index].position, following)


def _update_shared(
    store: TaskStore,
    memberships: MembershipStore,
    user: User,
    *,
    project_id: str,
    changes: ProjectUpdate,
    now: datetime,
) -> Project:
    where = access.project(user, project_id, tasks=store, memberships=memberships)
    authorize(where.role, Action.READ)
    assert where.project is not None
    project = where.project
    # Asked, not only changed: a viewer's rename is refused even when it names the current name.
    if changes.name is not None or changes.color is not None or changes.sections is not None:
        authorize(where.role, Action.RENAME_PROJECT)
    if changes.archived is not None:
        authorize(where.role, Action.ARCHIVE_PROJECT)
    updated = _changed(project, changes, now)
    entry = activity.project_changed(project, updated, user.id, at=now)  # None: nothing changed, nothing written
    saved = store.save_project(updated, activity=entry) if entry is not None else project
    mine = where.membership
    return replace(saved, position=mine.position) if mine is not None else saved


def delete_project(
    *,
    store: TaskStore,
    user_id: str,
    project_id: str,
    now: datetime,
    on_deleted: TaskDeletionListener | None = None,
    memberships: MembershipStore | None = None,
    user: User | None = None,
) -> None:
    """Delete a project and its tasks (and, through ``on_deleted``, their attachments). The Inbox stays. A shared
    project: its owner only; it leaves every member's ``shared_projects`` (their memberships go last, so a delete
    that stops midway can be retried by the owner)."""
    if memberships is not None and user is not None and project_id in user.shared_projects:
        where = access.project(user, project_id, tasks=store, memberships=memberships)
        authorize(where.role, Action.DELETE_PROJECT)
        assert where.project is not None
        for task in store.tasks_in_project(where.partition, project_id):
            store.delete_task(task)
            if on_deleted is not None:
                on_deleted.task_deleted(where.partition, task.id)
        memberships.forget_project(project_id, now=now, keep=user.id)
        store.delete_project(where.project)
        memberships.forget_project(project_id, now=now)
        return
    project = owned_project(store, user_id, project_id, now)
    if project.is_inbox:
        raise InvalidInputError("The Inbox cannot be deleted.", fields={"project_id": "is the Inbox"})
    for task in store.tasks_in_project(user_id, project_id):
        store.delete_task(task)
        if on_deleted is not None:
            on_deleted.task_deleted(user_id, task.id)
    store.delete_project(project)


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


# --- labels ---------------------------------------------------------------------------------------
def owned_label(store: TaskStore, user_id: str, label_id: str) -> Label:
    label = store.get_label(user_id, label_id)
    if label is None:
        raise NotFoundError("No such label.", fields={"label_id": "does not exist"})
    return label


def create_label(
    *, store: TaskStore, user_id: str, data: LabelCreate, now: datetime, quotas: Quotas = DEFAULT_QUOTAS
) -> Label:
    existing = {label.name.lower() for label in store.list_labels(user_id)}
    if data.name.lower() in existing:
        raise InvalidInputError("A label with this name exists.", fields={"name": "is already used"})
    if len(existing) >= quotas.labels:
        raise exceeded("labels", quotas.labels, field="labels")
    return store.save_label(
        Label(id=new_id(), user_id=user_id, name=data.name, color=data.color, created_at=now, updated_at=now)
    )


def labels_by_name(
    *, store: TaskStore, user_id: str, names: list[str], now: datetime, quotas: Quotas = DEFAULT_QUOTAS
) -> list[str]:
    """Label ids for names (case- and space-insensitive: "@homeoffice" is "Home Office", ``quick_add.name_key``),
    creating the missing labels: quick add's ``@name``. Over the label quota nothing is created."""
    known = {name_key(label.name): label.id for label in store.list_labels(user_id)}
    missing = {name_key(name) for name in names} - set(known)
    if missing and len(known) + len(missing) > quotas.labels:
        raise exceeded("labels", quotas.labels, field="label_names", hint="Use existing labels or delete some.")
    ids: list[str] = []
    for name in names:
        label_id = known.get(name_key(name))
        if label_id is None:
            label = store.save_label(
                Label(id=new_id(), user_id=user_id, name=name, color=DEFAULT_COLOR, created_at=now, updated_at=now)
            )
            label_id = known[name_key(name)] = label.id
        ids.append(label_id)
    return ids


def update_label(*, store: TaskStore, user_id: str, label_id: str, changes: LabelUpdate, now: datetime) -> Label:
    label = owned_label(store, user_id, label_id)
    renamed = changes.name is not None and changes.name.lower() != label.name.lower()
    if renamed and any(other.name.lower() == str(changes.name).lower() for other in store.list_labels(user_id)):
        raise InvalidInputError("A label with this name exists.", fields={"name": "is already used"})
    updated = replace(label, name=changes.name or label.name, color=changes.color or label.color, updated_at=now)
    return store.save_label(updated)


def delete_label(*, store: TaskStore, user_id: str, label_id: str, now: datetime) -> None:
    """Delete a label and take it off every task that has it."""
    label = owned_label(store, user_id, label_id)
    for task in store.get_tasks(user_id, store.task_ids_with_label(user_id, label_id)).values():
        store.save_task(
            replace(task, labels=tuple(x for x in task.labels if x != label_id), updated_at=now), previous=task
        )
    store.delete_label(label)
