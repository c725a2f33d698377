"""Which live-update changes a stream record makes (backend/adapters/stream_records.py + backend/services/live.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from backend.adapters.stream_records import ItemWrite, item_write, table_of
from backend.adapters.task_store.comments import _item as comment_item
from backend.adapters.task_store.mapping import task_item
from backend.domain.comments import Comment
from backend.domain.sharing import Moved
from backend.domain.tasks import Subtask, Task
from backend.presenters import task_public
from backend.schemas_live import CHANNEL_PATTERN, Change, channel
from backend.services import live

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
AT = 1_796_000_000.0
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2026-11-02T08:00:00.000"


def a_task(**changes: Any) -> Task:
    task = Task(
        id="01JTASK",
        user_id="u1",
        project_id="inbox",
        title="Pay rent",
        notes="before the 3rd",
        created_at=T0,
        updated_at=T0,
        due_date=date(2026, 11, 1),
        due_time=time(9, 30),
        labels=("l1",),
        subtasks=(Subtask(id="s1", title="log in", done=True),),
        version=3,
        position="a0",
    )
    return replace(task, **changes)


def record(event: str, keys: dict[str, Any], new: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Keys": keys, "ApproximateCreationDateTime": AT, "SequenceNumber": "1"}
    if new is not None:
        body["NewImage"] = new
    return {"eventName": event, "dynamodb": body}


def task_keys(sk: str, user: str = "u1") -> dict[str, Any]:
    return {"user_id": {"S": user}, "sk": {"S": sk}}


def note_keys(sk: str, user: str = "u1") -> dict[str, Any]:
    return {"pk": {"S": f"USER#{user}"}, "sk": {"S": sk}}


def test_a_task_upsert_carries_the_task_as_the_repository_reads_it() -> None:
    task = a_task()
    image = task_item(task).serialize()
    write = item_write(record("MODIFY", task_keys("TASK#01JTASK"), image), "tasks")
    assert write == ItemWrite(user_id="u1", kind="task", id="01JTASK", op="upsert", at=AT, task=task)


def test_the_task_shape_is_the_apis_in_the_viewers_local_time() -> None:
    task = a_task()
    write = ItemWrite(user_id="u1", kind="task", id=task.id, op="upsert", at=AT, task=task)
    evening = datetime(2026, 11, 1, 20, 0)  # local, naive: the task (due 1 Nov 09:30) is overdue
    morning = datetime(2026, 11, 1, 9, 0)
    (late,) = live.changes_for(write, now_local=lambda _: evening)
    (early,) = live.changes_for(write, now_local=lambda _: morning)
    assert late == Change(user_id="u1", kind="task", op="upsert", id=task.id, task=task_public(task, evening), at=AT)
    assert late.task is not None
    assert early.task is not None
    assert (late.task.overdue, early.task.overdue) == (True, False)


def test_a_removed_task_is_a_delete_without_a_body() -> None:
    write = item_write(record("REMOVE", task_keys("TASK#01JTASK")), "tasks")
    assert write == ItemWrite(user_id="u1", kind="task", id="01JTASK", op="delete", at=AT)
    (change,) = live.changes_for(write, now_local=lambda _: T0)
    assert (change.op, change.task) == ("delete", None)


@pytest.mark.parametrize(("sk", "kind", "item_id"), [("PROJECT#p1", "project", "p1"), ("LABEL#l1", "label", "l1")])
def test_projects_and_labels_are_changes_without_a_body(sk: str, kind: str, item_id: str) -> None:
    write = item_write(record("INSERT", task_keys(sk), {"any": {"S": "thing"}}), "tasks")
    assert write == ItemWrite(user_id="u1", kind=kind, id=item_id, op="upsert", at=AT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sk",
    [
        *("LT#l1#01JTASK", "STAT#DAY#2026-11-02", "STAT#TASK#01JTASK", "ACTIVITY#2026-11-02"),
        *("ATT#01JTASK#a1", "ATTREF#a1", "USAGE#attachments", "W#rent#01JTASK", "SUMMARY"),
    ],
)
def test_index_link_and_aggregate_items_publish_nothing(sk: str) -> None:
    assert item_write(record("INSERT", task_keys(sk), {"n": {"N": "1"}}), "tasks") is None


def test_an_image_that_is_not_a_whole_task_publishes_nothing() -> None:
    partial = {"user_id": {"S": "u1"}, "sk": {"S": "TASK#gone"}, "attachment_count": {"N": "1"}}
    assert item_write(record("MODIFY", task_keys("TASK#gone"), partial), "tasks") is None


def test_inbox_rows_are_notification_changes_and_other_rows_nothing() -> None:
    upsert = item_write(record("INSERT", note_keys("N#n1"), {"title": {"S": "x"}}), "notifications")
    assert upsert == ItemWrite(user_id="u1", kind="notification", id="n1", op="upsert", at=AT)
    removed = item_write(record("REMOVE", note_keys("N#n1")), "notifications")
    assert removed is not None
    assert removed.op == "delete"
    for sk in ("REM#01JTASK", "PHONE"):
        assert item_write(record("INSERT", note_keys(sk), {"x": {"S": "y"}}), "notifications") is None


def test_the_table_comes_from_the_event_source_arn() -> None:
    names = {"tasks_table": "tmp-dev-tasks", "notifications_table": "tmp-dev-notifications"}
    assert table_of(ARN.format("tmp-dev-tasks"), **names) == "tasks"
    assert table_of(ARN.format("tmp-dev-notifications"), **names) == "notifications"
    assert table_of(ARN.format("tmp-dev-users"), **names) is None
    assert table_of("", **names) is None


class RecordingBus:
    def __init__(self) -> None:
        self.sent: list[Change] = []

    def publish(self, change: Change) -> int:
        self.sent.append(change)
        return 1


def test_relay_sends_one_message_per_audience_member_on_their_channel() -> None:
    bus = RecordingBus()
    writes = [
        ItemWrite(user_id="u1", kind="project", id="p1", op="upsert", at=AT),
        ItemWrite(user_id="u2", kind="notification", id="n1", op="delete", at=AT),
    ]
    assert live.relay(writes, bus=bus, now_local=lambda _: T0) == 2
    assert [(c.user_id, c.kind, c.id) for c in bus.sent] == [("u1", "project", "p1"), ("u2", "notification", "n1")]
    assert live.audience(writes[0]) == ["u1"]  # today the owner; project members once projects are shared
    assert channel("u1") == "tm:changes:u1"
    assert CHANNEL_PATTERN == "tm:changes:*"


def test_a_change_round_trips_as_json() -> None:
    task = a_task()
    shape = task_public(task, T0.replace(tzinfo=None))
    change = Change(user_id="u1", kind="task", op="upsert", id=task.id, task=shape, at=AT)
    assert Change.model_validate_json(change.model_dump_json()) == change


# --- shared projects (issue 13) -----------------------------------------------------------------------------------
def test_a_shared_tasks_change_reaches_every_member_in_their_own_time() -> None:
    task = a_task(user_id="P#p1", project_id="p1")
    write = item_write(record("MODIFY", task_keys("TASK#01JTASK", user="P#p1"), task_item(task).serialize()), "tasks")
    assert write is not None
    evening, morning = datetime(2026, 11, 1, 20, 0), datetime(2026, 11, 1, 9, 0)
    clocks = {"ann": evening, "bob": morning}
    asked: list[str] = []

    def members_of(project_id: str) -> list[str]:
        asked.append(project_id)
        return ["ann", "bob"]

    sent = live.changes_for(write, now_local=clocks.__getitem__, members_of=members_of)
    assert asked == ["p1"]
    assert [(c.user_id, c.op, c.task.overdue if c.task else None) for c in sent] == [
        ("ann", "upsert", True),
        ("bob", "upsert", False),
    ]


def test_a_membership_change_is_the_projects_and_a_removed_member_hears_the_delete() -> None:
    joined = item_write(record("INSERT", task_keys("M#bob", user="P#p1"), {"role": {"S": "editor"}}), "tasks")
    assert joined == ItemWrite(user_id="P#p1", kind="project", id="p1", op="upsert", at=AT, member_id="bob")
    removed = item_write(record("REMOVE", task_keys("M#bob", user="P#p1")), "tasks")
    assert removed is not None
    sent = live.changes_for(removed, now_local=lambda _: T0, members_of=lambda _: ["ann"])
    assert [(c.user_id, c.kind, c.id, c.op) for c in sent] == [
        ("ann", "project", "p1", "upsert"),  # the others: the members changed
        ("bob", "project", "p1", "delete"),  # the removed member's screen drops the project
    ]


@pytest.mark.parametrize("sk", ["I#ann@example.com", "L#01JLOG", "USAGE#tasks"])
def test_other_items_of_a_shared_project_publish_nothing(sk: str) -> None:
    assert item_write(record("INSERT", task_keys(sk, user="P#p1"), {"n": {"N": "1"}}), "tasks") is None


def removal(user: str, version: int = 3) -> ItemWrite:
    raw = record("REMOVE", task_keys("TASK#01JTASK", user=user))
    raw["dynamodb"]["OldImage"] = {"version": {"N": str(version)}}
    removed = item_write(raw, "tasks")
    assert removed is not None
    assert removed.version == version
    return removed


MEMBERS = {"p1": ["u1", "ann"], "p2": ["u1", "bob"]}


def sent(write: ItemWrite, moves: dict[str, Moved]) -> list[tuple[str, str]]:
    """(user, op) of the changes a write makes, the tombstones of each partition being ``moves``."""
    changes = live.changes_for(
        write,
        now_local=lambda _: datetime(2026, 11, 1, 20, 0),
        members_of=lambda p: MEMBERS[p],
        moved_to=lambda partition, _task: moves.get(partition),
    )
    return [(c.user_id, c.op) for c in changes]


def test_a_move_s_delete_reaches_only_those_who_lose_sight_of_the_task() -> None:
    """The source's delete of a move (its tombstone names the version removed): whoever sees the new place gets the
    task from that place's insert (any order), so no delete for them; the others' screens drop it (issue 13)."""
    # personal -> shared: the owner is a member there, nobody loses it
    assert sent(removal("u1"), {"u1": Moved(to="P#p1", version=3)}) == []
    # shared -> personal: the other member loses it, the owner keeps it
    assert sent(removal("P#p1"), {"P#p1": Moved(to="u1", version=3)}) == [("ann", "delete")]
    # shared -> shared: ann (only in p1) loses it; u1 (in both) keeps it; bob hears p2's insert
    assert sent(removal("P#p1"), {"P#p1": Moved(to="P#p2", version=3)}) == [("ann", "delete")]
    # a later real delete where an older move left a tombstone, or no tombstone at all: a delete for all
    assert sent(removal("P#p1", version=7), {"P#p1": Moved(to="u1", version=3)}) == [
        ("u1", "delete"),
        ("ann", "delete"),
    ]
    assert sent(removal("u1"), {}) == [("u1", "delete")]


# --- comments (issue 13) ------------------------------------------------------------------------------------------
ULID = "01JCOMMENT0000000000000000"


def a_comment(**changes: Any) -> Comment:
    comment = Comment(
        id=ULID,
        task_id="01JTASK",
        partition="P#p1",
        author_id="bob",
        body="On it, @ann",
        created_at=T0,
        mentions=("ann",),
        version=2,
    )
    return replace(comment, **changes)


def comment_record(event: str, comment: Comment) -> dict[str, Any]:
    image = comment_item(comment).serialize()
    raw = record(event, task_keys(f"C#{comment.task_id}#{comment.id}", user=comment.partition))
    raw["dynamodb"]["OldImage" if event == "REMOVE" else "NewImage"] = image
    return raw


def test_a_comments_new_edited_and_deleted_states_reach_every_member_with_the_comment() -> None:
    names = {"bob": "Bob Builder"}
    for event in ("INSERT", "MODIFY"):
        edited = a_comment(edited_at=T0 if event == "MODIFY" else None)
        write = item_write(comment_record(event, edited), "tasks")
        assert write is not None
        assert (write.kind, write.id, write.op, write.comment) == ("comment", f"01JTASK.{ULID}", "upsert", edited)
        sent = live.changes_for(
            write, now_local=lambda _: T0, members_of=lambda _: ["ann", "bob"], name_of=names.__getitem__
        )
        assert [(c.user_id, c.kind, c.op) for c in sent] == [("ann", "comment", "upsert"), ("bob", "comment", "upsert")]
        shown = sent[0].comment
        assert shown is not None
        assert (shown.id, shown.author_name, shown.body, shown.version) == (
            f"01JTASK.{ULID}",
            "Bob Builder",
            "On it, @ann",
            2,
        )
        assert shown.edited_at == edited.edited_at
        assert Change.model_validate_json(sent[0].model_dump_json()) == sent[0]
    removed = item_write(comment_record("REMOVE", a_comment()), "tasks")
    assert removed is not None
    sent = live.changes_for(
        removed, now_local=lambda _: T0, members_of=lambda _: ["ann", "bob"], name_of=names.__getitem__
    )
    assert [(c.user_id, c.op, c.id, c.comment) for c in sent] == [
        ("ann", "delete", f"01JTASK.{ULID}", None),
        ("bob", "delete", f"01JTASK.{ULID}", None),
    ]
    personal = item_write(comment_record("INSERT", a_comment(partition="u1")), "tasks")
    assert personal is not None
    assert [c.user_id for c in live.changes_for(personal, now_local=lambda _: T0)] == ["u1"]  # the owner's tabs


def test_a_moves_sweep_of_comments_is_no_delete_for_those_who_see_the_task_where_it_went() -> None:
    swept = item_write(comment_record("REMOVE", a_comment(partition="u1")), "tasks")
    assert swept is not None
    assert sent(swept, {"u1": Moved(to="P#p1", version=3)}) == []  # u1 is a member of p1: the comments stay shown
    assert sent(swept, {"u1": Moved(to="P#p2", version=3)}) == []
    shared = item_write(comment_record("REMOVE", a_comment(partition="P#p1")), "tasks")
    assert shared is not None
    assert sent(shared, {"P#p1": Moved(to="P#p2", version=3)}) == [("ann", "delete")]  # ann loses sight of it
    assert sent(shared, {}) == [("u1", "delete"), ("ann", "delete")]  # a real delete


def test_an_image_that_is_not_a_whole_comment_publishes_nothing() -> None:
    raw = record("MODIFY", task_keys(f"C#01JTASK#{ULID}", user="P#p1"), {"body": {"S": "x"}})
    assert item_write(raw, "tasks") is None
