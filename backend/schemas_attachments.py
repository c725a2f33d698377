"""API shapes of attachments (JSON, snake_case), in the style of ``backend.schemas``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from backend.schemas import StrictModel

FileName = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
MediaType = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class AttachmentUploadRequest(StrictModel):
    """What the browser knows before uploading: the file's name, type and size."""

    name: FileName
    content_type: MediaType
    size: Annotated[int, Field(ge=0, le=10 * 1024**4)]


class AttachmentPublic(BaseModel):
    id: str
    task_id: str
    name: str
    content_type: str  # the declared type until processed, then the real one
    size: int  # the declared size until processed, then the stored one
    status: Literal["pending", "ready", "rejected"]
    reason: str | None  # why it was rejected
    sha256: str | None
    has_thumbnail: bool
    created_at: datetime
    processed_at: datetime | None
    # Short-lived presigned GETs, only for ready attachments.
    download_url: str | None = None
    thumbnail_url: str | None = None
    urls_expire_at: datetime | None = None


class PresignedPost(BaseModel):
    """POST ``fields`` + the file (last, as ``file``) as multipart/form-data to ``url``, before ``expires_at``."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


class AttachmentUpload(BaseModel):
    attachment: AttachmentPublic
    upload: PresignedPost


class AttachmentList(BaseModel):
    items: list[AttachmentPublic]


class AttachmentLimits(BaseModel):
    """The limits checked before an upload (also by S3's policy and by the processor) and the caller's usage."""

    max_bytes: int
    quota_bytes: int
    used_bytes: int
    allowed_types: list[str]
