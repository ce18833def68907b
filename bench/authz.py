"""What authorization and audit add: the analyst triage page and a law-enforcement report
query, with and without, measured in one run (p50 and p95, and their ratios).

- analyst triage, with: token verified, row rule, audit event written before the answer;
  without: the same app built without the audit trail (analysts' row rule is constant-true);
- law-enforcement report query, with: an agency token (referral row rule, field rules, audit);
  without: the same query by an analyst on the app without the audit trail;
- floor: the triage page's Cypher through the raw driver.

Requests go in-process over ASGI (no sockets), one at a time: these are latencies.

    python -m bench.authz --reports 2000 --samples 200
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from bench.harness import (
    GENERATED_BY,
    arguments,
    bench_intake,
    bench_settings,
    database,
    emit,
    neo4j_server,
    percentiles,
)
from bench.reads import triage_floor
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.demo.synthetic import ESPS, SyntheticTips
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.reporters import register_reporter

TRIAGE = """
query Triage { reports(first: 50) { totalCount edges { node {
  id status incidentType openedAt
  files { id viewedByEsp hashes { algorithm value } classifications { label source } }
  identifiers { role identifier { kind value } }
} } } }
"""

LE_REPORT = """
query Tip($id: ID!) { report(id: $id) {
  id status incidentType incidentDateTime
  reportedPeople { screenName espService firstName emails { address } }
  files { id fileName viewedByEsp exifViewedByEsp hashes { algorithm value }
          classifications { label source by at basis } }
  identifiers { role identifier { kind value } }
  referrals { agency { id } at reason }
} }
"""

ALL = EVERY_REPORT


async def load(db: Database, reports: int) -> list[int]:
    intake = bench_intake(db, bench_settings("bolt://unused", Path(".")).intake)
    for esp_id, name in ESPS:
        await register_reporter(db, esp_id, name, generated_by=GENERATED_BY)
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    tips = SyntheticTips(seed=5)
    referred = []
    for index in range(reports):
        node = await intake.submit_report(tips.esp(index)[0], tips.report_document(index))
        if index % 10 == 0:
            await refer_report(db, node["id"], "agency-1", by="bench", reason="bench",
                               rows=EVERY_REPORT)
            referred.append(node["id"])
    return referred


async def sample(client: httpx.AsyncClient, token: str, body: dict[str, Any],
                 samples: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(5):  # warm-up
        await client.post("/graphql", json=body, headers=headers)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = await client.post("/graphql", json=body, headers=headers)
        timings.append(time.perf_counter() - started)
        if "errors" in response.json() and "FORBIDDEN" not in response.text:
            raise RuntimeError(response.text[:500])
    return timings


async def main(reports: int, samples: int) -> dict[str, Any]:
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        keys = load_keys(settings.tokens)
        analyst = mint_token(keys, settings.tokens, role=Role.ANALYST)
        officer = mint_token(keys, settings.tokens, role=Role.LE, agency_id="agency-1",
                             scope="report:read files:read")
        async with database(settings) as db:
            referred = await load(db, reports)
            floor = []
            for _ in range(samples):
                started = time.perf_counter()
                await triage_floor(db.driver, 0)
                floor.append(time.perf_counter() - started)
        with_app, without_app = create_app(settings), create_app(settings, audit=False)
        for name in ("tipgraph.http", "httpx"):  # in-process apps: keep the output to the JSON
            logging.getLogger(name).setLevel(logging.WARNING)
        async with (with_app.router.lifespan_context(with_app),
                    without_app.router.lifespan_context(without_app)):
            with_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=with_app),
                                            base_url="http://bench")
            without_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=without_app),
                                               base_url="http://bench")
            async with with_client, without_client:
                tip = {"query": LE_REPORT, "variables": {"id": referred[len(referred) // 2]}}
                triage = {"query": TRIAGE}
                results = {
                    "triage_with": percentiles(await sample(with_client, analyst, triage,
                                                            samples)),
                    "triage_without": percentiles(await sample(without_client, analyst,
                                                               triage, samples)),
                    "le_report_with": percentiles(await sample(with_client, officer, tip,
                                                               samples)),
                    "le_report_without": percentiles(await sample(without_client, analyst,
                                                                  tip, samples)),
                }
    return {
        "scenario": "authz_overhead",
        "reports": reports,
        "samples": samples,
        "raw_driver_triage": percentiles(floor),
        **results,
        "ratio_triage_p50": round(results["triage_with"]["p50_ms"]
                                  / results["triage_without"]["p50_ms"], 3),
        "ratio_triage_p95": round(results["triage_with"]["p95_ms"]
                                  / results["triage_without"]["p95_ms"], 3),
        "ratio_le_report_p50": round(results["le_report_with"]["p50_ms"]
                                     / results["le_report_without"]["p50_ms"], 3),
        "ratio_le_report_p95": round(results["le_report_with"]["p95_ms"]
                                     / results["le_report_without"]["p95_ms"], 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=200)
    args = arguments(parser)
    emit(asyncio.run(main(args.reports, args.samples)))
