"""Published statistics, protected jointly: every table is a sum of one perturbed fine table.

Anyone may ask for the year's submitted reports counted by any one to three of five
dimensions (incident type, country, reporter, disposition, month), so every table the API can
produce is published, and they overlap. Protecting each table on its own (suppressing small
cells and their complements) is undone by arithmetic across tables: the public COUNTRY and
MONTH tables with the COUNTRY-by-MONTH table gave back a suppressed (DE, December) = 4 exactly.

**The method: consistent perturbation of the finest table** (a cell-key method, as the
Australian Bureau of Statistics and Eurostat use for tables on demand, applied once, below
every table). The finest table counts the year's reports by all five dimensions at once. Each
of its cells of n reports gets a noise of -m to +m, m = min(D, n) (D is ``noise``, 3 by
default: a count is never perturbed below zero, and the noise is zero on average), drawn from
a keyed hash of the cell and of the exact set of reports in it: the same reports give the same
noise in every query, and a changed set a fresh one. Every published number, a cell of any
table or a total, is the exact sum of perturbed fine cells; a published number under the
threshold (10 by default) is suppressed, and a cell that sums to zero is not listed.

**What that guarantees.** Everything published is a linear function of the perturbed fine
table, so no combination of tables tells more than that table would, even published whole.
From a perturbed fine count y, the true count x can be anything with |y - x| <= min(D, x): from
max(y - D, y / 2) to y + D, a range at least D wide (0 to D when y is 0). A cell under the
threshold therefore keeps a range of at least D counts that everything published cannot
narrow; in practice the
range is far wider, since the fine table is never published and suppressed cells say only
that they are small. ``tests/test_statistics.py`` proves it with linear programming (SciPy's
HiGHS) over every table of up to three dimensions for a year. The price: a published count is
off by a few per fine cell it sums (zero on average; the noise of a sum of k fine cells has a
standard deviation of about 2√k), and the tables are consistent with each other exactly.

Other tables, each from its own fine table the same way: referrals by their latest outcome;
files' labels by scheme, source and whether anyone at the ESP viewed the file; and live
matches by hash-list version.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, LiteralString

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run

DIMENSIONS: Final[tuple[str, ...]] = ("INCIDENT_TYPE", "COUNTRY", "REPORTER", "DISPOSITION",
                                      "MONTH")
LABEL_DIMENSIONS: Final[tuple[str, ...]] = ("SCHEME", "SOURCE", "VIEWED")
MAX_DIMENSIONS: Final = 3

# The finest table of the year's submitted reports: its cells, with the reports in each.
REPORT_ROWS: Final = """
MATCH (r:Report {status: 'SUBMITTED'})
WHERE r.finishedAt >= $start AND r.finishedAt < $end
OPTIONAL MATCH (r)-[:IN_JURISDICTION]->(j:Jurisdiction)
WITH r, min(j.country) AS country
RETURN r.incidentType AS INCIDENT_TYPE, coalesce(country, 'UNKNOWN') AS COUNTRY,
       r.reporterId AS REPORTER, coalesce(r.disposition, 'PENDING') AS DISPOSITION,
       r.finishedAt.month AS MONTH, collect(toString(r.id)) AS records
"""

# Incidents: a bundle of viral reports counts once.
INCIDENTS: Final = """
MATCH (r:Report {status: 'SUBMITTED'})
WHERE r.finishedAt >= $start AND r.finishedAt < $end
RETURN collect(DISTINCT coalesce(r.bundleId, 'report-' + toString(r.id))) AS records
"""

# Referrals of reports finished in the year, by the latest outcome the agency recorded.
REFERRAL_OUTCOMES: Final = """
MATCH (r:Report {status: 'SUBMITTED'})-[ref:REFERRED_TO]->(a:Agency)
WHERE r.finishedAt >= $start AND r.finishedAt < $end
RETURN coalesce(ref.lastOutcome, 'AWAITING') AS OUTCOME,
       collect(toString(r.id) + ':' + a.id) AS records
"""

# Live labels on the files of the year's reports: by scheme, source and ESP viewing.
LABEL_ROWS: Final = """
MATCH (r:Report {status: 'SUBMITTED'})-[:HAS_FILE]->(f:File)-[:LABELLED]->(c:Classification)
WHERE r.finishedAt >= $start AND r.finishedAt < $end AND c.retiredAt IS NULL
RETURN coalesce(c.scheme, CASE c.source WHEN 'ESP' THEN 'INDUSTRY'
                                        WHEN 'ANALYST' THEN 'ANALYST' ELSE 'UNKNOWN' END)
         AS SCHEME,
       c.source AS SOURCE,
       CASE f.viewedByEsp WHEN true THEN 'VIEWED' WHEN false THEN 'NOT_VIEWED'
                          ELSE 'NOT_SAID' END AS VIEWED,
       collect(c.id) AS records
"""

# Live matches on the files of the year's reports, by the list version (or the analysts'
# labelled files) that suggested them.
MATCH_ROWS: Final = """
MATCH (r:Report {status: 'SUBMITTED'})-[:HAS_FILE]->(:File)-[:LABELLED]->(c:Classification)
WHERE r.finishedAt >= $start AND r.finishedAt < $end AND c.source = 'MATCH'
  AND c.retiredAt IS NULL
