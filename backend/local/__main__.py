"""``python -m backend.local run|serve|reset``: the local AWS for ``make run``.

run    start the embedded AWS, then ``reflex run`` with the API mounted at :8000/api (UI on :3000), on 127.0.0.1
       only; ``TASKMANAGER_EXPOSE=<host name or IP of this machine>`` listens on every interface (README)
serve  only the embedded AWS (prints the environment to use it from another shell)
reset  delete the local data
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from backend.local.durability import ReplayError
from backend.local.persistence import private_dir
from backend.local.runtime import LocalRun, local_aws

DATA_DIR = Path(".local")
# Where Reflex's disk state manager pickles each tab's state (REFLEX_STATES_WORKDIR moves it); it empties the
# directory at start but keeps it, so an old 0755 one is tightened here.
STATES_DIR = Path(os.environ.get("REFLEX_STATES_WORKDIR", ".states"))
# What the app and Reflex write (.states/, .web/) is for this user only: sessions hold tokens.
PRIVATE_UMASK = 0o077
EXPOSE_VARIABLE = "TASKMANAGER_EXPOSE"
# Editing these must not restart the dev backend (and drop every open session).
NOT_APP_CODE = ("tests", "docs", "deploy", "scripts")


def _port() -> int:
    return int(os.environ.get("LOCAL_AWS_PORT", "5000"))


@dataclass(frozen=True)
class Listen:
    """Which interface the UI and the Reflex backend bind, and the host name browsers reach them by."""

    bind: str
    public_host: str

    @property
    def exposed(self) -> bool:
        return self.bind != "127.0.0.1"

    def url(self, port: int) -> str:
        return f"http://{self.public_host}:{port}"


def listen(expose: str | None) -> Listen:
    """Loopback unless ``expose`` names this machine as others reach it (``TASKMANAGER_EXPOSE``)."""
    if not expose or not expose.strip():
        return Listen(bind="127.0.0.1", public_host="localhost")
    host = expose.strip().lower().removeprefix("[").removesuffix("]")
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).version == 6:
            return Listen(bind="::", public_host=f"[{host}]")
        return Listen(bind="0.0.0.0", public_host=host)  # noqa: S104 - the documented opt-in
    # The name goes into the app's URLs and allowed origins: a bare "1" or "true" would make an app nobody can use.
    if host.isdigit() or host in {"true", "yes", "on"} or not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", host):
        raise SystemExit(
            f"{EXPOSE_VARIABLE} takes the host name or IP address other machines use to reach this one "
            f"(e.g. {EXPOSE_VARIABLE}=192.168.1.20), not {expose!r}"
        )
    return Listen(bind="0.0.0.0", public_host=host)  # noqa: S104


def reflex_command(frontend_port: int, backend_port: int, where: Listen) -> list[str]:
    # The dev UI server follows --backend-host too (rxconfig.ListenWhereTheBackendDoes).
    command = ["reflex", "run", "--frontend-port", str(frontend_port), "--backend-port", str(backend_port)]
    return [*command, "--backend-host", where.bind]


def run(frontend_port: int, backend_port: int) -> int:
    where = listen(os.environ.get(EXPOSE_VARIABLE))
    app_url = where.url(frontend_port)
    # The Reflex backend calls the API on this machine; only browsers need the public name.
    api_url = f"http://localhost:{backend_port}/api"
    private_dir(STATES_DIR)
    with local_aws(port=_port(), data_dir=DATA_DIR, api_url=api_url, app_url=app_url) as local:
        _report_restore(local)
        print(f"local AWS on {local.endpoint} (data in {DATA_DIR}/, `make reset` clears it)", flush=True)
        if where.exposed:
            print(
                f"WARNING: {EXPOSE_VARIABLE} is set: the app listens on every interface ({app_url}). Anyone who can "
                "reach this machine can use it; accounts and tokens here are local test ones (moto signs tokens with "
                "a key that ships in moto). The local AWS and the outbox stay on 127.0.0.1.",
                flush=True,
            )
        no_reload = os.pathsep.join(d for d in NOT_APP_CODE if Path(d).is_dir())
        env = {
            **os.environ,
            **local.env,
            "REFLEX_HOT_RELOAD_EXCLUDE_PATHS": no_reload,
            # Where the browser finds the backend: one of the app's own origins (rxconfig.py allows only those).
            "REFLEX_API_URL": where.url(backend_port),
        }
        command = reflex_command(frontend_port, backend_port, where)
        reflex = subprocess.Popen(command, env=env, start_new_session=True, umask=PRIVATE_UMASK)  # noqa: S603
        stop = threading.Event()

        def forward(signum: int, _: object) -> None:
            stop.set()
            if reflex.poll() is None:
                os.killpg(reflex.pid, signal.SIGINT)

        previous = signal.signal(signal.SIGINT, forward), signal.signal(signal.SIGTERM, forward)
        try:
            code = reflex.wait()
        finally:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])
        return 0 if stop.is_set() else code


def _report_restore(local: LocalRun) -> None:
    replayed = local.server.replayed if local.server else None
    if replayed is not None:  # on stderr: stdout is the environment (a fixed interface)
        print(
            f"# local data: restored in {replayed.seconds:.2f} s ({replayed.records} journal records replayed)",
            file=sys.stderr,
            flush=True,
        )


def serve() -> int:
    with local_aws(port=_port(), data_dir=DATA_DIR) as local:
        _report_restore(local)
        for name, value in sorted(local.env.items()):
            print(f"export {name}={value}")
        print(f"# local AWS on {local.endpoint}; Ctrl-C to stop", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def reset() -> int:
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    print(f"local data cleared ({DATA_DIR}/)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.local", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--frontend-port", type=int, default=3000)
    run_parser.add_argument("--backend-port", type=int, default=8000)
    sub.add_parser("serve")
    sub.add_parser("reset")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return run(args.frontend_port, args.backend_port)
        if args.command == "serve":
            return serve()
    except ReplayError as error:
        # The local data could not be restored as written: say so and stop, rather than run on a partial copy.
        print(error, file=sys.stderr, flush=True)
        return 1
    return reset()


if __name__ == "__main__":
    sys.exit(main())
