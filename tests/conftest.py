"""Fixtures shared by every tier: a fresh emulated AWS per test module, the local API over HTTP, users."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from backend.client import ApiClient, CognitoAuth, Tokens
from backend.local.testing import LocalRun, free_port, local_aws, serve_local_api

PASSWORD = "Correct-Horse-9"

# Tiers whose expensive fixtures are shared by every module in them (one Reflex app, one CDK synth).
SHARED_FIXTURE_TIERS = ("e2e", "infrastructure")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests that share fixtures on one xdist worker (``make test`` runs ``-n auto --dist loadgroup``):
    a module's own emulator, or the whole tier for the browser and CDK tests; groups are spread across workers."""
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        tier = parts[1] if len(parts) > 2 else ""
        group = tier if tier in SHARED_FIXTURE_TIERS else "/".join(parts)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRun]:
    """An isolated local AWS on a free port (never the one of a running ``make run``)."""
    with local_aws(port=free_port()) as run:
        yield run


@pytest.fixture(scope="module")
def api_url(local: LocalRun) -> Iterator[str]:
    """The local API (same handlers and authorizer as AWS) served over HTTP on a free port."""
    with serve_local_api(free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def auth(api_url: str) -> CognitoAuth:
    return CognitoAuth(ApiClient(api_url).config())


def latest_code(api_url: str, email: str) -> str:
    """The 6-digit code of the newest email to ``email`` in the local outbox."""
    for message in reversed(ApiClient(api_url).outbox()):
        if email in message.to:
            match = re.search(r"\b(\d{6})\b", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no code was emailed to {email}")


@dataclass(frozen=True)
class SignedInUser:
    email: str
    password: str
    tokens: Tokens

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.access_token}"}


@pytest.fixture(scope="module")
def make_user(api_url: str, auth: CognitoAuth) -> Callable[[], SignedInUser]:
    """Signs up, confirms (code from the outbox) and signs in a new user."""

    def make() -> SignedInUser:
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        auth.sign_up(email, PASSWORD)
        auth.confirm_sign_up(email, latest_code(api_url, email))
        tokens = auth.sign_in(email, PASSWORD)
        assert isinstance(tokens, Tokens)
        return SignedInUser(email=email, password=PASSWORD, tokens=tokens)

    return make
