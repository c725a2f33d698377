"""Moving a task, or a whole project, from one partition to another (issue 13): ``<sub>`` <-> ``P#<project>``.

A task's items: the task ``TASK#<id>``, its label links ``LT#<label>#<id>``, search words ``W#<word>#<id>``, its share
of the partition's counters ``USAGE#tasks``, its statistics row ``STAT#TASK#<id>``, its comments ``C#<id>#<ulid>`` and
its attachment rows ``ATT#<id>#<att>`` with their pointers ``ATTREF#<att>``. They are far more than the 100 items of
one transaction (comments and attachments have no bound), so a move is three idempotent phases around one small
transaction, and running it again after a crash at any point finishes it (never loses or duplicates anything):

1. **copy**: every item the task has in the source is put in the target (the links and words derived from the task
   as read; comments, attachment rows and the statistics row copied as they are). Puts of the same keys: a re-run
   writes the same items. Nothing reaches these copies before phase 2: words and links whose task is not in the
   partition are skipped by every reader (they fetch the task), and comments and attachments are only reached
   through their task.
2. **switch** (the commit point, one ``TransactWriteItems`` of at most 6 items): delete the task in the source if it
   is still at the version read, put it in the target (which must not have it), ``ADD`` -1 / +1 to the two
   partitions' counters (and open tasks), a tombstone ``MOVED#<id>`` in the source (``to``: the target, ``version``:
   the version deleted, expiring after ``MOVED_TTL``) so the stream's consumers know this delete for a move (the
   statistics leave it alone, live updates send the task's new place), plus an optional activity row. If someone
   edited the task meanwhile the switch is refused and the move starts again from a fresh read (so the copies match
   the task that moves).
3. **sweep**: whatever the task still has in the source is moved (put in the target, then deleted from the source):
   the leftovers of phase 1 and anything written there between the copy and the switch (a comment), so a re-run
   after a crash in phase 3 just sweeps again. Word and link rows of the source are deleted (the target has its own).

Attachment rows keep their objects where they are: a moved row records the partition its S3 keys were made under
(``key_owner``), so downloads keep working without copying any object.

A project becomes shared by ``move_project``: a marker ``MOVE`` in the target partition names the source, then the
project item, the target's counters and ``WIDX`` (search-indexed: every task arrives with its words), each task by
``move_task``, and last the project item in the source and the marker are deleted. While the marker exists the move is
unfinished; ``move_project`` again resumes it (``pending_move`` tells).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from backend.adapters.attachments import FILE_REF
from backend.adapters.stats_store import decode_counters, encode_counters
from backend.adapters.task_store import counters, search_index
from backend.adapters.task_store.activity import activity_item
from backend.adapters.task_store.mapping import (
    index_items,
    link_item,
    project_item,
    project_of,
    task_item,
    task_of,
)
from backend.adapters.task_store.models import INDEXED, PROJECT, TASK, TASK_COUNTS, ProjectModel, TaskModel, connection
from backend.domain.activity import ActivityEntry
from backend.domain.sharing import Moved, is_project_partition
from backend.domain.stats import rehome
from backend.domain.tasks import Project, Status, Task
from backend.errors import ConflictError, NotFoundError

COMMENT, ATTACHMENT, ATTACHMENT_REF, STAT_TASK = "C#", "ATT#", "ATTREF#", "STAT#TASK#"
MOVE_MARKER = "MOVE"
MOVED = "MOVED#"  # a tombstone: the task of this id left this partition by a move (see ``moved``)
MOVED_TTL = timedelta(days=2)  # outlives the streams' 24 h retention: every consumer of the delete can still see it
# What ``moved`` reads of a tombstone, and all it may read (the live Lambda's GetItem is limited to these and the keys).
TOMBSTONE_ATTRIBUTES = ("to", "version")
KEY_OWNER = "key_owner"  # on a moved attachment row: the partition its object keys were made under
SWITCH_RETRIES = 5
_WRITE_BATCH = 25
_PASSES = 3
_CHUNK = 32  # tasks switched in one transaction when a whole project moves (3 items each + 2 counters <= 100)


def _client() -> Any:
    return connection().client  # botocore's: items are copied as they are, whatever attributes they carry


def _table() -> str:
    return str(TaskModel.Meta.table_name)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"user_id": {"S": pk}, "sk": {"S": sk}}


def _query(pk: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Raw items of ``pk`` whose sort key starts with ``prefix`` (consistent, paged)."""
    request: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "user_id = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        "ConsistentRead": True,
    }
    while True:
        answer = _client().query(**request)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _get(pk: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        _client().get_item(TableName=_table(), Key=_key(pk, sk), ConsistentRead=True).get("Item")
    )
    return item


