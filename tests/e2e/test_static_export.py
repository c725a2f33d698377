"""The static export really works (issue 7): ``reflex export --frontend-only`` served by a plain static file
server, talking to a Reflex backend that runs on a port of its own (as S3 + CloudFront in front of Fargate).

The static server answers like the CDK site stack's CloudFront distribution (deploy/stacks/site.py): its
viewer-request function (``spa_fallback_uri``) serves ``/`` as ``index.html`` and every page path (no file
extension) as the SPA fallback ``/404.html`` with status 200; any other path is the object of that exact key (a
missing one is an error, never the fallback). So a deep link such as ``/inbox`` is rendered by the client-side
router from that fallback page.

Every response carries the Content-Security-Policy the site stack's CloudFront sets (``content_security_policy``
of deploy/stacks/site.py, with the local backend's origin and the local S3 emulator as the upload origin), and a
test fails on any violation the browser reports: the CSP deployed is the one the app is seen working under.
"""

from __future__ import annotations

import io
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from backend.local.testing import LocalRun, free_port
from deploy.csp import MARKER
from deploy.stacks.site import SPA_FALLBACK_PAGE, content_security_policy, spa_fallback_uri
from scripts.export_size import ExportSize, describe, measure
from tests.e2e.conftest import BROWSER_TIMEZONE, App
from tests.e2e.reflex_app import RunningApp, export_static_site, reflex_backend
from tests.e2e.test_attachments import attach, attachment, photo
from tests.e2e.test_tasks import chips, new_user, quick_add_input, ready, row, sign_in, toast

pytestmark = pytest.mark.e2e

SPA_FALLBACK = SPA_FALLBACK_PAGE.lstrip("/")  # what CloudFront's viewer-request function serves for page paths
JS_GZIP_BUDGET_BYTES = 5 * 1024 * 1024


class CloudFrontLikeHandler(SimpleHTTPRequestHandler):
    """Exact-key lookup like S3 behind CloudFront; a missing key gets the SPA fallback page; the site's CSP."""

    def __init__(self, *args: Any, content_security_policy: str, **kwargs: Any) -> None:
        self.content_security_policy = content_security_policy  # before super(): it handles the request
        super().__init__(*args, **kwargs)

    def end_headers(self) -> None:
        # On every response, the fallback page included, like the distribution's response headers policy.
        self.send_header("Content-Security-Policy", self.content_security_policy)
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]  # the stdlib's own signature is untyped
        key = spa_fallback_uri(unquote(urlsplit(self.path).path)).lstrip("/")
        target = (Path(self.directory) / key).resolve()
        root = Path(self.directory).resolve()
        if root not in target.parents or not target.is_file():
            return self._missing()
        self.path = "/" + key
        return super().send_head()

    def _missing(self):  # type: ignore[no-untyped-def]
        # S3 behind OAC (no ListBucket) answers 403 for a missing key; CloudFront passes it on, no error page.
        body = b"AccessDenied"
        self.send_response(HTTPStatus.FORBIDDEN)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: no access log
        return


@dataclass(frozen=True)
class StaticSite:
    url: str
    directory: Path
    backend: RunningApp
    size: ExportSize
    content_security_policy: str


