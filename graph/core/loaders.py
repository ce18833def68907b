"""Batched reads for the API's DataLoaders: one round trip per call, results in key order.

Each domain keeps its loaders beside its Cypher (``graph/<domain>/loaders.py``); these are the
helpers they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run


async def _keyed_tx(tx: AsyncManagedTransaction, query: LiteralString, column: str,
                    ids: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    records = await run(tx, query, ids=list(ids), **params)
    by_id = {record["id"]: record[column] for record in records}
    return [by_id.get(key) for key in ids]


async def keyed(db: Database, query: LiteralString, column: str, ids: Sequence[Any],
                **params: Any) -> list[Any]:
    """Run a ``UNWIND $ids AS id ... RETURN id, <column>`` query; values in key order."""
    return await db.read(_keyed_tx, query, column, ids, params)


async def keyed_lists(db: Database, query: LiteralString, column: str, ids: Sequence[Any],
                      **params: Any) -> list[list[Any]]:
    """Like :func:`keyed` for list columns: missing keys and null items drop out."""
    return [[item for item in value or [] if item is not None]
            for value in await keyed(db, query, column, ids, **params)]
