"""``routes.safe_next``: where sign-in may send the user back to — a path of this site, never elsewhere."""

from __future__ import annotations

import pytest

from taskmanager_pro import routes


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://x",  # another origin
        "//x",  # protocol-relative: another origin too
        "/\\x",  # browsers read a backslash as a slash: "//x"
        "/a\tb",  # control characters are stripped by browsers, so the path is not what it looks like
        "/sign-in",  # a signed-out page: going back there after signing in makes no sense
        "/sign-in/",
        "javascript:alert(1)",
        "settings",  # not absolute
    ],
)
def test_unsafe_or_pointless_targets_go_home(target: str | None) -> None:
    assert routes.safe_next(target) == routes.HOME


@pytest.mark.parametrize("target", ["/settings", "/settings?tab=1", "/upcoming", "/projects/01ABC?view=board"])
def test_local_paths_are_kept(target: str) -> None:
    assert routes.safe_next(target) == target


def test_sign_in_carries_a_safe_next_only() -> None:
    assert routes.sign_in("/settings") == "/sign-in?next=%2Fsettings"
    assert routes.sign_in("//evil.example") == routes.SIGN_IN
