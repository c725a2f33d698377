"""Attachments of the caller's tasks: presigned upload, list, metadata + download URL, delete, limits/usage."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller, caller_id
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import created, documented, no_content
from backend.bootstrap import dependencies
from backend.domain.attachments import Attachment
from backend.schemas import ErrorBody, Id
from backend.schemas_attachments import (
    AttachmentLimits,
    AttachmentList,
    AttachmentPublic,
    AttachmentUpload,
    AttachmentUploadRequest,
    PresignedPost,
)
from backend.services import attachments
from backend.services.attachments import Download

router = APIGatewayRouter()


def _member() -> attachments.Member:
    """The caller (their shared projects come with the Users row already read) and the memberships port."""
    return attachments.Member(user=caller(router), memberships=dependencies().memberships)


_TOO_LARGE: dict[int, OpenAPIResponse] = {
    413: {
        "description": "Larger than a file may be, or than the storage left",
        "content": {"application/json": {"model": ErrorBody}},
    }
}


def _public(attachment: Attachment, download: Download | None = None) -> AttachmentPublic:
    processed = attachment.processed_at is not None
    return AttachmentPublic(
        id=attachment.id,
        task_id=attachment.task_id,
        name=attachment.name,
        content_type=(attachment.content_type or attachment.declared_type) if processed else attachment.declared_type,
        size=attachment.size if attachment.size is not None else attachment.declared_size,
        status=attachment.status.value,
        reason=attachment.reason,
        sha256=attachment.sha256,
        has_thumbnail=attachment.thumbnail,
        created_at=attachment.created_at,
        processed_at=attachment.processed_at,
        download_url=download.url if download else None,
        thumbnail_url=download.thumbnail_url if download else None,
        urls_expire_at=download.expires_at if download and download.url else None,
    )


@router.get(
    "/attachments/limits",
    summary="Upload limits (size, types, quota) and the caller's storage use",
    tags=["attachments"],
    security=AUTHENTICATED,
    responses=documented(),
)
def limits() -> AttachmentLimits:
    deps = dependencies()
    limits = deps.settings.attachment_limits
    return AttachmentLimits(
        max_bytes=limits.max_bytes,
        quota_bytes=limits.quota_bytes,
        used_bytes=attachments.usage(store=deps.attachments, user_id=caller_id(router)),
        allowed_types=list(limits.allowed_types),
    )


@router.post(
    "/tasks/<task_id>/attachments",
    summary="Ask to upload a file: a presigned S3 POST pinned to its key, type and size (the file never passes here)",
    tags=["attachments"],
    security=AUTHENTICATED,
    responses={**documented(AttachmentUpload), **_TOO_LARGE},
)
def request_upload(task_id: Annotated[Id, Path()], data: Annotated[AttachmentUploadRequest, Body()]) -> Response[str]:
    deps = dependencies()
    upload = attachments.request_upload(
        store=deps.attachments,
        tasks=deps.tasks,
        storage=deps.storage,
        user_id=caller_id(router),
        task_id=task_id,
        name=data.name,
        content_type=data.content_type,
        size=data.size,
        limits=deps.settings.attachment_limits,
        now=deps.clock(),
        member=_member(),
    )
    post = PresignedPost(url=upload.url, fields=upload.fields, expires_at=upload.expires_at)
    return created(AttachmentUpload(attachment=_public(upload.attachment), upload=post))


@router.get(
    "/tasks/<task_id>/attachments",
    summary="The attachments of a task (ready ones with short-lived download and thumbnail URLs)",
    tags=["attachments"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_attachments(task_id: Annotated[Id, Path()]) -> AttachmentList:
    deps = dependencies()
    now = deps.clock()
    limits = deps.settings.attachment_limits
    found = attachments.list_attachments(
        store=deps.attachments, tasks=deps.tasks, user_id=caller_id(router), task_id=task_id, now=now, member=_member()
    )
    return AttachmentList(
        items=[_public(a, attachments.with_urls(a, storage=deps.storage, limits=limits, now=now)) for a in found]
    )


@router.get(
    "/attachments/<attachment_id>",
    summary="One attachment: metadata, a short-lived download URL (original file name) and the thumbnail URL",
    tags=["attachments"],
    security=AUTHENTICATED,
    responses=documented(),
)
def get_attachment(attachment_id: Annotated[Id, Path()]) -> AttachmentPublic:
    deps = dependencies()
    download = attachments.download(
        store=deps.attachments,
        storage=deps.storage,
        user_id=caller_id(router),
        attachment_id=attachment_id,
        limits=deps.settings.attachment_limits,
        now=deps.clock(),
        member=_member(),
    )
    return _public(download.attachment, download)


@router.delete(
    "/attachments/<attachment_id>",
    summary="Delete an attachment (the file, its thumbnail and its record)",
    tags=["attachments"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_attachment(attachment_id: Annotated[Id, Path()]) -> Response[None]:
    deps = dependencies()
    attachments.delete_attachment(
        store=deps.attachments,
        storage=deps.storage,
        user_id=caller_id(router),
        attachment_id=attachment_id,
        now=deps.clock(),
        member=_member(),
    )
    return no_content()
