"""What comes in (issue 16): answers to reminders by SMS and email, and mail to a user's task address.

- SMS: two-way SMS (AWS End User Messaging SMS) on the app's number publishes each incoming SMS to the ``InboundSms``
  topic; ``backend.handlers.inbound.sms_handler`` is subscribed to it. The number's two-way setting (the topic as its
  destination) is made on the number itself, outside CloudFormation; the topic lets only that service publish.
- Email: the SES receipt rule for the inbound domain (``TMP_INBOUND_EMAIL_DOMAIN``, context ``inbound_email_domain``)
  stores each message in the inbound-mail bucket under ``mail/`` and then invokes
  ``backend.handlers.inbound.email_handler``, which reads it once and deletes it (the lifecycle removes leftovers
  after a few days). SES allows one active receipt rule set per region: the set is made here, activating it is a
  step of the deploy runbook (``aws ses set-active-receipt-rule-set``); the domain's MX record points at SES inbound.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from backend.domain.attachments import STAGING_PREFIX
from backend.domain.inbound import MAIL_PREFIX
from backend.names import APP_SLUG, ResourceNames
from deploy.stacks import functions
from deploy.stacks.attachments import acknowledge_object_prefixes
from deploy.stacks.features import USERS_READ, Features
from deploy.stacks.nag import acknowledge
from deploy.stacks.naming import task_index_names

MAIL_KEPT_DAYS = 3  # what a failed invocation leaves; a handled message is deleted at once


class Inbound:
    """The inbound SMS topic, the inbound mail bucket and receipt rule, and their two Lambdas (one role each)."""

    def __init__(
        self,
        stack: Stack,
        *,
        stage: str,
        environment: dict[str, str],
        deps_layer: lambda_.ILayerVersion,
        features: Features,
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        attachments_bucket_name: str,
        inbound_email_domain: str,
    ) -> None:
        names = ResourceNames(stage)
        # a completed task's reminders go, a snooze is a schedule
        environment = {
            **environment,
            **features.scheduling_environment,
            "TMP_INBOUND_EMAIL_DOMAIN": inbound_email_domain,
        }
        self.bucket = s3.Bucket(
            stack,
            "InboundMail",
            bucket_name=names.inbound_mail_bucket,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire-leftover-mail", expiration=Duration.days(MAIL_KEPT_DAYS))],
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.bucket,
            "S1",
            reason="Written only by SES's receipt rule, read once and deleted by one Lambda whose logs record each "
            "message's handling; an access log of messages kept for minutes adds nothing.",
        )

        self.sms_function = functions.backend_function(
            stack,
            "InboundSmsFn",
            handler="backend.handlers.inbound.sms_handler",
            layer=deps_layer,
            environment=environment,
            memory_size=512,
            timeout=Duration.seconds(30),
        )
        self.email_function = functions.backend_function(
            stack,
            "InboundEmailFn",
            handler="backend.handlers.inbound.email_handler",
            layer=deps_layer,
            environment=environment,
            memory_size=1024,  # a message of up to 10 MB with its files
            timeout=Duration.seconds(60),
        )
        for function in (self.sms_function, self.email_function):
            features.grant_inbound(function)  # the acknowledgement (SES / SMS), the reminders' schedules
            functions.grant_table(function, users_table, [], USERS_READ)
            functions.grant_table(function, tasks_table, task_index_names(api=True), functions.TABLE_READ_WRITE)
            functions.grant_table(function, notifications_table, [], functions.TABLE_READ_WRITE)
        # The message: read once, then deleted. Files of an email to task: staged like an upload (the processor
        # checks them); nothing else of the attachments bucket.
        mail_arn = f"arn:{stack.partition}:s3:::{names.inbound_mail_bucket}/{MAIL_PREFIX}*"
        self.email_function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:DeleteObject"], resources=[mail_arn])
        )
        attachments_arn = f"arn:{stack.partition}:s3:::{attachments_bucket_name}"
        self.email_function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[f"{attachments_arn}/{STAGING_PREFIX}*"])
        )
        assert self.email_function.role is not None
        acknowledge_object_prefixes(
            self.email_function.role,
            attachments_bucket_name,
            reason="An email's files are staged per user and task, as an upload is; the processor checks them.",
            prefixes=(STAGING_PREFIX,),
        )
        acknowledge_object_prefixes(
            self.email_function.role,
            names.inbound_mail_bucket,
            reason="Each message is stored by SES under mail/<message id>; the function reads and deletes it.",
            prefixes=(MAIL_PREFIX,),
        )
        self.sms_topic = sns.Topic(
            stack, "InboundSms", display_name=f"{APP_SLUG}-{stage} inbound SMS", enforce_ssl=True
        )
        self.sms_topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("sms-voice.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.sms_topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        acknowledge(
            self.sms_topic,
            "SNS2",
            reason="Two-way SMS publishes the replies (DONE, SNOOZE 1h) here; it cannot use the AWS managed SNS key, "
            "and the replies hold no more than the SMS itself, which the carrier saw in clear.",
        )
        self.sms_topic.add_subscription(subscriptions.LambdaSubscription(functions.live(self.sms_function)))
        # (CDK puts the subscription under the alias, the endpoint every trigger uses.)
        Validations.of(functions.live(self.sms_function)).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::W3694",
                reason="The endpoint is the function's live alias, whose ARN SNS takes as a Lambda endpoint.",
            )
        )

        self.rule_set = ses.ReceiptRuleSet(
            stack, "InboundMailRules", receipt_rule_set_name=f"{APP_SLUG}-{stage}-inbound"
        )
        self.rule_set.add_rule(
            "TasksAndReplies",
            recipients=[inbound_email_domain],
            scan_enabled=True,  # the virus verdict reaches the Lambda, which refuses a FAIL
            tls_policy=ses.TlsPolicy.REQUIRE,
            actions=[
                ses_actions.S3(bucket=self.bucket, object_key_prefix=MAIL_PREFIX),
                ses_actions.Lambda(
                    function=functions.live(self.email_function), invocation_type=ses_actions.LambdaInvocationType.EVENT
                ),
            ],
        )
