"""Message headers built from user text (a task title) stay one header each; a message that cannot be built is a
permanent send failure, not an exception escaping the sender."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from backend.adapters.messaging import SesMailer, mime
from backend.domain.notifications import Email, SendFailedError, one_line
from backend.services.email_templates import reminder_email


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Buy milk\r\nand eggs", "Buy milk and eggs"),
        ("a\nBcc: x@example.com", "a Bcc: x@example.com"),
        ("tab\tnul\x00esc\x1b[0m  end ", "tab nul esc [0m end"),
        ("line\u2028para\u2029next\x85", "line para next"),
        ("Café 🎉 ok", "Café 🎉 ok"),
    ],
)
def test_one_line(raw: str, clean: str) -> None:
    assert one_line(raw) == clean


def test_a_title_with_line_breaks_stays_inside_the_subject() -> None:
    subject, _, _ = reminder_email(
        title="Pay\r\nBcc: evil@example.com\r\n\r\nbody", when="today", complete_url="c", open_url="o",
        unsubscribe_url="u",
    )  # fmt: skip
    raw = mime(Email(to="ann@example.com", subject=subject, text="t", html="<p>h</p>"), sender="app@example.com")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Reminder: Pay Bcc: evil@example.com body"
    assert parsed["Bcc"] is None
    assert parsed.is_multipart()


def test_an_address_with_a_line_break_is_a_permanent_failure() -> None:
    class Unreachable:
        def send_raw_email(self, **_: object) -> dict[str, str]:
            raise AssertionError("nothing may be sent")

    mailer = SesMailer(client=Unreachable(), sender="app@example.com")
    with pytest.raises(SendFailedError) as failed:
        mailer.send(Email(to="ann@example.com\r\nBcc: x@example.com", subject="s", text="t", html="h"))
    assert failed.value.transient is False
    assert failed.value.attempts == 0
    assert "not a deliverable address" in failed.value.detail
