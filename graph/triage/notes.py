"""Analyst notes on reports: working material, visible to analysts only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, NotFound
from graph.core.idempotency import Change, Replay, write_once
from graph.core.visibility import VISIBLE_REPORT, RowScope

ADD_NOTE: Final = (
    "MATCH (r:Report {id: $reportId}) WHERE " + VISIBLE_REPORT
    + " CREATE (r)-[:HAS_NOTE]->(n:Note {id: $id, text: $text, by: $by, at: $at})"
    " CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'NOTE', at: $at, by: $by,"
    " source: 'ANALYST', after: $id})"
    " RETURN n {.*} AS note"
)

NOTES_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (:Report {id: id})-[:HAS_NOTE]->(n:Note)
WITH id, n ORDER BY n.at
RETURN id, collect(n {.*}) AS notes
"""


async def _add_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> dict[str, Any]:
    records = await run(tx, ADD_NOTE, **params)
    if not records:
        raise NotFound(f"report {params['reportId']} does not exist")
    note: dict[str, Any] = records[0]["note"]
    return note


async def add_note(db: Database, report_id: int, text: str, *, by: str, rows: RowScope,
                   change: Change | None = None) -> dict[str, Any] | Replay:
    """The note added; or, replaying ``change``, the id of the note it added."""
    if not text.strip() or len(text) > 20_000:
        raise BadInput("a note has 1 to 20000 characters", field="text")
    return await write_once(db, change, _add_tx, {"reportId": report_id, "id": str(uuid.uuid4()),
                                    "eventId": str(uuid.uuid4()),
                                    "text": text.strip(), "by": by, "at": datetime.now(UTC),
                                    "rows": rows},
                            target=lambda note: str(note["id"]))
