"""The activity log's pure builders: which event a write is, and before/after of only what changed."""

from dataclasses import replace
from datetime import UTC, date, datetime, time

from backend.domain import activity
from backend.domain.activity import What, task_changed
from backend.domain.tasks import Project, Status, Subtask, Task, complete, reopen

NOW = datetime(2026, 3, 11, 9, tzinfo=UTC)
LATER = datetime(2026, 3, 11, 10, tzinfo=UTC)
TASK = Task(id="t1", user_id="P#p1", project_id="p1", title="Write the plan", created_at=NOW, updated_at=NOW)


def test_a_new_task_is_created_with_its_set_fields_only() -> None:
    task = replace(TASK, due_date=date(2026, 3, 12), due_time=time(9, 30), priority=1)
    entry = task_changed(None, task, "alice")
    assert entry is not None
    assert (entry.what, entry.actor, entry.task_id, entry.task_title, entry.at) == (
        What.CREATED,
        "alice",
        "t1",
        "Write the plan",
        NOW,
    )
    assert entry.before == {}
    assert entry.after == {
        "title": "Write the plan",
        "priority": 1,
        "due_date": "2026-03-12",
        "due_time": "09:30",
        "project_id": "p1",
    }


def test_an_edit_keeps_only_the_changed_fields() -> None:
    edited = replace(TASK, title="Write the plan, v2", notes="draft", updated_at=LATER)
    entry = task_changed(TASK, edited, "bob")
    assert entry is not None
    assert entry.what is What.EDITED
    assert entry.before == {"title": "Write the plan", "notes": ""}
    assert entry.after == {"title": "Write the plan, v2", "notes": "draft"}
    assert entry.at == LATER


def test_long_texts_are_cut_to_a_thousand_characters() -> None:
    edited = replace(TASK, notes="x" * 10_000)
    entry = task_changed(TASK, edited, "bob")
    assert entry is not None
    notes = entry.after["notes"]
    assert isinstance(notes, str)
    assert len(notes) == activity.MAX_TEXT
    assert notes.endswith("…")


def test_completion_and_reopening_of_a_plain_task() -> None:
    done = complete(TASK, now=LATER, today=LATER.date())
    entry = task_changed(TASK, done, "bob")
    assert entry is not None
    assert entry.what is What.COMPLETED
    assert (entry.before, entry.after) == ({"status": "open"}, {"status": "done"})
    back = task_changed(done, reopen(done, now=LATER), "bob")
    assert back is not None
    assert back.what is What.REOPENED


def test_a_recurring_occurrence_completed_is_a_completion_not_an_edit() -> None:
    daily = replace(TASK, recurrence="FREQ=DAILY", due_date=date(2026, 3, 11))
    moved_on = complete(daily, now=LATER, today=date(2026, 3, 11))
    assert moved_on.status is Status.OPEN  # the series goes on
    entry = task_changed(daily, moved_on, "bob")
    assert entry is not None
    assert entry.what is What.COMPLETED
    assert entry.after == {"due_date": "2026-03-12"}
    undone = task_changed(moved_on, reopen(moved_on, now=LATER), "bob")
    assert undone is not None
    assert undone.what is What.REOPENED


def test_a_move_to_another_project_is_moved() -> None:
    entry = task_changed(TASK, replace(TASK, project_id="p2", section=None), "bob")
    assert entry is not None
    assert entry.what is What.MOVED
    assert (entry.before, entry.after) == ({"project_id": "p1"}, {"project_id": "p2"})


def test_a_deletion_keeps_the_title() -> None:
    entry = task_changed(TASK, None, "bob", at=LATER)
    assert entry is not None
    assert (entry.what, entry.task_id, entry.before, entry.after, entry.at) == (
        What.DELETED,
        "t1",
        {"title": "Write the plan"},
        {},
        LATER,
    )


