"""Attachment use cases: hand out a presigned upload, list/get/download/delete, clean up with the task, and the
processor's checks of an uploaded object. No HTTP; the bucket and the tables come in as ports."""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from backend.adapters.ports import AttachmentStore, MembershipStore, ObjectStorage, StoredObject, TaskStore
from backend.domain import attachments as domain
from backend.domain.attachments import Attachment, AttachmentStatus, Limits
from backend.domain.sharing import Action, authorize, project_partition
from backend.domain.tasks import new_id
from backend.domain.users import User
from backend.errors import NotFoundError
from backend.services import access

PENDING_GRACE = timedelta(hours=1)  # a pending row outlives its upload URL by this much, then expires (TTL)
REJECTED_KEPT = timedelta(days=7)  # a rejected row stays this long so the user can read why
CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 2 * 1024 * 1024  # image bytes above this spill to a temporary file while processing
THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_TYPE = "image/webp"
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Upload:
    attachment: Attachment
    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    url: str | None  # None unless ready
    thumbnail_url: str | None
    expires_at: datetime


def _owned_task_id(tasks: TaskStore, user_id: str, task_id: str) -> str:
    if tasks.get_task(user_id, task_id) is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    return task_id


@dataclass(frozen=True)
class Member:
    """The caller and the memberships port, for a shared project's attachments (None: the caller's own only)."""

    user: User
    memberships: MembershipStore


def _task_partition(tasks: TaskStore, user_id: str, task_id: str, member: Member | None, action: Action) -> str:
    """Where the task (and its attachment rows) lives, once the caller may do ``action`` on it: any member lists
    and downloads (viewer+), editors add and delete."""
    if member is None:
        _owned_task_id(tasks, user_id, task_id)
        return user_id
    task, where = access.task(member.user, task_id, tasks=tasks, memberships=member.memberships)
    authorize(where.role, action)
    return task.user_id


def _find(
    store: AttachmentStore, user_id: str, attachment_id: str, *, now: datetime, member: Member | None, action: Action
) -> Attachment:
    """An attachment by id: the caller's own, else one of a task of their shared projects (a pointer read per
    project until found), once their role there allows ``action``."""
    attachment = store.get(user_id, attachment_id, now=now)
    if attachment is not None:
        return attachment
    for project_id in sorted(member.user.shared_projects) if member is not None else ():
        assert member is not None
        attachment = store.get(project_partition(project_id), attachment_id, now=now)
        if attachment is not None:
            membership = member.memberships.get_membership(project_id, user_id)
            authorize(membership.role if membership else None, action)
            return attachment
    raise NotFoundError("No such attachment.", fields={"attachment_id": "does not exist"})


def request_upload(
    *,
    store: AttachmentStore,
    tasks: TaskStore,
    storage: ObjectStorage,
    user_id: str,
    task_id: str,
    name: str,
    content_type: str,
    size: int,
    limits: Limits,
    now: datetime,
    member: Member | None = None,
) -> Upload:
    """Check access, name, type, size and quota; record a pending row; presign a POST pinned to all of it. A shared
    task's files belong to its project's partition (its quota too)."""
    user_id = _task_partition(tasks, user_id, task_id, member, Action.EDIT_TASK)
    clean = domain.clean_name(name)
    existing = store.list_for_task(user_id, task_id, now=now)
    declared = domain.check_request(
        content_type=content_type,
        size=size,
        used_bytes=store.bytes_used(user_id),
        attachments_on_task=sum(1 for a in existing if a.status is not AttachmentStatus.REJECTED),
        limits=limits,
    )
    url_expires = (now + timedelta(seconds=limits.upload_expiry_s)).replace(microsecond=0)  # S3: whole seconds
    attachment = Attachment(
        id=new_id(),
        user_id=user_id,
        task_id=task_id,
        name=clean,
        declared_type=declared,
        declared_size=size,
        status=AttachmentStatus.PENDING,
        created_at=now,
        expires_at=url_expires + PENDING_GRACE,
    )
    store.add(attachment)
    post = storage.presigned_post(  # to the staging key: the processor copies what it accepts to ``key``
        key=attachment.staging_key, content_type=declared, max_bytes=size, expires_s=limits.upload_expiry_s
    )
    return Upload(attachment=attachment, url=str(post["url"]), fields=dict(post["fields"]), expires_at=url_expires)


