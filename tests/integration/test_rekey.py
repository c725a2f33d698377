"""Moving a task, and a whole project, between partitions on moto (issue 13: ``adapters/task_store/rekey.py``): every
item that belongs to a task arrives in the target and leaves the source; a crash at any phase is finished by running
the move again, which never loses or duplicates anything; attachment rows keep their object keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from backend.adapters.attachments import DynamoAttachmentStore
from backend.adapters.task_store import counters, rekey
from backend.adapters.task_store.store import DynamoTaskStore
from backend.domain.attachments import Attachment, AttachmentStatus
from backend.domain.sharing import Moved, project_partition
from backend.domain.tasks import Label, Project, Status, Task, TaskQuery, new_id
from backend.local.testing import LocalRun
from tests.integration.conftest import aws_client

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Crash(Exception):
    """A process dying mid-move, injected into the real code path."""


@pytest.fixture(scope="module")
def store(local: LocalRun) -> DynamoTaskStore:
    from backend.bootstrap import dependencies

    dependencies()
    return DynamoTaskStore()


@pytest.fixture(scope="module")
def raw(local: LocalRun) -> Any:
    from backend.local.environment import LOCAL_STAGE
    from backend.names import ResourceNames

    client = aws_client(local, "dynamodb")
    table = ResourceNames(LOCAL_STAGE).tasks_table

    class Raw:
        def keys(self, pk: str) -> set[str]:
            items = client.query(
                TableName=table,
                KeyConditionExpression="user_id = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ConsistentRead=True,
            )["Items"]
            return {item["sk"]["S"] for item in items}

        def put(self, pk: str, sk: str, **values: str) -> None:
            item = {"user_id": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in values.items()}}
            client.put_item(TableName=table, Item=item)

        def get(self, pk: str, sk: str) -> dict[str, Any] | None:
            found: dict[str, Any] | None = client.get_item(
                TableName=table, Key={"user_id": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
            ).get("Item")
            return found

    return Raw()


def a_task_with_everything(store: DynamoTaskStore, raw: Any, user_id: str) -> tuple[Task, Attachment]:
    """A personal task with 2 labels, words, 2 comments, a ready attachment and a statistics row."""
    labels = [store.save_label(Label(id=new_id(), user_id=user_id, name=f"l{i}", color="#000000")) for i in range(2)]
    project = store.save_project(Project(id=new_id(), user_id=user_id, name="P", color="#000000", position="a1"))
    task = store.save_task(
        Task(
            id=new_id(),
            user_id=user_id,
            project_id=project.id,
            title="Quarterly report draft",
            notes="numbers from finance",
            labels=tuple(label.id for label in labels),
            created_at=NOW,
            updated_at=NOW,
        ),
        previous=None,
    )
    for n in range(2):
        raw.put(user_id, f"C#{task.id}#{new_id()}", author_id=user_id, body=f"comment {n}")
    raw.put(user_id, f"STAT#TASK#{task.id}", c="{}")
    attachment = Attachment(
        id=new_id(),
        user_id=user_id,
        task_id=task.id,
        name="a.pdf",
        declared_type="application/pdf",
        declared_size=10,
        status=AttachmentStatus.PENDING,
        created_at=NOW,
    )
    DynamoAttachmentStore().add(attachment)
    return store.get_task(user_id, task.id) or task, attachment


def belongings(raw: Any, pk: str, task_id: str) -> set[str]:
    """The task's items in ``pk`` (not the tombstone a move out of it leaves: the stream's readers need it)."""
    return {sk for sk in raw.keys(pk) if task_id in sk and not sk.startswith(rekey.MOVED)}


def test_a_task_moves_with_everything_it_has(store: DynamoTaskStore, raw: Any) -> None:
    user_id, target = new_id(), project_partition(new_id())
    task, attachment = a_task_with_everything(store, raw, user_id)
    before = belongings(raw, user_id, task.id)
    assert len(before) > 10  # task, 2 links, words, 2 comments, stat, attachment + pointer

    moved = rekey.move_task(task, target)

    assert (moved.user_id, moved.version) == (target, task.version + 1)
    assert belongings(raw, user_id, task.id) == set()
    assert belongings(raw, target, task.id) == before
    assert rekey.moved(user_id, task.id) == Moved(to=target, version=task.version)  # the delete was a move
    assert rekey.moved(target, task.id) is None
    assert (raw.get(user_id, f"ATTREF#{attachment.id}"), raw.get(target, f"ATTREF#{attachment.id}") is not None) == (
        None,
        True,
    )
    assert store.get_task(target, task.id) == moved
    assert store.get_task(user_id, task.id) is None
    assert (counters.read_counts(user_id).tasks, counters.read_counts(target).tasks) == (0, 1)
    assert (counters.read_counts(user_id).open_tasks, counters.read_counts(target).open_tasks) == (0, 1)
    # Found by its label and its words in the target; its attachment's objects are where they were.
    assert [t.id for t in store.get_tasks(target, store.task_ids_with_label(target, task.labels[0])).values()] == [
        task.id
    ]
    stored = DynamoAttachmentStore().get(target, attachment.id, now=NOW)
    assert stored is not None
    assert stored.key == attachment.key  # made under the user's partition
    assert stored.key_owner == user_id

    back = rekey.move_task(moved, user_id)  # and back: the objects still point home
    assert back.user_id == user_id
    assert belongings(raw, target, task.id) == set()
    again = DynamoAttachmentStore().get(user_id, attachment.id, now=NOW)
    assert again is not None
    assert again.key == attachment.key


@pytest.mark.parametrize("phase", ["_switch", "_sweep"])
def test_a_crash_in_any_phase_is_finished_by_running_the_move_again(
    store: DynamoTaskStore, raw: Any, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    user_id, target = new_id(), project_partition(new_id())
    task, _ = a_task_with_everything(store, raw, user_id)
    everything = belongings(raw, user_id, task.id)
    real: Callable[..., Any] = getattr(rekey, phase)

    def crash_after(*args: Any, **kwargs: Any) -> Any:
        if phase == "_sweep":  # the switch happened, the sweep dies half way: its puts, not its deletes
            monkeypatch.setattr(rekey, "_write", lambda **_: (_ for _ in ()).throw(Crash()))
            try:
                real(*args, **kwargs)
            finally:
                monkeypatch.undo()
        raise Crash

    monkeypatch.setattr(rekey, phase, crash_after)
    with pytest.raises(Crash):
        rekey.move_task(task, target)
    monkeypatch.undo()
    # Between the crash and the re-run the task is in exactly one partition.
    homes = [pk for pk in (user_id, target) if store.get_task(pk, task.id) is not None]
    assert homes == ([user_id] if phase == "_switch" else [target])

    rekey.move_task(task, target)  # the stale copy the caller had: the move reads what is stored

    assert belongings(raw, user_id, task.id) == set()
    assert belongings(raw, target, task.id) == everything
    assert (counters.read_counts(user_id).tasks, counters.read_counts(target).tasks) == (0, 1)


def test_an_edit_during_the_copy_moves_the_edited_task(
    store: DynamoTaskStore, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, target = new_id(), project_partition(new_id())
    task, _ = a_task_with_everything(store, raw, user_id)
    real = rekey._switch
    edited: list[Task] = []

    def someone_edits_first(current: Task, *args: Any) -> Task:
        if not edited:
            edited.append(store.save_task(_renamed(current, "Annual report"), previous=current))
        return real(current, *args)

    monkeypatch.setattr(rekey, "_switch", someone_edits_first)
    moved = rekey.move_task(task, target)
    assert moved.title == "Annual report"
    words = {sk for sk in raw.keys(target) if sk.startswith("W#")}
    assert any(sk.startswith("W#annual#") for sk in words)
    assert not any(sk.startswith("W#quarterly#") for sk in words)
    assert {sk for sk in raw.keys(user_id) if sk.startswith("W#")} == set()


def _renamed(task: Task, title: str) -> Task:
    from dataclasses import replace

    return replace(task, title=title, updated_at=NOW)


def test_a_project_moves_with_its_tasks_and_resumes_after_a_crash(
    store: DynamoTaskStore, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = new_id()
    store.add_project_once(
        Project(id="inbox", user_id=user_id, name="Inbox", color="#000000", position="a0", is_inbox=True)
    )
    project = store.save_project(Project(id=new_id(), user_id=user_id, name="Team", color="#000000", position="a1"))
    tasks = [
        store.save_task(
            Task(
                id=new_id(),
                user_id=user_id,
                project_id=project.id,
                title=f"step {n}",
                status=Status.DONE if n == 0 else Status.OPEN,
                created_at=NOW,
                updated_at=NOW,
                completed_at=NOW if n == 0 else None,
            ),
            previous=None,
        )
        for n in range(6)
    ]
    target = project_partition(project.id)
    real = rekey._switch_chunk
    chunks: list[int] = []

    def dies_on_the_second_chunk(chunk: list[Task], *args: Any) -> list[Task] | None:
        chunks.append(len(chunk))
        if len(chunks) == 2:
            raise Crash
        return real(chunk, *args)

    monkeypatch.setattr(rekey, "_CHUNK", 2)
    monkeypatch.setattr(rekey, "_switch_chunk", dies_on_the_second_chunk)
    with pytest.raises(Crash):
        rekey.move_project(project, target)
    monkeypatch.undo()
    assert rekey.pending_move(target) == user_id
    # Midway, every task is in exactly one partition (the first chunk's two moved, the rest not yet).
    homes = {t.id: [pk for pk in (user_id, target) if store.get_task(pk, t.id) is not None] for t in tasks}
    assert sorted(len(found) for found in homes.values()) == [1] * len(tasks)
    assert sum(found == [target] for found in homes.values()) == 2

    owners: list[str] = []
    moved = rekey.move_project(project, target, before_tasks=lambda p: owners.append(p.user_id))

    assert owners == [target]
    assert rekey.pending_move(target) is None
    assert (moved.user_id, moved.name) == (target, "Team")
    assert store.get_project(user_id, project.id) is None
    assert store.get_project(target, project.id) is not None
    assert {t.id for t in store.tasks_in_project(target, project.id)} == {t.id for t in tasks}
    assert store.tasks_in_project(user_id, project.id) == []
    assert (counters.read_counts(target).tasks, counters.read_counts(target).open_tasks) == (6, 5)
    assert (counters.read_counts(user_id).tasks, counters.read_counts(user_id).open_tasks) == (0, 0)
    # The target is searchable at once, without a backfill.
    found, _ = store.list_tasks(TaskQuery(user_id=target, status="all", search="step"), limit=10, cursor=None)
    assert len(found) == 6
    assert raw.get(target, "WIDX") is not None


def test_a_background_move_resumes_after_a_crash_and_a_second_delivery_changes_nothing(
    store: DynamoTaskStore, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's path (a large project's share): ``begin_project_move`` in the request, ``finish_project_move``
    in the worker, which dies midway; the message delivered again finishes it; delivered once more, it finds
    nothing to do."""
    user_id = new_id()
    project = store.save_project(Project(id=new_id(), user_id=user_id, name="Big", color="#000000", position="a1"))
    tasks = [
        store.save_task(
            Task(id=new_id(), user_id=user_id, project_id=project.id, title=f"t{n}", created_at=NOW, updated_at=NOW),
            previous=None,
        )
        for n in range(4)
    ]
    target = project_partition(project.id)
    begun = rekey.begin_project_move(project, target)
    assert (begun.user_id, rekey.pending_move(target)) == (target, user_id)
    assert store.tasks_in_project(target, project.id) == []  # the request moved no task

    real = rekey._switch_chunk
    calls: list[int] = []

    def dies_on_the_second_chunk(chunk: list[Task], *args: Any) -> list[Task] | None:
        calls.append(len(chunk))
        if len(calls) == 2:
            raise Crash
        return real(chunk, *args)

    monkeypatch.setattr(rekey, "_CHUNK", 2)
    monkeypatch.setattr(rekey, "_switch_chunk", dies_on_the_second_chunk)
    with pytest.raises(Crash):
        rekey.finish_project_move(target)
    monkeypatch.undo()
    homes = [[pk for pk in (user_id, target) if store.get_task(pk, t.id) is not None] for t in tasks]
    assert sorted(len(found) for found in homes) == [1] * len(tasks)  # each task in exactly one partition

    finished = rekey.finish_project_move(target)  # the message again, after its visibility timeout
    assert finished is not None
    assert finished.id == project.id
    assert {t.id for t in store.tasks_in_project(target, project.id)} == {t.id for t in tasks}
    assert store.tasks_in_project(user_id, project.id) == []
    assert store.get_project(user_id, project.id) is None
    keys = raw.keys(target)
    assert rekey.finish_project_move(target) is None  # and once more: nothing left, nothing changed
    assert raw.keys(target) == keys
    assert counters.read_counts(target).tasks == len(tasks)


