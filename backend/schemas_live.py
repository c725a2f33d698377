"""Live updates: the message a write of a user's data becomes, and the pub/sub channel it travels on.

The publisher (backend/handlers/live.py, the Tasks and Notifications streams) sends one ``Change`` per write and
per user who should see it, as JSON, on that user's channel ``tm:changes:<user id>``; every Reflex backend process
subscribes to the pattern ``tm:changes:*`` (backend/client/live.py) and hands each change to the screens of that
user it serves. Here (not in backend/client) because the Lambda bundle leaves backend/client out; the UI imports it
through backend.client.live.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from backend.schemas import TaskPublic
from backend.schemas_comments import CommentPublic

CHANNEL_PREFIX = "tm:changes:"
CHANNEL_PATTERN = CHANNEL_PREFIX + "*"

ChangeKind = Literal["task", "project", "label", "notification", "profile", "comment"]
ChangeOp = Literal["upsert", "delete"]


def channel(user_id: str) -> str:
    """The pub/sub channel of one user's changes."""
    return CHANNEL_PREFIX + user_id


class Change(BaseModel):
    """One write the user should see. ``task`` is the task's public shape (as ``GET /api/tasks/{id}`` answers) on a
    task upsert (``comment`` likewise on a comment upsert), else None: the screen asks the API for what it needs.
    ``unread`` is the bell's count when the publisher knows it cheaply, else None. ``at`` is when the write happened
    (epoch seconds, the stream record's ApproximateCreationDateTime: whole seconds in AWS), for measuring the lag."""

    user_id: str
    kind: ChangeKind
    op: ChangeOp
    id: str
    task: TaskPublic | None = None
    # A comment's change (``id`` = ``<task id>.<ulid>``): the comment in the API's shape on an upsert, so an open
    # panel shows it, edited or new, without a request; None on a delete.
    comment: CommentPublic | None = None
    unread: int | None = None
    at: float
