"""The package's shape: no import circle, and the layering of DESIGN.md.

Imports are read from the source (module level and inside functions alike:
a deferred import is still a dependency), resolved to modules of the
package, and walked for cycles.
"""
from __future__ import annotations

import ast
from pathlib import Path

import synthaug

ROOT = Path(synthaug.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set) -> set:
    """The package modules ``path`` imports (a package's __init__ only when
    the import names the package itself)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # "from pkg import mod" imports the module pkg.mod when there is one
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in modules and t != name)
    return out


def import_graph() -> dict:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def find_cycle(graph: dict):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_inside_the_package():
    graph = import_graph()
    assert "synthaug.core.estimator" in graph and len(graph) > 30  # the walk saw the package
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layers_depend_downwards():
    """nets know tensors only; codecs and engines never import models or the
    estimator core; the file format knows no model."""
    graph = import_graph()

    def deps(prefix):
        return {d for m, ds in graph.items() if m.startswith(prefix) for d in ds}

    assert not {d for d in deps("synthaug.nets") if not d.startswith("synthaug.nets")}
    for layer in ("synthaug.codecs", "synthaug.engines"):
        assert not {d for d in deps(layer) if d.startswith(("synthaug.models",
                                                             "synthaug.core.estimator"))}
    assert not {d for d in graph["synthaug.core.fileformat"] if d.startswith("synthaug.models")}


def code_lines(path: Path, skip=("__init__",)) -> int:
    """Lines of code: no docstring, comment or blank line, and not the
    bodies of the functions named in ``skip`` (scikit-learn's required
    parameter-storing ``__init__``)."""
    lines = path.read_text().splitlines()
    dropped = set()
    for node in ast.walk(ast.parse(path.read_text())):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            dropped.update(range(body[0].lineno, body[0].end_lineno + 1))
        if isinstance(node, ast.FunctionDef) and node.name in skip:
            dropped.update(range(node.lineno, node.end_lineno + 1))
    return sum(1 for i, line in enumerate(lines, 1)
               if i not in dropped and line.strip() and not line.strip().startswith("#"))


def test_model_files_are_thin():
    """A model file is its parameters, their constraints and its (codec,
    engine) pair; the logic lives in the core, codecs and engines."""
    sizes = {p.name: code_lines(p) for p in (ROOT / "models").glob("*.py")}
    # (today 24-33 lines of code; TextLM 62 with its sampling options)
    assert len(sizes) == 6 and max(sizes.values()) <= 70, sizes
