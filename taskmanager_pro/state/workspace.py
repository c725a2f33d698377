"""The sidebar's data: projects and labels (list, create, rename, recolour, reorder, archive, delete) and the
user's calendar (time zone → "today"), shared by every task page."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from backend.client import ApiError
from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.clients import api, call
from taskmanager_pro.state.views import COLORS, LabelItem, ProjectItem, label_item, project_item

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


class WorkspaceState(AppState):
    projects: list[ProjectItem] = []
    labels: list[LabelItem] = []
    timezone: str = "UTC"
    workspace_error: str = ""
    show_archived: bool = False
    workspace_loaded: bool = False

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
    def today(self) -> date:
        """The user's calendar day (their profile's time zone)."""
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return datetime.now(zone).date()

    def project_map(self) -> dict[str, ProjectItem]:
        return {p.id: p for p in self.projects}

    def label_map(self) -> dict[str, LabelItem]:
        return {label.id: label for label in self.labels}

    async def refresh(self) -> bool:
        """Projects, labels and the time zone, fresh from the API; False (with a message) if that failed.

        Three calls at once: on the first page of a tab that needs the sidebar, and after a change to projects or
        labels (made here, or heard live)."""
        if not await self._ensure_session():
            return False
        client = api(self._access_token)
        try:
            # (the profile too: its time zone may have changed in settings, or in another tab)
            projects, labels, profile = await asyncio.gather(
                call(client.list_projects), call(client.list_labels), call(client.get_me)
            )
        except ApiError as error:
            self.workspace_error = error.message
            return False
        self.workspace_error = ""
        self.timezone = profile.timezone or "UTC"
        self._show_profile(profile)
        self.projects = [project_item(p) for p in projects]
        self.labels = [label_item(label) for label in labels]
        self.workspace_loaded = True
        return True

    # --- page load ---------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        """``on_load`` of pages without a task list (settings): the sidebar only."""
        await self.refresh()

    @rx.event
    def toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