def test_nothing_a_member_sees_changed_logs_nothing() -> None:
    dragged = replace(TASK, position="b0", labels=("mine",), updated_at=LATER, version=3)
    assert task_changed(TASK, dragged, "bob") is None
    assert task_changed(None, None, "bob") is None


def test_subtasks_are_compared_as_values() -> None:
    with_sub = replace(TASK, subtasks=(Subtask(id="s1", title="a"),))
    entry = task_changed(with_sub, replace(with_sub, subtasks=(Subtask(id="s1", title="a", done=True),)), "bob")
    assert entry is not None
    assert entry.what is What.EDITED
    assert entry.after == {"subtasks": [{"id": "s1", "title": "a", "done": True}]}


def test_only_the_commented_row_carries_the_words() -> None:
    added = activity.comment_added("bob", TASK, comment_id="t1.c1", row_id="c1", body="hello", at=NOW)
    assert (added.what, added.task_id, added.after) == (What.COMMENTED, "t1", {"comment_id": "t1.c1", "body": "hello"})
    assert added.id == "c1"  # the row's key is known from the comment: edits and deletion rewrite its words
    assert activity.comment_words("t1.c1", None) == {"comment_id": "t1.c1"}
    edited = activity.comment_edited("bob", TASK, comment_id="t1.c1", at=NOW)
    assert (edited.what, edited.before, edited.after) == (What.COMMENT_EDITED, {}, {"comment_id": "t1.c1"})
    deleted = activity.comment_deleted("admin", TASK, comment_id="t1.c1", author_id="bob", at=NOW)
    assert deleted.what is What.COMMENT_DELETED
    assert deleted.member_id == "bob"
    assert "body" not in deleted.before
    assert deleted.after == {}


def test_membership_events() -> None:
    assert activity.member_removed("admin", member_id="bob", role="editor", at=NOW).what is What.MEMBER_REMOVED
    left = activity.member_removed("bob", member_id="bob", role="editor", at=NOW)
    assert left.what is What.LEFT
    assert left.before == {"role": "editor"}
    changed = activity.role_changed("admin", member_id="bob", before="viewer", after="editor", at=NOW)
    assert (changed.what, changed.member_id, changed.after) == (What.ROLE_CHANGED, "bob", {"role": "editor"})
    added = activity.member_added("bob", member_id="bob", role="viewer", at=NOW)
    assert added.what is What.MEMBER_ADDED
    moved = activity.transferred("alice", new_owner_id="bob", at=NOW)
    assert (moved.before, moved.after) == ({"owner_id": "alice"}, {"owner_id": "bob"})


def test_project_changes() -> None:
    project = Project(id="p1", user_id="P#p1", name="Home", color="red", position="a0")
    renamed = activity.project_changed(project, replace(project, name="House"), "alice", at=NOW)
    assert renamed is not None
    assert renamed.what is What.RENAMED
    assert renamed.after == {"name": "House"}
    archived = activity.project_changed(project, replace(project, archived=True), "alice", at=NOW)
    assert archived is not None
    assert archived.what is What.ARCHIVED
    assert activity.project_changed(project, replace(project, position="b0"), "alice", at=NOW) is None
    unarchived = activity.project_changed(replace(project, archived=True), replace(project, name="Hut"), "bob", at=NOW)
    assert unarchived is not None
    assert (unarchived.what, unarchived.actor) == (What.UNARCHIVED, "bob")  # archiving says more than the name
    assert (unarchived.before, unarchived.after) == (
        {"name": "Home", "archived": True},
        {"name": "Hut", "archived": False},
    )
    recoloured = activity.project_changed(
        project, replace(project, color="blue", sections=("To do", "Done")), "a", at=NOW
    )
    assert recoloured is not None
    assert recoloured.what is What.RENAMED
    assert (recoloured.before, recoloured.after) == (
        {"color": "red", "sections": []},
        {"color": "blue", "sections": ["To do", "Done"]},
    )
