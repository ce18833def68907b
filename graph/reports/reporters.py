"""Reporters: the ESPs registered to submit reports.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput

ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")

UPSERT_REPORTER: Final = """
MERGE (e:Reporter {id: $id})
  ON CREATE SET e.createdAt = datetime()
SET e.name = $name
RETURN e {.id, .name, createdAt: toString(e.createdAt)} AS reporter
"""

REPORTERS_BY_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (e:Reporter {id: id})
RETURN id, e {.id, .name} AS reporter
"""


def check_reporter_id(reporter_id: str) -> str:
    if not ID_PATTERN.match(reporter_id):
        raise BadInput("an ESP id has 1 to 64 letters, digits, '.', '_' or '-'", field="id")
    return reporter_id


async def _upsert_tx(tx: AsyncManagedTransaction, reporter_id: str, name: str) -> dict[str, Any]:
    records = await run(tx, UPSERT_REPORTER, id=reporter_id, name=name)
    reporter: dict[str, Any] = records[0]["reporter"]
    return reporter


async def register_reporter(db: Database, reporter_id: str, name: str) -> dict[str, Any]:
    """Register (or rename) an ESP; idempotent."""
    check_reporter_id(reporter_id)
    if not name.strip() or len(name) > 255:
        raise BadInput("an ESP name has 1 to 255 characters", field="name")
    return await db.write(_upsert_tx, reporter_id, name.strip())


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
