"""The app's own browser origins, and what counts as "this machine". Pure standard library on purpose: ``rxconfig.py``
imports it before anything else is set up (every ``reflex`` command loads it).

Who uses it: the Reflex backend allows CORS and websocket (``/_event``) connections from these origins only
(``rxconfig.py``), and the local API's hooks (outbox, request log, faults) answer only loopback callers of the app
itself (``backend/local/asgi.py``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as a browser sends it in ``Origin`` (no path, no trailing slash)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def is_loopback_name(host: str) -> bool:
    """``localhost``, ``127.x.x.x`` or ``::1`` (bracketed or not) — the host of a URL or a ``Host`` header."""
    host = host.strip().lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    # A dual-stack listener ("::") sees an IPv4 client as ::ffff:127.0.0.1.
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


def split_host(netloc: str) -> str:
    """The host of ``host[:port]`` (IPv6 in brackets keeps them): ``Host`` headers and URL netlocs."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[: netloc.index("]") + 1] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def app_origins(urls: Iterable[str | None]) -> list[str]:
    """The origins of ``urls`` (where the UI and the backend are served), in order, without duplicates.

    A loopback URL also stands for its other loopback spellings on the same port (a browser opened at
    http://127.0.0.1:3000 sends that, not ``localhost``): they all reach only this machine.
    """
    origins: list[str] = []
    for url in urls:
        if not url:
            continue
        origin = origin_of(url)
        scheme, netloc = origin.split("://", 1)
        host = split_host(netloc)
        port = netloc[len(host) :]  # ":3000" or ""
        spellings = [f"{scheme}://{name}{port}" for name in LOOPBACK_NAMES] if is_loopback_name(host) else [origin]
        origins.extend(o for o in [origin, *spellings] if o not in origins)
    return origins
