"""Public ids of identifiers: a keyed HMAC of the identity, so that an id reveals no value.

An unkeyed hash of ``EMAIL:alice@example.com`` can be found again by anyone who guesses the
value (a phone number falls to enumeration in under a second); with the key held by the
server, an id says nothing about the value. The id is still a function of the identity alone,
so it does not depend on which report named the identifier first (noninterference).

The graph remembers which key its ids were made with (``:IdentifierKeying`` holds the key's
fingerprint, never the key). :func:`rekey` re-derives every id, and the ids of the bundles
named after file hashes, when the key is new or changed: ``tipgraph migrate`` runs it, and
``/readyz`` reports not ready while the graph's ids are from another key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run

PREFIX: Final = "idf_"
BATCH: Final = 2_000

KEYING: Final = "MATCH (k:IdentifierKeying {id: 'current'}) RETURN k.fingerprint AS fingerprint"

ANY_IDENTIFIER: Final = "MATCH (i:Identifier) RETURN 1 LIMIT 1"

IDENTIFIERS_AFTER: Final = """
MATCH (i:Identifier) WHERE i.key > $after
WITH i ORDER BY i.key LIMIT $batch
RETURN i.key AS key, i.id AS id
"""

# New ids for one batch; a bundle is named after its hash's id (graph.triage.enrichment).
SET_IDS: Final = """
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
SET i.id = row.id
WITH row
CALL (row) {
  MATCH (b:Bundle {id: row.old})
  SET b.id = row.id
  WITH b
  MATCH (r:Report {bundleId: row.old})
  SET r.bundleId = row.id
}
"""

MARK_KEYED: Final = """
MERGE (k:IdentifierKeying {id: 'current'})
SET k.fingerprint = $fingerprint, k.at = datetime()
"""


@dataclass(frozen=True, slots=True)
class IdentifierIds:
    """Makes identifier ids from identities (``Identifier.key``) with the server's key."""

    key: bytes

    def of(self, identity: str) -> str:
        digest = hmac.new(self.key, identity.encode(), hashlib.sha256).hexdigest()
        return PREFIX + digest[:24]

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it (stored in the graph)."""
        return hashlib.sha256(b"tipgraph identifier ids\0" + self.key).hexdigest()[:16]


async def _fingerprint_tx(tx: AsyncManagedTransaction) -> str | None:
    records = await run(tx, KEYING)
    return str(records[0]["fingerprint"]) if records else None


async def _any_tx(tx: AsyncManagedTransaction) -> bool:
    return bool(await run(tx, ANY_IDENTIFIER))


async def is_current(db: Database, ids: IdentifierIds) -> bool:
    """Whether the graph's identifier ids were made with this key (an empty graph's are)."""
    fingerprint = await db.read(_fingerprint_tx)
    if fingerprint is not None:
        return fingerprint == ids.fingerprint
    return not await db.read(_any_tx)


async def _batch_tx(tx: AsyncManagedTransaction, after: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, IDENTIFIERS_AFTER, after=after, batch=BATCH)]


async def _set_tx(tx: AsyncManagedTransaction, rows: list[dict[str, str]]) -> None:
    await run(tx, SET_IDS, rows=rows)


async def _mark_tx(tx: AsyncManagedTransaction, fingerprint: str) -> None:
    await run(tx, MARK_KEYED, fingerprint=fingerprint)


async def rekey(db: Database, ids: IdentifierIds) -> int:
    """Give every identifier the id this key makes; returns how many ids changed.

    Resumable: batches go in key order, each in its own transaction, and an interrupted run
    simply runs again (an id already right is left alone). Intake meanwhile writes ids made
    with the new key, so nothing written during the run needs a second pass.
    """
    if await db.read(_fingerprint_tx) == ids.fingerprint:
        return 0
    changed, after = 0, ""
    while batch := await db.read(_batch_tx, after):
        rows = [{"key": row["key"], "id": ids.of(row["key"]), "old": row["id"]}
                for row in batch if row["id"] != ids.of(row["key"])]
        if rows:
            await db.write(_set_tx, rows)
        changed += len(rows)
        after = batch[-1]["key"]
    await db.write(_mark_tx, ids.fingerprint)
    return changed
