"""Specification: tipgraph is an Apollo Federation 2 subgraph, checked with Apollo's own
libraries (npm): its SDL composes beside a second subgraph, one query through @apollo/gateway
joins both end to end under tipgraph's row rules, and ``_entities`` costs one Cypher statement
per entity type. The graphql-http package's audits find no MUST failure on /graphql."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import PROJECT_ROOT
from authz.roles import Role
from bench.harness import running
from graph.core.db import Database
from graph.core.server import free_port
from graph.core.visibility import EVERY_REPORT
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter
from tests.conftest import Api, Tokens, wait_for
from tests.documents import SUBMIT_REPORT, example_input

NODE = shutil.which("node")
NODE_TOOLS = PROJECT_ROOT / "tests" / "node"
pytestmark = pytest.mark.skipif(
    NODE is None or not (PROJECT_ROOT / "node_modules" / "@apollo" / "gateway").exists(),
    reason="Node.js and the npm packages (make install) are needed")


def node(script: str, *args: str, env: dict[str, str] | None = None) -> Any:
    assert NODE is not None
    result = subprocess.run([NODE, str(NODE_TOOLS / script), *args], capture_output=True,
                            text=True, timeout=120, cwd=PROJECT_ROOT, check=False,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


async def test_the_sdl_composes_beside_a_second_subgraph(api: Api, tmp_path: Path) -> None:
    body = await api.gql("{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    for entity in ("Report", "Identifier", "Agency", "Jurisdiction"):
        assert f'type {entity} @key(fields: "id")' in sdl, entity
    (tmp_path / "tipgraph.graphql").write_text(sdl)
    composed = node("compose.mjs", str(tmp_path / "tipgraph.graphql"))
    assert composed["errors"] == []
    assert composed["supergraph"] is True


async def test_a_gateway_query_joins_both_subgraphs_under_the_row_rules(
        served: str, api: Api, db: Database, tokens: Tokens, tmp_path: Path) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    esp = tokens.esp("example-esp")
    referred = (await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp))[
        "data"]["submitReport"]["id"]
    other = (await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp))[
        "data"]["submitReport"]["id"]
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    await refer_report(db, int(referred), "agency-1", by="analyst", reason="test",
                       rows=EVERY_REPORT)
    port = free_port()
    log = tmp_path / "gateway.log"
    assert NODE is not None
    with running([NODE, str(NODE_TOOLS / "gateway.mjs")], log,
                 {"TIPGRAPH_URL": f"{served}/graphql", "PORT": str(port)}) as gateway_process:
        wait_for(log, "GATEWAY_READY", gateway_process, seconds=60)
        gateway = f"http://127.0.0.1:{port}/"

        def ask(query: str, token: str) -> dict[str, Any]:
            response = httpx.post(gateway, json={"query": query}, timeout=30,
                                  headers={"Authorization": f"Bearer {token}"})
            result: dict[str, Any] = response.json()
            return result

        analyst = tokens.mint(Role.ANALYST)
        joined = ask(f'{{ report(id: "{referred}") {{ id status cases {{ id title }} }} }}',
                     analyst)
        assert joined["data"]["report"] == {
            "id": referred, "status": "SUBMITTED",
            "cases": [{"id": f"case-{referred}",
                       "title": f"Investigation of report {referred}"}]}
        # and the other way: the cases subgraph's Case resolves its Report through tipgraph's
        # _entities, with the caller's token
        back = ask(f'{{ case(id: "case-{referred}") {{ title report {{ id status }} }} }}',
                   analyst)
        assert back["data"]["case"]["report"] == {"id": referred, "status": "SUBMITTED"}
        officer = tokens.mint(Role.LE, agency_id="agency-1")
        hidden = ask(f'{{ case(id: "case-{other}") {{ title report {{ id status }} }} }}',
                     officer)
        assert (hidden.get("data") or {}).get("case") is None or \
            hidden["data"]["case"]["report"] is None
        seen = ask(f'{{ case(id: "case-{referred}") {{ report {{ id status }} }} }}', officer)
        assert seen["data"]["case"]["report"]["id"] == referred


async def test_entities_cost_one_statement_per_entity_type(
        served: str, api: Api, db: Database, tokens: Tokens) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    esp = tokens.esp("example-esp")
    created = [(await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp))
               ["data"]["submitReport"] for _ in range(6)]
    identifiers = [i["identifier"]["id"] for i in created[0]["identifiers"]]
    analyst = tokens.mint(Role.ANALYST)
    query = ("query($r: [_Any!]!) { _entities(representations: $r) {"
             " ... on Report { id status } ... on Identifier { id kind } } }")

    def statements(reports: int, idents: int) -> float:
        representations = ([{"__typename": "Report", "id": c["id"]} for c in created[:reports]]
                           + [{"__typename": "Identifier", "id": i} for i in identifiers[:idents]])
        before = httpx.get(f"{served}/metrics").text
        response = httpx.post(f"{served}/graphql", json={
            "query": query, "variables": {"r": representations}},
            headers={"Authorization": f"Bearer {analyst}"})
        assert "errors" not in response.json(), response.text
        assert len(response.json()["data"]["_entities"]) == reports + idents
        after = httpx.get(f"{served}/metrics").text
        return _counter(after) - _counter(before)

    statements(1, 1)  # warm-up: the first request with a token also reads the revocations
    assert statements(1, 1) == statements(6, 4)  # independent of how many


def _counter(metrics: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("tipgraph_neo4j_round_trips_total") and 'route="/graphql"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_graphql_over_http_audits_find_no_must_failure(served: str) -> None:
    results = node("http-audit.mjs", f"{served}/graphql")
    failures = [r for r in results if r["name"].startswith("MUST") and r["status"] != "ok"]
    assert failures == []
    # nor any SHOULD or MAY warning (application/graphql-response+json is served too)
    assert [r for r in results if r["status"] != "ok"] == []
    assert len(results) > 50
