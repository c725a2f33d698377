"""``python -m backend.local run|serve|reset``: the local AWS for ``make run``.

run    start the embedded AWS, then ``reflex run`` with the API mounted at :8000/api (UI on :3000)
serve  only the embedded AWS (prints the environment to use it from another shell)
reset  delete the local data
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from backend.local.runtime import local_aws

DATA_DIR = Path(".local")
# Editing these must not restart the dev backend (and drop every open session).
NOT_APP_CODE = ("tests", "docs", "deploy", "scripts")


def _port() -> int:
    return int(os.environ.get("LOCAL_AWS_PORT", "5000"))


def run(frontend_port: int, backend_port: int) -> int:
    api_url = f"http://localhost:{backend_port}/api"
    with local_aws(
        port=_port(), data_dir=DATA_DIR, api_url=api_url, app_url=f"http://localhost:{frontend_port}"
    ) as local:
        print(f"local AWS on {local.endpoint} (data in {DATA_DIR}/, `make reset` clears it)", flush=True)
        command = ["reflex", "run", "--frontend-port", str(frontend_port), "--backend-port", str(backend_port)]
        no_reload = os.pathsep.join(d for d in NOT_APP_CODE if Path(d).is_dir())
        env = {**os.environ, **local.env, "REFLEX_HOT_RELOAD_EXCLUDE_PATHS": no_reload}
        reflex = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
        stop = threading.Event()

        def forward(signum: int, _: object) -> None:
            stop.set()
            if reflex.poll() is None:
                os.killpg(reflex.pid, signal.SIGINT)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        code = reflex.wait()
        return 0 if stop.is_set() else code


def serve() -> int:
    with local_aws(port=_port(), data_dir=DATA_DIR) as local:
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
    if args.command == "run":
        return run(args.frontend_port, args.backend_port)
    if args.command == "serve":
        return serve()
    return reset()


if __name__ == "__main__":
    sys.exit(main())
