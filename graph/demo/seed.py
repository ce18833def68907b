"""``tipgraph seed demo``: reporters, jurisdictions (every country, US states), agencies and a
few hundred synthetic reports that share identifiers the way real ones do — then the story an
analyst tells with them: enrichment, priorities, dispositions, referrals, labels and notes.
Runs once; later runs skip.

Reports are planned by the intake's own validation, exactly as an ESP's would be, and written a
batch per transaction (:mod:`graph.reports.intake.bulk`, with the events the intake emits);
enrichment runs the worker the API runs; analyst steps go through the same services the API
calls, so every one is recorded with its provenance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import Refused
from graph.core.ids import IdAllocator
from graph.core.progress import Phases, Progress
from graph.core.visibility import EVERY_REPORT
from graph.core.vocabulary import countries, us_states
from graph.demo.synthetic import ESPS, SyntheticTips
from graph.identifiers.keyed_ids import IdentifierIds
from graph.referrals.agencies import AgencyKind, AgencySpec, refer_report, upsert_agency
from graph.reports.intake.bulk import load, pending_job, report_row
from graph.reports.intake.service import IntakeService
from graph.reports.intake.validation import Limits
from graph.reports.reporters import Generator, refuse_real_reports, register_reporter
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider
from graph.triage.notes import add_note
from graph.triage.service import classify_file, set_disposition, set_priority

UPSERT_JURISDICTIONS: Final = """
UNWIND $rows AS row
MERGE (j:Jurisdiction {code: row.code})
SET j.name = row.name, j.kind = row.kind, j.country = row.country
WITH j, row WHERE row.parent IS NOT NULL
MATCH (p:Jurisdiction {code: row.parent})
MERGE (j)-[:PART_OF]->(p)
"""
SEED_MARKER: Final = "MATCH (s:Seed {name: $name}) RETURN s.at AS at"
MARK_SEEDED: Final = "MERGE (s:Seed {name: $name}) SET s.at = datetime(), s.reports = $reports"


def jurisdiction_rows() -> list[dict[str, Any]]:
    """Countries first (so states can link to US), then US states as ``US-XX``."""
    rows: list[dict[str, Any]] = [
        {"code": code, "name": name, "kind": "COUNTRY", "country": code, "parent": None}
        for code, name in countries().items()
    ]
    rows += [{"code": f"US-{code}", "name": name, "kind": "US_STATE", "country": "US",
              "parent": "US"} for code, name in us_states().items()]
    return rows


async def _jurisdictions_tx(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await run(tx, UPSERT_JURISDICTIONS, rows=rows)


async def _marker_tx(tx: AsyncManagedTransaction, name: str) -> bool:
    return bool(await run(tx, SEED_MARKER, name=name))


async def _mark_tx(tx: AsyncManagedTransaction, name: str, reports: int) -> None:
    await run(tx, MARK_SEEDED, name=name, reports=reports)


async def seed_jurisdictions(db: Database) -> int:
    rows = jurisdiction_rows()
    await db.write(_jurisdictions_tx, rows)
    return len(rows)


async def seed_demo(db: Database, limits: Limits, ids: IdentifierIds, reports: int = 300, *,
                    phases: Phases | None = None, production: bool = False) -> dict[str, Any]:
    """Load the demo once; ``phases`` prints each step with its time (and a bar for the
    reports). ``Refused`` in production, and on a database holding any report that a
    generating tool did not make (the demo's reporters are marked as generated)."""
    phases = phases or Phases()
    if production:
        raise Refused("the demo data is synthetic and is never loaded in production "
                      "(TIPGRAPH_ENV=production)")
    if await db.read(_marker_tx, "demo"):
        phases.note("demo data: already loaded")
        return {"seeded": False, "reason": "demo data is already loaded"}
    await refuse_real_reports(db, "tipgraph seed demo")
    with phases.phase("jurisdictions"):
        jurisdictions = await seed_jurisdictions(db)
    with phases.phase("reporters and agencies"):
        for esp_id, name in ESPS:
            await register_reporter(db, esp_id, name, generated_by=Generator.DEMO)
        for spec in DEMO_AGENCIES:
            await upsert_agency(db, spec)
    with phases.phase(f"{reports} reports"):
        counts = await _reports(db, limits, ids, reports, phases.progress(reports, "reports"))
    with phases.phase("enrichment"):
        worker = EnrichmentWorker(db, geo_provider(None), common_threshold=50)
        while await worker.run_due():
            pass
    with phases.phase("triage by a demo analyst"):
        story = await _analyst_story(db)
    await db.write(_mark_tx, "demo", reports)
    return {"seeded": True, "jurisdictions": jurisdictions, "reporters": len(ESPS), **counts,
            **story, "seconds": phases.seconds}


BATCH: Final = 100  # reports per transaction


async def _reports(db: Database, limits: Limits, ids: IdentifierIds, reports: int,
                   progress: Progress | None) -> dict[str, int]:
    """Synthetic reports through the intake's own plans, a batch per transaction
    (:mod:`graph.reports.intake.bulk`): most submitted, every 50th left open, every 97th
    opened and then retracted by its ESP."""
    now = datetime.now(UTC)
    tips = SyntheticTips(seed=2026, now=now)
    report_ids = await IdAllocator(db, "report", block_size=reports).take(reports)
    file_ids = await IdAllocator(db, "file", block_size=reports * 3).take(reports * 3)
    cancel: list[tuple[str, int]] = []
    file_id = file_ids[0]
    rows: list[dict[str, Any]] = []
    for index in range(reports):
        esp_id, _ = tips.esp(index)
        document = tips.report_document(index)
        finish = index % 50 != 49 and index % 97 != 96
        rows.append(report_row(esp_id, document, report_ids[index], file_id, now, finish=finish,
                               limits=limits, ids=ids, job=pending_job(now)))
        file_id += len(document["files"])
        if index % 97 == 96 and index % 50 != 49:
            cancel.append((esp_id, report_ids[index]))
        if len(rows) == BATCH or index == reports - 1:
            await load(db, rows)
            if progress is not None:
                progress.advance(len(rows))
            rows = []
    intake = IntakeService(db, IdAllocator(db, "report"), IdAllocator(db, "file"), limits,
                           identifier_ids=ids)
    for esp_id, report_id in cancel:
        await intake.cancel_report(esp_id, report_id)
    opened = sum(1 for i in range(reports) if i % 50 == 49)
    return {"submitted": reports - opened - len(cancel), "open": opened,
            "cancelled": len(cancel)}


DEMO_AGENCIES: Final = (
    AgencySpec("icac-ca", "California ICAC Task Force", AgencyKind.ICAC_TASK_FORCE, ("US-CA",)),
    AgencySpec("icac-ny", "New York ICAC Task Force", AgencyKind.ICAC_TASK_FORCE, ("US-NY",)),
    AgencySpec("fbi", "Federal partner (sees every referral)", AgencyKind.FEDERAL, ("US",),
               sees_all=True),
    AgencySpec("uk-nca", "UK partner agency", AgencyKind.INTERNATIONAL, ("GB",)),
)
DEMO_ANALYST: Final = "demo-analyst"
ALL: Final = EVERY_REPORT

SUGGESTED: Final = """
MATCH (r:Report {status: 'SUBMITTED'})-[:LABELLED]->(c:Classification {kind: 'SUGGESTED_PRIORITY'})
WITH r, c ORDER BY c.label, r.id LIMIT $limit
OPTIONAL MATCH (r)-[:IN_JURISDICTION]->(j:Jurisdiction)
OPTIONAL MATCH (a:Agency)-[:COVERS]->(k:Jurisdiction) WHERE k.code IN [j.code, j.country]
WITH r, c, a ORDER BY a.seesAll
RETURN r.id AS id, c.label AS suggested, c.basis AS basis, collect(a.id)[0] AS agency,
       [(r)-[:HAS_FILE]->(f:File) | f.id][0] AS file
"""


async def _suggested_tx(tx: AsyncManagedTransaction, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, SUGGESTED, limit=limit)]


