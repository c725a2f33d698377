"""Browser fixtures: the app on its own free port over its own local AWS, and headless Chromium.

The app and its emulator live for the whole e2e package, not per module as in the other tiers: building and
starting the prod-mode app takes ~45 s on 2 CPUs, once instead of once per module. Sharing is safe because every
browser test signs up its own user and reads only that user's data (outbox, tasks, schedules). The emulator is
still torn down when the package ends, before the next tier starts its own (moto's backends are process-global).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from backend.client import ApiClient, OutboxMessage
from backend.local.testing import LocalRun, free_port, local_aws
from tests.e2e.reflex_app import RunningApp, reflex_app

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_TIMEZONE = "Europe/Berlin"  # the profile's time zone defaults to it
expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class App:
    url: str

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def _sent_to(self, email: str) -> list[OutboxMessage]:
        """The outbox messages to ``email``, oldest first (the outbox lists emails, then SMS: count per address)."""
        return [message for message in ApiClient(self.api_url).outbox() if email in message.to]

    def sent_to(self, email: str) -> int:
        return len(self._sent_to(email))

    def latest_code(self, email: str, *, after: int = 0, timeout: float = 10.0) -> str:
        """The 6-digit code of the newest email to ``email`` in the local outbox, once it is there.

        ``after``: how many messages to ``email`` to skip (``sent_to(email)`` before the action being awaited).
        """
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed(self._sent_to(email)[after:]):
                match = re.search(r"\b(\d{6})\b", message.body)
                if match:
                    return match.group(1)
            if time.monotonic() > deadline:
                raise AssertionError(f"no code was emailed to {email}")
            time.sleep(0.1)


@pytest.fixture(scope="package")
def local() -> Iterator[LocalRun]:
    """One local AWS for the browser tests (overrides the per-module one of tests/conftest.py); no webhooks in them."""
    with local_aws(port=free_port(), webhooks=False) as run:
        yield run


@pytest.fixture(scope="package")
def running_app(local: LocalRun) -> Iterator[RunningApp]:
    port = free_port()
    url = f"http://localhost:{port}"
    # The emulator started by ``local`` runs in this process; the app reaches it through these variables.
    env = {**local.env, "TMP_API_URL": f"{url}/api", "TMP_APP_URL": url, "TMP_LOCAL_API": "1"}
    with reflex_app(port=port, env=env) as running:
        print(f"reflex served {running.url} after {running.started_in_seconds:.1f} s (log: {running.log})")
        yield running


@pytest.fixture(scope="package")
def app(running_app: RunningApp) -> App:
    return App(url=running_app.url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, app: App) -> Iterator[Page]:
    """A fresh browser profile (own localStorage) per test."""
    context = browser.new_context(
        base_url=app.url, timezone_id=BROWSER_TIMEZONE, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.com"
