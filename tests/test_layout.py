"""The test tree's own rules: tests mirror modules, and no test module imports another.

Shared helpers live in ``tests/support/``; a helper imported from a test module (or a conftest) couples
tests to each other and hides what they share. Other Python files outside ``tests/support/`` are test
modules, ``conftest.py`` or package markers.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def python_files() -> list[Path]:
    return [p for p in TESTS.rglob("*.py") if "node_modules" not in p.parts and p.parent.name != "js"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {
        f"{path.relative_to(TESTS)} imports {module}"
        for path in python_files()
        for module in imported_modules(path)
        if module.startswith("tests.") and not module.startswith("tests.support")
    }
    assert not offenders, "move shared helpers to tests/support/: " + "; ".join(sorted(offenders))


def test_only_tests_conftests_and_support_outside_tests_support() -> None:
    stray = [
        str(p.relative_to(TESTS))
        for p in python_files()
        if "support" not in p.relative_to(TESTS).parts
        and not (p.name.startswith("test_") or p.name in ("conftest.py", "__init__.py"))
    ]
    assert not stray, f"helpers belong in tests/support/: {stray}"
