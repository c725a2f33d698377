"""Start the Reflex app for browser tests, isolated from a ``make run`` in the same checkout.

``reflex run`` keeps its compiled frontend in ``.web/`` and its sessions in ``.states/`` of the current
directory, and deletes ``.states/`` when it starts: two runs in one directory would break each other.
So the app's own files (``rxconfig.py``, ``taskmanager_pro/``, ``assets/``, ``reflex.lock/``) are copied into a fresh
temporary directory and Reflex runs there, with ``PYTHONPATH`` pointing at the checkout for ``backend``.

It runs in prod mode on ONE free port: the backend serves the built frontend, the websocket and (in a
local run) the REST API at ``/api``. Building takes ~10 s, far less than the dev server's first page
compile, and there is no hot-reload watcher to trip over. Bun's package cache makes the install in the
fresh ``.web/`` quick after the first run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.csp import pin_export

REPO = Path(__file__).resolve().parents[2]
# reflex.lock/ holds the pinned bun lockfile once `reflex` has run in the checkout (copied when present).
APP_FILES = ("rxconfig.py", "taskmanager_pro", "assets", "reflex.lock")
START_TIMEOUT_SECONDS = 240.0


@dataclass(frozen=True)
class RunningApp:
    url: str  # http://localhost:<port>; the REST API is at f"{url}/api"
    log: Path
    started_in_seconds: float


def reflex_environment(port: int) -> dict[str, str]:
    """What ``reflex run`` needs offline (as the Makefile sets it), plus where the browser finds the backend."""
    return {
        "PATH": f"{REPO / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "REFLEX_API_URL": f"http://localhost:{port}",
        "PYTHONUNBUFFERED": "1",
    }


def _copy_app(workdir: Path) -> None:
    for name in APP_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__", ".web"))
        elif source.exists():
            shutil.copy2(source, workdir / name)


def _tail(log: Path, lines: int = 40) -> str:
    with suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the backend answers ``/ping`` and serves the built frontend (poll, never a fixed sleep)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"reflex exited with {process.returncode}:\n{_tail(log)}")
            with suppress(httpx.HTTPError):
                if client.get(f"{url}/ping").status_code == 200 and client.get(f"{url}/").status_code == 200:
                    return
            time.sleep(0.25)
    raise RuntimeError(f"reflex did not serve {url} within {START_TIMEOUT_SECONDS:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the whole process group (reflex, its backend workers, bun): SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def reflex_app(*, port: int, env: Mapping[str, str]) -> Iterator[RunningApp]:
    """Build and serve the app on ``port`` (frontend, websocket and API on one port) until the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="taskmanager-e2e-"))
    _copy_app(workdir)
    log = workdir / "reflex.log"
    url = f"http://localhost:{port}"
    command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port"]
    command += ["--frontend-port", str(port), "--backend-port", str(port)]
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env={**os.environ, **env, **reflex_environment(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so _stop reaches every child
        )
    try:
        _wait_until_serving(url, process, log)
        yield RunningApp(url=url, log=log, started_in_seconds=time.monotonic() - started)
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


# --- static export (issue 7): the frontend as files, the backend on a port of its own -------------------------
EXPORT_TIMEOUT_SECONDS = 300.0


def export_static_site(*, api_url: str, env: Mapping[str, str]) -> Path:
    """``reflex export --frontend-only --no-zip`` in a fresh copy of the app, its inline scripts pinned by hash
    (deploy/csp.py), as ``make export`` does; returns the exported directory.

    ``api_url`` is baked into the export as where the browser finds the Reflex backend (as ``make export`` does).
    The caller removes ``result.parents[2]`` (the temporary app copy) when done.
    """
    workdir = Path(tempfile.mkdtemp(prefix="taskmanager-export-"))
    _copy_app(workdir)
    command = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"]
    environment = {**os.environ, **env, **reflex_environment(0), "REFLEX_API_URL": api_url}
    done = subprocess.run(
        command, cwd=workdir, env=environment, capture_output=True, timeout=EXPORT_TIMEOUT_SECONDS, check=False
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        raise RuntimeError(f"reflex export failed ({done.returncode}):\n{output[-4000:]}")
    directory = workdir / ".web" / "build" / "client"
    pin_export(directory)
    return directory


@contextmanager
def reflex_backend(*, port: int, env: Mapping[str, str]) -> Iterator[RunningApp]:
    """Only the Reflex backend (websocket, ``/ping``, the local REST API at ``/api``) on ``port``, as on Fargate."""
    workdir = Path(tempfile.mkdtemp(prefix="taskmanager-backend-"))
    _copy_app(workdir)
    log = workdir / "reflex.log"
    url = f"http://localhost:{port}"
    command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only", "--backend-port", str(port)]
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env={**os.environ, **env, **reflex_environment(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with httpx.Client(timeout=2.0) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"reflex exited with {process.returncode}:\n{_tail(log)}")
                with suppress(httpx.HTTPError):
                    if client.get(f"{url}/ping").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"reflex backend did not answer {url}/ping:\n{_tail(log)}")
                time.sleep(0.25)
        yield RunningApp(url=url, log=log, started_in_seconds=time.monotonic() - started)
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
