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

The small profile (deploy/stacks/profile.py) keeps the ALB and the service but drops the rest of the fixed cost:
one task on Fargate Spot in public subnets with a public IP (no NAT gateway), no ElastiCache (one process: Reflex's
own state manager), and a Redis sidecar in the task as the live updates' pub/sub, which the live Lambda (isolated
subnets, DynamoDB through a gateway endpoint) finds by a Cloud Map private DNS name.

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
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from deploy.stacks.functions import REPO_ROOT
from deploy.stacks.live import LiveTarget, LiveUpdates, redis_url
from deploy.stacks.nag import acknowledge
from deploy.stacks.profile import LARGE, Profile

CONTAINER_PORT = 8000
REDIS_PORT = 6380  # not the default 6379 (AwsSolutions-AEC5)
# What Reflex's Redis state manager would set with CONFIG SET (reflex/istate/manager/redis.py).
REDIS_KEYSPACE_EVENTS = "K$sgxe"
HEALTH_CHECK_PATH = "/ping"
# Small profile: the live updates' pub/sub runs beside Reflex in the task (ECR Public's Docker official image).
SIDECAR_REDIS_IMAGE = "public.ecr.aws/docker/library/redis:7.4-alpine"
SIDECAR_REDIS_PORT = 6379
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
        egress_allocation_id: str | None,
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        deps_layer: lambda_.ILayerVersion,
        profile: Profile = LARGE,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.profile = profile
        flow_logs = logs.LogGroup(
            self, "VpcFlowLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.vpc = self._vpc(flow_logs, egress_allocation_id)
        # Tasks: private subnets behind the NAT (large) or public subnets with a public IP (small: no NAT gateway).
        # The ALB stays in private subnets either way (CloudFront VPC origins reach only private subnets).
        task_subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if profile.nat_gateway else ec2.SubnetType.PUBLIC
        )
        alb_subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if profile.nat_gateway else ec2.SubnetType.PRIVATE_ISOLATED
        )

        self.redis_auth: secretsmanager.Secret | None = None
        self.redis_security_group: ec2.SecurityGroup | None = None
        self.redis: elasticache.CfnReplicationGroup | None = None
        if profile.elasticache:
            self._elasticache(stage)

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
            vpc_subnets=alb_subnets,
            security_group=self.alb_security_group,
            idle_timeout=WEBSOCKET_IDLE_TIMEOUT,
            drop_invalid_header_fields=True,
        )
        self.alb.log_access_logs(self.alb_logs, prefix="alb")

        # --- Fargate service ------------------------------------------------------------------------------------
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=(
                ecs.ContainerInsights.ENHANCED if profile.container_insights else ecs.ContainerInsights.DISABLED
            ),
            enable_fargate_capacity_providers=profile.spot,
        )
        if not profile.container_insights:
            acknowledge(
                self.cluster,
                "ECS4",
                reason=(
                    "Small profile: Container Insights' per-task metrics cost more than the one task they would "
                    "watch; the service's own CPU/memory metrics (free) and the unhealthy-task alarm remain."
                ),
            )
        task = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=512,
            memory_limit_mib=1024,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,  # Fargate Spot runs ARM64 on platform 1.4.0+
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        container_logs = logs.LogGroup(
            self, "ContainerLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.container_environment = {
            **environment,
            "TMP_API_URL": api_url,
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
        secrets: dict[str, ecs.Secret] = {}
        if self.redis is not None and self.redis_auth is not None:
            self.container_environment |= {
                "REDIS_HOST": self.redis.attr_primary_end_point_address,
                "REDIS_PORT": self.redis.attr_primary_end_point_port,
                # Live updates (backend/client/live.py): the same Redis, pub/sub only; the token is an ECS secret.
                "LIVE_REDIS_URL": redis_url(self.redis),
                "REFLEX_IGNORE_REDIS_CONFIG_ERROR": "true",
            }
            secrets = {
                "REDIS_AUTH_TOKEN": ecs.Secret.from_secrets_manager(self.redis_auth),
                "LIVE_REDIS_AUTH_TOKEN": ecs.Secret.from_secrets_manager(self.redis_auth),
            }
        else:
            # One task: no REDIS_HOST, so Reflex runs one worker with its own (disk) state manager; live updates come
            # through the sidecar below, on the task's own loopback.
            self.container_environment["LIVE_REDIS_URL"] = f"redis://127.0.0.1:{SIDECAR_REDIS_PORT}/0"
        self.container = task.add_container(
            "reflex",
            image=ecs.ContainerImage.from_asset(
                str(REPO_ROOT), file="Dockerfile", platform=ecr_assets.Platform.LINUX_ARM64
            ),
            port_mappings=[ecs.PortMapping(container_port=CONTAINER_PORT)],
            environment=self.container_environment,
            secrets=secrets or None,
            logging=ecs.LogDrivers.aws_logs(stream_prefix="reflex", log_group=container_logs),
            readonly_root_filesystem=False,  # Reflex writes .web/ and .states/ in its working directory
        )
        self.live_redis: ecs.ContainerDefinition | None = None
        if self.redis is None:
            self.live_redis = self._live_redis_sidecar(task, container_logs)
        self.service_security_group = ec2.SecurityGroup(
            self, "ServiceSg", vpc=self.vpc, description="Reflex backend tasks", allow_all_outbound=True
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=task,
            desired_count=profile.min_tasks,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            vpc_subnets=task_subnets,
            security_groups=[self.service_security_group],
            # Small: no NAT, so the task reaches ECR, CloudWatch Logs, Cognito and the API by its own public IP
            # (its security group lets in only the ALB and the live Lambda).
            assign_public_ip=not profile.nat_gateway,
            capacity_provider_strategies=(
                [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)] if profile.spot else None
            ),
            health_check_grace_period=Duration.seconds(90),
        )
        self.service_security_group.add_ingress_rule(
            self.alb_security_group, ec2.Port.tcp(CONTAINER_PORT), "ALB to the Reflex backend"
        )
        self.alb_security_group.add_egress_rule(
            self.service_security_group, ec2.Port.tcp(CONTAINER_PORT), "ALB to the Reflex backend"
        )
        # Live updates: the streams' changes, published on Redis by a Lambda in this VPC (deploy/stacks/live.py).
        self.live_updates = LiveUpdates(
            self,
            vpc=self.vpc,
            target=self._live_target(stage),
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
        if profile.max_tasks > profile.min_tasks:
            scaling = self.service.auto_scale_task_count(min_capacity=profile.min_tasks, max_capacity=profile.max_tasks)
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
                "endpoint); the ElastiCache AUTH token (large) comes from Secrets Manager through ECS secrets, and the "
                "small profile's sidecar Redis has no token (reachable only from the task and the live Lambda)."
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

    def _live_target(self, stage: str) -> LiveTarget:
        """Large: the ElastiCache primary (TLS, AUTH), the Lambda in the private subnets behind the NAT. Small: the
        task's sidecar at its Cloud Map name, the Lambda in the isolated subnets (DynamoDB gateway endpoint)."""
        if self.redis is not None and self.redis_security_group is not None and self.redis_auth is not None:
            self.redis_security_group.add_ingress_rule(
                self.service_security_group, ec2.Port.tcp(REDIS_PORT), "Reflex backend to its state manager"
            )
            return LiveTarget(
                url=redis_url(self.redis),
                port=REDIS_PORT,
                security_group=self.redis_security_group,
                auth=self.redis_auth,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            )
        return LiveTarget(
            url=f"redis://{self._discoverable(stage)}:{SIDECAR_REDIS_PORT}/0",
            port=SIDECAR_REDIS_PORT,
            security_group=self.service_security_group,
            auth=None,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        )

    def _vpc(self, flow_logs: logs.ILogGroup, egress_allocation_id: str | None) -> ec2.Vpc:
        """Two AZs. Large: public (NAT) + private with egress (tasks, ALB, live Lambda) + isolated (Redis).
        Small: public (the task, with a public IP) + isolated (ALB, live Lambda; DynamoDB through a free gateway
        endpoint), no NAT gateway."""
        flow = {
            "all": ec2.FlowLogOptions(
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                traffic_type=ec2.FlowLogTrafficType.ALL,
            )
        }
        public = ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
        isolated = ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
        if not self.profile.nat_gateway:
            vpc = ec2.Vpc(
                self,
                "Vpc",
                max_azs=2,
                nat_gateways=0,
                restrict_default_security_group=False,
                subnet_configuration=[public, isolated],
                flow_logs=flow,
            )
            # The live Lambda's only AWS call from the VPC is DynamoDB (the Users row): a gateway endpoint is free.
            vpc.add_gateway_endpoint(
                "DynamoDb",
                service=ec2.GatewayVpcEndpointAwsService.DYNAMODB,
                subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
            )
            return vpc
        if egress_allocation_id is None:
            raise ValueError("the NAT gateway needs the egress address the stateless stack allocates")
        return ec2.Vpc(
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
                public,
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                isolated,
            ],
            flow_logs=flow,
        )

    def _live_redis_sidecar(
        self, task: ecs.FargateTaskDefinition, log_group: logs.ILogGroup
    ) -> ecs.ContainerDefinition:
        """Small profile: a Redis in the task, only as the live updates' pub/sub (nothing is stored: no snapshots).

        The Reflex container subscribes on the loopback; the live Lambda publishes through the task's private
        address (security group: the Lambda's only). No AUTH: the Lambda could read a token only through Secrets
        Manager, which a VPC without NAT reaches only through an interface endpoint (~$15 a month)."""
        sidecar = task.add_container(
            "live-redis",
            image=ecs.ContainerImage.from_registry(SIDECAR_REDIS_IMAGE),
            command=[
                "redis-server",
                "--port",
                str(SIDECAR_REDIS_PORT),
                "--protected-mode",
                "no",  # reached from the live Lambda; the security group is the boundary
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory",
                "64mb",
            ],
            port_mappings=[ecs.PortMapping(container_port=SIDECAR_REDIS_PORT)],
            memory_reservation_mib=64,
            essential=True,
            health_check=ecs.HealthCheck(
                command=["CMD", "redis-cli", "-p", str(SIDECAR_REDIS_PORT), "ping"],
                interval=Duration.seconds(10),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(5),
            ),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="live-redis", log_group=log_group),
            readonly_root_filesystem=True,
        )
        self.container.add_container_dependencies(
            ecs.ContainerDependency(container=sidecar, condition=ecs.ContainerDependencyCondition.HEALTHY)
        )
        return sidecar

    def _discoverable(self, stage: str) -> str:
        """Small profile: the task's private address under a private DNS name (Cloud Map), for the live Lambda."""
        namespace = self.cluster.add_default_cloud_map_namespace(
            name=f"{stage}.taskmanager-pro.internal", vpc=self.vpc, use_for_service_connect=False
        )
        self.service.enable_cloud_map(
            name="reflex",
            cloud_map_namespace=namespace,
            dns_record_type=servicediscovery.DnsRecordType.A,
            dns_ttl=Duration.seconds(10),
        )
        return f"reflex.{stage}.taskmanager-pro.internal"

    def _elasticache(self, stage: str) -> None:
        """Large profile: ElastiCache Redis (Multi-AZ, TLS, AUTH), Reflex's state manager and the live pub/sub."""
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
