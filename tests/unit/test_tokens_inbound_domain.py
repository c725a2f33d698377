"""Issue 16's pure rules: the API token format and scopes, answers to a reminder, the task address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain import api_tokens, inbound
from backend.domain.inbound import Done, Help, Snooze

NOW = datetime(2026, 3, 4, 10, 15, 30, tzinfo=UTC)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_minted_token_splits_back_and_only_its_secret_matches() -> None:
    new = api_tokens.mint(user_id="u1", name="cron", scopes=frozenset({"read"}), now=NOW)
    assert new.secret_token.startswith("tmp_")
    parts = api_tokens.split(new.secret_token)
    assert parts is not None
    token_id, secret = parts
    assert token_id == new.token.id
    assert secret not in new.token.secret_hash  # only the hash is kept
    assert api_tokens.matches(new.token, secret)
    assert not api_tokens.matches(new.token, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    for bad in ("tmp_", "tmp_x_y", new.secret_token + " ", "Bearer " + new.secret_token, new.secret_token[4:]):
        assert api_tokens.split(bad) is None


def test_scopes_and_the_last_used_cadence() -> None:
    read, write = frozenset({"read"}), frozenset({"read", "write"})
    assert api_tokens.allows(read, "GET")
    assert api_tokens.allows(read, "head")
    assert not any(api_tokens.allows(read, m) for m in ("POST", "PATCH", "PUT", "DELETE"))
    assert all(api_tokens.allows(write, m) for m in ("GET", "POST", "PATCH", "DELETE"))
    assert api_tokens.scopes_of(api_tokens.scopes_text(write)) == write
    assert api_tokens.due_for_last_used(None, NOW)
    assert not api_tokens.due_for_last_used(NOW - timedelta(seconds=59), NOW)
    assert api_tokens.due_for_last_used(NOW - timedelta(seconds=60), NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DONE", Done()),
        ("  done.\n\n> Reminder: x", Done()),
        ("Complete", Done()),
        ("SNOOZE 1h", Snooze(datetime(2026, 3, 4, 11, 15, tzinfo=UTC))),  # quick add keeps whole minutes
        ("snooze 30 min", Snooze(datetime(2026, 3, 4, 10, 45, tzinfo=UTC))),
        ("Snooze in 2 days", Snooze(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))),  # 9:00 Berlin
        ("snooze friday 3pm", Snooze(datetime(2026, 3, 6, 14, 0, tzinfo=UTC))),
        ("SNOOZE", Snooze(NOW + timedelta(hours=1))),
        ("TOMORROW", Snooze(datetime(2026, 3, 5, 8, 0, tzinfo=UTC))),
        ("snooze banana", Help()),
        ("snooze every day", Help()),  # a recurrence is no snooze
        ("snooze 999 years", Help()),
        ("thanks!", Help()),
        ("", Help()),
    ],
)
def test_answers_to_a_reminder(text: str, expected: inbound.Answer) -> None:
    assert inbound.parse_answer(text, now=NOW, tz=BERLIN) == expected


def test_the_task_address_is_found_only_at_our_domain() -> None:
    secret = inbound.new_secret()
    address = inbound.task_address(secret, "in.example.com")
    assert inbound.secret_of(address, "in.example.com") == secret
    assert inbound.secret_of(address.upper(), "in.example.com") == secret  # mail systems may change the case
    assert inbound.secret_of(address, "example.com") is None
    assert inbound.secret_of("reply@in.example.com", "in.example.com") is None
    assert inbound.secret_of(f"task-{secret[:-1]}@in.example.com", "in.example.com") is None
    assert inbound.new_secret() != secret
    assert inbound.recipients(["Ann <A@X.org>, b@y.org"]) == ["a@x.org", "b@y.org"]
    assert inbound.reply_key("email", "Ann@X.org") == inbound.reply_key("email", " ann@x.org ")
