"""Revoked token ids (``jti``), kept until the token would have expired anyway."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run

REVOKE: Final = """
MERGE (t:RevokedToken {jti: $jti})
  ON CREATE SET t.at = datetime(), t.until = $until
"""

ACTIVE_REVOCATIONS: Final = """
MATCH (t:RevokedToken)
WHERE t.until IS NULL OR t.until > datetime()
RETURN collect(t.jti) AS jtis
"""


async def _revoke_tx(tx: AsyncManagedTransaction, jti: str, until: datetime | None) -> None:
    await run(tx, REVOKE, jti=jti, until=until)


async def revoke(db: Database, jti: str, until: datetime | None = None) -> None:
    await db.write(_revoke_tx, jti, until)


async def _active_tx(tx: AsyncManagedTransaction) -> set[str]:
    records = await run(tx, ACTIVE_REVOCATIONS)
    return set(records[0]["jtis"])


async def active_revocations(db: Database) -> set[str]:
    return await db.read(_active_tx)