def list_attachments(
    *,
    store: AttachmentStore,
    tasks: TaskStore,
    user_id: str,
    task_id: str,
    now: datetime,
    member: Member | None = None,
) -> list[Attachment]:
    partition = _task_partition(tasks, user_id, task_id, member, Action.READ)
    return sorted(store.list_for_task(partition, task_id, now=now), key=lambda a: a.id)


def get_attachment(*, store: AttachmentStore, user_id: str, attachment_id: str, now: datetime) -> Attachment:
    attachment = store.get(user_id, attachment_id, now=now)
    if attachment is None:
        raise NotFoundError("No such attachment.", fields={"attachment_id": "does not exist"})
    return attachment


def download(
    *,
    store: AttachmentStore,
    storage: ObjectStorage,
    user_id: str,
    attachment_id: str,
    limits: Limits,
    now: datetime,
    member: Member | None = None,
) -> Download:
    """Metadata and short-lived URLs: the file (with its original name) and its thumbnail."""
    attachment = _find(store, user_id, attachment_id, now=now, member=member, action=Action.READ)
    return with_urls(attachment, storage=storage, limits=limits, now=now)


def with_urls(attachment: Attachment, *, storage: ObjectStorage, limits: Limits, now: datetime) -> Download:
    expires = limits.download_expiry_s
    url = thumb = None
    if attachment.status is AttachmentStatus.READY:
        url = storage.presigned_get(
            key=attachment.key,
            filename=attachment.name,
            content_type=attachment.content_type or attachment.declared_type,
            expires_s=expires,
        )
        if attachment.thumbnail:
            thumb = storage.presigned_get(
                key=attachment.thumbnail_key,
                filename=f"{attachment.name}.webp",
                content_type=THUMBNAIL_TYPE,
                expires_s=expires,
                inline=True,
            )
    return Download(attachment=attachment, url=url, thumbnail_url=thumb, expires_at=now + timedelta(seconds=expires))


def delete_attachment(
    *,
    store: AttachmentStore,
    storage: ObjectStorage,
    user_id: str,
    attachment_id: str,
    now: datetime,
    member: Member | None = None,
) -> None:
    attachment = _find(store, user_id, attachment_id, now=now, member=member, action=Action.EDIT_TASK)
    # Objects first: a retry after a failure in between finds the row and finishes the job.
    storage.delete(attachment.staging_key, attachment.key, attachment.thumbnail_key)
    store.delete(attachment)


def delete_task_attachments(*, store: AttachmentStore, storage: ObjectStorage, user_id: str, task_id: str) -> int:
    """After the task itself is gone: every attachment of it (objects, thumbnails, rows, usage). Returns how many."""
    found = store.list_for_task(user_id, task_id, now=_LONG_AGO)  # expired pending rows too
    for attachment in found:
        storage.delete(attachment.staging_key, attachment.key, attachment.thumbnail_key)
        store.delete(attachment, task_exists=False)
    return len(found)


@dataclass(frozen=True)
class TaskAttachmentCleanup:
    """What the task service calls after deleting tasks (a small port, so tasks know nothing of S3)."""

    store: AttachmentStore
    storage: ObjectStorage

    def task_deleted(self, user_id: str, task_id: str) -> None:
        delete_task_attachments(store=self.store, storage=self.storage, user_id=user_id, task_id=task_id)


def moved_files(*, store: AttachmentStore, partitions: list[str], owner: str) -> frozenset[str]:
    """The object keys under ``owner``'s prefixes that belong to tasks moved elsewhere: into ``partitions`` (shared
    projects) or anywhere their moves left a pointer to (a task moved on from a shared project into another member's
    personal project); their rows keep ``key_owner``. Deleting ``owner``'s account must leave them to those tasks."""
    keys: set[str] = set()
    rows = [row for partition in partitions for row in store.keyed_under(partition, owner)]
    for row in [*rows, *store.moved_away(owner)]:
        if row.status is AttachmentStatus.READY:  # an upload not checked yet or refused has nothing to keep
            keys.update((row.key, row.thumbnail_key) if row.thumbnail else (row.key,))
    return frozenset(keys)


