"""Batched reads of reports and what hangs below them (files, hashes, labels, mentions),
for the API's DataLoaders. Reports are read under the row rule; the rest only below a report
the caller could already see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph.core.db import Database
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
