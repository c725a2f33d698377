"""Settings of the backend, from the environment (``TMP_*``), validated once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.domain.attachments import DEFAULT_ALLOWED_TYPES, GIB, MIB, Limits
from backend.names import ResourceNames


class Settings(BaseSettings):
    """Everything the Lambdas need to know about their environment.

    In AWS the CDK stack sets these variables; locally ``backend.local`` sets them after its bootstrap.
    A missing pool id fails at cold start, not at the first request.
    """

    model_config = SettingsConfigDict(env_prefix="TMP_", frozen=True, extra="ignore")

    stage: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{0,20}$")
    region: str = "us-east-1"
    # The embedded local AWS; None in AWS, where boto3 uses the real endpoints.
    aws_endpoint_url: str | None = None
    user_pool_id: str = Field(min_length=1)
    user_pool_client_id: str = Field(min_length=1)
    # The public URL of the web app, used in links sent to users.
    app_url: str = "http://localhost:3000"
    # Attachments: one set of limits for the API, the presigned POST policy and the processor.
    attachment_max_bytes: int = Field(default=25 * MIB, ge=1, le=5 * GIB)
    attachment_quota_bytes: int = Field(default=GIB, ge=1)
    attachment_allowed_types: tuple[str, ...] = DEFAULT_ALLOWED_TYPES  # JSON list in TMP_ATTACHMENT_ALLOWED_TYPES
    attachment_max_image_pixels: int = Field(default=40_000_000, ge=1)
    # Reminders (issue 5). The Scheduler invokes ``reminder_target_arn`` (the reminders Lambda) as
    # ``scheduler_role_arn``; locally both are placeholders the local poller ignores.
    reminder_target_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local-reminders"
    scheduler_role_arn: str = "arn:aws:iam::000000000000:role/local-scheduler"
    email_sender: str = "no-reply@taskmanager.local"  # a verified SES identity
    # Signs the links in emails (unsubscribe, complete). Locally generated once (.local/); in AWS from Secrets Manager.
    link_signing_secret: SecretStr = Field(default=SecretStr(""), repr=False)
    # The public URL of the API (links in emails point at it); defaults to ``app_url`` + /api.
    api_url: str | None = None
    # The Powertools idempotency records of ``Idempotency-Key`` requests; defaults to this stage's table.
    idempotency_table: str | None = Field(default=None, min_length=3, max_length=255)
    # Live updates (backend/handlers/live.py): the Redis the Reflex backend subscribes to, as ``LIVE_REDIS_URL``
    # (no credentials in it); in AWS the AUTH token is read at cold start from the Secrets Manager secret
    # ``LIVE_REDIS_AUTH_SECRET`` (its ARN). No URL: nothing is published.
    live_redis_url: str | None = Field(default=None, validation_alias="LIVE_REDIS_URL")
    live_redis_auth_secret: str | None = Field(default=None, validation_alias="LIVE_REDIS_AUTH_SECRET")

    @property
    def public_api_url(self) -> str:
        return (self.api_url or f"{self.app_url.rstrip('/')}/api").rstrip("/")

    @property
    def idempotency_table_name(self) -> str:
        return self.idempotency_table or self.names.idempotency_table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def names(self) -> ResourceNames:
        return ResourceNames(self.stage)

    @property
    def attachment_limits(self) -> Limits:
        return Limits(
            max_bytes=self.attachment_max_bytes,
            quota_bytes=self.attachment_quota_bytes,
            allowed_types=self.attachment_allowed_types,
            max_image_pixels=self.attachment_max_image_pixels,
        )

    @property
    def is_local(self) -> bool:
        return self.aws_endpoint_url is not None

    @property
    def cognito_issuer(self) -> str:
        # Cognito (and the local emulator) always issue tokens with the AWS issuer URL.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def cognito_jwks_url(self) -> str:
        base = self.aws_endpoint_url.rstrip("/") if self.aws_endpoint_url else self.cognito_issuer.rsplit("/", 1)[0]
        return f"{base}/{self.user_pool_id}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
