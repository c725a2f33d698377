"""Creates the local resources the way the CDK stack defines them (names from ``backend.names``). Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from backend.adapters.dynamodb import MODELS, configure_models
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


def _client(service: str, endpoint: str, region: str) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=region,
        **LOCAL_CREDENTIALS,
    )


def _ensure_user_pool(cognito: Any, names: ResourceNames) -> LocalOutputs:
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
    return LocalOutputs(user_pool_id=pool_id, user_pool_client_id=client_id)


def _ensure_stream(dynamodb: Any, table: str) -> None:
    """The Tasks stream (analytics), also on a table restored from a snapshot taken before it existed."""
    if "StreamSpecification" not in dynamodb.describe_table(TableName=table)["Table"]:
        dynamodb.update_table(
            TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        )


def bootstrap(*, endpoint: str, region: str, stage: str) -> LocalOutputs:
    """Tables, user pool + app client, SES sender."""
    names = ResourceNames(stage)
    configure_models(names=names, region=region, endpoint=endpoint)
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True)
    _ensure_stream(_client("dynamodb", endpoint, region), names.tasks_table)
    _client("ses", endpoint, region).verify_email_identity(EmailAddress=LOCAL_SENDER)
    return _ensure_user_pool(_client("cognito-idp", endpoint, region), names)
