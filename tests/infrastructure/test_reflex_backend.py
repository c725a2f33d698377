"""The Reflex backend: Dockerfile, Fargate behind an internal ALB, Redis state manager, CloudFront routes to it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match, Template

from deploy.stacks.reflex_backend import CONTAINER_PORT, REDIS_KEYSPACE_EVENTS, REDIS_PORT
from deploy.stacks.site import content_security_policy
from tests.infrastructure.synth import Synthesized, resources

REPO = Path(__file__).resolve().parents[2]


def _container(synthesized: Synthesized) -> dict[str, Any]:
    (task,) = resources(synthesized.template("reflex"), "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return dict(container)


def test_dockerfile_runs_the_backend_only_as_non_root_from_the_lockfile() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[12]-slim", dockerfile, re.M)
    assert "uv sync --locked --no-dev" in dockerfile
    assert re.search(r"^USER app$", dockerfile, re.M)
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.M)
    assert '"reflex", "run", "--env", "prod", "--backend-only"' in dockerfile
    # The emulator glue and the developer tools never go into the image.
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert "*" in ignore
    assert "backend/local/" in ignore


def test_image_context_is_staged_without_docker(synthesized: Synthesized) -> None:
    """from_asset only copies the build context at synth time; .dockerignore keeps it to what the image needs."""
    (asset,) = [d for d in synthesized.outdir.glob("asset.*") if (d / "Dockerfile").is_file()]
    assert {p.name for p in asset.iterdir()} == {
        ".dockerignore",
        "Dockerfile",
        "assets",
        "backend",
        "deploy",
        "pyproject.toml",
        "rxconfig.py",
        "taskmanager_pro",
        "uv.lock",
    }
    assert not (asset / "backend" / "local").exists()


def test_entrypoint_builds_a_tls_redis_url() -> None:
    script = (REPO / "deploy" / "container" / "entrypoint.sh").read_text()
    assert 'REFLEX_REDIS_URL="rediss://:${REDIS_AUTH_TOKEN' in script
    assert 'exec "$@"' in script


def test_fargate_service_is_arm64_private_and_autoscaled(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template("reflex"))
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
        },
    )
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {"AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})},
            "DeploymentConfiguration": Match.object_like(
                {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                    "TargetValue": 60,
                }
            ),
        },
    )
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2})
    template.has_resource_properties(
        "AWS::ECS::Cluster", {"ClusterSettings": [{"Name": "containerInsights", "Value": "enhanced"}]}
    )


def test_container_gets_the_api_settings_and_redis(synthesized: Synthesized) -> None:
    container = _container(synthesized)
    assert container["PortMappings"][0]["ContainerPort"] == CONTAINER_PORT
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    api_env = synthesized.stacks.stateless.tmp_environment
    assert set(api_env) <= set(env)
    assert {"TMP_API_URL", "REDIS_HOST", "REDIS_PORT"} <= set(env)
    assert env["REFLEX_IGNORE_REDIS_CONFIG_ERROR"] == "true"
    # The API URL ends in /api (the resolver's prefix), on the REST API of the stateless stack.
    assert "api" in str(env["TMP_API_URL"])
    assert [s["Name"] for s in container["Secrets"]] == ["REDIS_AUTH_TOKEN", "LIVE_REDIS_AUTH_TOKEN"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_alb_is_internal_with_ping_health_check_and_websocket_idle_timeout(synthesized: Synthesized) -> None:
    reflex = synthesized.template("reflex")
    (alb,) = resources(reflex, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert alb["Properties"]["Scheme"] == "internal"
    attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert int(attributes["idle_timeout.timeout_seconds"]) >= 3600
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    (target_group,) = resources(reflex, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert target_group["Properties"]["HealthCheckPath"] == "/ping"
    assert target_group["Properties"]["Port"] == CONTAINER_PORT
    # Nothing reaches the ALB from the internet: only the VPC's own range (CloudFront VPC origin ENIs).
    ingress = [
        rule
        for sg in resources(reflex, "AWS::EC2::SecurityGroup").values()
        for rule in sg["Properties"].get("SecurityGroupIngress", [])
    ]
    assert not any(rule.get("CidrIp") == "0.0.0.0/0" for rule in ingress)


def test_redis_is_encrypted_authenticated_multi_az_and_isolated(synthesized: Synthesized) -> None:
    reflex = synthesized.template("reflex")
    (group,) = resources(reflex, "AWS::ElastiCache::ReplicationGroup").values()
    props = group["Properties"]
    assert props["AtRestEncryptionEnabled"] is True
    assert props["TransitEncryptionEnabled"] is True
    assert props["MultiAZEnabled"] is True
    assert props["AutomaticFailoverEnabled"] is True
    assert props["Port"] == REDIS_PORT != 6379
    assert "resolve:secretsmanager" in str(props["AuthToken"])
    (parameters,) = resources(reflex, "AWS::ElastiCache::ParameterGroup").values()
    assert parameters["Properties"]["Properties"] == {"notify-keyspace-events": REDIS_KEYSPACE_EVENTS}
    # Only the service's and the live-updates Lambda's security groups may reach it, on its port.
    ingress = resources(reflex, "AWS::EC2::SecurityGroupIngress").values()
    to_redis = [r["Properties"] for r in ingress if r["Properties"]["FromPort"] == REDIS_PORT]
    assert len(to_redis) == 2
    assert all("SourceSecurityGroupId" in rule for rule in to_redis)
    (subnets,) = resources(reflex, "AWS::ElastiCache::SubnetGroup").values()
    isolated = {k for k, v in resources(reflex, "AWS::EC2::Subnet").items() if "data" in json_tags(v)}
    assert {s["Ref"] for s in subnets["Properties"]["SubnetIds"]} == isolated


def json_tags(resource: dict[str, Any]) -> str:
    return " ".join(str(t["Value"]) for t in resource["Properties"].get("Tags", []))


def test_vpc_has_private_subnets_nat_and_flow_logs(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template("reflex"))
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.resource_count_is("AWS::EC2::Subnet", 6)
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})


def test_cloudfront_routes_reflex_paths_to_the_alb_uncached(synthesized: Synthesized) -> None:
    site = synthesized.template("site")
    (distribution,) = resources(site, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed CachingDisabled
    all_viewer = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # AWS managed AllViewer
    reflex_origins = set()
    for path in ("/_event*", "/_upload*", "/ping"):
        behavior = behaviors[path]
        assert behavior["CachePolicyId"] == caching_disabled
        assert behavior["OriginRequestPolicyId"] == all_viewer
        assert {"PUT", "POST"} <= set(behavior["AllowedMethods"])
        assert behavior["ViewerProtocolPolicy"] == "https-only"
        reflex_origins.add(behavior["TargetOriginId"])
    (origin_id,) = reflex_origins
    assert "VpcOriginConfig" in origins[origin_id]
    assert behaviors["/api/*"]["TargetOriginId"] != origin_id
    (vpc_origin,) = resources(site, "AWS::CloudFront::VpcOrigin").values()
    endpoint = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
    assert endpoint["HTTPPort"] == 80
    assert endpoint["OriginProtocolPolicy"] == "http-only"


def test_csp_lets_the_page_reach_its_backend_and_the_attachments_bucket(synthesized: Synthesized) -> None:
    (policy,) = resources(synthesized.template("site"), "AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp["ContentSecurityPolicy"].split("; ") if d.strip()}
    bucket = "https://taskmanager-pro-ci-attachments.s3.amazonaws.com"
    # The websocket is on the site's origin ('self' covers wss: there); uploads POST to S3, thumbnails come from it.
    assert directives["connect-src"][0] == "'self'"
    assert bucket in directives["connect-src"]
    assert bucket in directives["img-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    # Reflex evaluates rx.call_script payloads with eval(): without it the upload script would never run.
    assert "'unsafe-eval'" in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert "  " not in csp["ContentSecurityPolicy"]


def test_csp_allows_the_websocket_of_a_separate_backend_origin() -> None:
    """A host source does not cover its websocket scheme (only 'self' does): the wss:/ws: twin is listed too."""
    directives = {
        d.split()[0]: d.split()[1:]
        for d in content_security_policy("https://reflex.example.com", ["https://b.s3.amazonaws.com"]).split("; ")
    }
    assert directives["connect-src"] == [
        "'self'",
        "https://reflex.example.com",
        "wss://reflex.example.com",
        "https://b.s3.amazonaws.com",
    ]
    local = content_security_policy("http://localhost:8000", [])  # the static-export browser test's form
    assert "connect-src 'self' http://localhost:8000 ws://localhost:8000;" in local
    # On the site's own origin (the default), 'self' already covers the socket: nothing is added.
    assert "connect-src 'self';" in content_security_policy("", [])
