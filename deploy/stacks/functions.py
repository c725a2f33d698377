"""One way to build the backend's Lambdas: Python 3.12 on arm64, X-Ray, bounded log retention, own role.

The code asset is the ``backend`` package as it is in the repository (without ``backend/local``, the emulator glue,
nor ``backend/client``, the UI's HTTP client). Its third-party dependencies (Powertools, PynamoDB, pydantic...)
come in a layer built from a directory prepared by ``python -m deploy.lambda_deps`` (``make synth`` does it):
``uv pip install --target`` for manylinux aarch64 / CPython 3.12 wheels, so no Docker is needed to synthesize.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from deploy.stacks.nag import acknowledge

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEPS_DIR = REPO_ROOT / ".tools" / "lambda-deps"  # .tools: ignored by git, ruff and mypy

# Everything in the repository except the backend package (and its parts that never run in Lambda).
_CODE_EXCLUDES = [
    "*",
    "!backend",
    "!backend/**",
    "backend/local",
    "backend/local/**",
    "backend/client",
    "backend/client/**",
    "**/__pycache__",
    "**/*.pyc",
]

RUNTIME = lambda_.Runtime.PYTHON_3_12
SERVICE_NAME = "taskmanager-pro"  # = backend.observability.SERVICE
METRICS_NAMESPACE = "TaskManagerPro"  # = backend.observability.metrics' namespace

# What the backend's PynamoDB models do with a table: items, queries, batch gets, transactions (TransactWriteItems
# is authorized per item by these same actions) and DescribeTable (PynamoDB reads the table's metadata once).
TABLE_READ_WRITE = (
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)


LIVE_ALIAS = "live"
_LIVE: dict[str, lambda_.Alias] = {}


def live(function: lambda_.IFunction) -> lambda_.Alias:
    """The ``live`` alias of a function built by :func:`backend_function` (what every trigger invokes)."""
    return _LIVE[function.node.path]


def tmp_environment(
    *, stage: str, region: str, user_pool_id: str, user_pool_client_id: str, app_url: str
) -> dict[str, str]:
    """The ``TMP_*`` settings (backend/config.py) every function and the Reflex container share."""
    return {
        "TMP_STAGE": stage,
        "TMP_REGION": region,
        "TMP_USER_POOL_ID": user_pool_id,
        "TMP_USER_POOL_CLIENT_ID": user_pool_client_id,
        "TMP_APP_URL": app_url,
    }


def backend_code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(REPO_ROOT), exclude=_CODE_EXCLUDES)


def deps_layer(scope: Construct, deps_dir: Path) -> lambda_.LayerVersion:
    if not (deps_dir / "python").is_dir():
        raise FileNotFoundError(
            f"{deps_dir}/python is missing: run `python -m deploy.lambda_deps {deps_dir}` (make synth does it)"
        )
    return lambda_.LayerVersion(
        scope,
        "BackendDeps",
        code=lambda_.Code.from_asset(str(deps_dir)),
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[lambda_.Architecture.ARM_64],
        description="Third-party dependencies of the backend package (manylinux aarch64, CPython 3.12)",
    )


def backend_function(
    scope: Construct,
    construct_id: str,
    *,
    handler: str,
    layer: lambda_.ILayerVersion,
    environment: dict[str, str],
    memory_size: int = 512,
    timeout: Duration | None = None,
    reserved_concurrency: int | None = None,
    function_name: str | None = None,
    vpc: ec2.IVpc | None = None,
    vpc_subnets: ec2.SubnetSelection | None = None,
    security_groups: Sequence[ec2.ISecurityGroup] | None = None,
) -> lambda_.Function:
    """A function with its own role (basic logging + X-Ray only); callers add their data grants to it."""
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=logs.RetentionDays.THREE_MONTHS,
        removal_policy=RemovalPolicy.DESTROY,
    )
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{construct_id} Lambda: its log group, X-Ray, and the data grants added next to it",
    )
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        code=backend_code(),
        handler=handler,
        function_name=function_name,
        layers=[layer],
        role=role,
        memory_size=memory_size,
        timeout=timeout or Duration.seconds(10),
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        reserved_concurrent_executions=reserved_concurrency,
        vpc=vpc,  # only the live-updates function (it reaches the Reflex backend's Redis)
        vpc_subnets=vpc_subnets,
        security_groups=list(security_groups) if security_groups else None,
        environment={
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            # X-Ray keeps a trace's metadata for 30 days, readable by whoever may read traces: a handler's answer
            # (task contents, an API token's secret when made, presigned URLs) must not be recorded there.
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            **environment,
        },
    )
    # Logs to its own group only (instead of the AWSLambdaBasicExecutionRole managed policy, which is account-wide).
    log_group.grant_write(role)
    acknowledge(
        role,
        "IAM5[Resource::*]",
        reason="Tracing.ACTIVE: xray:PutTraceSegments/PutTelemetryRecords support only Resource '*' (AWS docs).",
    )
    # Every trigger (API Gateway, Cognito, S3, the stream, rules, schedules) invokes the alias: a rollback is
    # `aws lambda update-alias --name live --function-version <previous>` (docs/operations.md).
    _LIVE[function.node.path] = lambda_.Alias(
        scope, f"{construct_id}Live", alias_name=LIVE_ALIAS, version=function.current_version
    )
    acknowledge(
        function,
        "L1",
        reason="Python 3.12 on purpose: the backend is built and tested for CPython <3.13 (pyproject requires-python).",
    )
    return function


def grant_table(
    function: lambda_.IFunction, table: dynamodb.ITableV2, index_names: list[str], actions: tuple[str, ...]
) -> None:
    """Grant ``actions`` on the table and on each named GSI (never ``index/*``), to this function's role only."""
    resources = [table.table_arn, *(f"{table.table_arn}/index/{name}" for name in index_names)]
    function.add_to_role_policy(iam.PolicyStatement(actions=list(actions), resources=resources))


STREAM_READ = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


def read_streams(
    function: lambda_.Function,
    streams: Sequence[tuple[str, dynamodb.ITableV2, Sequence[Mapping[str, Any]] | None]],
    *,
    failures: sqs.IQueue,
    batch_size: int,
    retry_attempts: int,
    max_record_age: Duration,
    batching_window: Duration | None = None,
) -> None:
    """The function's live alias reads each ``(construct id, table, filters)`` stream: a failing record reported
    alone (the batch bisected), retried, then sent to ``failures``; and the function may read those streams."""
    arns = []
    for construct_id, table, filters in streams:
        stream_arn = table.table_stream_arn
        assert stream_arn is not None, f"{construct_id}: the table must have a stream"
        arns.append(stream_arn)
        lambda_.EventSourceMapping(
            Stack.of(function),
            construct_id,
            target=live(function),
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=batch_size,
            max_batching_window=batching_window or Duration.seconds(0),  # none: each record as it comes
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            retry_attempts=retry_attempts,
            max_record_age=max_record_age,
            on_failure=event_sources.SqsDlq(failures),
            filters=filters,
        )
    function.add_to_role_policy(iam.PolicyStatement(actions=list(STREAM_READ), resources=arns))


def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """Where failed asynchronous / stream events wait (14 days) for a look and a redrive; alarmed on depth."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    acknowledge(queue, "SQS3", reason="This queue is itself a dead-letter / on-failure destination.")
    return queue


def reservations(value: Any) -> dict[str, int]:
    """Context ``reserved_concurrency``: a JSON object (or its text, as ``-c`` passes it) of name -> executions."""
    if not value:
        return {}
    parsed = json.loads(value) if isinstance(value, str) else value
    if not isinstance(parsed, dict):
        raise ValueError(f"reserved_concurrency must be a JSON object of function name -> int, got {value!r}")
    result: dict[str, int] = {}
    for name, count in parsed.items():
        # 0 is allowed on purpose: it stops a function (an emergency brake), as AWS defines it.
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"reserved_concurrency[{name!r}] must be an int >= 0, got {count!r}")
        result[str(name)] = count
    return result


def reserve_concurrency(named: Sequence[tuple[str, lambda_.Function]], wanted: Mapping[str, int]) -> None:
    """Reserve concurrency per function, by short name (``Api``) or construct id (``ApiFn``).

    Nothing is reserved by default: a new account's quota is 10 concurrent executions, and Lambda rejects any
    reservation that would leave fewer than 10 unreserved, so reservations are set per stage once the quota is
    raised. An unknown name fails the synth (a typo would otherwise silently reserve nothing).
    """
    by_name = {key: function for name, function in named for key in (name, function.node.id)}
    unknown = sorted(set(wanted) - set(by_name))
    if unknown:
        raise ValueError(f"reserved_concurrency: unknown functions {unknown}; known: {sorted(by_name)}")
    for name, count in wanted.items():
        cfn_function = by_name[name].node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.reserved_concurrent_executions = count
