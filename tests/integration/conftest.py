"""Integration fixtures: the Cognito flows and AWS clients on the module's emulator, without the HTTP API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import pytest

from backend.client import CognitoAuth, PublicConfig, Tokens
from backend.local.bootstrap import LOCAL_CREDENTIALS
from backend.local.environment import LOCAL_REGION, LOCAL_STAGE
from backend.local.server import OUTBOX_PATH
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.conftest import PASSWORD

USERS_TABLE = ResourceNames(LOCAL_STAGE).users_table


def aws_client(local: LocalRun, service: str) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=local.endpoint,
        region_name=LOCAL_REGION,
        **LOCAL_CREDENTIALS,
    )


def auth_for(local: LocalRun) -> CognitoAuth:
    """The UI's Cognito flows, configured as /api/config would configure them."""
    return CognitoAuth(
        PublicConfig(
            region=LOCAL_REGION,
            user_pool_id=local.outputs.user_pool_id,
            user_pool_client_id=local.outputs.user_pool_client_id,
            cognito_endpoint=local.endpoint,
        )
    )


def emailed_codes(local: LocalRun, email: str) -> list[str]:
    """Every 6-digit code emailed to ``email`` so far, oldest first (read from the emulator's outbox)."""
    messages = httpx.get(f"{local.endpoint}{OUTBOX_PATH}", timeout=10).json()
    codes = []
    for message in messages:
        match = re.search(r"\b(\d{6})\b", message["body"])
        if email in message["to"] and match:
            codes.append(match.group(1))
    return codes


def last_code(local: LocalRun, email: str) -> str:
    codes = emailed_codes(local, email)
    assert codes, f"no code was emailed to {email}"
    return codes[-1]


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def new_email() -> str:
    return f"it-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture(scope="module")
def cognito(local: LocalRun) -> CognitoAuth:
    return auth_for(local)


@pytest.fixture(scope="module")
def cognito_admin(local: LocalRun) -> Any:
    return aws_client(local, "cognito-idp")


@pytest.fixture(scope="module")
def dynamodb(local: LocalRun) -> Any:
    return aws_client(local, "dynamodb")


@pytest.fixture(scope="module")
def confirmed_user(local: LocalRun, cognito: CognitoAuth) -> Callable[[], str]:
    """Signs up and confirms a new user with the emailed code; returns the email."""

    def make() -> str:
        email = new_email()
        cognito.sign_up(email, PASSWORD)
        cognito.confirm_sign_up(email, last_code(local, email))
        return email

    return make


def sign_in(cognito: CognitoAuth, email: str, password: str = PASSWORD) -> Tokens:
    tokens = cognito.sign_in(email, password)
    assert isinstance(tokens, Tokens)
    return tokens


def sub_of(cognito_admin: Any, local: LocalRun, email: str) -> str:
    user = cognito_admin.admin_get_user(UserPoolId=local.outputs.user_pool_id, Username=email)
    return str(next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub"))
