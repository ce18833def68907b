"""Batched reads of identifiers, for the API's DataLoaders; counts and pages of their
reports under the row rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.loaders import keyed
from graph.core.visibility import RowScope
from graph.reports import queries as q


async def identifiers_by_ids(db: Database, ids: Sequence[str],
                             rows: RowScope) -> list[dict[str, Any] | None]:
    return await keyed(db, q.IDENTIFIERS_BY_IDS, "identifier", ids, rows=rows)


async def report_counts_by_identifier_ids(db: Database, ids: Sequence[str],
                                          rows: RowScope) -> list[int]:
    return [v or 0 for v in await keyed(db, q.REPORT_COUNTS_BY_IDENTIFIER_IDS, "n", ids,
                                        rows=rows)]


async def _identifier_by_key_tx(tx: AsyncManagedTransaction, key: str,
                                rows: RowScope) -> dict[str, Any] | None:
    records = await run(tx, q.IDENTIFIER_BY_KEY, key=key, rows=rows)
    identifier: dict[str, Any] | None = records[0]["identifier"] if records else None
    return identifier


async def identifier_by_key(db: Database, key: str,
                            rows: RowScope) -> dict[str, Any] | None:
    return await db.read(_identifier_by_key_tx, key, rows)


async def _report_page_tx(tx: AsyncManagedTransaction, query: LiteralString,
                          params: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    records = await run(tx, query, **params)
    if not records:
        return 0, []
    return records[0]["total"], records[0]["page"]


async def identifier_report_page(db: Database, identifier_id: str, *, rows: RowScope,
                                 limit: int,
                                 before: int | None) -> tuple[int, list[dict[str, Any]]]:
    """One page of the visible reports that mention an identifier, newest first."""
    return await db.read(_report_page_tx, q.IDENTIFIER_REPORT_PAGE, {
        "identifierId": identifier_id, "rows": rows, "limit": limit, "before": before})
