"""Feature resources (contracts fixed by the lead): Notifications table, Tasks stream/TTL, reminders (Scheduler, SES,
SNS, signed links), attachments bucket + processor, analytics on the Tasks stream, optional replicas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from backend.adapters.notifications import NOTIFICATION_TABLE_MODELS, NotificationModel
from backend.adapters.task_store.models import TaskModel
from backend.names import ResourceNames
from deploy.app import build
from deploy.stacks import functions
from tests.infrastructure.conftest import OPTIONS_CONTEXT
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
REMINDERS = "backend.handlers.reminders.handler"
ANALYTICS = "backend.handlers.analytics.handler"
RECOMPUTE = "backend.handlers.analytics.recompute_handler"
PROCESSOR = "backend.handlers.attachments.handler"
API = "backend.handlers.api.lambda_handler"


def _table(synthesized: Synthesized, name: str) -> dict[str, Any]:
    tables = resources(synthesized.template("stateful"), "AWS::DynamoDB::GlobalTable").values()
    (table,) = [t["Properties"] for t in tables if t["Properties"]["TableName"] == name]
    return dict(table)


def _grants(template: dict[str, Any], handler: str) -> dict[str, set[str]]:
    """action -> the resources (as JSON strings) the function's role may use it on."""
    grants: dict[str, set[str]] = {}
    for statement in statements_of_role(template, role_of(template, function_by_handler(template, handler))):
        for action in as_list(statement["Action"]):
            grants.setdefault(action, set()).update(json.dumps(r) for r in as_list(statement["Resource"]))
    return grants


def _objects(resources: set[str]) -> set[str]:
    """``bucket/prefix*`` of each S3 ARN a grant names."""
    return {r.split(":::")[-1].rstrip('"]}') for r in resources}


def _live(template: dict[str, Any], handler: str) -> str:
    """The logical id of the function's ``live`` alias."""
    function = function_by_handler(template, handler)
    (alias,) = [
        k
        for k, v in resources(template, "AWS::Lambda::Alias").items()
        if v["Properties"]["FunctionName"] == {"Ref": function}
    ]
    return alias


def _function(template: dict[str, Any], handler: str) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][function_by_handler(template, handler)]["Properties"]
    return props


def test_notifications_table_follows_its_models(synthesized: Synthesized) -> None:
    table = _table(synthesized, NAMES.notifications_table)
    for model in NOTIFICATION_TABLE_MODELS:
        expected = model._get_schema()
        assert sorted(table["KeySchema"], key=lambda k: k["KeyType"]) == sorted(
            expected["key_schema"], key=lambda k: k["KeyType"]
        )
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]  # the lead's contract
    (index,) = table["GlobalSecondaryIndexes"]
    (wanted,) = NotificationModel._get_schema()["global_secondary_indexes"]
    assert index["IndexName"] == wanted["index_name"] == "by_unread"
    assert sorted(index["KeySchema"], key=lambda k: k["KeyType"]) == sorted(
        wanted["key_schema"], key=lambda k: k["KeyType"]
    )
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
    (replica,) = table["Replicas"]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert replica["DeletionProtectionEnabled"] is True


