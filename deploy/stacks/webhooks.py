"""Webhooks in AWS (issue 16): the streams -> an EventBridge bus -> SQS -> the delivery Lambda -> HTTPS out.

- ``WebhookEventsFn`` (``backend.handlers.webhook_events.handler``) reads the Tasks and Notifications streams, with
  filters so it is invoked for tasks, comments and reminder inbox rows only (not for every delivery row it makes
  itself in the Notifications table), and puts one event per write on the app's bus ``ResourceNames.event_bus``.
  Its role: read the two streams, ``events:PutEvents`` on that bus. Nothing else.
- A rule on the bus (our ``source`` only) targets the deliveries queue (the rule may send to it, no one else but our
  functions). Other consumers of the events (analytics, integrations) can add rules later without touching this.
- ``WebhooksFn`` (``backend.handlers.webhooks.handler``) consumes the queue (batches of 5, partial batch failures):
  fans an event out to the subscribers' webhooks and makes each attempt; a failed attempt is sent back to the queue
  delayed (SQS: 15 min at most a hop; the message carries when it is due) until the schedule is spent, then the
  delivery goes to the dead-letter queue (not alarmed: a subscriber's endpoint being down is theirs to see, as a
  ``dead`` delivery); a message the function itself keeps failing on goes, after 5 receives, to the failures queue
  (the redrive target, alarmed with the other dead-letter queues). It runs outside any VPC: it calls the public
  internet, and a VPC would put our private addresses in reach; the URL's resolved address is checked at every
  attempt anyway (backend/adapters/webhook_transport.py).
  Its role: the Notifications table (webhooks ``USER#*``, deliveries ``WH#*`` partitions), the Tasks table's
  shared-project member rows (``P#*`` Query) and a move's tombstone (GetItem of its attributes only), send to the
  two queues, and ``kms:Decrypt`` with the key, only for an encryption context naming a webhook.
- The KMS key (stateful stack) seals the secrets: the api may only ``kms:Encrypt`` (it shows the secret once), the
  delivery function only ``kms:Decrypt``. Secrets are in no log, no environment, no template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs

from backend.adapters.webhook_transport import SOURCE
from backend.domain.sharing import PARTITION_PREFIX
from backend.names import ResourceNames
from deploy.stacks import functions
from deploy.stacks.live import MOVED_ATTRIBUTES
from deploy.stacks.nag import acknowledge

DELIVERY_BATCH = 5
DELIVERY_TIMEOUT = Duration.seconds(90)  # 5 attempts of at most 10 s each, plus the fan-out's reads
MAX_RECEIVES = 5  # a message the function keeps failing on (an AWS error, not a receiver's) goes to the DLQ
STREAM_BATCH = 10
ENCRYPTION_CONTEXT_KEY = "webhook"  # backend/adapters/webhooks.py KmsSecretBox
# The Notifications table's partitions the delivery function touches: webhooks (USER#<sub>) and deliveries (WH#<id>)
NOTIFICATION_PARTITIONS = ("USER#*", "WH#*")


def _task_and_comment_filters() -> list[Mapping[str, Any]]:
    """Tasks stream: task items (any write) and comments (inserts); everything else of the table is no event."""
    return [
        lambda_.FilterCriteria.filter({"dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("TASK#")}}}}),
        lambda_.FilterCriteria.filter(
            {
                "eventName": lambda_.FilterRule.is_equal("INSERT"),
                "dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("C#")}}},
            }
        ),
    ]


def _reminder_filters() -> list[Mapping[str, Any]]:
    """Notifications stream: a reminder's inbox row inserted (it fired)."""
    return [
        lambda_.FilterCriteria.filter(
            {
                "eventName": lambda_.FilterRule.is_equal("INSERT"),
                "dynamodb": {"NewImage": {"kind": {"S": lambda_.FilterRule.is_equal("reminder")}}},
            }
        )
    ]


