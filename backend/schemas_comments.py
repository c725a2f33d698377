"""API shapes of comments and of a project's activity log (issue 13), in the style of ``backend.schemas``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from backend.domain.activity import What
from backend.domain.comments import MAX_BODY
from backend.schemas import MultiLine, StrictModel


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    return value


MARKDOWN = (
    "Markdown (CommonMark), stored exactly as typed; clients must render it safely (no raw HTML). "
    "`@name` mentions a member of the project: their display name without spaces, its first word, or the part of "
    "their email address before the @."
)
CommentBody = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_BODY),
    MultiLine,
    AfterValidator(_not_blank),
    Field(description=MARKDOWN, json_schema_extra={"contentMediaType": "text/markdown"}),
]
# ``<task id>.<ulid>``: the task the comment is on, then the comment's own id
CommentId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,40}\.[0-9A-Za-z]{26}$")]


class CommentCreate(StrictModel):
    body: CommentBody


class CommentUpdate(StrictModel):
    body: CommentBody
    version: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="the comment's version you read: a comment changed since then answers 409"
    )


class CommentPublic(BaseModel):
    id: str = Field(description="`<task id>.<comment ulid>`")
    task_id: str
    author_id: str
    author_name: str = Field(description="the author's display name now")
    body: str = Field(description="markdown, as typed; render safely", json_schema_extra={"format": "markdown"})
    mentions: list[str] = Field(description="ids of the members mentioned, as resolved when saved")
    created_at: datetime
    edited_at: datetime | None
    version: int


class CommentPage(BaseModel):
    items: list[CommentPublic]
    cursor: str | None = Field(description="pass as `cursor` for the next page; null at the end")


class ActivityPublic(BaseModel):
    id: str
    actor_id: str
    actor_name: str
    what: What
    task_id: str | None
    task_title: str | None
    member_id: str | None = Field(description="the member a membership event is about")
    member_name: str | None
    before: dict[str, Any] = Field(description="the changed fields as they were (texts cut to 1 000 characters)")
    after: dict[str, Any] = Field(description="the changed fields as they became")
    at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityPublic]
    cursor: str | None = Field(description="pass as `cursor` for the next (older) page; null at the end")
