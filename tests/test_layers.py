"""The import graph of bcdcodec/ and cli/ (function-local imports included) has no cycle, between
modules or between subpackages, and only the command line and the package root use ``api``."""

import ast

from .conftest import REPO


def _modules() -> dict[str, ast.Module]:
    found = {}
    for folder, package in (("bcdcodec", "bcdcodec"), ("cli", "bcdcodec.cli")):
        for path in (REPO / folder).rglob("*.py"):
            parts = [package, *path.relative_to(REPO / folder).with_suffix("").parts]
            name = ".".join(p for p in parts if p != "__init__")
            found[name] = (ast.parse(path.read_text()), path.name == "__init__.py")
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, (tree, is_package) in modules.items():
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = name.split(".")
                if node.level:
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                targets = [f"{prefix}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _subpackage(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2])


def test_no_import_cycles_between_modules():
    assert _cycles(_graph()) == []


def test_no_import_cycles_between_subpackages():
    packages: dict[str, set[str]] = {}
    for name, deps in _graph().items():
        packages.setdefault(_subpackage(name), set()).update(_subpackage(d) for d in deps)
    for name in packages:
        packages[name].discard(name)
    assert _cycles(packages) == []


def test_only_the_command_line_uses_the_api():
    users = {name for name, deps in _graph().items() if "bcdcodec.api" in deps}
    assert all(name == "bcdcodec" or name.startswith("bcdcodec.cli") for name in users), users


def test_every_project_import_names_a_module_of_the_project():
    modules = _modules()
    unknown = []
    for name, (tree, is_package) in modules.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module.split(".")[0].startswith("bcd"):
                target = node.module
            else:
                continue
            if target not in modules:
                unknown.append(f"{name}: {target}")
    assert unknown == []
