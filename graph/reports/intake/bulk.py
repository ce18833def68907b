"""Many reports in one transaction: the intake's own plans, written with one ``UNWIND``.

For loads, not for a door: the demo seed and the benchmarks' generator. Each report is planned
by the intake's validation (``plan_report``/``plan_file``/``create_params``), so it is shaped
exactly as if an ESP had submitted it (the same properties, identifier keys, mentions, files,
hashes and ESP labels); only the writing differs. There is no idempotency key and no report lock:
the rows are new reports with ids the caller reserved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.events.log import emit
from graph.identifiers.keyed_ids import IdentifierIds
from graph.reports.intake.service import create_params, submission_events
from graph.reports.intake.validation import Limits, plan_file, plan_report
from graph.reports.intake.writes import FILE_PARTS, MERGE_IDENTIFIER

# CREATE_REPORT (graph/reports/intake/writes.py) for a batch: one row per report, ``row.now``
# its own time, ``row.job`` the enrichment job's properties (none for an open report).
BULK_CREATE: Final = (
    "UNWIND $rows AS row"
    " MATCH (e:Reporter {id: row.reporterId})"
    " CREATE (e)-[:SUBMITTED]->(r:Report) SET r = row.props"
    " WITH r, row"
    " CALL (r, row) { UNWIND row.mentions AS m "
    + MERGE_IDENTIFIER.replace("$now", "row.now")
    + " CREATE (r)-[x:MENTIONS]->(i) SET x = m.rel }"
    " CALL (r, row) { UNWIND row.files AS f"
    " CREATE (r)-[:HAS_FILE]->(file:File) SET file = f.props"
    " WITH file, f, row" + FILE_PARTS.replace("(file, f)", "(file, f, row)")
    .replace("$now", "row.now").replace("$reporterId", "row.reporterId") + " }"
    " CALL (r, row) { WITH r, row WHERE row.job IS NOT NULL"
    " CREATE (job:EnrichmentJob {reportId: r.id}) SET job += row.job }"
)


def pending_job(now: datetime) -> dict[str, Any]:
    """An enrichment job the worker will run (as the intake enqueues one at finish)."""
    return {"status": "PENDING", "attempts": 0, "createdAt": now, "runAfter": now}


def done_job(now: datetime) -> dict[str, Any]:
    """An enrichment job recorded as already run (its results are written by the caller)."""
    return {"status": "DONE", "attempts": 1, "createdAt": now, "runAfter": now,
            "computedAt": now}


def report_row(reporter_id: str, document: Mapping[str, Any], report_id: int,
               first_file_id: int, now: datetime, *, finish: bool, limits: Limits,
               ids: IdentifierIds, job: dict[str, Any] | None) -> dict[str, Any]:
    """One report document, validated and planned, as a :data:`BULK_CREATE` row (its files
    take ids from ``first_file_id`` on)."""
    report = plan_report(document, limits, now)
    files = [plan_file(f, limits, i, now) for i, f in enumerate(document.get("files") or ())]
    file_ids = list(range(first_file_id, first_file_id + len(files)))
    params = create_params(reporter_id, report, files, report_id, file_ids, now, finish=finish,
                           ids=ids)
    return {"reporterId": reporter_id, "props": params["props"], "now": now,
            "mentions": params["mentions"], "files": params["files"],
            "job": job if finish else None}


def submitted_events(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What the intake tells subscribers when these reports are finished."""
    return [e for row in rows if row["props"]["status"] == "SUBMITTED"
            for e in submission_events(row["props"], row["now"])]


async def _load_tx(tx: AsyncManagedTransaction, rows: list[dict[str, Any]],
                   with_events: bool) -> None:
    await run(tx, BULK_CREATE, rows=rows)
    if with_events:
        await emit(tx, submitted_events(rows))


async def load(db: Database, rows: list[dict[str, Any]], *, with_events: bool = True) -> None:
    """Write ``rows`` (from :func:`report_row`) in one transaction, with the events the intake
    would emit (``with_events=False`` for benchmark graphs that do not need a feed)."""
    await db.write(_load_tx, rows, with_events)
