"""Attachments: allowed types, limits, object keys, request validation and the processor's verdicts. Pure.

An upload goes browser → S3 (presigned POST) → processor; this module decides what may be asked for and what a
stored object must be to be accepted. It knows no S3 and no DynamoDB.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

import puremagic

from backend.errors import InvalidInputError, TooLargeError

MIB = 1024 * 1024
GIB = 1024 * MIB
SNIFF_BYTES = 8192  # how much of an object is read to tell its real type
MAX_NAME_LENGTH = 200

# The one place of the object layout. The browser's presigned POST writes only under STAGING_PREFIX (the bucket
# notification is filtered to it). The processor copies the exact version it checked to FILE_PREFIX, which no
# presigned POST can address (the signing role may not write there), and writes thumbnails under THUMBNAIL_PREFIX:
# re-posting the form within its lifetime only stages a new object, never replaces the file users download.
STAGING_PREFIX = "uploads/"
FILE_PREFIX = "users/"
THUMBNAIL_PREFIX = "thumbnails/"

# Declared type → the real types (sniffed from magic numbers) an object of that type may have.
# ``text`` means "no magic number, valid UTF-8 without NUL bytes".
TEXT = "text"
_ZIP = frozenset({"application/zip"})
KNOWN_TYPES: dict[str, frozenset[str]] = {
    "image/png": frozenset({"image/png"}),
    "image/jpeg": frozenset({"image/jpeg"}),
    "image/gif": frozenset({"image/gif"}),
    "image/webp": frozenset({"image/webp"}),
    "application/pdf": frozenset({"application/pdf"}),
    "text/plain": frozenset({TEXT}),
    "text/markdown": frozenset({TEXT}),
    "text/csv": frozenset({TEXT}),
    "application/json": frozenset({TEXT}),
    "application/zip": _ZIP,
    # Office Open XML files are zip containers.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ZIP,
}
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
DEFAULT_ALLOWED_TYPES = tuple(KNOWN_TYPES)

# What the magic-number library may call a real type, mapped to the names above.
_SNIFF_ALIASES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "application/zip",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "application/zip",
    "application/x-zip-compressed": "application/zip",
    "application/vnd.fdf": "application/pdf",
}


_BINARY_TYPES = frozenset(t for types in KNOWN_TYPES.values() for t in types if t != TEXT)


class AttachmentStatus(StrEnum):
    PENDING = "pending"  # upload URL handed out, object not processed yet
    READY = "ready"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 25 * MIB
    quota_bytes: int = GIB
    allowed_types: tuple[str, ...] = DEFAULT_ALLOWED_TYPES
    max_image_pixels: int = 40_000_000  # width x height; above this an image is refused (decompression bombs)
    upload_expiry_s: int = 600
    download_expiry_s: int = 300
    max_per_task: int = 100


@dataclass(frozen=True)
class Attachment:
    id: str
    user_id: str
    task_id: str
    name: str
    declared_type: str
    declared_size: int
    status: AttachmentStatus
    created_at: datetime
    content_type: str | None = None  # the sniffed type, once processed
    size: int | None = None
    sha256: str | None = None
    thumbnail: bool = False
    reason: str | None = None  # why it was rejected
    processed_at: datetime | None = None
    expires_at: datetime | None = None  # pending and rejected rows expire (DynamoDB TTL)
    source: str | None = None  # the uploaded object version being checked / that was accepted (its VersionId)
    # The partition its object keys were made under, when the row has moved since (a task moved into or out of a
    # shared project, issue 13: adapters/task_store/rekey.py): the objects stay where they are.
    key_owner: str | None = None

    @property
    def _owner(self) -> str:
        return self.key_owner or self.user_id

    @property
    def key(self) -> str:
        """The checked file (what downloads serve)."""
        return object_key(self._owner, self.task_id, self.id)

    @property
    def staging_key(self) -> str:
        """Where the browser uploads it (the presigned POST's key)."""
        return staging_key(self._owner, self.task_id, self.id)

    @property
    def thumbnail_key(self) -> str:
        return thumbnail_key(self._owner, self.task_id, self.id)

    @property
    def is_image(self) -> bool:
        return self.declared_type in IMAGE_TYPES


@dataclass(frozen=True)
class ObjectRef:
    """Whose upload an object key is."""

    user_id: str
    task_id: str
    attachment_id: str


def _path(user_id: str, task_id: str, attachment_id: str) -> str:
    return f"{user_id}/tasks/{task_id}/{attachment_id}"


def object_key(user_id: str, task_id: str, attachment_id: str) -> str:
    return FILE_PREFIX + _path(user_id, task_id, attachment_id)


def staging_key(user_id: str, task_id: str, attachment_id: str) -> str:
    return STAGING_PREFIX + _path(user_id, task_id, attachment_id)


def thumbnail_key(user_id: str, task_id: str, attachment_id: str) -> str:
    return f"{THUMBNAIL_PREFIX}{object_key(user_id, task_id, attachment_id)}"


def user_prefixes(user_id: str) -> tuple[str, ...]:
    """Where all of a user's objects live: staged uploads, checked files and the thumbnails made of them."""
    files = f"{FILE_PREFIX}{user_id}/"
    return f"{STAGING_PREFIX}{user_id}/", files, f"{THUMBNAIL_PREFIX}{files}"


_STAGING_KEY = re.compile(
    rf"^{re.escape(STAGING_PREFIX)}"
    r"(?P<user>(?:P#)?[0-9A-Za-z_-]{1,64})/tasks/(?P<task>[0-9A-Za-z_-]{1,40})/(?P<id>[0-9A-Za-z_-]{1,40})$"
)


def parse_staging_key(key: str) -> ObjectRef | None:
    """The owner (the task's partition: a user, or ``P#<project>`` for a shared project's task), task and
    attachment of a staged upload's key; None for anything else (files, thumbnails, strays)."""
    match = _STAGING_KEY.match(key)
    if match is None:
        return None
    return ObjectRef(user_id=match["user"], task_id=match["task"], attachment_id=match["id"])


def clean_name(name: str) -> str:
    """A file name safe to store and show: no path, no control characters, NFC, at most 200 characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    if base in {"", ".", ".."}:
        raise InvalidInputError("Give the file a name.", fields={"name": "is empty"})
    if len(base) > MAX_NAME_LENGTH:
        _stem, dot, ext = base.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        base = base[: MAX_NAME_LENGTH - len(keep) - 1] + "." + keep if keep else base[:MAX_NAME_LENGTH]
    return base


def check_request(*, content_type: str, size: int, used_bytes: int, attachments_on_task: int, limits: Limits) -> str:
    """Refuse an upload request the limits do not allow; returns the normalised declared type."""
    declared = content_type.split(";", maxsplit=1)[0].strip().lower()
    if declared not in limits.allowed_types or declared not in KNOWN_TYPES:
        raise InvalidInputError(
            "This type of file cannot be attached.", fields={"content_type": f"{declared or 'empty'} is not allowed"}
        )
    if size < 1:
        raise InvalidInputError("The file is empty.", fields={"size": "must be at least 1 byte"})
    if size > limits.max_bytes:
        raise TooLargeError(
            f"Files can be at most {format_bytes(limits.max_bytes)}.",
            fields={"size": f"is more than {limits.max_bytes} bytes"},
        )
    if used_bytes + size > limits.quota_bytes:
        raise TooLargeError(
            f"Not enough storage left: {format_bytes(max(limits.quota_bytes - used_bytes, 0))} free.",
            fields={"size": "is more than the storage left"},
        )
    if attachments_on_task >= limits.max_per_task:
        raise InvalidInputError(
            f"A task can have at most {limits.max_per_task} attachments.",
            fields={"task_id": "has too many attachments"},
        )
    return declared


def sniff(head: bytes) -> str | None:
    """The real type of content from its first bytes (magic numbers), ``text`` for plain UTF-8, None if unknown."""
    if not head:
        return None
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    found: str | None = None
    if matches:
        best = max(matches, key=lambda m: m.confidence)
        mime = str(best.mime_type or "")
        found = _SNIFF_ALIASES.get(mime, mime) if mime else str(best.extension).lstrip(".")
    if found in _BINARY_TYPES:
        return found
    # Plain UTF-8 is text, whatever a text heuristic of the magic database says ("text/ascii" for digits, scripts...).
    if _is_text(head):
        return TEXT
    return found or None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniffed window may cut a multi-byte character at its end.
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def type_mismatch(declared: str, sniffed: str | None) -> str | None:
    """Why the object is not what was declared; None when it is."""
    expected = KNOWN_TYPES.get(declared)
    if expected is None:
        return f"{declared} is not allowed"
    if sniffed is None:
        return f"the content is not {declared} (unknown type)"
    if sniffed not in expected:
        shown = "text" if sniffed == TEXT else sniffed
        return f"the content is {shown}, not {declared}"
    return None


def content_disposition(name: str, *, inline: bool = False) -> str:
    """``attachment`` with the original name (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'["\\\r\n;]', "_", ascii_name).strip() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{n} bytes"  # pragma: no cover - the loop always returns