RETURN coalesce(c.listVersion, 'ANALYST_LABELLED_FILES') AS LIST, collect(c.id) AS records
"""


@dataclass(frozen=True, slots=True)
class Protection:
    """How published counts are protected: the key the noise is drawn with, its bound D and
    the threshold under which a published number is suppressed."""

    key: bytes
    noise: int = 3
    threshold: int = 10

    @classmethod
    def derived(cls, secret: bytes, noise: int = 3, threshold: int = 10) -> Protection:
        """A protection keyed from a server secret (the identifier key) by its own label."""
        return cls(hmac.new(secret, b"tipgraph statistics noise", hashlib.sha256).digest(),
                   noise, threshold)

    def _draw(self, *parts: str) -> int:
        digest = hmac.new(self.key, "\x1f".join(parts).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big")

    def noise_of(self, table: str, keys: Sequence[str], records: Sequence[str]) -> int:
        """The noise of one fine cell of n records: from -m to +m, m = min(D, n), drawn from
        the cell and the exact set of its records (so a count is never perturbed below 0)."""
        bound = min(self.noise, len(records))
        fingerprint = sum(self._draw("record", r) for r in records) % (1 << 64)
        return self._draw("cell", table, *keys, f"{fingerprint:x}") % (2 * bound + 1) - bound


@dataclass
class Cell:
    keys: tuple[str, ...]
    count: int  # the published (perturbed) count
    suppressed: bool = False


@dataclass
class Table:
    year: int
    dimensions: tuple[str, ...]
    total: int  # perturbed
    threshold: int
    noise: int
    cells: list[Cell] = field(default_factory=list)
    incidents: int = 0  # perturbed

    @property
    def published_total(self) -> int | None:
        """The grand total, unless it is itself small."""
        return self.total if self.total >= self.threshold else None

    @property
    def published_incidents(self) -> int | None:
        """Incidents: a bundle of viral reports counts once."""
        return self.incidents if self.incidents >= self.threshold else None

    def as_rows(self) -> list[dict[str, Any]]:
        return [{**dict(zip(self.dimensions, c.keys, strict=True)),
                 "count": None if c.suppressed else c.count, "suppressed": c.suppressed}
                for c in self.cells]


@dataclass(frozen=True, slots=True)
class FineCell:
    keys: dict[str, str]
    true: int
    perturbed: int


def perturb(protection: Protection, table: str, dimensions: Sequence[str],
            rows: Sequence[dict[str, Any]]) -> list[FineCell]:
    """The fine table's cells, each with its noise (rows: one per cell, with ``records``)."""
    fine = []
    for row in rows:
        keys = {d: str(row[d]) for d in dimensions}
        records = list(row["records"])
        fine.append(FineCell(keys, len(records), len(records) + protection.noise_of(
            table, [keys[d] for d in dimensions], records)))
    return fine


def aggregate(fine: Sequence[FineCell], year: int, wanted: Sequence[str],
              protection: Protection) -> Table:
    """A published table: sums of perturbed fine cells, the small ones suppressed."""
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for cell in fine:
        counts[tuple(cell.keys[d] for d in wanted)] += cell.perturbed
    return Table(year=year, dimensions=tuple(wanted), total=sum(c.perturbed for c in fine),
                 threshold=protection.threshold, noise=protection.noise,
                 cells=[Cell(keys=k, count=n, suppressed=n < protection.threshold)
                        for k, n in sorted(counts.items()) if n > 0])


def _year(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


async def _rows_tx(tx: AsyncManagedTransaction, statement: LiteralString, start: datetime,
                   end: datetime) -> list[dict[str, Any]]:
    return [dict(record) for record in await run(tx, statement, start=start, end=end)]


async def fine_table(db: Database, statement: LiteralString, table: str,
                     dimensions: Sequence[str], year: int,
                     protection: Protection) -> list[FineCell]:
    """One year's fine table, read and perturbed (the hashing off the event loop)."""
    rows = await db.read(_rows_tx, statement, *_year(year))
    return await asyncio.to_thread(perturb, protection, table, dimensions, rows)


def _wanted(dimensions: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(dimensions))
    if not wanted or len(wanted) > MAX_DIMENSIONS or any(d not in allowed for d in wanted):
        raise ValueError(f"dimensions are 1 to {MAX_DIMENSIONS} of {', '.join(allowed)}")
    return wanted


async def statistics(db: Database, year: int, dimensions: Sequence[str],
                     protection: Protection) -> Table:
    """The year's submitted reports by ``dimensions``, protected (see the module)."""
    wanted = _wanted(dimensions, DIMENSIONS)
    fine = await fine_table(db, REPORT_ROWS, "reports", DIMENSIONS, year, protection)
    table = aggregate(fine, year, wanted, protection)
    [incidents] = await db.read(_rows_tx, INCIDENTS, *_year(year))
    records = list(incidents["records"])
    table.incidents = len(records) + protection.noise_of("incidents", [], records)
    return table


async def referral_outcomes(db: Database, year: int, protection: Protection) -> Table:
    """Referrals (one per report and agency) by their latest outcome, ``AWAITING`` while the
    agency has reported none."""
    fine = await fine_table(db, REFERRAL_OUTCOMES, "outcomes", ("OUTCOME",), year, protection)
    return aggregate(fine, year, ("OUTCOME",), protection)


async def labels(db: Database, year: int, dimensions: Sequence[str],
                 protection: Protection) -> Table:
    """Live labels on the files of the year's reports by scheme, source and whether anyone at
    the ESP viewed the file: who labelled what, published."""
    wanted = _wanted(dimensions, LABEL_DIMENSIONS)
    fine = await fine_table(db, LABEL_ROWS, "labels", LABEL_DIMENSIONS, year, protection)
    return aggregate(fine, year, wanted, protection)


async def matches(db: Database, year: int, protection: Protection) -> Table:
    """Live matches on the files of the year's reports, by hash-list version."""
    fine = await fine_table(db, MATCH_ROWS, "matches", ("LIST",), year, protection)
    return aggregate(fine, year, ("LIST",), protection)
