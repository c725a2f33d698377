"""The Reflex backend answers this machine and the app only (issue 12, finding 1), over HTTP against the browser tests'
app (``reflex run --env prod --single-port``, started once for the package; no browser here):

- it listens on 127.0.0.1 (rxconfig ``backend_host``), not on every interface;
- CORS answers the app's own origins only: a page elsewhere gets no ``Access-Control-Allow-Origin``;
- a websocket upgrade to ``/_event`` from a foreign ``Origin`` is refused (Socket.IO's origin check), so a page
  elsewhere cannot drive a user's session;
- ``/api/local/*`` refuses a foreign ``Origin`` or ``Host`` through the backend too (tests/api/test_local_hooks.py
  has the rest of those rules).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import os
import socket
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import assert_error_shape
from tests.e2e.reflex_app import RunningApp

pytestmark = pytest.mark.e2e

FOREIGN = "http://evil.example"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def listening_addresses(port: int) -> set[Address]:
    """The addresses sockets listen on at ``port``, from the kernel's tables (Linux, as in CI and the dev images)."""
    found: set[Address] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].split(":")
                if fields[3] != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                    continue
                raw = bytes.fromhex(address)  # 32-bit words, each in host (little-endian) byte order
                found.add(ipaddress.ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))))
    return found


def websocket_upgrade(port: int, origin: str) -> int:
    """The status of a websocket handshake to ``/_event`` sent with ``origin`` (101: switched, i.e. accepted)."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: localhost:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def port_of(app: RunningApp) -> int:
    port = httpx.URL(app.url).port
    assert port is not None
    return port


def test_the_backend_listens_on_loopback_only(running_app: RunningApp) -> None:
    addresses = listening_addresses(port_of(running_app))
    assert addresses, f"nothing listens on {running_app.url}"
    assert all(address.is_loopback for address in addresses), addresses


def test_a_foreign_origin_gets_no_cors_headers(running_app: RunningApp) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    with httpx.Client(base_url=running_app.url, timeout=10) as http:
        simple = http.get("/ping", headers={"Origin": FOREIGN})
        foreign = http.options("/api/me", headers={"Origin": FOREIGN, **preflight})
        own = http.options("/api/me", headers={"Origin": running_app.url, **preflight})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    assert foreign.status_code == 400  # Starlette's "Disallowed CORS origin"
    assert "access-control-allow-origin" not in foreign.headers
    assert own.status_code == 200
    assert own.headers["access-control-allow-origin"] == running_app.url


def test_a_foreign_origin_cannot_open_the_event_websocket(running_app: RunningApp) -> None:
    port = port_of(running_app)
    assert websocket_upgrade(port, FOREIGN) != 101
    assert websocket_upgrade(port, f"http://localhost:{port + 1}") != 101  # another app on this machine
    assert websocket_upgrade(port, running_app.url) == 101
    # The same app opened as http://127.0.0.1:<port> is this machine too: allowed.
    assert websocket_upgrade(port, f"http://127.0.0.1:{port}") == 101


def test_the_outbox_refuses_a_page_elsewhere_through_the_backend(running_app: RunningApp) -> None:
    with httpx.Client(base_url=running_app.url, timeout=10) as http:
        foreign = http.get("/api/local/outbox", headers={"Origin": FOREIGN})
        rebound = http.get("/api/local/outbox", headers={"Host": f"evil.example:{port_of(running_app)}"})
        own = http.get("/api/local/outbox", headers={"Origin": running_app.url})
    assert_error_shape(foreign, 403, "forbidden")
    assert "access-control-allow-origin" not in foreign.headers
    assert_error_shape(rebound, 403, "forbidden")
    assert own.status_code == 200, own.text
