"""The server's modules import each other one way: no circle, not even one dodged by an import
inside a function (every import of a sibling module counts, wherever it is written)."""

from __future__ import annotations

import ast

from icc_graph.paths import ROOT


def _imports(package: str) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports (anywhere in its text)."""
    folder = ROOT / package
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                here = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(max(0, node.level - 1)):
                    here = here.rpartition(".")[0]
                target = (f"{here}.{node.module}" if node.module else here) if node.level \
                    else (node.module or "")
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = found
    # the package itself (the app factory, which imports every page) is not a page's import
    return {m: {t for t in found if t in graph and t not in (m, package)}
            for m, found in graph.items() if m != package}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                return [*stack[stack.index(t):], t]
            if t not in state and (found := visit(t)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_checker_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_page_modules_import_one_way():
    graph = _imports("server")
    assert {"server.documents", "server.entity", "server.vocabulary"} <= set(graph)
    assert "server.resources" not in graph, "split into documents, entity and vocabulary"
    for page in ("server.documents", "server.entity", "server.vocabulary"):
        sub = {m: graph[m] for m in graph}
        reach, todo = set(), [page]
        while todo:
            m = todo.pop()
            for t in sub[m] - reach:
                reach.add(t)
                todo.append(t)
        assert page not in reach, f"{page} is in an import circle: {_cycle(sub)}"


def test_the_library_does_not_import_the_server():
    for path in (ROOT / "icc_graph").rglob("*.py"):
        if path.name == "cli.py":  # ``icc-graph serve`` imports the app inside the command
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n.split(".")[0] in ("server", "flask") for n in names), path


def test_no_circle_in_the_server():
    found = _cycle(_imports("server"))
    assert found is None, f"import circle: {' -> '.join(found)}"

