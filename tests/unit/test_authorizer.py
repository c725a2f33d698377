"""The Lambda authorizer's answer to API Gateway: the policy shape, and "Unauthorized" for any bad token."""

from __future__ import annotations

from typing import Any

import pytest

from backend.adapters.tokens import InvalidTokenError, VerifiedCaller
from backend.handlers import authorizer
from backend.local.lambda_runtime import LocalContext

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/PATCH/me"


class StubVerifier:
    """Stands in for the JWKS verification (tested over HTTP in tests/api with real and forged tokens)."""

    def __init__(self, caller: VerifiedCaller | None) -> None:
        self.caller = caller
        self.seen: list[str] = []

    def verify(self, token: str) -> VerifiedCaller:
        self.seen.append(token)
        if self.caller is None:
            raise InvalidTokenError("bad signature")
        return self.caller


def call(event: dict[str, Any]) -> dict[str, Any]:
    context: Any = LocalContext(function_name="authorizer")  # the attributes of LambdaContext that are read
    result: dict[str, Any] = authorizer.lambda_handler(event, context)
    return result


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> StubVerifier:
    stub = StubVerifier(VerifiedCaller(sub="sub-1", username="sub-1", signed_in_at=1_800_000_000))
    monkeypatch.setattr(authorizer, "verifier", lambda: stub)
    return stub


@pytest.mark.parametrize(
    ("method_arn", "policy_resource"),
    [
        (METHOD_ARN, "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*"),
        (
            "arn:aws:execute-api:us-east-1:1:api/local/POST/tasks/01J/complete",
            "arn:aws:execute-api:us-east-1:1:api/local/*/*",
        ),
        ("arn:aws:execute-api:us-east-1:1:api/$default/GET/", "arn:aws:execute-api:us-east-1:1:api/$default/*/*"),
    ],
)
def test_the_policy_covers_every_route_of_the_stage(method_arn: str, policy_resource: str) -> None:
    # One policy per token for the whole stage, so API Gateway's authorizer cache can reuse it on any route.
    assert authorizer._any_route_of(method_arn) == policy_resource


def test_a_valid_token_gets_an_allow_policy_and_the_callers_sub(verifier: StubVerifier) -> None:
    answer = call({"type": "TOKEN", "authorizationToken": "Bearer tok.en.value", "methodArn": METHOD_ARN})
    assert verifier.seen == ["tok.en.value"]
    assert answer == {
        "principalId": "sub-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*",
                }
            ],
        },
        "context": {"sub": "sub-1", "username": "sub-1", "auth_time": 1_800_000_000},
    }


@pytest.mark.parametrize("header", ["", "tok.en.value", "Basic dXNlcjpwYXNz", "Bearer"])
def test_no_bearer_token_is_unauthorized_without_verifying(verifier: StubVerifier, header: str) -> None:
    # API Gateway answers 401 only for this exact message; any other exception becomes a 500.
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        call({"type": "TOKEN", "authorizationToken": header, "methodArn": METHOD_ARN})
    assert verifier.seen == []


def test_a_rejected_token_is_unauthorized(verifier: StubVerifier) -> None:
    verifier.caller = None
    with pytest.raises(Exception, match=r"^Unauthorized$") as caught:
        call({"type": "TOKEN", "authorizationToken": "Bearer forged", "methodArn": METHOD_ARN})
    assert caught.value.__cause__ is None  # the reason stays in our logs
    assert caught.value.__suppress_context__
