"""Attachments of the task in the detail panel: pick or drop files, upload them straight to S3 with progress
(``assets/attachments_upload.js`` through ``rx.call_script``; never through this server), cancel, watch the
processor (processing → ready / rejected with the reason), thumbnails, download, delete.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import AttachmentLimits, AttachmentPublic
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.task_detail import TaskDetailState
from taskmanager_pro.state.tasks import TasksState

INPUT_ID = "attachment-input"
DROP_ID = "attachment-drop"
POLL_S = 0.5
POLL_LIMIT = 240  # two minutes of "processing" at most, then the user can reopen the panel
MAX_FILES_AT_ONCE = 10


def size_text(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def icon_of(content_type: str) -> str:
    if content_type.startswith("image/"):
        return "image"
    if content_type == "application/pdf":
        return "file-text"
    if content_type.startswith("text/") or content_type == "application/json":
        return "file-type"
    if "spreadsheet" in content_type or content_type == "text/csv":
        return "file-spreadsheet"
    return "file-archive" if "zip" in content_type else "file"


@dataclasses.dataclass(frozen=True)
class AttachmentItem:
    id: str
    name: str
    size: str
    status: str  # pending (shown as "processing") | ready | rejected
    reason: str
    icon: str
    thumbnail_url: str
    download_url: str
    added: str


@dataclasses.dataclass(frozen=True)
class UploadItem:
    local_id: str
    attachment_id: str
    name: str
    size: str


def _item(a: AttachmentPublic) -> AttachmentItem:
    return AttachmentItem(
        id=a.id,
        name=a.name,
        size=size_text(a.size),
        status=a.status,
        reason=a.reason or "",
        icon=icon_of(a.content_type),
        thumbnail_url=a.thumbnail_url or "",
        download_url=a.download_url or "",
        added=a.created_at.strftime("%d %b %Y"),
    )


class AttachmentsState(AppState):
    att_items: list[AttachmentItem] = []
    att_uploads: list[UploadItem] = []
    att_error: str = ""
    att_loading: bool = False
    att_limits_text: str = ""
    att_accept: str = ""
    att_task_id: str = ""
    _att_limits: AttachmentLimits | None = None
    _watching: bool = False

    @rx.var
    def att_processing(self) -> int:
        return sum(1 for item in self.att_items if item.status == "pending")

    # --- loading -----------------------------------------------------------------------------
    @rx.event
    @signed_in(busy="att_loading")
    async def load_attachments(self) -> AsyncGenerator[Any, None]:
        """When the attachments part of the panel appears (it is keyed by the task: once per task shown)."""
        task_id = (await self.get_state(TaskDetailState)).d_id
        self.att_task_id, self.att_error, self.att_uploads = task_id, "", []
        if not task_id:
            return
        yield
        client = self._api()
        try:
            found = await call(client.list_attachments, task_id)
            if self._att_limits is None:
                self._att_limits = await call(client.attachment_limits)
        except ApiError as error:
            self.att_error = error.message
            return
        self.att_loading = False  # (the spinner goes with the list, not after the scripts below)
        self.att_items = [_item(a) for a in found]
        limits = self._att_limits
        self.att_accept = ",".join(limits.allowed_types)
        left = size_text(max(limits.quota_bytes - limits.used_bytes, 0))
        self.att_limits_text = f"Up to {size_text(limits.max_bytes)} per file · {left} of storage left"
        yield rx.call_script(f"window.tmpUploads && window.tmpUploads.installDrop('{DROP_ID}', '{INPUT_ID}')")
        if self.att_processing:
            yield AttachmentsState.watch_processing

    # --- choosing and uploading ----------------------------------------------------------------
    @rx.event
    def files_picked(self, _: Any = None) -> Any:
        """The file input changed (picked or dropped): let the page describe the files it holds."""
        return rx.call_script(f"window.tmpUploads.collect('{INPUT_ID}')", callback=AttachmentsState.files_chosen)

    @rx.event
    @signed_in
    async def files_chosen(self, files: list[dict[str, Any]]) -> AsyncGenerator[Any, None]:
        """Ask the API for a presigned POST per file, then let the page send each file to S3."""
        if not isinstance(files, list) or not self.att_task_id:
            return
        client = self._api()
        problems: list[str] = []
        for described in files[:MAX_FILES_AT_ONCE]:
            local_id = str(described.get("local_id", ""))[:40] if isinstance(described, dict) else ""
            name = str(described.get("name", ""))[:1000] if isinstance(described, dict) else ""
            size = described.get("size") if isinstance(described, dict) else None
            content_type = str(described.get("type", "") or "application/octet-stream")[:255]
            if not local_id or not isinstance(size, int) or size < 0:
                continue
            try:
                upload = await call(
                    client.request_upload, self.att_task_id, name=name, content_type=content_type, size=size
                )
            except ApiError as error:
                problems.append(f"{name}: {error.message}")
                yield rx.call_script(f"window.tmpUploads.forget({json.dumps(local_id)})")
                continue
            self.att_uploads = [
                *self.att_uploads,
                UploadItem(
                    local_id=local_id,
                    attachment_id=upload.attachment.id,
                    name=upload.attachment.name,
                    size=size_text(size),
                ),
            ]
            spec = {
                "local_id": local_id,
                "attachment_id": upload.attachment.id,
                "url": upload.upload.url,
                "fields": upload.upload.fields,
            }
            yield rx.call_script(
                f"window.tmpUploads.start({json.dumps(spec)})", callback=AttachmentsState.upload_finished
            )
        if len(files) > MAX_FILES_AT_ONCE:
            problems.append(f"At most {MAX_FILES_AT_ONCE} files at once.")
        self.att_error = " ".join(problems)

    @rx.event
    def cancel_upload(self, local_id: str) -> Any:
        if any(u.local_id == local_id for u in self.att_uploads):
            return rx.call_script(f"window.tmpUploads.cancel({json.dumps(local_id)})")
        return None

    @rx.event
    @signed_in
    async def upload_finished(self, result: dict[str, Any]) -> AsyncGenerator[Any, None]:
        """S3 answered (or the upload was cancelled): processing, or the pending record goes away."""
        if not isinstance(result, dict):
            return
        local_id = str(result.get("local_id", ""))
        upload = next((u for u in self.att_uploads if u.local_id == local_id), None)
        if upload is None:
            return
        self.att_uploads = [u for u in self.att_uploads if u.local_id != local_id]
        client = self._api()
        if not result.get("ok"):
            with contextlib.suppress(ApiError):  # else it expires on its own (TTL)
                await call(client.delete_attachment, upload.attachment_id)  # nothing was stored: drop the record
            if not result.get("aborted"):
                self.att_error = f"{upload.name} could not be uploaded. Try again."
            else:
                yield rx.toast.info("Upload cancelled", description=upload.name)
            return
        try:
            attachment = await call(client.get_attachment, upload.attachment_id)
        except ApiError as error:
            self.att_error = error.message
            return
        self.att_items = [*[i for i in self.att_items if i.id != attachment.id], _item(attachment)]
        if attachment.status == "pending":
            yield AttachmentsState.watch_processing
        else:  # the processor was quicker than this answer: nothing to watch, but the task changed
            yield AttachmentsState.refresh_task

    @rx.event(background=True)
    async def watch_processing(self) -> AsyncGenerator[Any, None]:
        """Poll the attachments still processing until the processor has decided (one watcher at a time)."""
        async with self:
            if self._watching:
                return
            self._watching = True
            task_id = self.att_task_id
        changed = False
        try:
            for _ in range(POLL_LIMIT):
                await asyncio.sleep(POLL_S)
                async with self:
                    pending = [i.id for i in self.att_items if i.status == "pending"]
                    if not pending or self.att_task_id != task_id:
                        break
                    client = await self._client()  # (the token is refreshed when it is about to lapse)
                    if client is None:
                        yield self._session_lost()
                        break
                try:
                    found = await call(client.list_attachments, task_id)
                except ApiError:
                    continue
                async with self:
                    if self.att_task_id != task_id:
                        break
                    fresh = {a.id: _item(a) for a in found}
                    if any(fresh.get(i) != item for i, item in ((x.id, x) for x in self.att_items)):
                        changed = changed or any(fresh.get(i) and fresh[i].status != "pending" for i in pending)
                        self.att_items = [fresh[item.id] for item in self.att_items if item.id in fresh]
                        for item in self.att_items:
                            if item.id in pending and item.status == "rejected":
                                yield rx.toast.error(f"{item.name} was rejected", description=item.reason)
        finally:
            async with self:
                self._watching = False
        if changed:
            yield AttachmentsState.refresh_task

    @rx.event
    @signed_in
    async def refresh_task(self) -> AsyncGenerator[Any, None]:
        """The task's version and paperclip changed with its attachments: show the stored task (inputs kept)."""
        task_id = self.att_task_id
        if not task_id:
            return
        try:
            task = await call(self._api().get_task, task_id)
        except ApiError:
            return
        (await self.get_state(TaskDetailState)).show_stored(task)
        (await self.get_state(TasksState)).task_saved(task)
        self._att_limits = None  # usage changed
        yield

    # --- delete --------------------------------------------------------------------------------
    @rx.event
    @signed_in
    async def delete_attachment(self, attachment_id: str) -> AsyncGenerator[Any, None]:
        item = next((i for i in self.att_items if i.id == attachment_id), None)
        if item is None:
            return
        try:
            await call(self._api().delete_attachment, attachment_id)
        except ApiError as error:
            if error.status != 404:
                self.att_error = error.message
                return
        self.att_items = [i for i in self.att_items if i.id != attachment_id]
        yield rx.toast.info("Attachment deleted", description=item.name)
        yield AttachmentsState.refresh_task
