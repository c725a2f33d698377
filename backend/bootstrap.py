"""The composition root: builds the real adapters from settings, once per cold start. Tests pass their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from backend import aws
from backend.adapters.attachments import DynamoAttachmentStore
from backend.adapters.cognito import CognitoDirectory
from backend.adapters.dynamodb import DynamoUserRepository, configure_models
from backend.adapters.object_storage import S3ObjectStorage
from backend.adapters.ports import AttachmentStore, IdentityDirectory, ObjectStorage, TaskStore, UserRepository
from backend.adapters.task_store import DynamoTaskStore
from backend.config import Settings, get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    users: UserRepository
    identity: IdentityDirectory
    tasks: TaskStore
    attachments: AttachmentStore
    storage: ObjectStorage
    clock: Callable[[], datetime] = field(default=utcnow)


@lru_cache(maxsize=1)
def dependencies() -> Dependencies:
    settings = get_settings()
    configure_models(names=settings.names, region=settings.region, endpoint=settings.aws_endpoint_url)
    return Dependencies(
        settings=settings,
        users=DynamoUserRepository(),
        tasks=DynamoTaskStore(),
        attachments=DynamoAttachmentStore(),
        storage=S3ObjectStorage(s3=aws.client("s3"), bucket=settings.names.attachments_bucket),
        identity=CognitoDirectory(cognito=aws.client("cognito-idp"), user_pool_id=settings.user_pool_id),
    )


def reset() -> None:
    """Forget everything built from the environment (tests that start a new emulator call this)."""
    dependencies.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
