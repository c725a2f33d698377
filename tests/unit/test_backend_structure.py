"""The backend's dependency direction (DESIGN.md: UI -> client -> API -> services -> domain/adapters; issue 13):

* no module of ``backend/adapters/`` imports ``backend.services`` or ``backend.api`` (an adapter implements a port;
  what needs a use case is a service, wired in the composition root);
* ``backend/domain/`` is pure: it imports no adapter, service or API module, and neither boto3 nor PynamoDB;
* no import cycle between the modules of ``backend``;
* every port (a ``typing.Protocol``) is declared in one module, ``backend/adapters/ports.py``.

Imports are read with ``ast`` by the UI structure test's helpers: every import counts, at module level, in a function
or under ``TYPE_CHECKING`` (a type-only import still ties the layers together).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.unit.test_ui_structure import find_cycle, import_graph, imported_names, module_files

BACKEND = "backend"


def imports_under(prefix: str) -> Iterator[tuple[str, int, str]]:
    """``(module, line, imported dotted name)`` for every import of every module of ``backend`` under ``prefix``."""
    for name, path in module_files(BACKEND).items():
        if name == prefix or name.startswith(prefix + "."):
            for line, imported in imported_names(name, path.read_text(), is_package=path.name == "__init__.py"):
                yield name, line, imported


def _within(imported: str, packages: tuple[str, ...]) -> bool:
    return any(imported == p or imported.startswith(p + ".") for p in packages)


def test_no_adapter_imports_a_service_or_the_api() -> None:
    found = list(imports_under("backend.adapters"))
    assert len({module for module, _, _ in found}) > 10, "the adapters were not all read"
    wrong = [
        f"{module}:{line} imports {imported}"
        for module, line, imported in found
        if _within(imported, ("backend.services", "backend.api"))
    ]
    assert wrong == []


def test_no_service_imports_the_api() -> None:
    """Services know no HTTP: what they shape for users (live updates) comes from ``backend.presenters``."""
    found = list(imports_under("backend.services"))
    assert len({module for module, _, _ in found}) > 10, "the services were not all read"
    wrong = [
        f"{module}:{line} imports {imported}" for module, line, imported in found if _within(imported, ("backend.api",))
    ]
    assert wrong == []


def test_the_domain_imports_no_adapter_service_api_or_aws_library() -> None:
    found = list(imports_under("backend.domain"))
    assert len({module for module, _, _ in found}) > 10, "the domain was not all read"
    forbidden = ("backend.adapters", "backend.services", "backend.api", "boto3", "botocore", "pynamodb")
    wrong = [f"{module}:{line} imports {imported}" for module, line, imported in found if _within(imported, forbidden)]
    assert wrong == []


def test_no_import_cycle_in_the_backend() -> None:
    graph = import_graph(module_files(BACKEND), package=BACKEND)
    assert len(graph) > 80, "the backend's modules were not all read"
    assert "backend.adapters.ports" in graph["backend.services.tasks"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_handlers_use_no_adapter_internals() -> None:
    """A handler calls an adapter's public functions: no private name (``_task``), no PynamoDB model."""
    found = list(imports_under("backend.handlers"))
    wrong = [
        f"{module}:{line} imports {imported}"
        for module, line, imported in found
        if _within(imported, ("backend.adapters",))
        and (imported.rpartition(".")[2].startswith("_") or imported.endswith("Model"))
    ]
    assert wrong == []


def test_every_port_is_in_the_ports_module() -> None:
    protocols = {
        f"{name}.{node.name}"
        for name, path in module_files(BACKEND).items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any((base.id if isinstance(base, ast.Name) else ast.unparse(base)) == "Protocol" for base in node.bases)
    }
    assert "backend.adapters.ports.TaskStore" in protocols
    assert {p for p in protocols if not p.startswith("backend.adapters.ports.")} == set()
