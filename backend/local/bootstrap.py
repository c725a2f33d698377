"""Creates the local resources the way the CDK stack defines them (names from ``backend.names``). Idempotent."""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from backend import aws
from backend.adapters.dynamodb import MODELS, configure_models
from backend.adapters.idempotency import EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE
from backend.adapters.task_store.migration import migrate
from backend.adapters.webhook_transport import SOURCE
from backend.domain.password_policy import PASSWORD_POLICY
from backend.names import APP_DISPLAY_NAME, ResourceNames

LOCAL_SENDER = "no-reply@taskmanager.local"
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

# The app client: no secret (public client), password + refresh auth, revocable tokens.
APP_CLIENT: dict[str, Any] = {
    "GenerateSecret": False,
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "ReadAttributes": ["email", "email_verified"],
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
}


@dataclass(frozen=True)
class LocalOutputs:
    user_pool_id: str
    user_pool_client_id: str
    link_signing_secret_arn: str
    webhook_key_id: str = ""  # the queues are found by name (their URLs carry the emulator's port)


@lru_cache(maxsize=64)
def local_client(service: str, endpoint: str, region: str) -> Any:
    """A boto3 client of the local emulator (its fixed credentials); one per service and emulator (a bootstrap asked
    for 15, ~25 ms each, once per test module)."""
    return aws.new_client(service, endpoint_url=endpoint, region_name=region, **LOCAL_CREDENTIALS)


def _ensure_user_pool(cognito: Any, names: ResourceNames) -> tuple[str, str]:
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == names.user_pool), None)
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=names.user_pool,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": PASSWORD_POLICY.to_cognito()},
            MfaConfiguration="OPTIONAL",
            AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
            EmailConfiguration={"EmailSendingAccount": "DEVELOPER", "From": f"{APP_DISPLAY_NAME} <{LOCAL_SENDER}>"},
            UserPoolTags={"app": "taskmanager-pro", "stage": names.stage},
        )["UserPool"]["Id"]
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
        )
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == names.user_pool_client), None)
    if client_id is None:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=names.user_pool_client, **APP_CLIENT
        )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


# Attachments: the browser POSTs files straight to the bucket, so it allows the app's origin. Locally any port of
# localhost (tests run the app on free ports); the CDK stack allows the app's domain with the same rule.
LOCAL_APP_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")
TTL_ATTRIBUTE = "expires_at"


def attachments_cors_rule(origins: list[str]) -> dict[str, Any]:
    return {
        "AllowedOrigins": origins,
        "AllowedMethods": ["POST", "GET", "HEAD"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag", "Location"],
        "MaxAgeSeconds": 3000,
    }


def _ensure_attachments_bucket(s3: Any, names: ResourceNames, origins: list[str]) -> None:
    bucket = names.attachments_bucket
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
    # Versioned as in AWS: the processor checks and copies the exact version an upload event names.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [attachments_cors_rule(origins)]})


def _ensure_inbound_mail_bucket(s3: Any, names: ResourceNames) -> None:
    """Where the local inbound email hook leaves a message, as SES's receipt rule does in AWS (issue 16)."""
    try:
        s3.head_bucket(Bucket=names.inbound_mail_bucket)
    except ClientError:
        s3.create_bucket(Bucket=names.inbound_mail_bucket)


def _ensure_ttl(dynamodb: Any, table: str, attribute: str = TTL_ATTRIBUTE) -> None:
    """Pending/rejected attachment rows expire (moto stores the setting but never deletes; readers skip them)."""
    current = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") != "ENABLED":
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )


def _ensure_schedule_group(scheduler: Any, names: ResourceNames) -> None:
    """The reminders' schedule group (moto answers 500 for a schedule in a missing group)."""
    groups = scheduler.list_schedule_groups(NamePrefix=names.schedule_group)["ScheduleGroups"]
    if not any(g["Name"] == names.schedule_group for g in groups):
        scheduler.create_schedule_group(Name=names.schedule_group)


def _ensure_stream(dynamodb: Any, table: str) -> None:
    """A table's stream (Tasks: analytics + live updates; Notifications: live updates), also on a table restored
    from a snapshot taken before it existed. NEW_AND_OLD_IMAGES, as the CDK sets (global-table replicas need it)."""
    if "StreamSpecification" not in dynamodb.describe_table(TableName=table)["Table"]:
        dynamodb.update_table(
            TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        )


def _ensure_idempotency_table(dynamodb: Any, names: ResourceNames) -> None:
    """Powertools' idempotency records (backend/adapters/idempotency.py): key ``id``, TTL on ``expiration``."""
    table = names.idempotency_table
    try:
        dynamodb.describe_table(TableName=table)
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.get_waiter("table_exists").wait(TableName=table)
    _ensure_ttl(dynamodb, table, EXPIRY_ATTRIBUTE)


