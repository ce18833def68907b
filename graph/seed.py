"""``tipgraph seed demo``: reporters, jurisdictions (every country, US states) and a few hundred
synthetic reports that share identifiers the way real ones do. Runs once; later runs skip.

Reports go through the intake service, exactly as an ESP's would.
"""

from __future__ import annotations

from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.db import Database, run
from graph.ids import IdAllocator
from graph.intake.service import IntakeService
from graph.intake.validation import Limits
from graph.reporters import register_reporter
from graph.synthetic import ESPS, SyntheticTips
from graph.vocabulary import countries, us_states

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


async def seed_demo(db: Database, limits: Limits, reports: int = 300) -> dict[str, Any]:
    if await db.read(_marker_tx, "demo"):
        return {"seeded": False, "reason": "demo data is already loaded"}
    jurisdictions = await seed_jurisdictions(db)
    for esp_id, name in ESPS:
        await register_reporter(db, esp_id, name)
    intake = IntakeService(db, IdAllocator(db, "report"), IdAllocator(db, "file"), limits)
    tips = SyntheticTips(seed=2026)
    counts = {"submitted": 0, "open": 0, "cancelled": 0}
    for index in range(reports):
        esp_id, _ = tips.esp(index)
        document = tips.report_document(index)
        if index % 50 == 49:
            await intake.open_report(esp_id, document, f"demo-{index}")
            counts["open"] += 1
        elif index % 97 == 96:
            report = await intake.open_report(esp_id, document, f"demo-{index}")
            await intake.cancel_report(esp_id, report["id"])
            counts["cancelled"] += 1
        else:
            await intake.submit_report(esp_id, document, f"demo-{index}")
            counts["submitted"] += 1
    await db.write(_mark_tx, "demo", reports)
    return {"seeded": True, "jurisdictions": jurisdictions, "reporters": len(ESPS), **counts}
