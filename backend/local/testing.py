"""Helpers for tests that start their own local AWS (isolated from a running ``make run``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from backend.local.runtime import LocalRun, local_aws

__all__ = ["LocalRun", "free_port", "local_aws", "serve_local_api"]


# The names of the local runtime's own threads (stream consumers ``stream-*``; scheduler, compaction, Redis, the
# API's server loop ``local-*``): a test counting its DynamoDB calls leaves theirs out, whose timing would vary.
BACKGROUND_THREADS = ("stream-", "local-", "queue-")


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_local_api(port: int) -> Iterator[str]:
    """The local API (the ASGI adapter over the Lambda handlers) under uvicorn on ``port``; yields its base URL.

    Needs the environment of a running ``local_aws`` (the handlers read their settings when first imported).
    """
    from backend.local.asgi import create_local_api

    server = uvicorn.Server(uvicorn.Config(create_local_api(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="local-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:  # uvicorn offers only this flag to poll
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the local API did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
