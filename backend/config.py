"""Settings of the backend, from the environment (``TMP_*``), validated once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from pydantic import Field, computed_field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.domain.api_tokens import DEFAULT_REQUESTS_PER_MINUTE
from backend.domain.attachments import DEFAULT_ALLOWED_TYPES, GIB, MIB, Limits
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas
from backend.domain.rate_limits import DEFAULT_SMS_CODES_PER_DAY
from backend.domain.webhooks import RETRY_SCHEDULE, TIMEOUT_SECONDS
from backend.names import LOCAL_STAGE, ResourceNames

# What a function needs besides the settings every function gets; its handler requires them at cold start.
SCHEDULING = ("reminder_target_arn", "scheduler_role_arn")  # reminder schedules (api, reminders)
WEBHOOKS = ("webhook_queue_url", "webhook_dead_letter_url", "webhook_key_id")  # api, webhook deliveries
MESSAGING = ("email_sender", "link_signing_secret_arn")  # e-mails with signed links, SMS codes (api, reminders)
# Outside the local stage these must come from the environment: their defaults are local placeholders.
REQUIRED_IN_AWS = ("app_url",)


class MissingSettingError(RuntimeError):
    """A deployed function lacks a setting the stack should have passed (names the variables, never values)."""


class Settings(BaseSettings):
    """Everything the Lambdas need to know about their environment.

    In AWS the CDK stack sets these variables; locally ``backend.local`` sets them after its bootstrap.
    A missing pool id fails at cold start, not at the first request. Outside the local stage the placeholders below
    (localhost, fake ARNs) are never used: ``REQUIRED_IN_AWS`` fails when the settings are read, and each handler
    calls ``require`` for what else it uses (``SCHEDULING``, ``MESSAGING``): the api on import, reminders first thing.
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
    # What one account may hold (backend/domain/quotas.py); tests set them low through TMP_QUOTA_*.
    quota_tasks: int = Field(default=DEFAULT_QUOTAS.tasks, ge=1)
    quota_open_tasks: int = Field(default=DEFAULT_QUOTAS.open_tasks, ge=1)
    quota_projects: int = Field(default=DEFAULT_QUOTAS.projects, ge=1)
    quota_labels: int = Field(default=DEFAULT_QUOTAS.labels, ge=1)
    quota_tasks_with_reminders: int = Field(default=DEFAULT_QUOTAS.tasks_with_reminders, ge=1)
    # SMS codes a day, all users together (backend/domain/rate_limits.py). At most 20 000: the stamps of a day are one
    # DynamoDB item (~11 bytes each, 400 KB at most).
    sms_codes_per_day: int = Field(default=DEFAULT_SMS_CODES_PER_DAY, ge=1, le=20_000)
    # The domain SES receives mail for (issue 16): task addresses task-<secret>@ and the reply address reply@.
    inbound_email_domain: str = Field(default="in.taskmanager.local", pattern=r"^[a-z0-9.-]{3,200}$")
    # Requests a minute per personal API token (issue 16); tests set it low.
    api_token_requests_per_minute: int = Field(default=DEFAULT_REQUESTS_PER_MINUTE, ge=1, le=600)
    # Reminders (issue 5). The Scheduler invokes ``reminder_target_arn`` (the reminders Lambda) as
    # ``scheduler_role_arn``; locally both are placeholders the local poller ignores.
    reminder_target_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local-reminders"
    scheduler_role_arn: str = "arn:aws:iam::000000000000:role/local-scheduler"
    email_sender: str = "no-reply@taskmanager.local"  # a verified SES identity
    # The Secrets Manager secret (ARN) the signing keys are derived from: links in e-mails, SMS codes
    # (backend/domain/signing_keys.py). Read at run time, never an environment value. Locally: the stage's name.
    link_signing_secret_arn: str | None = None
    # The public URL of the API (links in emails point at it); defaults to ``app_url`` + /api.
    api_url: str | None = None
    # The Powertools idempotency records of ``Idempotency-Key`` requests; defaults to this stage's table.
    idempotency_table: str | None = Field(default=None, min_length=3, max_length=255)
    # The SQS queue of project moves (a large project's first share moves its tasks in the background, issue 13);
    # None: every share moves its project within the request.
    move_queue_url: str | None = None
    # Live updates (backend/handlers/live.py): the Redis the Reflex backend subscribes to, as ``LIVE_REDIS_URL``
    # (no credentials in it); in AWS the AUTH token is read at cold start from the Secrets Manager secret
    # ``LIVE_REDIS_AUTH_SECRET`` (its ARN). No URL: nothing is published.
    live_redis_url: str | None = Field(default=None, validation_alias="LIVE_REDIS_URL")
    live_redis_auth_secret: str | None = Field(default=None, validation_alias="LIVE_REDIS_AUTH_SECRET")
    # Webhooks (issue 16): the bus the stream consumer publishes to, the deliveries queue and its dead letters (URLs),
    # the KMS key that seals the secrets. Locally: the emulator's, by the stage's names.
    event_bus_name: str | None = None
    webhook_queue_url: str | None = None
    webhook_dead_letter_url: str | None = None
    webhook_key_id: str | None = None
    # Local runs only (refused in any other stage): a webhook may call http://127.0.0.1 (a receiver on this machine).
    webhook_allow_loopback: bool = False
    # Seconds before each retry (JSON list in TMP_WEBHOOK_RETRY_SCHEDULE; tests shorten it); the POST's timeout.
    webhook_retry_schedule: tuple[float, ...] = Field(default=RETRY_SCHEDULE, min_length=1, max_length=30)
    webhook_timeout_seconds: float = Field(default=TIMEOUT_SECONDS, gt=0, le=30)

    @model_validator(mode="after")
    def _required_in_aws(self) -> Self:
        self.require(*REQUIRED_IN_AWS)
        if self.webhook_allow_loopback and self.stage != LOCAL_STAGE:
            # an SSRF door: never outside a local run, whatever the environment says
            raise ValueError("TMP_WEBHOOK_ALLOW_LOOPBACK is for the local stage only")
        return self

    def require(self, *fields: str) -> None:
        """Outside the local stage, fail naming every one of ``fields`` the environment did not set."""
        if self.stage == LOCAL_STAGE:
            return
        missing = [f for f in fields if f not in self.model_fields_set or getattr(self, f) in (None, "")]
        if missing:
            variables = ", ".join(_variable(f) for f in missing)
            raise MissingSettingError(f"{variables} must be set for stage {self.stage!r} (the stack passes it)")

    @property
    def link_signing_secret_id(self) -> str:
        # Without the ARN: the stage's secret by name (local; the functions that read it in AWS require the ARN).
        return self.link_signing_secret_arn or self.names.link_signing_secret

    @property
    def public_api_url(self) -> str:
        return (self.api_url or f"{self.app_url.rstrip('/')}/api").rstrip("/")

    @property
    def event_bus(self) -> str:
        return self.event_bus_name or self.names.event_bus

    @property
    def webhook_key(self) -> str:
        return self.webhook_key_id or self.names.webhook_key_alias

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
    def quotas(self) -> Quotas:
        return Quotas(
            tasks=self.quota_tasks,
            open_tasks=self.quota_open_tasks,
            projects=self.quota_projects,
            labels=self.quota_labels,
            tasks_with_reminders=self.quota_tasks_with_reminders,
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


def _variable(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"TMP_{field.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
