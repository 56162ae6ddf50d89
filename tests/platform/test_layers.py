"""The package's shape, read from its imports with `ast`: no import cycles (function-level
imports included: they were how cycles hid), no domain reaching into another domain's routes
or writing its tables, and `platform/` importing no domain."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import motormall

ROOT = Path(motormall.__file__).parent
# composition roots and data loaders may know every domain
NOT_DOMAINS = {"platform", "web", "demo", "migrations", "locale"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the file."""
    out = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in MODULES:  # `from motormall.x import jobs`: the submodule itself
                    out.append((sub, [], node.lineno))
                else:
                    out.append((base, [alias.asname or alias.name], node.lineno))
    return [(m, names, line) for m, names, line in out if m.startswith("motormall")]


def _domain(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[1] in NOT_DOMAINS:
        return None
    return parts[1]


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, _, _ in _imports(name, path):
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target != name and target in MODULES:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    # package __init__ files only re-export; an edge to one is not a cycle of behaviour
    graph = {
        m: {t for t in targets if MODULES[t].name != "__init__.py"}
        for m, targets in _graph().items()
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_platform_imports_no_domain():
    wrong = [
        f"{name} imports {target} (line {line})"
        for name, path in MODULES.items()
        if name.startswith("motormall.platform")
        for target, _, line in _imports(name, path)
        if not target.startswith("motormall.platform") and target != "motormall"
    ]
    assert wrong == []


def test_no_domain_imports_another_domains_routes():
    wrong = [
        f"{name} imports {target} (line {line})"
        for name, path in MODULES.items()
        if (mine := _domain(name))
        for target, _, line in _imports(name, path)
        if _domain(target) not in (None, mine) and target.rsplit(".", 1)[-1] in ("api", "pages")
    ]
    assert wrong == []


def _is_table(module: str, attr: str) -> bool:
    return hasattr(getattr(importlib.import_module(module), attr, None), "__table__")


def _writes(name: str, path: Path) -> list[str]:
    """Another domain's table classes that this module constructs or updates/deletes."""
    mine = _domain(name)
    foreign = {
        alias
        for target, names, _ in _imports(name, path)
        if target.endswith(".models") and _domain(target) not in (None, mine)
        for alias in names
        if _is_table(target, alias)
    }
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id in foreign:
            found.append(f"{name}:{node.lineno} creates {node.func.id}")
        elif node.func.id in ("update", "insert", "delete") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id in foreign:
                found.append(f"{name}:{node.lineno} {node.func.id}s {arg.id}")
    return found


def test_no_domain_writes_another_domains_tables():
    wrong = [w for name, path in MODULES.items() if _domain(name) for w in _writes(name, path)]
    assert wrong == []


def test_the_write_check_sees_a_write(tmp_path):
    fake = tmp_path / "service.py"
    fake.write_text(
        "from motormall.catalog.models import Vehicle\n"
        "from sqlalchemy import update\n"
        "def f(s):\n    s.execute(update(Vehicle).values(status='sold'))\n"
    )
    assert _writes("motormall.orders.service", fake) == [
        "motormall.orders.service:4 updates Vehicle"
    ]
