"""A write pause every API process honours: the backup's one point in time.

Neo4j Community has no online backup, and its read transactions see what others commit while
they run, so a consistent logical export needs the writes to stop. ``tipgraph backup`` writes a
``:WritePause`` node; every API process reads it every :data:`POLL_SECONDS` (its sweep of the
pause, ``api.app``) and refuses writes while it stands (``ServiceUnavailable``: 503 with
``Retry-After``; ``/readyz`` says ``writesPaused``). The backup then waits
:data:`NOTICE_SECONDS`, so that every process has seen the pause, and for every transaction
that started before that to end (``SHOW TRANSACTIONS``), and exports. The pause is lifted when
the backup ends, and expires by itself (``until``) should the backup die.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import Conflict, ServiceUnavailable

POLL_SECONDS: Final = 0.5
NOTICE_SECONDS: Final = 4 * POLL_SECONDS

# One pause at a time: MERGE on the unique key locks it, and an expired one is taken over.
TAKE: Final = """
MERGE (p:WritePause {key: 'pause'})
  ON CREATE SET p.id = $id, p.since = $now, p.until = $until, p.by = $by
WITH p
CALL (p) {
  WITH p WHERE p.id <> $id AND p.until < $now
  SET p.id = $id, p.since = $now, p.until = $until, p.by = $by
}
RETURN p.id = $id AS taken, p.by AS by, p.until AS until
"""

LIFT: Final = "MATCH (p:WritePause {key: 'pause', id: $id}) DELETE p"

CURRENT: Final = """
OPTIONAL MATCH (p:WritePause {key: 'pause'}) WHERE p.until > $now
RETURN p.until AS until, p.by AS by
"""

OLDER_TRANSACTIONS: Final = """
SHOW TRANSACTIONS YIELD transactionId, startTime, currentQuery
WHERE datetime(startTime) < $before
  AND NOT coalesce(currentQuery, '') STARTS WITH 'SHOW TRANSACTIONS'
RETURN count(*) AS running
"""


class WritePause:
    """This process's view of the pause, refreshed by :meth:`watch`."""

    def __init__(self) -> None:
        self.until: float = 0.0  # time.monotonic() until which writes are refused

    @property
    def active(self) -> bool:
        return time.monotonic() < self.until

    def check(self) -> None:
        if self.active:
            raise ServiceUnavailable("writes are paused for a backup; retry shortly",
                                     details={"retryAfter": 5})

    async def refresh(self, db: Database) -> None:
        now = datetime.now(UTC)
        [record] = await db.read(_current_tx, now)
        until = record["until"]
        self.until = (time.monotonic() + max(0.0, (until.to_native() - now).total_seconds())
                      if until is not None else 0.0)

    async def watch(self, db: Database) -> None:
        """The API's loop: the pause as the graph has it, every :data:`POLL_SECONDS`."""
        while True:
            with contextlib.suppress(ServiceUnavailable):  # writes fail on their own then
                await self.refresh(db)
            await asyncio.sleep(POLL_SECONDS)


async def _current_tx(tx: AsyncManagedTransaction, now: datetime) -> list[Any]:
    return list(await run(tx, CURRENT, now=now))


async def _take_tx(tx: AsyncManagedTransaction, pause_id: str, by: str, now: datetime,
                   until: datetime) -> dict[str, Any]:
    [record] = await run(tx, TAKE, id=pause_id, by=by, now=now, until=until)
    return dict(record)


async def _lift_tx(tx: AsyncManagedTransaction, pause_id: str) -> None:
    await run(tx, LIFT, id=pause_id)


async def _older_tx(tx: AsyncManagedTransaction, before: datetime) -> int:
    [record] = await run(tx, OLDER_TRANSACTIONS, before=before)
    return int(record["running"])


async def take(db: Database, pause_id: str, by: str, *, seconds: float) -> datetime:
    """Pause writes for at most ``seconds`` (``Conflict`` while another pause stands), wait
    until every process has seen it and every earlier transaction has ended; returns when the
    graph holds still."""
    now = datetime.now(UTC)
    taken = await db.write(_take_tx, pause_id, by, now, now + timedelta(seconds=seconds))
    if not taken["taken"]:
        raise Conflict(f"writes are already paused by {taken['by']} until {taken['until']}")
    await asyncio.sleep(NOTICE_SECONDS)
    settled = datetime.now(UTC)
    deadline = time.monotonic() + seconds
    while await db.read(_older_tx, settled):
        if time.monotonic() > deadline:
            await lift(db, pause_id)
            raise ServiceUnavailable("transactions begun before the pause did not end in time")
        await asyncio.sleep(0.1)
    return settled


async def lift(db: Database, pause_id: str) -> None:
    await db.write(_lift_tx, pause_id)
