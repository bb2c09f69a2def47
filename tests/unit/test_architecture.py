"""The package map holds (docs/architecture.md): contracts kept, no import cycle, small modules, imports at the top."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scheduler", "resources", "calendars")
MAX_LINES = 500
# Function-level imports are for real lazy loading only: the command line imports a subcommand's
# machinery (the solver, the web app, the demo) when that subcommand runs, so `--help` stays quick.
LAZY_IMPORTS_ALLOWED = {"scheduler/cli.py"}


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "piccolo_migrations" not in p.parts)


def test_import_contracts_are_kept() -> None:
    linter = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or "lint-imports"
    result = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_lint_is_clean() -> None:
    """pyflakes, syntax-level style and import order as pyproject's [tool.ruff.lint] selects them."""
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or "ruff"
    result = subprocess.run([ruff, "check", "--no-cache", *PACKAGES, "tests"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = sorted(graph.modules)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                cycles.append(path[path.index(imported):] + [imported] if imported in path else [module, imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in modules:
        if module not in state:
            visit(module, [module])
    # a package's __init__ importing its own modules is not a cycle of code
    real = [c for c in cycles if not any(m in PACKAGES or m.endswith("__init__") for m in c)]
    assert real == [], "import cycles: " + "; ".join(" -> ".join(c) for c in real[:5])


def test_no_module_is_over_500_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these modules (at most {MAX_LINES} lines each): {long}"


def test_imports_are_at_the_top_except_for_lazy_loading() -> None:
    inside: list[str] = []
    for path in _modules():
        rel = str(path.relative_to(ROOT))
        if rel in LAZY_IMPORTS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        inside.append(f"{rel}:{inner.lineno}")
    assert inside == [], f"function-level imports outside the command line: {inside}"
