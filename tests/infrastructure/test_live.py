"""Live updates in the synthesized app: the live Lambda in the Reflex VPC, on both streams, least privilege, and the
Reflex container's LIVE_REDIS_URL + token secret (deploy/stacks/live.py, reflex_backend.py)."""

from __future__ import annotations

import json
from typing import Any

from deploy.stacks.live import BATCH_SIZE
from deploy.stacks.reflex_backend import REDIS_PORT
from tests.infrastructure.synth import (
    Synthesized,
    as_list,
    function_by_handler,
    resources,
    role_of,
    statements_of_role,
)

LIVE = "backend.handlers.live.handler"


def _reflex(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template("reflex")


def _grants(template: dict[str, Any]) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for statement in statements_of_role(template, role_of(template, function_by_handler(template, LIVE))):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            grants.setdefault(action, set()).update(json.dumps(r) for r in as_list(statement["Resource"]))
    return grants


def _by_ref(template: dict[str, Any], kind: str, fragment: str) -> str:
    (logical,) = [k for k in resources(template, kind) if fragment in k]
    return logical


def test_the_function_runs_in_the_vpc_with_the_redis_url_and_the_secret_arn_only(synthesized: Synthesized) -> None:
    template = _reflex(synthesized)
    props = template["Resources"][function_by_handler(template, LIVE)]["Properties"]
    env = props["Environment"]["Variables"]
    url = json.dumps(env["LIVE_REDIS_URL"])
    assert url.startswith('{"Fn::Join"')
    assert "rediss://" in url
    assert "PrimaryEndPoint.Address" in url
    assert "PrimaryEndPoint.Port" in url
    assert env["LIVE_REDIS_AUTH_SECRET"] == {"Ref": _by_ref(template, "AWS::SecretsManager::Secret", "RedisAuthToken")}
    assert "LIVE_REDIS_AUTH_TOKEN" not in env  # the token itself is read at cold start, never configured
    assert {"TMP_STAGE", "TMP_USER_POOL_ID", "TMP_USER_POOL_CLIENT_ID"} <= set(env)
    vpc = props["VpcConfig"]
    assert len(vpc["SubnetIds"]) == 2
    assert all("appSubnet" in json.dumps(subnet) for subnet in vpc["SubnetIds"])  # private, with egress
    (group,) = vpc["SecurityGroupIds"]
    assert group == {"Fn::GetAtt": [_by_ref(template, "AWS::EC2::SecurityGroup", "LiveUpdatesSg"), "GroupId"]}


def test_its_security_group_reaches_redis_on_its_port_and_https_only(synthesized: Synthesized) -> None:
    template = _reflex(synthesized)
    live_sg = _by_ref(template, "AWS::EC2::SecurityGroup", "LiveUpdatesSg")
    redis_sg = _by_ref(template, "AWS::EC2::SecurityGroup", "RedisSg")
    egress = template["Resources"][live_sg]["Properties"]["SecurityGroupEgress"]
    assert [(rule.get("CidrIp"), rule["FromPort"], rule["ToPort"]) for rule in egress] == [("0.0.0.0/0", 443, 443)]
    to_redis = [
        r["Properties"]
        for r in resources(template, "AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [live_sg, "GroupId"]}
    ]
    assert [(p["FromPort"], p["DestinationSecurityGroupId"]) for p in to_redis] == [
        (REDIS_PORT, {"Fn::GetAtt": [redis_sg, "GroupId"]})
    ]
    ingress = [
        r["Properties"]
        for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("SourceSecurityGroupId") == {"Fn::GetAtt": [live_sg, "GroupId"]}
    ]
    assert [(p["GroupId"], p["FromPort"], p["ToPort"]) for p in ingress] == [
        ({"Fn::GetAtt": [redis_sg, "GroupId"]}, REDIS_PORT, REDIS_PORT)
    ]


def test_both_streams_are_mapped_for_latency_with_retries_and_a_failure_queue(synthesized: Synthesized) -> None:
    template = _reflex(synthesized)
    mappings = [m["Properties"] for m in resources(template, "AWS::Lambda::EventSourceMapping").values()]
    assert len(mappings) == 2
    sources = sorted(json.dumps(m["EventSourceArn"]) for m in mappings)
    assert any("NotificationsTable" in s for s in sources)
    assert any("TasksTable" in s for s in sources)
    assert all("StreamArn" in s for s in sources)
    dlq = _by_ref(template, "AWS::SQS::Queue", "LiveUpdatesStreamFailures")
    for props in mappings:
        assert "Live" in json.dumps(props["FunctionName"])  # the function's live alias
        assert props["BatchSize"] == BATCH_SIZE == 10
        assert props["MaximumBatchingWindowInSeconds"] == 0
        assert props["BisectBatchOnFunctionError"] is True
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert 0 < props["MaximumRetryAttempts"] <= 10
        assert props["StartingPosition"] == "LATEST"
        assert json.dumps(props["DestinationConfig"]["OnFailure"]["Destination"]) == json.dumps(
            {"Fn::GetAtt": [dlq, "Arn"]}
        )


def test_the_role_reads_the_two_streams_the_users_table_and_the_redis_secret_only(synthesized: Synthesized) -> None:
    template = _reflex(synthesized)
    grants = _grants(template)
    secret = json.dumps({"Ref": _by_ref(template, "AWS::SecretsManager::Secret", "RedisAuthToken")})
    assert grants["secretsmanager:GetSecretValue"] == {secret}
    for action in ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"):
        assert len(grants[action]) == 2
        assert all("StreamArn" in resource for resource in grants[action])
    assert len(grants["dynamodb:GetItem"]) == 2
    assert {"UsersTable" in r or "TasksTable" in r for r in grants["dynamodb:GetItem"]} == {True}
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"}
    assert not writes & set(grants)
    # A shared project's members (issue 13): Query on the Tasks table itself, project partitions only.
    role = role_of(template, function_by_handler(template, LIVE))
    (query,) = [s for s in statements_of_role(template, role) if "dynamodb:Query" in as_list(s["Action"])]
    assert "TasksTable" in json.dumps(query["Resource"])
    assert "/index/" not in json.dumps(query["Resource"])
    assert query["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["P#*"]}}
    assert as_list(query["Action"]) == ["dynamodb:Query"]
    # Was a task's delete its move? The tombstone's attributes only, in any partition (fine-grained access).
    (tombstone,) = [
        s
        for s in statements_of_role(template, role)
        if as_list(s["Action"]) == ["dynamodb:GetItem"] and "TasksTable" in json.dumps(s["Resource"])
    ]
    assert tombstone["Condition"]["ForAllValues:StringEquals"] == {
        "dynamodb:Attributes": ["user_id", "sk", "to", "version"]
    }
    dlq = json.dumps({"Fn::GetAtt": [_by_ref(template, "AWS::SQS::Queue", "LiveUpdatesStreamFailures"), "Arn"]})
    assert all(grants[a] == {dlq} for a in grants if a.startswith("sqs:"))  # the mapping's on-failure queue
    data = {a for a in grants if not a.startswith(("xray:", "logs:", "sqs:"))}
    assert data == {
        "secretsmanager:GetSecretValue",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
    }


def test_the_notifications_table_streams_both_images(synthesized: Synthesized) -> None:
    tables = resources(synthesized.template("stateful"), "AWS::DynamoDB::GlobalTable").values()
    (table,) = [t["Properties"] for t in tables if t["Properties"]["TableName"].endswith("-notifications")]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_reflex_container_gets_the_live_url_and_the_token_as_an_ecs_secret(synthesized: Synthesized) -> None:
    template = _reflex(synthesized)
    (task,) = resources(template, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert "rediss://" in json.dumps(env["LIVE_REDIS_URL"])
    assert "REDIS_URL" not in env
    assert "REFLEX_REDIS_URL" not in env
    secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    assert secrets["LIVE_REDIS_AUTH_TOKEN"] == {"Ref": _by_ref(template, "AWS::SecretsManager::Secret", "RedisAuth")}
    assert "LIVE_REDIS_AUTH_TOKEN" not in env
