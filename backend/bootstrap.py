"""The composition root: builds the real adapters from settings, once per cold start. Tests pass their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from backend import aws
from backend.adapters.api_tokens import DynamoApiTokens
from backend.adapters.attachments import DynamoAttachmentStore
from backend.adapters.calendar_feeds import DynamoCalendarFeeds
from backend.adapters.change_bus import RedisChangeBus
from backend.adapters.cognito import CognitoDirectory
from backend.adapters.dynamodb import DynamoUserRepository, configure_models
from backend.adapters.idempotency import EXPIRES_AFTER_SECONDS, IdempotentRequests
from backend.adapters.messaging import SesMailer, SnsTexter
from backend.adapters.notifications import DynamoNotifications
from backend.adapters.object_storage import S3ObjectStorage
from backend.adapters.ports import (
    ActivityLog,
    ApiTokens,
    AttachmentStore,
    CalendarFeeds,
    CommentStore,
    IdentityDirectory,
    MembershipStore,
    ObjectStorage,
    PartitionMover,
    ProjectMoveQueue,
    ReminderBacklog,
    TaskAddresses,
    TaskStore,
    UserRepository,
)
from backend.adapters.project_moves import SqsProjectMoves
from backend.adapters.reminder_backlog import DynamoReminderBacklog
from backend.adapters.scheduler import SchedulerGateway
from backend.adapters.signing_keys import SecretsManagerSigningKeys
from backend.adapters.stats_store import DynamoStatsStore
from backend.adapters.task_addresses import DynamoTaskAddresses
from backend.adapters.task_store.activity import ActivityStore
from backend.adapters.task_store.comments import DynamoCommentStore
from backend.adapters.task_store.erasure import DynamoErasureRecord
from backend.adapters.task_store.rekey import DynamoPartitionMover
from backend.adapters.task_store.sharing import DynamoMembershipStore
from backend.adapters.task_store.store import DynamoTaskStore
from backend.adapters.webhook_transport import EventBridgePublisher, HttpWebhookSender, SqsDeliveryQueue
from backend.adapters.webhooks import DynamoWebhooks, KmsSecretBox
from backend.config import WEBHOOKS, Settings, get_settings
from backend.domain.signing_keys import SigningKeys
from backend.domain.users import User
from backend.services import reminders as reminder_service
from backend.services import sharing, user_data
from backend.services import webhooks as webhook_service
from backend.services.attachments import TaskAttachmentCleanup
from backend.services.comments import TaskCommentCleanup
from backend.services.reminder_sync import DigestSyncingUsers, ReminderSyncingMover, ReminderSyncingTaskStore


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
    # The signing keys (links in e-mails, SMS codes): read from Secrets Manager on first use, cached (max_age).
    signing_keys: Callable[[], SigningKeys]
    clock: Callable[[], datetime] = field(default=utcnow)
    # reminders and notifications (issue 5)
    notifications: DynamoNotifications = field(default_factory=DynamoNotifications)
    scheduler: SchedulerGateway | None = None
    reminder_backlog: ReminderBacklog | None = None  # tasks whose schedules a Scheduler failure left behind
    mailer: SesMailer | None = None
    texter: SnsTexter | None = None
    # shared projects (issue 13): memberships, invitations and the Users row's shared_projects
    memberships: MembershipStore = field(default_factory=DynamoMembershipStore)
    mover: PartitionMover = field(default_factory=DynamoPartitionMover)  # a project becoming shared, a task moving
    comments: CommentStore = field(default_factory=DynamoCommentStore)
    activity: ActivityLog = field(default_factory=ActivityStore)
    feeds: CalendarFeeds = field(default_factory=DynamoCalendarFeeds)  # calendar feed tokens (issue 14)
    api_tokens: ApiTokens = field(default_factory=DynamoApiTokens)  # personal API tokens (issue 16)
    task_addresses: TaskAddresses = field(default_factory=DynamoTaskAddresses)  # email to task (issue 16)
    moves: ProjectMoveQueue | None = None  # a large project's share moves its tasks in the background (None: inline)


@lru_cache(maxsize=1)
def dependencies() -> Dependencies:
    settings = get_settings()
    configure_models(names=settings.names, region=settings.region, endpoint=settings.aws_endpoint_url)
    # Reminders: every task or profile write keeps the Scheduler's schedules in step (services/reminder_sync.py).
    notifications = DynamoNotifications()
    scheduler = SchedulerGateway(
        client=aws.client("scheduler"),
        group=settings.names.schedule_group,
        target_arn=settings.reminder_target_arn,
        role_arn=settings.scheduler_role_arn,
    )
    users = DynamoUserRepository()
    task_store = DynamoTaskStore()
    memberships = DynamoMembershipStore()

    def members(project_id: str) -> list[str]:  # a shared task's reminders are per member
        return [member.user_id for member in memberships.list_members(project_id)]

    def timezone_changed(user: User) -> None:  # local wall times now map to other instants
        reminder_service.resync_user(
            user, store=task_store, reminders=notifications, scheduler=scheduler, users=users, now=utcnow()
        )

    backlog = DynamoReminderBacklog(client=aws.client("dynamodb"), table=settings.names.notifications_table)
    tasks = ReminderSyncingTaskStore(
        task_store,
        reminders=notifications,
        scheduler=scheduler,
        users=users,
        clock=utcnow,
        members=members,
        backlog=backlog,
    )
    return Dependencies(
        settings=settings,
        attachments=DynamoAttachmentStore(),
        storage=S3ObjectStorage(s3=aws.client("s3"), bucket=settings.names.attachments_bucket),
        users=DigestSyncingUsers(users, scheduler=scheduler, on_timezone_change=timezone_changed),
        tasks=tasks,
        mover=ReminderSyncingMover(DynamoPartitionMover(), tasks=tasks),  # a moved task's reminders follow it
        memberships=memberships,
        identity=CognitoDirectory(
            cognito=aws.client("cognito-idp"),
            user_pool_id=settings.user_pool_id,
            client_id=settings.user_pool_client_id,
        ),
        signing_keys=SecretsManagerSigningKeys(
            client=lambda: aws.client("secretsmanager"), secret_id=settings.link_signing_secret_id
        ),
        notifications=notifications,
        scheduler=scheduler,
        reminder_backlog=backlog,
        mailer=SesMailer(client=aws.single_attempt_client("ses"), sender=settings.email_sender),
        texter=SnsTexter(client=aws.single_attempt_client("sns")),
        moves=SqsProjectMoves(client=aws.client("sqs"), queue_url=settings.move_queue_url)
        if settings.move_queue_url
        else None,
    )


@lru_cache(maxsize=1)
def aggregates_store() -> DynamoStatsStore:
    """Aggregates in the Tasks table (analytics Lambda, stats/export routes)."""
    settings = get_settings()
    return DynamoStatsStore(client=aws.client("dynamodb"), table=settings.names.tasks_table)


@lru_cache(maxsize=1)
def webhook_queue() -> SqsDeliveryQueue:
    """The deliveries queue (and its dead letters): the api's re-send, the delivery function's retries."""
    settings = get_settings()
    settings.require(*WEBHOOKS)
    sqs = aws.client("sqs")

    def url(given: str | None, name: str) -> str:  # locally the emulator's queue by the stage's name
        return given or str(sqs.get_queue_url(QueueName=name)["QueueUrl"])

    return SqsDeliveryQueue(
        client=sqs,
        queue_url=url(settings.webhook_queue_url, settings.names.webhook_queue),
        dead_letter_url=url(settings.webhook_dead_letter_url, settings.names.webhook_dead_letter_queue),
    )


@lru_cache(maxsize=1)
def webhook_ports() -> webhook_service.Ports:
    """What the webhook routes use: the store, the KMS box (the api may only seal) and the queue (re-send)."""
    dependencies()  # the models point at this stage's tables
    settings = get_settings()
    box = KmsSecretBox(client=aws.client("kms"), key_id=settings.webhook_key)
    return webhook_service.Ports(webhooks=DynamoWebhooks(), secrets=box, queue=webhook_queue())


@lru_cache(maxsize=1)
def webhook_delivery_ports() -> webhook_service.DeliveryPorts:
    """The delivery function's: the store, the KMS box (it alone may open), HTTP out, the queue, the members."""
    deps = dependencies()
    settings = get_settings()
    memberships = deps.memberships

    def members_of(project_id: str) -> list[str]:
        return [member.user_id for member in memberships.list_members(project_id)]

    return webhook_service.DeliveryPorts(
        webhooks=DynamoWebhooks(),
        secrets=KmsSecretBox(client=aws.client("kms"), key_id=settings.webhook_key),
        sender=HttpWebhookSender(
            allow_loopback=settings.webhook_allow_loopback, timeout=settings.webhook_timeout_seconds
        ),
        queue=webhook_queue(),
        members_of=members_of,
        moved_to=deps.mover.moved,
        schedule=settings.webhook_retry_schedule,
        clock=deps.clock,
    )


