"""Local data that survives a restart: a pickle snapshot of moto's in-memory backends (the journal's base).

moto has no persistence of its own. Pickling its backends restores ids and passwords exactly. The snapshot is
the compacted part of the local data; every change after it is in the journal (``durability.py``). S3 object bytes
are not in the pickle: each object's bytes are a file in ``blobs/`` named by their SHA-256 (written once, shared by
copies, dropped when no snapshot names them), so a snapshot's size follows the metadata, not the attachments.
A pickle is code: we only ever load the file this module wrote
into the git-ignored ``.local/`` directory of the checkout, which only its owner can read (0700, files 0600): the
snapshot holds every local account, session and code.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import serialization
from moto.backends import get_backend as _get_backend
from moto.dynamodb.models.dynamo_type import LimitedSizeDict
from moto.s3.models import FakeKey

log = logging.getLogger(__name__)

get_backend: Any = _get_backend  # typed per literal name; we iterate over names

SERVICES = ("dynamodb", "cognito-idp", "s3", "ses", "sns", "scheduler", "secretsmanager", "sqs", "events", "kms")
LEGACY_FORMAT = 1  # one pickle with everything, S3 bytes included (``.local/aws-snapshot.pickle``, until issue 15)
FORMAT = 2  # the backends without S3 bytes (blobs/) + the first journal generation not in it


def _load_private_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


def _reduce_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return _load_private_key, (pem,)


def _register_key_pickling() -> None:
    # moto's Cognito keeps its (public, test-only) signing key as a cryptography object, which has no pickling.
    copyreg.pickle(rust_openssl.rsa.RSAPrivateKey, _reduce_private_key)
    # moto's SQS queue guards its messages with a Condition (a lock has no state worth keeping): a fresh one.
    copyreg.pickle(threading.Condition, _fresh_condition)


def _fresh_condition(_: threading.Condition) -> tuple[type[threading.Condition], tuple[()]]:
    return threading.Condition, ()


def _live_backends() -> dict[str, dict[str, dict[str, Any]]]:
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for service in SERVICES:
        for account_id, regions in get_backend(service).items():  # type: ignore[arg-type]
            for region, backend in regions.items():
                state.setdefault(service, {}).setdefault(account_id, {})[region] = backend
    return state


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter (0700), made or tightened (an older run may have left 0755)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` readable by its owner only (0600) from the first byte, also over an older, looser file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, 0o600)
        file.write(data)


def fsync_directory(directory: Path) -> None:
    """Make the names in ``directory`` (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes | memoryview) -> None:
    """``path`` with ``data``, all or nothing across a crash: a private temp file, fsync, rename (the caller
    fsyncs the directory)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


@dataclass
class _Blobs:
    """What one snapshot pickles for S3 objects: names to keep, bytes to write after the lock is released."""

    directory: Path
    referenced: set[str] = field(default_factory=set)
    pending: dict[str, bytes] = field(default_factory=dict)

    def reduce_key(self, key: FakeKey) -> tuple[Any, tuple[Any, ...]]:
        # moto's own __getstate__ would copy every object's bytes into the state; only new bytes are read here.
        state = {k: v for k, v in vars(key).items() if k not in ("_value_buffer", "lock", "_local_blob")}
        name = _cached_blob_name(key)
        if name is None or (name not in self.pending and not (self.directory / name).exists()):
            try:
                data = bytes(key.value)
            except ValueError:  # moto closed the buffer of a deleted key; its own pickling stores "" then
                data = b""
            name = hashlib.sha256(data).hexdigest()
            key.__dict__["_local_blob"] = (_blob_marker(key), name)
            if not (self.directory / name).exists():
                self.pending[name] = data
        self.referenced.add(name)
        return _key_from_blob, (type(key), state, name)

    def write(self) -> int:
        written = 0
        for name, data in self.pending.items():
            write_durably(self.directory / name, data)
            written += len(data)
        if self.pending:
            fsync_directory(self.directory)
        return written

    def drop_unreferenced(self) -> None:
        for path in self.directory.iterdir():
            if path.name not in self.referenced:
                path.unlink(missing_ok=True)


def _blob_marker(key: FakeKey) -> tuple[int, int]:
    return id(key._value_buffer), key.contentsize or 0


def _cached_blob_name(key: FakeKey) -> str | None:
    """The digest of the key's bytes from an earlier snapshot of this process (same buffer, same size), if any."""
    cached = key.__dict__.get("_local_blob")
    return str(cached[1]) if cached is not None and cached[0] == _blob_marker(key) else None


