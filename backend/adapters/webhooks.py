"""Webhooks and their deliveries in the Notifications table, and the secrets sealed with KMS (issue 16).

  ``USER#<sub>``      / ``WH#<webhook id>``     a webhook: url, events, the secret's KMS ciphertext
  ``WH#<webhook id>`` / ``D#<delivery ulid>``   one delivery (newest first by its ULID), expiring after 7 days

The secret is made by the API, sealed with ``kms:Encrypt`` (the encryption context names the webhook, so one
webhook's ciphertext cannot be opened as another's) and stored; only the delivery function may ``kms:Decrypt``.
Neither the API's role nor a copy of the table can read a secret back. The delivery function keeps what it opened
for ``SECRET_CACHE_SECONDS`` (one Decrypt per webhook and warm container, not per attempt).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pynamodb.attributes import (
    BinaryAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, DoesNotExist
from pynamodb.models import Model

from backend.adapters.notifications import user_pk
from backend.domain.webhooks import Delivery, EventType, Outcome, Webhook

WEBHOOK, DELIVERY = "WH#", "D#"
DELIVERY_DAYS = 7  # longer than the retries (~40 h): a dead delivery stays visible, and can be re-sent, for days
SECRET_CACHE_SECONDS = 300


class _Meta:
    table_name = "notifications"  # set by configure_webhook_models()
    billing_mode = "PAY_PER_REQUEST"
    region = "us-east-1"
    host: str | None = None


class WebhookModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # USER#<sub>
    sk = UnicodeAttribute(range_key=True)  # WH#<id>
    url = UnicodeAttribute()
    events = UnicodeSetAttribute()
    created_at = UTCDateTimeAttribute()
    secret = BinaryAttribute(legacy_encoding=False)  # the KMS ciphertext


class DeliveryModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)  # WH#<webhook id>
    sk = UnicodeAttribute(range_key=True)  # D#<delivery ulid>
    user_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    partition = UnicodeAttribute()
    body = BinaryAttribute(legacy_encoding=False)
    created_at = UTCDateTimeAttribute()
    outcome = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    status_code = NumberAttribute(null=True)
    error = UnicodeAttribute(default="")
    next_attempt_at = UTCDateTimeAttribute(null=True)
    last_attempt_at = UTCDateTimeAttribute(null=True)
    redelivery_of = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


WEBHOOK_MODELS: tuple[type[Model], ...] = (WebhookModel, DeliveryModel)


def configure_webhook_models(*, table_name: str, region: str, endpoint: str | None) -> None:
    for model in WEBHOOK_MODELS:
        model.Meta.table_name = table_name
        model.Meta.region = region  # type: ignore[attr-defined]
        model.Meta.host = endpoint  # type: ignore[attr-defined]
        model._connection = None


def _webhook(item: WebhookModel) -> Webhook:
    return Webhook(
        id=item.sk.removeprefix(WEBHOOK),
        user_id=item.pk.removeprefix("USER#"),
        url=item.url,
        events=tuple(sorted(cast(set[EventType], item.events))),
        created_at=item.created_at,
        secret_ciphertext=bytes(item.secret),
    )


def _delivery(item: DeliveryModel) -> Delivery:
    return Delivery(
        id=item.sk.removeprefix(DELIVERY),
        webhook_id=item.pk.removeprefix(WEBHOOK),
        user_id=item.user_id,
        event_id=item.event_id,
        event_type=cast(EventType, item.event_type),
        partition=item.partition,
        body=bytes(item.body),
        created_at=item.created_at,
        outcome=cast(Outcome, item.outcome),
        attempts=int(item.attempts or 0),
        status_code=int(item.status_code) if item.status_code is not None else None,
        error=item.error or "",
        next_attempt_at=item.next_attempt_at,
        last_attempt_at=item.last_attempt_at,
        redelivery_of=item.redelivery_of,
    )


class DynamoWebhooks:
    def add_webhook(self, webhook: Webhook, *, limit: int) -> bool:
        # One Query of the owner's webhooks (keys only): a cap of ~10 needs no counter item. Two creates at once
        # may both pass; the cap is a guard against abuse, not an invariant.
        existing = WebhookModel.count(user_pk(webhook.user_id), WebhookModel.sk.startswith(WEBHOOK))
        if existing >= limit:
            return False
        WebhookModel(
            user_pk(webhook.user_id),
            WEBHOOK + webhook.id,
            url=webhook.url,
            events=set(webhook.events),
            created_at=webhook.created_at,
            secret=webhook.secret_ciphertext,
        ).save(condition=WebhookModel.pk.does_not_exist())
        return True

    def webhooks_of(self, user_id: str) -> list[Webhook]:
        return [_webhook(i) for i in WebhookModel.query(user_pk(user_id), WebhookModel.sk.startswith(WEBHOOK))]

    def get_webhook(self, user_id: str, webhook_id: str) -> Webhook | None:
        try:
            return _webhook(WebhookModel.get(user_pk(user_id), WEBHOOK + webhook_id))
        except DoesNotExist:
            return None

    def delete_webhook(self, user_id: str, webhook_id: str) -> bool:
        try:
            WebhookModel(user_pk(user_id), WEBHOOK + webhook_id).delete(condition=WebhookModel.pk.exists())
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":  # it was not there
                return False
            raise
        return True

    def save_delivery(self, delivery: Delivery) -> None:
        DeliveryModel(
            WEBHOOK + delivery.webhook_id,
            DELIVERY + delivery.id,
            user_id=delivery.user_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            partition=delivery.partition,
            body=delivery.body,
            created_at=delivery.created_at,
            outcome=delivery.outcome,
            attempts=delivery.attempts,
            status_code=delivery.status_code,
            error=delivery.error,
            next_attempt_at=delivery.next_attempt_at,
            last_attempt_at=delivery.last_attempt_at,
            redelivery_of=delivery.redelivery_of,
            expires_at=delivery.created_at.astimezone(UTC) + timedelta(days=DELIVERY_DAYS),
        ).save()

    def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        try:
            item = DeliveryModel.get(WEBHOOK + webhook_id, DELIVERY + delivery_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _delivery(item)

    def deliveries_of(self, webhook_id: str, *, limit: int) -> list[Delivery]:
        now = datetime.now(UTC)
        items = DeliveryModel.query(
            WEBHOOK + webhook_id, DeliveryModel.sk.startswith(DELIVERY), scan_index_forward=False, limit=limit
        )
        # TTL deletes lazily (and never locally): an expired row is gone
        return [_delivery(i) for i in items if i.expires_at is None or i.expires_at > now]


class KmsSecretBox:
    """Seals with ``kms:Encrypt`` (the API), opens with ``kms:Decrypt`` (the delivery function); the encryption
    context ``{"webhook": <id>}`` binds a ciphertext to its webhook (and is what the key policy's grants name)."""

    def __init__(self, *, client: Any, key_id: str) -> None:
        self._client, self._key_id = client, key_id
        self._opened: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def seal(self, secret: str, *, webhook_id: str) -> bytes:
        answer = self._client.encrypt(
            KeyId=self._key_id, Plaintext=secret.encode(), EncryptionContext={"webhook": webhook_id}
        )
        return bytes(answer["CiphertextBlob"])

    def open(self, sealed: bytes, *, webhook_id: str) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._opened.get(sealed)
            if cached is not None and cached[1] > now:
                return cached[0]
        answer = self._client.decrypt(CiphertextBlob=sealed, EncryptionContext={"webhook": webhook_id})
        secret = bytes(answer["Plaintext"]).decode()
        with self._lock:
            self._opened[sealed] = (secret, now + SECRET_CACHE_SECONDS)
        return secret
