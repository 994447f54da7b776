"""The model is a one-way street: no import circle inside it, nothing hidden behind TYPE_CHECKING, no constructs."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

PACKAGE = "nusantara_fleet"
MODEL = ROOT / PACKAGE / "model"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[tuple[str, list[str], bool]]:
    """(module, imported names, inside `if TYPE_CHECKING`) for every absolute import of the file."""
    found: list[tuple[str, list[str], bool]] = []

    def visit(nodes: list[ast.stmt], guarded: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If):
                visit(node.body, guarded or _is_type_checking(node.test))
                visit(node.orelse, guarded)
            elif isinstance(node, ast.Import):
                found.extend((alias.name, [], guarded) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.module, [alias.name for alias in node.names], guarded))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Try | ast.With):
                visit([child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)], guarded)

    visit(tree.body, False)
    return found


def import_problems(package: Path, root: Path) -> list[str]:
    """Cycles, TYPE_CHECKING-only imports and imports of the constructs, among the modules under `package`."""
    modules = {_module_name(path, root): path for path in sorted(package.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    problems = []
    for name, path in modules.items():
        for target, names, guarded in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if target.startswith(f"{PACKAGE}.constructs"):
                problems.append(f"{name} imports {target}: the model never depends on the constructs")
            if guarded and target.startswith(PACKAGE):
                problems.append(f"{name} imports {target} only under TYPE_CHECKING: a hidden import circle")
            # `from a.b import c` depends on a.b.c when c is a module, else on a.b
            candidates = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]
            graph[name].update(c for c in candidates if c in modules and c != name)
    problems.extend(f"import circle: {' -> '.join(cycle)}" for cycle in _cycles(graph))
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_the_model_has_no_import_circle_no_hidden_import_and_no_constructs() -> None:
    assert len(list(MODEL.rglob("*.py"))) > 10, "the walk found no model modules"
    assert import_problems(MODEL, ROOT) == []


def _package(tmp: Path, files: dict[str, str]) -> Path:
    model = tmp / PACKAGE / "model"
    for name, text in files.items():
        path = model / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return model


def test_a_circle_is_found(tmp_path: Path) -> None:
    model = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from nusantara_fleet.model.b import B\n",
            "b.py": "def f() -> None:\n    from nusantara_fleet.model import a\n",
        },
    )
    assert import_problems(model, tmp_path) == [
        "import circle: nusantara_fleet.model.a -> nusantara_fleet.model.b",
    ]


def test_a_type_checking_import_and_a_construct_import_are_found(tmp_path: Path) -> None:
    model = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nusantara_fleet.model.b import B\n",
            "b.py": "from nusantara_fleet.constructs.pod import pod_spec\n",
        },
    )
    assert import_problems(model, tmp_path) == [
        "nusantara_fleet.model.a imports nusantara_fleet.model.b only under TYPE_CHECKING: a hidden import circle",
        "nusantara_fleet.model.b imports nusantara_fleet.constructs.pod: the model never depends on the constructs",
    ]