# --- processing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    result: str  # ready | rejected | duplicate | superseded | orphan | ignored | missing
    reason: str | None = None
    attachment_id: str | None = None


@dataclass(frozen=True)
class _Inspection:
    size: int
    sha256: str
    content_type: str
    thumbnail: bytes | None


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def process_upload(
    *,
    store: AttachmentStore,
    storage: ObjectStorage,
    key: str,
    limits: Limits,
    now: datetime,
    version_id: str | None = None,
) -> Outcome:
    """What the processor does for one ObjectCreated of a staged upload (``key``, ``version_id`` from the event).

    It checks exactly that object version, copies exactly it to the attachment's file key (which no upload form can
    write) and records its SHA-256: what users download is what was checked. Re-posting the upload form only stages
    another version: before the attachment is ready the first version taken is bound to it (``claim``) and the others
    are discarded; after, every new version is discarded at once, so nothing of it stays stored or counts.
    Idempotent: a duplicate event of the bound version redoes the same copy and finds the row ready.
    """
    ref = domain.parse_staging_key(key)
    if ref is None:
        return Outcome("ignored")
    attachment = store.get_in_task(ref.user_id, ref.task_id, ref.attachment_id, now=now)
    if attachment is None:
        storage.discard(key, version_id)
        storage.delete(
            domain.object_key(ref.user_id, ref.task_id, ref.attachment_id),
            domain.thumbnail_key(ref.user_id, ref.task_id, ref.attachment_id),
        )
        return Outcome("orphan", "no upload was requested for this key", ref.attachment_id)
    if attachment.status is not AttachmentStatus.PENDING:
        storage.discard(key, version_id)  # a re-post of a processed upload: never served, never counted
        return Outcome("duplicate", attachment_id=attachment.id)
    stored = storage.open(key, version_id=version_id)
    if stored is None:  # deleted meanwhile, or a duplicate event of it just made it ready (and discarded it)
        now_row = store.get_in_task(ref.user_id, ref.task_id, ref.attachment_id, now=now)
        done = now_row is not None and now_row.status is not AttachmentStatus.PENDING
        return Outcome("duplicate" if done else "missing", attachment_id=attachment.id)
    try:
        if not store.claim(attachment, source=stored.source):
            if stored.version_id:  # unversioned, the key holds only the bound object: keep it
                storage.discard(key, stored.version_id)
            return Outcome("superseded", "another upload of this attachment was taken first", attachment.id)
        inspection = _inspect(attachment, stored=stored, limits=limits)
    except Rejected as rejected:
        return _reject(attachment, rejected.reason, stored=stored, store=store, storage=storage, now=now)
    finally:
        _close(stored.body)
    return _accept(attachment, stored, inspection, store=store, storage=storage, limits=limits, now=now)


def _accept(
    attachment: Attachment,
    stored: StoredObject,
    inspection: _Inspection,
    *,
    store: AttachmentStore,
    storage: ObjectStorage,
    limits: Limits,
    now: datetime,
) -> Outcome:
    """Copy the checked version to the file key (and its thumbnail), then count it: ready unless over quota."""
    if not storage.copy(
        source=stored, source_key=attachment.staging_key, key=attachment.key, content_type=inspection.content_type
    ):
        reason = "the file changed while it was being checked; upload it again"
        return _reject(attachment, reason, stored=stored, store=store, storage=storage, now=now)
    if inspection.thumbnail is not None:
        storage.put(key=attachment.thumbnail_key, data=inspection.thumbnail, content_type=THUMBNAIL_TYPE)
    outcome = store.mark_ready(
        attachment,
        source=stored.source,
        size=inspection.size,
        sha256=inspection.sha256,
        content_type=inspection.content_type,
        thumbnail=inspection.thumbnail is not None,
        now=now,
        quota_bytes=limits.quota_bytes,
    )
    if outcome == "ready":
        storage.discard(attachment.staging_key, stored.version_id)  # checked and copied: not stored twice
        return Outcome("ready", attachment_id=attachment.id)
    if outcome == "over_quota":
        reason = f"your storage is full ({domain.format_bytes(limits.quota_bytes)})"
        return _reject(attachment, reason, stored=stored, store=store, storage=storage, now=now, copied=True)
    if outcome == "task_gone":
        storage.discard(attachment.staging_key, stored.version_id)
        storage.delete(attachment.key, attachment.thumbnail_key)
        store.delete(attachment, task_exists=False)
        return Outcome("orphan", "the task was deleted", attachment.id)
    if store.get_in_task(attachment.user_id, attachment.task_id, attachment.id, now=now) is None:
        # The attachment was deleted while being checked (its objects first): take away what was just written.
        storage.delete(attachment.key, attachment.thumbnail_key)
        return Outcome("orphan", "the attachment was deleted", attachment.id)
    return Outcome("duplicate", attachment_id=attachment.id)  # the same version, processed twice at once


