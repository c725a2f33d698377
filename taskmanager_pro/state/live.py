"""What a change made elsewhere does to a tab: the list, the open panel, the sidebar, the bell (``apply_change``).

Changes reach this process from ``backend.client.live.changes`` (the Tasks and Notifications streams, relayed
through Redis pub/sub, see docs/decisions.md "Live updates"); ``taskmanager_pro.live`` finds the tabs of the user
and calls ``apply_change`` inside ``app.modify_state``, which sends the tab its delta.
"""

from __future__ import annotations

import contextlib

from reflex.state import BaseState

from backend.client import ApiError
from backend.client.api import CommentPublic, TaskPublic
from backend.client.live import Change
from taskmanager_pro.state.calendar import CalendarState
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.comments import CommentsState
from taskmanager_pro.state.notifications import NotificationsState
from taskmanager_pro.state.sharing import ActivityState, ShareState
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
    kind = str(change.kind)
    if kind == "task":
        task = change.task if change.op == "upsert" else None
        if tasks.loaded:
            tasks.task_heard(task, change.id)
        await _calendar_heard(root, task, change.id)
        detail = await root.get_state(TaskDetailState)
        if task is not None and detail.detail_open and detail.d_id == task.id:
            detail.show_stored(task)  # (its comments come as their own changes: see "comment")
        await (await root.get_state(ActivityState)).activity_heard(task.project_id if task else "")
        workspace = await root.get_state(WorkspaceState)
        if task is not None and workspace.workspace_loaded and task.project_id not in workspace.project_map():
            await _workspace_heard(root, tasks, "project")  # a project joined elsewhere (another tab, the email link)
    elif kind == "comment":
        # new, edited or deleted: the open panel applies it in place (the row's count comes with the task's change)
        comments = await root.get_state(CommentsState)
        comment = CommentPublic.model_validate(change.comment.model_dump()) if change.comment is not None else None
        comments.comment_heard(change.id, comment, deleted=change.op == "delete")
        activity = await root.get_state(ActivityState)  # (an open log's first page again: an edit is logged too)
        await activity.activity_heard(activity.activity_project_id)
    elif kind in WORKSPACE_KINDS:
        await _workspace_heard(root, tasks, kind)
    elif kind == "notification":
        bell = await root.get_state(NotificationsState)
        if change.unread is not None:
            bell.unread = change.unread
        elif await bell._ensure_session():
            with contextlib.suppress(ApiError):  # the bell stays as it was; the next change asks again
                bell.unread = await call(bell._api().unread_count)
        # (an invitation may come as an inbox notification: the sidebar's invitations follow with one read)
        workspace = await root.get_state(WorkspaceState)
        if workspace.workspace_loaded and change.op == "upsert":
            await workspace.refresh_invitations()
    return True


async def _calendar_heard(root: BaseState, task: TaskPublic | None, task_id: str) -> None:
    calendar = await root.get_state(CalendarState)
    if calendar.loaded:
        calendar.task_heard(task, task_id)


# What changes the sidebar: projects (a shared one renamed, joined, left, or one I was removed from), memberships,
# invitations to me, labels and the profile.
WORKSPACE_KINDS = frozenset({"project", "label", "profile", "member", "membership", "invitation"})


async def _workspace_heard(root: BaseState, tasks: TasksState, kind: str) -> None:
    workspace = await root.get_state(WorkspaceState)
    if not workspace.workspace_loaded:
        if kind == "invitation":
            await workspace.refresh_invitations()
        return
    before = set(workspace.project_map())
    if not await workspace.refresh():
        return
    tasks.workspace_changed()
    after = set(workspace.project_map())
    for project_id in before - after:  # removed from it (or it was deleted): it leaves this screen now
        tasks.project_gone(project_id)
        detail = await root.get_state(TaskDetailState)
        if detail.detail_open and detail.d_project_id == project_id:
            detail.detail_open = False
    if before != after and tasks.loaded:
        tasks.forget_cached_lists()
        if after - before:
            await tasks.refetch()  # a project joined elsewhere: its tasks may belong in the list shown
    if kind in {"member", "membership", "project"}:
        await (await root.get_state(ShareState)).reload_members()


async def stats_shown(root: BaseState) -> bool:
    """Whether the tab shows the statistics (a task change there calls for fresh figures, a moment later)."""
    return (await root.get_state(StatsState)).showing()


async def refresh_stats(root: BaseState) -> None:
    await (await root.get_state(StatsState)).refresh_figures()
