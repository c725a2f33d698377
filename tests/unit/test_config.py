"""Settings fail at cold start outside the local stage when the stack did not pass a required value (issue 12)."""

from __future__ import annotations

import os

import pytest

from backend.config import MESSAGING, SCHEDULING, MissingSettingError, Settings

AWS_ENV = {
    "TMP_STAGE": "prod",
    "TMP_USER_POOL_ID": "us-east-1_pool",
    "TMP_USER_POOL_CLIENT_ID": "client",
    "TMP_APP_URL": "https://tasks.example.com",
    "TMP_REMINDER_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:taskmanager-pro-prod-reminders:live",
    "TMP_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
    "TMP_EMAIL_SENDER": "no-reply@example.com",
    "TMP_LINK_SIGNING_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:taskmanager-pro-prod-link",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other modules' local runs export TMP_* into this process: each test starts from none.
    for name in list(os.environ):
        if name.startswith("TMP_"):
            monkeypatch.delenv(name)


def settings_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()  # type: ignore[call-arg]


def test_in_aws_every_setting_given_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, AWS_ENV)
    settings.require(*SCHEDULING, *MESSAGING)
    assert settings.app_url == "https://tasks.example.com"
    assert settings.link_signing_secret_id == AWS_ENV["TMP_LINK_SIGNING_SECRET_ARN"]


def test_in_aws_a_missing_app_url_fails_at_once_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in AWS_ENV.items() if k != "TMP_APP_URL"}
    with pytest.raises(MissingSettingError, match="TMP_APP_URL"):
        settings_with(monkeypatch, env)


@pytest.mark.parametrize(
    "variable",
    ["TMP_REMINDER_TARGET_ARN", "TMP_SCHEDULER_ROLE_ARN", "TMP_EMAIL_SENDER", "TMP_LINK_SIGNING_SECRET_ARN"],
)
def test_in_aws_a_function_missing_what_it_needs_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    settings = settings_with(monkeypatch, {k: v for k, v in AWS_ENV.items() if k != variable})
    with pytest.raises(MissingSettingError, match=variable) as failure:
        settings.require(*SCHEDULING, *MESSAGING)
    assert "arn:aws" not in str(failure.value)  # names the variable, never echoes values


def test_locally_the_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(
        monkeypatch, {"TMP_STAGE": "local", "TMP_USER_POOL_ID": "pool", "TMP_USER_POOL_CLIENT_ID": "client"}
    )
    settings.require(*SCHEDULING, *MESSAGING)
    assert settings.app_url == "http://localhost:3000"
    assert settings.reminder_target_arn.endswith(":function:local-reminders")
    assert settings.link_signing_secret_id == "taskmanager-pro-local-link-signing"  # backend/local creates it
