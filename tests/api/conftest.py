"""API-tier fixtures: signed-in users, raw AWS clients on the module's emulator, and forged tokens."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import jwt
import pytest
from moto.utilities.utils import load_resource

from backend.local.bootstrap import LOCAL_CREDENTIALS
from backend.local.environment import LOCAL_REGION
from backend.local.testing import LocalRun
from tests.conftest import SignedInUser


@pytest.fixture(scope="module")
def http(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def user(make_user: Callable[[], SignedInUser]) -> SignedInUser:
    return make_user()


def aws_client(local: LocalRun, service: str) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=local.endpoint,
        region_name=LOCAL_REGION,
        **LOCAL_CREDENTIALS,
    )


@pytest.fixture(scope="module")
def cognito_admin(local: LocalRun) -> Any:
    return aws_client(local, "cognito-idp")


@pytest.fixture(scope="module")
def dynamodb(local: LocalRun) -> Any:
    return aws_client(local, "dynamodb")


def assert_error_shape(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The answer is ``{"error": {"code", "message", "fields"}}`` (DESIGN.md) with ``status``; returns ``error``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


# --- tokens --------------------------------------------------------------------------------------
# moto signs every Cognito token with one static key that ships inside moto (kid "dummy") and serves its public half
# as every pool's JWKS. With the private half we mint tokens that are valid in every way but the one under test.
MOTO_SIGNING_KEY = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
MOTO_KID = "dummy"


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def access_claims(local: LocalRun, subject: str, /, **overrides: Any) -> dict[str, Any]:
    """The claims of a Cognito access token for ``subject``, as the pool would issue them now (None drops a claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": f"https://cognito-idp.{LOCAL_REGION}.amazonaws.com/{local.outputs.user_pool_id}",
        "sub": subject,
        "client_id": local.outputs.user_pool_client_id,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "username": subject,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def mint(claims: dict[str, Any], *, key: Any = None, kid: str = MOTO_KID, algorithm: str = "RS256") -> str:
    """A JWT with ``claims``, signed with moto's key unless another ``key`` is given."""
    return jwt.encode(
        claims, key if key is not None else MOTO_SIGNING_KEY.key, algorithm=algorithm, headers={"kid": kid}
    )
