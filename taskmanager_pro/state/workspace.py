"""The sidebar's data: projects and labels (list, create, rename, recolour, reorder, archive, delete) and the
user's calendar (time zone → "today"), shared by every task page."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from backend.client import ApiClient, ApiError
from backend.client.api import InvitationPublic, MemberList, MemberPublic, ProjectPublic
from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.clients import api, call
from taskmanager_pro.state.sharing_views import (
    InvitationItem,
    Person,
    can_edit,
    can_manage,
    invitation_item,
    people_of,
)
from taskmanager_pro.state.views import (
    COLORS,
    Avatar,
    LabelItem,
    ProjectItem,
    label_item,
    project_item,
)

DEFAULT_COLOR = COLORS[10][1]  # blue
MAX_SECTIONS = 20


def sections_of(text: str) -> list[str]:
    """One section per line (or comma), trimmed, without duplicates or empties, in the order typed."""
    names = [part.strip()[:40] for line in text.splitlines() for part in line.split(",")]
    return list(dict.fromkeys(name for name in names if name))


def color_of(value: str) -> str:
    value = value.strip().lower()
    ok = len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdef" for c in value[1:])
    return value if ok else DEFAULT_COLOR


async def _invitations(client: ApiClient) -> list[InvitationPublic]:
    """My pending invitations; none when they cannot be read now (the sidebar works without them)."""
    try:
        return await call(client.list_invitations)
    except ApiError:
        return []


def _members_in(project: ProjectPublic) -> list[MemberPublic] | None:
    """The members a project's answer carries (shared projects: ids, names, initials, roles), None if it has none."""
    if not project.members:
        return None
    return [MemberPublic.model_validate(m.model_dump()) for m in project.members]


async def _members_of_shared(
    client: ApiClient, projects: list[ProjectPublic], me: str, known: dict[str, list[Person]]
) -> dict[str, list[Person]]:
    """The members of each shared project: from the projects' answer (no call), else read at once (a user has a few;
    at most 50). A project whose members cannot be read now keeps what was known of them."""
    members: dict[str, list[Person]] = {}
    shared = [p for p in projects if project_item(p).shared]
    for project in shared:
        if (carried := _members_in(project)) is not None:
            members[project.id] = people_of(carried, me=me, my_role=project_item(project).role)
    wanted = [p for p in shared if p.id not in members]
    answers = await asyncio.gather(*(call(client.list_members, p.id) for p in wanted), return_exceptions=True)
    for project, answer in zip(wanted, answers, strict=True):
        if isinstance(answer, MemberList):
            role = answer.my_role or project_item(project).role
            members[project.id] = people_of(answer.members, me=me, my_role=role)
        elif project.id in known:
            members[project.id] = known[project.id]
    return members


