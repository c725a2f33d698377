"""The UI's structure (docs: DESIGN.md "the UI — no backend imports except backend.client"; issue 18):

* no import cycle between the modules of ``taskmanager_pro`` (every ``import``, at module level or in a function);
* nothing imported from ``backend`` but ``backend.client`` (and its submodules);
* the feature states hang off the sidebar base only: every Reflex state of ``taskmanager_pro/state`` has as direct
  bases ``AppState``, ``WorkspaceState`` or ``rx.State``, never another feature state.

Imports are read from the source with ``ast`` (nothing is executed for the first two). An edge goes to the module an
import names: ``from pkg import name`` is an edge to ``pkg.name`` when that is a module of the package, else to
``pkg``; the parent packages Python initialises on the way are not edges (as in grimp/import-linter).
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import itertools
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = "taskmanager_pro"


def module_files(package: str = UI) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package by its own name, for its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(module: str, source: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """``(line, dotted name)`` of everything ``source`` imports, anywhere in it; ``from x import y`` gives ``x.y``
    (which may be a module or a name in ``x``). Relative imports are resolved against ``module``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def import_graph(modules: Mapping[str, Path], package: str = UI) -> dict[str, set[str]]:
    """``module -> the modules of the package it imports``."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for _, imported in imported_names(name, path.read_text(), is_package=path.name == "__init__.py"):
            if imported != package and not imported.startswith(package + "."):
                continue
            # "from pkg import name": the module pkg.name if there is one, else pkg itself
            target = imported if imported in modules else imported.rpartition(".")[0]
            if target in modules and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as ``[a, b, ..., a]`` (a imports b ...), or None (stdlib graphlib's topological sort
    finds it; it reads the graph as "node -> what must come before it", so its cycle is reversed here)."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        cycle: list[str] = list(reversed(error.args[1]))
        return cycle
    return None


# --- the cycle finder itself -----------------------------------------------------------------------------------------
def test_find_cycle_reports_a_cycle_in_import_order() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None
    cycle = find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    assert all(after in graph[before] for before, after in itertools.pairwise(cycle))


def test_the_graph_reads_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg import a\n")
    (package / "a.py").write_text("import os\nfrom pkg.sub import b\n")
    (package / "sub" / "__init__.py").write_text("from . import b\nfrom .b import THING\n")
    (package / "sub" / "b.py").write_text("THING = 1\n\ndef late():\n    from ..a import something\n")
    modules = {
        "pkg": package / "__init__.py",
        "pkg.a": package / "a.py",
        "pkg.sub": package / "sub" / "__init__.py",
        "pkg.sub.b": package / "sub" / "b.py",
    }
    graph = import_graph(modules, package="pkg")
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.sub.b"}, "pkg.sub": {"pkg.sub.b"}, "pkg.sub.b": {"pkg.a"}}
    assert find_cycle(graph) in (["pkg.a", "pkg.sub.b", "pkg.a"], ["pkg.sub.b", "pkg.a", "pkg.sub.b"])


# --- the UI ----------------------------------------------------------------------------------------------------------
def test_no_import_cycle_in_the_ui() -> None:
    modules = module_files()
    graph = import_graph(modules)
    assert len(graph) > 40, "the UI's modules were not all read"
    assert graph["taskmanager_pro.state.tasks"] >= {"taskmanager_pro.state.listing", "taskmanager_pro.state.views"}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
    # and the check would see one: views importing tasks back (tasks -> views already)
    graph["taskmanager_pro.state.views"].add("taskmanager_pro.state.tasks")
    assert set(find_cycle(graph) or []) >= {"taskmanager_pro.state.views", "taskmanager_pro.state.tasks"}


# The one allowed exception: the app module mounts the local API in a local run (DESIGN.md, "taskmanager_pro.py").
ALLOWED_BACKEND_IMPORTS = {"taskmanager_pro.taskmanager_pro": {"backend.local.asgi.create_local_api"}}


@pytest.mark.parametrize("module", sorted(module_files()))
def test_the_ui_imports_only_backend_client_from_the_backend(module: str) -> None:
    path = module_files()[module]
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for line, name in imported_names(module, path.read_text(), is_package=path.name == "__init__.py")
        if (name == "backend" or name.startswith("backend."))
        and name != "backend.client"
        and not name.startswith("backend.client.")
        and name not in ALLOWED_BACKEND_IMPORTS.get(module, set())
    ]
    assert not wrong, "\n".join(wrong)


def test_the_backend_import_check_sees_function_level_imports() -> None:
    source = (
        "from backend.client import ApiClient\nimport backend.client.api\n\ndef f():\n    from backend import errors\n"
    )
    names = [name for _, name in imported_names("taskmanager_pro.x", source)]
    assert names == ["backend.client.ApiClient", "backend.client.api", "backend.errors"]


def test_feature_states_inherit_only_the_shared_bases() -> None:
    import reflex as rx

    from taskmanager_pro.state.base import AppState
    from taskmanager_pro.state.workspace import WorkspaceState

    package = importlib.import_module(f"{UI}.state")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{UI}.state.{info.name}")

    def subclasses(cls: type) -> Iterator[type]:
        sub: type
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    states = {cls for cls in subclasses(rx.State) if cls.__module__.startswith(f"{UI}.state")}
    names = {cls.__name__ for cls in states}
    assert {"AppState", "WorkspaceState", "TasksState", "TaskDetailState", "QuickAddState"} <= names
    allowed = {AppState, WorkspaceState, rx.State}
    wrong = sorted(
        f"{cls.__module__}.{cls.__qualname__}({', '.join(base.__name__ for base in cls.__bases__)})"
        for cls in states
        if not set(cls.__bases__) <= allowed
    )
    assert not wrong, "states deriving from a feature state: " + "; ".join(wrong)
