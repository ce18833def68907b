"""How long a referral package takes for a big report: 50 files and 200 identifiers.

Measured, each as p50/p95 over ``--samples`` builds of the same package:

- ``build``: the whole package in-process (graph reads, JSON, PDF, both signatures with their
  section manifests), with its parts: ``content`` (the graph reads and assembly), ``pdf``
  (ReportLab), ``sign`` (Ed25519 and section digests, pypdf for the PDF's pages);
- ``api``: ``report { referralPackage { ... } }`` through ``tipgraph serve`` over HTTP, as an
  investigator's token (includes the audit record and the download link);
- the floor: the very statements ``build`` sends to Neo4j, through the raw driver
  (``driver.execute_query``), one after another.

Ratios are against that floor, measured in the same run::

    python -m bench.packages --samples 20
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from authz.roles import ROLE_SCOPES, Role
from authz.tokens import load_keys, mint_token
from bench.harness import (
    GENERATED_BY,
    api_server,
    arguments,
    bench_intake,
    bench_settings,
    database,
    emit,
    neo4j_server,
    percentiles,
    rss_mib,
)
from graph.core.db import Database, cypher_parameters, start_counting
from graph.core.visibility import EVERY_REPORT
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.referrals.packages.content import build_content
from graph.referrals.packages.pdf import render
from graph.referrals.packages.service import document_bytes, make_package
from graph.referrals.packages.signing import Signer, json_sections, key_id, pdf_sections
from graph.reports.reporters import register_reporter
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider
from graph.triage.service import classify_file

ALL = EVERY_REPORT
AGENCY = "bench-agency"
FILES, PEOPLE, PER_KIND = 50, 5, 10  # 50 hashes + 5 people x (10 e-mails, phones, IPs) = 200

PACKAGE_QUERY = """
query Package($id: ID!) { report(id: $id) { referralPackage {
  json sha256 signature signatureFile pdfUrl pdfSha256 pdfSignature keyId } } }