def _write(*, puts: Iterable[dict[str, Any]] = (), deletes: Iterable[tuple[str, str]] = ()) -> None:
    """BatchWriteItem in batches of 25, unprocessed items retried (puts and deletes of distinct keys)."""
    requests = [{"PutRequest": {"Item": item}} for item in puts]
    requests += [{"DeleteRequest": {"Key": _key(pk, sk)}} for pk, sk in deletes]
    for start in range(0, len(requests), _WRITE_BATCH):
        pending: dict[str, Any] = {_table(): requests[start : start + _WRITE_BATCH]}
        while pending:
            pending = _client().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _rekeyed(item: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    """A raw item moved to ``target`` (an attachment row remembers where its objects are)."""
    moved = {**item, "user_id": {"S": target}}
    if item["sk"]["S"].startswith(ATTACHMENT) and KEY_OWNER not in item:
        moved[KEY_OWNER] = {"S": source}
    if item["sk"]["S"].startswith(STAT_TASK) and "c" in item:
        # The contribution's counters name their members as its new partition reads them (stats.rehome).
        moved["c"] = {"S": encode_counters(rehome(decode_counters(item["c"]["S"]), source, target))}
    return moved


def _copies(items: Iterable[dict[str, Any]], source: str, target: str) -> list[dict[str, Any]]:
    """The items moved to ``target``, and for each attachment row whose objects stay under a user's keys a pointer
    in that user's partition (``FILEREF#``): deleting their account keeps the objects of a task that moved on."""
    moved = [_rekeyed(item, source, target) for item in items]
    refs = []
    for item in moved:
        owner = item.get(KEY_OWNER, {}).get("S")
        if item["sk"]["S"].startswith(ATTACHMENT) and owner and owner != target and not is_project_partition(owner):
            refs.append(
                {
                    **_key(owner, FILE_REF + item["attachment_id"]["S"]),
                    "at": {"S": target},
                    "task_id": {"S": item["task_id"]["S"]},
                }
            )
    return moved + refs


def _belongings(pk: str, task_id: str) -> Iterator[dict[str, Any]]:
    """The items of a task that are copied as they are: comments, attachment rows and pointers, statistics row."""
    yield from _query(pk, f"{COMMENT}{task_id}#")
    attachments = list(_query(pk, f"{ATTACHMENT}{task_id}#"))
    yield from attachments
    for row in attachments:
        ref = _get(pk, ATTACHMENT_REF + row["attachment_id"]["S"])
        if ref is not None:
            yield ref
    stat = _get(pk, STAT_TASK + task_id)
    if stat is not None:
        yield stat


def _derived(task: Task) -> list[dict[str, Any]]:
    """The label links and search words of ``task`` in its partition, as raw items."""
    models: list[Any] = [link_item(task.user_id, label, task.id) for label in task.labels]
    models += index_items(task)
    return [_raw(model) for model in models]


def _raw(model: Any) -> dict[str, Any]:
    return dict(model.serialize())


def _counter_update(pk: str, task: Task, sign: int) -> dict[str, Any]:
    return _counters_update(pk, tasks=sign, open_tasks=sign if task.status is Status.OPEN else 0)


def _counters_update(pk: str, *, tasks: int, open_tasks: int) -> dict[str, Any]:
    names = {"#t": "tasks"}
    values = {":t": {"N": str(tasks)}}
    expression = "ADD #t :t"
    if open_tasks:
        names["#o"] = "open_tasks"
        values[":o"] = {"N": str(open_tasks)}
        expression += ", #o :o"
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(pk, TASK_COUNTS),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _tombstone(task: Task, target: str) -> dict[str, Any]:
    expires = int((datetime.now(UTC) + MOVED_TTL).timestamp())
    item = {
        **_key(task.user_id, MOVED + task.id),
        "to": {"S": target},
        "version": {"N": str(task.version)},
        "expires_at": {"N": str(expires)},
    }
    return {"Put": {"TableName": _table(), "Item": item}}


def moved(partition: str, task_id: str) -> Moved | None:
    """The last move of the task ``task_id`` out of ``partition`` (its tombstone), None if it never moved out."""
    # Only the tombstone's own attributes (the live Lambda may read nothing else of a user's partition).
    item = (
        _client()
        .get_item(
            TableName=_table(),
            Key=_key(partition, MOVED + task_id),
            ConsistentRead=True,
            ProjectionExpression=", ".join(f"#a{n}" for n in range(len(TOMBSTONE_ATTRIBUTES))),
            ExpressionAttributeNames={f"#a{n}": name for n, name in enumerate(TOMBSTONE_ATTRIBUTES)},
        )
        .get("Item")
    )
    if item is None:
        return None
    return Moved(to=item["to"]["S"], version=int(item["version"]["N"]))


def _authored(task: Task, source: str) -> Task:
    """A personal task's work was its owner's: said explicitly when it leaves their partition (a shared project's
    statistics count each member's part by these names)."""
    if is_project_partition(source):
        return task
    return replace(
        task,
        created_by=task.created_by or source,
        completed_by=(task.completed_by or source) if task.status is Status.DONE else None,
        history=tuple(replace(c, by=c.by or source) for c in task.history),
    )


def _switch_items(task: Task, final: Task) -> tuple[Task, list[dict[str, Any]]]:
    """The delete (at the version read), the put (if absent) and the source's tombstone that move one task; the
    task as it arrives."""
    moved = replace(final, version=task.version + 1)
    item = _raw(task_item(replace(moved, version=0)))
    item["version"] = {"N": str(moved.version)}
    return moved, [
        {
            "Delete": {
                "TableName": _table(),
                "Key": _key(task.user_id, TASK + task.id),
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(task.version)}},
            }
        },
        {"Put": {"TableName": _table(), "Item": item, "ConditionExpression": "attribute_not_exists(sk)"}},
        _tombstone(task, moved.user_id),
    ]


