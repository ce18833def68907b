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
    if shape.file is not None and row.get("files"):
        row["files"] = [{**tree, "file": q.present(tree["file"])} for tree in row["files"]]
    if shape.mention is not None and row.get("mentions"):
        row["mentions"] = [{**m, "mention": q.present(m["mention"])} for m in row["mentions"]]
    return row


async def _trees_tx(tx: AsyncManagedTransaction, ids: Sequence[int], files: bool,
                    mentions: bool, shape: q.Shape) -> list[dict[str, Any]]:
    records = await run(tx, q.report_trees_by_ids(shape), ids=list(ids), files=files,
                        mentions=mentions)
    return [_as_stored(dict(record), shape) for record in records]


async def report_trees(db: Database, ids: Sequence[int], *, files: bool, mentions: bool,
                       shape: q.Shape = q.WHOLE) -> list[dict[str, Any]]:
    """Files (with hashes and labels) and mentions of reports the caller already saw, in one
    round trip: rows of ``id``, ``files`` (``{file, hashes, classifications}``) and
    ``mentions``, each null when not asked for; each file as ``shape`` says."""
    return await db.read(_trees_tx, ids, files, mentions, shape)


async def _report_tree_tx(tx: AsyncManagedTransaction, report_id: int, rows: RowScope,
                          files: bool, mentions: bool, shape: q.Shape) -> dict[str, Any]:
    [record] = await run(tx, q.report_with_tree(shape), id=report_id, rows=rows, files=files,
                         mentions=mentions)
    return _as_stored(dict(record), shape)


async def report_with_tree(db: Database, report_id: int, *, rows: RowScope, files: bool,
                           mentions: bool, shape: q.Shape = q.WHOLE) -> dict[str, Any]:
    """A report the reader may see (``report`` null otherwise) with its ``files`` and
    ``mentions`` as :func:`report_trees` gives them, in one round trip; the report and its
    files as ``shape`` says."""
    return await db.read(_report_tree_tx, report_id, rows, files, mentions, shape)
