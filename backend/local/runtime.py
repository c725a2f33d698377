"""One local run: emulator + bootstrap + environment, and the parts of AWS that moto does not play."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.local import transactions
from backend.local.aws_faults import AwsFaults
from backend.local.bootstrap import LOCAL_CREDENTIALS, LOCAL_SENDER, LocalOutputs, bootstrap
from backend.local.environment import LOCAL_REGION, LOCAL_STAGE, local_environment
from backend.local.lambda_runtime import invoke
from backend.local.live_bus import LocalRedis
from backend.local.move_queue import LocalQueue, queue_url
from backend.local.queues import QueuePump
from backend.local.scheduler import LocalScheduler
from backend.local.server import LocalAws
from backend.local.streams import Consumer, StreamPump
from backend.names import ResourceNames


@dataclass(frozen=True)
class LocalRun:
    endpoint: str
    outputs: LocalOutputs
    env: dict[str, str]  # to give to subprocesses (the Reflex backend, the API under test)
    scheduler: LocalScheduler | None = None  # plays EventBridge Scheduler; tests call scheduler.fire_due(now)
    streams: StreamPump | None = None  # Tasks table stream -> analytics + live handlers; ``drain()`` in tests
    notification_streams: StreamPump | None = None  # Notifications table stream -> live handler
    redis: LocalRedis | None = None  # live updates' pub/sub (``LIVE_REDIS_URL`` in ``env``); tests stop/start it
    faults: AwsFaults | None = None  # tests: the emulator answers AWS errors (throttling, outages) to matching calls
    server: LocalAws | None = None  # the emulator itself (its durable state, for the fault tests)
    webhooks: QueuePump | None = None  # the webhook deliveries queue -> the delivery handler; ``drain()`` in tests
    moves: LocalQueue | None = None  # the project-moves queue -> its worker; ``drain()`` in tests


def _post_confirmation(event: dict[str, Any]) -> None:
    # What Cognito does after ConfirmSignUp: invoke the trigger Lambda (the same handler AWS runs).
    from backend.handlers import cognito_triggers

    invoke(cognito_triggers.lambda_handler, event, "cognito-triggers")


def _object_created(event: dict[str, Any]) -> None:
    # What S3 does after an upload to the attachments bucket: invoke the processor (the same handler AWS runs).
    from backend.handlers import attachments

    invoke(attachments.handler, event, "attachments")


def _project_moves(event: dict[str, Any]) -> Any:
    # What the SQS event source mapping does: invoke the project-moves worker with a batch of the queue.
    from backend.handlers import project_moves

    return invoke(project_moves.handler, event, "project-moves")


def _deliver_stream(event: dict[str, Any]) -> Any:
    # What the event source mapping does: invoke the analytics Lambda with a batch of the Tasks stream.
    from backend.handlers import analytics

    return invoke(analytics.handler, event, "analytics")


def _deliver_live(event: dict[str, Any]) -> Any:
    # The live-updates Lambda's mappings (Tasks and Notifications streams): small batches, polled often.
    from backend.handlers import live

    return invoke(live.handler, event, "live")


def _deliver_webhook_events(event: dict[str, Any]) -> Any:
    # The webhook events Lambda's mappings (Tasks and Notifications streams) -> the bus -> the deliveries queue.
    from backend.handlers import webhook_events

    return invoke(webhook_events.handler, event, "webhook-events")


def _deliver_webhooks(event: dict[str, Any]) -> Any:
    # The deliveries queue's mapping: the webhook deliveries Lambda.
    from backend.handlers import webhooks

    return invoke(webhooks.handler, event, "webhooks")


LIVE_BATCH, LIVE_POLL_SECONDS = 10, 0.05  # the CDK mappings: batch 10, no batching window


def _fresh_emulator() -> None:
    # moto's backends are process-global: every run starts from nothing (plus its own snapshot).
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


@contextmanager
def local_aws(
    *,
    port: int,
    data_dir: Path | None = None,
    api_url: str = "http://localhost:8000/api",
    app_url: str = "http://localhost:3000",
    webhooks: bool = True,
) -> Iterator[LocalRun]:
    """Start the embedded AWS on ``port``; with ``data_dir`` its data survives restarts.

    ``webhooks=False`` leaves out the webhook pipeline (streams -> bus -> deliveries queue -> delivery handler): it
    runs on every task write, and tests that are not about webhooks spent a third of their write time in it.

    Sets the ``TMP_*`` environment in this process too, because the Cognito trigger runs here.
    """
    from backend import bootstrap as composition

    _fresh_emulator()  # a snapshot, if any, is restored on top of an empty emulator
    transactions.install()  # moto copies whole tables on every transaction; roll back only what it touches
    os.environ.update({"AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"]})
    os.environ.update({"AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"]})
    server = LocalAws(
        port=port,
        region=LOCAL_REGION,
        sender=LOCAL_SENDER,
        post_confirmation=_post_confirmation,
        data_dir=data_dir,
        object_created=(ResourceNames(LOCAL_STAGE).attachments_bucket, _object_created),
        queue=(ResourceNames(LOCAL_STAGE).project_moves_queue, _project_moves),
    )
    server.start()
    redis = LocalRedis()
    redis.start()
    try:
        outputs = bootstrap(endpoint=server.endpoint, region=LOCAL_REGION, stage=LOCAL_STAGE, app_url=app_url)
        env = local_environment(endpoint=server.endpoint, outputs=outputs, api_url=api_url, app_url=app_url)
        env["TMP_MOVE_QUEUE_URL"] = queue_url(server.endpoint, ResourceNames(LOCAL_STAGE).project_moves_queue)
        env["LIVE_REDIS_URL"] = redis.url  # not REDIS_URL / REFLEX_REDIS_URL: Reflex's state manager stays in memory
        os.environ.update(env)
        composition.reset()
        scheduler = LocalScheduler(
            endpoint=server.endpoint,
            region=LOCAL_REGION,
            group=ResourceNames(LOCAL_STAGE).schedule_group,
            credentials=LOCAL_CREDENTIALS,
        )
        names = ResourceNames(LOCAL_STAGE)
        live = Consumer("live", _deliver_live, batch_size=LIVE_BATCH, interval=LIVE_POLL_SECONDS)
        hook = Consumer("webhook-events", _deliver_webhook_events, batch_size=LIVE_BATCH, interval=LIVE_POLL_SECONDS)
        hooks = [hook] if webhooks else []
        streams = StreamPump(
            table=names.tasks_table,
            region=LOCAL_REGION,
            consumers=[live, Consumer("analytics", _deliver_stream), *hooks],
        )
        notification_streams = StreamPump(
            table=names.notifications_table, region=LOCAL_REGION, consumers=[live, *hooks]
        )
        deliveries = QueuePump(
            queue=names.webhook_queue,
            dead_letter_queue=names.webhook_failures_queue,
            region=LOCAL_REGION,
            deliver=_deliver_webhooks,
        )
        scheduler.start()
        streams.start()
        notification_streams.start()
        if webhooks:
            deliveries.start()
        try:
            yield LocalRun(
                endpoint=server.endpoint,
                outputs=outputs,
                env=env,
                scheduler=scheduler,
                streams=streams,
                notification_streams=notification_streams,
                redis=redis,
                faults=server.faults,
                server=server,
                webhooks=deliveries if webhooks else None,
                moves=server.queue,
            )
        finally:
            if webhooks:
                deliveries.stop()
            notification_streams.stop()
            streams.stop()
            scheduler.stop()
    finally:
        redis.stop()
        server.stop()
