"""The one AWS client factory: one boto3 client per service and process, endpoint from config."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from backend.config import get_settings

# AWS error codes that mean "busy or briefly down, the same call can succeed later" (botocore retries them first).
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "TransactionInProgressException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "InternalError",
    }
)

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


_SESSION_LOCK = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


def new_client(service: str, **kwargs: Any) -> Any:
    """A boto3 client from one shared session: botocore parses its endpoint and service data once per session (a new
    session per client parsed them again, ~0.1 s each). A session is not thread-safe, so clients are made one at a
    time; the clients themselves are."""
    with _SESSION_LOCK:
        return _session().client(service, **kwargs)  # type: ignore[call-overload]


class _SharedBotocoreSession:
    """What PynamoDB gets for a botocore session (``pynamodb_session``): the shared one, its clients made under the
    lock. PynamoDB made a session of its own per model and thread, ~0.1 s each: every cold start paid it for each of
    the ~20 models it touched."""

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        with _SESSION_LOCK:
            return _session()._session.create_client(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(_session()._session, name)


def pynamodb_session(env_vars: Any = None) -> Any:
    """Stands in for ``botocore.session.get_session`` in PynamoDB (installed by ``backend/adapters/dynamodb.py``)."""
    return _SharedBotocoreSession()


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service`` (created lazily, reused across warm invocations)."""
    settings = get_settings()
    config = _RETRIES
    if service == "s3":
        # SigV4 for presigned POST/GET everywhere; path-style only on the local endpoint (an IP, no bucket DNS).
        s3: Any = {"addressing_style": "path" if settings.aws_endpoint_url else "virtual"}
        config = _RETRIES.merge(Config(signature_version="s3v4", s3=s3))
    return new_client(service, region_name=settings.region, endpoint_url=settings.aws_endpoint_url, config=config)


@cache
def single_attempt_client(service: str) -> Any:
    """A client without botocore's retries, for callers with their own backoff (the reminder senders):
    retries would multiply (4 x 3 attempts) and hide how often a send was tried."""
    settings = get_settings()
    return new_client(
        service,
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=_RETRIES.merge(Config(retries={"mode": "standard", "total_max_attempts": 1})),
    )


def reset_clients() -> None:
    """Forget cached clients (tests that point the process at a new emulator call this)."""
    client.cache_clear()
    single_attempt_client.cache_clear()
    _session.cache_clear()  # its credentials are resolved once: a new emulator may come with new ones


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it: PynamoDB wraps botocore's) is AWS busy or unreachable for a moment,
    after botocore's own retries: the caller may answer "try again shortly" instead of failing."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError) and current.response.get("Error", {}).get("Code") in TRANSIENT_CODES:
            return True
        if isinstance(current, ConnectionError | HTTPClientError):
            return True
        cause = getattr(current, "cause", None)  # PynamoDB's errors keep botocore's here
        current = cause if isinstance(cause, BaseException) else (current.__cause__ or current.__context__)
    return False
