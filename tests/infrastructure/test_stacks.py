"""The CDK app (synthesized once per session, conftest.py): cdk-nag, cfn-lint and the security properties.

The Lambda layer directory is an empty stand-in here (``make synth`` builds the real one): these tests check the
infrastructure, not the packaged dependencies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from backend.adapters.dynamodb import UserModel
from backend.adapters.task_store.models import TaskModel
from backend.domain.password_policy import PASSWORD_POLICY
from backend.local.bootstrap import APP_CLIENT
from backend.names import ResourceNames
from tests.infrastructure.synth import (
    STAGE,
    Synthesized,
    actions_of_role,
    as_list,
    resources,
    role_of,
    statements,
)

NAMES = ResourceNames(STAGE)


def test_cdk_nag_finds_nothing(synthesized: Synthesized) -> None:
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    violations = [v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]]
    assert violations == []


# Both synths: the optional context adds resources of its own (certificate, aliases, replication, replicas).
@pytest.mark.parametrize("which", ["synthesized", "synthesized_with_options"])
def test_cfn_lint_is_clean(which: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(which)
    templates = sorted(str(p) for p in synthesized.outdir.glob("*.template.json"))
    config = Path(__file__).resolve().parents[2] / "deploy" / "cfnlintrc.yaml"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(config), "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _key_schema(schema: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(schema, key=lambda k: k["KeyType"])


@pytest.mark.parametrize(("model", "name"), [(UserModel, NAMES.users_table), (TaskModel, NAMES.tasks_table)])
def test_tables_match_the_backend_models(synthesized: Synthesized, model: Any, name: str) -> None:
    tables = resources(synthesized.template("stateful"), "AWS::DynamoDB::GlobalTable")
    (table,) = [t["Properties"] for t in tables.values() if t["Properties"]["TableName"] == name]
    expected = model._get_schema()
    assert _key_schema(table["KeySchema"]) == _key_schema(expected["key_schema"])
    built = {i["IndexName"]: _key_schema(i["KeySchema"]) for i in table.get("GlobalSecondaryIndexes", [])}
    wanted = {i["index_name"]: _key_schema(i["key_schema"]) for i in expected["global_secondary_indexes"]}
    assert built == wanted
    assert all(i["Projection"]["ProjectionType"] == "ALL" for i in table.get("GlobalSecondaryIndexes", []))
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
    (replica,) = table["Replicas"]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert replica["DeletionProtectionEnabled"] is True


def test_tasks_table_has_the_documented_indexes() -> None:
    assert {i["index_name"] for i in TaskModel._get_schema()["global_secondary_indexes"]} == {
        "by_status_due",
        "by_priority",
        "by_project",
        "by_completed",
        "by_assignee",
        "by_parent",  # a task's subtasks (issue 14)
    }


def test_user_pool_follows_the_backend(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template("stateful"))
    policy = PASSWORD_POLICY.to_cognito()
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolName": NAMES.user_pool,
            "UsernameAttributes": ["email"],
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "DeletionProtection": "ACTIVE",
            "Policies": {"PasswordPolicy": Match.object_like(policy)},
            "LambdaConfig": {"PostConfirmation": Match.any_value()},
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "ClientName": NAMES.user_pool_client,
            "GenerateSecret": APP_CLIENT["GenerateSecret"],
            "ExplicitAuthFlows": APP_CLIENT["ExplicitAuthFlows"],
            "PreventUserExistenceErrors": APP_CLIENT["PreventUserExistenceErrors"],
            "EnableTokenRevocation": APP_CLIENT["EnableTokenRevocation"],
        },
    )


def test_identity_pool_is_for_signed_in_users_and_grants_nothing(synthesized: Synthesized) -> None:
    stateful = synthesized.template("stateful")
    ((pool_id, pool),) = resources(stateful, "AWS::Cognito::IdentityPool").items()
    (client_id,) = resources(stateful, "AWS::Cognito::UserPoolClient")
    (user_pool_id,) = resources(stateful, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["AllowUnauthenticatedIdentities"] is False
    assert props["AllowClassicFlow"] is False
    assert props["CognitoIdentityProviders"] == [
        {
            "ClientId": {"Ref": client_id},
            "ProviderName": {"Fn::GetAtt": [user_pool_id, "ProviderName"]},
            "ServerSideTokenCheck": True,
        }
    ]
    (attachment,) = resources(stateful, "AWS::Cognito::IdentityPoolRoleAttachment").values()
    assert attachment["Properties"]["IdentityPoolId"] == {"Ref": pool_id}
    assert set(attachment["Properties"]["Roles"]) == {"authenticated"}  # no unauthenticated role at all
    role_id = attachment["Properties"]["Roles"]["authenticated"]["Fn::GetAtt"][0]
    role = stateful["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": {"Ref": pool_id}},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }
    ]
    # No permissions: no inline or managed policy, and no AWS::IAM::Policy attached to it.
    assert "Policies" not in role
    assert "ManagedPolicyArns" not in role
    assert actions_of_role(stateful, role_id) == set()


def test_no_wildcard_actions_and_no_wildcard_data_resources(synthesized: Synthesized) -> None:
    found = [s for t in synthesized.all_templates() for s in statements(t)]
    assert found
    for statement in found:
        actions = as_list(statement["Action"])
        assert not any(a == "*" or a.endswith(":*") for a in actions), statement
        if any(a.startswith(("dynamodb:", "cognito-idp:", "s3:")) for a in actions):
            targets = [json.dumps(r) for r in as_list(statement["Resource"])]
            assert not any(r == '"*"' or ("/*" in r and "index" in r) for r in targets), statement


def test_each_function_has_its_own_least_privilege_role(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    functions = resources(stateless, "AWS::Lambda::Function")
    by_handler = {f["Properties"]["Handler"]: logical for logical, f in functions.items()}
    api = actions_of_role(stateless, role_of(stateless, by_handler["backend.handlers.api.lambda_handler"]))
    auth = actions_of_role(stateless, role_of(stateless, by_handler["backend.handlers.authorizer.lambda_handler"]))
    assert {
        "cognito-idp:AdminGetUser",
        "cognito-idp:AdminDeleteUser",
        "cognito-idp:AdminUserGlobalSignOut",
        "dynamodb:Query",
    } <= api
    # the authorizer reads personal API tokens' rows only (one GetItem, its keys limited: test_inbound.py)
    assert not any(a.startswith("cognito-idp:") for a in auth)
    assert {a for a in auth if a.startswith("dynamodb:")} == {"dynamodb:GetItem"}
    stateful = synthesized.template("stateful")
    (trigger,) = resources(stateful, "AWS::Lambda::Function")
    trigger_actions = actions_of_role(stateful, role_of(stateful, trigger))
    # After a password reset it signs the user out everywhere (issue 12): that one Cognito call only.
    assert {a for a in trigger_actions if a.startswith("cognito-idp:")} == {"cognito-idp:AdminUserGlobalSignOut"}
    assert "dynamodb:PutItem" in trigger_actions
    roles = [role_of(stateless, f) for f in functions]
    assert len(set(roles)) == len(roles)


def test_gateway_errors_use_the_api_error_shape(synthesized: Synthesized) -> None:
    responses = resources(synthesized.template("stateless"), "AWS::ApiGateway::GatewayResponse")
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses.values()}
    assert {"UNAUTHORIZED", "ACCESS_DENIED"} <= set(by_type)
    for props in by_type.values():
        body = json.loads(props["ResponseTemplates"]["application/json"])
        assert set(body["error"]) == {"code", "message", "fields"}
    assert by_type["UNAUTHORIZED"]["StatusCode"] == "401"
    assert by_type["ACCESS_DENIED"]["StatusCode"] == "403"


def test_stage_is_throttled_traced_and_logged(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template("stateless"))
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": STAGE,
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {"ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value()}
                    )
                ]
            ),
        },
    )


def test_site_bucket_is_private_behind_cloudfront_oac(synthesized: Synthesized) -> None:
    site = synthesized.template("site")
    template = Template.from_json(site)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": Match.any_value(),
        },
    )
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    (distribution,) = resources(site, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert {b["PathPattern"] for b in config["CacheBehaviors"]} == {"/api/*", "/_event*", "/_upload*", "/ping"}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    template.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": Match.object_like(
                {
                    "SecurityHeadersConfig": Match.object_like(
                        {
                            "StrictTransportSecurity": Match.any_value(),
                            "ContentSecurityPolicy": Match.any_value(),
                            "FrameOptions": {"FrameOption": "DENY", "Override": True},
                        }
                    )
                }
            )
        },
    )


def test_an_acknowledgement_really_silences_its_rule(tmp_path: Path) -> None:
    """cdk-nag 3 accepts an unprefixed id and matches nothing with it: our helper must produce a working one."""
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks

    from deploy.stacks.nag import acknowledge

    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    stack = cdk.Stack(app, "Nag")
    queue = sqs.Queue(stack, "Queue")  # no DLQ (SQS3), no TLS-only policy (SQS4)
    acknowledge(queue, "SQS3", reason="a test queue needs no dead-letter queue")
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert "AwsSolutions-SQS3" not in rules
    assert "AwsSolutions-SQS4" in rules  # the rule not acknowledged is still reported


def test_acknowledgements_need_a_reason() -> None:
    import aws_cdk as cdk

    from deploy.stacks.nag import acknowledge

    with pytest.raises(ValueError, match="reason"):
        acknowledge(cdk.Stack(cdk.App(), "S"), "SQS3", reason=" ")


def test_usage_plan_covers_the_stage(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    (plan,) = resources(stateless, "AWS::ApiGateway::UsagePlan").values()
    assert plan["Properties"]["Throttle"] == {"BurstLimit": 200, "RateLimit": 100}
    (stage,) = plan["Properties"]["ApiStages"]
    assert "Ref" in stage["Stage"]
