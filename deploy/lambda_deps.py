"""Prepare the Lambda dependency layer directory without Docker.

``python -m deploy.lambda_deps [DIR]`` installs the backend's runtime dependencies (``[project].dependencies`` of
pyproject.toml, minus the UI-only ones) as manylinux aarch64 wheels for CPython 3.12 into ``DIR/python``, the layout a
Lambda layer expects. It needs the package index (like ``uv sync``), not Docker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from deploy.stacks.functions import DEFAULT_DEPS_DIR, REPO_ROOT

# Dependencies of the Reflex UI only: never imported by backend/ (see the comments in pyproject.toml).
UI_ONLY = {"reflex", "segno"}


def requirements() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = []
    for requirement in project["dependencies"]:
        name = requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
        if name not in UI_ONLY:
            wanted.append(requirement)
    return wanted


def build(target: Path) -> None:
    site = target / "python"
    shutil.rmtree(target, ignore_errors=True)
    site.mkdir(parents=True)
    subprocess.run(  # noqa: S603  # fixed argv: uv + the requirements of pyproject.toml
        [
            *os.environ.get("UV", "python3 -m uv").split(),
            "pip",
            "install",
            "--quiet",
            "--target",
            str(site),
            "--python-platform",
            "aarch64-manylinux2014",
            "--python-version",
            "3.12",
            "--only-binary",
            ":all:",
            *requirements(),
        ],
        check=True,
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEPS_DIR)
