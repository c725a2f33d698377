"""What the CDK app reads from the backend, in one place: names, keys, password policy, app client, public paths.

Nothing here is restated by hand: the table keys and GSIs come from the PynamoDB models the backend writes with,
so the tables built in AWS and the ones ``backend.local`` creates on the emulator cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.adapters.dynamodb import UserModel
from backend.adapters.idempotency import EXPIRY_ATTRIBUTE as IDEMPOTENCY_EXPIRY_ATTRIBUTE
from backend.adapters.idempotency import KEY_ATTRIBUTE as IDEMPOTENCY_KEY_ATTRIBUTE
from backend.adapters.notifications import NOTIFICATION_TABLE_MODELS
from backend.adapters.task_store.models import TaskModel
from backend.api.app import AUTHORIZER_CACHE_SECONDS, PUBLIC_PATHS, build_app
from backend.domain.password_policy import PASSWORD_POLICY
from backend.local.bootstrap import APP_CLIENT, TTL_ATTRIBUTE, attachments_cors_rule
from backend.names import APP_DISPLAY_NAME, APP_SLUG, ResourceNames

__all__ = [
    "APP_CLIENT",
    "APP_DISPLAY_NAME",
    "APP_SLUG",
    "AUTHORIZER_CACHE_SECONDS",
    "IDEMPOTENCY_EXPIRY_ATTRIBUTE",
    "PASSWORD_POLICY",
    "PUBLIC_PATHS",
    "TTL_ATTRIBUTE",
    "ResourceNames",
    "TableSchema",
    "attachments_cors_rule",
    "idempotency_table_schema",
    "notifications_table_schema",
    "public_routes",
    "tasks_table_schema",
    "users_table_schema",
]


def public_routes() -> frozenset[tuple[str, str]]:
    """Every (method, path) the API serves without sign-in: the resolver's own routes on ``PUBLIC_PATHS``.

    Read from the built resolver, not restated: a new method on a public path (the RFC 8058 one-click POST next to
    the GET page) gets its API Gateway method without the authorizer, where a GET-only list would leave it behind
    the authorizer (401) or without a method at all (403). Powertools keeps its route table private
    (``_static_routes`` / ``_dynamic_routes``); a rename there fails this at synth, not silently.
    """
    app = build_app()
    routes = {(route.method.upper(), route.path) for route in [*app._static_routes, *app._dynamic_routes]}
    public = frozenset((method, path) for method, path in routes if path in PUBLIC_PATHS)
    missing = PUBLIC_PATHS - {path for _, path in public}
    if missing:
        raise ValueError(f"PUBLIC_PATHS names paths the API does not serve: {sorted(missing)}")
    return public


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    partition_key: str
    sort_key: str | None
    indexes: tuple[Index, ...]
    attribute_types: dict[str, str]  # attribute name -> DynamoDB type letter (S, N, B)


def _keys(key_schema: list[dict[str, str]]) -> tuple[str, str | None]:
    by_type = {key["KeyType"]: key["AttributeName"] for key in key_schema}
    return by_type["HASH"], by_type.get("RANGE")


def _schema(model: Any) -> TableSchema:
    schema = model._get_schema()
    partition_key, sort_key = _keys(schema["key_schema"])
    indexes = []
    for index in sorted(schema.get("global_secondary_indexes", []), key=lambda i: i["index_name"]):
        projection = index["projection"]
        pk, sk = _keys(index["key_schema"])
        indexes.append(
            Index(
                index["index_name"],
                pk,
                sk,
                projection["ProjectionType"],
                tuple(projection.get("NonKeyAttributes", ())),
            )
        )
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    return TableSchema(partition_key, sort_key, tuple(indexes), types)


def users_table_schema() -> TableSchema:
    return _schema(UserModel)


def tasks_table_schema() -> TableSchema:
    return _schema(TaskModel)


def idempotency_table_schema() -> TableSchema:
    """Powertools' idempotency records (backend/adapters/idempotency.py): one string key, no index."""
    return TableSchema(IDEMPOTENCY_KEY_ATTRIBUTE, None, (), {IDEMPOTENCY_KEY_ATTRIBUTE: "S"})


def notifications_table_schema() -> TableSchema:
    """The Notifications table: its models share it (inbox rows, task reminder lists, phone codes, rate limits)."""
    schemas = [_schema(model) for model in NOTIFICATION_TABLE_MODELS]
    keys = {(schema.partition_key, schema.sort_key) for schema in schemas}
    if len(keys) != 1:
        raise ValueError(f"the Notifications models disagree on the table's keys: {keys}")
    indexes = tuple(sorted({i for schema in schemas for i in schema.indexes}, key=lambda i: i.name))
    types: dict[str, str] = {}
    for schema in schemas:
        types.update(schema.attribute_types)
    ((partition_key, sort_key),) = keys
    return TableSchema(partition_key, sort_key, indexes, types)


# The sparse ``by_assignee`` index ("assigned to me", issue 13) serves one API route: only the api may query it.
API_ONLY_TASK_INDEXES = frozenset({"by_assignee"})


def task_index_names(*, api: bool = False) -> list[str]:
    """The Tasks table's GSIs a function may use: all of them for the api, all but the api-only ones otherwise."""
    return [i.name for i in tasks_table_schema().indexes if api or i.name not in API_ONLY_TASK_INDEXES]
