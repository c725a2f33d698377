"""The composition root: builds the real adapters from settings, once per cold start. Tests pass their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from backend import aws
from backend.adapters.cognito import CognitoDirectory
from backend.adapters.dynamodb import DynamoUserRepository, configure_models
from backend.adapters.ports import IdentityDirectory, TaskStore, UserRepository
from backend.adapters.stats_store import DynamoStatsStore
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
    clock: Callable[[], datetime] = field(default=utcnow)


@lru_cache(maxsize=1)
def dependencies() -> Dependencies:
    settings = get_settings()
    configure_models(names=settings.names, region=settings.region, endpoint=settings.aws_endpoint_url)
    return Dependencies(
        settings=settings,
        users=DynamoUserRepository(),
        tasks=DynamoTaskStore(),
        identity=CognitoDirectory(cognito=aws.client("cognito-idp"), user_pool_id=settings.user_pool_id),
    )


@lru_cache(maxsize=1)
def aggregates_store() -> DynamoStatsStore:
    """Aggregates in the Tasks table (analytics Lambda, stats/export routes)."""
    settings = get_settings()
    return DynamoStatsStore(client=aws.client("dynamodb"), table=settings.names.tasks_table)


def reset() -> None:
    """Forget everything built from the environment (tests that start a new emulator call this)."""
    dependencies.cache_clear()
    aggregates_store.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