@pytest.fixture(scope="module")
def static_site(local: LocalRun) -> Iterator[StaticSite]:
    backend_port = free_port()
    backend_url = f"http://localhost:{backend_port}"
    site_port = free_port()
    site_url = f"http://localhost:{site_port}"
    env = {**local.env, "TMP_API_URL": f"{backend_url}/api", "TMP_APP_URL": site_url, "TMP_LOCAL_API": "1"}
    started = time.monotonic()
    with reflex_backend(port=backend_port, env=env) as backend:
        directory = export_static_site(api_url=backend_url, env=env)
        exported_in = time.monotonic() - started
        # The site stack's CSP with this run's origins: the backend (websocket) and the S3 emulator (presigned POST
        # uploads and thumbnails), as deploy/app.py passes the Reflex origin and the attachments bucket's origins.
        csp = content_security_policy(backend_url, [local.endpoint.rstrip("/")])
        handler = partial(CloudFrontLikeHandler, directory=str(directory), content_security_policy=csp)
        server = ThreadingHTTPServer(("127.0.0.1", site_port), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            size = measure(directory)
            print(f"backend + export ready after {exported_in:.1f} s; {describe(size)}")
            yield StaticSite(url=site_url, directory=directory, backend=backend, size=size, content_security_policy=csp)
        finally:
            server.shutdown()
            server.server_close()
            shutil.rmtree(directory.parents[2], ignore_errors=True)


@dataclass
class CspWatch:
    """CSP violations the page reported: ``securitypolicyviolation`` events and the browser's console errors."""

    violations: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def on_violation(self, _source: object, violation: dict[str, Any]) -> None:
        self.violations.append(f"event: {violation}")


# Every document of the context reports its violations to the test (before any of the page's own scripts run).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.reportCspViolation({
  directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
  sample: e.sample,
}), true);
"""


@pytest.fixture
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.fixture
def site_page(browser: Browser, static_site: StaticSite, csp_watch: CspWatch) -> Iterator[Page]:
    context = browser.new_context(
        base_url=static_site.url, timezone_id=BROWSER_TIMEZONE, viewport={"width": 1280, "height": 800}
    )
    context.expose_binding("reportCspViolation", csp_watch.on_violation)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", csp_watch.on_console)
    yield page
    context.close()


def test_the_export_is_a_sane_static_site(static_site: StaticSite) -> None:
    assert (static_site.directory / "index.html").is_file()
    assert (static_site.directory / SPA_FALLBACK).is_file()
    assert static_site.size.js_files > 0
    assert 0 < static_site.size.js_gzip_bytes < JS_GZIP_BUDGET_BYTES
    # The backend URL is baked in: the exported JS points at the backend's origin, not at the static site.
    backend = static_site.backend.url
    assert any(backend in path.read_text(errors="replace") for path in static_site.directory.rglob("*.js"))
    with httpx.Client() as client:
        index = client.get(f"{static_site.url}/")
        assert index.status_code == HTTPStatus.OK
        deep = client.get(f"{static_site.url}/inbox")
        assert deep.status_code == HTTPStatus.OK
        assert deep.text == (static_site.directory / SPA_FALLBACK).read_text()
    for response in (index, deep):
        assert response.headers["Content-Security-Policy"] == static_site.content_security_policy
        assert MARKER in response.text  # the page's own script policy (deploy/csp.py), as make export pins it
    assert f"connect-src 'self' {backend} " in static_site.content_security_policy


def test_the_api_inside_the_reflex_backend_answers_odd_paths_in_the_error_shape(static_site: StaticSite) -> None:
    # The REST API mounted in a real Reflex backend (as in make run): a path with a line break got Reflex's outer
    # app's plain-text "Not Found" (issue 12 finding 10); now it reaches the API, whose authorizer answers first.
    with httpx.Client() as client:
        odd = client.get(f"{static_site.backend.url}/api/tasks/a%0Ab")
    assert odd.status_code == HTTPStatus.UNAUTHORIZED, odd.text
    assert odd.headers["content-type"].startswith("application/json")
    assert odd.json()["error"]["code"] == "not_authenticated"


def test_sign_in_and_quick_add_on_the_static_site(
    site_page: Page, static_site: StaticSite, csp_watch: CspWatch
) -> None:
    user = new_user(App(url=static_site.backend.url))  # the REST API is mounted on the Reflex backend
    page = site_page
    sign_in(page, user)

    quick_add_input(page).fill("Ship the static export p1")
    expect(chips(page)).to_contain_text("Priority 1")  # the server parsed the line: the input is live
    quick_add_input(page).press("Enter")
    expect(toast(page, "Task added")).to_be_visible()
    saved = user.api.list_tasks(q="Ship the static export", status="all").items
    assert [task.title for task in saved] == ["Ship the static export"]

    # A deep link served through the SPA fallback (a full document load, like a reload) hydrates: still signed in,
    # the task is in the Inbox. (A second reload right after it once stayed busy for 15 s on the static site only;
    # left out until understood, see the issue-7 note.)
    page.goto("/inbox")
    ready(page)
    assert page.url == f"{static_site.url}/inbox"
    expect(row(page, "Ship the static export")).to_be_visible()

    # An attachment: the browser posts the file straight to the S3 origin and shows the thumbnail from there.
    row(page, "Ship the static export").click()
    panel = page.get_by_role("dialog", name="Task details")
    attach(panel, "shot.png", "image/png", photo(64))
    done = attachment(panel, "shot.png")
    expect(done).to_have_attribute("data-status", "ready", timeout=20_000)
    thumbnail = done.get_by_role("img", name="Preview of shot.png")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())

    # All of it under the deployed CSP: nothing was blocked (a blocked script or socket can fail silently).
    assert csp_watch.violations == []


# What an attacker's markup would do: run as an inline script (React escapes text, but an injected element would run
# under the header's 'unsafe-inline').
INJECTED_SCRIPT = "<script>window.__cspInjected = localStorage.length</script>"


def test_an_inline_script_the_export_did_not_ship_is_blocked(
    site_page: Page, static_site: StaticSite, csp_watch: CspWatch
) -> None:
    """The measure of the pinned script policy: every exported inline script runs (the tests above see no violation)
    and one that is not in the export is refused by the browser, reported as a violation."""
    probe = static_site.directory / "csp-probe.html"
    index = (static_site.directory / "index.html").read_text(encoding="utf-8")
    probe.write_text(index.replace("</head>", INJECTED_SCRIPT + "</head>", 1), encoding="utf-8")
    try:
        site_page.goto("/csp-probe.html")
        deadline = time.monotonic() + 10
        while not csp_watch.violations and time.monotonic() < deadline:
            site_page.wait_for_timeout(100)  # the report arrives through the exposed binding
    finally:
        probe.unlink()
    assert site_page.evaluate("window.__cspInjected") is None  # it did not run
    assert any("script-src" in violation and "inline" in violation for violation in csp_watch.violations), (
        csp_watch.violations
    )
