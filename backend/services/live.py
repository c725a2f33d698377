"""Live updates: which ``Change`` messages a write makes, and for whom.

The publisher resolves the audience and sends one message per user channel, so a subscriber (a Reflex backend
process) only ever routes a message to the screens of the user it names. Today the audience of a write is its
owner. Once projects are shared, ``audience`` grows into "the owner and every member of the task's project" (one
membership read per project and batch): each member gets the change on their own channel, with the task shaped
for them (``overdue`` in their time zone); nothing changes on the subscriber side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from backend.adapters.ports import ChangePublisher
from backend.adapters.stream_records import ItemWrite
from backend.presenters import task_public
from backend.schemas_live import Change


def audience(write: ItemWrite) -> list[str]:
    """The users whose screens show this item (today: its owner)."""
    return [write.user_id]


def changes_for(write: ItemWrite, *, now_local: Callable[[str], datetime]) -> list[Change]:
    """One change per user who should see ``write``; a task upsert carries the task's public shape, computed with
    that user's local time (``now_local(user_id)``, naive) like the API does."""
    return [
        Change(
            user_id=user_id,
            kind=write.kind,
            op=write.op,
            id=write.id,
            task=task_public(write.task, now_local(user_id)) if write.task is not None else None,
            at=write.at,
        )
        for user_id in audience(write)
    ]


def relay(writes: Iterable[ItemWrite], *, bus: ChangePublisher, now_local: Callable[[str], datetime]) -> int:
    """Publish the changes of ``writes``; how many messages were sent."""
    sent = 0
    for write in writes:
        for change in changes_for(write, now_local=now_local):
            bus.publish(change)
            sent += 1
    return sent
