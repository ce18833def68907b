"""Reporters: the ESPs registered to submit reports.

Synthetic data (the demo, the benchmarks) is submitted by reporters registered as generated
(``generatedBy``, set only when the tool creates the reporter). A tool that writes synthetic
data refuses a database where any report came from a reporter without that mark:
:func:`refuse_real_reports`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Refused


class Generator(StrEnum):
    """The tools that write synthetic data, as they mark the reporters they register."""

    DEMO = "demo"
    BENCH = "bench"


ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")

UPSERT_REPORTER: Final = """
MERGE (e:Reporter {id: $id})
  ON CREATE SET e.createdAt = datetime(), e.generatedBy = $generatedBy
SET e.name = $name
RETURN e {.id, .name, createdAt: toString(e.createdAt)} AS reporter
"""

REPORTERS_BY_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (e:Reporter {id: id})
RETURN id, e {.id, .name} AS reporter
"""


# Reports that no generating tool made: reporters without the mark that have submitted any,
# and reports without a reporter (none should exist; counted so that the check cannot miss them).
REAL_REPORTS: Final = """
CALL () {
  MATCH (e:Reporter) WHERE e.generatedBy IS NULL
  WITH e, COUNT { (e)-[:SUBMITTED]->(:Report) } AS reports
  WHERE reports > 0
  RETURN collect(e.id)[..5] AS reporters, sum(reports) AS submitted
}
RETURN reporters, submitted
       + COUNT { MATCH (r:Report) WHERE NOT EXISTS { (:Reporter)-[:SUBMITTED]->(r) } } AS reports
"""


def check_reporter_id(reporter_id: str) -> str:
    if not ID_PATTERN.match(reporter_id):
        raise BadInput("an ESP id has 1 to 64 letters, digits, '.', '_' or '-'", field="id")
    return reporter_id


async def _upsert_tx(tx: AsyncManagedTransaction, reporter_id: str, name: str,
                     generated_by: Generator | None) -> dict[str, Any]:
    records = await run(tx, UPSERT_REPORTER, id=reporter_id, name=name,
                        generatedBy=None if generated_by is None else str(generated_by))
    reporter: dict[str, Any] = records[0]["reporter"]
    return reporter


async def register_reporter(db: Database, reporter_id: str, name: str, *,
                            generated_by: Generator | None = None) -> dict[str, Any]:
    """Register (or rename) an ESP; idempotent. ``generated_by`` names the tool registering a
    synthetic reporter ('demo', 'bench'); it marks only a reporter it creates."""
    check_reporter_id(reporter_id)
    if not name.strip() or len(name) > 255:
        raise BadInput("an ESP name has 1 to 255 characters", field="name")
    return await db.write(_upsert_tx, reporter_id, name.strip(), generated_by)


async def _real_reports_tx(tx: AsyncManagedTransaction) -> dict[str, Any]:
    [record] = await run(tx, REAL_REPORTS)
    return dict(record)


async def refuse_real_reports(db: Database, tool: str) -> None:
    """``Refused`` when the database holds any report that no generating tool made."""
    found = await db.read(_real_reports_tx)
    if found["reports"]:
        named = ", ".join(found["reporters"]) or "no reporter"
        raise Refused(f"{tool} writes synthetic data and refuses this database: it holds "
                      f"{found['reports']} reports that no generating tool made (ESPs: {named})")


async def _by_ids_tx(tx: AsyncManagedTransaction,
                     ids: Sequence[str]) -> list[dict[str, Any] | None]:
    records = await run(tx, REPORTERS_BY_IDS, ids=list(ids))
    return [r["reporter"] for r in records]


async def reporters_by_ids(db: Database, ids: Sequence[str]) -> list[dict[str, Any] | None]:
    return await db.read(_by_ids_tx, ids)


class RegisteredReporters:
    """Which ESPs are registered, remembered for ``ttl`` seconds once seen (positive only).

    Intake asks on every request; this keeps that from costing a round trip each time. An ESP
    registered a moment ago is found at once, because misses are never remembered.
    """

    def __init__(self, db: Database, ttl: float = 60.0) -> None:
        self.db = db
        self.ttl = ttl
        self._seen: dict[str, float] = {}

    async def is_registered(self, reporter_id: str) -> bool:
        now = time.monotonic()
        if self._seen.get(reporter_id, 0.0) > now:
            return True
        [row] = await reporters_by_ids(self.db, [reporter_id])
        if row is None:
            return False
        self._seen[reporter_id] = now + self.ttl
        return True
