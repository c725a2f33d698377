"""Every route of the UI, and the URL builders. Pages and handlers never spell a path themselves."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

HOME = "/"
TODAY = HOME  # the home page is the Today view
UPCOMING = "/upcoming"
INBOX = "/inbox"
COMPLETED = "/completed"
ASSIGNED = "/assigned"  # the tasks of shared projects assigned to me
PROJECT = "/projects/[project_id]"  # dynamic route: the project page (list or board)
LABEL = "/labels/[label_id]"  # dynamic route: the open tasks with a label
SIGN_UP = "/sign-up"
CONFIRM = "/confirm"
SIGN_IN = "/sign-in"
FORGOT_PASSWORD = "/forgot-password"  # noqa: S105 (a route, not a password)
RESET_PASSWORD = "/reset-password"  # noqa: S105
SETTINGS = "/settings"
STATS = "/stats"
CALENDAR = "/calendar"
OUTBOX = "/dev/outbox"
NOTIFICATIONS = "/notifications"

# Pages a signed-out visitor may see; after signing in, never send someone back to them.
PUBLIC = frozenset({SIGN_UP, CONFIRM, SIGN_IN, FORGOT_PASSWORD, RESET_PASSWORD, OUTBOX})


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another origin (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 0x20 for char in target):
        return HOME
    return HOME if parts.path.rstrip("/") in PUBLIC else target


def sign_in(next_path: str | None = None) -> str:
    """The sign-in page, coming back to ``next_path`` afterwards (dropped when it is not a safe local path)."""
    target = safe_next(next_path)
    return SIGN_IN if target == HOME else f"{SIGN_IN}?{urlencode({'next': target})}"


def project(project_id: str) -> str:
    return f"/projects/{quote(project_id, safe='')}"


def label(label_id: str) -> str:
    return f"/labels/{quote(label_id, safe='')}"
