"""Webhooks (issue 16): a user's subscriptions, the events they get, and every attempt to deliver one.

The API side (``create``, ``list_webhooks``, ``delete``, ``deliveries``, ``redeliver``) and the delivery side:
- ``events_of`` turns stream writes into events (the stream consumer puts them on the bus);
- ``fan_out`` (the delivery function, one bus event): who may see it - the partition's user, or every member of a
  shared project now (``backend.services.live.audience``, the access rule of live updates) - and which of their
  webhooks want its type; one delivery row each, then its first attempt;
- ``attempt`` (the delivery function, one queued message): re-checks that the owner still sees the partition (a
  member removed from a project gets nothing more, retries included) and that the webhook still exists, opens the
  secret, signs the stored body and POSTs it; records the outcome and queues the next attempt after
  ``retry_delay`` - or, past the schedule, marks the delivery dead and sends it to the dead-letter queue.

A queued message names the attempt it is for (``attempt``): a message delivered twice (SQS is at least once) finds
the delivery past it and does nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ulid import ULID

from backend.adapters.ports import DeliveryQueue, SecretBox, WebhookSender, WebhookStore
from backend.adapters.stream_records import ItemWrite, SourceEvent
from backend.domain.sharing import is_project_partition, project_of_partition
from backend.domain.tasks import new_id
from backend.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    EVENT_ID_HEADER,
    MAX_WEBHOOKS_PER_USER,
    RETRY_SCHEDULE,
    SIGNATURE_HEADER,
    Delivery,
    Event,
    EventType,
    UnsafeUrlError,
    Webhook,
    check_url,
    event_id,
    is_success,
    retry_delay,
    sign,
)
from backend.errors import InvalidInputError, NotFoundError, QuotaExceededError
from backend.presenters import task_public
from backend.services.live import MembersOf, MovedTo, audience

SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
DELIVERIES_SHOWN = 20
USER_AGENT = "TaskManagerPro-Webhooks/1"


@dataclass(frozen=True)
class Ports:
    webhooks: WebhookStore
    secrets: SecretBox
    queue: DeliveryQueue | None = None  # the API's re-send queues its first attempt


# --- the API side ------------------------------------------------------------------------------------------------
def _not_found() -> NotFoundError:
    return NotFoundError("No such webhook.", fields={"webhook_id": "does not exist"})


def create(
    *, user_id: str, url: str, events: Sequence[EventType], ports: Ports, allow_loopback: bool, now: datetime
) -> tuple[Webhook, str]:
    """A new webhook and its secret (shown this once; stored sealed)."""
    try:
        checked = check_url(url, allow_loopback=allow_loopback)
    except UnsafeUrlError as exc:
        raise InvalidInputError(f"The URL {exc}.", fields={"url": str(exc)}) from exc
    if not events:
        raise InvalidInputError("Name at least one event.", fields={"events": "must name at least one event"})
    webhook_id = new_id()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    webhook = Webhook(
        id=webhook_id,
        user_id=user_id,
        url=checked,
        events=tuple(sorted(set(events))),
        created_at=now,
        secret_ciphertext=ports.secrets.seal(secret, webhook_id=webhook_id),
    )
    if not ports.webhooks.add_webhook(webhook, limit=MAX_WEBHOOKS_PER_USER):
        raise QuotaExceededError(
            f"At most {MAX_WEBHOOKS_PER_USER} webhooks per account.",
            fields={"url": f"at most {MAX_WEBHOOKS_PER_USER} webhooks per account"},
        )
    return webhook, secret


def list_webhooks(*, user_id: str, ports: Ports) -> list[Webhook]:
    return sorted(ports.webhooks.webhooks_of(user_id), key=lambda w: w.id)


def delete(*, user_id: str, webhook_id: str, ports: Ports) -> None:
    """Gone at once: its queued attempts find no webhook and stop."""
    if not ports.webhooks.delete_webhook(user_id, webhook_id):
        raise _not_found()


def deliveries(*, user_id: str, webhook_id: str, ports: Ports, limit: int = DELIVERIES_SHOWN) -> list[Delivery]:
    """The webhook's last deliveries, newest first; another user's webhook is 404."""
    if ports.webhooks.get_webhook(user_id, webhook_id) is None:
        raise _not_found()
    return ports.webhooks.deliveries_of(webhook_id, limit=limit)


def redeliver(*, user_id: str, webhook_id: str, delivery_id: str, ports: Ports, now: datetime) -> Delivery:
    """Send a delivery's event again (the same body, the same event id) as a new delivery, attempted at once."""
    if ports.webhooks.get_webhook(user_id, webhook_id) is None:
        raise _not_found()
    original = ports.webhooks.get_delivery(webhook_id, delivery_id)
    if original is None or original.user_id != user_id:
        raise NotFoundError("No such delivery.", fields={"delivery_id": "does not exist"})
    again = replace(
        original,
        id=new_id(),
        created_at=now,
        outcome="pending",
        attempts=0,
        status_code=None,
        error="",
        next_attempt_at=now,
        last_attempt_at=None,
        redelivery_of=original.id,
    )
    ports.webhooks.save_delivery(again)
    assert ports.queue is not None, "the re-send needs the deliveries queue"
    ports.queue.schedule(attempt_message(again, now=now), delay_seconds=0)
    return again


