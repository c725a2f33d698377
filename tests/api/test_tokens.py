"""The authorizer over HTTP: only a valid Cognito *access* token of *this* pool and app client gets in.

Each bad token below differs from a good one in one way only; the first test shows that a token minted the
same way but with nothing wrong is accepted, so each 401 is for the reason the test names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.client import ApiClient, ApiError, CognitoAuth, PublicConfig, Tokens
from backend.local.environment import LOCAL_REGION
from backend.local.testing import LocalRun
from tests.api.conftest import access_claims, assert_error_shape, claims_of, mint
from tests.conftest import PASSWORD, SignedInUser


def me(http: httpx.Client, token: str) -> httpx.Response:
    return http.get("/me", headers={"Authorization": f"Bearer {token}"})


def assert_unauthorized(response: httpx.Response) -> None:
    error = assert_error_shape(response, 401, "not_authenticated")
    assert error["fields"] == {}
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_real_access_token_is_accepted(http: httpx.Client, user: SignedInUser) -> None:
    response = http.get("/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_a_minted_token_with_nothing_wrong_is_accepted(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    response = me(http, mint(access_claims(local, sub)))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == sub


# --- no token or not a bearer token ----------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
        {"Authorization": "Token abc"},
        {"Authorization": "Bearer a b"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer a.b.c"},
        {"X-Api-Key": "whatever"},
    ],
    ids=lambda headers: repr(headers)[:40],
)
def test_no_or_malformed_authorization_is_401(http: httpx.Client, headers: dict[str, str]) -> None:
    assert_unauthorized(http.get("/me", headers=headers))


def test_a_token_in_the_query_string_is_not_accepted(http: httpx.Client, user: SignedInUser) -> None:
    assert_unauthorized(http.get("/me", params={"access_token": user.tokens.access_token}))


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/me"), ("DELETE", "/me")])
def test_every_method_needs_a_token(http: httpx.Client, method: str, path: str) -> None:
    assert_unauthorized(http.request(method, path, json={}))


# --- well-formed but not to be trusted --------------------------------------------------------------
def test_an_expired_token_is_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    hour_ago = int(time.time()) - 3600
    assert_unauthorized(
        me(http, mint(access_claims(local, sub, iat=hour_ago - 3600, auth_time=hour_ago, exp=hour_ago)))
    )
    # Just past the 5-second leeway is still expired.
    assert_unauthorized(me(http, mint(access_claims(local, sub, exp=int(time.time()) - 30))))


def test_a_token_from_the_future_is_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    later = int(time.time()) + 3600
    assert_unauthorized(me(http, mint(access_claims(local, sub, iat=later, exp=later + 3600))))


def test_a_forged_signature_is_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_unauthorized(me(http, mint(access_claims(local, sub), key=forger)))


def test_a_tampered_payload_is_401(
    http: httpx.Client, user: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    # Someone else's sub pasted into a real token: the signature no longer matches.
    other = make_user()
    header, _, signature = user.tokens.access_token.split(".")
    _, payload, _ = other.tokens.access_token.split(".")
    assert_unauthorized(me(http, f"{header}.{payload}.{signature}"))


def test_an_unknown_key_id_is_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    assert_unauthorized(me(http, mint(access_claims(local, sub), kid="not-in-the-jwks")))


def test_algorithm_tricks_are_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    claims = access_claims(local, claims_of(user.tokens.access_token)["sub"])
    unsigned = jwt.encode(claims, cast(Any, None), algorithm="none", headers={"kid": "dummy"})
    assert_unauthorized(me(http, unsigned))
    assert_unauthorized(me(http, unsigned.rstrip(".") + ".c2lnbmF0dXJl"))
    # HS256 keyed with something public (a classic confusion attack) is refused: only RS256 is allowed.
    assert_unauthorized(
        me(
            http,
            jwt.encode(claims, "public-key-as-secret-0123456789abcdef", algorithm="HS256", headers={"kid": "dummy"}),
        )
    )


def test_a_token_for_another_app_client_is_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    assert_unauthorized(me(http, mint(access_claims(local, sub, client_id="someotherclientid0123456789"))))


def test_a_real_token_of_another_app_client_of_the_pool_is_401(
    http: httpx.Client, local: LocalRun, cognito_admin: Any, user: SignedInUser
) -> None:
    # E.g. an admin tool's client in the same pool: same issuer, same keys, but not meant for this API.
    other_client = cognito_admin.create_user_pool_client(
        UserPoolId=local.outputs.user_pool_id,
        ClientName="another-app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    config = PublicConfig(
        region=LOCAL_REGION,
        user_pool_id=local.outputs.user_pool_id,
        user_pool_client_id=other_client,
        cognito_endpoint=local.endpoint,
    )
    tokens = CognitoAuth(config).sign_in(user.email, PASSWORD)
    assert isinstance(tokens, Tokens)
    assert claims_of(tokens.access_token)["client_id"] == other_client
    assert_unauthorized(me(http, tokens.access_token))


def test_the_id_token_is_not_an_access_token(http: httpx.Client, user: SignedInUser) -> None:
    assert claims_of(user.tokens.id_token)["token_use"] == "id"
    assert_unauthorized(me(http, user.tokens.id_token))


def test_the_refresh_token_is_not_an_access_token(http: httpx.Client, user: SignedInUser) -> None:
    assert_unauthorized(me(http, user.tokens.refresh_token))


def test_a_minted_id_token_is_401(http: httpx.Client, local: LocalRun, user: SignedInUser) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    claims = access_claims(local, sub, token_use="id", client_id=None, aud=local.outputs.user_pool_client_id)
    assert_unauthorized(me(http, mint(claims)))


@pytest.mark.parametrize(
    "issuer",
    [
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeOtherPool",
        "https://cognito-idp.eu-west-1.amazonaws.com/{pool}",
        "https://evil.example.com/{pool}",
        "http://127.0.0.1/{pool}",
    ],
)
def test_a_token_with_another_issuer_is_401(
    http: httpx.Client, local: LocalRun, user: SignedInUser, issuer: str
) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    claims = access_claims(local, sub, iss=issuer.format(pool=local.outputs.user_pool_id))
    assert_unauthorized(me(http, mint(claims)))


def test_a_real_token_of_another_user_pool_is_401(http: httpx.Client, local: LocalRun, cognito_admin: Any) -> None:
    # moto signs every pool's tokens with the same key, so only the issuer tells the pools apart.
    pool = cognito_admin.create_user_pool(PoolName="another-pool", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = cognito_admin.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito_admin.admin_create_user(UserPoolId=pool, Username="eve@example.com", MessageAction="SUPPRESS")
    cognito_admin.admin_set_user_password(
        UserPoolId=pool, Username="eve@example.com", Password=PASSWORD, Permanent=True
    )
    config = PublicConfig(
        region=LOCAL_REGION, user_pool_id=pool, user_pool_client_id=client, cognito_endpoint=local.endpoint
    )
    tokens = CognitoAuth(config).sign_in("eve@example.com", PASSWORD)
    assert isinstance(tokens, Tokens)
    assert_unauthorized(me(http, tokens.access_token))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "token_use", "client_id", "iss"])
def test_a_token_missing_a_required_claim_is_401(
    http: httpx.Client, local: LocalRun, user: SignedInUser, claim: str
) -> None:
    sub = claims_of(user.tokens.access_token)["sub"]
    assert_unauthorized(me(http, mint(access_claims(local, sub, **{claim: None}))))


def test_the_api_client_reports_401_as_an_api_error(api_url: str) -> None:
    with pytest.raises(ApiError) as caught:
        ApiClient(api_url, access_token="not-a-token").get_me()
    assert (caught.value.status, caught.value.code) == (401, "not_authenticated")