def _transact(items: list[dict[str, Any]]) -> None:
    try:
        _client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            raise ConflictError("The task was changed meanwhile; reload it and try again.") from exc
        raise


def _switch(task: Task, final: Task, extra: list[dict[str, Any]]) -> Task:
    """Phase 2: ``task`` leaves its partition and ``final`` (it, in the target, maybe changed) takes its place, if the
    task is still at the version read (else ConflictError). The counters follow each side's status."""
    moved, items = _switch_items(task, final)
    counts = [_counter_update(task.user_id, task, -1), _counter_update(moved.user_id, moved, +1)]
    _transact([*items, *counts, *({"Put": {"TableName": _table(), "Item": row}} for row in extra)])
    return moved


def _switch_chunk(tasks: list[Task], target: str) -> list[Task] | None:
    """Phase 2 of up to ``_CHUNK`` tasks at once: their deletes and puts and one ``ADD`` per partition's counters in
    one transaction (two items a task + two: within the 100-item limit, and one write of each counter instead of one
    per task). None when it is refused (one of them changed since it was read): nothing was written."""
    moved: list[Task] = []
    items: list[dict[str, Any]] = []
    for task in tasks:
        arrived, switch = _switch_items(task, _authored(replace(task, user_id=target), task.user_id))
        moved.append(arrived)
        items += switch
    opened = sum(task.status is Status.OPEN for task in tasks)
    items += [
        _counters_update(tasks[0].user_id, tasks=-len(tasks), open_tasks=-opened),
        _counters_update(target, tasks=len(tasks), open_tasks=opened),
    ]
    try:
        _transact(items)
    except ConflictError:
        return None
    return moved


def _sweep(task: Task, source: str, target: str) -> None:
    """Phase 3: move what ``task`` (as it was in ``source``) still has there: put in ``target``, then delete."""
    left = list(_belongings(source, task.id))
    _write(puts=_copies(left, source, target))
    stale = [(source, item["sk"]["S"]) for item in left]
    stale += [(source, raw["sk"]["S"]) for raw in _derived(replace(task, user_id=source))]
    _write(deletes=stale)


