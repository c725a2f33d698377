"""The profile service with the real adapters (PynamoDB + Cognito admin API) on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from backend.bootstrap import Dependencies, dependencies
from backend.errors import NotFoundError, WrongPasswordError
from backend.local.testing import LocalRun
from backend.services import profiles
from tests.conftest import PASSWORD
from tests.integration.conftest import new_email, sub_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def deps(local: LocalRun) -> Dependencies:
    return dependencies()  # built from the environment local_aws exported, as a Lambda cold start does


def admin_created_user(cognito_admin: Any, local: LocalRun) -> tuple[str, str]:
    """A user an administrator created and confirmed: Cognito runs no post-confirmation trigger for it."""
    email = new_email()
    pool = local.outputs.user_pool_id
    cognito_admin.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito_admin.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return email, sub_of(cognito_admin, local, email)


def test_the_directory_knows_confirmed_users_by_sub(
    deps: Dependencies, cognito_admin: Any, local: LocalRun, confirmed_user: Callable[[], str]
) -> None:
    email = confirmed_user()
    assert deps.identity.email_of(sub_of(cognito_admin, local, email)) == email
    assert deps.identity.email_of("00000000-0000-0000-0000-000000000000") is None


def test_a_user_without_a_row_gets_one_on_first_read(deps: Dependencies, cognito_admin: Any, local: LocalRun) -> None:
    email, sub = admin_created_user(cognito_admin, local)
    assert deps.users.get(sub) is None
    user = profiles.get_profile(users=deps.users, identity=deps.identity, user_id=sub, now=NOW)
    assert (user.id, user.email, user.version) == (sub, email, 1)
    assert deps.users.get(sub) == user


def test_an_unknown_sub_is_not_found(deps: Dependencies) -> None:
    with pytest.raises(NotFoundError):
        profiles.get_profile(users=deps.users, identity=deps.identity, user_id="no-such-sub", now=NOW)
    assert deps.users.get("no-such-sub") is None


def test_the_directory_checks_passwords(deps: Dependencies, cognito_admin: Any, local: LocalRun) -> None:
    _, sub = admin_created_user(cognito_admin, local)
    assert deps.identity.password_matches(sub, PASSWORD) is True
    assert deps.identity.password_matches(sub, "Not-The-Password-1") is False
    # The app client hides which users exist (PreventUserExistenceErrors): no user is a wrong password too.
    assert deps.identity.password_matches("00000000-0000-0000-0000-000000000000", PASSWORD) is False


def test_delete_account_removes_identity_and_leaves_a_marker(
    deps: Dependencies, cognito_admin: Any, local: LocalRun, confirmed_user: Callable[[], str]
) -> None:
    email = confirmed_user()
    sub = sub_of(cognito_admin, local, email)
    assert deps.users.get(sub) is not None  # made by the post-confirmation trigger
    erased: list[str] = []
    profiles.delete_account(
        users=deps.users, identity=deps.identity, user_id=sub, password=PASSWORD, now=NOW, erase_data=erased.append
    )
    assert erased == [sub]
    with pytest.raises(ClientError) as caught:
        cognito_admin.admin_get_user(UserPoolId=local.outputs.user_pool_id, Username=email)
    assert caught.value.response["Error"]["Code"] == "UserNotFoundException"
    marker = deps.users.get(sub)
    assert marker is not None
    assert (marker.email, marker.deleted_at, marker.sessions_valid_after) == ("", NOW, NOW)
    # A retried delete finds no account to re-authenticate with (over HTTP the old token is refused first: 401).
    with pytest.raises(WrongPasswordError):
        profiles.delete_account(
            users=deps.users, identity=deps.identity, user_id=sub, password=PASSWORD, now=NOW, erase_data=erased.append
        )
    assert erased == [sub]
