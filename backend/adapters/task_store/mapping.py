"""Items of the Tasks table <-> domain objects: tasks (with their index keys), projects, labels, label links, search
words, and a task in a stream record's image."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from backend.adapters.task_store.models import (
    LABEL,
    LINK,
    PROJECT,
    TASK,
    WORD,
    CompletionAttribute,
    LabelLinkModel,
    LabelModel,
    ProjectModel,
    SearchWordModel,
    SubtaskAttribute,
    TaskModel,
)
from backend.domain import search
from backend.domain.tasks import Completion, Label, Project, Status, Subtask, Task


def task_item(task: Task) -> TaskModel:
    done = task.status is Status.DONE
    item = TaskModel(
        user_id=task.user_id,
        sk=TASK + task.id,
        task_id=task.id,
        project_id=task.project_id,
        title=task.title,
        notes=task.notes,
        status=task.status.value,
        priority=task.priority,
        due_date=task.due_date.isoformat() if task.due_date else None,
        due_time=task.due_time.strftime("%H:%M") if task.due_time else None,
        start_date=task.start_date.isoformat() if task.start_date else None,
        section=task.section,
        labels=list(task.labels),
        subtasks=[SubtaskAttribute(id=s.id, title=s.title, done=s.done) for s in task.subtasks],
        recurrence=task.recurrence,
        recurrence_anchor=task.recurrence_anchor.isoformat() if task.recurrence_anchor else None,
        position=task.position,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
        history=[
            CompletionAttribute(
                due_date=c.due_date.isoformat() if c.due_date else None, completed_at=c.completed_at, by=c.by
            )
            for c in task.history
        ],
        search_text=task.search_text,
        status_pk=f"{task.user_id}#{task.status.value}",
        due_sk=f"{task.due_key}#{task.id}",
        priority_sk=f"{task.priority}#{task.due_key}#{task.id}",
        project_pk=f"{task.user_id}#{task.project_id}",
        project_sk=f"{task.status.value}#{task.position}#{task.id}",
        done_pk=task.user_id if done else None,
        completed_sk=f"{task.completed_at.isoformat()}#{task.id}" if done and task.completed_at else None,
        attachment_count=task.attachment_count or None,
        comment_count=task.comment_count or None,
        assignee_id=task.assignee_id,
        assignee_pk=f"{task.assignee_id}#{task.status.value}" if task.assignee_id else None,
        created_by=task.created_by,
        updated_by=task.updated_by,
        completed_by=task.completed_by if done else None,
        parent_id=task.parent_id,
        parent_pk=f"{task.user_id}#{task.parent_id}" if task.parent_id else None,
        depth=task.depth or None,
        subtask_count=task.subtask_count or None,
        subtask_done=task.subtask_done or None,
        reset_subtasks=task.reset_subtasks or None,
    )
    if task.version:
        item.version = task.version
    return item


def task_of(item: TaskModel) -> Task:
    return Task(
        id=item.task_id,
        user_id=item.user_id,
        project_id=item.project_id,
        title=item.title,
        notes=item.notes or "",
        status=Status(item.status),
        priority=int(item.priority),
        due_date=date.fromisoformat(item.due_date) if item.due_date else None,
        due_time=time.fromisoformat(item.due_time) if item.due_time else None,
        start_date=date.fromisoformat(item.start_date) if item.start_date else None,
        section=item.section,
        labels=tuple(str(label) for label in item.labels or ()),
        subtasks=tuple(Subtask(id=s.id, title=s.title, done=bool(s.done)) for s in item.subtasks or ()),
        recurrence=item.recurrence,
        recurrence_anchor=date.fromisoformat(item.recurrence_anchor) if item.recurrence_anchor else None,
        position=item.position,
        created_at=item.created_at,
        updated_at=item.updated_at,
        completed_at=item.completed_at,
        history=tuple(
            Completion(
                due_date=date.fromisoformat(c.due_date) if c.due_date else None,
                completed_at=c.completed_at,
                by=c.by,
            )
            for c in item.history or ()
        ),
        version=int(item.version or 0),
        attachment_count=int(item.attachment_count or 0),
        comment_count=int(item.comment_count or 0),
        assignee_id=item.assignee_id,
        created_by=item.created_by,
        updated_by=item.updated_by,
        completed_by=item.completed_by,
        parent_id=item.parent_id,
        depth=int(item.depth or 0),
        subtask_count=int(item.subtask_count or 0),
        subtask_done=int(item.subtask_done or 0),
        reset_subtasks=bool(item.reset_subtasks),
    )


def project_of(item: ProjectModel) -> Project:
    return Project(
        id=item.project_id,
        user_id=item.user_id,
        name=item.name,
        color=item.color,
        position=item.position,
        is_inbox=bool(item.is_inbox),
        archived=bool(item.archived),
        sections=tuple(str(section) for section in item.sections or ()),
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


def project_item(project: Project) -> ProjectModel:
    item = ProjectModel(
        user_id=project.user_id,
        sk=PROJECT + project.id,
        project_id=project.id,
        name=project.name,
        color=project.color,
        position=project.position,
        is_inbox=project.is_inbox,
        archived=project.archived,
        sections=list(project.sections),
        created_at=project.created_at,
        updated_at=project.updated_at,
    )
    if project.version:
        item.version = project.version
    return item


def label_of(item: LabelModel) -> Label:
    return Label(
        id=item.label_id,
        user_id=item.user_id,
        name=item.name,
        color=item.color,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


def label_item(label: Label) -> LabelModel:
    item = LabelModel(
        user_id=label.user_id,
        sk=LABEL + label.id,
        label_id=label.id,
        name=label.name,
        color=label.color,
        created_at=label.created_at,
        updated_at=label.updated_at,
    )
    if label.version:
        item.version = label.version
    return item


def link_item(user_id: str, label_id: str, task_id: str) -> LabelLinkModel:
    return LabelLinkModel(user_id=user_id, sk=f"{LINK}{label_id}#{task_id}", task_id=task_id)


def word_item(user_id: str, term: str, task_id: str) -> SearchWordModel:
    return SearchWordModel(user_id=user_id, sk=f"{WORD}{term}#{task_id}", task_id=task_id)


def index_terms(task: Task | None) -> frozenset[str]:
    return search.index_terms(task.title, task.notes) if task is not None else frozenset()


def index_items(task: Task) -> list[SearchWordModel]:
    """The search index entries of a task (what the write path keeps; the bench seeds them with its tasks)."""
    return [word_item(task.user_id, term, task.id) for term in sorted(index_terms(task))]


def task_from_image(image: dict[str, Any]) -> Task:
    """The task in a stream record's image (DynamoDB JSON), as the repository would read it."""
    return task_of(TaskModel.from_raw_data(image))
