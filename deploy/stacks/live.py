"""Live updates in AWS: the Tasks and Notifications streams -> the live Lambda -> the Reflex backend's Redis.

``backend.handlers.live.handler`` reads both tables' streams (batches of at most 10, no batching window: latency
matters; bisect on error, partial batch failures, 3 retries, records older than 10 minutes dropped, then the
on-failure queue) and publishes each change on Redis pub/sub, the ElastiCache replication group the Reflex
backend already uses as its state manager (reflex_backend.py). So it runs in that VPC, in the private subnets
with egress (their NAT gateway reaches Secrets Manager, DynamoDB and X-Ray: no interface endpoint needed, ~$15 a
month each saved), with a security group of its own, let into Redis on its port only. Its role: read the two
streams, GetItem on the Users table (the user's time zone, for the task's ``overdue``), Query on the Tasks table
limited to shared-project partitions (``P#*``: a project's members), GetItem on the Tasks table of a move's
tombstone's attributes only (was a task's delete its move?), GetSecretValue on the Redis AUTH secret only.

Small profile (no ElastiCache, no NAT): the target is a Redis sidecar in the one Reflex task, reached at a Cloud Map
private DNS name through the task's security group, without AUTH; the function sits in isolated subnets and reads
the Users table through the VPC's DynamoDB gateway endpoint (its only AWS call from inside the VPC: logs leave
through the Lambda service, the stream is polled by the event source mapping).

Environment: the ``TMP_*`` settings, ``LIVE_REDIS_URL`` = ``rediss://<primary endpoint>:<port>/0`` (TLS in
transit, no credentials) and ``LIVE_REDIS_AUTH_SECRET`` = the secret's ARN, read at cold start with Powertools
Parameters (the token is never in the function's configuration).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager

from backend.domain.sharing import PARTITION_PREFIX
from deploy.stacks import functions
from deploy.stacks.nag import acknowledge

USERS_READ = ("dynamodb:DescribeTable", "dynamodb:GetItem")
MOVED_ATTRIBUTES = ("user_id", "sk", "to", "version")  # a move's tombstone (backend/adapters/task_store/rekey.py)
PROJECT_PARTITION_PREFIX = PARTITION_PREFIX  # "P#<project>": the partition of a shared project
BATCH_SIZE = 10
RETRY_ATTEMPTS = 3
MAX_RECORD_AGE = Duration.minutes(10)  # a change relayed later than this is of no use to an open screen


def redis_url(redis: elasticache.CfnReplicationGroup) -> str:
    """``rediss://host:port/0`` of the replication group's primary endpoint (TLS, no credentials)."""
    return f"rediss://{redis.attr_primary_end_point_address}:{redis.attr_primary_end_point_port}/0"


@dataclass(frozen=True)
class LiveTarget:
    """Where the live Lambda publishes: the Redis URL (no credentials), its port and security group, the AUTH
    secret (None: no AUTH) and the Lambda's subnets."""

    url: str
    port: int
    security_group: ec2.SecurityGroup
    auth: secretsmanager.ISecret | None
    subnets: ec2.SubnetSelection


class LiveUpdates:
    """Builds the live Lambda, its two stream mappings and its network path to Redis on ``stack``."""

    def __init__(
        self,
        stack: Stack,
        *,
        vpc: ec2.IVpc,
        target: LiveTarget,
        deps_layer: lambda_.ILayerVersion,
        environment: dict[str, str],
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
    ) -> None:
        self.security_group = ec2.SecurityGroup(
            stack,
            "LiveUpdatesSg",
            vpc=vpc,
            description="Live-updates Lambda: to Redis, and HTTPS out (Secrets Manager, DynamoDB, X-Ray)",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs over HTTPS")
        self.security_group.add_egress_rule(target.security_group, ec2.Port.tcp(target.port), "publish to Redis")
        target.security_group.add_ingress_rule(
            self.security_group, ec2.Port.tcp(target.port), "live-updates Lambda publishes changes"
        )
        secret = {"LIVE_REDIS_AUTH_SECRET": target.auth.secret_arn} if target.auth is not None else {}
        self.failures = functions.dead_letter_queue(stack, "LiveUpdatesStreamFailures")
        self.function = functions.backend_function(
            stack,
            "LiveUpdatesFn",
            handler="backend.handlers.live.handler",
            layer=deps_layer,
            environment={**environment, "LIVE_REDIS_URL": target.url, **secret},
            memory_size=256,
            timeout=Duration.seconds(30),
            vpc=vpc,
            vpc_subnets=target.subnets,
            security_groups=[self.security_group],
        )
        role = self.function.role
        assert role is not None
        acknowledge(
            role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
            reason=(
                "A function in a VPC needs the network-interface actions of this AWS managed policy (CDK attaches it "
                "for a VPC function; the actions support only Resource '*')."
            ),
        )
        functions.read_streams(
            self.function,
            [("LiveTasksStream", tasks_table, None), ("LiveNotificationsStream", notifications_table, None)],
            failures=self.failures,
            batch_size=BATCH_SIZE,
            retry_attempts=RETRY_ATTEMPTS,
            max_record_age=MAX_RECORD_AGE,
        )
        functions.grant_table(self.function, users_table, [], USERS_READ)
        # A shared project's change goes to each member: one Query of the project partition's M# rows (issue 13).
        # Only project partitions (P#<p>): a user's own partition stays out of reach.
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[tasks_table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PROJECT_PARTITION_PREFIX}*"]}},
            )
        )
        # A task's delete may be its move: the tombstone the move left (MOVED#<task>, in any partition) tells, read
        # with GetItem of its own attributes only (fine-grained: no other attribute of any item can be read).
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem"],
                resources=[tasks_table.table_arn],
                conditions={
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": list(MOVED_ATTRIBUTES)},
                    "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
                },
            )
        )
        if target.auth is not None:
            self.function.add_to_role_policy(
                iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[target.auth.secret_arn])
            )
