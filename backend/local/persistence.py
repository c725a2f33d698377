"""Local data that survives a restart: a pickle snapshot of moto's in-memory backends.

moto has no persistence of its own. Pickling its backends is fast (~10 ms for a dev data set) and
restores ids and passwords exactly. A pickle is code: we only ever load the file this module wrote
into the git-ignored ``.local/`` directory of the checkout, which only its owner can read (0700, files 0600): the
snapshot holds every local account, session and code.
"""

from __future__ import annotations

import copyreg
import logging
import os
import pickle
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import serialization
from moto.backends import get_backend as _get_backend

log = logging.getLogger(__name__)

get_backend: Any = _get_backend  # typed per literal name; we iterate over names

SERVICES = ("dynamodb", "cognito-idp", "s3", "ses", "sns", "scheduler", "secretsmanager")
_FORMAT = 1


def _load_private_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


def _reduce_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return _load_private_key, (pem,)


def _register_key_pickling() -> None:
    # moto's Cognito keeps its (public, test-only) signing key as a cryptography object, which has no pickling.
    copyreg.pickle(rust_openssl.rsa.RSAPrivateKey, _reduce_private_key)


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


def save(path: Path, extra: Any) -> None:
    """Write the emulator state (and ``extra``, our own state beside it) atomically."""
    _register_key_pickling()
    payload = pickle.dumps({"format": _FORMAT, "backends": _live_backends(), "extra": extra})
    tmp = path.with_suffix(".tmp")
    write_private(tmp, payload)
    tmp.replace(path)


def load(path: Path) -> Any | None:
    """Restore a snapshot into the live moto backends; returns ``extra`` (None when there is none)."""
    if not path.exists():
        return None
    try:
        snapshot = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, see module docstring
        if snapshot.get("format") != _FORMAT:
            raise ValueError(f"unknown snapshot format {snapshot.get('format')!r}")
    except Exception:
        # A moto upgrade can make an old snapshot unreadable: keep it aside and start fresh, loudly.
        aside = path.with_name(f"{path.stem}-unreadable-{int(time.time())}{path.suffix}")
        path.rename(aside)
        log.exception("local data could not be restored; moved to %s and starting empty", aside)
        return None
    for service, accounts in snapshot["backends"].items():
        for account_id, regions in accounts.items():
            for region, backend in regions.items():
                get_backend(service)[account_id][region] = backend  # type: ignore[arg-type]
    return snapshot["extra"]