def _reject(
    attachment: Attachment,
    reason: str,
    *,
    stored: StoredObject,
    store: AttachmentStore,
    storage: ObjectStorage,
    now: datetime,
    copied: bool = False,
) -> Outcome:
    storage.discard(attachment.staging_key, stored.version_id)
    if copied:
        storage.delete(attachment.key, attachment.thumbnail_key)
    if store.mark_rejected(attachment, reason=reason, now=now, expires_at=now + REJECTED_KEPT):
        return Outcome("rejected", reason, attachment.id)
    return Outcome("duplicate", attachment_id=attachment.id)


def _inspect(attachment: Attachment, *, stored: StoredObject, limits: Limits) -> _Inspection:
    """Size, real type, SHA-256 and (images) a thumbnail, reading the object once in chunks."""
    if stored.size > attachment.declared_size:
        raise Rejected(f"the file has {stored.size} bytes, more than the {attachment.declared_size} declared")
    if stored.size > limits.max_bytes:
        raise Rejected(f"the file is larger than {domain.format_bytes(limits.max_bytes)}")
    body = stored.body
    digest = hashlib.sha256()
    read = 0
    is_image = attachment.declared_type in domain.IMAGE_TYPES
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        head = _read_at_least(body, domain.SNIFF_BYTES)
        sniffed = domain.sniff(head)
        mismatch = domain.type_mismatch(attachment.declared_type, sniffed)
        if mismatch:
            raise Rejected(mismatch)
        chunk = head
        while chunk:
            read += len(chunk)
            if read > attachment.declared_size:  # the object grew, or HEAD lied: never trust more than declared
                raise Rejected(f"the file has more than the {attachment.declared_size} bytes declared")
            digest.update(chunk)
            if is_image:
                spool.write(chunk)
            chunk = body.read(CHUNK)
        thumbnail = _thumbnail(spool, limits) if is_image else None
    content_type = attachment.declared_type if sniffed in (domain.TEXT, "application/zip") else str(sniffed)
    return _Inspection(size=read, sha256=digest.hexdigest(), content_type=content_type, thumbnail=thumbnail)


def _read_at_least(body: BinaryIO, n: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < n:
        part = body.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _close(body: Any) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _thumbnail(spool: Any, limits: Limits) -> bytes:
    """A small WebP of the image; refuses images too large to decode safely (checked before decoding)."""
    spool.seek(0)
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels  # Pillow's own guard, in case a format reports late
    try:
        with Image.open(spool) as image:
            width, height = image.size
            if width * height > limits.max_image_pixels:
                raise Rejected(f"the image is too large ({width}x{height} pixels)")
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale (bounded memory)
            image.thumbnail(THUMBNAIL_SIZE)
            small = ImageOps.exif_transpose(image)
            if small.mode not in ("RGB", "RGBA"):
                small = small.convert("RGBA" if "A" in small.getbands() or "transparency" in small.info else "RGB")
            out = io.BytesIO()
            small.save(out, "WEBP", quality=80)
            return out.getvalue()
    except Image.DecompressionBombError as exc:
        raise Rejected(f"the image is too large (more than {limits.max_image_pixels} pixels)") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Rejected("the image cannot be read (damaged or not an image)") from exc


def usage(*, store: AttachmentStore, user_id: str) -> int:
    return store.bytes_used(user_id)
