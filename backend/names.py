"""One definition of every AWS resource name, shared by the local bootstrap and the CDK app.

Local and AWS cannot drift because both build their names here.
"""

from __future__ import annotations

from dataclasses import dataclass

APP_SLUG = "taskmanager-pro"
APP_DISPLAY_NAME = "TaskManager Pro"
LOCAL_STAGE = "local"  # the embedded local AWS (backend/local); every other stage is a deployment in AWS


@dataclass(frozen=True)
class ResourceNames:
    """Names of the stateful resources of one stage (``local``, ``dev``, ``prod``...)."""

    stage: str

    def _name(self, suffix: str) -> str:
        return f"{APP_SLUG}-{self.stage}-{suffix}"

    @property
    def users_table(self) -> str:
        return self._name("users")

    @property
    def tasks_table(self) -> str:
        return self._name("tasks")

    @property
    def notifications_table(self) -> str:
        return self._name("notifications")

    @property
    def idempotency_table(self) -> str:
        """Powertools idempotency records (``Idempotency-Key`` on POST /api/tasks), expiring by TTL."""
        return self._name("idempotency")

    @property
    def user_pool(self) -> str:
        return self._name("users")

    @property
    def user_pool_client(self) -> str:
        return self._name("web")

    @property
    def attachments_bucket(self) -> str:
        return self._name("attachments")

    @property
    def inbound_mail_bucket(self) -> str:
        """Mail SES receives (issue 16: replies to reminders, email to task), read once by the inbound Lambda."""
        return self._name("inbound-mail")

    @property
    def schedule_group(self) -> str:
        return self._name("reminders")

    @property
    def project_moves_queue(self) -> str:
        """SQS: a project's first share, whose tasks a worker moves in the background (issue 13)."""
        return self._name("project-moves")

    @property
    def project_moves_dead_letters(self) -> str:
        return self._name("project-moves-dlq")

    @property
    def link_signing_secret(self) -> str:
        """The Secrets Manager secret the signing keys are derived from (signed links, SMS codes)."""
        return self._name("link-signing")

    @property
    def event_bus(self) -> str:
        """The app's EventBridge bus: task, comment and reminder events from the streams (webhooks, issue 16)."""
        return self._name("events")

    @property
    def webhook_queue(self) -> str:
        """SQS: the bus's events to fan out, then one message per delivery attempt (delayed until due)."""
        return self._name("webhook-deliveries")

    @property
    def webhook_dead_letter_queue(self) -> str:
        """SQS: deliveries dead-lettered after the retry schedule (a subscriber's endpoint down: no alarm)."""
        return self._name("webhook-dead-letters")

    @property
    def webhook_failures_queue(self) -> str:
        """SQS: the deliveries queue's redrive target, messages the function itself kept failing on (alarmed)."""
        return self._name("webhook-failures")

    @property
    def webhook_key_alias(self) -> str:
        """The KMS key that seals webhook secrets (the api encrypts, the delivery function decrypts)."""
        return f"alias/{self._name('webhook-secrets')}"