"""


def big_document() -> dict[str, Any]:
    from datetime import UTC, datetime

    from graph.core.vocabulary import IncidentType, IndustryClassification

    people = [{
        "first_name": f"Synthetic{p}", "screen_name": f"bench_user_{p}",
        "esp_service": "ExampleChat",
        "emails": [{"address": f"bench{p}-{i}@example.com"} for i in range(PER_KIND)],
        "phones": [{"number": f"+1 415 555 01{p}{i}"} for i in range(PER_KIND)],
        "ip_capture_events": [{"ip_address": f"198.51.100.{p * PER_KIND + i + 1}",
                               "event_name": "LOGIN",
                               "date_time": datetime(2026, 10, 1, 9, i, tzinfo=UTC)}
                              for i in range(PER_KIND)],
    } for p in range(PEOPLE)]
    files = [{"file_name": f"bench-{i:03d}.jpg", "viewed_by_esp": i % 2 == 0,
              "exif_viewed_by_esp": False, "publicly_available": False,
              "industry_classification": IndustryClassification.A1,
              "hashes": [{"algorithm": "SHA256", "value": f"{i:064x}"}]} for i in range(FILES)]
    return {"incident_type": IncidentType.CHILD_PORNOGRAPHY,
            "incident_date_time": datetime(2026, 10, 1, tzinfo=UTC),
            # one reported person (B: 0|1 outside a batched report), the rest recipients
            "reported_people": people[:1], "intended_recipients": people[1:], "files": files,
            "escalate_to_high_priority": "synthetic benchmark"}


async def prepare(db: Database) -> int:
    intake = bench_intake(db)
    await register_reporter(db, "bench-esp", "Bench ESP", generated_by=GENERATED_BY)
    await upsert_agency(db, AgencySpec(AGENCY, "Bench Agency", AgencyKind.STATE, ("US-CA",)))
    report = await intake.submit_report("bench-esp", big_document())
    await EnrichmentWorker(db, geo_provider(None), 50).run_due()
    from graph.reports.loaders import files_by_report_ids

    [files] = await files_by_report_ids(db, [report["id"]])
    for file in files[:10]:
        await classify_file(db, file["id"], "CSAM-confirmed", basis="analyst viewed the file",
                            by="bench-analyst", rows=EVERY_REPORT)
    await refer_report(db, report["id"], AGENCY, by="bench-analyst", reason="benchmark",
                       rows=EVERY_REPORT)
    return int(report["id"])


async def timed_parts(db: Database, signer: Signer, report_id: int,
                      scopes: frozenset[str]) -> dict[str, float]:
    """One package, step by step (the same steps as make_package)."""
    from datetime import UTC, datetime

    started = time.perf_counter()
    content = await build_content(db, report_id, AGENCY, scopes=scopes,
                                  generated_at=datetime.now(UTC), common_threshold=50)
    read = time.perf_counter()
    data = document_bytes(content)
    envelope = signer.envelope("p.json", data, json_sections(data), "now")
    signed_json = time.perf_counter()
    pdf = render(content, json_sha256=envelope["manifest"]["sha256"],
                 key_id=key_id(signer.public_key))
    rendered = time.perf_counter()
    signer.envelope("p.pdf", pdf, pdf_sections(pdf), "now")
    done = time.perf_counter()
    return {"content": read - started, "pdf": rendered - signed_json,
            "sign": (signed_json - read) + (done - rendered), "pdf_bytes": len(pdf),
            "pdf_pages": len(pdf_sections(pdf)) - 2, "json_bytes": len(data)}


async def main(samples: int) -> dict[str, Any]:
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        keys = load_keys(settings.tokens)
        signer = Signer.load(key_file=None, state_dir=Path(state), production=False)
        scopes = frozenset(s.value for s in ROLE_SCOPES[Role.LE])
        async with database(settings) as db:
            report_id = await prepare(db)
            # what the build sends: recorded once, replayed through the raw driver
            counter = start_counting()
            counter.statements = []
            await make_package(db, signer, report_id, AGENCY, scopes=scopes,
                               common_threshold=50)
            statements, counter.statements = counter.statements, None
            floor, build, parts = [], [], []
            for _ in range(samples):
                started = time.perf_counter()
                for query, params in statements:
                    await db.driver.execute_query(query, cypher_parameters(params),
                                                  database_=db.database)
                floor.append(time.perf_counter() - started)
                started = time.perf_counter()
                package = await make_package(db, signer, report_id, AGENCY, scopes=scopes,
                                             common_threshold=50)
                build.append(time.perf_counter() - started)
                parts.append(await timed_parts(db, signer, report_id, scopes))
            with api_server(settings) as api:
                officer = mint_token(keys, settings.tokens, role=Role.LE, agency_id=AGENCY,
                                     subject="bench-officer")
                through_api = []
                async with httpx.AsyncClient(base_url=api.url, timeout=60) as client:
                    for index in range(samples + 2):
                        started = time.perf_counter()
                        response = await client.post("/graphql", json={
                            "query": PACKAGE_QUERY, "variables": {"id": report_id}},
                            headers={"Authorization": f"Bearer {officer}"})
                        elapsed = time.perf_counter() - started
                        assert "errors" not in response.json(), response.text[:500]
                        if index >= 2:  # two warm-ups
                            through_api.append(elapsed)
                    rss = rss_mib(api.pid)
    build_ms, api_ms, floor_ms = percentiles(build), percentiles(through_api), percentiles(floor)
    return {
        "scenario": "packages",
        "report": {"files": FILES, "identifiers": FILES + PEOPLE * PER_KIND * 3,
                   "json_bytes": len(package.json.data), "pdf_bytes": len(package.pdf.data),
                   "pdf_pages": parts[-1]["pdf_pages"], "round_trips": len(statements)},
        "samples": samples,
        "build": build_ms,
        "parts": {name: percentiles([p[name] for p in parts])
                  for name in ("content", "pdf", "sign")},
        "api": api_ms,
        "floor_raw_driver": floor_ms,
        "ratio_build_over_floor_p50": round(build_ms["p50_ms"] / floor_ms["p50_ms"], 2),
        "ratio_api_over_floor_p50": round(api_ms["p50_ms"] / floor_ms["p50_ms"], 2),
        "api_rss_mib": round(rss, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=20)
    emit(asyncio.run(main(arguments(parser).samples)))
