"""Exactly-once requests (``Idempotency-Key``) with AWS Lambda Powertools' idempotency utility on DynamoDB.

Powertools does the protocol: a conditional put of an INPROGRESS record (only one concurrent request wins it), the
answer saved as COMPLETED and replayed to every repeat until the record expires, the record deleted if the work
raised (so a failed request can be retried with the same key), and a payload hash compared on every repeat.
What is ours: the record's key is the caller's id + the client's key (two users never share a record), the payload
hash covers the request body, and Powertools' exceptions become domain errors (409 / 422 in the API).

Records live in their own table (``ResourceNames.idempotency_table``): partition key ``id``, TTL on
``expiration``. DynamoDB's TTL deletes them some time after they expire; Powertools already treats an expired
record as absent, so the key can be used again from the second it expires (moto never deletes by TTL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import DataclassSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.errors import IdempotencyKeyReusedError, RequestInProgressError

# The table's layout (the local bootstrap and the CDK stack build it from these) = Powertools' defaults.
KEY_ATTRIBUTE = "id"
EXPIRY_ATTRIBUTE = "expiration"
# A repeat within 24 h gets the first answer (DESIGN.md).
EXPIRES_AFTER_SECONDS = 24 * 60 * 60
# The header, as the API names it in errors and documents it.
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Answer:
    """What is stored and replayed: the status and the exact body of the first answer."""

    status_code: int
    body: str


@dataclass(frozen=True)
class Outcome:
    answer: Answer
    replayed: bool  # True: the stored answer of an earlier request; nothing was done this time


class IdempotentRequests:
    """Runs a piece of work at most once per (scope, key) within ``expires_after_seconds``."""

    def __init__(self, *, client: Any, table: str, expires_after_seconds: int = EXPIRES_AFTER_SECONDS) -> None:
        self._client = client
        self._table = table
        self._expires_after_seconds = expires_after_seconds
        # One persistence layer per operation: Powertools keeps the key prefix on the layer, so two operations
        # sharing one would race on it between threads (the local API serves requests concurrently).
        self._layers: dict[str, DynamoDBPersistenceLayer] = {}
        self._lock = threading.Lock()

    def _layer(self, operation: str) -> DynamoDBPersistenceLayer:
        with self._lock:
            if operation not in self._layers:
                self._layers[operation] = DynamoDBPersistenceLayer(
                    table_name=self._table,
                    key_attr=KEY_ATTRIBUTE,
                    expiry_attr=EXPIRY_ATTRIBUTE,
                    boto3_client=self._client,
                )
            return self._layers[operation]

    def once(
        self,
        *,
        operation: str,
        scope: str,
        key: str,
        payload: Any,
        produce: Callable[[], Answer],
        lambda_context: LambdaContext | None = None,
    ) -> Outcome:
        """``produce()``'s answer, or the stored answer of the first request with this ``scope`` and ``key``.

        ``operation`` prefixes the record's key (stable across refactors and function renames, unlike Powertools'
        default of function name + qualified name); ``scope`` is the caller; ``payload`` (JSON data) must be the
        same on every repeat. Raises ``IdempotencyKeyReusedError`` for another payload, ``RequestInProgressError``
        while the first request is still running. If ``produce`` raises, nothing is kept: a retry runs it again.
        """
        config = IdempotencyConfig(
            event_key_jmespath="[scope, key]",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expires_after_seconds,
            hash_function="sha256",
        )
        if lambda_context is not None:
            # How long an INPROGRESS record blocks repeats: until this invocation would time out (Powertools docs:
            # register the context when the decorated function is not the Lambda handler itself).
            config.register_lambda_context(lambda_context)
        ran = False

        @idempotent_function(
            data_keyword_argument="request",
            persistence_store=self._layer(operation),
            config=config,
            output_serializer=DataclassSerializer(model=Answer),
            key_prefix=operation,
        )
        def run(request: dict[str, Any]) -> Answer:
            nonlocal ran
            ran = True
            return produce()

        try:
            answer: Answer = run(request={"scope": scope, "key": key, "payload": payload})
        except IdempotencyValidationError as exc:
            raise IdempotencyKeyReusedError(
                f"This {HEADER} was already used with a different request; use a new key for a new request.",
                fields={HEADER: "was already used with a different request"},
            ) from exc
        except (IdempotencyAlreadyInProgressError, IdempotencyInconsistentStateError) as exc:
            raise RequestInProgressError(
                f"A request with this {HEADER} is still being processed; retry in a moment.",
                fields={HEADER: "is in use by a request still in progress"},
            ) from exc
        return Outcome(answer=answer, replayed=not ran)
