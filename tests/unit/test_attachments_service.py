"""Attachment use cases against small in-memory fakes of the ports (no AWS): the processor's branches, the upload
request, and the task service's hook that takes the attachments with a deleted task."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from backend.adapters.ports import StoredObject
from backend.domain.attachments import (
    Attachment,
    AttachmentStatus,
    Limits,
    object_key,
    staging_key,
    thumbnail_key,
    user_prefixes,
)
from backend.domain.tasks import Task
from backend.errors import NotFoundError, TooLargeError
from backend.services import attachments
from backend.services import tasks as task_service

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
USER, TASK = "user-1", "TASK1"


def png(color: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


@dataclass
class FakeStorage:
    """A versioned bucket: every write adds a version, the last one is current."""

    versions: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    written: int = 0

    def write(self, key: str, data: bytes) -> str:
        self.written += 1
        version = f"v{self.written}"
        self.versions.setdefault(key, []).append((version, data))
        return version

    def current(self, key: str) -> bytes | None:
        found = self.versions.get(key)
        return found[-1][1] if found else None

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, expires_s: int) -> dict[str, Any]:
        return {"url": "https://bucket.example", "fields": {"key": key, "Content-Type": content_type}}

    def presigned_get(self, *, key: str, filename: str, content_type: str, expires_s: int, inline: bool = False) -> str:
        return f"https://bucket.example/{key}?name={filename}"

    def open(self, key: str, *, version_id: str | None = None) -> StoredObject | None:
        for version, data in reversed(self.versions.get(key, [])):
            if version_id in (None, version):
                etag = f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324 - S3's ETag of a single-part upload
                return StoredObject(body=io.BytesIO(data), size=len(data), etag=etag, version_id=version)
        return None

    def copy(self, *, source: StoredObject, source_key: str, key: str, content_type: str) -> bool:
        found = self.open(source_key, version_id=source.version_id)
        if found is None:
            return False
        self.write(key, found.body.read())
        return True

    def discard(self, key: str, version_id: str | None) -> None:
        kept = [(v, data) for v, data in self.versions.get(key, []) if version_id is not None and v != version_id]
        if kept:
            self.versions[key] = kept
        else:
            self.versions.pop(key, None)

    def put(self, *, key: str, data: bytes, content_type: str) -> None:
        self.write(key, data)

    def delete(self, *keys: str) -> None:
        for key in keys:
            self.deleted.append(key)
            self.versions.pop(key, None)

    def delete_prefix(self, prefix: str, *, keep: frozenset[str] = frozenset()) -> int:
        keys = [key for key in self.versions if key.startswith(prefix) and key not in keep]
        self.delete(*keys)
        return len(keys)


@dataclass
class FakeStore:
    rows: dict[str, Attachment] = field(default_factory=dict)
    used: int = 0
    tasks: set[str] = field(default_factory=lambda: {TASK})
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, attachment: Attachment) -> None:
        self.rows[attachment.id] = attachment

    def get(self, user_id: str, attachment_id: str, *, now: datetime) -> Attachment | None:
        row = self.rows.get(attachment_id)
        return row if row is not None and row.user_id == user_id else None

    def get_in_task(self, user_id: str, task_id: str, attachment_id: str, *, now: datetime) -> Attachment | None:
        row = self.get(user_id, attachment_id, now=now)
        return row if row is not None and row.task_id == task_id else None

    def list_for_task(self, user_id: str, task_id: str, *, now: datetime) -> list[Attachment]:
        return [r for r in self.rows.values() if r.user_id == user_id and r.task_id == task_id]

    def bytes_used(self, user_id: str) -> int:
        return self.used

    def claim(self, attachment: Attachment, *, source: str) -> bool:
        row = self.rows.get(attachment.id)
        if row is None or row.status is not AttachmentStatus.PENDING or row.source not in (None, source):
            return False
        self.rows[attachment.id] = replace(row, source=source)
        return True

    def mark_ready(
        self,
        attachment: Attachment,
        *,
        source: str,
        size: int,
        sha256: str,
        content_type: str,
        thumbnail: bool,
        now: datetime,
        quota_bytes: int,
    ) -> str:
        row = self.rows.get(attachment.id)
        if row is None or row.status is not AttachmentStatus.PENDING or row.source != source:
            return "not_pending"
        if attachment.task_id not in self.tasks:
            return "task_gone"
        if self.used + size > quota_bytes:
            return "over_quota"
        self.used += size
        self.counts[attachment.task_id] = self.counts.get(attachment.task_id, 0) + 1
        self.rows[attachment.id] = replace(
            row, status=AttachmentStatus.READY, size=size, sha256=sha256, content_type=content_type, thumbnail=thumbnail
        )
        return "ready"

    def mark_rejected(self, attachment: Attachment, *, reason: str, now: datetime, expires_at: datetime) -> bool:
        row = self.rows.get(attachment.id)
        if row is None or row.status is not AttachmentStatus.PENDING:
            return False
        self.rows[attachment.id] = replace(row, status=AttachmentStatus.REJECTED, reason=reason)
        return True

    def delete(self, attachment: Attachment, *, task_exists: bool = True) -> None:
        row = self.rows.pop(attachment.id, None)
        if row is not None and row.status is AttachmentStatus.READY:
            self.used -= row.size or 0

    def keyed_under(self, partition: str, owner: str) -> list[Attachment]:
        return [r for r in self.rows.values() if r.user_id == partition and r.key_owner == owner]

    def moved_away(self, owner: str) -> list[Attachment]:
        return [r for r in self.rows.values() if not r.user_id.startswith("P#") and r.key_owner == owner]


def pending(attachment_id: str = "ATT1", *, declared_type: str = "image/png", size: int = 10_000) -> Attachment:
    return Attachment(
        id=attachment_id,
        user_id=USER,
        task_id=TASK,
        name="a.png",
        declared_type=declared_type,
        declared_size=size,
        status=AttachmentStatus.PENDING,
        created_at=NOW,
    )


def process(
    store: FakeStore, storage: FakeStorage, key: str, limits: Limits | None = None, *, version: str | None = None
) -> attachments.Outcome:
    return attachments.process_upload(
        store=store, storage=storage, key=key, limits=limits or Limits(), now=NOW, version_id=version
    )


STAGED, FILE, THUMB = staging_key(USER, TASK, "ATT1"), object_key(USER, TASK, "ATT1"), thumbnail_key(USER, TASK, "ATT1")


def test_a_png_becomes_ready_with_a_thumbnail_and_counts_once() -> None:
    store, storage = FakeStore(), FakeStorage()
    store.add(pending())
    version = storage.write(STAGED, png())
    assert process(store, storage, STAGED, version=version).result == "ready"
    assert process(store, storage, STAGED, version=version).result == "duplicate"
    assert store.used == len(png())
    assert store.counts == {TASK: 1}
    row = store.rows["ATT1"]
    assert row.thumbnail
    assert row.content_type == "image/png"
    assert row.source == version
    assert storage.current(FILE) == png()  # the checked version, copied where no upload form can write
    assert storage.current(THUMB) is not None
    assert STAGED not in storage.versions  # not stored twice


def test_a_repost_after_ready_is_discarded_and_the_file_stays_the_checked_one() -> None:
    store, storage = FakeStore(), FakeStorage()
    store.add(pending())
    assert process(store, storage, STAGED, version=storage.write(STAGED, png())).result == "ready"
    recorded = store.rows["ATT1"]
    swapped = storage.write(STAGED, b"MZ\x90\x00" + b"\x00" * 100)  # the same form posted again
    assert process(store, storage, STAGED, version=swapped).result == "duplicate"
    assert STAGED not in storage.versions
    assert storage.current(FILE) == png()
    assert hashlib.sha256(storage.current(FILE) or b"").hexdigest() == recorded.sha256
    assert store.rows["ATT1"] == recorded
    assert store.used == len(png())


@pytest.mark.parametrize("first", ["original", "repost"])
def test_of_two_versions_posted_while_pending_the_first_taken_is_the_attachment(first: str) -> None:
    """Events arrive in any order: whichever version is taken first is checked, copied and recorded; the other is
    discarded, also when it arrives while the first is still being checked (the row is bound to a version)."""
    store, storage = FakeStore(), FakeStorage()
    store.add(pending())
    original = storage.write(STAGED, png())
    repost = storage.write(STAGED, png(color="red"))
    versions = {"original": original, "repost": repost}
    second = "repost" if first == "original" else "original"
    assert store.claim(store.rows["ATT1"], source=versions[first])  # taken, still being checked
    assert process(store, storage, STAGED, version=versions[second]).result == "superseded"
    assert [v for v, _ in storage.versions[STAGED]] == [versions[first]]
    assert process(store, storage, STAGED, version=versions[first]).result == "ready"
    row = store.rows["ATT1"]
    expected = png() if first == "original" else png(color="red")
    assert (row.source, row.sha256) == (versions[first], hashlib.sha256(expected).hexdigest())
    assert storage.current(FILE) == expected
    assert STAGED not in storage.versions


def test_the_version_the_event_names_is_checked_not_the_current_one() -> None:
    store, storage = FakeStore(), FakeStorage()
    store.add(pending())
    good = storage.write(STAGED, png())
    storage.write(STAGED, b"MZ\x90\x00" + b"\x00" * 100)  # posted again before the first event is handled
    assert process(store, storage, STAGED, version=good).result == "ready"
    assert storage.current(FILE) == png()
    assert store.rows["ATT1"].sha256 == hashlib.sha256(png()).hexdigest()


def test_a_version_gone_before_the_copy_is_rejected_and_nothing_is_served() -> None:
    class Vanishing(FakeStorage):
        def copy(self, *, source: StoredObject, source_key: str, key: str, content_type: str) -> bool:
            return False  # the version was replaced or deleted between the check and the copy

    store, storage = FakeStore(), Vanishing()
    store.add(pending())
    outcome = process(store, storage, STAGED, version=storage.write(STAGED, png()))
    assert outcome.result == "rejected"
    assert "changed while it was being checked" in (outcome.reason or "")
    assert storage.current(FILE) is None
    assert storage.current(THUMB) is None
    assert store.used == 0


def test_keys_outside_the_staging_layout_are_ignored() -> None:
    for key in (THUMB, FILE):  # the processor's own writes, should they ever be delivered
        storage = FakeStorage()
        storage.write(key, b"x")
        assert process(FakeStore(), storage, key).result == "ignored"
        assert storage.deleted == []
        assert storage.current(key) == b"x"


def test_an_object_without_a_row_is_deleted() -> None:
    key = staging_key(USER, TASK, "NOBODY")
    storage = FakeStorage()
    storage.write(key, b"hello")
    outcome = process(FakeStore(), storage, key)
    assert outcome.result == "orphan"
    assert key not in storage.versions


def test_an_object_deleted_before_processing_changes_nothing() -> None:
    store = FakeStore()
    store.add(pending())
    assert process(store, FakeStorage(), STAGED, version="v9").result == "missing"
    assert store.rows["ATT1"].status is AttachmentStatus.PENDING


def test_over_quota_at_processing_rejects_and_deletes() -> None:
    store, storage = FakeStore(used=95), FakeStorage()
    store.add(pending(declared_type="text/plain", size=10))
    version = storage.write(STAGED, b"0123456789")
    outcome = process(store, storage, STAGED, Limits(quota_bytes=100), version=version)
    assert outcome.result == "rejected"
    assert "storage is full" in (outcome.reason or "")
    assert STAGED not in storage.versions
    assert FILE not in storage.versions
    assert store.used == 95


def test_an_upload_whose_task_was_deleted_is_removed() -> None:
    store, storage = FakeStore(tasks=set()), FakeStorage()
    store.add(pending(declared_type="text/plain", size=5))
    version = storage.write(STAGED, b"hello")
    assert process(store, storage, STAGED, version=version).result == "orphan"
    assert store.rows == {}
    assert STAGED not in storage.versions
    assert FILE not in storage.versions


@pytest.mark.parametrize(
    ("declared", "data", "reason"),
    [
        ("text/plain", b"\x00\x01binary", "not text/plain"),
        ("application/pdf", b"just text", "the content is text, not application/pdf"),
        ("text/plain", b"x" * 20, "20 bytes, more than the 10 declared"),
    ],
)
def test_mismatches_are_rejected_with_a_reason(declared: str, data: bytes, reason: str) -> None:
    store, storage = FakeStore(), FakeStorage()
    store.add(pending(declared_type=declared, size=10))
    version = storage.write(STAGED, data)
    outcome = process(store, storage, STAGED, version=version)
    assert outcome.result == "rejected"
    assert reason in (outcome.reason or "")
    assert store.rows["ATT1"].reason == outcome.reason
    assert STAGED not in storage.versions
    assert FILE not in storage.versions


def test_request_upload_checks_the_task_and_the_quota_and_records_a_pending_row() -> None:
    class Tasks:
        def get_task(self, user_id: str, task_id: str) -> object | None:
            return object() if (user_id, task_id) == (USER, TASK) else None

    store, storage = FakeStore(used=90), FakeStorage()
    tasks: Any = Tasks()
    with pytest.raises(NotFoundError):
        attachments.request_upload(
            store=store, tasks=tasks, storage=storage, user_id="someone-else", task_id=TASK,
            name="a.txt", content_type="text/plain", size=5, limits=Limits(quota_bytes=100), now=NOW,
        )  # fmt: skip
    with pytest.raises(TooLargeError):
        attachments.request_upload(
            store=store, tasks=tasks, storage=storage, user_id=USER, task_id=TASK,
            name="a.txt", content_type="text/plain", size=11, limits=Limits(quota_bytes=100), now=NOW,
        )  # fmt: skip
    upload = attachments.request_upload(
        store=store, tasks=tasks, storage=storage, user_id=USER, task_id=TASK,
        name="dir/a.txt", content_type="text/plain", size=10, limits=Limits(quota_bytes=100), now=NOW,
    )  # fmt: skip
    assert upload.fields["key"] == staging_key(USER, TASK, upload.attachment.id)  # never the served file's key
    assert upload.attachment.name == "a.txt"
    assert upload.attachment.expires_at is not None
    assert upload.attachment.expires_at > upload.expires_at
    assert store.rows[upload.attachment.id].status is AttachmentStatus.PENDING


def test_deleting_a_task_tells_the_listener_after_the_task_is_gone() -> None:
    events: list[str] = []

    class Store:
        def get_task(self, user_id: str, task_id: str) -> Task | None:
            return Task(id=task_id, user_id=user_id, project_id="inbox", title="t", created_at=NOW, updated_at=NOW)

        def delete_task(self, task: Task, *, activity: object = None) -> None:
            events.append(f"task {task.id} deleted")

    class Listener:
        def task_deleted(self, user_id: str, task_id: str) -> None:
            events.append(f"attachments of {task_id} deleted")

    store: Any = Store()
    task_service.delete_task(store=store, user_id=USER, task_id=TASK, on_deleted=Listener())
    assert events == [f"task {TASK} deleted", f"attachments of {TASK} deleted"]


def test_the_files_of_tasks_moved_into_a_shared_project_are_kept_when_their_owner_goes() -> None:
    store, storage = FakeStore(), FakeStorage()
    moved = replace(pending(), user_id="P#p1", key_owner=USER, status=AttachmentStatus.READY, thumbnail=True)
    waiting = replace(pending("ATT2"), user_id="P#p1", key_owner=USER)  # not checked yet: nothing to keep
    mine = replace(pending("ATT3"), status=AttachmentStatus.READY)  # a personal task's file
    for row in (moved, waiting, mine):
        store.add(row)
    storage.write(moved.key, b"photo")
    storage.write(moved.thumbnail_key, b"thumb")
    storage.write(mine.key, b"mine")

    keep = attachments.moved_files(store=store, partitions=["P#p1"], owner=USER)
    assert keep == {moved.key, moved.thumbnail_key}
    for prefix in user_prefixes(USER):
        storage.delete_prefix(prefix, keep=keep)
    assert storage.current(moved.key) == b"photo"
    assert storage.current(moved.thumbnail_key) == b"thumb"
    assert storage.current(mine.key) is None
