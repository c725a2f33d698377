"""Shared projects in the UI (issue 13): the share dialog (invite by email with a role, members and their roles,
leave, transfer the ownership, pending invitations), my invitations (accept, decline) and the activity panel.

Every action shows first and is reconciled with the server's answer (the member row appears, changes role or goes
at once; a refusal puts it back and says why, in the API's own words: 403 "Only admins …", 404, 409 "already a
member"). The server decides every permission; the dialog only hides what the user's role cannot do.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import MemberList, MemberPublic
from backend.client.sharing import GRANTABLE_ROLES
from taskmanager_pro import routes
from taskmanager_pro.state.base import signed_in
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.sharing_views import (
    ROLE_NAMES,
    ActivityItem,
    InvitationItem,
    Person,
    activity_item,
    can_edit,
    can_manage,
    people_of,
    person_of,
)
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.views import ProjectItem
from taskmanager_pro.state.workspace import DEFAULT_COLOR, WorkspaceState

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PENDING = "pending-"  # an invitation shown before the server has answered


def _on_project_page(state: rx.State, project_id: str) -> bool:
    return state.router.url.path.rstrip("/") == routes.project(project_id)


class ShareState(WorkspaceState):
    """The share dialog of one project."""

    share_open: bool = False
    share_project_id: str = ""
    share_members: list[Person] = []
    share_invites: list[Person] = []  # invitations not answered yet
    share_email: str = ""
    share_role: str = "editor"
    share_error: str = ""
    share_loading: bool = False
    share_busy: bool = False
    transfer_to: str = ""  # the member a transfer is being confirmed for
    leave_open: bool = False

    @rx.var
    def share_project_name(self) -> str:
        return next((p.name for p in self.projects if p.id == self.share_project_id), "")

    @rx.var
    def share_role_of_mine(self) -> str:
        return next((p.role for p in self.projects if p.id == self.share_project_id), "")

    @rx.var
    def share_can_invite(self) -> bool:
        return can_manage(self.share_role_of_mine)

    @rx.var
    def transfer_name(self) -> str:
        return next((p.name for p in self.share_members if p.user_id == self.transfer_to), "")

    # --- showing -----------------------------------------------------------------------------
    def _show(self, members: MemberList) -> None:
        if members.my_role:  # the server's word on my role (and on whether the project is shared) wins
            self.project_known(self.share_project_id, role=members.my_role, shared=members.shared)
        role = self.role_in(self.share_project_id)
        self.share_members = people_of(members.members, me=self._user_id, my_role=role)
        self.share_invites = people_of(members.invitations, me=self._user_id, my_role=role)
        if members.members:
            self.keep_members(self.share_project_id, members)

    def _members_now(self) -> MemberList:
        """What the dialog shows, as the API's shape (to keep, or to go back to after a refusal)."""

        def back(person: Person) -> MemberPublic:
            return MemberPublic(
                user_id=person.user_id,
                id=person.invitation_id,
                email=person.email,
                display_name=person.name,
                role=person.role,
                status="pending" if person.pending else "active",
            )

        return MemberList(
            members=[back(p) for p in self.share_members], invitations=[back(p) for p in self.share_invites]
        )

    @rx.event
    @signed_in
    async def open_share(self, project_id: str) -> AsyncGenerator[Any, None]:
        """The project menu's "Share…": the dialog at once with what is known, the members from the API."""
        project = self.project_map().get(project_id) if isinstance(project_id, str) else None
        if project is None or project.is_inbox:
            return
        self.share_project_id, self.share_open, self.share_error = project_id, True, ""
        self.share_email, self.share_role, self.transfer_to, self.leave_open = "", "editor", "", False
        known = self.members_of(project_id)
        self.share_members = known
        self.share_invites = []
        self.share_loading = True
        yield
        try:
            members = await call(self._api().list_members, project_id)
        except ApiError as error:
            self.share_loading = False
            if error.status == 404 and not project.shared:
                # A personal project nobody was invited to yet: its owner is the only member.
                me = MemberPublic(user_id=self._user_id, email=self.email, display_name=self.display_name, role="owner")
                self._show(MemberList(members=[me]))
            else:
                self.share_error = error.first_problem
            return
        self.share_loading = False
        if self.share_project_id == project_id:
            self._show(members)

    async def reload_members(self) -> None:
        """The open dialog's members again (a membership change heard live)."""
        if not self.share_open or not self.share_project_id or not await self._ensure_session():
            return
        try:
            members = await call(self._api().list_members, self.share_project_id)
        except ApiError as error:
            if error.status == 404:  # not a member any more
                self.share_open = False
            return
        self._show(members)

    @rx.event
    def set_share_open(self, value: bool) -> None:
        self.share_open = bool(value)
        if not value:
            self.transfer_to, self.leave_open = "", False

    @rx.event
    def set_share_email(self, value: str) -> None:
        self.share_email = value[:254] if isinstance(value, str) else ""
        self.share_error = ""

    @rx.event
    def set_share_role(self, value: str) -> None:
        self.share_role = value if value in GRANTABLE_ROLES else "editor"

    # --- inviting ----------------------------------------------------------------------------
    @rx.event
    @signed_in(busy="share_busy")
    async def invite(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        """Invite by email with a role: the invitation shows at once (pending), the server's answer replaces it."""
        email = self.share_email.strip().lower()
        project_id, role = self.share_project_id, self.share_role
        if not _EMAIL.match(email):
            self.share_error = "Enter the email address of the person to invite."
            return
        if any(p.email.lower() == email for p in [*self.share_members, *self.share_invites]):
            self.share_error = f"{email} is already a member or invited."
            return
        was_shared = self.project_map().get(project_id, None)
        shown = MemberPublic(id=f"{PENDING}{email}", email=email, role=role, status="pending")
        self.share_invites = [*self.share_invites, person_of(shown, me=self._user_id)]
        self.share_email, self.share_error = "", ""
        yield
        try:
            added = await call(self._api().add_member, project_id, email, role)
        except ApiError as error:
            self.share_invites = [p for p in self.share_invites if p.invitation_id != f"{PENDING}{email}"]
            self.share_email, self.share_error = email, error.first_problem
            return
        my_role = self.role_in(project_id)
        person = person_of(added, me=self._user_id, my_role=my_role)
        others = [p for p in self.share_invites if p.invitation_id != f"{PENDING}{email}"]
        if person.pending:
            self.share_invites = [*others, person]
        else:
            self.share_invites = others
            self.share_members = [*self.share_members, person]
        if was_shared is not None and not was_shared.shared:
            # The first invitation made the project shared: the sidebar marks it and the member list follows.
            self.projects = [dataclasses.replace(p, shared=True) if p.id == project_id else p for p in self.projects]
        yield rx.toast.success(
            f"{email} is invited as {ROLE_NAMES.get(role, role).lower()}."
            if person.pending
            else f"{person.name} is now a member.",
            id="shared",
        )

    # --- members -----------------------------------------------------------------------------
    @rx.event
    @signed_in
    async def change_role(self, user_id: str, role: str) -> AsyncGenerator[Any, None]:
        before = next((p for p in self.share_members if p.user_id == user_id), None)
        if before is None or role not in GRANTABLE_ROLES or role == before.role:
            return
        kept = self._members_now()
        self.share_members = [
            dataclasses.replace(p, role=role, role_name=ROLE_NAMES[role]) if p.user_id == user_id else p
            for p in self.share_members
        ]
        self.share_error = ""
        yield
        try:
            await call(self._api().change_role, self.share_project_id, user_id, role)
        except ApiError as error:
            self._show(kept)
            self.share_error = error.first_problem
            return
        self.keep_members(self.share_project_id, self._members_now())
        yield rx.toast.success(f"{before.name} is now {ROLE_NAMES[role].lower()}.", id="shared")

    @rx.event
    @signed_in
    async def remove_member(self, user_id: str) -> AsyncGenerator[Any, None]:
        """Remove a member (their past work stays), or cancel a pending invitation (by its id)."""
        person = next((p for p in self.share_members if p.user_id == user_id), None)
        invite = next((p for p in self.share_invites if p.invitation_id == user_id), None)
        if (person is None and invite is None) or user_id == self._user_id or user_id.startswith(PENDING):
            return
        kept = self._members_now()
        self.share_members = [p for p in self.share_members if p.user_id != user_id]
        self.share_invites = [p for p in self.share_invites if p.invitation_id != user_id]
        self.share_error = ""
        yield
        try:
            await call(self._api().remove_member, self.share_project_id, user_id)
        except ApiError as error:
            if error.status != 404:
                self._show(kept)
                self.share_error = error.first_problem
                return
        self.keep_members(self.share_project_id, self._members_now())
        what = f"{person.name} is removed from the project." if person else "The invitation is cancelled."
        yield rx.toast.info(what, id="shared")

    @rx.event
    def set_leave_open(self, value: bool) -> None:
        self.leave_open = bool(value)

    @rx.event
    def ask_leave(self, project_id: str) -> None:
        """The project menu's "Leave…": the confirmation (the share dialog stays closed)."""
        project = self.project_map().get(project_id) if isinstance(project_id, str) else None
        if project is not None and project.shared and project.role != "owner":
            self.share_project_id, self.leave_open = project.id, True

    @rx.event
    @signed_in
    async def leave(self) -> AsyncGenerator[Any, None]:
        """Leave the project: it goes from the sidebar (and its tasks from every list) at once."""
        project = self.project_map().get(self.share_project_id)
        self.leave_open = False
        if project is None:
            return
        kept = list(self.projects)
        self.share_open = False
        self.forget_project(project.id)
        tasks = await self.get_state(TasksState)
        tasks.project_gone(project.id)
        yield
        try:
            await call(self._api().remove_member, project.id, self._user_id)
        except ApiError as error:
            if error.status != 404:
                self.projects = kept
                tasks.workspace_changed()
                yield rx.toast.error(error.first_problem, id="shared")
                return
        if _on_project_page(self, project.id):
            yield rx.redirect(routes.INBOX)
        yield rx.toast.info(f"You left “{project.name}”.", id="shared")

    @rx.event
    def ask_transfer(self, user_id: str) -> None:
        self.transfer_to = user_id if any(p.user_id == user_id for p in self.share_members) else ""

    @rx.event
    def set_transfer_open(self, value: bool) -> None:
        if not value:
            self.transfer_to = ""

    @rx.event
    @signed_in
    async def transfer(self) -> AsyncGenerator[Any, None]:
        """Hand the ownership to ``transfer_to`` (PATCH its role to "owner"); the owner becomes an admin."""
        target = next((p for p in self.share_members if p.user_id == self.transfer_to), None)
        self.transfer_to = ""
        if target is None:
            return
        kept = self._members_now()
        self.share_members = [
            dataclasses.replace(p, role="owner", role_name=ROLE_NAMES["owner"])
            if p.user_id == target.user_id
            else dataclasses.replace(p, role="admin", role_name=ROLE_NAMES["admin"])
            if p.is_me
            else p
            for p in self.share_members
        ]
        yield
        try:
            await call(self._api().change_role, self.share_project_id, target.user_id, "owner")
        except ApiError as error:
            self._show(kept)
            self.share_error = error.first_problem
            return
        await self.refresh()  # my role in the project changed: the sidebar and the dialog follow
        await self.reload_members()
        (await self.get_state(TasksState)).workspace_changed()
        yield rx.toast.success(f"{target.name} owns the project now.", id="shared")


class InvitationsState(WorkspaceState):
    """My pending invitations (the sidebar's "Invitations"): accept or decline."""

    @rx.event
    @signed_in
    async def accept(self, invitation_id: str) -> AsyncGenerator[Any, None]:
        """Accept: the invitation goes at once; the project appears in the sidebar with the server's answer."""
        invitation = self._take(invitation_id)
        if invitation is None:
            return
        kept = list(self.projects)
        if invitation.project_id and invitation.project_id not in self.project_map():
            # In the sidebar at once, as the invitation names it; the server's project (colour, members) follows.
            joined = ProjectItem(
                id=invitation.project_id,
                name=invitation.project_name,
                color=DEFAULT_COLOR,
                is_inbox=False,
                archived=False,
                sections=[],
                role=invitation.role,
                shared=True,
                can_edit=can_edit(invitation.role),
                can_manage=can_manage(invitation.role),
            )
            self.projects = [*self.projects, joined]
        yield
        try:
            await call(self._api().accept_invitation, invitation.id)
        except ApiError as error:
            self.projects = kept
            if error.status != 404:
                self.invitations = [*self.invitations, invitation]
            yield rx.toast.error(error.first_problem, id="invitation")
            return
        await self.refresh()
        tasks = await self.get_state(TasksState)
        tasks.workspace_changed()
        tasks.forget_cached_lists()
        if tasks.loaded:
            yield tasks.reload()  # the project's tasks may belong in the list shown (Today, Upcoming)
        action = {"label": "Open", "on_click": rx.redirect(routes.project(invitation.project_id))}
        yield rx.toast.success(f"You joined “{invitation.project_name}”.", action=action, id="invitation")

    @rx.event
    @signed_in
    async def decline(self, invitation_id: str) -> AsyncGenerator[Any, None]:
        invitation = self._take(invitation_id)
        if invitation is None:
            return
        yield
        try:
            await call(self._api().decline_invitation, invitation.id)
        except ApiError as error:
            if error.status != 404:
                self.invitations = [*self.invitations, invitation]
                yield rx.toast.error(error.first_problem, id="invitation")
            return
        yield rx.toast.info(f"Invitation to “{invitation.project_name}” declined.", id="invitation")

    def _take(self, invitation_id: Any) -> InvitationItem | None:
        invitation = next((i for i in self.invitations if i.id == invitation_id), None)
        if invitation is not None:
            self.invitations = [i for i in self.invitations if i.id != invitation.id]
        return invitation


class ActivityState(WorkspaceState):
    """A shared project's activity log, newest first, a page at a time."""

    activity_open: bool = False
    activity_project_id: str = ""
    activity: list[ActivityItem] = []
    activity_cursor: str = ""
    activity_loading: bool = False
    activity_error: str = ""

    @rx.var
    def activity_project_name(self) -> str:
        return next((p.name for p in self.projects if p.id == self.activity_project_id), "")

    def _names(self) -> dict[str, str]:
        return {user_id: avatar.name for user_id, avatar in self.people().items()}

    @rx.event
    @signed_in
    async def open_activity(self, project_id: str) -> AsyncGenerator[Any, None]:
        if not isinstance(project_id, str) or project_id not in self.project_map():
            return
        self.activity_open, self.activity_project_id, self.activity_error = True, project_id, ""
        self.activity, self.activity_cursor, self.activity_loading = [], "", True
        yield
        await self._load_page(project_id, None)

    @rx.event
    @signed_in
    async def more_activity(self) -> AsyncGenerator[Any, None]:
        if not self.activity_cursor or self.activity_loading:
            return
        self.activity_loading = True
        yield
        await self._load_page(self.activity_project_id, self.activity_cursor)

    async def _load_page(self, project_id: str, cursor: str | None) -> None:
        try:
            page = await call(self._api().list_activity, project_id, cursor=cursor)
        except ApiError as error:
            self.activity_loading, self.activity_error = False, error.first_problem
            return
        self.activity_loading = False
        if project_id != self.activity_project_id:
            return
        today, names = self.today(), self._names()
        known = {item.id for item in self.activity}
        fresh = [activity_item(e, me=self._user_id, names=names, today=today) for e in page.items]
        self.activity = [*self.activity, *(item for item in fresh if not item.id or item.id not in known)]
        self.activity_cursor = page.next_cursor or ""

    async def activity_heard(self, project_id: str) -> None:
        """Something happened in a project: an open log of it shows the newest entries (its first page again)."""
        if self.activity_open and self.activity_project_id == project_id and await self._ensure_session():
            self.activity, self.activity_cursor = [], ""
            await self._load_page(project_id, None)

    @rx.event
    def set_activity_open(self, value: bool) -> None:
        self.activity_open = bool(value)


__all__ = ["ActivityState", "InvitationsState", "ShareState"]
