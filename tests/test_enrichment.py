"""Enrichment: durable jobs, geolocation, jurisdictions with provenance, suggested priority."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from graph.core.db import Database, run
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.reports.reporters import register_reporter
from graph.triage.enrichment import CLAIM_DUE, EnrichmentWorker, suggest_priority
from graph.triage.geo import CidrTable, Location
from tests.conftest import Api, Tokens
from tests.documents import FINISH_REPORT, MINIMAL_INPUT, OPEN_REPORT, SUBMIT_REPORT
from tests.helpers import make_settings

ENRICHED = """
query($id: ID!) { report(id: $id) {
  priority enrichment { status computedAt attempts error }
  jurisdictions { jurisdiction { code name } basis source by confidence reason }
  suggestedPriority { priority basis source by }
  suggestedAgencies { id }
  identifiers { identifier { value } }
} }
"""

INPUT = {**MINIMAL_INPUT, "escalateToHighPriority": "stated plan to meet",
         "reportedPeople": [{
             "screenName": "x1", "espService": "ExampleChat",
             "ipCaptureEvents": [{"ipAddress": "192.0.2.7"}, {"ipAddress": "100.64.0.1"}],
             "estimatedLocation": {"countryCode": "GB"}}]}


def worker(db: Database, geo: Any = None) -> EnrichmentWorker:
    return EnrichmentWorker(db, geo or CidrTable(), common_threshold=50)


async def submit(api: Api, token: str, document: dict[str, Any] = INPUT) -> str:
    body = await api.gql(SUBMIT_REPORT, {"input": document}, token=token)
    assert "errors" not in body, body
    report_id: str = body["data"]["submitReport"]["id"]
    return report_id


async def read(api: Api, tokens: Tokens, report_id: str) -> dict[str, Any]:
    body = await api.gql(ENRICHED, {"id": report_id}, token=tokens.mint(Role.ANALYST))
    assert "errors" not in body, body
    report: dict[str, Any] = body["data"]["report"]
    return report


async def test_a_finished_report_is_enriched_with_provenance(api: Api, esp: str, db: Database,
                                                             tokens: Tokens) -> None:
    # given a submitted report: an IP in the demo table, a carrier-grade NAT address, an
    # escalation, and the ESP's estimate that the person is in GB
    report_id = await submit(api, esp)
    before = await read(api, tokens, report_id)
    assert before["enrichment"]["status"] == "PENDING"
    # when the worker runs
    assert await worker(db).run_due() == 1
    # then jurisdictions carry their basis and source, the NAT address locates nowhere, and
    # the suggestion is P1 while the analyst's priority stays unset
    after = await read(api, tokens, report_id)
    assert after["enrichment"]["status"] == "DONE"
    assert after["enrichment"]["computedAt"]
    places = {(j["jurisdiction"]["code"], j["basis"], j["source"]) for j in after["jurisdictions"]}
    assert places == {("US-CA", "GEOLOCATION", "demo-cidr"),
                      ("GB", "ESP_ESTIMATED_LOCATION", "ESP")}
    assert {j["by"] for j in after["jurisdictions"]} == {"tipgraph-enrichment"}
    assert after["suggestedPriority"]["priority"] == "P1"
    assert after["suggestedPriority"]["source"] == "AUTOMATED"
    assert "escalated" in after["suggestedPriority"]["basis"]
    assert after["priority"] == "UNSET"

    async def located(t: Any) -> list[str]:
        rows = await run(t, "MATCH (i:Identifier)-[:LOCATED_IN]->(j) RETURN i.value AS v")
        return [row["v"] for row in rows]

    assert await db.read(located) == ["192.0.2.7"]


async def test_the_suggestion_never_overrides_the_analyst(api: Api, esp: str, db: Database,
                                                          tokens: Tokens) -> None:
    report_id = await submit(api, esp)
    analyst = tokens.mint(Role.ANALYST)
    await api.gql('mutation($id: ID!) { setPriority(reportId: $id, priority: P3, '
                  'reason: "reviewed") { id } }', {"id": report_id}, token=analyst)
    await worker(db).run_due()
    after = await read(api, tokens, report_id)
    assert after["priority"] == "P3"
    assert after["suggestedPriority"]["priority"] == "P1"


async def test_an_analyst_override_survives_re_enrichment(api: Api, esp: str, db: Database,
                                                          tokens: Tokens) -> None:
    report_id = await submit(api, esp)
    await worker(db).run_due()
    body = await api.gql('mutation($id: ID!) { setReportJurisdiction(reportId: $id, '
                         'code: "US-NY", reason: "subpoena return") { id } }',
                         {"id": report_id}, token=tokens.mint(Role.ANALYST, subject="an-1"))
    assert "errors" not in body, body

    async def requeue(t: Any) -> None:
        await run(t, "MATCH (j:EnrichmentJob) SET j.status = 'PENDING', j.runAfter = datetime()")

    await db.write(requeue)
    await worker(db).run_due()
    after = await read(api, tokens, report_id)
    override = [j for j in after["jurisdictions"] if j["basis"] == "ANALYST_OVERRIDE"]
    assert override == [{"jurisdiction": {"code": "US-NY", "name": "New York"},
                         "basis": "ANALYST_OVERRIDE", "source": "ANALYST", "by": "an-1",
                         "confidence": 1.0, "reason": "subpoena return"}]
    assert len(after["jurisdictions"]) == 3


async def test_suggested_agencies_follow_coverage(api: Api, esp: str, db: Database,
                                                  tokens: Tokens) -> None:
    for spec in (AgencySpec("icac-ca", "CA ICAC", AgencyKind.ICAC_TASK_FORCE, ("US-CA",)),
                 AgencySpec("fbi", "FBI", AgencyKind.FEDERAL, ("US",)),
                 AgencySpec("nca", "NCA", AgencyKind.INTERNATIONAL, ("GB",)),
                 AgencySpec("nypd", "NYPD", AgencyKind.LOCAL, ("US-NY",))):
        await upsert_agency(db, spec)
    report_id = await submit(api, esp)
    await worker(db).run_due()
    after = await read(api, tokens, report_id)
    assert [a["id"] for a in after["suggestedAgencies"]] == ["icac-ca", "nca", "fbi"]


async def test_only_finishing_enqueues(api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    opened = await api.gql(OPEN_REPORT, {"input": MINIMAL_INPUT}, token=esp)
    report_id = opened["data"]["openReport"]["id"]
    assert (await read(api, tokens, report_id))["enrichment"] is None
    await api.gql(FINISH_REPORT, {"id": report_id}, token=esp)
    assert (await read(api, tokens, report_id))["enrichment"]["status"] == "PENDING"


class FlakyGeo:
    def __init__(self) -> None:
        self.calls = 0

    def locate(self, ip: str) -> Location | None:
        self.calls += 1
        if self.calls == 1:
            raise ValueError("geolocation database unavailable")
        return CidrTable().locate(ip)


async def test_a_failed_job_is_retried_with_backoff(api: Api, esp: str, db: Database,
                                                    tokens: Tokens) -> None:
    report_id = await submit(api, esp)
    flaky = worker(db, FlakyGeo())
    assert await flaky.run_due() == 0
    failed = await read(api, tokens, report_id)
    assert failed["enrichment"]["status"] == "RETRY"
    assert failed["enrichment"]["error"] == "geolocation database unavailable"
    assert await flaky.run_due() == 0  # not due yet: backing off

    async def due_now(t: Any) -> None:
        await run(t, "MATCH (j:EnrichmentJob) SET j.runAfter = datetime()")

    await db.write(due_now)
    assert await flaky.run_due() == 1
    done = await read(api, tokens, report_id)
    assert done["enrichment"]["status"] == "DONE"
    assert done["enrichment"]["attempts"] == 2


class GeoFailingOn:
    """A geolocation that fails on one address (a corrupt record, say)."""

    def __init__(self, address: str) -> None:
        self.address = address

    def locate(self, ip: str) -> Any:
        if ip == self.address:
            raise ValueError(f"no record for {ip}")
        return CidrTable().locate(ip)


async def test_jobs_run_together_and_one_failure_holds_back_only_its_own(
        api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    """Due jobs are enriched in one read and one write; when one report cannot be, the others
    are still done, and only its job is retried."""
    healthy = [await submit(api, esp) for _ in range(3)]
    broken = await submit(api, esp, {**INPUT, "reportedPeople": [{
        "screenName": "x2", "espService": "ExampleChat",
        "ipCaptureEvents": [{"ipAddress": "198.51.100.99"}]}]})
    assert await worker(db, GeoFailingOn("198.51.100.99")).run_due() == 3
    for report_id in healthy:
        assert (await read(api, tokens, report_id))["enrichment"]["status"] == "DONE"
    failed = (await read(api, tokens, broken))["enrichment"]
    assert (failed["status"], failed["error"]) == ("RETRY", "no record for 198.51.100.99")


async def test_the_api_process_enriches_in_the_background(neo4j_uri: str, tmp_path: Path,
                                                          db: Database) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    settings = make_settings(neo4j_uri, tmp_path, TIPGRAPH_ENRICHMENT_WORKER="true")
    keys = load_keys(settings.tokens)
    esp = mint_token(keys, settings.tokens, role=Role.ESP, esp_id="example-esp")
    analyst = mint_token(keys, settings.tokens, role=Role.ANALYST)
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://t") as client):
        submitted = await client.post("/graphql", json={"query": SUBMIT_REPORT, "variables": {
            "input": INPUT}}, headers={"Authorization": f"Bearer {esp}"})
        report_id = submitted.json()["data"]["submitReport"]["id"]
        status = None
        for _ in range(50):
            body = await client.post("/graphql", json={"query": ENRICHED, "variables": {
                "id": report_id}}, headers={"Authorization": f"Bearer {analyst}"})
            status = body.json()["data"]["report"]["enrichment"]["status"]
            if status == "DONE":
                break
            await asyncio.sleep(0.1)
    assert status == "DONE"


@pytest.mark.parametrize(("escalated", "annotations", "linked", "priority"), [
    (False, [], 0, "P3"),
    (True, [], 0, "P1"),
    (False, ["SEXTORTION"], 0, "P1"),
    (False, ["MINOR_TO_MINOR_INTERACTION"], 0, "P2"),
    (False, ["CSAM_SOLICITATION"], 5, "P1"),
    (False, [], 3, "P2"),
])
def test_suggested_priority_rules(escalated: bool, annotations: list[str], linked: int,
                                  priority: str) -> None:
    assert suggest_priority(escalated, annotations, linked).priority == priority


def test_the_demo_table_never_locates_shared_addresses() -> None:
    table = CidrTable()
    assert table.locate("100.64.12.1") is None
    assert table.locate("192.0.2.1") == Location("US-CA", "demo-cidr", 0.9)
    assert table.locate("2001:db8::5") == Location("DE", "demo-cidr", 0.7)
    assert table.locate("8.8.8.8") is None


async def test_a_poll_for_due_jobs_seeks_the_index_instead_of_scanning_every_job(
        db: Database) -> None:
    """Done jobs stay (one per report): a poll that scanned them all cost half a second at a
    million reports, every poll. Both kinds of due job come from the (status, runAfter) index."""
    now = datetime.now(UTC)
    result = await db.driver.execute_query("EXPLAIN " + CLAIM_DUE, now=now,
                                           until=now + timedelta(minutes=5), limit=10)
    operators: list[str] = []
    details: list[str] = []
    assert result.summary.plan is not None
    stack: list[dict[str, Any]] = [result.summary.plan]
    while stack:
        step = stack.pop()
        operators.append(step["operatorType"].split("@")[0])
        details.append(step.get("args", {}).get("Details", ""))
        stack.extend(step.get("children", []))
    assert not {"NodeByLabelScan", "AllNodesScan"} & set(operators), operators
    assert operators.count("NodeIndexSeek") == 2, operators
    assert sum("EnrichmentJob(status, runAfter)" in d for d in details) == 2, details
