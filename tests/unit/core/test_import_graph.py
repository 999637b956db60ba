"""The import graph of reconcile/ has no cycle: dependencies point one way.

Every import statement counts, wherever it is: at module level, inside a function (a
deferred import is still a dependency) and under `if TYPE_CHECKING:` (a type-only import
still ties the two modules' designs together). An import names the module it reads from;
importing `a.b.c` is not counted as importing the package `a.b` (its `__init__`).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "reconcile"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_graph_sees_the_imports() -> None:
    graph = import_graph()
    assert "reconcile.plan.model" in graph["reconcile.plan.wire"]
    assert "reconcile.identity" in graph["reconcile.live.model"]
    assert len(graph) > 50


def test_reconcile_has_no_import_cycle() -> None:
    try:
        tuple(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise AssertionError(f"import cycle in reconcile/: {cycle}") from None


def test_a_cycle_would_be_found() -> None:
    graph = import_graph()
    graph["reconcile.plan.model"].add("reconcile.plan.wire")  # what Plan.to_json once did
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return
    raise AssertionError("the cycle check missed a cycle")


def test_models_do_not_import_the_fingerprint_module() -> None:
    graph = import_graph()
    for model in ("reconcile.desired.model", "reconcile.live.model", "reconcile.plan.model"):
        assert "reconcile.fingerprint" not in graph[model], model