def move_task(
    task: Task,
    target: str,
    *,
    change: Callable[[Task], Task] | None = None,
    activity: Sequence[tuple[str, ActivityEntry]] = (),
    read: bool = True,
) -> Task:
    """Move ``task`` (from ``task.user_id``) with everything that belongs to it to ``target``; returns it there (its
    version one higher). ``change(task in the target)``: the task as it is to arrive (another project, assignee...:
    a PATCH that moves it), applied to what is stored when the switch is made; ``activity``: (partition, entry) log
    rows put in the switch's transaction. Idempotent: called again for a task already in ``target`` (a crash after
    the switch), it finishes the sweep."""
    source = task.user_id
    if source == target:
        raise ValueError("a task moves to another partition")
    for _ in range(SWITCH_RETRIES):
        current = _read_task(source, task.id) if read else task
        read = True
        if current is None:
            there = _read_task(target, task.id)
            if there is None:
                raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
            _sweep(there, source, target)  # a resumed move: the switch happened
            return there
        arriving = _authored(replace(current, user_id=target), source)
        final = change(arriving) if change is not None else arriving
        # phase 1: copies in the target
        _write(puts=_copies(_belongings(source, current.id), source, target))
        derived = _derived(final)
        _write(puts=derived)
        try:
            moved = _switch(current, final, [_raw(activity_item(pk, entry)) for pk, entry in activity])
        except ConflictError:
            # Edited meanwhile: copy again from what is stored now, without this attempt's words and links.
            # (After a crash here they stay: harmless like the backfill's, every reader checks the task itself.)
            stale_copies = {item["sk"]["S"] for item in derived}
            fresh = _read_task(source, task.id)
            if fresh is not None:
                arriving = _authored(replace(fresh, user_id=target), source)
                fresh_final = change(arriving) if change is not None else arriving
                stale_copies -= {item["sk"]["S"] for item in _derived(fresh_final)}
            _write(deletes=[(target, sk) for sk in sorted(stale_copies)])
            continue
        _sweep(current, source, target)
        return moved
    raise ConflictError("The task keeps changing; try again in a moment.")


def _read_task(pk: str, task_id: str) -> Task | None:
    item = _get(pk, TASK + task_id)
    return task_of(TaskModel.from_raw_data(item)) if item is not None else None


# --- a whole project -------------------------------------------------------------------------------------------
def pending_move(target: str) -> str | None:
    """The source partition of an unfinished ``move_project`` into ``target``, None if there is none."""
    marker = _get(target, MOVE_MARKER)
    return marker["source"]["S"] if marker is not None else None


def move_project(
    project: Project,
    target: str,
    *,
    before_tasks: Callable[[Project], None] | None = None,
    on_task: Callable[[Task], None] | None = None,
) -> Project:
    """Move a project (from ``project.user_id``) and all its tasks to ``target``; resumable (see the module).

    ``before_tasks(moved project)`` runs once the project item is in the target and before any task moves (the
    sharing service writes the owner's membership there); ``on_task(moved)`` after each task's move."""
    moved = begin_project_move(project, target, before_tasks=before_tasks)
    finish_project_move(target, on_task=on_task)
    return moved


def begin_project_move(
    project: Project, target: str, *, before_tasks: Callable[[Project], None] | None = None
) -> Project:
    """The first, short part of ``move_project`` (a few calls whatever the project's size): the ``MOVE`` marker, the
    project item, the target's counters and ``WIDX``, then ``before_tasks``. The tasks move with
    ``finish_project_move`` (a background worker for a large project). Idempotent."""
    source = project.user_id
    _client().put_item(
        TableName=_table(),
        Item={
            "user_id": {"S": target},
            "sk": {"S": MOVE_MARKER},
            "source": {"S": source},
            "project_id": {"S": project.id},
        },
    )
    moved = replace(project, user_id=target, version=0)
    existing = _get(target, PROJECT + project.id)
    if existing is None:
        item = project_item(moved)
        item.save()  # conditional on absence
        moved = replace(moved, version=int(item.version or 0))
    else:
        moved = _project_of_raw(existing)
    # The target's own counters and search marker before any task arrives (each task's switch adds to them).
    counters.start_counts(target, tasks=0, open_tasks=0)
    if _get(target, INDEXED) is None:
        search_index.mark_indexed(target)
    if before_tasks is not None:
        before_tasks(moved)
    return moved


def finish_project_move(target: str, *, on_task: Callable[[Task], None] | None = None) -> Project | None:
    """Move the tasks of the project whose ``MOVE`` marker is in ``target``, then the source's project item and the
    marker go; the project as it is in ``target``. None when no move is pending (done already: a redelivered
    message, a second worker). Idempotent and resumable: every task moves by the phases of ``move_task``."""
    marker = _get(target, MOVE_MARKER)
    if marker is None:
        return None
    source, project_id = marker["source"]["S"], marker["project_id"]["S"]
    # Tasks created in the source just before the membership (an index lagging behind them): passes until none is left.
    for _ in range(_PASSES):
        left = list(_tasks_of(source, project_id))
        if not left:
            break
        for there in _move_many(left, source, target):
            if on_task is not None:
                on_task(there)
    _write(deletes=[(source, PROJECT + project_id)])
    _client().delete_item(TableName=_table(), Key=_key(target, MOVE_MARKER))
    found = _get(target, PROJECT + project_id)
    return _project_of_raw(found) if found is not None else None


