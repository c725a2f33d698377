"""Issue 16's pure rules: the API token format and scopes, answers to a reminder, the task address."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain import api_tokens, inbound
from backend.domain.inbound import Done, Help, Snooze
from backend.errors import (
    ForbiddenError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    QuotaExceededError,
    TooManyRequestsError,
)
from backend.services import api_tokens as service
from tests.unit.test_rate_limits import Store

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


# --- the token service with small fakes of its ports -----------------------------------------------------------------
class Tokens:
    """ApiTokens in a dict, counting the "last used" writes."""

    def __init__(self) -> None:
        self.rows: dict[str, api_tokens.ApiToken] = {}
        self.touches = 0

    def add(self, token: api_tokens.ApiToken) -> None:
        self.rows[token.id] = token

    def list_for(self, user_id: str) -> list[api_tokens.ApiToken]:
        return [t for t in self.rows.values() if t.user_id == user_id]

    def own(self, user_id: str, token_id: str) -> api_tokens.ApiToken | None:
        token = self.rows.get(token_id)
        return token if token is not None and token.user_id == user_id else None

    def by_id(self, token_id: str) -> api_tokens.ApiToken | None:
        return self.rows.get(token_id)

    def revoke(self, user_id: str, token_id: str) -> bool:
        return self.rows.pop(token_id, None) is not None if self.own(user_id, token_id) else False

    def touch(self, user_id: str, token_id: str, *, now: datetime, not_since: datetime) -> bool:
        token = self.rows[token_id]
        if token.last_used_at is not None and token.last_used_at >= not_since:
            return False
        self.rows[token_id] = dataclasses.replace(token, last_used_at=now)
        self.touches += 1
        return True


def test_the_token_service_caps_checks_limits_and_writes_last_used_once_a_minute() -> None:
    tokens, limits = Tokens(), Store()
    made = [
        service.create(tokens=tokens, user_id="u1", name=f"t{i}", scopes=["read"], now=NOW)
        for i in range(api_tokens.MAX_TOKENS_PER_USER)
    ]
    with pytest.raises(QuotaExceededError):
        service.create(tokens=tokens, user_id="u1", name="one too many", scopes=["read"], now=NOW)
    with pytest.raises(InvalidInputError):
        service.create(tokens=tokens, user_id="u2", name="x", scopes=["write"], now=NOW)
    caller = service.verify(tokens=tokens, credential=made[0].secret_token)
    assert (caller.user_id, caller.token_id, caller.scopes) == ("u1", made[0].token.id, frozenset({"read"}))
    with pytest.raises(service.InvalidApiTokenError):
        service.verify(tokens=tokens, credential=made[0].secret_token[:-2] + "xx")

    def admit(method: str, at: datetime, token: int = 0) -> None:
        service.admit(
            tokens=tokens, limits=limits, user_id="u1", token_id=made[token].token.id, method=method, per_minute=3,
            now=at,
        )  # fmt: skip

    admit("GET", NOW)
    admit("GET", NOW + timedelta(seconds=10))
    assert tokens.touches == 1  # not on every call
    with pytest.raises(ForbiddenError):
        admit("POST", NOW + timedelta(seconds=11))  # a read token
    admit("GET", NOW + timedelta(seconds=12))  # the refused POST took no slot: this is the third
    with pytest.raises(TooManyRequestsError) as refused:
        admit("GET", NOW + timedelta(seconds=13))  # 3 a minute
    assert refused.value.retry_after == 47
    admit("GET", NOW + timedelta(seconds=61))  # the window moved on
    assert tokens.touches == 2
    admit("GET", NOW + timedelta(seconds=62), token=1)  # another token: its own limit
    service.revoke(tokens=tokens, user_id="u1", token_id=made[0].token.id)
    with pytest.raises(NotAuthenticatedError):
        admit("GET", NOW + timedelta(seconds=63))
    with pytest.raises(NotFoundError):
        service.revoke(tokens=tokens, user_id="u2", token_id=made[1].token.id)  # another user's
