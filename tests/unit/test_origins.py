"""The app's own origins (backend/origins.py) and the dev UI server's listen host (rxconfig.py), issue 12 finding 1."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.utils.frontend_skeleton import _compile_vite_config

from backend.origins import app_origins, is_loopback_name, origin_of, split_host
from rxconfig import bind_vite_to


def test_a_loopback_url_stands_for_every_loopback_spelling_of_its_port() -> None:
    assert app_origins(["http://localhost:3000/", "http://localhost:8000", None]) == [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
        "http://localhost:8000",
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
    ]


def test_a_public_url_is_only_itself() -> None:
    assert app_origins(["https://App.example.com/inbox", "https://app.example.com"]) == ["https://app.example.com"]
    assert app_origins(["http://192.168.1.20:3000"]) == ["http://192.168.1.20:3000"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("[::1]", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:192.168.1.20", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("192.168.1.20", False),
        ("", False),
    ],
)
def test_is_loopback_name(host: str, loopback: bool) -> None:
    assert is_loopback_name(host) is loopback


@pytest.mark.parametrize(
    ("netloc", "host"),
    [("localhost:3000", "localhost"), ("[::1]:8000", "[::1]"), ("[::1]", "[::1]"), ("Example.com", "example.com")],
)
def test_split_host(netloc: str, host: str) -> None:
    assert split_host(netloc) == host


def test_origin_of_needs_an_absolute_url() -> None:
    with pytest.raises(ValueError, match="absolute"):
        origin_of("localhost:3000")


def test_the_dev_ui_server_is_told_the_backend_host_last() -> None:
    # Reflex's own vite.config.js (regenerated on every compile), patched as the plugin does.
    vite_config = _compile_vite_config(rx.config.get_config())
    patched = bind_vite_to("127.0.0.1")(vite_config)
    plugins = patched[patched.index("plugins: [") :]
    assert plugins.startswith('plugins: [\n    { name: "taskmanager-listen-host"')
    assert 'config: () => ({ server: { host: "127.0.0.1" } })' in patched
    assert bind_vite_to("127.0.0.1")(patched) == patched  # a recompile does not add it twice
    exposed = bind_vite_to("0.0.0.0")(patched)  # noqa: S104 - a later run with TASKMANAGER_EXPOSE
    assert exposed.count("taskmanager-listen-host") == 1
    assert 'host: "0.0.0.0"' in exposed
