"""The feature Lambdas next to the API: reminders (EventBridge Scheduler, SES, SNS SMS) and analytics (Tasks stream).

The account's SNS SMS preferences (transactional, monthly cap from context ``sms_monthly_spend_limit``) are set here
too, by a custom resource at deploy time: CloudFormation has no resource for them.

Contracts fixed by the lead (handler modules land with their features):

- ``backend.handlers.reminders.handler``: invoked by one-off schedules in the group ``ResourceNames.schedule_group``
  through a scheduler role that may only invoke it. Env: the ``TMP_*`` settings, ``TMP_REMINDER_TARGET_ARN`` (its
  own ARN, built from its fixed name to avoid a cycle), ``TMP_SCHEDULER_ROLE_ARN``, ``TMP_LINK_SIGNING_SECRET_ARN``.
- ``backend.handlers.analytics.handler``: the Tasks table's stream (batches of 100, bisect on error, partial batch
  failures, 3 retries, then the on-failure queue); ``backend.handlers.analytics.recompute_handler``: daily.

The link-signing secret reaches the functions that sign or verify (api, reminders) as its ARN only
(``TMP_LINK_SIGNING_SECRET_ARN``) with ``secretsmanager:GetSecretValue`` on it: they read it at run time (Powertools
parameters, cached), so its value is in no template and in no function configuration.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import custom_resources as cr

from backend.domain.attachments import FILE_PREFIX, STAGING_PREFIX, THUMBNAIL_PREFIX
from deploy.stacks import functions
from deploy.stacks.attachments import OBJECT_PREFIXES, acknowledge_object_prefixes
from deploy.stacks.nag import acknowledge
from deploy.stacks.naming import APP_SLUG, notifications_table_schema, task_index_names

NOTIFICATION_INDEXES = [i.name for i in notifications_table_schema().indexes]
USERS_READ = ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
SCHEDULE_ACTIONS = (
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:DeleteSchedule",
    "scheduler:GetSchedule",
)
PRESIGN_REASON = (
    "Object keys are per user and per upload (<prefix><user id>/...): the api signs URLs for keys under our "
    "prefixes of the attachments bucket only; ownership of a key is checked by the service before signing."
)
# SNS's account-wide SMS spending cap, in whole US dollars. A new account's SMS spending quota is $1; a higher cap
# only means something after AWS raised that quota (an SNS limit-increase case), so the default is the quota itself.
DEFAULT_SMS_MONTHLY_SPEND_LIMIT = "1"
SMS_REASON = (
    "Only two actions that have no resource to scope to: sns:Publish straight to a phone number (SMS) and "
    "scheduler:ListSchedules (no resource-level permissions; the adapter always passes our GroupName)."
)


class Features:
    """Builds the reminders and analytics resources on ``stack`` and grants the api Lambda what it needs."""

    def __init__(
        self,
        stack: Stack,
        *,
        stage: str,
        environment: dict[str, str],
        deps_layer: lambda_.ILayerVersion,
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        schedule_group_name: str,
        link_signing_secret: secretsmanager.ISecret,
        ses_identity: str,
        sms_monthly_spend_limit: str = DEFAULT_SMS_MONTHLY_SPEND_LIMIT,
    ) -> None:
        self.stack = stack
        self.users_table = users_table
        self.tasks_table = tasks_table
        self.notifications_table = notifications_table
        self.link_signing_secret = link_signing_secret
        self.schedules_arn = (
            f"arn:{stack.partition}:scheduler:{stack.region}:{stack.account}:schedule/{schedule_group_name}/*"
        )

        # --- SES identity (domain or address from context ``ses_identity``) --------------------------------
        identity = ses.Identity.email(ses_identity) if "@" in ses_identity else ses.Identity.domain(ses_identity)
        self.email_identity = ses.EmailIdentity(stack, "MailIdentity", identity=identity)
        self.identity_arn = f"arn:{stack.partition}:ses:{stack.region}:{stack.account}:identity/{ses_identity}"

        self.sms_preferences = self._sms_preferences(sms_monthly_spend_limit)

        # --- Reminders ---------------------------------------------------------------------------------------
        reminders_name = f"{APP_SLUG}-{stage}-reminders"
        self.reminders_arn = (
            f"arn:{stack.partition}:lambda:{stack.region}:{stack.account}:function:{reminders_name}"
            f":{functions.LIVE_ALIAS}"
        )
        self.scheduler_role = iam.Role(
            stack,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="EventBridge Scheduler: may only invoke the reminders Lambda",
            inline_policies={
                "InvokeReminders": iam.PolicyDocument(
                    statements=[iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.reminders_arn])]
                )
            },
        )
        self.scheduling_environment = {
            "TMP_REMINDER_TARGET_ARN": self.reminders_arn,
            "TMP_SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            # The From address of reminder/digest e-mails: the identity itself, or no-reply@ its domain.
            "TMP_EMAIL_SENDER": ses_identity if "@" in ses_identity else f"no-reply@{ses_identity}",
        }
        # The ARN, never the value (a resolved value would be readable in the function's configuration).
        self.secret_environment = {"TMP_LINK_SIGNING_SECRET_ARN": link_signing_secret.secret_arn}
        self.reminders = functions.backend_function(
            stack,
            "RemindersFn",
            handler="backend.handlers.reminders.handler",
            function_name=reminders_name,
            layer=deps_layer,
            environment={**environment, **self.scheduling_environment, **self.secret_environment},
            memory_size=512,
            timeout=Duration.seconds(30),
        )
        self._grant_messaging(self.reminders)
        self._grant_scheduling(self.reminders)
        self._grant_signing_secret(self.reminders)
        functions.grant_table(self.reminders, users_table, [], functions.TABLE_READ_WRITE)
        functions.grant_table(self.reminders, notifications_table, NOTIFICATION_INDEXES, functions.TABLE_READ_WRITE)
        functions.grant_table(self.reminders, tasks_table, task_index_names(), functions.TABLE_READ_WRITE)
        # The reminder backlog's reconciler (issue 15): tasks whose schedules a Scheduler outage left behind are
        # planned again. The reminders Lambda already holds every grant it needs (the backlog is on the
        # Notifications table, the plan reads tasks, profiles and lists, and writes schedules): no new permission.
        # A missed run is made up by the next, so no retries and no dead-letter queue.
        events.Rule(
            stack,
            "ReminderBacklog",
            description="Plans again the reminders a Scheduler outage left unscheduled",
            schedule=events.Schedule.rate(Duration.minutes(5)),
            targets=[
                events_targets.LambdaFunction(
                    functions.live(self.reminders),
                    event=events.RuleTargetInput.from_object({"kind": "reconcile"}),
                    retry_attempts=0,
                )
            ],
        )

        # --- Analytics ---------------------------------------------------------------------------------------
        self.analytics_failures = functions.dead_letter_queue(stack, "AnalyticsStreamFailures")
        self.analytics = functions.backend_function(
            stack,
            "AnalyticsFn",
            handler="backend.handlers.analytics.handler",
            layer=deps_layer,
            environment=environment,
            memory_size=512,
            timeout=Duration.seconds(60),
        )
        functions.read_streams(
            self.analytics,
            [("AnalyticsStream", tasks_table, None)],
            failures=self.analytics_failures,
            batch_size=100,
            batching_window=Duration.seconds(5),
            retry_attempts=3,
            max_record_age=Duration.days(1),
        )
        # The user's time zone (local days of the aggregates) comes from the Users table: read only.
        functions.grant_table(self.analytics, users_table, [], USERS_READ)
        functions.grant_table(self.analytics, tasks_table, task_index_names(), functions.TABLE_READ_WRITE)
        # A fixed name, so the function may invoke its own alias (a longer work list goes on in a new invocation)
        # without a reference from its role back to the alias, which would be a dependency cycle.
        recompute_name = f"{APP_SLUG}-{stage}-analytics-recompute"
        self.recompute = functions.backend_function(
            stack,
            "AnalyticsRecomputeFn",
            handler="backend.handlers.analytics.recompute_handler",
            function_name=recompute_name,
            layer=deps_layer,
            environment=environment,
            memory_size=512,
            timeout=Duration.minutes(5),
        )
        self.recompute.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    f"arn:{stack.partition}:lambda:{stack.region}:{stack.account}:function:{recompute_name}"
                    f":{functions.LIVE_ALIAS}"
                ],
            )
        )
        functions.grant_table(self.recompute, tasks_table, task_index_names(), functions.TABLE_READ_WRITE)
        functions.grant_table(self.recompute, users_table, [], USERS_READ)
        self.recompute_failures = functions.dead_letter_queue(stack, "AnalyticsRecomputeFailures")
        events.Rule(
            stack,
            "AnalyticsDaily",
            description="Daily recomputation of the task statistics",
            schedule=events.Schedule.cron(minute="15", hour="3"),
            targets=[
                events_targets.LambdaFunction(
                    functions.live(self.recompute), retry_attempts=2, dead_letter_queue=self.recompute_failures
                )
            ],
        )

    def _sms_preferences(self, monthly_spend_limit: str) -> cr.AwsCustomResource:
        """The account's SNS SMS settings, as code: CloudFormation has no resource for them.

        Verification codes and reminders are transactional (delivery over cost); the monthly cap bounds the bill.
        Applied on create and on every update; nothing on delete: they are account-wide settings of the region,
        and SNS has no "unset" (the next deploy of any stage sets them again).
        """
        if not monthly_spend_limit.isdigit():
            raise ValueError(f"sms_monthly_spend_limit must be whole US dollars, got {monthly_spend_limit!r}")
        call = cr.AwsSdkCall(
            service="SNS",
            action="setSMSAttributes",
            parameters={"attributes": {"DefaultSMSType": "Transactional", "MonthlySpendLimit": monthly_spend_limit}},
            physical_resource_id=cr.PhysicalResourceId.of("sns-sms-attributes"),
        )
        # Its own role and log group, like the backend's functions (instead of the account-wide managed policy).
        log_group = logs.LogGroup(
            self.stack,
            "SmsPreferencesLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self.stack,
            "SmsPreferencesRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Sets the account's SNS SMS preferences at deploy time: its log group and that one call",
        )
        log_group.grant_write(role)
        preferences = cr.AwsCustomResource(
            self.stack,
            "SmsPreferences",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["sns:SetSMSAttributes"], resources=["*"])]
            ),
            role=role,
            log_group=log_group,
            # The SDK of the Lambda runtime has this call: no npm install at deploy time.
            install_latest_aws_sdk=False,
            timeout=Duration.minutes(1),
        )
        acknowledge(
            preferences,
            "IAM5[Resource::*]",
            reason="sns:SetSMSAttributes has no resource-level permissions (it sets account-wide preferences).",
        )
        return preferences

    def _grant_messaging(self, function: lambda_.IFunction) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[self.identity_arn])
        )
        # Publishing to a phone number has no resource ARN to allow, so the allow is on "*"; the deny on every topic
        # ARN (any region, any account) leaves SMS as the only thing this role can publish.
        function.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
        function.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{self.stack.partition}:sns:*:*:*"],
            )
        )
        assert function.role is not None
        acknowledge(function.role, "IAM5[Resource::*]", reason=SMS_REASON)

    def _grant_signing_secret(self, function: lambda_.IFunction) -> None:
        # Reading its value only (grant_read adds DescribeSecret, which nothing needs); default aws/secretsmanager key.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[self.link_signing_secret.secret_arn]
            )
        )

    def grant_scheduling(self, function: lambda_.IFunction) -> None:
        """Reminder schedules of the stage's group (create, update, delete, list) and passing the scheduler role."""
        self._grant_scheduling(function)

    def _grant_scheduling(self, function: lambda_.IFunction) -> None:
        function.add_to_role_policy(iam.PolicyStatement(actions=list(SCHEDULE_ACTIONS), resources=[self.schedules_arn]))
        # The adapter lists a task's schedules by name prefix (always with GroupName); ListSchedules has no
        # resource-level permissions.
        function.add_to_role_policy(iam.PolicyStatement(actions=["scheduler:ListSchedules"], resources=["*"]))
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        assert function.role is not None
        region = "<AWS::Region>" if Token.is_unresolved(self.stack.region) else self.stack.region
        group = self.schedules_arn.rsplit("/", 2)[1]
        acknowledge(
            function.role,
            f"IAM5[Resource::arn:<AWS::Partition>:scheduler:{region}:<AWS::AccountId>:schedule/{group}/*]",
            reason="Schedules are created per task at run time; the statement is scoped to our schedule group.",
        )

    def grant_inbound(self, function: lambda_.IFunction) -> None:
        """The inbound Lambdas (issue 16, deploy/stacks/inbound.py): acknowledgements (SES, SMS) and schedules."""
        self._grant_messaging(function)
        self._grant_scheduling(function)

    def grant_api(self, api: lambda_.IFunction, attachments_bucket_name: str) -> None:
        """What the api Lambda needs for the features: schedules, notifications, presigned URLs, SMS/e-mail."""
        self._grant_messaging(api)
        self._grant_scheduling(api)
        self._grant_signing_secret(api)
        functions.grant_table(api, self.notifications_table, NOTIFICATION_INDEXES, functions.TABLE_READ_WRITE)
        # Presigned POST (upload) / GET (download) / delete are signed with these rights, on our prefixes only.
        # Uploads are signed for the staging prefix alone: with no PutObject on users/ or thumbnails/, no upload form
        # the api signs can write a checked file or a thumbnail (S3 refuses a POST its signer may not make); those
        # are written by the processor alone.
        bucket_arn = f"arn:{self.stack.partition}:s3:::{attachments_bucket_name}"
        api.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:DeleteObject"], resources=[f"{bucket_arn}/{STAGING_PREFIX}*"]
            )
        )
        api.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:DeleteObject"],
                resources=[f"{bucket_arn}/{FILE_PREFIX}*", f"{bucket_arn}/{THUMBNAIL_PREFIX}*"],
            )
        )
        # "Delete my data / my account" lists the user's files to delete them: listing only under our prefixes.
        api.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in OBJECT_PREFIXES]}},
            )
        )
        assert api.role is not None
        acknowledge_object_prefixes(api.role, attachments_bucket_name, reason=PRESIGN_REASON)