def project_size(partition: str, project_id: str, *, at_most: int) -> int:
    """How many tasks the project has in ``partition``, counted up to ``at_most + 1`` (one Query of the
    ``by_project`` index's keys: whether a share can move it within the request)."""
    request: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "by_project",
        "KeyConditionExpression": "project_pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"{partition}#{project_id}"}},
        "Select": "COUNT",
        "Limit": at_most + 1,
    }
    return int(_client().query(**request).get("Count", 0))


def _all_belongings(source: str, task_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """``_belongings`` of many tasks at once: one paged Query per kind over the partition, kept for ``task_ids``."""
    found: dict[str, list[dict[str, Any]]] = {task_id: [] for task_id in task_ids}
    attachments: dict[str, str] = {}
    for prefix in (COMMENT, ATTACHMENT, STAT_TASK, ATTACHMENT_REF):
        for item in _query(source, prefix):
            sk = item["sk"]["S"]
            if prefix == ATTACHMENT_REF:
                task_id = attachments.get(sk.removeprefix(ATTACHMENT_REF), "")
            else:
                task_id = sk.removeprefix(prefix).split("#", 1)[0]
            if prefix == ATTACHMENT and task_id in found:
                attachments[item["attachment_id"]["S"]] = task_id
            if task_id in found:
                found[task_id].append(item)
    return found


def _move_many(tasks: list[Task], source: str, target: str) -> list[Task]:
    """Many tasks' moves, the same three phases in bulk: the copies of all of them in batches of 25, the switches of
    ``_CHUNK`` tasks in one transaction, then one sweep of the source. The tasks of a refused chunk (one was edited
    since the listing) move on their own afterwards (``move_task``): the bulk path is only a faster order of the
    same idempotent steps."""
    by_id = {task.id: task for task in tasks}
    belongings = _all_belongings(source, set(by_id))
    copies = _copies([item for items in belongings.values() for item in items], source, target)
    copies += [raw for task in tasks for raw in _derived(replace(task, user_id=target))]
    _write(puts=copies)

    done: list[Task] = []
    refused: list[Task] = []
    for start in range(0, len(tasks), _CHUNK):
        chunk = tasks[start : start + _CHUNK]
        switched = _switch_chunk(chunk, target)
        done += switched or []
        refused += [] if switched is not None else chunk
    # The sweep: whatever the moved tasks still have in the source (written after the copies) follows them.
    moved_ids = {task.id for task in done}
    left = _all_belongings(source, moved_ids)
    _write(puts=_copies([item for items in left.values() for item in items], source, target))
    stale = [(source, item["sk"]["S"]) for items in left.values() for item in items]
    stale += [(source, raw["sk"]["S"]) for task_id in moved_ids for raw in _derived(by_id[task_id])]
    _write(deletes=stale)
    return done + [move_task(task, target) for task in refused]


def _tasks_of(partition: str, project_id: str) -> Iterator[Task]:
    for item in TaskModel.by_project.query(f"{partition}#{project_id}", page_size=200):
        yield task_of(item)


def _project_of_raw(item: dict[str, Any]) -> Project:
    return project_of(ProjectModel.from_raw_data(item))


class DynamoPartitionMover:
    """The ``PartitionMover`` port: this module's moves."""

    def move_task(
        self,
        task: Task,
        target: str,
        *,
        change: Callable[[Task], Task] | None = None,
        activity: Sequence[tuple[str, ActivityEntry]] = (),
    ) -> Task:
        return move_task(task, target, change=change, activity=activity)

    def move_project(self, project: Project, target: str, *, before_tasks: Callable[[Project], None]) -> Project:
        return move_project(project, target, before_tasks=before_tasks)

    def begin_project_move(self, project: Project, target: str, *, before_tasks: Callable[[Project], None]) -> Project:
        return begin_project_move(project, target, before_tasks=before_tasks)

    def finish_project_move(self, target: str) -> Project | None:
        return finish_project_move(target)

    def project_size(self, partition: str, project_id: str, *, at_most: int) -> int:
        return project_size(partition, project_id, at_most=at_most)

    def pending_move(self, target: str) -> str | None:
        return pending_move(target)

    def moved(self, partition: str, task_id: str) -> Moved | None:
        return moved(partition, task_id)