def _reduce_item_attributes(attributes: LimitedSizeDict) -> tuple[Any, tuple[dict[str, Any]]]:
    return _item_attributes, (dict(attributes),)


def _item_attributes(attributes: dict[str, Any]) -> LimitedSizeDict:
    # moto re-measures the whole item on every key set (its 400 KB check): unpickled key by key, 10 000 tasks took
    # seconds. These items passed the check when they were written.
    restored = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(restored, attributes)
    return restored


_loading = threading.local()


def _key_from_blob(cls: type[FakeKey], state: dict[str, Any], name: str) -> FakeKey:
    key: Any = cls.__new__(cls)  # as pickle itself makes it (moto's BaseModel.__new__ tracks instances)
    key.__setstate__({**state, "value": (_loading.blobs / name).read_bytes()})
    return key  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Snapshot:
    """A snapshot taken in memory (under the emulator lock), to be written by ``write`` (outside it)."""

    payload: bytes
    blobs: _Blobs
    next_generation: int

    def write(self, path: Path) -> int:
        """Blobs first, then the snapshot, each durable; returns the bytes written. Unnamed blobs are dropped."""
        written = self.blobs.write()
        write_durably(path, self.payload)
        fsync_directory(path.parent)
        self.blobs.drop_unreferenced()
        return written + len(self.payload)


def take(directory: Path, extra: Any, next_generation: int) -> Snapshot:
    """Pickle the live backends (S3 bytes by blob name) and ``extra``: call under the emulator lock."""
    _register_key_pickling()
    blobs = _Blobs(private_dir(directory / "blobs"))
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {  # type: ignore[assignment]
        **copyreg.dispatch_table,
        FakeKey: blobs.reduce_key,
        LimitedSizeDict: _reduce_item_attributes,
    }
    pickler.dump({"format": FORMAT, "next_generation": next_generation, "backends": _live_backends(), "extra": extra})
    return Snapshot(buffer.getvalue(), blobs, next_generation)


@dataclass(frozen=True)
class Restored:
    extra: Any
    next_generation: int  # the first journal generation the snapshot does not contain


def load(path: Path) -> Restored | None:
    """Restore a snapshot (this format or the legacy one) into the live moto backends; None when there is none.

    A file that cannot be read (e.g. after a moto upgrade) is moved aside and None returned, loudly.
    """
    if not path.exists():
        return None
    _loading.blobs = path.parent / "blobs"
    try:
        snapshot = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, see module docstring
        if snapshot.get("format") not in (LEGACY_FORMAT, FORMAT):
            raise ValueError(f"unknown snapshot format {snapshot.get('format')!r}")
    except Exception:
        # A moto upgrade can make an old snapshot unreadable: keep it aside and start fresh, loudly.
        aside = path.with_name(f"{path.stem}-unreadable-{int(time.time())}{path.suffix}")
        path.rename(aside)
        log.exception("local data could not be restored; moved to %s and starting empty", aside)
        return None
    finally:
        _loading.blobs = None
    for service, accounts in snapshot["backends"].items():
        for account_id, regions in accounts.items():
            for region, backend in regions.items():
                get_backend(service)[account_id][region] = backend  # type: ignore[arg-type]
    return Restored(snapshot["extra"], int(snapshot.get("next_generation", 0)))
