"""The local AWS's append-only journal: every change, on disk (fsync) before its answer leaves.

One file per generation (``journal-00000007.log``): a header line, then records framed as
``<length u32><crc32 u32><payload>`` where the payload is a pickle of the record (our own file, in the private
``.local/`` directory, like the snapshot). A crash can leave the last record incomplete; a disk can damage bytes.
``read`` returns the records of the intact prefix and says where and why it stopped, so the caller keeps the prefix,
sets the rest aside and says so. Nothing after a damaged record is trusted: a record may depend on every earlier one.

Group commit: ``append`` only writes (one ``write`` under the emulator lock, so the file order is the order the
emulator applied the changes); ``wait(seq)`` returns once an ``fdatasync`` covered that record. Concurrent waiters
share one sync. A failed write or sync breaks the journal for good (``JournalBroken``): the emulator then refuses
every call instead of answering for changes that are not on disk.
"""

from __future__ import annotations

import os
import pickle
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER = b"taskmanager-pro local AWS journal v1\n"
_FRAME = struct.Struct("<II")  # payload length, crc32 of the payload
_MAX_RECORD = 1 << 31


class JournalBroken(RuntimeError):
    """The journal could not write or sync: changes since the last sync are not on disk."""


def journal_path(directory: Path, generation: int) -> Path:
    return directory / f"journal-{generation:08d}.log"


def generations(directory: Path) -> list[int]:
    """The journal generations present, oldest first."""
    found = []
    for path in directory.glob("journal-*.log"):
        stem = path.stem.removeprefix("journal-")
        if stem.isdigit():
            found.append(int(stem))
    return sorted(found)


@dataclass
class Contents:
    """What ``read`` found: the intact records, how many bytes they span, and why reading stopped early (if)."""

    records: list[Any] = field(default_factory=list)
    intact_bytes: int = 0
    damage: str | None = None


def read(path: Path) -> Contents:
    data = path.read_bytes()
    contents = Contents()
    if not data.startswith(HEADER):
        if HEADER.startswith(data):  # the crash came before the header was complete: an empty journal
            contents.damage = f"an incomplete header ({len(data)} bytes)" if data else None
            return contents
        contents.damage = "no journal header"
        return contents
    offset = len(HEADER)
    contents.intact_bytes = offset
    while offset < len(data):
        if offset + _FRAME.size > len(data):
            contents.damage = f"an incomplete record header at byte {offset}"
            break
        length, crc = _FRAME.unpack_from(data, offset)
        start, end = offset + _FRAME.size, offset + _FRAME.size + length
        if end > len(data):
            contents.damage = f"an incomplete record at byte {offset} ({len(data) - start} of {length} bytes)"
            break
        payload = data[start:end]
        if zlib.crc32(payload) != crc:
            contents.damage = f"a damaged record at byte {offset} (checksum mismatch)"
            break
        try:
            contents.records.append(pickle.loads(payload))  # noqa: S301 - our own file, see the module docstring
        except Exception as error:  # any unpickling failure is damage
            contents.damage = f"an unreadable record at byte {offset} ({error.__class__.__name__})"
            break
        offset = end
        contents.intact_bytes = offset
    return contents


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The open journal generation: append under the emulator lock, wait for durability outside it."""

    def __init__(self, directory: Path, generation: int) -> None:
        self.directory = directory
        self._cond = threading.Condition()
        self._written = 0  # seq of the last record written
        self._synced = 0  # seq of the last record an fdatasync covered
        self._syncing = False
        self.broken: str | None = None
        self.bytes_written = 0  # since this generation opened (compaction trigger)
        self.records_written = 0
        self.generation = generation
        self._fd = self._open(generation)

    def _open(self, generation: int) -> int:
        path = journal_path(self.directory, generation)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.fstat(fd).st_size == 0:
            os.write(fd, HEADER)
        os.fdatasync(fd)
        _fsync_directory(self.directory)  # the new file's name is durable too
        return fd

    def append(self, record: Any) -> int:
        """Write one record (the caller holds the emulator lock); returns its seq for ``wait``."""
        payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) >= _MAX_RECORD:
            raise JournalBroken("a change too large for one journal record")
        frame = _FRAME.pack(len(payload), zlib.crc32(payload)) + payload
        with self._cond:
            self._raise_if_broken()
            try:
                written = os.write(self._fd, frame)
                if written != len(frame):  # a short write (disk full): the file now ends in a torn record
                    raise OSError(f"short write ({written} of {len(frame)} bytes)")
            except OSError as error:
                self._break(f"could not write the journal: {error}")
            self._written += 1
            self.bytes_written += len(frame)
            self.records_written += 1
            return self._written

    def wait(self, seq: int) -> None:
        """Return once record ``seq`` is on disk (one fdatasync for every waiter that arrived meanwhile)."""
        with self._cond:
            while self._synced < seq:
                self._raise_if_broken()
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing, target, fd = True, self._written, self._fd
                self._cond.release()
                try:
                    os.fdatasync(fd)
                    error = None
                except OSError as failure:
                    error = failure
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                if error is not None:
                    self._break(f"could not sync the journal: {error}")
                self._synced = max(self._synced, target)

    def rotate(self) -> int:
        """Close this generation (synced) and continue in the next; returns the closed one. Under the lock."""
        with self._cond:
            while self._syncing:
                self._cond.wait()
            self._raise_if_broken()
            try:
                os.fdatasync(self._fd)
                os.close(self._fd)
                closed = self.generation
                self.generation += 1
                self._fd = self._open(self.generation)
            except OSError as error:
                self._break(f"could not start a new journal file: {error}")
            self._synced = self._written
            self.bytes_written = self.records_written = 0
            self._cond.notify_all()
            return closed

    def close(self) -> None:
        with self._cond:
            while self._syncing:
                self._cond.wait()
            if self._fd >= 0:
                if self.broken is None:
                    os.fdatasync(self._fd)
                    self._synced = self._written
                os.close(self._fd)
                self._fd = -1

    def _raise_if_broken(self) -> None:
        if self.broken is not None:
            raise JournalBroken(self.broken)

    def _break(self, reason: str) -> None:
        self.broken = reason
        self._cond.notify_all()
        raise JournalBroken(reason)
