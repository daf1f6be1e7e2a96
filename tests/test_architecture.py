"""The layer order is enforced, not hoped for: import-linter's contract (``.importlinter``), no import
cycle between evalnb's modules, and the core never imports the widgets, the CLI or the test tooling."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.timeout(300)


def test_import_linter_layers_contract_is_kept():
    """io -> runs -> metrics -> analysis -> portfolio -> report -> commands/cli, testing on top."""
    out = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports(config_filename='.importlinter', no_cache=True, no_logo=True))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(adj):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            for j in range(i, len(adj[v])):
                w = adj[v][j]
                if w not in index:
                    work.append((v, j + 1))
                    work.append((w, 0))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
    return found


def test_cycle_finder_finds_a_planted_cycle():
    class Graph:
        modules = {"a", "b", "c", "d"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, m):
            return self.edges.get(m, set())

    assert _cycles(Graph()) == [["a", "b", "c"]]


def test_no_import_cycles_even_deferred_ones():
    """Function-level (deferred) imports count; only ``if TYPE_CHECKING:`` imports do not run."""
    import grimp

    graph = grimp.build_graph("evalnb", include_external_packages=False, exclude_type_checking_imports=True)
    # a package's __init__ importing its own submodules is not a cycle between layers
    cycles = [c for c in _cycles(graph) if not any(b.startswith(a + ".") for a in c for b in c)]
    assert [c for c in cycles if c not in KNOWN_CYCLES] == []
    assert [c for c in KNOWN_CYCLES if c not in cycles] == [], "a known cycle is gone: remove it from KNOWN_CYCLES"


# Deferred cycles inside one layer that arrived with the Ray/DuckDB engines (issue 18), listed so
# that no new one can join them; each is to be broken (the engine dispatch belongs to one side).
KNOWN_CYCLES: list[list[str]] = []


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    pkg = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.add(node.module)
    return names


def test_core_never_imports_widgets_cli_or_test_tooling():
    bad = {}
    for path in sorted((ROOT / "evalnb").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("evalnb/commands/", "evalnb/testing/")) or rel in ("evalnb/cli.py", "evalnb/__init__.py"):
            continue
        hits = {n for n in _imports(path) if n.startswith(("evalnb.widgets", "evalnb.cli", "evalnb.commands",
                                                             "evalnb.testing"))}
        if hits:
            bad[rel] = sorted(hits)
    assert bad == {}


def test_widgets_use_the_public_api_and_core_modules_only():
    """widgets/ is a shell: it may import evalnb and its modules, never the CLI or the test tooling."""
    bad = {}
    for path in sorted((ROOT / "widgets").rglob("*.py")):
        hits = {n for n in _imports(path) if n.startswith(("evalnb.cli", "evalnb.commands", "evalnb.testing"))}
        if hits:
            bad[path.name] = sorted(hits)
    assert bad == {}
