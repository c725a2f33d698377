"""Profile use cases against small in-memory fakes of the ports (no AWS)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from backend.adapters.ports import IdentityDirectory, UserRepository
from backend.domain.users import User, deleted_marker
from backend.errors import ConflictError, NotAuthenticatedError, NotFoundError, WrongPasswordError
from backend.schemas import ProfileUpdate
from backend.services import profiles

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


class FakeUsers:
    """A UserRepository with DynamoDB's semantics: conditional create, optimistic locking, version bump."""

    def __init__(self, log: list[tuple[str, str]] | None = None) -> None:
        self.rows: dict[str, User] = {}
        self.log = log if log is not None else []

    def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)

    def add(self, user: User) -> User:
        if user.id in self.rows:
            return self.rows[user.id]
        self.rows[user.id] = replace(user, version=1)
        return self.rows[user.id]

    def save(self, user: User) -> User:
        stored = self.rows.get(user.id)
        if stored is None or stored.version != user.version:
            raise ConflictError("changed meanwhile")
        self.rows[user.id] = replace(user, version=user.version + 1)
        return self.rows[user.id]

    def delete(self, user_id: str) -> None:
        self.log.append(("users.delete", user_id))
        self.rows.pop(user_id, None)


class FakeDirectory:
    """An IdentityDirectory: confirmed users' emails by ``sub``."""

    def __init__(self, log: list[tuple[str, str]] | None = None, *, fail_delete: bool = False) -> None:
        self.emails: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self.log = log if log is not None else []
        self.fail_delete = fail_delete

    def email_of(self, user_id: str) -> str | None:
        return self.emails.get(user_id)

    def user_id_of(self, email: str) -> str | None:
        return next((user_id for user_id, known in self.emails.items() if known == email), None)

    def delete_user(self, user_id: str) -> None:
        self.log.append(("identity.delete", user_id))
        if self.fail_delete:
            raise RuntimeError("Cognito is unreachable")
        self.emails.pop(user_id, None)

    def password_matches(self, user_id: str, password: str) -> bool:
        self.log.append(("identity.password", user_id))
        return self.passwords.get(user_id) == password

    def sign_out_everywhere(self, user_id: str) -> None:
        self.log.append(("identity.sign_out", user_id))


@pytest.fixture
def users() -> FakeUsers:
    return FakeUsers()


@pytest.fixture
def identity() -> FakeDirectory:
    directory = FakeDirectory()
    directory.emails["sub-1"] = "ada@example.com"
    return directory


def test_the_fakes_implement_the_ports() -> None:
    # mypy checks the assignments; this fails if a port gains a method the fakes lack.
    repository: UserRepository = FakeUsers()
    directory: IdentityDirectory = FakeDirectory()
    assert repository.get("x") is None
    assert directory.email_of("x") is None


def test_register_creates_the_row(users: FakeUsers) -> None:
    user = profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    assert users.rows["sub-1"] == user
    assert user.display_name == "ada"
    assert user.created_at == NOW


def test_register_is_idempotent_for_retried_triggers(users: FakeUsers) -> None:
    first = profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    edited = users.save(replace(first, display_name="Ada L."))
    again = profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=LATER)
    assert again == edited  # the retry neither fails nor overwrites the edit
    assert len(users.rows) == 1


def test_get_profile_returns_the_stored_row(users: FakeUsers, identity: FakeDirectory) -> None:
    stored = profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    identity.emails.clear()  # not consulted when the row exists
    assert profiles.get_profile(users=users, identity=identity, user_id="sub-1", now=LATER) == stored


def test_get_profile_heals_a_missing_row(users: FakeUsers, identity: FakeDirectory) -> None:
    user = profiles.get_profile(users=users, identity=identity, user_id="sub-1", now=LATER)
    assert user.email == "ada@example.com"
    assert user.display_name == "ada"
    assert user.created_at == LATER
    assert users.rows["sub-1"] == user
    # Healing happens once; later calls read the row.
    assert profiles.get_profile(users=users, identity=identity, user_id="sub-1", now=LATER + timedelta(days=1)) == user


def test_get_profile_of_a_deleted_identity_is_not_found_and_creates_nothing(
    users: FakeUsers, identity: FakeDirectory
) -> None:
    with pytest.raises(NotFoundError):
        profiles.get_profile(users=users, identity=identity, user_id="sub-gone", now=NOW)
    assert users.rows == {}


