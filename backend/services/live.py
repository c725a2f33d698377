"""Live updates: which ``Change`` messages a write makes, and for whom.

The publisher resolves the audience and sends one message per user channel, so a subscriber (a Reflex backend
process) only ever routes a message to the screens of the user it names. The audience of a write in a user's
partition is that user; of a write in a shared project's partition (``P#<p>``: its tasks, the project, its
memberships) every member (``members_of``: one Query of the ``M#`` rows per project and batch), each member's
message shaped for them (``overdue`` in their time zone). A membership row's change also reaches the member it is
about: a removed member's last message is the project's delete, so their screen drops it. A task's move between
partitions (a delete there, an insert here) is an upsert for whoever sees the new place and a delete only for those
who lose sight of it (``moved_to``: the tombstone the move left in the source). A comment's write (new, edited,
deleted) reaches the same audience as its task's, carrying the comment as the API shows it; the task's own
``comment_count`` comes with the task's upsert that the same transaction made (for a new or deleted comment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from backend.adapters.ports import ChangePublisher
from backend.adapters.stream_records import ItemWrite
from backend.domain.sharing import Moved, is_project_partition, project_of_partition
from backend.presenters import comment_public, task_public
from backend.schemas_comments import CommentPublic
from backend.schemas_live import Change

MembersOf = Callable[[str], list[str]]  # project id -> the subs of its members now
# (partition, task id) -> the task's last move out of that partition (its tombstone), None if it never left
MovedTo = Callable[[str, str], Moved | None]
NameOf = Callable[[str], str]  # user id -> their display name now (a comment's author)


def audience(write: ItemWrite, members_of: MembersOf | None = None) -> list[str]:
    """The users whose screens show this item: the partition's user, or every member of the shared project."""
    project_id = project_of_partition(write.user_id) if is_project_partition(write.user_id) else None
    if project_id is None:
        return [write.user_id]
    members = list(members_of(project_id)) if members_of is not None else []
    if write.member_id is not None and write.member_id not in members:
        members.append(write.member_id)  # removed (or left): told once more, that the project is gone for them
    return members


def _op(write: ItemWrite, user_id: str, members: list[str]) -> Literal["upsert", "delete"]:
    """A membership's change is the project's upsert for the members, its delete for one no longer among them."""
    if write.member_id is not None and write.member_id == user_id and write.op == "delete":
        return "delete"
    if write.member_id is not None:
        return "upsert"
    return write.op


def _kept_sight(write: ItemWrite, moved_to: MovedTo | None, members_of: MembersOf | None) -> set[str]:
    """Who still sees a deleted task because the delete was its move (the source's tombstone names this version):
    the audience of the partition it went to. Their screens get the task from that partition's insert (the two
    records of a move come in any order), so they hear no delete: never a delete after the new place's upsert."""
    if moved_to is None or write.op != "delete":
        return set()
    if write.kind == "comment":
        return _kept_comment(write, moved_to, members_of)
    if write.kind != "task" or write.version is None:
        return set()
    move = moved_to(write.user_id, write.id)
    if move is None or move.version != write.version:
        return set()  # really deleted (or an older move's tombstone)
    return set(audience(ItemWrite(move.to, "task", write.id, "upsert", write.at), members_of))


def _kept_comment(write: ItemWrite, moved_to: MovedTo, members_of: MembersOf | None) -> set[str]:
    """A comment deleted where its task moved out of is the move's sweep (the comment is in the task's new
    partition, put there before): those who see the new place keep it. A comment has no version of its task to
    compare, so a real delete in a partition the task came back to within the tombstone's 2 days reaches only those
    who don't also see where it had been; their open panel shows it until it is opened again."""
    task_id = write.id.split(".", 1)[0]
    move = moved_to(write.user_id, task_id)
    if move is None:
        return set()
    return set(audience(ItemWrite(move.to, "comment", write.id, "upsert", write.at), members_of))


def _comment(write: ItemWrite, name_of: NameOf | None) -> CommentPublic | None:
    if write.comment is None or write.op != "upsert":
        return None
    author = write.comment.author_id
    return comment_public(write.comment, name_of(author) if name_of is not None else "")


def changes_for(
    write: ItemWrite,
    *,
    now_local: Callable[[str], datetime],
    members_of: MembersOf | None = None,
    moved_to: MovedTo | None = None,
    name_of: NameOf | None = None,
) -> list[Change]:
    """One change per user who should see ``write``; a task upsert carries the task's public shape, computed with
    that user's local time (``now_local(user_id)``, naive) like the API does; a comment upsert the comment's, with
    its author's name (``name_of``)."""
    kept = _kept_sight(write, moved_to, members_of)
    users = [user_id for user_id in audience(write, members_of) if user_id not in kept]
    comment = _comment(write, name_of) if users else None
    return [
        Change(
            user_id=user_id,
            kind=write.kind,
            op=_op(write, user_id, users),
            id=write.id,
            task=task_public(write.task, now_local(user_id)) if write.task is not None else None,
            comment=comment,
            at=write.at,
        )
        for user_id in users
    ]


def relay(
    writes: Iterable[ItemWrite],
    *,
    bus: ChangePublisher,
    now_local: Callable[[str], datetime],
    members_of: MembersOf | None = None,
    moved_to: MovedTo | None = None,
    name_of: NameOf | None = None,
) -> int:
    """Publish the changes of ``writes``; how many messages were sent."""
    sent = 0
    for write in writes:
        changes = changes_for(write, now_local=now_local, members_of=members_of, moved_to=moved_to, name_of=name_of)
        for change in changes:
            bus.publish(change)
            sent += 1
    return sent
