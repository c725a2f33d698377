"""The session: who is signed in, their tokens, sign-out. Every feature state subclasses ``AppState``.

- The refresh token is kept in the browser's localStorage, so a reload (or a restarted Reflex backend)
  keeps the session. Page scripts can read it; the Cognito app client limits its validity and global
  sign-out revokes it.
- The access token lives only in a backend var (leading underscore): it is never sent to the browser,
  never put in a URL, never logged.
- Every handler that acts for the user starts with ``await self._ensure_session()``: handlers can be
  called by any client with any arguments, so none trusts that the UI only shows it to signed-in users.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any, overload
from zoneinfo import available_timezones

import reflex as rx
from reflex.event import EventSpec

from backend.client import ApiClient, ApiError, AuthError, ProfilePublic, Tokens
from taskmanager_pro import routes
from taskmanager_pro.state import tabs
from taskmanager_pro.state.clients import api, call, cognito

# Refresh this long before the access token expires, so no request carries a token about to lapse.
_EXPIRY_MARGIN_SECONDS = 120
# Cognito refusals that mean the refresh token is gone (revoked, expired, user deleted or disabled).
_SESSION_OVER = frozenset({"NotAuthorizedException", "UserNotFoundException"})
# The IANA names the API accepts (it validates against the same tzdata).
TIMEZONES: tuple[str, ...] = tuple(sorted(available_timezones()))

Events = list[Any]
OFFLINE_MESSAGE = "You are offline or the service cannot be reached; nothing was changed. Try again in a moment."


class AppState(rx.State):
    """The signed-in user, if any."""

    refresh_token: str = rx.LocalStorage("", name="tmp_refresh_token", sync=True)
    _access_token: str = ""
    _access_expires_at: float = 0.0
    _user_id: str = ""  # the Cognito sub (the profile's id): whose live changes this tab hears

    signed_in: bool = False
    email: str = ""
    display_name: str = ""
    # Why the session could not be checked (service unreachable); empty when all is well.
    session_error: str = ""

    # --- session helpers (not event handlers: the leading underscore keeps them off the client) ----
    def _forget_session(self) -> None:
        self.refresh_token = ""
        self._access_token = ""
        self._access_expires_at = 0.0
        self._user_id = ""
        self.signed_in = False
        self.email = ""
        self.display_name = ""
        self.session_error = ""

    def _keep_tokens(self, tokens: Tokens) -> None:
        self._access_token = tokens.access_token
        self._access_expires_at = tokens.expires_at
        if tokens.refresh_token:
            self.refresh_token = tokens.refresh_token

    def _show_profile(self, profile: ProfilePublic) -> None:
        self._user_id = profile.id
        tabs.listen(profile.id, self.router.session.client_token)
        self.email = profile.email
        self.display_name = profile.display_name
        self.signed_in = True

    async def _ensure_session(self) -> bool:
        """Whether a user is signed in; refreshes the access token when it is missing or about to expire."""
        if not self.refresh_token:
            # Signed out (maybe in another tab: the storage is synced), whatever the server still holds.
            self._forget_session()
            return False
        if self._access_token and time.time() < self._access_expires_at - _EXPIRY_MARGIN_SECONDS:
            return True
        try:
            tokens = await call((await cognito()).refresh, self.refresh_token)
        except AuthError as error:
            if error.code in _SESSION_OVER:
                self._forget_session()
            else:
                self.session_error = error.message
            return False
        except ApiError as error:
            self.session_error = error.message
            return False
        self.session_error = ""
        self._keep_tokens(tokens)
        return True

    async def _client(self) -> ApiClient | None:
        """The REST client with a fresh access token; None when nobody is signed in (or Cognito is unreachable)."""
        if not await self._ensure_session():
            return None
        return api(self._access_token)

    def _api(self) -> ApiClient:
        """The REST client for a handler that has checked the session (``@signed_in``)."""
        return api(self._access_token)

    def _session_lost(self) -> EventSpec:
        """What a refused handler shows: the sign-in page when the session is over, a plain message when the
        services are only unreachable (the session is intact, the action was not done)."""
        if self.refresh_token and self.session_error:
            toast: EventSpec = rx.toast.error(OFFLINE_MESSAGE, id="offline")
            return toast
        return self._sign_in_redirect()

    async def _load_profile(self) -> Events:
        """Fetch the profile for the header; a first visit also sets the time zone from the browser."""
        try:
            profile = await call(api(self._access_token).get_me)
        except ApiError as error:
            if error.status in (401, 404):  # token refused, or the account was deleted meanwhile
                self._forget_session()
            else:
                self.session_error = error.message
            return []
        self._show_profile(profile)
        if profile.timezone is None:
            return [
                rx.call_script(
                    "Intl.DateTimeFormat().resolvedOptions().timeZone", callback=AppState.set_browser_timezone
                )
            ]
        return []

    async def _start_session(self, tokens: Tokens, next_path: str) -> Events:
        """After a successful sign-in: keep the tokens, load the profile, go where the user was heading."""
        self._keep_tokens(tokens)
        events = await self._load_profile()
        if not self.signed_in:
            return events
        return [*events, rx.redirect(routes.safe_next(next_path))]

    def _sign_in_redirect(self) -> EventSpec:
        url = self.router.url
        # The static host may have added a trailing slash ("/settings/"): come back to the route itself.
        here = (url.path.rstrip("/") or routes.HOME) + (f"?{url.query}" if url.query else "")
        return rx.redirect(routes.sign_in(here))

    # --- event handlers ----------------------------------------------------------------------
    @rx.event
    async def check_login(self) -> AsyncGenerator[Any, None]:
        """``on_load`` of every protected page: sign-in if needed, then back here (``guards.require_login``).

        When the services cannot be reached, the page stays on its loading screen, which shows why.
        """
        for event in await self._check_login():
            yield event

    async def _check_login(self) -> Events:
        """``check_login``'s work, for a page loader that does it first itself (one event, one round trip less)."""
        self.session_error = ""
        events: Events = []
        if await self._ensure_session() and not self.signed_in:
            events = await self._load_profile()
        if self.signed_in:
            tabs.listen(self._user_id, self.router.session.client_token)  # (again: this process may be new)
        elif not self.session_error:
            events.append(self._sign_in_redirect())
        return events

    @rx.event
    async def set_browser_timezone(self, zone: Any) -> None:
        """The browser's IANA time zone, saved once for a profile that has none yet."""
        if not await self._ensure_session():
            return
        name = zone if isinstance(zone, str) and zone in TIMEZONES else "UTC"
        try:
            await call(api(self._access_token).update_me, {"timezone": name})
        except ApiError as error:
            self.session_error = error.message

    @rx.event
    async def sign_out(self) -> AsyncGenerator[Any, None]:
        """Sign out everywhere (the API refuses every token of the user at once and revokes the refresh tokens),
        then forget the session here."""
        if await self._ensure_session():
            try:
                await call(api(self._access_token).sign_out_everywhere)
            except ApiError:
                # The API could not do it: Cognito's GlobalSignOut at least revokes the refresh tokens (access
                # tokens then lapse within the hour). Even if that fails, the session ends in this browser.
                with contextlib.suppress(AuthError, ApiError):
                    await call((await cognito()).sign_out_everywhere, self._access_token)
        tabs.forget(self.router.session.client_token)
        self.reset()  # this state and every feature state, including the refresh token in the browser
        yield rx.redirect(routes.SIGN_IN)
        yield rx.toast.info("You are signed out.")


