"""Retention: file content is purged after a report's ``preserveUntil``, unless the report is
under a legal hold. Metadata (the report, its files' hashes and facts, its labels) stays, and
every purge is recorded on the report (``:Purge`` and a history entry).

Uploaded content (files with a ``contentRef``, see graph.reports.blobs) goes too: a purge marks each
file ``contentPurgedAt``, drops its reference, and then hands the references to ``release``,
which deletes the blobs no other file still refers to.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict, NotFound
from graph.core.idempotency import Change, write_once
from graph.core.visibility import VISIBLE_REPORT, RowScope

DUE: Final = """
MATCH (r:Report {status: 'SUBMITTED'})
WHERE r.preserveUntil < $now AND r.legalHold IS NULL AND r.contentPurgedAt IS NULL
WITH r ORDER BY r.preserveUntil LIMIT $batch
RETURN r.id AS id, [(r)-[:HAS_FILE]->(f:File) WHERE f.contentRef IS NOT NULL | f.contentRef]
       AS refs
"""

MARK_PURGED: Final = """
MATCH (r:Report {id: $id})
WHERE r.legalHold IS NULL AND r.contentPurgedAt IS NULL
SET r.contentPurgedAt = $now
WITH r
OPTIONAL MATCH (r)-[:HAS_FILE]->(f:File)
SET f.contentPurgedAt = CASE WHEN f.contentRef IS NULL THEN f.contentPurgedAt ELSE $now END
REMOVE f.contentRef
WITH r, count(f) AS files
CREATE (r)-[:PURGED]->(:Purge {id: $purgeId, at: $now, by: $by, files: files,
                              reason: 'preservation period ended'})
CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'PURGE', at: $now, by: $by,
                                       source: 'AUTOMATED', reason: 'preservation period ended'})
RETURN files
"""

HOLD: Final = (
    "MATCH (r:Report {id: $id}) WHERE " + VISIBLE_REPORT
    + " RETURN r.status AS status, r.legalHold AS hold, r.contentPurgedAt AS purged"
)

SET_HOLD: Final = """
MATCH (r:Report {id: $id})
SET r.legalHold = $reason, r.legalHoldBy = $by, r.legalHoldAt = $now
CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'LEGAL_HOLD', at: $now, by: $by,
                                       source: 'ANALYST', reason: $reason, after: 'HELD'})
"""

RELEASE_HOLD: Final = """
MATCH (r:Report {id: $id})
REMOVE r.legalHold, r.legalHoldBy, r.legalHoldAt
CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'LEGAL_HOLD', at: $now, by: $by,
                                       source: 'ANALYST', reason: $reason, after: 'RELEASED'})
"""


async def _due_tx(tx: AsyncManagedTransaction, now: datetime,
                  batch: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, DUE, now=now, batch=batch)]


async def _purge_tx(tx: AsyncManagedTransaction, report_id: int, now: datetime,
                    by: str) -> int:
    records = await run(tx, MARK_PURGED, id=report_id, now=now, by=by,
                        purgeId=str(uuid.uuid4()), eventId=str(uuid.uuid4()))
    files: int = records[0]["files"] if records else 0
    return files


async def run_retention(db: Database, *, now: datetime,
                        release: Callable[[list[str]], Awaitable[object]] | None = None,
                        by: str = "tipgraph-retention", batch: int = 500) -> dict[str, int]:
    """Purge the content of every report past its preservation period and not on hold."""
    reports = files = 0
    while True:
        due = await db.read(_due_tx, now, batch)
        for row in due:
            files += await db.write(_purge_tx, row["id"], now, by)
            reports += 1
            if release is not None and row["refs"]:
                await release(list(row["refs"]))
        if len(due) < batch:
            return {"reports": reports, "files": files}


async def _hold_tx(tx: AsyncManagedTransaction, report_id: int, place: bool, reason: str,
                   by: str, now: datetime, rows: RowScope) -> None:
    records = await run(tx, HOLD, id=report_id, rows=rows)
    if not records:
        raise NotFound(f"report {report_id} does not exist")
    state = records[0]
    if place and state["purged"] is not None:
        raise Conflict(f"report {report_id}'s file content was already purged")
    if place == (state["hold"] is not None):
        raise Conflict(f"report {report_id} is {'already' if place else 'not'} on legal hold")
    await run(tx, SET_HOLD if place else RELEASE_HOLD, id=report_id, reason=reason, by=by,
              now=now, eventId=str(uuid.uuid4()))


async def legal_hold(db: Database, report_id: int, *, place: bool, reason: str, by: str,
                     now: datetime, rows: RowScope, change: Change | None = None) -> None:
    if not reason.strip() or len(reason) > 3000:
        raise BadInput("a legal hold needs a reason of 1 to 3000 characters", field="reason")
    await write_once(db, change, _hold_tx, report_id, place, reason.strip(), by, now, rows,
                     target=lambda _: str(report_id))