async def _analyst_story(db: Database) -> dict[str, int]:
    """Triage like an analyst would: prioritise by the suggestion, decide, refer to the agency
    covering the report, label a file after viewing it, leave a note."""
    referred = 0
    for row in await db.read(_suggested_tx, 40):
        await set_priority(db, row["id"], row["suggested"], reason=f"suggested: {row['basis']}",
                           by=DEMO_ANALYST, rows=EVERY_REPORT)
        if row["agency"] and row["suggested"] in ("P1", "P2"):
            await set_disposition(db, row["id"], "REFERRAL", reason="actionable; located",
                                  by=DEMO_ANALYST, rows=EVERY_REPORT)
            await refer_report(db, row["id"], row["agency"], by=DEMO_ANALYST,
                               reason="reported person located in the agency's area",
                               rows=EVERY_REPORT)
            referred += 1
        else:
            await set_disposition(db, row["id"], "INFORMATIONAL", reason="no actionable lead",
                                  by=DEMO_ANALYST, rows=EVERY_REPORT)
        if row["file"] is not None:
            await classify_file(db, row["file"], "A1", basis="analyst viewed the file",
                                by=DEMO_ANALYST, rows=EVERY_REPORT)
        await add_note(db, row["id"], "Synthetic demo note: reviewed with cross-references.",
                       by=DEMO_ANALYST, rows=EVERY_REPORT)
    return {"triaged": 40, "referred": referred, "agencies": len(DEMO_AGENCIES)}
