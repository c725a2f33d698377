"""Bulk edit (issue 14) as the UI uses it: one change for a selection, and the change that undoes it.

The forward edit sends no version (it changes what is stored now); its undo restores, for each task it changed, the
fields it sent to their previous values at the version the edit left, so a task someone edited meanwhile is reported
(409) instead of overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from backend.schemas import BulkEdit, BulkEditItem, BulkEditResponse, TaskPublic


def edit_of(
    ids: Iterable[str],
    *,
    due_date: date | str | None = "",
    due_time: time | str | None = "",
    priority: int | None = None,
    add_labels: Iterable[str] = (),
    remove_labels: Iterable[str] = (),
    assignee_id: str | None = "",
    project_id: str | None = None,
) -> BulkEdit:
    """The same change for every task of ``ids``. ``""`` (the default) leaves a field alone; ``None`` clears
    due_date, due_time or assignee_id."""
    fields: dict[str, Any] = {}
    for name, value in (("due_date", due_date), ("due_time", due_time), ("assignee_id", assignee_id)):
        if value != "":
            fields[name] = value
    if priority is not None:
        fields["priority"] = priority
    if project_id is not None:
        fields["project_id"] = project_id
    labels = {"add_labels": list(add_labels), "remove_labels": list(remove_labels)}
    fields.update({name: value for name, value in labels.items() if value})
    return BulkEdit(items=[BulkEditItem.model_validate({"id": task_id, **fields}) for task_id in dict.fromkeys(ids)])


def undo_of(edit: BulkEdit, response: BulkEditResponse) -> BulkEdit | None:
    """What puts back every task ``edit`` changed (None when it changed none): per task, the fields the edit sent,
    restored from the task as it was (``previous``), at the version the edit left."""
    sent = {item.id: item for item in edit.items}
    items = [
        _restore(sent[result.id], result.previous, result.task)
        for result in response.results
        if result.status == 200 and result.previous is not None and result.task is not None and result.id in sent
    ]
    return BulkEdit(items=items) if items else None


def _restore(item: BulkEditItem, previous: TaskPublic, now: TaskPublic) -> BulkEditItem:
    fields: dict[str, Any] = {"id": item.id, "version": now.version}
    changed = item.model_fields_set
    if "due_date" in changed or "due_time" in changed:  # a date without its time would not be the same date
        fields.update(due_date=previous.due_date, due_time=previous.due_time)
    if "priority" in changed:
        fields["priority"] = previous.priority
    if "assignee_id" in changed:
        fields["assignee_id"] = previous.assignee_id
    if "project_id" in changed and previous.project_id != now.project_id:
        fields.update(project_id=previous.project_id, section=previous.section)
    # Only the labels this edit added or took away (the caller's own): another member's labels stay as they are.
    fields["add_labels"] = [label for label in item.remove_labels if label in previous.labels]
    fields["remove_labels"] = [label for label in item.add_labels if label not in previous.labels]
    return BulkEditItem.model_validate(fields)
