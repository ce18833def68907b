"""Published statistics: yearly counts of submitted reports, with small cells suppressed.

Dimensions: incident type, country, reporter, disposition and month. A cell under the
threshold (default 10) is suppressed (``count: None``). So that no suppressed cell can be
worked out by subtraction — from the grand total, or from a one-dimension-smaller table that
another query publishes — complementary cells are suppressed too: in every group of cells that
agree on all dimensions but one, a lone suppressed cell takes the next smallest cell with it,
and suppressed cells never add up to less than the threshold. Suppression runs until nothing
changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run

DIMENSIONS: Final[tuple[str, ...]] = ("INCIDENT_TYPE", "COUNTRY", "REPORTER", "DISPOSITION",
                                      "MONTH")

# One row per submitted report finished in the year, with every dimension's value.
REPORT_ROWS: Final = """
MATCH (r:Report {status: 'SUBMITTED'})
WHERE r.finishedAt >= $start AND r.finishedAt < $end
OPTIONAL MATCH (r)-[:IN_JURISDICTION]->(j:Jurisdiction)
WITH r, min(j.country) AS country
RETURN r.incidentType AS INCIDENT_TYPE, coalesce(country, 'UNKNOWN') AS COUNTRY,
       r.reporterId AS REPORTER, coalesce(r.disposition, 'PENDING') AS DISPOSITION,
       r.finishedAt.month AS MONTH, count(*) AS n
"""


@dataclass
class Cell:
    keys: tuple[str, ...]
    count: int
    suppressed: bool = False


@dataclass
class Table:
    year: int
    dimensions: tuple[str, ...]
    total: int
    threshold: int
    cells: list[Cell] = field(default_factory=list)
    incidents: int = 0

    @property
    def published_total(self) -> int | None:
        """The grand total, unless it is itself a small cell."""
        return self.total if self.total >= self.threshold else None

    @property
    def published_incidents(self) -> int | None:
        """Incidents: a bundle of viral reports counts once."""
        return self.incidents if self.incidents >= self.threshold else None

    def as_rows(self) -> list[dict[str, Any]]:
        return [{**dict(zip(self.dimensions, c.keys, strict=True)),
                 "count": None if c.suppressed else c.count, "suppressed": c.suppressed}
                for c in self.cells]


def _complement(group: list[Cell], threshold: int) -> bool:
    """Suppress more cells of one group when its suppressed cells could be worked out."""
    changed = False
    while True:
        hidden = [c for c in group if c.suppressed]
        shown = sorted((c for c in group if not c.suppressed), key=lambda c: (c.count, c.keys))
        hidden_sum = sum(c.count for c in hidden)
        if not hidden or not shown or (len(hidden) > 1 and hidden_sum >= threshold):
            return changed
        shown[0].suppressed = True
        changed = True


def suppress(cells: list[Cell], threshold: int, dimensions: int) -> list[Cell]:
    """Primary suppression (count < threshold) and complementary suppression, in place."""
    for cell in cells:
        cell.suppressed = cell.count < threshold
    changed = True
    while changed:
        changed = _complement(cells, threshold)  # against the grand total
        for d in range(dimensions if dimensions > 1 else 0):
            groups: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
            for cell in cells:
                groups[cell.keys[:d] + cell.keys[d + 1:]].append(cell)
            for group in groups.values():
                changed = _complement(group, threshold) or changed
    return cells


INCIDENTS: Final = """
MATCH (r:Report {status: 'SUBMITTED'})
WHERE r.finishedAt >= $start AND r.finishedAt < $end
RETURN count(DISTINCT coalesce(r.bundleId, 'report-' + toString(r.id))) AS incidents
"""


async def _incidents_tx(tx: AsyncManagedTransaction, start: datetime, end: datetime) -> int:
    records = await run(tx, INCIDENTS, start=start, end=end)
    incidents: int = records[0]["incidents"]
    return incidents


async def _rows_tx(tx: AsyncManagedTransaction, start: datetime,
                   end: datetime) -> list[dict[str, Any]]:
    return [dict(record) for record in await run(tx, REPORT_ROWS, start=start, end=end)]


async def statistics(db: Database, year: int, dimensions: Sequence[str],
                     threshold: int) -> Table:
    wanted = tuple(dict.fromkeys(dimensions))
    if not wanted or any(d not in DIMENSIONS for d in wanted):
        raise ValueError(f"dimensions are some of {', '.join(DIMENSIONS)}")
    rows = await db.read(_rows_tx, datetime(year, 1, 1, tzinfo=UTC),
                         datetime(year + 1, 1, 1, tzinfo=UTC))
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for row in rows:
        counts[tuple(str(row[d]) for d in wanted)] += row["n"]
    cells = [Cell(keys=k, count=n) for k, n in sorted(counts.items())]
    incidents = await db.read(_incidents_tx, datetime(year, 1, 1, tzinfo=UTC),
                              datetime(year + 1, 1, 1, tzinfo=UTC))
    return Table(year=year, dimensions=wanted, total=sum(counts.values()), threshold=threshold,
                 cells=suppress(cells, threshold, len(wanted)), incidents=incidents)


# Referrals of reports finished in the year, by the latest outcome the agency recorded.
REFERRAL_OUTCOMES: Final = """
MATCH (r:Report {status: 'SUBMITTED'})-[ref:REFERRED_TO]->(:Agency)
WHERE r.finishedAt >= $start AND r.finishedAt < $end
RETURN coalesce(ref.lastOutcome, 'AWAITING') AS outcome, count(*) AS n
"""


async def _outcomes_tx(tx: AsyncManagedTransaction, start: datetime,
                       end: datetime) -> dict[str, int]:
    return {r["outcome"]: r["n"] for r in await run(tx, REFERRAL_OUTCOMES, start=start, end=end)}


async def referral_outcomes(db: Database, year: int, threshold: int) -> Table:
    """Referrals (one per report and agency) by their latest outcome, ``AWAITING`` while the
    agency has reported none; suppressed exactly like the report tables."""
    counts = await db.read(_outcomes_tx, datetime(year, 1, 1, tzinfo=UTC),
                           datetime(year + 1, 1, 1, tzinfo=UTC))
    cells = [Cell(keys=(k,), count=n) for k, n in sorted(counts.items())]
    return Table(year=year, dimensions=("OUTCOME",), total=sum(counts.values()),
                 threshold=threshold, cells=suppress(cells, threshold, 1))
