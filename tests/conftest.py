"""Fixtures shared by every tier: a fresh emulated AWS per test module, the local API over HTTP, users."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from backend.client import ApiClient, CognitoAuth, Tokens
from backend.local.testing import LocalRun, free_port, local_aws, serve_local_api

PASSWORD = "Correct-Horse-9"

# Tiers whose expensive fixtures are shared by every module in them (one Reflex app, one CDK synth).
SHARED_FIXTURE_TIERS = ("e2e", "infrastructure")


def worker_group(nodeid: str) -> str:
    """The unit of work of one xdist worker: a test module (its own emulator), or a whole shared-fixture tier."""
    parts = nodeid.split("::", 1)[0].split("/")
    if len(parts) > 2 and parts[1] in SHARED_FIXTURE_TIERS:
        return "/".join(parts[:2])
    return "/".join(parts)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs ``pytest -n auto``: groups (see ``worker_group``) go whole to one worker each, so a module's
    emulator, the browser tests' app and the CDK synth are built once. (``--dist loadgroup`` with marks would say
    the same, but pytest 9.2 no longer lets xdist rename test ids, so its groups are silently ignored.)"""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # keep the collection order below: the longest group first

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]  # (xdist ships no type information)
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests first: they are the longest group (~3 min), so on several workers they start at once and the
    other groups fill the remaining workers around them, instead of one worker ending with them alone."""
    items.sort(key=lambda item: worker_group(item.nodeid) != "tests/e2e")  # stable: the order within stays


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRun]:
    """An isolated local AWS on a free port (never the one of a running ``make run``); without the webhook pipeline,
    which only tests/api/test_webhooks_api.py is about (it costs every task write a third more)."""
    with local_aws(port=free_port(), webhooks=False) as run:
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
