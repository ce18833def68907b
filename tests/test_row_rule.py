"""Every Cypher statement under graph/ that matches a report carries the row rule, or says why not.

The statement's text is read the way @neo4j/graphql's tests pin the authorization predicate in
the Cypher they expect: a module constant whose value matches ``:Report`` must contain the rule
(``$rows.``, from :mod:`graph.core.visibility`); a function that builds such a statement from
pieces must use the rule or a constant that carries it. Anything else must be named in
``ROW_RULE_EXEMPTIONS`` with its reason, and an exemption that no longer matches anything, or
whose statement has since gained the rule, fails too: the list stays true.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from authz.principal import Principal
from authz.roles import ROLE_SCOPES, Role, Scope
from graph.core.visibility import (
    EVERY_REPORT,
    NO_REPORT,
    ROW_RULE_EXEMPTIONS,
    RowScope,
)

GRAPH = Path(__file__).resolve().parent.parent / "graph"
MATCHES_A_REPORT = re.compile(r":Report\b")
RULE_MARK = "$rows."
RULE_FUNCTIONS = frozenset({"visible_report", "counted_report", "is_common", "seen"})


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _strings(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def _names(node: ast.AST) -> set[str]:
    found = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}
    return found | {sub.attr for sub in ast.walk(node) if isinstance(sub, ast.Attribute)}


def _cypher(texts: Iterator[str], docstring: str | None) -> list[str]:
    return [text for text in texts if MATCHES_A_REPORT.search(text) and text != docstring]


def statements(root: Path = GRAPH) -> dict[str, bool]:
    """Every statement owner under ``root`` that matches ``:Report``: ``module:NAME`` -> ruled."""
    modules = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    ruled_constants: set[str] = set()
    found: dict[str, bool] = {}
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for name, path in modules.items():
        module = importlib.import_module(name)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if not isinstance(target, ast.Name):
                    continue
                value = getattr(module, target.id, None)
                texts = [value] if isinstance(value, str) else [
                    v for v in (value.values() if isinstance(value, dict) else [])
                    if isinstance(v, str)]
                if any(RULE_MARK in text for text in texts):
                    ruled_constants.add(target.id)
                if any(MATCHES_A_REPORT.search(text) for text in texts):
                    found[f"{name}:{target.id}"] = any(RULE_MARK in text for text in texts)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((f"{name}:{node.name}", node))
            elif isinstance(node, ast.ClassDef):
                functions += [(f"{name}:{node.name}.{sub.name}", sub) for sub in node.body
                              if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef)]
    for key, function in functions:
        if _cypher(_strings(function), ast.get_docstring(function, clean=False)):
            names = _names(function)
            found[key] = bool(names & (RULE_FUNCTIONS | ruled_constants)) or any(
                RULE_MARK in text for text in _strings(function))
    return found


def test_every_statement_that_matches_a_report_has_the_row_rule_or_a_named_exemption() -> None:
    found = statements()
    assert len(found) > 40, "the scan should see the graph's statements"
    missing = sorted(key for key, ruled in found.items()
                     if not ruled and key not in ROW_RULE_EXEMPTIONS)
    assert not missing, ("these statements match :Report without the row rule "
                         "(graph/core/visibility.py); add the rule, or an exemption with its "
                         f"reason: {missing}")


def test_every_exemption_still_names_a_statement_without_the_rule() -> None:
    found = statements()
    stale = sorted(key for key in ROW_RULE_EXEMPTIONS if found.get(key, True))
    assert not stale, f"exemptions that name nothing, or a statement that has the rule: {stale}"
    assert all(len(reason) > 20 for reason in ROW_RULE_EXEMPTIONS.values())


def test_the_scan_tells_a_ruled_statement_from_one_without_the_rule(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "scanned"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "queries.py").write_text(
        "from graph.core.visibility import VISIBLE_REPORT, visible_report\n"
        "RULED = 'MATCH (r:Report) WHERE ' + VISIBLE_REPORT + ' RETURN r'\n"
        "UNRULED = 'MATCH (r:Report {id: $id}) RETURN r'\n"
        "NOT_A_REPORT = 'MATCH (a:Agency) RETURN a'\n"
        "def built(where: str) -> str:\n"
        "    return 'MATCH (x:Report) WHERE ' + visible_report('x') + where\n"
        "def built_unruled(where: str) -> str:\n"
        "    return 'MATCH (x:Report) WHERE ' + where\n"
        "def uses_a_ruled_constant() -> str:\n"
        "    return RULED + ' // :Report'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert statements(package) == {
        "scanned.queries:RULED": True, "scanned.queries:UNRULED": False,
        "scanned.queries:built": True, "scanned.queries:built_unruled": False,
        "scanned.queries:uses_a_ruled_constant": True,
    }


@pytest.mark.parametrize(("role", "esp_id", "agency_id", "expected"), [
    (Role.ANALYST, None, None, EVERY_REPORT),
    (Role.ESP, "example-esp", None, RowScope(reporter_id="example-esp")),
    (Role.LE, None, "icac-ny", RowScope(agency_id="icac-ny")),
    (Role.AUDITOR, None, None, NO_REPORT),
    (Role.ADMIN, None, None, NO_REPORT),
])
def test_the_principal_gives_one_typed_row_scope(role: Role, esp_id: str | None,
                                                 agency_id: str | None,
                                                 expected: RowScope) -> None:
    principal = Principal(subject="s", role=role, scopes=ROLE_SCOPES[role], esp_id=esp_id,
                          agency_id=agency_id)
    assert principal.row_scope() == expected
    without_reading = Principal(subject="s", role=role,
                                scopes=ROLE_SCOPES[role] - {Scope.REPORT_READ},
                                esp_id=esp_id, agency_id=agency_id)
    assert without_reading.row_scope() == NO_REPORT


def test_a_row_scope_names_one_kind_of_reader() -> None:
    with pytest.raises(ValueError, match="one"):
        RowScope(reporter_id="example-esp", agency_id="icac-ny")
    with pytest.raises(ValueError, match="one"):
        RowScope(sees_all=True, agency_id="icac-ny")
    assert EVERY_REPORT.cypher() == {"all": True, "reporterId": None, "agencyId": None}
