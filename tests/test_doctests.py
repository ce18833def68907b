"""The examples in docstrings run: each ``Example::`` block is a doctest, or it is not there."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [path for package in ("api", "authz", "graph", "resolvers", "bench")
           for path in sorted((ROOT / package).rglob("*.py"))]
EXAMPLE = re.compile(r"^(\s*)Example::\n\n((?:\1    .*\n|\n)+)", re.M)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


WITH_EXAMPLES = [path for path in SOURCES if "Example::" in path.read_text()]


def test_every_example_block_is_a_doctest() -> None:
    prose = [f"{path.relative_to(ROOT)}" for path in SOURCES
             for _, block in EXAMPLE.findall(path.read_text()) if ">>>" not in block]
    assert not prose, ("Example:: blocks that do not run (make them doctests, or drop them): "
                       f"{prose}")
    assert len(WITH_EXAMPLES) >= 4


@pytest.mark.parametrize("path", WITH_EXAMPLES, ids=lambda path: _module(path))
def test_the_examples_run(path: Path) -> None:
    module = importlib.import_module(_module(path))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
