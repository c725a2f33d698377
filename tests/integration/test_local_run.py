"""``python -m backend.local run`` (what ``make run`` calls) keeps the app on this machine and its files private
(issue 12, finding 1).

The real ``run()`` starts the real local AWS in a scratch checkout; ``reflex`` is a stand-in on ``PATH`` that records
how it was started and writes a session file where Reflex's disk state manager would, then exits. What ``reflex run``
itself does with ``--backend-host`` is checked on the real app in tests/e2e/test_network_exposure.py.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from backend.local import __main__ as runner
from backend.local.testing import free_port

FAKE_REFLEX = """#!{python}
import json, os, pathlib, sys
pathlib.Path(".states").mkdir(exist_ok=True)
pathlib.Path(".states/session.pkl").write_bytes(b"a tab's state")
env = {{key: os.environ.get(key) for key in ("REFLEX_API_URL", "TMP_APP_URL", "TMP_API_URL")}}
pathlib.Path("reflex-started.json").write_text(json.dumps({{"argv": sys.argv[1:], "env": env}}))
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with a fake ``reflex`` on PATH, and an older run's world-readable directories."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "reflex"
    fake.write_text(FAKE_REFLEX.format(python=sys.executable))
    fake.chmod(0o755)
    work = tmp_path / "checkout"
    for directory in (work / ".local", work / ".states"):
        directory.mkdir(parents=True)
        directory.chmod(0o755)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LOCAL_AWS_PORT", str(free_port()))
    monkeypatch.delenv(runner.EXPOSE_VARIABLE, raising=False)
    return work


def started(work: Path) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads((work / "reflex-started.json").read_text())
    return recorded


def test_make_run_listens_on_loopback_and_keeps_its_files_private(checkout: Path) -> None:
    # Started as `make run` starts it, with an older run's world-readable .local/ and .states/ in the checkout.
    assert runner.run(frontend_port=3000, backend_port=8000) == 0

    reflex = started(checkout)
    argv = reflex["argv"]
    assert argv[argv.index("--backend-host") + 1] == "127.0.0.1"  # the dev UI server follows it (rxconfig.py)
    assert reflex["env"]["REFLEX_API_URL"] == "http://localhost:8000"
    assert reflex["env"]["TMP_APP_URL"] == "http://localhost:3000"
    # Sessions (tokens) and local data (every account, code and secret of the local AWS): the owner's only.
    assert mode(checkout / ".states") == 0o700
    assert mode(checkout / ".states" / "session.pkl") == 0o600
    assert mode(checkout / ".local") == 0o700
    state = checkout / ".local" / "aws"
    assert mode(state) == 0o700
    assert mode(state / "blobs") == 0o700
    assert mode(state / "snapshot.pickle") == 0o600
    journals = list(state.glob("journal-*.log"))
    assert journals
    assert {mode(journal) for journal in journals} == {0o600}


def test_exposing_is_an_explicit_opt_in_naming_this_machine() -> None:
    where = runner.listen("192.168.1.20")  # TASKMANAGER_EXPOSE=192.168.1.20 make run
    command = runner.reflex_command(3000, 8000, where)
    assert command[command.index("--backend-host") + 1] == "0.0.0.0"  # noqa: S104 - what is being checked
    # A browser on another machine finds the UI (TMP_APP_URL) and the backend (REFLEX_API_URL) by that name.
    assert (where.url(3000), where.url(8000)) == ("http://192.168.1.20:3000", "http://192.168.1.20:8000")


@pytest.mark.parametrize("value", ["1", "true", "http://192.168.1.20:3000", "my box"])
def test_an_expose_value_that_names_no_host_is_refused(value: str) -> None:
    with pytest.raises(SystemExit, match=runner.EXPOSE_VARIABLE):
        runner.listen(value)


@pytest.mark.parametrize(
    ("value", "bind", "public_host"),
    [
        (None, "127.0.0.1", "localhost"),
        ("", "127.0.0.1", "localhost"),
        ("devbox.lan", "0.0.0.0", "devbox.lan"),  # noqa: S104
        ("fd00::2", "::", "[fd00::2]"),
    ],
)
def test_listen(value: str | None, bind: str, public_host: str) -> None:
    assert runner.listen(value) == runner.Listen(bind=bind, public_host=public_host)
