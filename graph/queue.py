"""The triage queue: filtered, ordered report pages with stable (keyset) cursors.

The default order is priority (P1 first, untriaged last), then submission time (oldest
waiting first), then id. A cursor holds the sort values of the last row, so pages stay stable
while reports arrive. ORDER BY and the keyset condition are assembled from the fixed fragments
below; clients choose among them, they never supply Cypher.

Example::

    page = await queue_page(db, scope=scope, filters=QueueFilter(priorities=["P1"]),
                            order=DEFAULT_ORDER, limit=51, after=None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, LiteralString

from neo4j import AsyncManagedTransaction

from graph.db import Database, run
from graph.reports import REPORT_FIELDS
from graph.visibility import EFFECTIVE_STATUS, VISIBLE_REPORT

# Sort keys: name -> (Cypher expression over r, never null).
SORT_KEYS: Final[dict[str, LiteralString]] = {
    "PRIORITY": ("CASE r.priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3"
                 " ELSE 4 END"),
    "SUBMITTED_AT": "coalesce(r.finishedAt, r.openedAt)",
    "OPENED_AT": "r.openedAt",
    "ID": "r.id",
}
DEFAULT_ORDER: Final = (("PRIORITY", "ASC"), ("SUBMITTED_AT", "ASC"))

FILTER: Final = (
    VISIBLE_REPORT
    + " AND ($statuses IS NULL OR " + EFFECTIVE_STATUS + " IN $statuses)"
    " AND ($incidentTypes IS NULL OR r.incidentType IN $incidentTypes)"
    " AND ($dispositions IS NULL OR coalesce(r.disposition, 'PENDING') IN $dispositions)"
    " AND ($priorities IS NULL OR coalesce(r.priority, 'UNSET') IN $priorities)"
    " AND ($annotations IS NULL OR any(a IN r.annotations WHERE a IN $annotations))"
    " AND ($reporterIds IS NULL OR r.reporterId IN $reporterIds)"
    " AND ($submittedAfter IS NULL OR r.finishedAt >= $submittedAfter)"
    " AND ($submittedBefore IS NULL OR r.finishedAt < $submittedBefore)"
    " AND ($escalated IS NULL OR coalesce(r.escalated, false) = $escalated)"
    " AND ($jurisdictions IS NULL OR EXISTS {"
    " MATCH (r)-[:IN_JURISDICTION]->(j:Jurisdiction) WHERE j.code IN $jurisdictions })"
    " AND ($identifierKey IS NULL OR EXISTS {"
    " MATCH (r)-[:MENTIONS]->(:Identifier {key: $identifierKey}) })"
    " AND ($bundled IS NULL OR (r.bundleId IS NOT NULL) = $bundled)"
    # collapsed: one report per bundle stands for it (the first submitted)
    " AND (NOT $collapse OR r.bundleId IS NULL OR NOT EXISTS {"
    " MATCH (other:Report {bundleId: r.bundleId})"
    " WHERE other.finishedAt < r.finishedAt"
    " OR (other.finishedAt = r.finishedAt AND other.id < r.id) })"
)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    statuses: list[str] | None = None
    incident_types: list[str] | None = None
    dispositions: list[str] | None = None
    priorities: list[str] | None = None
    annotations: list[str] | None = None
    reporter_ids: list[str] | None = None
    submitted_after: datetime | None = None
    submitted_before: datetime | None = None
    escalated: bool | None = None
    jurisdictions: list[str] | None = None
    identifier_key: str | None = None
    bundled: bool | None = None
    collapse_bundles: bool = False

    def params(self) -> dict[str, Any]:
        return {"statuses": self.statuses, "incidentTypes": self.incident_types,
                "dispositions": self.dispositions, "priorities": self.priorities,
                "annotations": self.annotations, "reporterIds": self.reporter_ids,
                "submittedAfter": self.submitted_after,
                "submittedBefore": self.submitted_before, "escalated": self.escalated,
                "jurisdictions": self.jurisdictions, "identifierKey": self.identifier_key,
                "bundled": self.bundled, "collapse": self.collapse_bundles}


@dataclass(frozen=True, slots=True)
class QueuePage:
    total: int
    rows: list[tuple[list[Any], dict[str, Any]]] = field(default_factory=list)


def _order(order: Sequence[tuple[str, str]]) -> list[tuple[LiteralString, str]]:
    keys = [(SORT_KEYS[name], direction) for name, direction in order]
    if all(name != "ID" for name, _ in order):
        keys.append((SORT_KEYS["ID"], "ASC"))  # a total order: ties broken by id
    return keys


def build_query(order: Sequence[tuple[str, str]], with_cursor: bool) -> LiteralString:
    """The page statement for one ordering (from the fixed fragments only)."""
    keys = _order(order)
    projection: LiteralString = ", ".join(
        f"{expression} AS k{i}" for i, (expression, _) in enumerate(keys))
    ordering: LiteralString = ", ".join(
        f"k{i} {'ASC' if d == 'ASC' else 'DESC'}" for i, (_, d) in enumerate(keys))
    after: LiteralString = "true"
    if with_cursor:
        clauses: list[str] = []
        for i, (_, direction) in enumerate(keys):
            equal = " AND ".join(f"k{j} = $after[{j}]" for j in range(i))
            compare = f"k{i} {'>' if direction == 'ASC' else '<'} $after[{i}]"
            clauses.append(f"({equal} AND {compare})" if equal else f"({compare})")
        after = " OR ".join(clauses)
    return (
        "CALL () { MATCH (r:Report) WHERE " + FILTER + " RETURN count(r) AS total }"
        " CALL () { MATCH (r:Report) WHERE " + FILTER
        + " WITH r, " + projection
        + " WHERE " + after
        + " WITH r, " + ", ".join(f"k{i}" for i in range(len(keys)))
        + " ORDER BY " + ordering + " LIMIT $limit"
        " RETURN collect([[" + ", ".join(f"k{i}" for i in range(len(keys)))
        + "], " + REPORT_FIELDS + "]) AS page }"
        " RETURN total, page"
    )


async def _page_tx(tx: AsyncManagedTransaction, query: LiteralString,
                   params: dict[str, Any]) -> QueuePage:
    records = await run(tx, query, **params)
    return QueuePage(total=records[0]["total"],
                     rows=[(row[0], row[1]) for row in records[0]["page"]])


async def queue_page(db: Database, *, scope: dict[str, Any], filters: QueueFilter,
                     order: Sequence[tuple[str, str]], limit: int,
                     after: list[Any] | None) -> QueuePage:
    """Up to ``limit`` rows of (sort values, report), after the cursor's sort values."""
    query = build_query(order, with_cursor=after is not None)
    return await db.read(_page_tx, query, {**filters.params(), "scope": scope, "limit": limit,
                                           "after": after})
