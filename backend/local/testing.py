"""Helpers for tests that start their own local AWS (isolated from a running ``make run``)."""

from __future__ import annotations

import socket

from backend.local.runtime import LocalRun, local_aws

__all__ = ["LocalRun", "free_port", "local_aws"]


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
