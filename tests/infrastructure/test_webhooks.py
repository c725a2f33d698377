"""Webhooks in the synthesized app (deploy/stacks/webhooks.py, issue 16): the streams -> the bus -> the queue -> the
delivery function, with retries and a dead-letter queue; each role least privilege; the KMS key only encrypts for the
api and only decrypts for the delivery function; no secret in any function's configuration."""

from __future__ import annotations

import json
from typing import Any

from deploy.stacks.webhooks import DELIVERY_BATCH, MAX_RECEIVES
from tests.infrastructure.synth import (
    Synthesized,
    as_list,
    function_by_handler,
    resources,
    role_of,
    statements_of_role,
)

EVENTS = "backend.handlers.webhook_events.handler"
DELIVERIES = "backend.handlers.webhooks.handler"
API = "backend.handlers.api.lambda_handler"


def _grants(template: dict[str, Any], handler: str) -> dict[str, list[dict[str, Any]]]:
    grants: dict[str, list[dict[str, Any]]] = {}
    for statement in statements_of_role(template, role_of(template, function_by_handler(template, handler))):
        if statement["Effect"] != "Allow":
            continue
        for action in as_list(statement["Action"]):
            grants.setdefault(action, []).append(statement)
    return grants


def _logical(template: dict[str, Any], kind: str, fragment: str) -> str:
    (logical,) = [k for k in resources(template, kind) if fragment in k]
    return logical


def test_streams_feed_the_bus_whose_rule_feeds_the_queue_with_a_dead_letter_queue(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    (bus,) = resources(template, "AWS::Events::EventBus").values()
    assert bus["Properties"]["Name"] == "taskmanager-pro-ci-events"
    queue = template["Resources"][_logical(template, "AWS::SQS::Queue", "WebhookDeliveries")]["Properties"]
    failures = _logical(template, "AWS::SQS::Queue", "WebhookFailures")
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [failures, "Arn"]}, "maxReceiveCount": 5}
    dead = template["Resources"][_logical(template, "AWS::SQS::Queue", "WebhookDeadLetters")]["Properties"]
    assert dead["QueueName"] == "taskmanager-pro-ci-webhook-dead-letters"  # the deliveries that gave up
    assert MAX_RECEIVES == 5
    assert queue["VisibilityTimeout"] >= 6 * 90
    rule = template["Resources"][_logical(template, "AWS::Events::Rule", "WebhookEventsToQueue")]["Properties"]
    assert rule["EventPattern"] == {"source": ["taskmanager.tasks"]}
    (target,) = rule["Targets"]
    assert "WebhookDeliveries" in json.dumps(target["Arn"])
    assert "WebhookFailures" in json.dumps(target["DeadLetterConfig"])
    # The stream consumer: both streams, filtered to tasks, comments and reminder rows.
    mappings = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if "WebhookEventsFnLive" in json.dumps(m["Properties"]["FunctionName"])  # the function's live alias
    ]
    assert len(mappings) == 2
    filters = json.dumps([m["FilterCriteria"] for m in mappings])
    assert "TASK#" in filters
    assert "C#" in filters
    assert "reminder" in filters
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    assert all("OnFailure" in m["DestinationConfig"] for m in mappings)
    # The queue's consumer.
    deliveries_fn = function_by_handler(template, DELIVERIES)
    (sqs_mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if "WebhooksFnLive" in json.dumps(m["Properties"]["FunctionName"])
    ]
    assert sqs_mapping["BatchSize"] == DELIVERY_BATCH
    assert sqs_mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "VpcConfig" not in template["Resources"][deliveries_fn]["Properties"]  # the internet, not our network


def test_each_role_is_least_privilege_and_the_key_is_split(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    publisher = _grants(template, EVENTS)
    assert set(publisher) - {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:CreateLogStream"} <= {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "events:PutEvents",
        "logs:PutLogEvents",
        "sqs:SendMessage",  # the mappings' on-failure queue, and nothing else
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
    }
    for statement in publisher["sqs:SendMessage"]:
        assert "WebhookEventsStreamFailures" in json.dumps(statement["Resource"])
    (put,) = publisher["events:PutEvents"]
    assert "AppEvents" in json.dumps(put["Resource"])

    delivery = _grants(template, DELIVERIES)
    assert "kms:Encrypt" not in delivery
    (decrypt,) = delivery["kms:Decrypt"]
    assert decrypt["Condition"] == {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["webhook"]}}
    assert "WebhookSecretsKey" in json.dumps(decrypt["Resource"])
    for statement in delivery["dynamodb:Query"]:
        assert "dynamodb:LeadingKeys" in json.dumps(statement["Condition"])
    assert not {"dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:Scan", "dynamodb:BatchWriteItem"} & set(
        delivery
    )
    (send,) = delivery["sqs:SendMessage"]
    assert len(as_list(send["Resource"])) == 2

    api = _grants(template, API)
    assert "kms:Decrypt" not in api
    (encrypt,) = api["kms:Encrypt"]
    assert "WebhookSecretsKey" in json.dumps(encrypt["Resource"])
    env = template["Resources"][function_by_handler(template, API)]["Properties"]["Environment"]["Variables"]
    assert {"TMP_WEBHOOK_QUEUE_URL", "TMP_WEBHOOK_DEAD_LETTER_URL", "TMP_WEBHOOK_KEY_ID"} <= set(env)
    assert "TMP_WEBHOOK_ALLOW_LOOPBACK" not in json.dumps(template)  # the local switch never reaches AWS


def test_the_key_is_stateful_and_rotated(synthesized: Synthesized) -> None:
    template = synthesized.template("stateful")
    (key,) = resources(template, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    (alias,) = resources(template, "AWS::KMS::Alias").values()
    assert alias["Properties"]["AliasName"] == "alias/taskmanager-pro-ci-webhook-secrets"