def _ensure_link_signing_secret(secretsmanager: Any, names: ResourceNames) -> str:
    """The signing secret, as the stack defines it (64 generated letters and digits); kept across restarts with the
    rest of the emulator's data (persistence.py), so links in old local e-mails keep working. Returns its ARN."""
    try:
        return str(secretsmanager.describe_secret(SecretId=names.link_signing_secret)["ARN"])
    except secretsmanager.exceptions.ResourceNotFoundException:
        pass
    value = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    created = secretsmanager.create_secret(
        Name=names.link_signing_secret,
        Description="Signing keys of the links in e-mails and of SMS codes (backend/domain/signing_keys.py)",
        SecretString=value,
    )
    return str(created["ARN"])


def _ensure_webhook_plumbing(endpoint: str, region: str, names: ResourceNames) -> str:
    """What the CDK's webhooks construct defines (deploy/stacks/webhooks.py): the bus, its rule to the deliveries
    queue, the dead-letter and failure queues and the KMS key of the secrets. Returns the key's ARN."""
    sqs = local_client("sqs", endpoint, region)
    sqs.create_queue(QueueName=names.webhook_dead_letter_queue)  # idempotent
    sqs.create_queue(QueueName=names.webhook_failures_queue)
    queue_url = str(sqs.create_queue(QueueName=names.webhook_queue)["QueueUrl"])
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = local_client("events", endpoint, region)
    try:
        events.describe_event_bus(Name=names.event_bus)
    except events.exceptions.ResourceNotFoundException:
        events.create_event_bus(Name=names.event_bus)
    rule = "webhooks"
    if not events.list_rules(EventBusName=names.event_bus, NamePrefix=rule)["Rules"]:
        events.put_rule(Name=rule, EventBusName=names.event_bus, EventPattern=json.dumps({"source": [SOURCE]}))
        events.put_targets(Rule=rule, EventBusName=names.event_bus, Targets=[{"Id": "deliveries", "Arn": queue_arn}])
    kms = local_client("kms", endpoint, region)
    try:
        key_arn = str(kms.describe_key(KeyId=names.webhook_key_alias)["KeyMetadata"]["Arn"])
    except kms.exceptions.NotFoundException:
        key = kms.create_key(Description="Seals webhook secrets (backend/adapters/webhooks.py)")["KeyMetadata"]
        kms.create_alias(AliasName=names.webhook_key_alias, TargetKeyId=key["KeyId"])
        key_arn = str(key["Arn"])
    return key_arn


def bootstrap(*, endpoint: str, region: str, stage: str, app_url: str = "http://localhost:3000") -> LocalOutputs:
    """Tables, user pool + app client, SES sender, attachments bucket (CORS), the reminders' schedule group, the
    link-signing secret, the webhooks' bus, queues and key."""
    names = ResourceNames(stage)
    configure_models(names=names, region=region, endpoint=endpoint)
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True)
    # data from before shared projects (a restored snapshot): its missing index and attributes (decision §31)
    migrate(
        local_client("dynamodb", endpoint, region),
        users_table=names.users_table,
        tasks_table=names.tasks_table,
        create_indexes=True,
    )
    _ensure_ttl(local_client("dynamodb", endpoint, region), names.tasks_table)
    _ensure_ttl(local_client("dynamodb", endpoint, region), names.users_table)  # deleted accounts' markers
    _ensure_attachments_bucket(local_client("s3", endpoint, region), names, [app_url, *LOCAL_APP_ORIGINS])
    _ensure_inbound_mail_bucket(local_client("s3", endpoint, region), names)
    _ensure_stream(local_client("dynamodb", endpoint, region), names.tasks_table)
    _ensure_stream(local_client("dynamodb", endpoint, region), names.notifications_table)  # live updates (the bell)
    _ensure_idempotency_table(local_client("dynamodb", endpoint, region), names)
    local_client("ses", endpoint, region).verify_email_identity(EmailAddress=LOCAL_SENDER)
    _ensure_schedule_group(local_client("scheduler", endpoint, region), names)
    pool_id, client_id = _ensure_user_pool(local_client("cognito-idp", endpoint, region), names)
    key_arn = _ensure_webhook_plumbing(endpoint, region, names)
    return LocalOutputs(
        user_pool_id=pool_id,
        user_pool_client_id=client_id,
        link_signing_secret_arn=_ensure_link_signing_secret(local_client("secretsmanager", endpoint, region), names),
        webhook_key_id=key_arn,
    )
