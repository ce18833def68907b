"""Batched reads of analysts' notes and reports' history, for the API's DataLoaders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph.core.db import Database
from graph.core.loaders import keyed_lists
from graph.triage import notes
from graph.triage import service as triage


async def notes_by_report_ids(db: Database, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, notes.NOTES_BY_REPORT_IDS, "notes", ids)


async def events_by_report_ids(db: Database, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
    return await keyed_lists(db, triage.EVENTS_BY_REPORT_IDS, "events", ids)
