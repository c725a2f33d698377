"""Sending: SES email (MIME: plain text + HTML, List-Unsubscribe headers) and SNS SMS.

A send that fails transiently (throttling, 5xx, a dropped connection) is retried with exponential backoff on top
of botocore's own retries; what still fails, or fails permanently (a rejected message), raises ``SendFailedError``
with the reason, which the caller records on the notification row. So does a message that cannot be built (an
address with a line break in it): nothing that fails here may look like a send.

Header values are made one line (``one_line``) whatever the caller passes: a line break in a Subject would end the
header and turn the rest into another header or into the body.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.errors import MessageError
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from backend.domain.notifications import Email, SendFailedError, one_line
from backend.names import APP_DISPLAY_NAME

T = TypeVar("T")

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def _transient(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return str(error.get("Code", "")) in TRANSIENT_CODES or status >= 500
    return isinstance(exc, ConnectionError | HTTPClientError | BotoCoreError)


def with_backoff(send: Callable[[], T], *, attempts: int, base_delay: float, sleep: Callable[[float], None]) -> T:
    """``send()``, retried on transient errors: base, 2x base, 4x base ... between attempts."""
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except (ClientError, BotoCoreError) as exc:
            transient = _transient(exc)
            if not transient or attempt == attempts:
                raise SendFailedError(
                    f"{type(exc).__name__}: {exc}"[:500], attempts=attempt, transient=transient
                ) from exc
            sleep(base_delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _address(value: str) -> str:
    if one_line(value) != value or "@" not in value:
        raise ValueError(f"not a deliverable address: {value!r}")
    return value


def mime(email: Email, *, sender: str) -> bytes:
    """The raw message; ``ValueError`` / ``email.errors.MessageError`` for one that cannot be built."""
    message = MIMEMultipart("alternative")
    message["Subject"] = one_line(email.subject)
    message["From"] = formataddr((APP_DISPLAY_NAME, _address(sender)))
    message["To"] = _address(email.to)
    if email.reply_to:
        message["Reply-To"] = _address(email.reply_to)
    if email.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{one_line(email.unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(MIMEText(email.text, "plain", "utf-8"))
    message.attach(MIMEText(email.html, "html", "utf-8"))
    return message.as_bytes()


class SesMailer:
    def __init__(
        self,
        *,
        client: Any,
        sender: str,
        attempts: int = 4,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._sender = sender
        self._attempts = attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def send(self, email: Email) -> tuple[str, int]:
        """(message id, attempts used); raises ``SendFailedError``."""
        try:
            raw = mime(email, sender=self._sender)
        except (ValueError, MessageError) as exc:  # permanent: the same message fails the same way again
            raise SendFailedError(f"{type(exc).__name__}: {exc}"[:500], attempts=0, transient=False) from exc
        attempts = 0

        def once() -> str:
            nonlocal attempts
            attempts += 1
            answer = self._client.send_raw_email(Source=self._sender, Destinations=[email.to], RawMessage={"Data": raw})
            return str(answer["MessageId"])

        message_id = with_backoff(once, attempts=self._attempts, base_delay=self._base_delay, sleep=self._sleep)
        return message_id, attempts


class SnsTexter:
    def __init__(
        self, *, client: Any, attempts: int = 3, base_delay: float = 0.2, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._attempts = attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def send(self, phone: str, text: str) -> tuple[str, int]:
        attempts = 0

        def once() -> str:
            nonlocal attempts
            attempts += 1
            answer = self._client.publish(
                PhoneNumber=phone,
                Message=text[:160],
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
            return str(answer["MessageId"])

        message_id = with_backoff(once, attempts=self._attempts, base_delay=self._base_delay, sleep=self._sleep)
        return message_id, attempts
