"""Local data that survives ``kill -9``: a snapshot plus a journal of every change since, fsynced before the answer.

Layout of the data directory (``.local/aws/`` for ``make run``):
- ``snapshot.pickle``: the emulator as of the start of journal generation ``next_generation`` (``persistence.py``),
- ``blobs/``: the bytes of every S3 object that snapshot names, one file each,
- ``journal-<generation>.log``: every change since (``journal.py``).

What is journaled is what changes the emulator, in the order the emulator applied it (the emulator lock orders it):
- each request that can change state (anything but a read: Get*/List*/Describe*/Query/Scan, S3 GET/HEAD), as it
  reached moto, with the random seed and the clock instant it ran under (``determinism.py``), and its status;
- the few changes our own WSGI layers make in-process (``effect``: a Cognito code issued or used, the code email,
  a global sign-out), by name and arguments.
The answer waits until an ``fdatasync`` covered its record (group commit in ``journal.py``); a change that is not on
disk is never acknowledged. A failed write breaks the emulator for good: every later call answers 500 and says why.

On start the snapshot is restored and the journal replayed through the same moto app under the same seeds and
instants. A replayed request must answer the status it answered live; anything else means the replay diverged and
start-up stops with a message saying which record (never a silently partial state). A damaged or incomplete
record (a crash mid-write, a damaged disk) ends the journal: the intact prefix is kept, the rest is set aside in
a ``.damaged-<time>`` file and a message says so. Only unacknowledged writes can be torn by a crash.

Compaction: once a generation holds ``COMPACT_RECORDS`` records or ``COMPACT_BYTES``, a background thread rotates
the journal and pickles the emulator under the lock (the only pause), then writes blobs and snapshot outside it
and deletes the journal files the snapshot contains. Start-up work is therefore bounded by one snapshot load plus
at most one full generation of replay.
"""

from __future__ import annotations

import io
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from backend.local import determinism, persistence
from backend.local.journal import Journal, JournalBroken, generations, journal_path, read

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Effect = Callable[..., Any]

SNAPSHOT_NAME = "snapshot.pickle"
LEGACY_SNAPSHOT_NAME = "aws-snapshot.pickle"  # the pre-journal format, one level up (``.local/``)
COMPACT_RECORDS = 500  # bounds the replay at start-up (~2 s at worst) and the snapshot cost per change
COMPACT_BYTES = 64 * 1024 * 1024
CHECK_INTERVAL_S = 1.0

# WSGI keys a replayed request needs besides the HTTP_* headers.
_ENVIRON_KEYS = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "REMOTE_ADDR",
    "RAW_URI",
    "REQUEST_URI",
    "wsgi.url_scheme",
)
_READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "TransactGet", "Check", "Head")
# Named like reads, but they store something (new tokens, a verification code).
_WRITES_NAMED_LIKE_READS = frozenset({"GetTokensFromRefreshToken", "GetUserAttributeVerificationCode", "GetId"})


class ReplayError(RuntimeError):
    """The journal could not be replayed as it was written: start-up stops rather than serve a partial state."""