class WorkspaceState(AppState):
    projects: list[ProjectItem] = []
    labels: list[LabelItem] = []
    timezone: str = "UTC"
    date_order: str = "DMY"  # how quick add reads numeric dates (the profile's, issue 14)
    workspace_error: str = ""
    show_archived: bool = False
    workspace_loaded: bool = False
    invitations: list[InvitationItem] = []  # invitations to me, not answered yet (the sidebar's Invitations)

    _members: dict[str, list[Person]] = {}  # shared project id -> its members (assignee picker, @mentions)

    # --- derived -----------------------------------------------------------------------------
    @rx.var
    def active_projects(self) -> list[ProjectItem]:
        """The projects in the sidebar (the Inbox has its own entry; archived ones are folded away)."""
        return [p for p in self.projects if not p.is_inbox and not p.archived]

    @rx.var
    def archived_projects(self) -> list[ProjectItem]:
        return [p for p in self.projects if p.archived]

    @rx.var
    def open_projects(self) -> list[ProjectItem]:
        """Where a task can go: the Inbox and every project that is not archived."""
        return [p for p in self.projects if not p.archived]

    # --- helpers -----------------------------------------------------------------------------
    def zone(self) -> ZoneInfo:
        """The user's time zone (their profile's; UTC until it is known)."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def today(self) -> date:
        """The user's calendar day (their profile's time zone)."""
        return datetime.now(self.zone()).date()

    def project_map(self) -> dict[str, ProjectItem]:
        return {p.id: p for p in self.projects}

    def label_map(self) -> dict[str, LabelItem]:
        return {label.id: label for label in self.labels}

    def role_in(self, project_id: str) -> str:
        """The user's role in a project ("owner" of their own; "" when it is not theirs to see)."""
        project = self.project_map().get(project_id)
        return project.role if project else ""

    def members_of(self, project_id: str) -> list[Person]:
        return list(self._members.get(project_id, []))

    def people(self) -> dict[str, Avatar]:
        """Every member of every shared project, by user id (a task row's assignee)."""
        known: dict[str, Avatar] = {}
        for project in self.projects:
            known |= {a.user_id: a for a in project.avatars if a.user_id}
        for members in self._members.values():
            known |= {
                p.user_id: Avatar(user_id=p.user_id, initials=p.initials, name=p.name, color=p.color)
                for p in members
                if p.user_id
            }
        return known

    def keep_members(self, project_id: str, members: MemberList) -> None:
        """A shared project's members as just read (the share dialog, a live membership change)."""
        role = self.role_in(project_id)
        self._members = {**self._members, project_id: people_of(members.members, me=self._user_id, my_role=role)}
        self.projects = [self._with_avatars(p) for p in self.projects]

    def _with_avatars(self, project: ProjectItem) -> ProjectItem:
        people = self._members.get(project.id)
        if people is None or (project.avatars and all(a.user_id for a in project.avatars)):
            return project
        avatars = [Avatar(user_id=p.user_id, initials=p.initials, name=p.name, color=p.color) for p in people]
        return dataclasses.replace(project, avatars=avatars, shared=project.shared or len(avatars) > 1)

    def project_known(self, project_id: str, *, role: str, shared: bool) -> None:
        """My role in a project and whether it is shared, as an answer about its members says."""
        self.projects = [
            dataclasses.replace(
                p,
                role=role,
                shared=shared or p.shared,
                can_edit=can_edit(role),
                can_manage=can_manage(role),
            )
            if p.id == project_id
            else p
            for p in self.projects
        ]

    def forget_project(self, project_id: str) -> None:
        """A project the user no longer sees (left it, was removed, it was deleted): off the sidebar at once."""
        self.projects = [p for p in self.projects if p.id != project_id]
        self._members = {k: v for k, v in self._members.items() if k != project_id}

    async def refresh(self) -> bool:
        """Projects, labels and the time zone, fresh from the API; False (with a message) if that failed.

        Three calls at once: on the first page of a tab that needs the sidebar, and after a change to projects or
        labels (made here, or heard live)."""
        if not await self._ensure_session():
            return False
        client = api(self._access_token)
        try:
            # (the profile too: its time zone may have changed in settings, or in another tab)
            projects, labels, profile, invitations = await asyncio.gather(
                call(client.list_projects), call(client.list_labels), call(client.get_me), _invitations(client)
            )
        except ApiError as error:
            self.workspace_error = error.message
            return False
        self.workspace_error = ""
        self.timezone = profile.timezone or "UTC"
        self.date_order = profile.preferences.date_order
        self._show_profile(profile)
        self._members = await _members_of_shared(client, projects, self._user_id, self._members)
        self.projects = [self._with_avatars(project_item(p)) for p in projects]
        self.labels = [label_item(label) for label in labels]
        self.invitations = [invitation_item(i) for i in invitations]
        self.workspace_loaded = True
        return True

    async def refresh_invitations(self) -> None:
        """Only the invitations (one heard live): the sidebar's badge and list."""
        if await self._ensure_session():
            self.invitations = [invitation_item(i) for i in await _invitations(api(self._access_token))]

    # --- page load ---------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        """``on_load`` of pages without a task list (settings): the sidebar only."""
        await self.refresh()

    @rx.event
    def toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
