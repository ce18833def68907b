"""Specification: the workspace (`/workspace`), the web client analysts and investigators work
in, built from TypeScript (web/) into the package and driven here in headless Chromium
(Debian's, by playwright-core) against a real server with demo data.

- An analyst signs in with a masked token, triages from the queue, opens a report (every part,
  files with their labels and who gave them), walks its graph (placed nodes stay still, no two
  visible labels overlap), finds a path, exports PNG, GraphML and JSON, and saves a view.
- Law enforcement sees its agency's referrals only, and a withheld field names its scope.
- The pages pass an axe-core accessibility check with no serious or critical violation, and
  the browser asks no host but tipgraph.
Screenshots are kept under tests/artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, specified_rules, validate

from api.settings import PROJECT_ROOT, Settings, identifier_ids, load_settings
from authz.roles import Role
from graph.core.db import Database, run
from graph.core.errors import SettingsError
from graph.demo.seed import seed_demo
from resolvers.limits import cost_limit_rule
from resolvers.schema import build_schema
from resolvers.selection import report_module
from resolvers.settings import EdgeLimits
from tests.conftest import Tokens

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NODE = shutil.which("node")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
BUNDLE = PROJECT_ROOT / "api" / "static" / "workspace" / "workspace.js"
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js (make install) is needed")
needs_browser = pytest.mark.skipif(
    NODE is None or not os.path.exists(CHROMIUM),
    reason="Node.js and Debian's chromium (make install) are needed")


def node(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=PROJECT_ROOT, check=False, env={**os.environ, "CHROMIUM": CHROMIUM})


def test_the_workspace_is_served_from_the_package(served: str) -> None:
    page = httpx.get(f"{served}/workspace")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self'" in policy
    assert '<script src="/workspace/workspace.js"></script>' in page.text
    assert "http" not in page.text  # nothing from another host
    for asset in ("workspace.js", "workspace.css"):
        assert httpx.get(f"{served}/workspace/{asset}").status_code == 200
    assert httpx.get(f"{served}/workspace/config.json").json() == {"oidc": None}
    assert httpx.get(f"{served}/workspace/app.py").status_code == 404
    # the explorer is the workspace's graph view
    explore = httpx.get(f"{served}/explore", follow_redirects=False)
    assert explore.status_code == 308
    assert explore.headers["location"] == "/workspace#/graph"


def test_sign_in_through_a_provider_is_configured_whole(tmp_path: Path) -> None:
    base = {"TIPGRAPH_STATE_DIR": str(tmp_path)}
    oidc = load_settings({**base, "TIPGRAPH_OIDC_AUTHORIZATION_URL": "https://id.example/auth",
                          "TIPGRAPH_OIDC_CLIENT_ID": "tipgraph-workspace"}).oidc
    assert oidc is not None
    assert oidc.scope == "openid"
    assert load_settings(base).oidc is None
    for wrong in ({"TIPGRAPH_OIDC_CLIENT_ID": "only-half"},
                  {"TIPGRAPH_OIDC_AUTHORIZATION_URL": "http://id.example/auth",
                   "TIPGRAPH_OIDC_CLIENT_ID": "x"}):
        with pytest.raises(SettingsError):
            load_settings({**base, **wrong})


def test_the_report_view_asks_for_every_field_of_a_report() -> None:
    generated = (PROJECT_ROOT / "web" / "src" / "generated.ts").read_text()
    assert generated == report_module(build_schema(production=False)._schema), (
        "web/src/generated.ts is stale: run `python -m resolvers.selection > "
        "web/src/generated.ts` and `npm run build:web`")


@needs_node
def test_every_document_the_workspace_sends_is_valid_and_within_the_limits() -> None:
    result = node("tests/node/documents.mjs")
    assert result.returncode == 0, result.stderr[-2000:]
    documents: dict[str, str] = json.loads(result.stdout)
    assert {"QUEUE", "AGENCY_QUEUE", "REPORT", "NEIGHBORHOOD", "PATHS", "EXPORT",
            "SAVE_VIEW"} <= set(documents)
    schema = build_schema(production=False)._schema
    limits = EdgeLimits()
    rules = [*specified_rules, cost_limit_rule(limits.max_cost, limits.default_list_size, 100)]
    for name, document in documents.items():
        assert validate(schema, parse(document), rules) == [], name


@needs_node
def test_the_committed_bundle_is_what_the_sources_build(tmp_path: Path) -> None:
    built = tmp_path / "workspace.js"
    result = node("web/build.mjs", "--out", str(built))
    assert result.returncode == 0, result.stderr[-2000:]
    assert built.read_bytes() == BUNDLE.read_bytes(), (
        "api/static/workspace/workspace.js is stale: run `npm run build:web`")
    typed = node("node_modules/typescript/bin/tsc", "-p", "web/tsconfig.json")
    assert typed.returncode == 0, typed.stdout[-3000:]


async def _demo(db: Database, settings: Settings) -> dict[str, Any]:
    """The demo's graph, and the reports the flows use."""
    await seed_demo(db, settings.intake, identifier_ids(settings), reports=60)

    async def pick(tx: Any) -> dict[str, Any]:
        [linked] = await run(tx, """
            MATCH (r:Report {status: 'SUBMITTED'})-[:MENTIONS]->(i:Identifier)
                  <-[:MENTIONS]-(o:Report {status: 'SUBMITTED'})
            WHERE r <> o AND EXISTS { (r)-[:HAS_FILE]->() }
            RETURN r.id AS id ORDER BY id LIMIT 1""")
        [referred] = await run(tx, """
            MATCH (r:Report)-[:REFERRED_TO]->(a:Agency)
            WITH a, collect(r.id) AS ids ORDER BY size(ids) DESC, a.id LIMIT 1
            RETURN a.id AS agency, ids""")
        [hidden] = await run(tx, """
            MATCH (r:Report {status: 'SUBMITTED'}) WHERE NOT (r)-[:REFERRED_TO]->()
            RETURN r.id AS id ORDER BY id LIMIT 1""")
        return {"report": linked["id"], "agency": referred["agency"],
                "referred": sorted(referred["ids"]), "hidden": hidden["id"]}

    return await db.read(pick)


