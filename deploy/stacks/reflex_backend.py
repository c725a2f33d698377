"""The Reflex backend (state handlers + websocket): ECS Fargate behind an internal ALB, Redis as state manager.

Why not Lambda: docs/decisions.md ("The Reflex backend runs on Fargate"). The shape:

- VPC over two AZs: public subnets (NAT gateway, internet gateway that CloudFront VPC origins require), private
  subnets with egress (the tasks: they call API Gateway and Cognito), isolated subnets (Redis). Flow logs on.
- Internal ALB in the private subnets, reached only by CloudFront through a VPC origin (deploy/stacks/site.py):
  nothing of the backend is on the internet. Idle timeout 1 h for the websockets, health check ``/ping``,
  access logs to a bucket of its own.
- Fargate service (arm64) from the repository's ``Dockerfile``: ``reflex run --env prod --backend-only`` on 8000
  as a non-root user; CPU target-tracking autoscaling between ``reflex_min_tasks`` and ``reflex_max_tasks``.
- ElastiCache Redis (replication group, Multi-AZ, TLS in transit, encryption at rest, AUTH token from Secrets
  Manager, non-default port): Reflex's state manager, so any task can serve any event of a session. The container
  entrypoint builds ``REFLEX_REDIS_URL`` from the endpoint and the token (deploy/container/entrypoint.sh).
  ElastiCache refuses ``CONFIG SET``: the keyspace notifications Reflex needs come from the parameter group, and
  ``REFLEX_IGNORE_REDIS_CONFIG_ERROR`` lets Reflex start without setting them itself.
- Live updates (deploy/stacks/live.py): a Lambda in this VPC publishes the Tasks/Notifications streams' changes on
  the same Redis (pub/sub); the container gets ``LIVE_REDIS_URL`` (rediss, no credentials) and the token as the ECS
  secret ``LIVE_REDIS_AUTH_TOKEN`` (backend/client/live.py subscribes).

The image is a ``from_asset`` image: synthesis only copies the build context (what ``.dockerignore`` lets through)
into cdk.out; the CDK CLI builds and pushes it at deploy time, so synth needs no Docker.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from deploy.stacks.functions import REPO_ROOT
from deploy.stacks.live import LiveUpdates, redis_url
from deploy.stacks.nag import acknowledge

CONTAINER_PORT = 8000
REDIS_PORT = 6380  # not the default 6379 (AwsSolutions-AEC5)
# What Reflex's Redis state manager would set with CONFIG SET (reflex/istate/manager/redis.py).
REDIS_KEYSPACE_EVENTS = "K$sgxe"
HEALTH_CHECK_PATH = "/ping"
WEBSOCKET_IDLE_TIMEOUT = Duration.hours(1)


class ReflexBackendStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        environment: dict[str, str],
        api_url: str,
        egress_allocation_id: str,
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        deps_layer: lambda_.ILayerVersion,
        min_tasks: int = 2,
        max_tasks: int = 6,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        flow_logs = logs.LogGroup(
            self, "VpcFlowLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            # The address the stateless stack allocated: the API's WAF rate-limits this backend's users per token,
            # not per this shared address (deploy/stacks/waf.py).
            nat_gateway_provider=ec2.NatProvider.gateway(eip_allocation_ids=[egress_allocation_id]),
            # No custom-resource Lambda to strip the default security group's rules: nothing uses that group.
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
            flow_logs={
                "all": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )

        # --- Redis (Reflex state manager) --------------------------------------------------------------------
        self.redis_auth = secretsmanager.Secret(
            self,
            "RedisAuthToken",
            description="AUTH token of the Reflex state-manager Redis (ElastiCache)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.redis_auth,
            "SMG4",
            reason=(
                "Rotating the ElastiCache AUTH token needs ModifyReplicationGroup (ROTATE then SET) in step with a "
                "service redeploy; it is a documented manual runbook step, not an automatic rotation Lambda."
            ),
        )
        self.redis_security_group = ec2.SecurityGroup(
            self, "RedisSg", vpc=self.vpc, description="Reflex state-manager Redis", allow_all_outbound=False
        )
        subnets = elasticache.CfnSubnetGroup(
            self,
            "RedisSubnets",
            description="Isolated subnets of the Reflex state-manager Redis",
            subnet_ids=self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids,
        )
        parameters = elasticache.CfnParameterGroup(
            self,
            "RedisParameters",
            cache_parameter_group_family="redis7",
            description="Keyspace notifications for Reflex's Redis state manager (ElastiCache refuses CONFIG SET)",
            properties={"notify-keyspace-events": REDIS_KEYSPACE_EVENTS},
        )
        self.redis = elasticache.CfnReplicationGroup(
            self,
            "Redis",
            replication_group_description=f"Reflex state manager ({stage})",
            engine="redis",
            engine_version="7.1",
            cache_node_type="cache.t4g.micro",
            cache_parameter_group_name=parameters.ref,
            cache_subnet_group_name=subnets.ref,
            security_group_ids=[self.redis_security_group.security_group_id],
            num_node_groups=1,
            replicas_per_node_group=1,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=self.redis_auth.secret_value.unsafe_unwrap(),  # a {{resolve:secretsmanager}} reference
            port=REDIS_PORT,
            snapshot_retention_limit=1,
            auto_minor_version_upgrade=True,
        )

        # --- Internal ALB, reached only by CloudFront (VPC origin) -------------------------------------------
        self.alb_logs = s3.Bucket(
            self,
            "AlbAccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # ALB access logs support SSE-S3 only
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.alb_logs,
            "S1",
            reason="This is the ALB access-log bucket itself; logging it to another bucket would recurse.",
        )
        self.alb_security_group = ec2.SecurityGroup(
            self, "AlbSg", vpc=self.vpc, description="Reflex ALB: CloudFront VPC origin only", allow_all_outbound=False
        )
        # CloudFront's VPC-origin network interfaces live in the ALB's subnets: the VPC range is the tightest
        # source that does not depend on the account's CloudFront-managed security group.
        self.alb_security_group.add_ingress_rule(
            ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.tcp(80), "CloudFront VPC origin (ENIs in this VPC)"
        )
        acknowledge(
            self.alb_security_group,
            "EC23",
            reason=(
                "The only ingress is port 80 from this VPC's own CIDR (a token, which the rule cannot evaluate): "
                "the ALB is internal and reached by CloudFront's VPC-origin interfaces inside the VPC."
            ),
        )
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=self.vpc,
            internet_facing=False,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_group=self.alb_security_group,
            idle_timeout=WEBSOCKET_IDLE_TIMEOUT,
            drop_invalid_header_fields=True,
        )
        self.alb.log_access_logs(self.alb_logs, prefix="alb")

        # --- Fargate service ------------------------------------------------------------------------------------
        self.cluster = ecs.Cluster(self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED)
        task = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=512,
            memory_limit_mib=1024,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        container_logs = logs.LogGroup(
            self, "ContainerLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.container_environment = {
            **environment,
            "TMP_API_URL": api_url,
            "REDIS_HOST": self.redis.attr_primary_end_point_address,
            "REDIS_PORT": self.redis.attr_primary_end_point_port,
            # Live updates (backend/client/live.py): the same Redis, pub/sub only; the token is an ECS secret.
            "LIVE_REDIS_URL": redis_url(self.redis),
            "REFLEX_IGNORE_REDIS_CONFIG_ERROR": "true",
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
        self.container = task.add_container(
            "reflex",
            image=ecs.ContainerImage.from_asset(
                str(REPO_ROOT), file="Dockerfile", platform=ecr_assets.Platform.LINUX_ARM64
            ),
            port_mappings=[ecs.PortMapping(container_port=CONTAINER_PORT)],
            environment=self.container_environment,
            secrets={
                "REDIS_AUTH_TOKEN": ecs.Secret.from_secrets_manager(self.redis_auth),
                "LIVE_REDIS_AUTH_TOKEN": ecs.Secret.from_secrets_manager(self.redis_auth),
            },
            logging=ecs.LogDrivers.aws_logs(stream_prefix="reflex", log_group=container_logs),
            readonly_root_filesystem=False,  # Reflex writes .web/ and .states/ in its working directory
        )
        self.service_security_group = ec2.SecurityGroup(
            self, "ServiceSg", vpc=self.vpc, description="Reflex backend tasks", allow_all_outbound=True
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=task,
            desired_count=min_tasks,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[self.service_security_group],
            assign_public_ip=False,
            health_check_grace_period=Duration.seconds(90),
        )
        self.service_security_group.add_ingress_rule(
            self.alb_security_group, ec2.Port.tcp(CONTAINER_PORT), "ALB to the Reflex backend"
        )
        self.alb_security_group.add_egress_rule(
            self.service_security_group, ec2.Port.tcp(CONTAINER_PORT), "ALB to the Reflex backend"
        )
        self.redis_security_group.add_ingress_rule(
            self.service_security_group, ec2.Port.tcp(REDIS_PORT), "Reflex backend to its state manager"
        )
        # Live updates: the streams' changes, published on this Redis by a Lambda in this VPC (deploy/stacks/live.py).
        self.live_updates = LiveUpdates(
            self,
            vpc=self.vpc,
            redis=self.redis,
            redis_port=REDIS_PORT,
            redis_security_group=self.redis_security_group,
            redis_auth=self.redis_auth,
            deps_layer=deps_layer,
            environment=environment,
            users_table=users_table,
            tasks_table=tasks_table,
            notifications_table=notifications_table,
        )
        listener = self.alb.add_listener("Http", port=80, open=False)
        self.target_group = listener.add_targets(
            "Reflex",
            port=CONTAINER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH, healthy_http_codes="200", interval=Duration.seconds(15)
            ),
            deregistration_delay=Duration.seconds(30),
            # Socket.IO's polling fallback needs every request of a session on one task; websockets do not,
            # and the Redis state manager makes any task able to serve any event.
            stickiness_cookie_duration=Duration.hours(1),
        )
        scaling = self.service.auto_scale_task_count(min_capacity=min_tasks, max_capacity=max_tasks)
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=60,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(1),
        )

        acknowledge(
            task,
            "ECS2",
            reason=(
                "Only non-secret configuration is plain environment (stage, region, pool/client ids, API URL, Redis "
                "endpoint); the Redis AUTH token comes from Secrets Manager through ECS secrets."
            ),
        )
        acknowledge(
            task,
            "IAM5[Resource::*]",
            reason="The execution role's ecr:GetAuthorizationToken supports only Resource '*' (AWS docs).",
        )
        CfnOutput(self, "AlbDnsName", value=self.alb.load_balancer_dns_name)
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        CfnOutput(self, "ServiceName", value=self.service.service_name)