def test_update_profile_applies_the_sent_fields(users: FakeUsers, identity: FakeDirectory) -> None:
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    changes = ProfileUpdate.model_validate(
        {"display_name": "Ada", "timezone": "Europe/London", "preferences": {"sms_phone": "+441234567890"}}
    )
    user = profiles.update_profile(users=users, identity=identity, user_id="sub-1", changes=changes, now=LATER)
    assert (user.display_name, user.timezone, user.preferences.sms_phone) == ("Ada", "Europe/London", "+441234567890")
    assert user.preferences.email_notifications is True
    assert user.updated_at == LATER
    assert user.version == 2
    assert users.rows["sub-1"] == user


def test_update_profile_clears_the_phone_only_when_sent_as_null(users: FakeUsers, identity: FakeDirectory) -> None:
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)

    def patch(body: dict[str, object]) -> User:
        changes = ProfileUpdate.model_validate(body)
        return profiles.update_profile(users=users, identity=identity, user_id="sub-1", changes=changes, now=LATER)

    assert patch({"preferences": {"sms_phone": "+14155550123"}}).preferences.sms_phone == "+14155550123"
    assert patch({"preferences": {"email_notifications": False}}).preferences.sms_phone == "+14155550123"
    assert patch({"display_name": "A"}).preferences.sms_phone == "+14155550123"
    cleared = patch({"preferences": {"sms_phone": None}})
    assert cleared.preferences.sms_phone is None
    assert cleared.preferences.email_notifications is False


def test_update_profile_of_a_user_whose_row_is_missing(users: FakeUsers, identity: FakeDirectory) -> None:
    changes = ProfileUpdate.model_validate({"timezone": "Asia/Tokyo"})
    user = profiles.update_profile(users=users, identity=identity, user_id="sub-1", changes=changes, now=LATER)
    assert user.timezone == "Asia/Tokyo"
    assert user.email == "ada@example.com"


def delete(users: FakeUsers, identity: FakeDirectory, log: list[tuple[str, str]], password: str) -> None:
    profiles.delete_account(
        users=users,
        identity=identity,
        user_id="sub-1",
        password=password,
        now=LATER,
        erase_data=lambda user_id: log.append(("erase", user_id)),
    )


def test_delete_checks_the_password_then_erases_marks_signs_out_and_removes_the_identity(users: FakeUsers) -> None:
    log: list[tuple[str, str]] = []
    identity = FakeDirectory(log)
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    identity.emails["sub-1"], identity.passwords["sub-1"] = "ada@example.com", "right"
    delete(users, identity, log, "right")
    assert log == [
        ("identity.password", "sub-1"),
        ("erase", "sub-1"),
        ("identity.sign_out", "sub-1"),
        ("identity.delete", "sub-1"),
    ]
    marker = users.rows["sub-1"]  # written before the sign-out (FakeUsers.save does not log)
    assert (marker.email, marker.display_name, marker.deleted_at, marker.sessions_valid_after) == ("", "", LATER, LATER)
    assert identity.emails == {}


def test_a_wrong_password_deletes_nothing(users: FakeUsers) -> None:
    log: list[tuple[str, str]] = []
    identity = FakeDirectory(log)
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    identity.emails["sub-1"], identity.passwords["sub-1"] = "ada@example.com", "right"
    with pytest.raises(WrongPasswordError) as caught:
        delete(users, identity, log, "wrong")
    assert caught.value.fields == {"password": "is not correct"}
    assert log == [("identity.password", "sub-1")]
    assert users.rows["sub-1"].deleted_at is None


def test_a_failed_identity_delete_leaves_a_user_who_can_sign_in_again_and_retry(users: FakeUsers) -> None:
    log: list[tuple[str, str]] = []
    identity = FakeDirectory(log, fail_delete=True)
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    identity.emails["sub-1"], identity.passwords["sub-1"] = "ada@example.com", "right"
    with pytest.raises(RuntimeError):
        delete(users, identity, log, "right")
    old_session, new_session = int(NOW.timestamp()), int(LATER.timestamp()) + 1

    def caller(signed_in_at: int) -> User:
        return profiles.authenticate(
            users=users, identity=identity, user_id="sub-1", signed_in_at=signed_in_at, now=LATER
        )

    with pytest.raises(NotAuthenticatedError):
        caller(old_session)  # the tokens from before the deletion stay refused
    revived = caller(new_session)  # a sign-in after it: Cognito still has the user, so the account is back
    assert (revived.email, revived.deleted_at) == ("ada@example.com", None)
    assert caller(new_session) == revived