@needs_browser
async def test_an_analyst_and_an_investigator_work_in_the_workspace(
        served: str, db: Database, settings: Settings, tokens: Tokens) -> None:
    demo = await _demo(db, settings)
    ARTIFACTS.mkdir(exist_ok=True)
    case = PROJECT_ROOT / "tests" / "artifacts" / "workspace-case.json"
    case.write_text(json.dumps({
        "url": served, "artifacts": str(ARTIFACTS),
        "analyst": tokens.mint(Role.ANALYST, subject="analyst-ws"),
        # an investigator without files:read or pii:read: masked fields name their scope
        "le": tokens.mint(Role.LE, agency_id=demo["agency"], subject="det-ws",
                          scope="report:read links:explore"),
        "report": str(demo["report"]), "leReport": str(demo["referred"][0]),
        "hiddenReport": str(demo["hidden"]),
        "axe": str(PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js")}))
    try:
        result = node(str(PROJECT_ROOT / "tests" / "node" / "workspace.mjs"), str(case),
                      timeout=300)
    finally:
        case.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["problems"] == [], json.dumps(seen, indent=1)[:6000]
    # the browser asked nothing of any host but tipgraph, and nothing failed
    assert [u for u in seen["requested"] if not u.startswith((served, "data:", "blob:"))] == []
    assert seen["failed"] == []
    serious = {page: [v for v in violations if v["impact"] in ("serious", "critical")]
               for page, violations in seen["axe"].items()}
    assert serious == {page: [] for page in seen["axe"]}, serious
    assert set(seen["axe"]) >= {"sign-in", "queue", "report", "graph", "graph-list",
                                "agency-queue", "le-report"}

    analyst = seen["analyst"]
    assert analyst["tokenField"] is True  # the token left the page once used
    assert analyst["queueRows"] > 0
    assert "priority P1" in analyst["triaged"]["status"]
    assert {"Files and labels", "Identifiers", "Cross-references", "Referrals and outcomes",
            "History", "Reported people", "Victims"} <= set(analyst["report"]["sections"])
    assert analyst["report"]["labelSummary"].startswith(("1 file", "2 files", "3 files"))
    assert analyst["report"]["labelRows"] > 0
    assert analyst["report"]["withheld"] == 0  # an analyst sees every part
    graph = analyst["graph"]
    assert graph["moved"] == 0  # an expansion leaves placed nodes where they were
    assert graph["overlappingLabels"] == 0
    assert "Path found" in analyst["path"]
    assert "Said byESP" in analyst["card"]
    assert "Basis" in analyst["card"]
    exports = analyst["exports"]
    assert exports["graphml"]["head"].startswith("<?xml")
    assert exports["json"]["head"].startswith("{")
    assert exports["png"]["head"].startswith("\x89PNG")
    assert analyst["views"] == ["case under review"]
    assert analyst["keyboardSelected"] == 1
    assert analyst["listRows"] == graph["nodes"]
    assert analyst["narrow"]["canvas"] >= 700  # the graph takes the width at 800 px
    assert analyst["narrow"]["scroll"] <= 800

    le = seen["le"]
    assert len(le["queue"]) == min(len(demo["referred"]), 25)
    assert {int(i) for i in le["queue"]} <= set(demo["referred"])  # its referrals only
    assert "needs scope files:read" in le["withheld"]
    assert "needs scope pii:read" in le["withheld"]
    assert "not yours to see" in le["hidden"]

    async def exported(tx: Any) -> int:
        rows = await run(tx, "MATCH (e:AuditEvent {subject: 'analyst-ws'})"
                             " WHERE e.operation = 'Export' RETURN count(e) AS n")
        return int(rows[0]["n"])

    assert await db.read(exported) == 3  # each export is in the audit trail
    for name in ("queue", "report", "graph", "graph-800", "le-queue", "le-report"):
        assert (ARTIFACTS / f"workspace-{name}.png").stat().st_size > 5_000