Handler = Callable[..., Any]


@overload
def signed_in(handler: Handler, /) -> Handler: ...


@overload
def signed_in(*, busy: str) -> Callable[[Handler], Handler]: ...


def signed_in(handler: Handler | None = None, /, *, busy: str = "") -> Handler | Callable[[Handler], Handler]:
    """The one wrapper for handlers that act for the user (below ``@rx.event``).

    Checks the session first (signed out → the sign-in page; services unreachable → a plain message, nothing
    done), then runs the handler; an ``ApiError`` it leaves unhandled becomes a readable toast. Handlers that
    need more (roll back an optimistic change, show a field's message) catch ``ApiError`` themselves.

    ``@signed_in(busy="flag")`` (handlers that yield) also holds the bool var ``flag`` True while the handler
    runs and sets it False in a ``finally``, whatever happens. The handler's first ``yield`` shows it: a form it
    refuses before yielding (a missing field) never flickers busy.
    """
    if handler is None:
        return functools.partial(_signed_in, busy=busy)
    return _signed_in(handler, busy=busy)


def _signed_in(handler: Handler, *, busy: str) -> Handler:
    if inspect.isasyncgenfunction(handler):

        @functools.wraps(handler)
        async def run_generator(self: AppState, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
            if not await self._ensure_session():
                yield self._session_lost()
                return
            if busy:
                setattr(self, busy, True)
            try:
                async for event in handler(self, *args, **kwargs):
                    yield event
            except ApiError as error:
                yield rx.toast.error(error.first_problem, id="api-error")
            finally:
                if busy:
                    setattr(self, busy, False)

        return run_generator

    if busy:
        raise TypeError(f"{handler.__qualname__}: busy= needs a handler that yields (an async generator)")

    @functools.wraps(handler)
    async def run(self: AppState, *args: Any, **kwargs: Any) -> Any:
        if not await self._ensure_session():
            return self._session_lost()
        try:
            return await handler(self, *args, **kwargs)
        except ApiError as error:
            return rx.toast.error(error.first_problem, id="api-error")

    return run
