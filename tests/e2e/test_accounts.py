"""Accounts end to end in headless Chromium: the UI, the local API and the emulated Cognito together."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, WebSocket, expect

from backend.client import ApiClient, ApiError, AuthError, CognitoAuth, Tokens
from tests.e2e.conftest import BROWSER_TIMEZONE, App

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-Horse-9"
NEW_NAME = "Ada Lovelace"
REFRESH_TOKEN_KEY = "tmp_refresh_token"
WELCOME = re.compile("^Welcome")


# --- helpers ---------------------------------------------------------------------------------
def open_page(page: Page, path: str, ready_button: str) -> None:
    """Go to ``path`` and wait until it is hydrated: its buttons stay disabled until the handlers are live."""
    page.goto(path)
    expect(page.get_by_role("button", name=ready_button, exact=True)).to_be_enabled()


def at_path(app: App, path: str, query: str = "") -> re.Pattern[str]:
    """The URL of ``path`` (the static host may add a trailing slash), with ``query`` or any query."""
    route = re.escape(f"{app.url}{path.rstrip('/')}") + "/?"
    return re.compile(route + (re.escape(query) if query else r"(\?.*)?") + "$")


class AuthenticatorApp(pyotp.TOTP):
    # moto hands every user the same short secret (60 bits; AWS's are 160): accept it as apps do.
    min_secret_length_bits = 40


def arrived(page: Page, app: App, path: str, heading: str | re.Pattern[str]) -> None:
    """On ``path`` with its content rendered (the URL changes before the previous page is gone)."""
    expect(page).to_have_url(at_path(app, path))
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def totp_code(secret: str) -> str:
    """The current code, not one about to expire on the way to the server (moto checks one window only)."""
    totp = AuthenticatorApp(secret)
    left = totp.interval - time.time() % totp.interval
    if left < 5:
        time.sleep(left + 0.1)
    return totp.now()


def sign_in_form(page: Page, email: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()  # not the page being left
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()


def stored_refresh_token(page: Page) -> str:
    return str(page.evaluate(f"window.localStorage.getItem('{REFRESH_TOKEN_KEY}') || ''"))


def record_websocket_frames(page: Page) -> list[str]:
    """Everything the Reflex backend sends this page over its websocket, as text."""
    frames: list[str] = []

    def on_socket(socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", on_socket)
    return frames


def confirmed_user(app: App, email: str) -> None:
    """A confirmed account made through Cognito directly (the sign-up UI has its own test)."""
    auth = CognitoAuth(ApiClient(app.api_url).config())
    before = app.sent_to(email)
    auth.sign_up(email, PASSWORD)
    auth.confirm_sign_up(email, app.latest_code(email, after=before))


# --- tests -----------------------------------------------------------------------------------
def test_account_lifecycle(page: Page, app: App, new_email: str) -> None:
    frames = record_websocket_frames(page)

    # Sign up: the policy checklist follows the typing.
    open_page(page, "/sign-up", "Create account")
    page.get_by_label("Email", exact=True).fill(new_email)
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    expect(page.locator("[data-met='false']")).to_have_count(3)  # length, uppercase, digit
    password.fill(PASSWORD)
    expect(page.locator("[data-met='false']")).to_have_count(0)
    sent = app.sent_to(new_email)
    page.get_by_role("button", name="Create account").click()

    # Confirm with the code "emailed" to the local outbox.
    arrived(page, app, "/confirm", "Confirm your email")
    page.get_by_label("Confirmation code").fill(app.latest_code(new_email, after=sent))
    page.get_by_role("button", name="Confirm", exact=True).click()

    # Sign in (the email is carried over).
    arrived(page, app, "/sign-in", "Sign in")
    expect(page.get_by_label("Email", exact=True)).to_have_value(new_email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    arrived(page, app, "/", WELCOME)
    assert stored_refresh_token(page)

    # A reload keeps the session.
    page.reload()
    arrived(page, app, "/", WELCOME)

    # Settings: the time zone came from the browser; a new display name survives a reload.
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Settings").click()
    arrived(page, app, "/settings", "Settings")
    expect(page.get_by_label("Time zone")).to_have_value(BROWSER_TIMEZONE)
    page.get_by_label("Display name").fill(NEW_NAME)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Display name")).to_have_value(NEW_NAME)

    # Two-step verification: the secret shown on the page feeds the authenticator (pyotp).
    page.get_by_role("button", name="Set up").click()
    secret = page.locator("#totp_secret").inner_text().strip()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("button", name="Turn off")).to_be_visible()

    # Sign out: global sign-out revokes the refresh token, and the browser forgets it.
    refresh_token = stored_refresh_token(page)
    # The access and id tokens (JWTs: "eyJ...") never reached the browser; only the refresh token did.
    assert any(refresh_token in frame for frame in frames)  # (so the recorder did see the session traffic)
    assert not [frame for frame in frames if "eyJ" in frame.replace(refresh_token, "")]
    sign_out(page)
    arrived(page, app, "/sign-in", "Sign in")
    page.wait_for_function(f"!window.localStorage.getItem('{REFRESH_TOKEN_KEY}')")
    with pytest.raises(AuthError):
        CognitoAuth(ApiClient(app.api_url).config()).refresh(refresh_token)

    # Sign in again: now with the 6-digit code.
    open_page(page, "/sign-in", "Sign in")
    sign_in_form(page, new_email, PASSWORD)
    page.get_by_label("Authentication code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify", exact=True).click()
    arrived(page, app, "/", WELCOME)
    expect(page.get_by_role("heading", name=f"Welcome, {NEW_NAME}")).to_be_visible()

    # Turning two-step verification off asks for the password and a current code: a wrong code keeps it on.
    page.goto("/settings")
    page.get_by_role("button", name="Turn off", exact=True).click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from the app").fill(f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Turn off two-step verification").click()
    expect(page.get_by_text("That code is not correct. Check it and try again.")).to_be_visible()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn off two-step verification").click()
    expect(page.get_by_text("Two-step verification is off.")).to_be_visible()
    expect(page.get_by_role("button", name="Set up")).to_be_visible()

    # "Sign out" signs out everywhere: another device's access token is refused at once, not an hour later.
    elsewhere = CognitoAuth(ApiClient(app.api_url).config()).sign_in(new_email, PASSWORD)
    assert isinstance(elsewhere, Tokens)
    assert ApiClient(app.api_url, elsewhere.access_token).get_me().email == new_email
    sign_out(page)
    arrived(page, app, "/sign-in", "Sign in")
    with pytest.raises(ApiError) as refused:
        ApiClient(app.api_url, elsewhere.access_token).get_me()
    assert refused.value.status == 401
    page.goto("/")
    arrived(page, app, "/sign-in", "Sign in")


def test_protected_page_sends_to_sign_in_and_back(page: Page, app: App, new_email: str) -> None:
    confirmed_user(app, new_email)

    page.goto("/settings")
    expect(page).to_have_url(at_path(app, "/sign-in", "?next=%2Fsettings"))
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_enabled()

    sign_in_form(page, new_email, "Wrong-Password-1")
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    arrived(page, app, "/settings", "Settings")


def test_forgotten_password_and_field_errors(page: Page, app: App, new_email: str) -> None:
    confirmed_user(app, new_email)
    new_password = "Another-Horse-7"

    # Forgot password: a wrong code is refused in words, the emailed one works.
    open_page(page, "/forgot-password", "Email me a code")
    page.get_by_label("Email", exact=True).fill(new_email)
    sent = app.sent_to(new_email)
    page.get_by_role("button", name="Email me a code").click()
    arrived(page, app, "/reset-password", "Choose a new password")
    code = app.latest_code(new_email, after=sent)
    page.get_by_label("Code from the email").fill("000000" if code != "000000" else "111111")
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_have_text("That code is not correct. Check it and try again.")
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Change password").click()
    arrived(page, app, "/sign-in", "Sign in")
    sign_in_form(page, new_email, new_password)
    arrived(page, app, "/", WELCOME)

    # A phone number SNS could not use is pointed out before any code is sent.
    page.goto("/settings")
    page.get_by_label("Phone number for SMS reminders").fill("12345")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text("Use the international format: + and the country code.")).to_be_visible()


def test_account_deletion(page: Page, app: App, new_email: str) -> None:
    confirmed_user(app, new_email)
    open_page(page, "/sign-in", "Sign in")
    sign_in_form(page, new_email, PASSWORD)
    arrived(page, app, "/", WELCOME)

    # Deleting the account needs the password again (a wrong one deletes nothing); afterwards the account is gone.
    page.goto("/settings")
    page.get_by_role("button", name="Delete my account").click()
    dialog = page.get_by_role("alertdialog")
    dialog.get_by_label("Your password").fill("Not-My-Password-1")
    dialog.get_by_role("button", name="Delete for good").click()
    expect(dialog.get_by_text("That password is not correct.")).to_be_visible()
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Delete for good").click()
    arrived(page, app, "/sign-up", "Create your account")
    open_page(page, "/sign-in", "Sign in")
    sign_in_form(page, new_email, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(re.compile("No account exists|Incorrect email or password"))
