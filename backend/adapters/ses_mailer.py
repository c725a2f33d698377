"""Email through SES (the local emulator's SES lands in the outbox)."""

from __future__ import annotations

from typing import Any


class SesMailer:
    def __init__(self, *, client: Any, sender: str) -> None:
        self._ses = client
        self._sender = sender

    def send(self, *, to: str, subject: str, text: str, html: str) -> str:
        """Sends one email; returns SES's message id."""
        response = self._ses.send_email(
            Source=self._sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        )
        return str(response["MessageId"])
