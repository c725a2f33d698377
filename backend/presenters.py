"""Domain objects → API shapes (one place; outside the API package so a service, e.g. live updates, may shape
what it sends without importing the API layer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backend.domain import recurrence
from backend.domain.comments import Comment
from backend.domain.sharing import Membership, Role, initials
from backend.domain.tasks import Label, Project, Status, Task
from backend.schemas import CompletionPublic, LabelPublic, ProjectMember, ProjectPublic, SubtaskPublic, TaskPublic
from backend.schemas_comments import CommentPublic


def task_public(task: Task, now_local: datetime) -> TaskPublic:
    return TaskPublic(
        id=task.id,
        title=task.title,
        notes=task.notes,
        status=task.status.value,
        priority=task.priority,
        due_date=task.due_date,
        due_time=task.due_time,
        start_date=task.start_date,
        project_id=task.project_id,
        section=task.section,
        labels=list(task.labels),
        subtasks=[SubtaskPublic(id=s.id, title=s.title, done=s.done) for s in task.subtasks],
        recurrence=task.recurrence,
        recurrence_text=recurrence.describe(task.recurrence) if task.recurrence else None,
        position=task.position,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
        history=[CompletionPublic(due_date=c.due_date, completed_at=c.completed_at) for c in task.history],
        overdue=task.is_overdue(now_local),
        version=task.version,
        attachment_count=task.attachment_count,
        comment_count=task.comment_count,
        assignee_id=task.assignee_id,
        created_by=task.actor_of(task.created_by),
        completed_by=task.actor_of(task.completed_by) if task.status is Status.DONE else None,
        parent_id=task.parent_id,
        depth=task.depth,
        subtask_count=task.subtask_count,
        subtask_done=task.subtask_done,
        reset_subtasks=task.reset_subtasks,
    )


def project_public(
    project: Project, *, role: Role = Role.OWNER, members: Sequence[Membership] | None = None
) -> ProjectPublic:
    """``members``: a shared project's (None: a personal one)."""
    return ProjectPublic(
        role=role.value,
        shared=members is not None,
        members=None
        if members is None
        else [
            ProjectMember(
                user_id=m.user_id, display_name=m.display_name, initials=initials(m.display_name), role=m.role.value
            )
            for m in members
        ],
        id=project.id,
        name=project.name,
        color=project.color,
        position=project.position,
        is_inbox=project.is_inbox,
        archived=project.archived,
        sections=list(project.sections),
        created_at=project.created_at,
        updated_at=project.updated_at,
        version=project.version,
    )


def label_public(label: Label) -> LabelPublic:
    return LabelPublic(
        id=label.id,
        name=label.name,
        color=label.color,
        created_at=label.created_at,
        updated_at=label.updated_at,
        version=label.version,
    )


def comment_public(comment: Comment, author_name: str) -> CommentPublic:
    """A comment as the API answers it (and as a live change carries it)."""
    return CommentPublic(
        id=comment.public_id,
        task_id=comment.task_id,
        author_id=comment.author_id,
        author_name=author_name,
        body=comment.body,
        mentions=list(comment.mentions),
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        version=comment.version,
    )
