"""No import circles: handcalc's modules and the modules they import form a DAG (data flows
one way), counting imports inside functions too (heavy modules loaded on demand) and
imports under TYPE_CHECKING (for annotations): an annotation names a module this one
depends on as surely as a call does."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "handcalc"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _nodes(body: list[ast.stmt]):
    """Every node under `body`, `if TYPE_CHECKING:` blocks included."""
    for node in body:
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _nodes([child])
            else:
                yield from ast.walk(child)


def _imports(tree: ast.Module, name: str, package: bool,
             modules: set[str]) -> set[str]:
    """The handcalc modules `name` imports. `from pkg import sub` of a submodule is an
    edge to the submodule alone, as Python loads it (the package is already loading)."""
    out: set[str] = set()
    for node in _nodes(tree.body):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("handcalc")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if package else base[:-1]
                mod = ".".join(base[:len(base) - node.level + 1] + ([node.module]
                                                                      if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("handcalc"):
                subs = {f"{mod}.{a.name}" for a in node.names} & modules
                out |= subs if len(subs) == len(node.names) else subs | {mod}
    return out


def test_imports_form_no_cycle():
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = _imports(ast.parse(path.read_text()), name, path.name == "__init__.py",
                        set(modules))
        graph[name] = {d for d in deps if d in modules and d != name}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycle = trail[trail.index(dep):] + [dep] if dep in trail else [node, dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, trail + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
