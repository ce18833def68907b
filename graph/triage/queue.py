"""The triage queue: filtered, ordered report pages with stable (keyset) cursors.

The default order is priority (P1 first, untriaged last), then submission time (oldest
waiting first), then id. A cursor holds the sort values of the last row, so pages stay stable
while reports arrive. ORDER BY and the keyset condition are assembled from the fixed fragments
below; clients choose among them, they never supply Cypher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, LiteralString

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.visibility import EFFECTIVE_STATUS, VISIBLE_REPORT, RowScope, counted_report
from graph.reports.queries import (
    REPORT_FIELDS,
    WHOLE,
    Shape,
    present,
    present_tree,
    report_projection,
    tree_map,
)

# Denormalised sort keys, indexed together (migrations V0006/V0007) so the default order is an
# index scan that stops after one page: ``priorityRank`` (1-3 for P1-P3, 4 untriaged) is set
# with every priority, ``queuedAt`` when a report is opened and again when it is finished.
PRIORITY_RANK: Final = (
    "CASE r.priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 ELSE 4 END")
UNTRIAGED_RANK: Final = 4

# Sort keys: name -> a property of r, never null.
SORT_KEYS: Final[dict[str, LiteralString]] = {
    "PRIORITY": "r.priorityRank",
    "SUBMITTED_AT": "r.queuedAt",
    "OPENED_AT": "r.openedAt",
    "ID": "r.id",
}
DEFAULT_ORDER: Final = (("PRIORITY", "ASC"), ("SUBMITTED_AT", "ASC"))
# Sort keys that hold a time: a page returns them as microseconds since the epoch (an integer
# costs the driver nothing to decode; a DateTime, tens of microseconds in Python).
TIME_KEYS: Final = frozenset({SORT_KEYS["SUBMITTED_AT"], SORT_KEYS["OPENED_AT"]})
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# Orders an index reads out directly (every key ascending, or every key descending): the page
# is then an index scan that stops after ``limit`` rows, not a sort of every visible report.
ORDER_INDEXES: Final[dict[tuple[str, ...], LiteralString]] = {
    ("PRIORITY", "SUBMITTED_AT"): "r:Report(priorityRank, queuedAt)",
    ("SUBMITTED_AT",): "r:Report(queuedAt)",
}

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
    # outcomes: the latest outcome of a referral the reader may see (an agency: its own)
    " AND ($outcomes IS NULL OR EXISTS { MATCH (r)-[ref:REFERRED_TO]->(a:Agency)"
    " WHERE ($rows.all OR a.id = $rows.agencyId) AND ref.lastOutcome IN $outcomes })"
    " AND ($awaitingOutcome IS NULL OR (EXISTS { MATCH (r)-[:REFERRED_TO]->(a:Agency)"
    " WHERE $rows.all OR a.id = $rows.agencyId } AND EXISTS {"
    " MATCH (r)-[ref:REFERRED_TO]->(a:Agency) WHERE ($rows.all OR a.id = $rows.agencyId)"
    " AND ref.lastOutcome IS NULL } = $awaitingOutcome))"
    # collapsed: one report per bundle stands for it (the first submitted the reader may see)
    " AND (NOT $collapse OR r.bundleId IS NULL OR NOT EXISTS {"
    " MATCH (other:Report {bundleId: r.bundleId})"
    " WHERE (other.finishedAt < r.finishedAt"
    " OR (other.finishedAt = r.finishedAt AND other.id < r.id)) AND " + counted_report("other")
    + " })"
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
    outcomes: list[str] | None = None
    awaiting_outcome: bool | None = None

    def params(self) -> dict[str, Any]:
        return {"statuses": self.statuses, "incidentTypes": self.incident_types,
                "dispositions": self.dispositions, "priorities": self.priorities,
                "annotations": self.annotations, "reporterIds": self.reporter_ids,
                "submittedAfter": self.submitted_after,
                "submittedBefore": self.submitted_before, "escalated": self.escalated,
                "jurisdictions": self.jurisdictions, "identifierKey": self.identifier_key,
                "bundled": self.bundled, "collapse": self.collapse_bundles,
                "outcomes": self.outcomes, "awaitingOutcome": self.awaiting_outcome}

    def narrows(self) -> bool:
        """Whether any filter is given (an unfiltered count comes from Neo4j's count store)."""
        given = {k: v for k, v in self.params().items() if k != "collapse"}
        return self.collapse_bundles or any(v is not None for v in given.values())


@dataclass(frozen=True, slots=True)
class QueuePage:
    total: int
    rows: list[tuple[list[Any], dict[str, Any]]] = field(default_factory=list)
    # with ``below``: each report's {files, mentions}, by its id (graph.reports.queries.tree_map)
    trees: dict[int, dict[str, Any]] = field(default_factory=dict)


def _order(order: Sequence[tuple[str, str]]) -> list[tuple[LiteralString, str]]:
    keys = [(SORT_KEYS[name], direction) for name, direction in order]
    if all(name != "ID" for name, _ in order):
        keys.append((SORT_KEYS["ID"], "ASC"))  # a total order: ties broken by id
    return keys


def build_query(order: Sequence[tuple[str, str]], with_cursor: bool,
                count_every_report: bool = False,
                projection: LiteralString = REPORT_FIELDS,
                tree: LiteralString | None = None, referred_only: bool = False) -> LiteralString:
    """The page statement for one ordering (from the fixed fragments only).

    The keyset condition is written on the sort properties themselves, led by a bound on the
    first key, so the planner can seek the order index there instead of scanning from the top.
    ``count_every_report``: the reader sees every report and filters nothing, so Neo4j's count
    store gives ``total`` at once. ``tree``: each row also carries what is below its report
    (:func:`graph.reports.queries.tree_map`), so the page is one round trip.
    ``referred_only``: the reader is an agency, so its page starts from its own referrals (every
    agency's, for a seesAll agency) instead of walking every report in the queue's order; the
    row rule still decides which of them it sees. At a million reports an agency with 20,000
    referrals no longer walks the 100,000 of every agency.
    """
    referred: LiteralString = (
        "MATCH (a:Agency) WHERE a.id = $rows.agencyId"
        " OR EXISTS { MATCH (:Agency {id: $rows.agencyId, seesAll: true}) }"
        " MATCH (a)<-[:REFERRED_TO]-(r:Report) WITH DISTINCT r WHERE ")
    keys = _order(order)
    names = tuple(name for name, _ in order)
    index = ORDER_INDEXES.get(names[:-1] if names[-1:] == ("ID",) else names)
    matched: LiteralString = "MATCH (r:Report) WHERE "
    if referred_only:
        matched = referred
    elif index is not None and len({direction for _, direction in order}) == 1:
        # The hint needs a predicate on every indexed property; the keys are never null.
        matched = ("MATCH (r:Report) USING INDEX " + index + " WHERE "
                   + " AND ".join(f"{keys[i][0]} IS NOT NULL"
                                  for i in range(index.count(",") + 1)) + " AND ")
    after: LiteralString = ""
    if with_cursor:
        clauses: list[str] = []
        for i, (expression, direction) in enumerate(keys):
            equal = " AND ".join(f"{keys[j][0]} = $after[{j}]" for j in range(i))
            compare = f"{expression} {'>' if direction == 'ASC' else '<'} $after[{i}]"
            clauses.append(f"({equal} AND {compare})" if equal else f"({compare})")
        lead, lead_direction = keys[0]
        after = (f" AND {lead} {'>=' if lead_direction == 'ASC' else '<='} $after[0]"
                 " AND (" + " OR ".join(clauses) + ")")
    ordering: LiteralString = ", ".join(
        f"{expression} {'ASC' if d == 'ASC' else 'DESC'}" for expression, d in keys)
    values: LiteralString = ", ".join(
        f"{expression}.epochSeconds * 1000000 + {expression}.microsecond"
        if expression in TIME_KEYS else expression for expression, _ in keys)
    count: LiteralString = (referred + FILTER if referred_only else "MATCH (r:Report)" + (
        "" if count_every_report else " WHERE " + FILTER))
    return (
        "CALL () { " + count + " RETURN count(r) AS total }"
        " CALL () { " + matched + FILTER + after
        + " WITH r ORDER BY " + ordering + " LIMIT $limit"
        " RETURN collect([[" + values + "], " + projection
        + (", " + tree if tree is not None else "") + "]) AS page }"
        " RETURN total, page"
    )


async def _page_tx(tx: AsyncManagedTransaction, query: LiteralString,
                   params: dict[str, Any]) -> QueuePage:
    records = await run(tx, query, **params)
    page = records[0]["page"]
    return QueuePage(total=records[0]["total"], rows=[(row[0], row[1]) for row in page],
                     trees={row[1]["id"]: row[2] for row in page if len(row) > 2})


def _times(values: list[Any], is_time: list[bool]) -> list[Any]:
    """A row's sort values with its time keys (microseconds since the epoch) as datetimes."""
    return [EPOCH + timedelta(microseconds=value) if time else value
            for time, value in zip(is_time, values, strict=True)]


async def queue_page(db: Database, *, rows: RowScope, filters: QueueFilter,
                     order: Sequence[tuple[str, str]], limit: int,
                     after: list[Any] | None, shape: Shape = WHOLE,
                     below: tuple[bool, bool] | None = None) -> QueuePage:
    """Up to ``limit`` rows of (sort values, report), after the cursor's sort values; each
    report as ``shape`` says. ``below``: (files, mentions) to read with each report, in the
    same statement (``trees``)."""
    query = build_query(order, with_cursor=after is not None,
                        count_every_report=rows.sees_all and not filters.narrows(),
                        projection=report_projection(shape.report),
                        tree=tree_map(shape) if below is not None else None,
                        referred_only=rows.agency_id is not None)
    files, mentions = below or (False, False)
    page = await db.read(_page_tx, query, {**filters.params(), "rows": rows, "limit": limit,
                                           "after": after, "files": files,
                                           "mentions": mentions})
    # narrowed maps as properties() would give them (no null entries)
    is_time = [expression in TIME_KEYS for expression, _ in _order(order)]  # once a page
    rows_ = [(_times(keys, is_time), node if shape.report is None else present(node) or {})
             for keys, node in page.rows]
    return QueuePage(total=page.total, rows=rows_,
                     trees={i: present_tree(tree, shape) for i, tree in page.trees.items()})
