"""The small profile (the default of a new stage, deploy/stacks/profile.py): what it drops and how live updates
still reach the one Reflex task. The large profile is what the other infrastructure tests read (conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.stacks.profile import LARGE, SMALL, profile_from_context
from deploy.stacks.reflex_backend import CONTAINER_PORT, SIDECAR_REDIS_PORT
from scripts.cost_model import PROFILES as COST_PROFILES
from tests.infrastructure.synth import Synthesized, actions_of_role, resources, role_of


def _containers(reflex: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (task,) = resources(reflex, "AWS::ECS::TaskDefinition").values()
    return {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}


def _live_function(reflex: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((logical, function),) = [
        (k, v)
        for k, v in resources(reflex, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "backend.handlers.live.handler"
    ]
    return logical, function["Properties"]


def _subnet_kind(reflex: dict[str, Any], subnet_ref: dict[str, str]) -> str:
    """The CDK subnet group name (``public`` / ``data``...) of a subnet ``{"Ref": ...}``."""
    tags = reflex["Resources"][subnet_ref["Ref"]]["Properties"]["Tags"]
    return str(next(t["Value"] for t in tags if t["Key"] == "aws-cdk:subnet-name"))


def test_profile_context_defaults_to_small_and_checks_its_values() -> None:
    assert profile_from_context(None) == SMALL
    assert profile_from_context(" Large ") == LARGE
    assert profile_from_context("large", min_tasks="3").min_tasks == 3
    assert profile_from_context("small", budget_amount="80").budget_usd == 80
    with pytest.raises(ValueError, match="profile must be one of"):
        profile_from_context("medium")
    with pytest.raises(ValueError, match="profile=large"):
        profile_from_context("small", max_tasks="2")  # two tasks need the shared state manager
    with pytest.raises(ValueError, match="min <= max"):
        profile_from_context("large", min_tasks="4", max_tasks="3")


def test_small_is_the_default_and_drops_nat_elasticache_waf_and_the_dashboard(
    synthesized_with_options: Synthesized,
) -> None:
    stacks = synthesized_with_options.stacks
    assert stacks.profile.name == "small"
    assert stacks.edge is None  # no CLOUDFRONT web ACL, so no us-east-1 stack
    everything = [r["Type"] for t in synthesized_with_options.all_templates() for r in t["Resources"].values()]
    for kind in (
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
        "AWS::CloudWatch::Dashboard",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::SecretsManager::Secret",  # only the link-signing secret, in the stateful stack
    ):
        expected = 1 if kind == "AWS::SecretsManager::Secret" else 0
        assert everything.count(kind) == expected, kind
    (distribution,) = resources(synthesized_with_options.template("site"), "AWS::CloudFront::Distribution").values()
    assert "WebACLId" not in distribution["Properties"]["DistributionConfig"]


def test_small_runs_one_spot_task_with_a_public_ip_behind_the_internal_alb(
    synthesized_with_options: Synthesized,
) -> None:
    reflex = synthesized_with_options.template("reflex")
    (service,) = resources(reflex, "AWS::ECS::Service").values()
    props = service["Properties"]
    assert props["DesiredCount"] == 1
    assert props["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    assert "LaunchType" not in props
    network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "ENABLED"
    assert {_subnet_kind(reflex, s) for s in network["Subnets"]} == {"public"}
    # The task's security group: the ALB on the app port and the live Lambda on the sidecar's, nothing else.
    ingress = [
        r["Properties"]
        for r in resources(reflex, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [network["SecurityGroups"][0]["Fn::GetAtt"][0], "GroupId"]}
    ]
    assert sorted(i["FromPort"] for i in ingress) == sorted([CONTAINER_PORT, SIDECAR_REDIS_PORT])
    assert all("SourceSecurityGroupId" in i and "CidrIp" not in i for i in ingress)
    (alb,) = resources(reflex, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert alb["Properties"]["Scheme"] == "internal"
    assert {_subnet_kind(reflex, s) for s in alb["Properties"]["Subnets"]} == {"data"}  # private: VPC origin
    (cluster,) = resources(reflex, "AWS::ECS::Cluster").values()
    assert {"Name": "containerInsights", "Value": "disabled"} in cluster["Properties"]["ClusterSettings"]


def test_small_keeps_live_updates_through_a_sidecar_redis_without_nat(synthesized_with_options: Synthesized) -> None:
    reflex = synthesized_with_options.template("reflex")
    containers = _containers(reflex)
    app, sidecar = containers["reflex"], containers["live-redis"]
    env = {e["Name"]: e["Value"] for e in app["Environment"]}
    # One process: no REDIS_HOST, so the entrypoint sets no REFLEX_REDIS_URL (Reflex's own state manager).
    assert "REDIS_HOST" not in env
    assert "Secrets" not in app
    assert env["LIVE_REDIS_URL"] == f"redis://127.0.0.1:{SIDECAR_REDIS_PORT}/0"
    assert app["DependsOn"] == [{"ContainerName": "live-redis", "Condition": "HEALTHY"}]
    assert sidecar["Essential"] is True
    assert "--save" in sidecar["Command"]
    assert sidecar["PortMappings"] == [{"ContainerPort": SIDECAR_REDIS_PORT, "Protocol": "tcp"}]
    # The live Lambda finds the task by a private DNS name (Cloud Map A record of the service).
    (namespace,) = resources(reflex, "AWS::ServiceDiscovery::PrivateDnsNamespace").values()
    (discovery,) = resources(reflex, "AWS::ServiceDiscovery::Service").values()
    assert discovery["Properties"]["DnsConfig"]["DnsRecords"][0]["Type"] == "A"
    logical, function = _live_function(reflex)
    live_env = function["Environment"]["Variables"]
    host = f"{discovery['Properties']['Name']}.{namespace['Properties']['Name']}"
    assert live_env["LIVE_REDIS_URL"] == f"redis://{host}:{SIDECAR_REDIS_PORT}/0"
    assert "LIVE_REDIS_AUTH_SECRET" not in live_env
    subnets = function["VpcConfig"]["SubnetIds"]
    assert {_subnet_kind(reflex, s) for s in subnets} == {"data"}  # isolated: no route out but the endpoint
    (endpoint,) = resources(reflex, "AWS::EC2::VPCEndpoint").values()
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    assert "dynamodb" in str(endpoint["Properties"]["ServiceName"])
    actions = actions_of_role(reflex, role_of(reflex, logical))
    assert not any(a.startswith("secretsmanager:") for a in actions)
    assert "dynamodb:GetRecords" in actions


def test_small_uses_cognito_essentials_few_alarms_and_a_lower_budget(synthesized_with_options: Synthesized) -> None:
    (pool,) = resources(synthesized_with_options.template("stateful"), "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["UserPoolTier"] == "ESSENTIALS"
    assert "UserPoolAddOns" not in pool["Properties"]
    observability = synthesized_with_options.template("observability")
    alarms = resources(observability, "AWS::CloudWatch::Alarm")
    assert len(alarms) <= 10  # large: 35
    names = {k.rstrip("0123456789ABCDEF") for k in alarms}
    for expected in ("Api5xxRate", "LambdaErrors", "LambdaThrottles", "DeadLetterQueuesDepth", "ReflexUnhealthyTasks"):
        assert any(n.startswith(expected) for n in names), expected
    (budget,) = resources(observability, "AWS::Budgets::Budget").values()
    assert budget["Properties"]["Budget"]["BudgetLimit"] == {"Amount": SMALL.budget_usd, "Unit": "USD"}


def _count(templates: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for t in templates for r in t["Resources"].values() if r["Type"] == kind)


def _alarm_metrics(templates: list[dict[str, Any]]) -> int:
    """CloudWatch bills an alarm per metric it reads (a math expression: each metric in it; a query: one)."""
    total = 0
    for template in templates:
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
            metrics = alarm["Properties"].get("Metrics")
            total += (sum(1 for m in metrics if "MetricStat" in m) or 1) if metrics else 1
    return total


@pytest.mark.parametrize(("fixture", "name"), [("synthesized", "large"), ("synthesized_with_options", "small")])
def test_the_cost_model_prices_what_each_profile_deploys(
    fixture: str, name: str, request: pytest.FixtureRequest
) -> None:
    """scripts/cost_model.py's fixed lines count the resources the stacks really create."""
    synthesized: Synthesized = request.getfixturevalue(fixture)
    model = COST_PROFILES[name]
    templates = synthesized.all_templates()
    reflex = synthesized.template("reflex")
    (service,) = resources(reflex, "AWS::ECS::Service").values()
    (task,) = resources(reflex, "AWS::ECS::TaskDefinition").values()
    assert service["Properties"]["DesiredCount"] == model.min_tasks == synthesized.stacks.profile.min_tasks
    assert synthesized.stacks.profile.max_tasks == model.max_tasks
    assert int(task["Properties"]["Cpu"]) / 1024 == model.task_vcpu
    assert int(task["Properties"]["Memory"]) / 1024 == model.task_gb
    assert ("CapacityProviderStrategy" in service["Properties"]) == model.spot
    assert _count(templates, "AWS::ElasticLoadBalancingV2::LoadBalancer") == 1
    assert _count(templates, "AWS::EC2::NatGateway") == model.nat_gateways
    public = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    assert _count(templates, "AWS::EC2::EIP") + (model.min_tasks if public else 0) == model.public_ipv4
    groups = [r["Properties"] for t in templates for r in resources(t, "AWS::ElastiCache::ReplicationGroup").values()]
    assert sum(g["NumNodeGroups"] * (1 + g["ReplicasPerNodeGroup"]) for g in groups) == model.redis_nodes
    acls = [r["Properties"] for t in templates for r in resources(t, "AWS::WAFv2::WebACL").values()]
    assert (len(acls), sum(len(a["Rules"]) for a in acls)) == (model.waf_acls, model.waf_rules)
    assert _alarm_metrics(templates) == model.alarm_metrics
    assert _count(templates, "AWS::CloudWatch::Dashboard") == model.dashboards
    assert _count(templates, "AWS::SecretsManager::Secret") == model.secrets
    assert _count(templates, "AWS::KMS::Key") == model.kms_keys
    assert _count(templates, "AWS::ServiceDiscovery::PrivateDnsNamespace") == int(model.cloud_map)
    (pool,) = resources(synthesized.template("stateful"), "AWS::Cognito::UserPool").values()
    assert (pool["Properties"]["UserPoolTier"] == "PLUS") == model.cognito_plus
