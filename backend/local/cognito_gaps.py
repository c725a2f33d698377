"""What AWS Cognito does that moto's Cognito does not, played in front of the emulator (one place).

moto accepts any confirmation code, sends no email and runs no Lambda trigger. This WSGI middleware
sits between boto3 and moto and, for the few operations concerned, does what Cognito does:
- SignUp / ResendConfirmationCode / ForgotPassword: make a 6-digit code and email it through SES
  (so it shows in the local outbox, as Cognito's email would in a real inbox);
- ConfirmSignUp / ConfirmForgotPassword: check that code (CodeMismatch / Expired like Cognito);
- AdminUserGlobalSignOut: revoke the user's sessions whatever name they signed in with (moto files a session
  under the typed name, the email, and revokes only those filed under the name the admin call gives);
- after a successful ConfirmSignUp or ConfirmForgotPassword: invoke the post-confirmation trigger handler, as
  Cognito would (trigger sources ``PostConfirmation_ConfirmSignUp`` / ``PostConfirmation_ConfirmForgotPassword``).
Every client call stays the AWS call; only the emulator side differs.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import cognitoidp_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from backend.local.durability import call_wsgi
from backend.names import APP_DISPLAY_NAME

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PostConfirmation = Callable[[dict[str, Any]], None]
# Runs one named in-process change: directly, or journaled first when the local data is durable (durability.py).
Apply = Callable[..., Any]

SIGN_UP_CODE_TTL = 24 * 3600  # Cognito: sign-up codes are valid for 24 hours
RESET_CODE_TTL = 3600  # Cognito: forgot-password codes are valid for 1 hour
_TARGET_PREFIX = "AWSCognitoIdentityProviderService."


@dataclass
class IssuedCodes:
    """Codes we sent, by (purpose, client id, username). Kept in the snapshot with the emulator state."""

    codes: dict[tuple[str, str, str], tuple[str, float]] = field(default_factory=dict)

    def issue(self, purpose: str, client_id: str, username: str, ttl: int) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.put((purpose, client_id, username.lower()), (code, time.time() + ttl))
        return code

    def put(self, key: tuple[str, str, str], issued: tuple[str, float]) -> None:
        self.codes[key] = issued

    def discard(self, key: tuple[str, str, str]) -> None:
        self.codes.pop(key, None)

    def verdict(self, purpose: str, client_id: str, username: str, code: str) -> str | None:
        """None when the code is right (without consuming it), else the Cognito error code."""
        issued = self.codes.get((purpose, client_id, username.lower()))
        if issued is None or issued[1] < time.time():
            return "ExpiredCodeException"
        if not secrets.compare_digest(issued[0], code.strip()):
            return "CodeMismatchException"
        return None

    def check(self, purpose: str, client_id: str, username: str, code: str) -> str | None:
        """None when the code is right (and consumes it), else the Cognito error code."""
        failure = self.verdict(purpose, client_id, username, code)
        if failure is None:
            self.discard((purpose, client_id, username.lower()))
        return failure


_ERROR_MESSAGES = {
    "ExpiredCodeException": "Invalid code provided, please request a code again.",
    "CodeMismatchException": "Invalid verification code provided, please try again.",
}


def _error_type(body: bytes) -> str:
    try:
        return str(json.loads(body or b"{}").get("__type", "")).rsplit("#", 1)[-1]
    except ValueError:
        return ""


def _error(code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    return "400 Bad Request", headers, body


class CognitoGaps:
    """WSGI middleware: fills moto's Cognito gaps; every other request passes straight through."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        region: str,
        sender: str,
        post_confirmation: PostConfirmation,
        lock: threading.RLock,
        codes: IssuedCodes,
        apply: Apply | None = None,
    ) -> None:
        self._app = app
        self._region = region
        self._sender = sender
        self._post_confirmation = post_confirmation
        self._lock = lock
        self.codes = codes
        self._apply: Apply = apply or (lambda name, *args: self.effects[name](*args))

    @property
    def effects(self) -> dict[str, Callable[..., Any]]:
        """The in-process changes this layer makes, by name: what the journal records and replays."""
        return {
            "codes.put": self.codes.put,
            "codes.discard": self.codes.discard,
            "ses.send_email": self._ses_send_email,
            "cognito.sign_out_every_alias": self._sign_out_every_alias,
            "cognito.email_verified": self._email_verified,
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(_TARGET_PREFIX):
            with self._lock:
                status, headers, body = self._call_inner(environ)
            start_response(status, headers)
            return [body]
        operation = target.removeprefix(_TARGET_PREFIX)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        params: dict[str, Any] = json.loads(raw or b"{}")
        status, headers, body = self._handle(operation, params, environ)
        start_response(status, headers)
        return [body]

    def _call_inner(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        return call_wsgi(self._app, environ)

    def _handle(
        self, operation: str, params: dict[str, Any], environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        client_id = str(params.get("ClientId", ""))
        username = str(params.get("Username", ""))
        if operation == "ResendConfirmationCode":
            return self._resend(client_id, username)
        with self._lock:
            if operation in ("ConfirmSignUp", "ConfirmForgotPassword"):
                purpose = "sign-up" if operation == "ConfirmSignUp" else "reset"
                if self._find_user(client_id, username) is not None:
                    failure = self.codes.verdict(purpose, client_id, username, str(params.get("ConfirmationCode", "")))
                    if failure:
                        return _error(failure, _ERROR_MESSAGES[failure])
                    self._apply("codes.discard", (purpose, client_id, username.lower()))
            status, headers, body = self._call_inner(environ)
            ok = status.startswith("200")
            if ok and operation == "ConfirmSignUp":
                self._apply("cognito.email_verified", client_id, username)
            if ok and operation == "AdminUserGlobalSignOut":
                self._apply("cognito.sign_out_every_alias", str(params.get("UserPoolId", "")), username)
            if ok and operation == "SignUp":
                self._send_code("sign-up", client_id, username, SIGN_UP_CODE_TTL)
                body = self._email_delivery(body, username)
            elif ok and operation == "ForgotPassword":
                self._send_code("reset", client_id, username, RESET_CODE_TTL)
                # moto leaks its own code in a header; AWS does not.
                headers = [(k, v) for k, v in headers if not k.lower().startswith("x-moto-forgot-password")]
                body = self._email_delivery(body, username)
        if not ok and self._hides_users(client_id) and _error_type(body) == "UserNotFoundException":
            return self._as_if_user_existed(operation, username)
        if ok and operation in ("ConfirmSignUp", "ConfirmForgotPassword"):
            # Outside the lock: the trigger writes to DynamoDB and calls Cognito on this same emulator.
            failure_response = self._run_post_confirmation(client_id, username, f"PostConfirmation_{operation}")
            if failure_response:
                return failure_response
        return status, headers, body

    def _resend(self, client_id: str, username: str) -> tuple[str, list[tuple[str, str]], bytes]:
        with self._lock:
            user = self._find_user(client_id, username)
            if user is None and self._hides_users(client_id):
                return self._as_if_user_existed("ResendConfirmationCode", username)
            if user is None:
                return _error("UserNotFoundException", "Username/client id combination not found.")
            if user.status != "UNCONFIRMED":
                return _error("InvalidParameterException", "User is already confirmed.")
            self._send_code("sign-up", client_id, username, SIGN_UP_CODE_TTL)
        body = self._email_delivery(b"{}", username)
        return "200 OK", [("Content-Type", "application/x-amz-json-1.1")], body

    def _pool_of(self, client_id: str) -> Any | None:
        """The emulated user pool that has this app client."""
        backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID][self._region]
        return next((pool for pool in backend.user_pools.values() if client_id in pool.clients), None)

    def _hides_users(self, client_id: str) -> bool:
        """``PreventUserExistenceErrors=ENABLED`` on the app client (moto stores it, but answers as if LEGACY)."""
        pool = self._pool_of(client_id)
        return (
            pool is not None and pool.clients[client_id].extended_config.get("PreventUserExistenceErrors") == "ENABLED"
        )

    def _as_if_user_existed(self, operation: str, username: str) -> tuple[str, list[tuple[str, str]], bytes]:
        """What Cognito answers for an unknown user when the client hides which users exist."""
        if operation in ("ForgotPassword", "ResendConfirmationCode"):
            body = self._email_delivery(b"{}", username)
            return "200 OK", [("Content-Type", "application/x-amz-json-1.1")], body
        if operation in ("ConfirmSignUp", "ConfirmForgotPassword"):
            return _error("CodeMismatchException", _ERROR_MESSAGES["CodeMismatchException"])
        return _error("NotAuthorizedException", "Incorrect username or password.")

    def _sign_out_every_alias(self, pool_id: str, username: str) -> None:
        pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][self._region].user_pools.get(pool_id)
        user = pool._get_user(username) if pool is not None else None
        if pool is None or user is None:
            return
        for name in {user.username, *(v for k, v in user.attribute_lookup.items() if k in ("email", "sub"))}:
            pool.sign_out(name)

    def _email_verified(self, client_id: str, username: str) -> None:
        """Cognito marks the address verified when its sign-up code is confirmed (moto only confirms the user)."""
        user = self._find_user(client_id, username)
        if user is not None:
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])

    def _find_user(self, client_id: str, username: str) -> Any | None:
        pool = self._pool_of(client_id)
        return pool._get_user(username) if pool is not None else None

    def _send_code(self, purpose: str, client_id: str, username: str, ttl: int) -> None:
        user = self._find_user(client_id, username)
        email = user.attribute_lookup.get("email") if user else None
        if not email:
            return
        code = f"{secrets.randbelow(1_000_000):06d}"
        self._apply("codes.put", (purpose, client_id, username.lower()), (code, time.time() + ttl))
        subject, text = (
            (f"Your {APP_DISPLAY_NAME} verification code", f"Your verification code is {code}.")
            if purpose == "sign-up"
            else (f"Reset your {APP_DISPLAY_NAME} password", f"Your password reset code is {code}.")
        )
        self._apply(
            "ses.send_email",
            {
                "source": self._sender,
                "subject": subject,
                "body": f"{text}\n\nIf you did not ask for it, ignore this email.",
                "destinations": {"ToAddresses": [email]},
            },
        )

    def _ses_send_email(self, message: dict[str, Any]) -> None:
        ses_backends[DEFAULT_ACCOUNT_ID][self._region].send_email(**message)

    @staticmethod
    def _email_delivery(body: bytes, username: str) -> bytes:
        """Cognito answers where the code went (masked); moto makes up an SMS destination."""
        payload = json.loads(body or b"{}")
        local, _, domain = username.partition("@")
        payload["CodeDeliveryDetails"] = {
            "Destination": f"{local[:1]}***@{domain[:1]}***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
        return json.dumps(payload).encode()

    def _run_post_confirmation(
        self, client_id: str, username: str, source: str
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        with self._lock:
            user = self._find_user(client_id, username)
            if user is None:
                return None
            event = {
                "version": "1",
                "triggerSource": source,
                "region": self._region,
                "userPoolId": user.user_pool_id,
                "userName": user.username,
                "callerContext": {"awsSdkVersion": "local", "clientId": client_id},
                "request": {"userAttributes": {**user.attribute_lookup, "cognito:user_status": "CONFIRMED"}},
                "response": {},
            }
        try:
            self._post_confirmation(event)
        except Exception:
            # As in AWS: the user stays confirmed, the caller sees the trigger failure.
            log.exception("post-confirmation trigger failed")
            return _error("UnexpectedLambdaException", "PostConfirmation failed with error.")
        return None
