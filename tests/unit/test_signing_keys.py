"""One master secret, one derived key per purpose (HKDF), and a previous key that still verifies while rotating."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jwt
import pytest

from backend.domain.signing_keys import LINKS, SMS_CODE, InvalidSecretError, SigningKeys, derive
from backend.services import links

OLD = "o" * 40
NEW = "n" * 40
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
CLAIMS = links.LinkClaims(action="unsubscribe", user_id="u-1", scope="digest")


def test_each_purpose_gets_its_own_key_none_is_the_master() -> None:
    keys = SigningKeys.parse(OLD)
    assert keys.signing_key(LINKS) != keys.signing_key(SMS_CODE)
    assert len(keys.signing_key(LINKS)) == 32
    assert OLD.encode() not in (keys.signing_key(LINKS), keys.signing_key(SMS_CODE))
    assert derive(OLD, LINKS) == keys.signing_key(LINKS)  # deterministic: every Lambda derives the same
    assert derive(NEW, LINKS) != derive(OLD, LINKS)


def test_a_link_key_signs_no_sms_code_and_the_master_signs_no_link() -> None:
    keys = SigningKeys.parse(OLD)
    token = links.sign(CLAIMS, key=keys.signing_key(LINKS), now=NOW)
    assert links.verify(token, action="unsubscribe", keys=keys.verifying_keys(LINKS)).user_id == "u-1"
    for other in (keys.signing_key(SMS_CODE), OLD.encode()):
        forged = jwt.encode(jwt.decode(token, options={"verify_signature": False}), other, algorithm="HS256")
        with pytest.raises(links.InvalidLinkError):
            links.verify(forged, action="unsubscribe", keys=keys.verifying_keys(LINKS))


def test_the_secret_is_the_plain_generated_string_or_json_with_a_previous_key() -> None:
    assert SigningKeys.parse(OLD).verifying_keys(LINKS) == (derive(OLD, LINKS),)
    rotating = SigningKeys.parse(json.dumps({"current": NEW, "previous": OLD}))
    assert rotating.signing_key(LINKS) == derive(NEW, LINKS)
    assert rotating.verifying_keys(LINKS) == (derive(NEW, LINKS), derive(OLD, LINKS))


def test_a_link_signed_with_the_previous_key_verifies_while_rotating_and_not_after() -> None:
    old_link = links.sign(CLAIMS, key=SigningKeys.parse(OLD).signing_key(LINKS), now=NOW)
    rotating = SigningKeys.parse(json.dumps({"current": NEW, "previous": OLD}))
    assert links.verify(old_link, action="unsubscribe", keys=rotating.verifying_keys(LINKS)).scope == "digest"
    new_link = links.sign(CLAIMS, key=rotating.signing_key(LINKS), now=NOW)
    assert links.verify(new_link, action="unsubscribe", keys=rotating.verifying_keys(LINKS)).user_id == "u-1"
    with pytest.raises(links.InvalidLinkError):
        links.verify(old_link, action="unsubscribe", keys=SigningKeys.parse(NEW).verifying_keys(LINKS))


@pytest.mark.parametrize(
    "secret",
    ["", "short", json.dumps({"previous": OLD}), json.dumps({"current": "short"}), json.dumps(["x" * 40]), "{not json"],
)
def test_an_unusable_secret_is_refused_without_echoing_it(secret: str) -> None:
    with pytest.raises(InvalidSecretError) as failure:
        SigningKeys.parse(secret)
    assert not secret or secret not in str(failure.value)


def test_keys_never_show_in_a_repr() -> None:
    assert OLD not in repr(SigningKeys.parse(OLD))
