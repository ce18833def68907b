"""Batched reads for the API's DataLoaders: one round trip per call, results in key order.

Report-level reads apply the row rule (``rows``); reads below a report (files, hashes,
mentions) are only reachable from a report the caller could already see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.visibility import RowScope
from graph.referrals import agencies
from graph.reports import queries as q
from graph.triage import notes
from graph.triage import service as triage


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


async def reports_by_ids(db: Database, ids: Sequence[int],
                         rows: RowScope) -> list[dict[str, Any] | None]:
    return await keyed(db, q.REPORTS_BY_IDS, "report", ids, rows=rows)


async def files_by_report_ids(db: Database, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, q.FILES_BY_REPORT_IDS, "files", ids)


async def hashes_by_file_ids(db: Database, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, q.HASHES_BY_FILE_IDS, "hashes", ids)


async def classifications_by_file_ids(db: Database,
                                      ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, q.CLASSIFICATIONS_BY_FILE_IDS, "classifications", ids)


async def mentions_by_report_ids(db: Database,
                                 ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, q.MENTIONS_BY_REPORT_IDS, "mentions", ids)


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


async def referrals_by_report_ids(db: Database, ids: Sequence[int],
                                  rows: RowScope) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, agencies.REFERRALS_BY_REPORT_IDS, "referrals", ids,
                             rows=rows)


async def notes_by_report_ids(db: Database, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, notes.NOTES_BY_REPORT_IDS, "notes", ids)


async def _all_agencies_tx(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
    return [record["agency"] for record in await run(tx, agencies.ALL_AGENCIES)]


async def all_agencies(db: Database) -> list[dict[str, Any]]:
    return await db.read(_all_agencies_tx)


async def events_by_report_ids(db: Database, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, triage.EVENTS_BY_REPORT_IDS, "events", ids)
