"""Fault-suite helpers: a ``python -m backend.local serve`` child process to kill -9, and restarts in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.moto_api._internal.models import moto_api_backend

from backend.local.bootstrap import LOCAL_CREDENTIALS
from backend.local.environment import LOCAL_REGION

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    """A local AWS in a child process (the fixed interface: ``serve``, ``LOCAL_AWS_PORT``, data in ``.local/``)."""

    process: subprocess.Popen[str]
    endpoint: str
    env: dict[str, str]

    def client(self, service: str, *, retries: bool = True) -> Any:
        # Without retries a call to the killed process fails at once instead of backing off for seconds.
        config = None if retries else Config(retries={"mode": "standard", "total_max_attempts": 1})
        return boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=LOCAL_REGION,
            config=config,
            **LOCAL_CREDENTIALS,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def serve(workdir: Path, port: int) -> Served:
    """Start ``python -m backend.local serve`` in ``workdir``; returns once it prints that it answers."""
    env = {**os.environ, "LOCAL_AWS_PORT": str(port), "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.local", "serve"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    exported: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exported[name] = value
        elif line.startswith("# local AWS on "):
            endpoint = line.removeprefix("# local AWS on ").split(";")[0]
            return Served(process, endpoint, exported)
    process.kill()
    raise AssertionError(f"serve exited with {process.wait()} before answering")


@pytest.fixture
def fresh_moto() -> Iterator[None]:
    """What a new process starts with; and nothing of ours left for the next test module."""
    moto_api_backend.reset()
    yield
    moto_api_backend.reset()
