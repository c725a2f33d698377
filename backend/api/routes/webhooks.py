"""Webhooks (issue 16): subscribe a URL to events, see the last deliveries, send one again."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller_id
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import created, documented, no_content
from backend.bootstrap import dependencies, webhook_ports
from backend.domain.webhooks import Delivery, Webhook
from backend.schemas import Id
from backend.schemas_webhooks import (
    SIGNING,
    DeliveryList,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
)
from backend.services import webhooks

router = APIGatewayRouter()
DeliveryId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{26}$", description="a delivery's id")]


def _public(webhook: Webhook) -> WebhookPublic:
    return WebhookPublic(id=webhook.id, url=webhook.url, events=list(webhook.events), created_at=webhook.created_at)


def _delivery(d: Delivery) -> DeliveryPublic:
    return DeliveryPublic(
        id=d.id,
        event_id=d.event_id,
        event_type=d.event_type,
        outcome=d.outcome,
        attempts=d.attempts,
        status_code=d.status_code,
        error=d.error,
        created_at=d.created_at,
        last_attempt_at=d.last_attempt_at,
        next_attempt_at=d.next_attempt_at,
        redelivery_of=d.redelivery_of,
    )


@router.post(
    "/webhooks",
    summary="Subscribe a URL to events; answers the signing secret once",
    description=SIGNING,
    tags=["webhooks"],
    security=AUTHENTICATED,
    responses=documented(WebhookCreated),
)
def create_webhook(data: Annotated[WebhookCreate, Body()]) -> Response[str]:
    deps = dependencies()
    webhook, secret = webhooks.create(
        user_id=caller_id(router),
        url=data.url,
        events=data.events,
        ports=webhook_ports(),
        allow_loopback=deps.settings.webhook_allow_loopback,
        now=deps.clock(),
    )
    return created(WebhookCreated(id=webhook.id, secret=secret))


@router.get(
    "/webhooks",
    summary="My webhooks (never their secrets)",
    tags=["webhooks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_webhooks() -> WebhookList:
    return WebhookList(
        items=[_public(w) for w in webhooks.list_webhooks(user_id=caller_id(router), ports=webhook_ports())]
    )


@router.delete(
    "/webhooks/<webhook_id>",
    summary="Delete a webhook; its pending retries stop",
    tags=["webhooks"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_webhook(webhook_id: Annotated[Id, Path()]) -> Response[None]:
    webhooks.delete(user_id=caller_id(router), webhook_id=webhook_id, ports=webhook_ports())
    return no_content()


@router.get(
    "/webhooks/<webhook_id>/deliveries",
    summary="A webhook's last deliveries and how they went, newest first",
    tags=["webhooks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_deliveries(webhook_id: Annotated[Id, Path()]) -> DeliveryList:
    found = webhooks.deliveries(user_id=caller_id(router), webhook_id=webhook_id, ports=webhook_ports())
    return DeliveryList(items=[_delivery(d) for d in found])


@router.post(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    summary="Send a delivery's event again (same body and event id), as a new delivery attempted at once",
    tags=["webhooks"],
    security=AUTHENTICATED,
    responses=documented(DeliveryPublic),
)
def redeliver(webhook_id: Annotated[Id, Path()], delivery_id: DeliveryId) -> Response[str]:
    deps = dependencies()
    again = webhooks.redeliver(
        user_id=caller_id(router),
        webhook_id=webhook_id,
        delivery_id=delivery_id,
        ports=webhook_ports(),
        now=deps.clock(),
    )
    return created(_delivery(again))