def test_authenticate_refuses_a_deleted_user_and_heals_a_missing_row(users: FakeUsers, identity: FakeDirectory) -> None:
    now_s = int(NOW.timestamp())
    with pytest.raises(NotAuthenticatedError):  # no row, no Cognito user: nothing is created
        profiles.authenticate(users=users, identity=identity, user_id="sub-gone", signed_in_at=now_s, now=NOW)
    assert users.rows == {}
    healed = profiles.authenticate(users=users, identity=identity, user_id="sub-1", signed_in_at=now_s, now=NOW)
    assert healed.email == "ada@example.com"
    users.rows["sub-1"] = replace(deleted_marker(user_id="sub-1", now=NOW), version=healed.version)
    identity.emails.clear()
    with pytest.raises(NotAuthenticatedError):  # a marker and no Cognito user: refused whenever the sign-in was
        profiles.authenticate(users=users, identity=identity, user_id="sub-1", signed_in_at=now_s + 60, now=LATER)


def test_a_password_reset_refuses_the_sessions_from_before(users: FakeUsers, identity: FakeDirectory) -> None:
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    reset_at = NOW + timedelta(seconds=30, milliseconds=250)
    profiles.end_sessions(users=users, user_id="sub-1", email="ada@example.com", now=reset_at)

    def signed_in(at: datetime) -> User:
        return profiles.authenticate(
            users=users, identity=identity, user_id="sub-1", signed_in_at=int(at.timestamp()), now=LATER
        )

    for before in (NOW, reset_at - timedelta(seconds=1), reset_at):  # the same whole second counts as before
        with pytest.raises(NotAuthenticatedError):
            signed_in(before)
    assert signed_in(reset_at + timedelta(seconds=1)).email == "ada@example.com"
    with pytest.raises(NotAuthenticatedError):  # a token without auth_time passes only rows without a cut-off
        profiles.authenticate(users=users, identity=identity, user_id="sub-1", signed_in_at=None, now=LATER)


def test_a_reset_of_a_user_without_a_row_creates_it_with_the_cut_off(users: FakeUsers, identity: FakeDirectory) -> None:
    # Else the self-healing would create the row on the old token's next call, without the cut-off.
    profiles.end_sessions(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    assert users.rows["sub-1"].sessions_valid_after == NOW
    with pytest.raises(NotAuthenticatedError):
        profiles.authenticate(
            users=users, identity=identity, user_id="sub-1", signed_in_at=int(NOW.timestamp()) - 5, now=LATER
        )


def test_a_new_time_zone_rebases_the_statistics_once(users: FakeUsers, identity: FakeDirectory) -> None:
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    rebased: list[str] = []

    def patch(body: dict[str, object]) -> User:
        changes = ProfileUpdate.model_validate(body)
        return profiles.update_profile(
            users=users,
            identity=identity,
            user_id="sub-1",
            changes=changes,
            now=LATER,
            on_timezone_change=rebased.append,
        )

    patch({"timezone": "Asia/Tokyo"})
    patch({"timezone": "Asia/Tokyo", "display_name": "Ada"})
    assert patch({"preferences": {"daily_goal": 5, "weekly_summary": True}}).preferences.daily_goal == 5
    assert rebased == ["sub-1"]
    assert users.rows["sub-1"].preferences.weekly_summary is True


def test_sign_out_everywhere_cuts_off_every_earlier_sign_in_and_waits_out_the_second(
    users: FakeUsers, identity: FakeDirectory
) -> None:
    log: list[tuple[str, str]] = []
    identity.log = log
    profiles.register_confirmed_user(users=users, user_id="sub-1", email="ada@example.com", now=NOW)
    cut_off = LATER + timedelta(milliseconds=250)
    waited: list[float] = []
    profiles.sign_out_everywhere(users=users, identity=identity, user_id="sub-1", now=cut_off, wait=waited.append)
    assert users.rows["sub-1"].sessions_valid_after == cut_off
    assert log == [("identity.sign_out", "sub-1")]
    assert waited == [pytest.approx(0.75)]  # token times are whole seconds: answer once this one is over
    second = int(LATER.timestamp())
    with pytest.raises(NotAuthenticatedError):  # the check every request makes
        profiles.authenticate(users=users, identity=identity, user_id="sub-1", signed_in_at=second, now=cut_off)
    assert profiles.authenticate(users=users, identity=identity, user_id="sub-1", signed_in_at=second + 1, now=cut_off)
