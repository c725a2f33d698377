"""``DynamoTaskStore``: the ``TaskStore`` port on the Tasks table, composing the package's parts (see __init__)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import cache
from itertools import islice
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from backend.adapters import prefetched
from backend.adapters.task_store import counters, planner, search_index
from backend.adapters.task_store.activity import activity_item
from backend.adapters.task_store.cursors import (
    DONE,
    decode_cursor,
    decode_fanout_cursor,
    decode_search_cursor,
    encode_cursor,
    encode_fanout_cursor,
    key_of,
    list_id,
)
from backend.adapters.task_store.mapping import index_items, index_terms, link_item, task_item, task_of, word_item
from backend.adapters.task_store.models import (
    LINK,
    TASK,
    LabelLinkModel,
    SubtaskCountModel,
    TaskCountsModel,
    TaskModel,
    connection,
)
from backend.adapters.task_store.projects import ProjectLabelStore
from backend.adapters.write_errors import is_conditional_failure
from backend.domain import quotas, search
from backend.domain.activity import ActivityEntry
from backend.domain.tasks import Label, Project, Status, Task, TaskQuery, subtask_change
from backend.errors import ConflictError, InvalidInputError

T = TypeVar("T")
R = TypeVar("R")
FAN_OUT_WORKERS = 8  # parallel Queries of one list over a member's partitions (1 + S, S <= 50 shared projects)


@cache
def _pool() -> ThreadPoolExecutor:
    """One pool per process, made on first use (not at import: nothing runs at a cold start's import)."""
    return ThreadPoolExecutor(max_workers=FAN_OUT_WORKERS, thread_name_prefix="fan-out")


def each(function: Callable[[T], R], sources: Sequence[T]) -> list[R]:
    """``function`` over ``sources``, in parallel when there are several; results in the sources' order."""
    if len(sources) <= 1:
        return [function(source) for source in sources]
    return list(_pool().map(function, sources))


def partitions(query: TaskQuery) -> tuple[str, ...]:
    """The partitions a list reads: the caller's, then each shared project's."""
    return (query.user_id, *query.shared)


def single(query: TaskQuery, partition: str) -> TaskQuery:
    """The list restricted to one partition (what one Query of a fan-out reads)."""
    return replace(query, user_id=partition, shared=())


def _parent_counts(previous: Task | None, task: Task | None) -> list[tuple[str, str, int, int]]:
    """(partition, parent id, children added, done children added) for each parent whose "n/m done" a write of a
    task changes: its one parent, or two when it goes from one parent to another (it leaves one, joins the other)."""
    moved = previous is not None and task is not None and previous.parent_id != task.parent_id
    pairs = [(previous, None), (None, task)] if moved else [(previous, task)]
    counts = []
    for before, after in pairs:
        subtask = after or before
        counted, done = subtask_change(before, after)
        if subtask is not None and subtask.parent_id is not None and (counted, done) != (0, 0):
            counts.append((subtask.user_id, subtask.parent_id, counted, done))
    return counts


def _count_on_parents(transaction: TransactWrite, counts: list[tuple[str, str, int, int]]) -> None:
    """The parents' counts (``_parent_counts``) in the write's transaction, as its last updates (and their
    ``version``, like a comment: an edit of a parent read before answers 409 instead of writing old counts back).
    The parents must exist: a child of a deleted task is refused."""
    for partition, parent_id, counted, done in counts:
        actions: list[Action] = [SubtaskCountModel.version.add(1)]
        if counted:
            actions.append(SubtaskCountModel.subtask_count.add(counted))
        if done:
            actions.append(SubtaskCountModel.subtask_done.add(done))
        parent = SubtaskCountModel(user_id=partition, sk=TASK + parent_id)
        transaction.update(parent, actions=actions, condition=SubtaskCountModel.sk.exists())


def _changed_meanwhile() -> ConflictError:
    return ConflictError("The task was changed meanwhile; reload it and try again.")


def _put_alone(item: TaskModel) -> TaskModel:
    """An edit that changes nothing beside the task (no word, label, counter, parent count or log row): one PutItem
    conditional on the version, as atomic as a transaction of one item at half its write cost (a transaction
    costs two write units per item) and one round of the service's two-phase commit less."""
    try:
        item.save()
    except PutError as exc:
        # (a plain write meeting a transaction in flight on the item is refused too: the same "changed meanwhile")
        if is_conditional_failure(exc) or exc.cause_response_code == "TransactionConflictException":
            raise _changed_meanwhile() from exc
        raise
    return item


class DynamoTaskStore:
    """The ``TaskStore`` port on the Tasks table: tasks here (each write with its label links, search words and
    counters in one transaction), lists planned by ``planner``, projects and labels by ``ProjectLabelStore``."""

    def __init__(self) -> None:
        self._catalog = ProjectLabelStore()

    # --- tasks ---
    def get_task(self, user_id: str, task_id: str) -> Task | None:
        hit = prefetched.take(TaskModel.Meta.table_name, user_id, TASK + task_id)  # read ahead with the Users row
        if hit is not None:
            return task_of(TaskModel.from_raw_data(hit.item)) if hit.item is not None else None
        try:
            return task_of(TaskModel.get(user_id, TASK + task_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_tasks(self, user_id: str, task_ids: Iterable[str]) -> dict[str, Task]:
        keys = [(user_id, TASK + task_id) for task_id in dict.fromkeys(task_ids)]
        return {item.task_id: task_of(item) for item in TaskModel.batch_get(keys, consistent_read=True)}

    def save_task(
        self,
        task: Task,
        *,
        previous: Task | None,
        limits: quotas.Quotas | None = None,
        activity: ActivityEntry | None = None,
    ) -> Task:
        """Create (``previous`` None) or update a task if its version is still ``previous.version``.

        With ``limits``, a write that adds a task or an open one is refused (``QuotaExceededError``) at the quota.
        ``activity``: a shared project's log row of the change, put in the same transaction."""
        try:
            return self._save_task(task, previous=previous, limits=limits, activity=activity)
        except counters.CountsRefused:
            assert limits is not None  # only limits make a condition
            if self._count_tasks_once(task.user_id):  # a user from before the counters: counted now, once more
                try:
                    return self._save_task(task, previous=previous, limits=limits, activity=activity)
                except counters.CountsRefused:
                    pass
        if previous is None and int(counters.read_counts(task.user_id).tasks or 0) >= limits.tasks:
            raise quotas.exceeded("tasks", limits.tasks, field="tasks", hint=counters.DELETE_DONE)
        raise quotas.exceeded("open tasks", limits.open_tasks, field="tasks", hint=counters.COMPLETE_SOME)

    def _save_task(
        self, task: Task, *, previous: Task | None, limits: quotas.Quotas | None, activity: ActivityEntry | None
    ) -> Task:
        item = task_item(task)
        return task_of(
            counters.retry_conflicts(
                lambda: self._write_task(item, task, previous=previous, limits=limits, activity=activity)
            )
        )

    def _write_task(
        self,
        item: TaskModel,
        task: Task,
        *,
        previous: Task | None,
        limits: quotas.Quotas | None,
        activity: ActivityEntry | None,
    ) -> TaskModel:
        old_labels, new_labels = (set(previous.labels) if previous else set()), set(task.labels)
        old_terms, new_terms = index_terms(previous), index_terms(task)
        added, opened = counters.count_change(previous, task)
        parents = _parent_counts(previous, task)
        if not (added or opened or old_labels ^ new_labels or old_terms ^ new_terms or activity or parents):
            return _put_alone(item)
        try:
            with TransactWrite(connection=connection()) as transaction:
                if added or opened:
                    transaction.update(
                        TaskCountsModel(user_id=task.user_id),
                        actions=[
                            *([TaskCountsModel.tasks.add(added)] if added else []),
                            *([TaskCountsModel.open_tasks.add(opened)] if opened else []),
                        ],
                        condition=counters.within(limits, added=added, opened=opened),
                    )
                transaction.save(item)  # conditional on the version (absent when creating)
                for label_id in new_labels - old_labels:
                    transaction.save(link_item(task.user_id, label_id, task.id))
                for label_id in old_labels - new_labels:
                    transaction.delete(link_item(task.user_id, label_id, task.id))
                # the search index follows title and notes (a completion or a move changes no word)
                for term in sorted(new_terms - old_terms):
                    transaction.save(word_item(task.user_id, term, task.id))
                for term in sorted(old_terms - new_terms):
                    transaction.delete(word_item(task.user_id, term, task.id))
                if activity is not None:
                    transaction.save(activity_item(task.user_id, activity))
                _count_on_parents(transaction, parents)
        except TransactWriteError as exc:
            # (the parents' updates, when there are any, come after the counters': PynamoDB keeps the call order)
            if (added > 0 or opened > 0) and counters.counts_refused(exc, updates_after=len(parents)):
                raise counters.CountsRefused from exc
            if is_conditional_failure(exc):
                raise _changed_meanwhile() from exc
            raise
        return item

    def _count_tasks_once(self, user_id: str) -> bool:
        """Count a user's tasks from before the counters (one paged COUNT Query each); False if already counted.
        A delete racing with this leaves the count one too high for good: a quota errs on the safe side."""
        if counters.read_counts(user_id).counted:
            return False
        everything, _ = self.count_tasks(TaskQuery(user_id=user_id, status="all"))
        still_open, _ = self.count_tasks(TaskQuery(user_id=user_id, status="open", sort="due"))
        counters.start_counts(user_id, tasks=everything, open_tasks=still_open)
        return True

    def delete_task(self, task: Task, *, activity: ActivityEntry | None = None) -> None:
        counters.retry_conflicts(lambda: self._delete_task(task, activity))

    def _delete_task(self, task: Task, activity: ActivityEntry | None) -> None:
        try:
            with TransactWrite(connection=connection()) as transaction:
                fewer: list[Action] = [TaskCountsModel.tasks.add(-1)]
                if task.status is Status.OPEN:
                    fewer.append(TaskCountsModel.open_tasks.add(-1))
                transaction.update(TaskCountsModel(user_id=task.user_id), actions=fewer)
                transaction.delete(task_item(task))  # conditional on the version we read
                for label_id in task.labels:
                    transaction.delete(link_item(task.user_id, label_id, task.id))
                for word in index_items(task):
                    transaction.delete(word)
                if activity is not None:
                    transaction.save(activity_item(task.user_id, activity))
                _count_on_parents(transaction, _parent_counts(task, None))
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise _changed_meanwhile() from exc
            raise

    def last_position(self, user_id: str, project_id: str) -> str | None:
        """The manual-order key of the last open task of a project."""
        items = TaskModel.by_project.query(
            f"{user_id}#{project_id}",
            TaskModel.project_sk.startswith(f"{Status.OPEN.value}#"),
            scan_index_forward=False,
            limit=1,
        )
        return next((item.position for item in items), None)

    def tasks_in_project(self, user_id: str, project_id: str) -> list[Task]:
        return [task_of(item) for item in TaskModel.by_project.query(f"{user_id}#{project_id}")]

    def task_ids_with_label(self, user_id: str, label_id: str) -> list[str]:
        links = LabelLinkModel.query(user_id, LabelLinkModel.sk.startswith(f"{LINK}{label_id}#"))
        return [link.task_id for link in links]

    def list_tasks(self, query: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        if query.search is not None:
            return self._search(query, limit=limit, cursor=cursor)
        if query.label_id is not None and query.shared:
            return self._paged(query, self._label_matches(query), "labels", limit=limit, cursor=cursor)
        if query.label_id is not None:
            return self._list_by_label(query, limit=limit, cursor=cursor)
        if query.shared and query.assignee_id is None:
            return self._fan_out(query, limit=limit, cursor=cursor)
        plan = planner.plan(query)
        index = plan.index
        items = plan.query(last_evaluated_key=self._start(cursor, index, query), page_size=100)
        if query.assignee_id is not None:  # an index over every partition: only the caller's (a project left)
            allowed = set(partitions(query))
            items = (item for item in items if item.user_id in allowed)
        page: list[Task] = []
        last: TaskModel | None = None
        for item in items:
            page.append(task_of(item))
            last = item
            if len(page) == limit:
                break
        more = last is not None and len(page) == limit and self._has_more(items)
        cursor_out = encode_cursor(list_id(index, query), key_of(last, index)) if more and last is not None else None
        return page, cursor_out

    def _fan_out(self, query: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        """A list over the caller's partition and each shared project's: one Query per source (in parallel, each
        limited to the page), merged in the index's order. The cursor holds each source's start key."""
        first = planner.plan(query)
        index, attribute = first.index, planner.sort_attribute(first.index)
        starts = (
            decode_fanout_cursor(cursor, index=index, query=query) if cursor else dict.fromkeys(partitions(query), None)
        )
        sources = [source for source, start in starts.items() if start != DONE]
        # One call per source when nothing is filtered out: Limit is the page (+1 to know whether more follows).
        page_size = limit + 1 if first.filter is None else 100

        def read(source: str) -> tuple[list[TaskModel], bool]:
            start = starts[source]
            items = planner.plan(single(query, source)).query(
                last_evaluated_key=start if isinstance(start, dict) else None, page_size=page_size
            )
            got = list(islice(items, limit))
            return got, len(got) == limit and self._has_more(items)

        results = dict(zip(sources, each(read, sources), strict=True))
        merged = sorted(
            ((getattr(item, attribute), source, item) for source, (got, _) in results.items() for item in got),
            key=lambda entry: entry[0],
            reverse=not first.forward,
        )[:limit]
        taken: dict[str, TaskModel] = {}
        for _, source, item in merged:
            taken[source] = item  # the last one taken from each source
        following: dict[str, dict[str, Any] | str | None] = dict(starts)
        for source, (got, more) in results.items():
            if source in taken and (more or taken[source] is not got[-1]):
                following[source] = key_of(taken[source], index)
            elif source not in taken and (got or more):
                following[source] = starts[source]  # nothing of it on this page: it starts where it did
            else:
                following[source] = DONE
        page = [task_of(item) for _, _, item in merged]
        if all(start == DONE for start in following.values()):
            return page, None
        return page, encode_fanout_cursor(index, query, following)

    def count_tasks(self, query: TaskQuery, *, by: str | None = None) -> tuple[int, dict[str, int]]:
        """How many tasks the whole list holds, and (``by`` = ``section`` | ``status``) how many per value.

        A plain list: a ``Select=COUNT`` Query with the list's key condition and filter (paged through
        LastEvaluatedKey); grouped: the same Query projecting only the grouped attribute. Search and label lists
        count the tasks they match (the same reads as their listing)."""
        if query.search is not None or query.label_id is not None:
            tasks = self._search_matches(query) if query.search is not None else self._label_matches(query)
            return len(tasks), planner.group(tasks, by)
        if query.shared and query.assignee_id is None:
            counted = each(lambda p: self.count_tasks(single(query, p), by=by), partitions(query))
            merged: dict[str, int] = {}
            for _, counts in counted:
                for value, n in counts.items():
                    merged[value] = merged.get(value, 0) + n
            return sum(total for total, _ in counted), merged
        plan = planner.plan(query)
        if by is None:
            return plan.count(), {}
        counts = {}
        for item in plan.query(attributes_to_get=[by], page_size=500):
            value = (getattr(item, by) or "") if by == "section" else item.status
            counts[value] = counts.get(value, 0) + 1
        return sum(counts.values()), counts

    @staticmethod
    def _has_more(items: Iterator[Any]) -> bool:
        return next(items, None) is not None

    @staticmethod
    def _start(cursor: str | None, index: str, query: TaskQuery) -> dict[str, Any] | None:
        return decode_cursor(cursor, index=index, query=query) if cursor else None

    def _list_by_label(self, q: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        """Tasks with a label: walk its links (by task id = creation order), fetch the tasks in batches."""
        start = self._start(cursor, "labels", q)
        links = LabelLinkModel.query(
            q.user_id, LabelLinkModel.sk.startswith(f"{LINK}{q.label_id}#"), last_evaluated_key=start, page_size=100
        )
        page: list[Task] = []
        last_link: LabelLinkModel | None = None
        batch: list[LabelLinkModel] = []

        def flush() -> bool:
            nonlocal last_link
            tasks = self.get_tasks(q.user_id, [link.task_id for link in batch])
            for link in batch:
                task = tasks.get(link.task_id)
                last_link = link
                if task is not None and planner.matches(q, task):
                    page.append(task)
                    if len(page) == limit:
                        return True
            batch.clear()
            return False

        full = False
        for link in links:
            batch.append(link)
            if len(batch) == 50 and (full := flush()):
                break
        if not full and batch:
            full = flush()
        # More links wait either in the batch the page filled up in, or further in the query.
        more = full and ((bool(batch) and last_link is not batch[-1]) or self._has_more(links))
        return page, encode_cursor(list_id("labels", q), key_of(last_link, "labels")) if more and last_link else None

    def _label_matches(self, q: TaskQuery) -> list[Task]:
        """The tasks with the caller's label, in each partition the list reads (links live with their task)."""

        def in_partition(partition: str) -> list[Task]:
            tasks = self.get_tasks(partition, self.task_ids_with_label(partition, str(q.label_id)))
            return [task for task in tasks.values() if planner.matches(q, task)]

        return [task for found in each(in_partition, partitions(q)) for task in found]

    # --- search (the W# index) ---
    def _search(self, q: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        """One page of the tasks matching ``q.search`` (and every other criterion), in the list's order, open first.

        The cursor is the sort key of the last task returned: the next page starts after it, so an unchanged task is
        never skipped or repeated while others change."""
        return self._paged(q, self._search_matches(q), "search", limit=limit, cursor=cursor)

    def _paged(
        self, q: TaskQuery, found: list[Task], list_name: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Task], str | None]:
        """One page of tasks read by id (search; a label over several partitions), in the list's order, open
        first; the cursor is the sort key of the last task returned."""
        key = planner.sort_key(q.sort)
        matches = sorted(found, key=key)
        if cursor:
            after = decode_search_cursor(cursor, q, key_length=planner.sort_key_length(q.sort), list_name=list_name)
            try:
                matches = [task for task in matches if list(key(task)) > after]
            except TypeError:  # a cursor of another sort
                raise InvalidInputError(
                    "The cursor is not valid for this list.", fields={"cursor": "is not valid"}
                ) from None
        page = matches[:limit]
        if len(matches) <= limit:
            return page, None
        return page, encode_cursor(list_id(list_name, q), {"after": list(key(page[-1]))})

    def _search_matches(self, q: TaskQuery) -> list[Task]:
        """Every task of the user (and of their shared projects: the same in each partition, in parallel) matching
        the search and the list's criteria."""
        if not q.shared:
            return self._search_partition(q)
        return [task for found in each(self._search_partition, [single(q, p) for p in partitions(q)]) for task in found]

    def _search_partition(self, q: TaskQuery) -> list[Task]:
        """The matches in one partition: index lookups give candidate ids (the most selective term first,
        intersected until a single BatchGet is left), then the tasks are read and checked against every word they
        have. Reads grow with the matches, not with the user's tasks."""
        parsed = search.parse_query(q.search)
        if parsed is None:
            return []
        search_index.ensure_indexed(q.user_id)
        candidates: set[str] | None = None
        for term, is_prefix in parsed.lookups():
            if candidates is not None and len(candidates) <= 100:
                break  # one BatchGet: the remaining words are checked on the tasks themselves
            found = search_index.ids_with_term(q.user_id, term, is_prefix=is_prefix)
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return []
        tasks = self.get_tasks(q.user_id, sorted(candidates or ()))
        return [
            task
            for task in tasks.values()
            if parsed.matches(search.task_words(task.title, task.notes)) and planner.matches(q, task)
        ]

    def backfill_search_index(self, user_id: str) -> int:
        """Index every task of the user (``scripts/backfill_search_index.py``); returns the entries written."""
        return search_index.backfill(user_id)

    def mark_search_indexed(self, user_id: str) -> None:
        """Record that the user's tasks all went through the write path (a new user: the Inbox is created first)."""
        search_index.mark_indexed(user_id)

    # --- projects and labels (projects.py) ---
    def list_projects(self, user_id: str) -> list[Project]:
        return self._catalog.list_projects(user_id)

    def get_project(self, user_id: str, project_id: str) -> Project | None:
        return self._catalog.get_project(user_id, project_id)

    def save_project(self, project: Project, *, activity: ActivityEntry | None = None) -> Project:
        return self._catalog.save_project(project, activity=activity)

    def add_project_once(self, project: Project) -> Project:
        return self._catalog.add_project_once(project)

    def delete_project(self, project: Project) -> None:
        self._catalog.delete_project(project)

    def list_labels(self, user_id: str) -> list[Label]:
        return self._catalog.list_labels(user_id)

    def get_label(self, user_id: str, label_id: str) -> Label | None:
        return self._catalog.get_label(user_id, label_id)

    def save_label(self, label: Label) -> Label:
        return self._catalog.save_label(label)

    def delete_label(self, label: Label) -> None:
        self._catalog.delete_label(label)
