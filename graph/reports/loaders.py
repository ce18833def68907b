"""Batched reads of reports and what hangs below them (files, hashes, labels, mentions),
for the API's DataLoaders. Reports are read under the row rule; the rest only below a report
the caller could already see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.loaders import keyed, keyed_lists
from graph.core.visibility import RowScope
from graph.reports import queries as q


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


def _as_stored(row: dict[str, Any], shape: q.Shape) -> dict[str, Any]:
    """A narrowed row's maps as ``properties()`` would give them (no null entries)."""
    if shape.report is not None and row.get("report") is not None:
        row["report"] = q.present(row["report"])
    return q.present_tree(row, shape)


async def _report_tree_tx(tx: AsyncManagedTransaction, report_id: int, rows: RowScope,
                          files: bool, mentions: bool, shape: q.Shape) -> dict[str, Any]:
    [record] = await run(tx, q.report_with_tree(shape), id=report_id, rows=rows, files=files,
                         mentions=mentions)
    return _as_stored(dict(record), shape)


async def report_with_tree(db: Database, report_id: int, *, rows: RowScope, files: bool,
                           mentions: bool, shape: q.Shape = q.WHOLE) -> dict[str, Any]:
    """A report the reader may see (``report`` null otherwise) with its ``files``
    (``{file, hashes, classifications}``) and ``mentions``, each null when not asked for, in
    one round trip; the report and its files as ``shape`` says."""
    return await db.read(_report_tree_tx, report_id, rows, files, mentions, shape)