def changes_state(environ: dict[str, Any], body: bytes) -> bool:
    """Whether a request to moto may change it: everything except reads (by operation name or HTTP method).
    When in doubt it is journaled: an extra record costs a few bytes, a missing one loses a change."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return False  # moto's own tooling (data.json, reset): not application data
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        service, _, operation = target.rpartition(".")
        if service.startswith("DynamoDBStreams"):
            return False  # the stream is read in-process (streams.py); its API only hands out iterators
        return operation in _WRITES_NAMED_LIKE_READS or not operation.startswith(_READ_PREFIXES)
    action = _query_action(environ, body)
    if action is not None:
        return action in _WRITES_NAMED_LIKE_READS or not action.startswith(_READ_PREFIXES)
    return environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD", "OPTIONS")


def _query_action(environ: dict[str, Any], body: bytes) -> str | None:
    """The ``Action`` of a query-protocol call (SES, SNS), from the query string or the form body."""
    found = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not found and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        found = parse_qs(body[:4096].decode("utf-8", "replace")).get("Action")
    return found[0] if found else None


def _read_body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        body: bytes = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to completion: status, headers, body."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    chunks = app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return captured["status"], captured["headers"], body


@dataclass(frozen=True)
class ReplayReport:
    records: int
    seconds: float
    damage: str | None


class DurableState:
    """The journal + snapshot of one emulator: restore, journal each change, compact in the background."""

    def __init__(self, directory: Path, *, lock: threading.RLock, extra: Callable[[], Any]) -> None:
        persistence.private_dir(directory.parent)  # .local/: an older run may have left it 0755
        self.directory = persistence.private_dir(directory)
        self._lock = lock
        self._extra = extra
        self._effects: dict[str, Effect] = {}
        self._journal: Journal | None = None
        self._pending = threading.local()
        self._compacting = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._legacy: Path | None = None
        self._first = 0
        self._started = time.monotonic()
        self._request_compaction = threading.Event()
        self.last_replay: ReplayReport | None = None

    @property
    def snapshot_path(self) -> Path:
        return self.directory / SNAPSHOT_NAME

    # --- start-up --------------------------------------------------------------------------------------------
    def load(self) -> Any:
        """Restore the snapshot (or the legacy one) into moto; returns the ``extra`` it kept beside (or None)."""
        self._started = time.monotonic()
        restored = persistence.load(self.snapshot_path)
        legacy = self.directory.parent / LEGACY_SNAPSHOT_NAME
        if restored is None and legacy.exists():
            restored = persistence.load(legacy)  # the pre-journal format: converted by the first compaction
            self._legacy = legacy if restored is not None else None
        self._first = restored.next_generation if restored else 0
        return restored.extra if restored else None

    def replay(self, app: WsgiApp, effects: dict[str, Effect]) -> ReplayReport:
        """Replay the journal after the snapshot into ``app`` (moto itself); then journal from here on."""
        self._effects = effects
        found = generations(self.directory)
        for generation in (g for g in found if g < self._first):
            journal_path(self.directory, generation).unlink()  # already in the snapshot (a crash before cleanup)
        replayed, damage = 0, None
        pending = [g for g in found if g >= self._first]
        for index, generation in enumerate(pending):
            path = journal_path(self.directory, generation)
            contents = read(path)
            for number, record in enumerate(contents.records, 1):
                self._replay(record, path, number, app)
            replayed += len(contents.records)
            if contents.damage:
                damage = self._set_aside(path, contents.intact_bytes, contents.damage, pending[index + 1 :])
                break
        self._journal = Journal(self.directory, max([self._first - 1, *pending]) + 1)
        self.last_replay = ReplayReport(replayed, time.monotonic() - self._started, damage)
        if replayed or self._legacy:
            self._request_compaction.set()  # start the next run from a snapshot, not this replay
        return self.last_replay

    def _replay(self, record: Any, path: Path, number: int, app: WsgiApp) -> None:
        kind = record[0]
        try:
            if kind == "http":
                _, seed, instant, environ, body, expected = record
                environ = {**environ, "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr}
                with self._lock, determinism.frozen(seed, instant):
                    status, _, answer = call_wsgi(app, environ)
                if int(status[:3]) != expected:
                    what = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
                    target = environ.get("HTTP_X_AMZ_TARGET")
                    raise ReplayError(
                        f"{what}{f' ({target})' if target else ''} answered {status[:3]} on replay, "
                        f"{expected} when it was made: {answer[:300]!r}"
                    )
            elif kind == "effect":
                _, seed, instant, name, args = record
                with self._lock, determinism.frozen(seed, instant):
                    self._effects[name](*args)
            else:
                raise ReplayError(f"unknown record kind {kind!r}")
        except ReplayError as error:
            raise ReplayError(self._replay_failure(path, number, str(error))) from None
        except Exception as error:
            raise ReplayError(self._replay_failure(path, number, f"{error.__class__.__name__}: {error}")) from error

    @staticmethod
    def _replay_failure(path: Path, number: int, reason: str) -> str:
        return (
            f"local data: replaying record {number} of {path} failed: {reason}. The local AWS did not start, so "
            f"nothing was lost or overwritten. To start from the last snapshot without the journal, move "
            f"{path.parent}/journal-*.log aside (the changes in them are then lost); `make reset` starts empty."
        )

    def _set_aside(self, path: Path, intact: int, damage: str, later: list[int]) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.damaged-{stamp}")
        with path.open("rb") as source:
            source.seek(intact)
            persistence.write_private(aside, source.read())
        with path.open("r+b") as journal:
            journal.truncate(intact)
            journal.flush()
        for generation in later:
            journal_path(self.directory, generation).rename(
                journal_path(self.directory, generation).with_name(f"journal-{generation:08d}.log.damaged-{stamp}")
            )
        message = (
            f"local data: {path} ends in {damage}; kept the intact records before it and moved the rest to {aside}"
            + (f" (and {len(later)} later journal file(s) beside it)" if later else "")
            + ". A crash while writing leaves only unacknowledged changes there; anything else means damaged storage."
        )
        print(message, file=sys.stderr, flush=True)
        log.warning(message)
        return message

    # --- serving ---------------------------------------------------------------------------------------------
    def journaled(self, app: WsgiApp) -> WsgiApp:
        """The WSGI layer in front of moto that journals every request that can change it."""

        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            body = _read_body(environ)
            if not changes_state(environ, body):
                return app(environ, start_response)
            kept = {
                k: v for k, v in environ.items() if isinstance(v, str) and (k.startswith("HTTP_") or k in _ENVIRON_KEYS)
            }
            seed, instant = secrets.randbits(64), time.time()
            with self._lock:
                with determinism.frozen(seed, instant):
                    status, headers, answer = call_wsgi(app, environ)
                self._append(("http", seed, instant, kept, body, int(status[:3])))
            start_response(status, headers)
            return [answer]

        return wsgi

    def effect(self, name: str, *args: Any) -> Any:
        """Run one in-process change (registered under ``name`` for replay) and journal it, in emulator order."""
        seed, instant = secrets.randbits(64), time.time()
        with self._lock:
            with determinism.frozen(seed, instant):
                result = self._effects[name](*args)
            self._append(("effect", seed, instant, name, args))
        return result

    def _append(self, record: Any) -> None:
        assert self._journal is not None, "restore() first"
        seq = self._journal.append(record)
        self._pending.seq = max(getattr(self._pending, "seq", 0), seq)
        if self._journal.records_written >= COMPACT_RECORDS or self._journal.bytes_written >= COMPACT_BYTES:
            self._request_compaction.set()

    def wait_for_disk(self) -> None:
        """Block until every change this thread made is on disk (call before answering); raises JournalBroken."""
        seq = getattr(self._pending, "seq", 0)
        if seq and self._journal is not None:
            self._pending.seq = 0
            self._journal.wait(seq)

    @property
    def broken(self) -> str | None:
        return self._journal.broken if self._journal else None

    # --- compaction ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._compact_loop, name="local-aws-compaction", daemon=True)
        self._thread.start()

    def _compact_loop(self) -> None:
        while not self._stopping.is_set():
            if self._request_compaction.wait(CHECK_INTERVAL_S) and not self._stopping.is_set():
                self._request_compaction.clear()
                try:
                    self.compact()
                except JournalBroken:
                    log.exception("local data: the journal is broken, no more compaction")
                    return
                except Exception:
                    log.exception("local data: compaction failed (the journal keeps every change; retrying later)")

    def compact(self) -> int:
        """Fold the journal into a new snapshot; returns the bytes written. The lock is held only to pickle."""
        assert self._journal is not None, "restore() first"
        with self._compacting:
            with self._lock:
                closed = self._journal.rotate()
                snapshot = persistence.take(self.directory, self._extra(), next_generation=closed + 1)
            written = snapshot.write(self.snapshot_path)
            for generation in generations(self.directory):
                if generation <= closed:
                    journal_path(self.directory, generation).unlink(missing_ok=True)
            if self._legacy is not None:
                self._legacy.unlink(missing_ok=True)  # converted: its content is in the new snapshot
                self._legacy = None
            return written

    def close(self, *, final_snapshot: bool = True) -> None:
        self._stopping.set()
        self._request_compaction.set()
        if self._thread:
            self._thread.join(timeout=30)
        if self._journal is None:
            return
        if final_snapshot and self._journal.broken is None:
            try:
                self.compact()
            except Exception:
                log.exception("local data: the final snapshot failed (the journal keeps every change)")
        self._journal.close()
