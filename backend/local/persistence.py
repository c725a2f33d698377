"""Local data that survives a restart: a pickle snapshot of moto's in-memory backends.

moto has no persistence of its own. Pickling its backends is fast (~10 ms for a dev data set) and
restores ids and passwords exactly. A pickle is code: we only ever load the file this module wrote
into the git-ignored ``.local/`` directory of the checkout.
"""

from __future__ import annotations

import copyreg
import logging
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


def save(path: Path, extra: Any) -> None:
    """Write the emulator state (and ``extra``, our own state beside it) atomically."""
    _register_key_pickling()
    payload = pickle.dumps({"format": _FORMAT, "backends": _live_backends(), "extra": extra})
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(payload)
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
