"""Batched reads of referrals and agencies, for the API's DataLoaders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.loaders import keyed_lists
from graph.core.visibility import RowScope
from graph.referrals import agencies


async def referrals_by_report_ids(db: Database, ids: Sequence[int],
                                  rows: RowScope) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, agencies.REFERRALS_BY_REPORT_IDS, "referrals", ids,
                             rows=rows)


async def _all_agencies_tx(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
    return [record["agency"] for record in await run(tx, agencies.ALL_AGENCIES)]


async def all_agencies(db: Database) -> list[dict[str, Any]]:
    return await db.read(_all_agencies_tx)
