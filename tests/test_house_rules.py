"""House rules that hold by construction: checked here so that they keep holding."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_tests_import_helpers_not_other_test_modules() -> None:
    """Shared helpers live in tests/helpers.py (and the builders beside it), never in a test
    module another test module would then depend on."""
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.test_"):
                offenders.append(f"{path.name}: from {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [f"{path.name}: import {alias.name}" for alias in node.names
                              if alias.name.startswith("tests.test_")]
    assert not offenders, offenders
