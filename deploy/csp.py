"""Pin the static export's inline scripts: ``python -m deploy.csp DIR`` (run by ``make export``).

React Router's prerendered pages carry inline ``<script>`` elements (the router context, the module loader, the
colour-mode script). Rather than allow every inline script ('unsafe-inline': any injected ``<script>`` or
``javascript:`` URL would run), each exported HTML file gets a ``<meta http-equiv="Content-Security-Policy">`` whose
``script-src`` lists the SHA-256 of exactly the inline scripts that page ships. The browser enforces that policy next
to the CloudFront header's (deploy/stacks/site.py): a script runs only if both allow it, so only the exported inline
scripts do.

In a ``<meta>`` rather than in the header because the export is built after ``cdk deploy`` (it is pointed at the
site URL the deploy creates), so the hashes do not exist when the headers policy is synthesized; and each page has
its own scripts. A meta policy cannot carry ``frame-ancestors`` or reporting, which stay in the header.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import sys
from pathlib import Path

# What the page's scripts need besides the hashed inline ones; the header (deploy/stacks/site.py) says the same.
# 'unsafe-eval': Reflex runs every server-sent ``rx.call_script`` with ``eval`` (see SCRIPT_SOURCES there).
SCRIPT_SOURCES = ("'self'", "'unsafe-eval'")
MARKER = 'name="tmp-pinned-scripts"'  # our meta carries it, so pinning again replaces it

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(r"""(?:^|\s)src\s*=""", re.IGNORECASE)
_OUR_META = re.compile(rf"<meta [^>]*{re.escape(MARKER)}[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_CHARSET = re.compile(r"<meta\s+charset\s*=[^>]*>", re.IGNORECASE)


def script_hash(source: str) -> str:
    """The CSP hash source of an inline script: SHA-256 of its exact text (UTF-8), base64."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_script_hashes(page: str) -> list[str]:
    """The hash source of every inline ``<script>`` of ``page`` (those with ``src`` load from 'self'), in order,
    without repeats."""
    hashes: list[str] = []
    for attributes, source in _SCRIPT.findall(page):
        if _SRC_ATTRIBUTE.search(attributes):
            continue
        digest = script_hash(source)
        if digest not in hashes:
            hashes.append(digest)
    return hashes


def script_policy(page: str) -> str:
    return "script-src " + " ".join([*SCRIPT_SOURCES, *inline_script_hashes(page)])


def pin_page(page: str) -> str:
    """``page`` with our CSP meta before its first script: right after ``<meta charset>`` (which must stay within the
    first 1024 bytes), else right after ``<head>``. Pinning a pinned page again gives the same page."""
    page = _OUR_META.sub("", page)
    policy = html.escape(script_policy(page), quote=False)  # (hashes are base64: no quote to escape)
    meta = f'<meta http-equiv="Content-Security-Policy" {MARKER} content="{policy}">'
    anchor = _CHARSET.search(page) or _HEAD.search(page)
    if anchor is None:
        raise ValueError("the page has no <head>: nowhere to put the script policy before its scripts")
    first_script = page.lower().find("<script")
    if 0 <= first_script < anchor.end():
        raise ValueError("a script comes before <head>: a meta policy would not cover it")
    return page[: anchor.end()] + meta + page[anchor.end() :]


def unpinned_pages(directory: Path) -> list[Path]:
    """The export's HTML files without our script policy: shipped, they would run any inline script."""
    return [path for path in sorted(directory.rglob("*.html")) if MARKER not in path.read_text(encoding="utf-8")]


def pin_export(directory: Path) -> int:
    """Pins every HTML file of the export in place; returns how many."""
    pages = sorted(directory.rglob("*.html"))
    for path in pages:
        path.write_text(pin_page(path.read_text(encoding="utf-8")), encoding="utf-8")
    return len(pages)


if __name__ == "__main__":
    count = pin_export(Path(sys.argv[1]))
    sys.stdout.write(f"pinned the inline scripts of {count} pages in {sys.argv[1]}\n")
