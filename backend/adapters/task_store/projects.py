"""Project and label persistence on the Tasks table (``PROJECT#<id>``, ``LABEL#<id>``)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store import counters, search_index
from backend.adapters.task_store.activity import activity_item
from backend.adapters.task_store.mapping import label_item, label_of, project_item, project_of
from backend.adapters.task_store.models import LABEL, PROJECT, LabelModel, ProjectModel, connection
from backend.adapters.write_errors import is_conditional_failure
from backend.domain.activity import ActivityEntry
from backend.domain.tasks import Label, Project
from backend.errors import ConflictError


class ProjectLabelStore:
    """The projects and labels part of the ``TaskStore`` port (``DynamoTaskStore`` hands these calls here)."""

    # --- projects ---
    def list_projects(self, user_id: str) -> list[Project]:
        items = ProjectModel.query(user_id, ProjectModel.sk.startswith(PROJECT), consistent_read=True)
        return sorted((project_of(item) for item in items), key=lambda p: (not p.is_inbox, p.position))

    def get_project(self, user_id: str, project_id: str) -> Project | None:
        try:
            return project_of(ProjectModel.get(user_id, PROJECT + project_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save_project(self, project: Project, *, activity: ActivityEntry | None = None) -> Project:
        """Put the project if it is still at the version read; ``activity``: a shared project's log row of the
        change, in the same transaction (the log holds exactly the changes made)."""
        item = project_item(project)
        stale = "The project was changed meanwhile; reload it and try again."
        try:
            if activity is None:
                item.save()
            else:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.save(item)
                    transaction.save(activity_item(project.user_id, activity))
        except (PutError, TransactWriteError) as exc:
            if is_conditional_failure(exc):
                raise ConflictError(stale) from exc
            raise
        return project_of(item)

    def add_project_once(self, project: Project) -> Project:
        """Create unless it exists (the Inbox, created on first use by concurrent requests)."""
        try:
            saved = self.save_project(project)
        except ConflictError:
            existing = self.get_project(project.user_id, project.id)
            if existing is None:
                raise
            return existing
        if project.is_inbox:
            # A new user's Inbox comes before any of their tasks, so every task will go through the write path
            # and its search index and counters: nothing to backfill, nothing to count.
            search_index.mark_indexed(project.user_id)
            counters.start_counts(project.user_id, tasks=0, open_tasks=0)
        return saved

    def delete_project(self, project: Project) -> None:
        project_item(project).delete(add_version_condition=False)  # a delete wins over a concurrent rename

    # --- labels ---
    def list_labels(self, user_id: str) -> list[Label]:
        items = LabelModel.query(user_id, LabelModel.sk.startswith(LABEL), consistent_read=True)
        return sorted((label_of(item) for item in items), key=lambda label: label.name.lower())

    def get_label(self, user_id: str, label_id: str) -> Label | None:
        try:
            return label_of(LabelModel.get(user_id, LABEL + label_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save_label(self, label: Label) -> Label:
        item = label_item(label)
        try:
            item.save()
        except PutError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The label was changed meanwhile; reload it and try again.") from exc
            raise
        return label_of(item)

    def delete_label(self, label: Label) -> None:
        label_item(label).delete(add_version_condition=False)  # a delete wins over a concurrent rename