# --- events -------------------------------------------------------------------------------------------------------
def _data(source: SourceEvent, now: datetime) -> dict[str, Any]:
    naive = now.astimezone(UTC).replace(tzinfo=None)
    if source.task is not None:
        # The task as the API answers it (``overdue`` reckoned in UTC: one event goes to every member's webhooks).
        return {"task": task_public(source.task, naive).model_dump(mode="json")}
    if source.comment is not None:
        c = source.comment
        return {
            "comment": {
                "id": c.public_id,
                "task_id": c.task_id,
                "author_id": c.author_id,
                "body": c.body,
                "created_at": c.created_at.isoformat(),
            }
        }
    return {"reminder": dict(source.reminder or {})}


def events_of(sources: Iterable[SourceEvent], *, now: datetime) -> list[Event]:
    return [
        Event(
            id=event_id(source.record_id),
            type=source.type,
            created_at=datetime.fromtimestamp(source.at, UTC) if source.at else now,
            partition=source.partition,
            data=_data(source, now),
        )
        for source in sources
    ]


def event_from_detail(detail: dict[str, Any]) -> Event:
    """The event as the bus delivered it (``EventBridgePublisher``'s detail)."""
    return Event(
        id=str(detail["id"]),
        type=detail["type"],
        created_at=datetime.fromisoformat(str(detail["created_at"])),
        partition=str(detail["partition"]),
        data=dict(detail.get("data") or {}),
    )


# --- the delivery side --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryPorts:
    webhooks: WebhookStore
    secrets: SecretBox
    sender: WebhookSender
    queue: DeliveryQueue
    members_of: MembersOf  # a shared project's members now
    moved_to: MovedTo | None = None  # a task delete that was its move: not a delete for those who still see it
    schedule: tuple[float, ...] = RETRY_SCHEDULE
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep


def attempt_message(delivery: Delivery, *, now: datetime) -> dict[str, Any]:
    due = delivery.next_attempt_at or now
    return {
        "webhook_id": delivery.webhook_id,
        "delivery_id": delivery.id,
        "attempt": delivery.attempts + 1,
        "not_before": due.timestamp(),
    }


def recipients(event: Event, *, members_of: MembersOf, moved_to: MovedTo | None = None) -> list[str]:
    """Who may hear of ``event``: whoever sees its partition now; a task's move is no delete for whoever sees the
    partition it went to (they get its insert there)."""
    users = audience(ItemWrite(user_id=event.partition, kind="task", id="", op="upsert", at=0), members_of)
    task = event.data.get("task") if event.type == "task.deleted" else None
    if task and moved_to is not None:
        move = moved_to(event.partition, str(task.get("id")))
        if move is not None and move.version == task.get("version"):
            kept = set(audience(ItemWrite(user_id=move.to, kind="task", id="", op="upsert", at=0), members_of))
            users = [user for user in users if user not in kept]
    return users


def fan_out(event: Event, *, ports: DeliveryPorts) -> list[Delivery]:
    """One delivery per subscribed webhook of everyone who may see the event; each attempted once now."""
    now = ports.clock()
    made: list[Delivery] = []
    for user_id in recipients(event, members_of=ports.members_of, moved_to=ports.moved_to):
        for webhook in ports.webhooks.webhooks_of(user_id):
            if event.type not in webhook.events:
                continue
            delivery_id = _delivery_id(event, webhook)
            if ports.webhooks.get_delivery(webhook.id, delivery_id) is not None:
                continue  # the same bus event handled twice (SQS delivers at least once)
            delivery = Delivery(
                id=delivery_id,
                webhook_id=webhook.id,
                user_id=user_id,
                event_id=event.id,
                event_type=event.type,
                partition=event.partition,
                body=event.body(),
                created_at=now,
                next_attempt_at=now,
            )
            ports.webhooks.save_delivery(delivery)
            made.append(attempt(webhook, delivery, ports=ports))
    return made