def test_users_table_expires_deleted_accounts_markers(synthesized: Synthesized) -> None:
    # A deleted account leaves a marker (no personal data) that refuses its old tokens, then TTL removes it.
    assert _table(synthesized, NAMES.users_table)["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }


def test_tasks_table_streams_both_images_and_expires_items(synthesized: Synthesized) -> None:
    table = _table(synthesized, NAMES.tasks_table)
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    # The same view the model declares (what the local emulator's stream gives the analytics Lambda).
    assert TaskModel.Meta.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_replica_regions_come_from_context(synthesized_with_options: Synthesized) -> None:
    tables = resources(synthesized_with_options.template("stateful"), "AWS::DynamoDB::GlobalTable").values()
    assert len(tables) == 4  # Users, Tasks, Notifications, Idempotency
    for table in tables:
        regions = sorted(r["Region"] for r in table["Properties"]["Replicas"])
        assert regions == ["eu-west-1", "us-east-1", "us-west-2"]  # the primary + the context's
        for replica in table["Properties"]["Replicas"]:
            assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_lambdas_are_python312_arm64_traced_with_powertools(synthesized: Synthesized) -> None:
    functions = [
        f["Properties"]
        for t in synthesized.all_templates()
        for f in resources(t, "AWS::Lambda::Function").values()
        if str(f["Properties"].get("Handler", "")).startswith("backend.handlers.")
    ]
    assert {f["Handler"] for f in functions} == {
        API,
        "backend.handlers.authorizer.lambda_handler",
        "backend.handlers.cognito_triggers.lambda_handler",
        REMINDERS,
        ANALYTICS,
        RECOMPUTE,
        PROCESSOR,
        "backend.handlers.live.handler",
        "backend.handlers.inbound.sms_handler",
        "backend.handlers.inbound.email_handler",
        "backend.handlers.webhook_events.handler",
        "backend.handlers.webhooks.handler",
        "backend.handlers.project_moves.handler",
    }
    for function in functions:
        assert function["Runtime"] == "python3.12"
        assert function["Architectures"] == ["arm64"]
        assert function["TracingConfig"] == {"Mode": "Active"}
        variables = function["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "taskmanager-pro"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "TaskManagerPro"
        assert variables["TMP_STAGE"] == STAGE
        assert {"TMP_REGION", "TMP_USER_POOL_ID", "TMP_USER_POOL_CLIENT_ID", "TMP_APP_URL"} <= set(variables)
        assert "LoggingConfig" in function  # its own log group, with retention


def test_no_reserved_concurrency_by_default(synthesized: Synthesized) -> None:
    for template in synthesized.all_templates():
        for function in resources(template, "AWS::Lambda::Function").values():
            assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_reserved_concurrency_from_context(synthesized_with_options: Synthesized) -> None:
    reserved = {
        function["Properties"]["Handler"]: function["Properties"]["ReservedConcurrentExecutions"]
        for template in synthesized_with_options.all_templates()
        for function in resources(template, "AWS::Lambda::Function").values()
        if "ReservedConcurrentExecutions" in function["Properties"]
    }
    assert reserved == {API: 50, REMINDERS: 5}


def test_reserved_concurrency_rejects_unknown_names_and_bad_counts() -> None:
    assert functions.reservations(None) == {}
    assert functions.reservations({"Api": 0}) == {"Api": 0}  # 0 = stopped: a valid emergency brake
    for bad in ('["Api"]', '{"Api": -1}', '{"Api": "5"}', '{"Api": true}'):
        with pytest.raises(ValueError, match="reserved_concurrency"):
            functions.reservations(bad)
    stack = cdk.Stack(cdk.App())
    function = lambda_.Function(
        stack,
        "ApiFn",
        runtime=functions.RUNTIME,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
    )
    with pytest.raises(ValueError, match=r"unknown functions \['Apl'\]"):
        functions.reserve_concurrency([("Api", function)], {"Apl": 5})


def test_schedule_group_and_a_scheduler_role_that_can_only_invoke_reminders(synthesized: Synthesized) -> None:
    Template.from_json(synthesized.template("stateful")).has_resource_properties(
        "AWS::Scheduler::ScheduleGroup", {"Name": NAMES.schedule_group}
    )
    stateless = synthesized.template("stateless")
    roles = [
        r["Properties"]
        for r in resources(stateless, "AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "scheduler.amazonaws.com"
    ]
    (role,) = roles
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    # taskmanager-pro-ci-reminders, through its live alias
    assert f"function:{NAMES.schedule_group}:live" in json.dumps(statement["Resource"])
    reminders = _function(stateless, REMINDERS)
    assert reminders["FunctionName"] == f"taskmanager-pro-{STAGE}-reminders"


def test_reminders_function_env_and_grants(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    variables = _function(stateless, REMINDERS)["Environment"]["Variables"]
    assert "function:taskmanager-pro-ci-reminders" in json.dumps(variables["TMP_REMINDER_TARGET_ARN"])
    assert "SchedulerRole" in json.dumps(variables["TMP_SCHEDULER_ROLE_ARN"])
    assert "LinkSigningSecret" in json.dumps(variables["TMP_LINK_SIGNING_SECRET_ARN"])  # its ARN, never its value
    assert variables["TMP_EMAIL_SENDER"] == "no-reply@example.com"  # Settings.email_sender, from ses_identity
    grants = _grants(stateless, REMINDERS)
    assert grants["scheduler:ListSchedules"] == {'"*"'}  # no resource-level permissions for it
    for table in ("TasksTable", "UsersTable", "NotificationsTable"):
        assert any(table in r for r in grants["dynamodb:PutItem"]), table
    assert {"ses:SendEmail", "ses:SendRawEmail", "sns:Publish", "secretsmanager:GetSecretValue"} <= set(grants)
    assert all(":identity/" in r for r in grants["ses:SendEmail"])
    for action in ("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"):
        assert all(f"schedule/{NAMES.schedule_group}/*" in r for r in grants[action])
    assert not any(a.startswith("s3:") for a in grants)


def test_no_function_environment_holds_a_secret_value(synthesized: Synthesized) -> None:
    """Keys are read at run time from Secrets Manager (by ARN): a resolved value would show in the configuration."""
    functions_seen = 0
    for template in synthesized.all_templates():
        for logical, function in resources(template, "AWS::Lambda::Function").items():
            functions_seen += 1
            variables = function["Properties"].get("Environment", {}).get("Variables", {})
            assert "resolve:secretsmanager" not in json.dumps(variables), logical
            assert "TMP_LINK_SIGNING_SECRET" not in variables, logical  # the old setting that held the key
    assert functions_seen >= 8


def test_no_trace_records_what_a_handler_answered(synthesized: Synthesized) -> None:
    """Powertools' tracer puts a handler's whole return value into the X-Ray trace unless told not to: every API
    answer (task contents, a new API token's secret, presigned URLs) would be kept there for 30 days."""
    ours = 0
    for template in synthesized.all_templates():
        for logical, function in resources(template, "AWS::Lambda::Function").items():
            variables = function["Properties"].get("Environment", {}).get("Variables", {})
            if "POWERTOOLS_SERVICE_NAME" in variables:  # (not the CDK's own helper functions)
                ours += 1
                assert variables.get("POWERTOOLS_TRACER_CAPTURE_RESPONSE") == "false", logical
    assert ours >= 8


def test_only_the_api_and_reminders_may_read_the_link_signing_key(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    readers: dict[str, set[str]] = {}
    for template in synthesized.all_templates():
        for policy in resources(template, "AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "LinkSigningSecret" in json.dumps(statement["Resource"]):
                    for role in policy["Properties"]["Roles"]:
                        readers.setdefault(role["Ref"], set()).update(as_list(statement["Action"]))
    expected = {role_of(stateless, function_by_handler(stateless, handler)) for handler in (API, REMINDERS)}
    assert readers == {role: {"secretsmanager:GetSecretValue"} for role in expected}


def test_api_gets_the_feature_grants(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    grants = _grants(stateless, API)
    for action in (
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
    ):
        assert all(f"schedule/{NAMES.schedule_group}/*" in r for r in grants[action])
    assert all("SchedulerRole" in r for r in grants["iam:PassRole"])
    assert any("Notifications" in r for r in grants["dynamodb:Query"])
    assert any("Notifications" in r and "/index/by_unread" in r for r in grants["dynamodb:Query"])
    bucket = NAMES.attachments_bucket
    # Upload forms are signed for the staging prefix only: no form can write a checked file or a thumbnail.
    assert _objects(grants["s3:PutObject"]) == {f"{bucket}/uploads/*"}
    assert _objects(grants["s3:GetObject"]) == {f"{bucket}/users/*", f"{bucket}/thumbnails/*"}
    assert _objects(grants["s3:DeleteObject"]) == {f"{bucket}/{p}*" for p in ("uploads/", "users/", "thumbnails/")}
    # Listing (to delete a user's files) only on the bucket itself; the statement pins the prefixes.
    assert _objects(grants["s3:ListBucket"]) == {bucket}
    assert {"sns:Publish", "ses:SendEmail", "secretsmanager:GetSecretValue"} <= set(grants)
    variables = _function(stateless, API)["Environment"]["Variables"]
    assert {"TMP_REMINDER_TARGET_ARN", "TMP_SCHEDULER_ROLE_ARN", "TMP_LINK_SIGNING_SECRET_ARN"} <= set(variables)
    # The authorizer gets none of it.
    assert not any(
        a.startswith(("s3:", "sns:", "ses:", "scheduler:", "iam:"))
        for a in _grants(stateless, "backend.handlers.authorizer.lambda_handler")
    )


def test_ses_identity(synthesized: Synthesized) -> None:
    Template.from_json(synthesized.template("stateless")).has_resource_properties(
        "AWS::SES::EmailIdentity", {"EmailIdentity": "example.com"}
    )


def _sms_preferences(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SMS preferences custom resource's properties and its provider Lambda's properties."""
    (resource,) = resources(template, "Custom::AWS").values()
    provider = resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
    return resource["Properties"], template["Resources"][provider]["Properties"]


def _sms_call(limit: str) -> dict[str, Any]:
    return {
        "service": "SNS",
        "action": "setSMSAttributes",
        "parameters": {"attributes": {"DefaultSMSType": "Transactional", "MonthlySpendLimit": limit}},
        "physicalResourceId": {"id": "sns-sms-attributes"},
    }


def test_sms_preferences_are_set_on_create_and_update(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    props, provider = _sms_preferences(stateless)
    assert json.loads(props["Create"]) == _sms_call("1")  # the context's default: AWS's own starting cap
    assert json.loads(props["Update"]) == _sms_call("1")
    assert "Delete" not in props  # account-wide settings: nothing to undo
    assert props["InstallLatestAwsSdk"] is False
    # The provider's own role: that one call (no resource-level permissions exist for it) and its own log group.
    role = provider["Role"]["Fn::GetAtt"][0]
    grants: dict[str, list[str]] = {}
    for statement in statements_of_role(stateless, role):
        for action in as_list(statement["Action"]):
            grants.setdefault(action, []).extend(json.dumps(r) for r in as_list(statement["Resource"]))
    assert grants.pop("sns:SetSMSAttributes") == ['"*"']
    log_group = json.dumps({"Fn::GetAtt": [provider["LoggingConfig"]["LogGroup"]["Ref"], "Arn"]})
    assert grants == {"logs:CreateLogStream": [log_group], "logs:PutLogEvents": [log_group]}


def test_sms_monthly_spend_limit_comes_from_context(synthesized_with_options: Synthesized) -> None:
    props, _ = _sms_preferences(synthesized_with_options.template("stateless"))
    assert json.loads(props["Create"]) == _sms_call(OPTIONS_CONTEXT["sms_monthly_spend_limit"])
    assert json.loads(props["Update"]) == _sms_call(OPTIONS_CONTEXT["sms_monthly_spend_limit"])


def test_sms_monthly_spend_limit_must_be_whole_dollars(tmp_path: Path) -> None:
    (tmp_path / "deps" / "python").mkdir(parents=True)
    context = {"stage": STAGE, "lambda_deps_dir": str(tmp_path / "deps"), "sms_monthly_spend_limit": "1.50"}
    with pytest.raises(ValueError, match="whole US dollars"):
        build(tmp_path / "cdk.out", context)


def test_attachments_bucket_is_private_versioned_with_cors_and_lifecycle(synthesized: Synthesized) -> None:
    attachments = synthesized.template("attachments")
    buckets = resources(attachments, "AWS::S3::Bucket").values()
    (bucket,) = [b["Properties"] for b in buckets if b["Properties"].get("BucketName") == NAMES.attachments_bucket]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "BucketEncryption" in bucket
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert "POST" in cors["AllowedMethods"]
    assert cors["AllowedOrigins"] == ["https://app.example.invalid"]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["expire-old-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    # A re-posted upload form only stages versions; what the processor did not delete goes within a day.
    staged = rules["expire-staged-uploads"]
    assert (staged["Prefix"], staged["Status"], staged["ExpirationInDays"]) == ("uploads/", "Enabled", 1)
    assert staged["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    (configuration,) = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert configuration["Event"] == "s3:ObjectCreated:*"
    assert configuration["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert configuration["Function"] == {"Ref": _live(attachments, PROCESSOR)}
    # TLS only.
    Template.from_json(attachments).has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def _partition_arn(suffix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{suffix}"]]}


def test_attachments_are_not_replicated_by_default(synthesized: Synthesized) -> None:
    attachments = synthesized.template("attachments")
    for bucket in resources(attachments, "AWS::S3::Bucket").values():
        assert "ReplicationConfiguration" not in bucket["Properties"]
    trusted = [r for r in resources(attachments, "AWS::IAM::Role").values() if "s3.amazonaws.com" in json.dumps(r)]
    assert trusted == []


def test_attachments_replication_to_the_context_bucket(synthesized_with_options: Synthesized) -> None:
    attachments = synthesized_with_options.template("attachments")
    replica = OPTIONS_CONTEXT["attachments_replica_bucket_arn"]
    (bucket,) = [
        b["Properties"]
        for b in resources(attachments, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == NAMES.attachments_bucket
    ]
    replication = bucket["ReplicationConfiguration"]
    role_id = replication["Role"]["Fn::GetAtt"][0]
    assert replication["Rules"] == [
        {
            "Id": f"replicate-{prefix.rstrip('/')}",
            "Priority": priority,
            "Status": "Enabled",
            "Filter": {"Prefix": prefix},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {"Bucket": replica},
        }
        for priority, prefix in ((1, "users/"), (2, "thumbnails/"))
    ]
    # SSE-S3 objects replicate as they are: no KMS selection criteria or replica key.
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    role = attachments["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    source = NAMES.attachments_bucket
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Effect": "Allow",
            "Resource": _partition_arn(source),
        },
        {
            "Action": [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            "Effect": "Allow",
            "Resource": [_partition_arn(f"{source}/users/*"), _partition_arn(f"{source}/thumbnails/*")],
        },
        {
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Effect": "Allow",
            "Resource": [f"{replica}/users/*", f"{replica}/thumbnails/*"],
        },
    ]
    assert "ManagedPolicyArns" not in role
    assert statements_of_role(attachments, role_id) == []  # nothing else attached to it


def test_processor_size_grants_and_failure_destination(synthesized: Synthesized) -> None:
    attachments = synthesized.template("attachments")
    function = _function(attachments, PROCESSOR)
    assert function["MemorySize"] == 1024
    assert function["Timeout"] == 60
    grants = _grants(attachments, PROCESSOR)
    bucket = NAMES.attachments_bucket
    # It reads (the exact version) and deletes staged uploads, and alone writes checked files and thumbnails.
    for action in ("s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"):
        assert _objects(grants[action]) == {f"{bucket}/uploads/*"}, action
    assert _objects(grants["s3:PutObject"]) == {f"{bucket}/users/*", f"{bucket}/thumbnails/*"}
    assert _objects(grants["s3:DeleteObject"]) == {f"{bucket}/{p}*" for p in ("uploads/", "users/", "thumbnails/")}
    assert "dynamodb:UpdateItem" in grants
    (config,) = resources(attachments, "AWS::Lambda::EventInvokeConfig").values()
    assert "OnFailure" in config["Properties"]["DestinationConfig"]
    (permission,) = resources(attachments, "AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "s3.amazonaws.com"
    assert "SourceAccount" in permission["Properties"]


def test_analytics_reads_the_tasks_stream_with_partial_failures(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    (mapping,) = [  # (the webhooks' mappings are tests/infrastructure/test_webhooks.py's)
        m
        for m in resources(stateless, "AWS::Lambda::EventSourceMapping").values()
        if _live(stateless, ANALYTICS) in json.dumps(m["Properties"]["FunctionName"])
    ]
    props = mapping["Properties"]
    assert props["BatchSize"] == 100
    assert props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < props["MaximumRetryAttempts"] <= 10
    assert "OnFailure" in props["DestinationConfig"]
    assert "StreamArn" in json.dumps(props["EventSourceArn"])
    grants = _grants(stateless, ANALYTICS)
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:Query"} <= set(grants)
    # Users: read only (the time zone of the user's local days).
    assert any("UsersTable" in r for r in grants["dynamodb:GetItem"])
    assert not any("UsersTable" in r for r in grants["dynamodb:PutItem"])
    assert not any(a.startswith(("s3:", "ses:", "sns:")) for a in grants)


def _rules_invoking(template: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    alias = {"Ref": _live(template, handler)}
    return [
        rule
        for rule in resources(template, "AWS::Events::Rule").values()
        if any(target["Arn"] == alias for target in rule["Properties"]["Targets"])
    ]


def test_recompute_runs_daily(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    (rule,) = _rules_invoking(stateless, RECOMPUTE)
    assert rule["Properties"]["ScheduleExpression"].startswith("cron(")
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": _live(stateless, RECOMPUTE)}
    assert "DeadLetterConfig" in target
    grants = _grants(stateless, RECOMPUTE)
    assert "dynamodb:Query" in grants
    # It may go on in a new invocation of its own live alias, and invoke nothing else.
    assert {r.split(":function:")[-1].rstrip('"]}') for r in grants["lambda:InvokeFunction"]} == {
        f"taskmanager-pro-{NAMES.stage}-analytics-recompute:live"
    }


def test_the_reminder_backlog_is_reconciled_every_five_minutes_with_no_new_grant(synthesized: Synthesized) -> None:
    """Issue 15: the reminders Lambda's ``reconcile`` on a rate rule, through its live alias; it needs nothing its
    role does not hold for reminders already (the backlog is in the Notifications table it reads and writes)."""
    stateless = synthesized.template("stateless")
    (rule,) = _rules_invoking(stateless, REMINDERS)
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = rule["Properties"]["Targets"]
    assert json.loads(target["Input"]) == {"kind": "reconcile"}
    permissions = [
        p["Properties"]
        for p in resources(stateless, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Ref": _live(stateless, REMINDERS)}
        and p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert len(permissions) == 1
    assert permissions[0]["SourceArn"]["Fn::GetAtt"][0] in resources(stateless, "AWS::Events::Rule")
    grants = _grants(stateless, REMINDERS)
    assert "dynamodb:Scan" not in grants  # the backlog is one Query, never a scan of the users' tasks
    assert any("NotificationsTable" in r for r in grants["dynamodb:Query"])
    assert any("NotificationsTable" in r for r in grants["dynamodb:DeleteItem"])


def test_dead_letter_queues_are_encrypted_and_tls_only(synthesized: Synthesized) -> None:
    queues = [
        q
        for t in synthesized.all_templates()
        for logical, q in resources(t, "AWS::SQS::Queue").items()
        if "WebhookDeliveries" not in logical  # the webhooks' working queue (test_webhooks.py)
        and not (logical.startswith("ProjectMoves") and "Failures" not in logical)  # test_sharing_grants.py
    ]
    # analytics stream + recompute, attachment processor, live-updates streams, webhooks: stream, failures, dead,
    # project moves
    assert len(queues) == 8
    for queue in queues:
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_trigger_invokes_a_live_alias_of_a_published_version(synthesized: Synthesized) -> None:
    """Rollback = pointing ``live`` at the previous version: nothing may invoke $LATEST directly."""
    for which in ("stateful", "attachments", "stateless"):
        template = synthesized.template(which)
        # Our functions (CDK's custom-resource provider is invoked by CloudFormation itself, once per deploy).
        functions = [
            k
            for k, v in resources(template, "AWS::Lambda::Function").items()
            if str(v["Properties"].get("Handler", "")).startswith("backend.handlers.")
        ]
        aliases = resources(template, "AWS::Lambda::Alias").values()
        assert sorted(a["Properties"]["FunctionName"]["Ref"] for a in aliases) == sorted(functions)
        for alias in aliases:
            assert alias["Properties"]["Name"] == "live"
            version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
            assert template["Resources"][version]["Type"] == "AWS::Lambda::Version"
        for permission in resources(template, "AWS::Lambda::Permission").values():
            assert "Live" in json.dumps(permission["Properties"]["FunctionName"]), permission
    stateless = synthesized.template("stateless")
    for method in resources(stateless, "AWS::ApiGateway::Method").values():
        assert _live(stateless, API) in json.dumps(method["Properties"]["Integration"]["Uri"])
    (authorizer,) = resources(stateless, "AWS::ApiGateway::Authorizer").values()
    assert _live(stateless, "backend.handlers.authorizer.lambda_handler") in json.dumps(authorizer["Properties"])
    stateful = synthesized.template("stateful")
    (pool,) = resources(stateful, "AWS::Cognito::UserPool").values()
    trigger = _live(stateful, "backend.handlers.cognito_triggers.lambda_handler")
    assert pool["Properties"]["LambdaConfig"]["PostConfirmation"] == {"Ref": trigger}


def test_tasks_table_has_the_sparse_by_assignee_index_and_only_the_api_queries_it(synthesized: Synthesized) -> None:
    """Issue 13's "assigned to me": hash ``assignee_pk`` (S), range ``due_sk`` (S), every attribute projected; the
    api's grant names the index (like the other indexes), and no other function gets it."""
    table = _table(synthesized, NAMES.tasks_table)
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "by_assignee"]
    assert index["KeySchema"] == [
        {"AttributeName": "assignee_pk", "KeyType": "HASH"},
        {"AttributeName": "due_sk", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    types = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    assert types["assignee_pk"] == types["due_sk"] == "S"
    stateless = synthesized.template("stateless")
    grants = _grants(stateless, API)
    on_index = {action for action, targets in grants.items() if any("/index/by_assignee" in t for t in targets)}
    assert "dynamodb:Query" in on_index
    assert not any("/index/*" in t for targets in grants.values() for t in targets)  # named indexes, never all
    attachments = synthesized.template("attachments")
    assert not any("by_assignee" in t for targets in _grants(attachments, PROCESSOR).values() for t in targets)
    for handler in (REMINDERS, ANALYTICS, RECOMPUTE):
        assert not any("by_assignee" in t for targets in _grants(stateless, handler).values() for t in targets)
