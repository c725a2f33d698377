"""Issue 16 in the CDK app: the authorizer's one read of an API token's row, and the inbound paths (two-way SMS →
SNS topic → Lambda; SES receipt rule → S3 → Lambda), each function with its own least-privilege role."""

from __future__ import annotations

import json
from typing import Any

from backend.domain.api_tokens import POINTER_PREFIX
from backend.domain.attachments import STAGING_PREFIX
from backend.domain.inbound import MAIL_PREFIX
from backend.names import ResourceNames
from tests.infrastructure.synth import (
    STAGE,
    Synthesized,
    as_list,
    function_by_handler,
    resources,
    role_of,
    statements_of_role,
)

NAMES = ResourceNames(STAGE)
AUTHORIZER = "backend.handlers.authorizer.lambda_handler"
SMS = "backend.handlers.inbound.sms_handler"
EMAIL = "backend.handlers.inbound.email_handler"


def _statements(template: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    return statements_of_role(template, role_of(template, function_by_handler(template, handler)))


def _live_alias(template: dict[str, Any], handler: str) -> str:
    function = function_by_handler(template, handler)
    (alias,) = [
        k
        for k, v in resources(template, "AWS::Lambda::Alias").items()
        if v["Properties"]["FunctionName"] == {"Ref": function}
    ]
    return alias


def test_the_authorizer_may_only_get_api_token_rows(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    data = [s for s in _statements(template, AUTHORIZER) if any("dynamodb:" in a for a in as_list(s["Action"]))]
    assert len(data) == 1
    [statement] = data
    assert as_list(statement["Action"]) == ["dynamodb:GetItem"]
    assert "TasksTable" in json.dumps(statement["Resource"])
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{POINTER_PREFIX}*"]}}
    # the authorizer's Allow is cached per credential (a JWT's or a token's) for 5 minutes
    [authorizer] = resources(template, "AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == 300


def test_inbound_sms_comes_through_an_sns_topic_only_two_way_sms_may_publish_to(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    [topic] = resources(template, "AWS::SNS::Topic")
    [subscription] = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "lambda"
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic}
    assert subscription["Properties"]["Endpoint"] == {"Ref": _live_alias(template, SMS)}
    policy = next(iter(resources(template, "AWS::SNS::TopicPolicy").values()))["Properties"]["PolicyDocument"]
    publishers = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in publishers] == [{"Service": "sms-voice.amazonaws.com"}]
    denied = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denied] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_inbound_mail_is_stored_by_the_receipt_rule_then_handed_to_the_lambda(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    [rule] = resources(template, "AWS::SES::ReceiptRule").values()
    props = rule["Properties"]["Rule"]
    assert props["Enabled"] is True
    assert props["ScanEnabled"] is True
    assert props["TlsPolicy"] == "Require"
    assert props["Recipients"] == ["in.example.com"]  # context inbound_email_domain, else in.<ses identity>
    s3_action, lambda_action = (action for action in props["Actions"] if "AddHeaderAction" not in action)
    [bucket] = [k for k, v in resources(template, "AWS::S3::Bucket").items() if v["Properties"].get("BucketName")]
    assert s3_action["S3Action"]["BucketName"] == {"Ref": bucket}
    assert s3_action["S3Action"]["ObjectKeyPrefix"] == MAIL_PREFIX
    assert lambda_action["LambdaAction"]["FunctionArn"] == {"Ref": _live_alias(template, EMAIL)}
    assert lambda_action["LambdaAction"]["InvocationType"] == "Event"
    stored = resources(template, "AWS::S3::Bucket")[bucket]["Properties"]
    assert stored["BucketName"] == NAMES.inbound_mail_bucket
    assert stored["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert stored["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] <= 7


def test_the_inbound_functions_have_their_own_narrow_grants(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    s3_grants: dict[str, set[str]] = {}
    for statement in _statements(template, EMAIL):
        for action in as_list(statement["Action"]):
            if action.startswith("s3:"):
                s3_grants.setdefault(action, set()).update(json.dumps(r) for r in as_list(statement["Resource"]))
    objects = {action: {r.split(":::")[-1].rstrip('"]}') for r in found} for action, found in s3_grants.items()}
    assert objects == {
        "s3:GetObject": {f"{NAMES.inbound_mail_bucket}/{MAIL_PREFIX}*"},
        "s3:DeleteObject": {f"{NAMES.inbound_mail_bucket}/{MAIL_PREFIX}*"},
        "s3:PutObject": {f"{NAMES.attachments_bucket}/{STAGING_PREFIX}*"},  # files staged like uploads
    }
    sms_actions = {a for s in _statements(template, SMS) for a in as_list(s["Action"])}
    assert not any(a.startswith("s3:") for a in sms_actions)
    assert "dynamodb:DeleteTable" not in sms_actions
    assert role_of(template, function_by_handler(template, SMS)) != role_of(
        template, function_by_handler(template, EMAIL)
    )
    # every function that shows or answers mail knows the inbound domain
    for function in resources(template, "AWS::Lambda::Function").values():
        handler = function["Properties"].get("Handler", "")
        if handler in {SMS, EMAIL, "backend.handlers.api.lambda_handler", "backend.handlers.reminders.handler"}:
            assert function["Properties"]["Environment"]["Variables"]["TMP_INBOUND_EMAIL_DOMAIN"] == "in.example.com"