def _delivery_id(event: Event, webhook: Webhook) -> str:
    """A ULID of the event's time whose random part comes from the event and the webhook: sorted like the events,
    and the same for the same pair, so a bus event handled twice finds its delivery made."""
    millis = int(event.created_at.timestamp() * 1000)
    digest = hashlib.sha256(f"{event.id}/{webhook.id}".encode()).digest()
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + digest[:10]))


def _still_sees(delivery: Delivery, members_of: MembersOf) -> bool:
    """The owner still sees the event's partition: their own, or a shared project they are still a member of."""
    project_id = project_of_partition(delivery.partition) if is_project_partition(delivery.partition) else None
    if project_id is None:
        return delivery.partition == delivery.user_id
    return delivery.user_id in members_of(project_id)


def handle_message(message: dict[str, Any], *, ports: DeliveryPorts) -> Delivery | None:
    """One queued attempt: sent again if it came early (SQS delays at most 15 min), skipped if it is stale."""
    now = ports.clock()
    remaining = float(message.get("not_before", 0)) - now.timestamp()
    if remaining >= 1:
        ports.queue.schedule(message, delay_seconds=remaining)  # whole seconds, at most 15 min a hop
        return None
    if remaining > 0:
        ports.sleep(remaining)  # the part of a second a queue's delay cannot express
    delivery = ports.webhooks.get_delivery(str(message["webhook_id"]), str(message["delivery_id"]))
    if delivery is None or delivery.outcome != "pending" or delivery.attempts + 1 != int(message["attempt"]):
        return None  # done, dead, or this attempt was made already (a duplicate message)
    webhook = ports.webhooks.get_webhook(delivery.user_id, delivery.webhook_id)
    if webhook is None:
        return _finish(delivery, "dead", "the webhook was deleted", ports=ports, now=now, dead_letter=False)
    return attempt(webhook, delivery, ports=ports)


def _finish(
    delivery: Delivery, outcome: Any, error: str, *, ports: DeliveryPorts, now: datetime, dead_letter: bool
) -> Delivery:
    done = replace(delivery, outcome=outcome, error=error or delivery.error, next_attempt_at=None)
    ports.webhooks.save_delivery(done)
    if dead_letter:
        ports.queue.dead_letter({**attempt_message(done, now=now), "event_id": done.event_id, "outcome": "dead"})
    return done


def attempt(webhook: Webhook, delivery: Delivery, *, ports: DeliveryPorts) -> Delivery:
    """POST the delivery's body once; record what came of it and queue the next attempt (or dead-letter it)."""
    now = ports.clock()
    if not _still_sees(delivery, ports.members_of):
        return _finish(delivery, "dead", "no longer sees the event's project", ports=ports, now=now, dead_letter=False)
    secret = ports.secrets.open(webhook.secret_ciphertext, webhook_id=webhook.id)
    headers = {
        SIGNATURE_HEADER: sign(secret, delivery.body),
        EVENT_HEADER: delivery.event_type,
        EVENT_ID_HEADER: delivery.event_id,
        DELIVERY_HEADER: delivery.id,
        "User-Agent": USER_AGENT,
    }
    result = ports.sender.post(webhook.url, delivery.body, headers)
    attempts = delivery.attempts + 1
    tried = replace(
        delivery, attempts=attempts, status_code=result.status_code, error=result.error, last_attempt_at=now
    )
    if is_success(result.status_code):
        done = replace(tried, outcome="succeeded", next_attempt_at=None, error="")
        ports.webhooks.save_delivery(done)
        return done
    if result.status_code is not None and not result.error:
        tried = replace(tried, error=f"answered {result.status_code}")
    delay = retry_delay(attempts, ports.schedule)
    if delay is None:
        return _finish(tried, "dead", tried.error, ports=ports, now=now, dead_letter=True)
    # The wait counts from the failure, not from the attempt's start: a receiver sees at least ``delay`` between two
    # attempts however slowly it answered (one that times out after 10 s is not tried again at once).
    failed_at = ports.clock()
    waiting = replace(tried, outcome="pending", next_attempt_at=failed_at + timedelta(seconds=delay))
    ports.webhooks.save_delivery(waiting)
    ports.queue.schedule(attempt_message(waiting, now=failed_at), delay_seconds=delay)
    return waiting