@lru_cache(maxsize=1)
def event_publisher() -> EventBridgePublisher:
    """The stream consumer's way onto the app's bus (webhooks, issue 16)."""
    settings = get_settings()
    return EventBridgePublisher(client=aws.client("events"), bus_name=settings.event_bus)


@lru_cache(maxsize=1)
def change_bus() -> RedisChangeBus | None:
    """Live updates' publisher (backend/handlers/live.py); None without ``LIVE_REDIS_URL`` (nothing is published)."""
    settings = get_settings()
    if not settings.live_redis_url:
        return None
    secret = settings.live_redis_auth_secret

    def password(force_fetch: bool) -> str | None:
        if not secret:
            return None
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(secret, force_fetch=force_fetch))

    return RedisChangeBus(url=settings.live_redis_url, password=password)


@lru_cache(maxsize=1)
def inbound_mail() -> S3ObjectStorage:
    """The bucket SES's receipt rule stores incoming mail in (issue 16); only the inbound Lambda reads it."""
    return S3ObjectStorage(s3=aws.client("s3"), bucket=get_settings().names.inbound_mail_bucket)


@lru_cache(maxsize=1)
def idempotent_requests() -> IdempotentRequests:
    """``Idempotency-Key`` requests: Powertools' records in their own table, answers kept 24 h (POST /api/tasks)."""
    settings = get_settings()
    return IdempotentRequests(
        client=aws.client("dynamodb"),
        table=settings.idempotency_table_name,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )


def erase_user_data(user_id: str) -> int:
    """Everything the user made (``user_data.delete_everything``), with this deployment's stores; their shared
    projects are left, handed over or deleted first (issue 13)."""
    deps = dependencies()
    user = deps.users.get(user_id)
    ports = sharing.Ports(tasks=deps.tasks, memberships=deps.memberships, mover=deps.mover)
    return user_data.delete_everything(
        tasks=deps.tasks,
        stats=aggregates_store(),
        notifications=deps.notifications,
        storage=deps.storage,
        scheduler=deps.scheduler,
        user_id=user_id,
        shared=(user, ports) if user is not None else None,
        inbox=deps.notifications,
        on_deleted=TaskCommentCleanup(deps.comments, then=TaskAttachmentCleanup(deps.attachments, deps.storage)),
        attachment_store=deps.attachments,
        erasure=DynamoErasureRecord(),
        credentials=user_data.Credentials(feeds=deps.feeds, addresses=deps.task_addresses, tokens=deps.api_tokens),
    )


def reset() -> None:
    """Forget everything built from the environment (tests that start a new emulator call this)."""
    dependencies.cache_clear()
    aggregates_store.cache_clear()
    change_bus.cache_clear()
    webhook_queue.cache_clear()
    webhook_ports.cache_clear()
    webhook_delivery_ports.cache_clear()
    event_publisher.cache_clear()
    idempotent_requests.cache_clear()
    inbound_mail.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