class Webhooks:
    """Builds the bus, the queues and the two functions on ``stack``; ``grant_api`` gives the api its part."""

    def __init__(
        self,
        stack: Stack,
        *,
        stage: str,
        environment: dict[str, str],
        deps_layer: lambda_.ILayerVersion,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        key: kms.IKey,
    ) -> None:
        names = ResourceNames(stage)
        self.key = key
        self.bus = events.EventBus(stack, "AppEvents", event_bus_name=names.event_bus)
        # Deliveries that gave up (a subscriber's endpoint down for ~40 h): kept 14 days for a look, not alarmed - the
        # owner sees them as ``dead`` in the API and can re-send. Messages the function itself kept failing on go to
        # ``failures`` (the redrive target, alarmed with the other dead-letter queues).
        self.dead_letters = sqs.Queue(
            stack,
            "WebhookDeadLetters",
            queue_name=names.webhook_dead_letter_queue,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(self.dead_letters, "SQS3", reason="This queue is itself the dead-letter queue of deliveries.")
        self.failures = functions.dead_letter_queue(stack, "WebhookFailures")
        self.queue = sqs.Queue(
            stack,
            "WebhookDeliveries",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(DELIVERY_TIMEOUT.to_seconds() * 6),  # AWS: >= 6 x the timeout
            queue_name=names.webhook_queue,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.failures),
        )
        self.rule = events.Rule(
            stack,
            "WebhookEventsToQueue",
            description="Task, comment and reminder events -> the webhook deliveries queue",
            event_bus=self.bus,
            event_pattern=events.EventPattern(source=[SOURCE]),
            targets=[events_targets.SqsQueue(self.queue, dead_letter_queue=self.failures, retry_attempts=10)],
        )
        self.environment = {
            "TMP_EVENT_BUS_NAME": self.bus.event_bus_name,
            "TMP_WEBHOOK_QUEUE_URL": self.queue.queue_url,
            "TMP_WEBHOOK_DEAD_LETTER_URL": self.dead_letters.queue_url,
            "TMP_WEBHOOK_KEY_ID": key.key_arn,
        }

        # --- the stream consumer -----------------------------------------------------------------------------
        self.stream_failures = functions.dead_letter_queue(stack, "WebhookEventsStreamFailures")
        self.events_function = functions.backend_function(
            stack,
            "WebhookEventsFn",
            handler="backend.handlers.webhook_events.handler",
            layer=deps_layer,
            environment={**environment, "TMP_EVENT_BUS_NAME": self.bus.event_bus_name},
            memory_size=256,
            timeout=Duration.seconds(30),
        )
        functions.read_streams(
            self.events_function,
            [
                ("WebhookTasksStream", tasks_table, _task_and_comment_filters()),
                ("WebhookNotificationsStream", notifications_table, _reminder_filters()),
            ],
            failures=self.stream_failures,
            batch_size=STREAM_BATCH,
            retry_attempts=10,
            max_record_age=Duration.hours(24),
        )
        self.bus.grant_put_events_to(self.events_function)

        # --- the delivery function ---------------------------------------------------------------------------
        self.delivery_function = functions.backend_function(
            stack,
            "WebhooksFn",
            handler="backend.handlers.webhooks.handler",
            layer=deps_layer,
            environment={**environment, **self.environment},
            memory_size=256,
            timeout=DELIVERY_TIMEOUT,
        )
        functions.live(self.delivery_function).add_event_source(
            event_sources.SqsEventSource(
                self.queue, batch_size=DELIVERY_BATCH, report_batch_item_failures=True, max_concurrency=20
            )
        )
        fn = self.delivery_function
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
                resources=[notifications_table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(NOTIFICATION_PARTITIONS)}},
            )
        )
        fn.add_to_role_policy(  # a shared project's members now (its M# rows)
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[tasks_table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PARTITION_PREFIX}*"]}},
            )
        )
        fn.add_to_role_policy(  # was a task's delete its move? the tombstone's own attributes only
            iam.PolicyStatement(
                actions=["dynamodb:GetItem"],
                resources=[tasks_table.table_arn],
                conditions={
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": list(MOVED_ATTRIBUTES)},
                    "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
                },
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[self.queue.queue_arn, self.dead_letters.queue_arn]
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": [ENCRYPTION_CONTEXT_KEY]}},
            )
        )

    def grant_api(self, api: lambda_.IFunction) -> None:
        """The api seals new secrets (``kms:Encrypt`` only: it can never read one back) and queues a re-send."""
        api.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:Encrypt"],
                resources=[self.key.key_arn],
                conditions={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": [ENCRYPTION_CONTEXT_KEY]}},
            )
        )
        api.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]))
