"""Attachments: the private bucket the browser uploads to (presigned POST) and the processor Lambda it triggers.

Layout (``backend.domain.attachments``): the browser's presigned POST writes only ``uploads/`` (the notification's
prefix); the processor checks the exact version an event names and copies it to ``users/`` (what downloads serve);
thumbnails go to ``thumbnails/``. Only the processor may write ``users/`` and ``thumbnails/`` (the api role, which
signs the upload forms, may not), so no upload form can replace a checked file. Staged objects and their old versions
expire after a day (a re-posted form leaves nothing counted-less behind for long; the processor deletes them at once).

Bucket and processor share a stack because S3 checks the notification's target when the bucket is created: the
bucket's native ``ObjectCreated`` notification (the S3 event shape the handler reads) is written directly on the
bucket (no custom-resource Lambda), and depends on the Lambda permission, whose source ARN is built from the
bucket's fixed name (``ResourceNames.attachments_bucket``) so nothing refers back to the bucket.

Optional cross-region replication (context ``attachments_replica_bucket_arn``): ``users/`` and ``thumbnails/`` are
copied, delete markers included, to a versioned bucket the operator created beforehand in another region. A stack
only creates resources in its own region, so that bucket cannot be created here (deploy/README.md).
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from backend.domain.attachments import FILE_PREFIX, STAGING_PREFIX, THUMBNAIL_PREFIX
from deploy.stacks import functions
from deploy.stacks.nag import acknowledge
from deploy.stacks.naming import ResourceNames, attachments_cors_rule, task_index_names

OBJECT_PREFIXES = (STAGING_PREFIX, FILE_PREFIX, THUMBNAIL_PREFIX)
STAGED_DAYS = 1  # lifecycle: staged uploads (and their noncurrent versions) the processor did not delete


def acknowledge_object_prefixes(
    role: IConstruct, bucket_name: str, *, reason: str, prefixes: tuple[str, ...] = OBJECT_PREFIXES
) -> None:
    """IAM5 on ``<bucket>/<prefix>*``: object-level grants on our prefixes (uploads/, users/, thumbnails/)."""
    for prefix in prefixes:
        acknowledge(role, f"IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket_name}/{prefix}*]", reason=reason)


class AttachmentsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        tasks_table: dynamodb.ITableV2,
        deps_layer: lambda_.ILayerVersion,
        environment: dict[str, str],
        app_origins: list[str],
        deletion_protection: bool,
        replica_bucket_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = ResourceNames(stage)
        bucket_name = self.bucket_name = names.attachments_bucket
        bucket_arn = f"arn:{self.partition}:s3:::{bucket_name}"

        self.dead_letter_queue = functions.dead_letter_queue(self, "ProcessorFailures")
        self.processor = functions.backend_function(
            self,
            "AttachmentProcessorFn",
            handler="backend.handlers.attachments.handler",
            layer=deps_layer,
            environment=environment,
            memory_size=1024,
            timeout=Duration.seconds(60),
        )
        # S3 invokes asynchronously: two retries, then the event goes to the on-failure queue.
        functions.live(self.processor).configure_async_invoke(
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )
        # Reads the staged version an event names (GetObject[Version], also the source of the copy) and deletes
        # it for good once handled; writes the checked copy and the thumbnail (and deletes them for a rejected or
        # deleted attachment).
        self.processor.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[f"{bucket_arn}/{STAGING_PREFIX}*"],
            )
        )
        self.processor.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:DeleteObject"],
                resources=[f"{bucket_arn}/{FILE_PREFIX}*", f"{bucket_arn}/{THUMBNAIL_PREFIX}*"],
            )
        )
        assert self.processor.role is not None
        acknowledge_object_prefixes(
            self.processor.role,
            bucket_name,
            reason=(
                "The processor reads/deletes any new upload under uploads/, copies the checked version under users/ "
                "and writes its thumbnail under thumbnails/: keys are only known per event; the grants stop at "
                "these prefixes."
            ),
        )
        # Attachment rows, refs, usage and the task's counter all live in the Tasks table: no Users grant at all.
        functions.grant_table(self.processor, tasks_table, task_index_names(), functions.TABLE_READ_WRITE)
        permission = lambda_.CfnPermission(
            self,
            "S3InvokesProcessor",
            action="lambda:InvokeFunction",
            function_name=functions.live(self.processor).function_arn,
            principal="s3.amazonaws.com",
            source_arn=bucket_arn,
            source_account=self.account,
        )

        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            access_logs,
            "S1",
            reason="This is the attachments bucket's access-log bucket itself; logging it would recurse.",
        )
        cors = attachments_cors_rule(app_origins)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="attachments/",
            # The browser uploads with a presigned POST from the app's origin and downloads with presigned GETs.
            # The same rule the local bootstrap puts on the emulated bucket (backend/local/bootstrap.py).
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods(m) for m in cors["AllowedMethods"]],
                    allowed_origins=cors["AllowedOrigins"],
                    allowed_headers=cors["AllowedHeaders"],
                    exposed_headers=cors["ExposeHeaders"],
                    max_age=cors["MaxAgeSeconds"],
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
                s3.LifecycleRule(id="expire-old-versions", noncurrent_version_expiration=Duration.days(30)),
                # Normally the processor deletes a staged version as soon as it is handled; whatever a failed or
                # lost event left (a re-posted form included) goes after a day, uncounted only that long.
                s3.LifecycleRule(
                    id="expire-staged-uploads",
                    prefix=STAGING_PREFIX,
                    expiration=Duration.days(STAGED_DAYS),
                    noncurrent_version_expiration=Duration.days(STAGED_DAYS),
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN if deletion_protection else RemovalPolicy.DESTROY,
        )
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            lambda_configurations=[
                s3.CfnBucket.LambdaConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    function=functions.live(self.processor).function_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=STAGING_PREFIX)]
                        )
                    ),
                )
            ]
        )
        cfn_bucket.node.add_dependency(permission)
        if replica_bucket_arn:
            self._replicate(cfn_bucket, bucket_arn, replica_bucket_arn)

    def _replicate(self, cfn_bucket: s3.CfnBucket, bucket_arn: str, replica_bucket_arn: str) -> None:
        """Replicate the checked files and thumbnails (new versions and delete markers) to ``replica_bucket_arn``;
        staged uploads are transient and stay home."""
        if not re.fullmatch(r"arn:aws[\w-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", replica_bucket_arn):
            raise ValueError(f"attachments_replica_bucket_arn is not an S3 bucket ARN: {replica_bucket_arn!r}")
        prefixes = (FILE_PREFIX, THUMBNAIL_PREFIX)
        role = iam.Role(
            self,
            "ReplicationRole",
            assumed_by=iam.ServicePrincipal(
                "s3.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
            description="S3 replication of the attachments bucket's users/ and thumbnails/ to the replica bucket",
            inline_policies={
                "Replicate": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["s3:GetReplicationConfiguration", "s3:ListBucket"], resources=[bucket_arn]
                        ),
                        iam.PolicyStatement(
                            actions=[
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ],
                            resources=[f"{bucket_arn}/{prefix}*" for prefix in prefixes],
                        ),
                        iam.PolicyStatement(
                            actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            resources=[f"{replica_bucket_arn}/{prefix}*" for prefix in prefixes],
                        ),
                    ]
                )
            },
        )
        reason = "Replication copies every object version under our two prefixes; keys are per user and upload."
        acknowledge_object_prefixes(role, self.bucket_name, reason=reason, prefixes=prefixes)
        for prefix in prefixes:
            acknowledge(role, f"IAM5[Resource::{replica_bucket_arn}/{prefix}*]", reason=reason)
        # The bucket is SSE-S3 (no KMS key): S3 replicates SSE-S3 objects as they are and the replica gets SSE-S3 as
        # well, so there is no key to grant or SseKmsEncryptedObjects selection to add. (A switch to SSE-KMS would
        # need both, plus kms:Decrypt/Encrypt on the two keys for this role.)
        cfn_bucket.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
            role=role.role_arn,
            rules=[
                s3.CfnBucket.ReplicationRuleProperty(
                    id=f"replicate-{prefix.rstrip('/')}",
                    priority=priority,
                    status="Enabled",
                    filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=prefix),
                    # Deletes by users must not survive in the replica (the replica keeps the old versions).
                    delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Enabled"),
                    destination=s3.CfnBucket.ReplicationDestinationProperty(bucket=replica_bucket_arn),
                )
                for priority, prefix in enumerate(prefixes, start=1)
            ],
        )