def test_the_files_of_a_task_that_moved_on_into_another_users_project_outlive_their_owners_account(
    store: DynamoTaskStore, raw: Any, local: LocalRun
) -> None:
    """A task moved from its owner into a shared project, then by a member into their personal project: its files
    are still under the first owner's keys, and deleting that account keeps them (``FILEREF#`` pointer)."""
    from backend.local.environment import LOCAL_STAGE
    from backend.names import ResourceNames
    from backend.services import attachments as attachment_service

    owner, member = new_id(), new_id()
    task, attachment = a_task_with_everything(store, raw, owner)
    aws_client(local, "dynamodb").update_item(
        TableName=ResourceNames(LOCAL_STAGE).tasks_table,
        Key={"user_id": {"S": owner}, "sk": {"S": f"ATT#{task.id}#{attachment.id}"}},
        UpdateExpression="SET #s = :ready",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":ready": {"S": AttachmentStatus.READY.value}},
    )
    shared = rekey.move_task(task, project_partition(new_id()))
    rekey.move_task(shared, member)

    attachments = DynamoAttachmentStore()
    moved = attachments.moved_away(owner)
    assert [(row.id, row.user_id, row.key_owner, row.key) for row in moved] == [
        (attachment.id, member, owner, attachment.key)
    ]
    assert attachment_service.moved_files(store=attachments, partitions=[], owner=owner) == {attachment.key}
    assert attachments.moved_away(member) == []  # the member's own files are not kept from them
