"""The project-moves queue and its worker (issue 13): a large project's first share moves its tasks in the background.

The api sends ``{"target": "P#<project>"}`` to the queue (``TMP_MOVE_QUEUE_URL``, ``sqs:SendMessage`` on it only);
the worker ``backend.handlers.project_moves.handler`` takes one message at a time (reporting a failure as
``batchItemFailures``) and moves the project's tasks, resumably; after ``MAX_RECEIVES`` failed receives a message
waits in the dead-letter queue (alarmed on depth; a redrive is harmless: the move is idempotent, and the next
invitation to the project asks for it again anyway).

Grants, least privilege: the Tasks table and its indexes (the move reads, copies, switches and deletes items of
the source and target partitions, Queries ``by_project``; no Scan), the Users table read-only and the reminders'
notifications table and schedules (a moved task's reminders are planned again: ``ReminderSyncingMover``).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from deploy.stacks import functions
from deploy.stacks.features import NOTIFICATION_INDEXES, USERS_READ, Features
from deploy.stacks.naming import task_index_names

WORKER_TIMEOUT = Duration.minutes(5)  # 1 000 tasks move in ~900 DynamoDB calls: well within it
# AWS: the queue's visibility timeout at least six times the function's, so a message is not received again while a
# slow invocation (and its retries by the poller) still runs.
VISIBILITY_TIMEOUT = Duration.minutes(30)
MAX_RECEIVES = 5
QUEUE_URL_VARIABLE = "TMP_MOVE_QUEUE_URL"


class ProjectMoves:
    """The queue, its dead letters and the worker on ``stack``; ``grant_send`` lets the api queue moves."""

    def __init__(
        self,
        stack: Stack,
        *,
        environment: dict[str, str],
        deps_layer: lambda_.ILayerVersion,
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        features: Features,
    ) -> None:
        self.dead_letters = functions.dead_letter_queue(stack, "ProjectMovesFailures")
        self.queue = sqs.Queue(
            stack,
            "ProjectMoves",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dead_letters),
        )
        self.worker = functions.backend_function(
            stack,
            "ProjectMovesFn",
            handler="backend.handlers.project_moves.handler",
            layer=deps_layer,
            environment=environment,
            memory_size=512,
            timeout=WORKER_TIMEOUT,
        )
        lambda_.EventSourceMapping(
            stack,
            "ProjectMovesQueue",
            target=functions.live(self.worker),
            event_source_arn=self.queue.queue_arn,
            batch_size=1,  # a move is long: one at a time, each retried on its own
            report_batch_item_failures=True,
        )
        self.queue.grant_consume_messages(self.worker)
        functions.grant_table(self.worker, tasks_table, task_index_names(), functions.TABLE_READ_WRITE)
        functions.grant_table(self.worker, users_table, [], USERS_READ)
        functions.grant_table(self.worker, notifications_table, NOTIFICATION_INDEXES, functions.TABLE_READ_WRITE)
        features.grant_scheduling(self.worker)

    def grant_send(self, api: lambda_.Function) -> None:
        """The api queues moves: ``sqs:SendMessage`` on this queue alone, and its URL in the environment."""
        self.queue.grant_send_messages(api)
        api.add_environment(QUEUE_URL_VARIABLE, self.queue.queue_url)
