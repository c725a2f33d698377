"""The Tasks table's PynamoDB models, their key prefixes and the GSIs (the layout: the package's docstring)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.constants import STREAM_NEW_AND_OLD_IMAGE
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from backend.domain import search

TASK, PROJECT, LABEL, LINK, WORD, INDEXED = "TASK#", "PROJECT#", "LABEL#", "LT#", "W#", "WIDX"
TASK_COUNTS = "USAGE#tasks"
TRANSACTION_LIMIT = 100
MAX_LINKS_PER_SAVE = 20  # 10 labels added + 10 removed
# the task, its label links, its search words, the task counters, an activity row and the parent's subtask counts
assert 4 + MAX_LINKS_PER_SAVE + 2 * search.MAX_TERMS <= TRANSACTION_LIMIT, "a task save must fit one transaction"


class TableMeta:
    table_name = "tasks"  # set by configure_models()
    billing_mode = "PAY_PER_REQUEST"
    region = "us-east-1"
    host: str | None = None


class StatusDueIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_status_due"
        projection = AllProjection()

    status_pk = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class PriorityIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_priority"
        projection = AllProjection()

    status_pk = UnicodeAttribute(hash_key=True)
    priority_sk = UnicodeAttribute(range_key=True)


class ProjectIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_project"
        projection = AllProjection()

    project_pk = UnicodeAttribute(hash_key=True)
    project_sk = UnicodeAttribute(range_key=True)


class CompletedIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_completed"
        projection = AllProjection()

    done_pk = UnicodeAttribute(hash_key=True)
    completed_sk = UnicodeAttribute(range_key=True)


class AssigneeIndex(GlobalSecondaryIndex["TaskModel"]):
    """Sparse: only assigned tasks carry ``assignee_pk`` (``<assignee sub>#<status>``): "assigned to me", 1 Query."""

    class Meta:
        index_name = "by_assignee"
        projection = AllProjection()

    assignee_pk = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class ParentIndex(GlobalSecondaryIndex["TaskModel"]):
    """Sparse: only subtasks carry ``parent_pk`` (``<partition>#<parent id>``): a task's children by status, then
    manual order, with one Query (issue 14)."""

    class Meta:
        index_name = "by_parent"
        projection = AllProjection()

    parent_pk = UnicodeAttribute(hash_key=True)
    project_sk = UnicodeAttribute(range_key=True)


class SubtaskAttribute(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    title = UnicodeAttribute()
    done = BooleanAttribute(default=False)


class CompletionAttribute(MapAttribute[str, Any]):
    due_date = UnicodeAttribute(null=True)
    completed_at = UTCDateTimeAttribute()
    by = UnicodeAttribute(null=True)


class TaskModel(Model):
    class Meta(TableMeta):
        # The analytics Lambda reads the table's stream (backend/handlers/analytics.py); the CDK sets the same.
        stream_view_type = STREAM_NEW_AND_OLD_IMAGE

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    title = UnicodeAttribute()
    notes = UnicodeAttribute(default="")
    status = UnicodeAttribute()
    priority = NumberAttribute()
    due_date = UnicodeAttribute(null=True)
    due_time = UnicodeAttribute(null=True)
    start_date = UnicodeAttribute(null=True)
    section = UnicodeAttribute(null=True)
    labels = ListAttribute(of=UnicodeAttribute, default=list)
    subtasks = ListAttribute(of=SubtaskAttribute, default=list)
    recurrence = UnicodeAttribute(null=True)
    recurrence_anchor = UnicodeAttribute(null=True)
    position = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    completed_at = UTCDateTimeAttribute(null=True)
    history = ListAttribute(of=CompletionAttribute, default=list)
    search_text = UnicodeAttribute(default="")
    # index keys, derived from the fields above on every write
    status_pk = UnicodeAttribute()
    due_sk = UnicodeAttribute()
    priority_sk = UnicodeAttribute()
    project_pk = UnicodeAttribute()
    project_sk = UnicodeAttribute()
    done_pk = UnicodeAttribute(null=True)
    completed_sk = UnicodeAttribute(null=True)
    version = VersionAttribute()
    attachment_count = NumberAttribute(null=True)  # ready attachments (adapters/attachments.py keeps it)
    comment_count = NumberAttribute(null=True)  # comments (task_store/comments.py keeps it)
    # shared projects (issue 13): absent on older items
    assignee_id = UnicodeAttribute(null=True)
    assignee_pk = UnicodeAttribute(null=True)  # <assignee>#<status> while assigned (the sparse by_assignee key)
    created_by = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    completed_by = UnicodeAttribute(null=True)
    # nested subtasks (issue 14): absent on top-level tasks and on items from before them
    parent_id = UnicodeAttribute(null=True)
    parent_pk = UnicodeAttribute(null=True)  # <partition>#<parent id> (the sparse by_parent key)
    depth = NumberAttribute(null=True)
    subtask_count = NumberAttribute(null=True)  # direct children; ADDed in each child's transaction
    subtask_done = NumberAttribute(null=True)
    reset_subtasks = BooleanAttribute(null=True)

    by_status_due = StatusDueIndex()
    by_priority = PriorityIndex()
    by_project = ProjectIndex()
    by_completed = CompletedIndex()
    by_assignee = AssigneeIndex()
    by_parent = ParentIndex()


class ProjectModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    project_id = UnicodeAttribute()
    name = UnicodeAttribute()
    color = UnicodeAttribute()
    position = UnicodeAttribute()
    is_inbox = BooleanAttribute(default=False)
    archived = BooleanAttribute(default=False)
    sections = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class LabelModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    label_id = UnicodeAttribute()
    name = UnicodeAttribute()
    color = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class LabelLinkModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()


class SearchWordModel(Model):
    """``W#<word>#<task id>``: the task has this word (a prefix Query of ``W#<start>`` finds the tasks)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()


class SearchIndexedModel(Model):
    """``WIDX``: every task of the user is in the search index (older tasks are backfilled on first search)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=INDEXED)
    indexed_at = UTCDateTimeAttribute(null=True)


class SubtaskCountModel(Model):
    """A task item seen only through its children's counts (no VersionAttribute: we add 1 to ``version``
    ourselves, as the comment counter does, so an edit based on the parent read before answers 409 instead of
    writing old counts back)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    subtask_count = NumberAttribute(default=0)
    subtask_done = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


class TaskCountsModel(Model):
    """``USAGE#tasks``: the user's tasks (``tasks``: all, ``open_tasks``: open), changed by ``ADD`` in the transaction
    of every write that changes them; a write that adds one is conditional on the quota. ``counted``: the counters
    hold the whole partition (written with the Inbox; a user from before them is counted on their first create)."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TASK_COUNTS)
    tasks = NumberAttribute(null=True)
    open_tasks = NumberAttribute(null=True)
    counted = BooleanAttribute(null=True)


# --- shared projects (issue 13): rows in the project's partition ``P#<project>`` and the invitee's pointer ---------
MEMBER, INVITATION, INVITEE, INVITEE_REF = "M#", "I#", "E#", "INV#"
SEATS = "SEATS"


class SeatsModel(Model):
    """``P#<project>`` / ``SEATS``: ``taken`` = its members + pending invitations, changed by ``ADD`` in the
    transaction of every write that adds or frees one; an invitation's is conditional on the cap, so the cap holds
    under concurrent invitations. It may only count too many (an invitation that expired): then it is recounted."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=SEATS)
    taken = NumberAttribute(null=True)


class MembershipModel(Model):
    """``P#<project>`` / ``M#<sub>``: a member, their role and their own sidebar position."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the project's partition
    sk = UnicodeAttribute(range_key=True)
    member_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    role = UnicodeAttribute()
    joined_at = UTCDateTimeAttribute()
    invited_by = UnicodeAttribute(null=True)
    position = UnicodeAttribute(default="a1")
    display_name = UnicodeAttribute(default="")
    email = UnicodeAttribute(default="")  # normalized: "already a member?" needs no Users read
    version = VersionAttribute()


class InvitationModel(Model):
    """``P#<project>`` / ``I#<normalized email>`` (pending), and its copy ``E#<email>`` / ``INV#<id>`` that the invitee
    lists (same attributes). Both expire with ``expires_at`` (TTL); readers skip expired ones before TTL runs."""

    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    invitation_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    invited_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    project_name = UnicodeAttribute(default="")
    inviter_name = UnicodeAttribute(default="")
    expires_at = TTLAttribute(null=True)


TASK_TABLE_MODELS: tuple[type[Model], ...] = (
    TaskCountsModel,
    SubtaskCountModel,
    TaskModel,
    ProjectModel,
    LabelModel,
    LabelLinkModel,
    SearchWordModel,
    SearchIndexedModel,
    MembershipModel,
    InvitationModel,
    SeatsModel,
)


def connection() -> Connection:
    """The low-level connection of the table (what a ``TransactWrite`` needs)."""
    return TaskModel._get_connection().connection
