"""Make one emulator call reproducible: moto's random draws and clock readings, fixed per journal record.

The journal (``journal.py``) stores the requests that changed the emulator, not their effects; replaying them must
rebuild the same state, ids included. moto draws every id (S3 version ids, Cognito subs and refresh tokens, SNS
message ids...) from one seedable ``mock_random`` and reads the clock through a few names (``utcnow``, ``time.time``
in Cognito's token code and Secrets Manager, ``os.urandom`` for S3 upload ids). Inside ``frozen(seed, instant)``
the random generator is seeded with ``seed`` and, on this thread only, those names answer ``instant``; the same
call is made with the same pair live and on replay, so tokens (their ``iat``/``exp`` are part of the stored key),
version ids and timestamps come out identical.

Only moto's modules are patched (their globals), never ``time`` or ``datetime`` themselves: the rest of the process
(the API, the tests) keeps the real clock. The callers hold the emulator lock, so no other call draws in between.
"""

from __future__ import annotations

import datetime as _datetime
import importlib
import os as _os
import threading
import time as _time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_api._internal import mock_random

_frozen = threading.local()
_installed = {"done": False}
_install_lock = threading.Lock()

# The moto modules of the services we run whose clock / entropy reads end up in stored state.
_MODULES = (
    "moto.core.utils",
    "moto.core.responses",
    "moto.dynamodb.models",
    "moto.dynamodb.models.table",
    "moto.dynamodb.models.dynamo_type",
    "moto.dynamodb.models.utilities",
    "moto.dynamodb.responses",
    "moto.dynamodbstreams.models",
    "moto.cognitoidp.models",
    "moto.cognitoidp.utils",
    "moto.cognitoidp.responses",
    "moto.s3.models",
    "moto.s3.responses",
    "moto.s3.utils",
    "moto.ses.models",
    "moto.ses.responses",
    "moto.sesv2.models",
    "moto.sns.models",
    "moto.sns.responses",
    "moto.scheduler.models",
    "moto.scheduler.responses",
    "moto.secretsmanager.models",
    "moto.secretsmanager.responses",
)


def _instant() -> float | None:
    return getattr(_frozen, "instant", None)


class _FrozenTime(types.ModuleType):
    """``time`` as a patched module sees it: ``time()`` / ``time_ns()`` frozen inside ``frozen()``."""

    def __init__(self) -> None:
        super().__init__("time")

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)

    @staticmethod
    def time() -> float:
        instant = _instant()
        return _time.time() if instant is None else instant

    @staticmethod
    def time_ns() -> int:
        instant = _instant()
        return _time.time_ns() if instant is None else int(instant * 1_000_000_000)


class _FrozenOs(types.ModuleType):
    """``os`` as a patched module sees it: ``urandom`` draws from the seeded generator inside ``frozen()``."""

    def __init__(self) -> None:
        super().__init__("os")

    def __getattr__(self, name: str) -> Any:
        return getattr(_os, name)

    @staticmethod
    def urandom(size: int) -> bytes:
        return _os.urandom(size) if _instant() is None else mock_random.randbytes(size)


def _now(tz: _datetime.tzinfo | None = None) -> _datetime.datetime:
    instant = _instant()
    return _datetime.datetime.now(tz) if instant is None else _datetime.datetime.fromtimestamp(instant, tz)


class _DatetimeMeta(type):
    """The class-level half of ``_Datetime``: isinstance, construction and every other name go to the real class."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _datetime.datetime)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _datetime.datetime)

    def __getattr__(cls, name: str) -> Any:
        return getattr(_datetime.datetime, name)

    def __call__(cls, *args: Any, **kwargs: Any) -> _datetime.datetime:
        return _datetime.datetime(*args, **kwargs)


class _Datetime(metaclass=_DatetimeMeta):
    """``datetime.datetime`` for a patched module: ``now`` / ``utcnow`` / ``today`` frozen, real datetimes out."""

    @staticmethod
    def now(tz: _datetime.tzinfo | None = None) -> _datetime.datetime:
        return _now(tz)

    @staticmethod
    def utcnow() -> _datetime.datetime:
        return _now(_datetime.UTC).replace(tzinfo=None)

    @staticmethod
    def today() -> _datetime.datetime:
        return _now()


class _FrozenDatetimeModule(types.ModuleType):
    """``datetime`` (the module) as a patched module sees it."""

    def __init__(self) -> None:
        super().__init__("datetime")
        self.datetime = _Datetime

    def __getattr__(self, name: str) -> Any:
        return getattr(_datetime, name)


def _frozen_utcnow() -> _datetime.datetime:
    return _now(_datetime.UTC).replace(tzinfo=None)


def install() -> None:
    """Patch the moto modules once per process (idempotent)."""
    with _install_lock:
        if _installed["done"]:
            return
        frozen_time, frozen_os, frozen_datetime = _FrozenTime(), _FrozenOs(), _FrozenDatetimeModule()
        core_utils = importlib.import_module("moto.core.utils")
        original_utcnow = core_utils.utcnow
        for name in _MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:  # another moto patch release moved it: the replay's status check remains
                continue
            namespace = vars(module)
            for attribute, value in list(namespace.items()):
                if value is original_utcnow:
                    namespace[attribute] = _frozen_utcnow
                elif value is _time:
                    namespace[attribute] = frozen_time
                elif value is _os:
                    namespace[attribute] = frozen_os
                elif value is _datetime:
                    namespace[attribute] = frozen_datetime
        _installed["done"] = True


@contextmanager
def frozen(seed: int, instant: float) -> Iterator[None]:
    """moto's randomness seeded with ``seed`` and its clock at ``instant`` on this thread, for one call."""
    install()
    previous = _instant()
    mock_random.seed(seed)
    _frozen.instant = instant
    try:
        yield
    finally:
        _frozen.instant = previous
