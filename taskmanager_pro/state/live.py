"""What a change made elsewhere does to a tab: the list, the open panel, the sidebar, the bell (``apply_change``).

Changes reach this process from ``backend.client.live.changes`` (the Tasks and Notifications streams, relayed
through Redis pub/sub, see docs/decisions.md "Live updates"); ``taskmanager_pro.live`` finds the tabs of the user
and calls ``apply_change`` inside ``app.modify_state``, which sends the tab its delta.
"""

from __future__ import annotations

import contextlib

from reflex.state import BaseState

from backend.client import ApiError
from backend.client.live import Change
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.notifications import NotificationsState
from taskmanager_pro.state.stats import StatsState
from taskmanager_pro.state.task_detail import TaskDetailState
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.workspace import WorkspaceState


async def apply_change(root: BaseState, change: Change) -> bool:
    """Apply one change to the tab whose root state is ``root`` (already locked by ``modify_state``).

    False when the tab does not show the change's user (any more): signed out, another user, or a state the
    server no longer holds."""
    tasks = await root.get_state(TasksState)
    if change.user_id != tasks._user_id:
        return False
    if change.kind == "task":
        task = change.task if change.op == "upsert" else None
        if tasks.loaded:
            tasks.task_heard(task, change.id)
        detail = await root.get_state(TaskDetailState)
        if task is not None and detail.detail_open and detail.d_id == task.id:
            detail.show_stored(task)
    elif change.kind in {"project", "label", "profile"}:
        workspace = await root.get_state(WorkspaceState)
        if workspace.workspace_loaded and await workspace.refresh():
            tasks.workspace_changed()
    elif change.kind == "notification":
        bell = await root.get_state(NotificationsState)
        if change.unread is not None:
            bell.unread = change.unread
        elif await bell._ensure_session():
            with contextlib.suppress(ApiError):  # the bell stays as it was; the next change asks again
                bell.unread = await call(bell._api().unread_count)
    return True


async def stats_shown(root: BaseState) -> bool:
    """Whether the tab shows the statistics (a task change there calls for fresh figures, a moment later)."""
    return (await root.get_state(StatsState)).showing()


async def refresh_stats(root: BaseState) -> None:
    await (await root.get_state(StatsState)).refresh_figures()
