"""Bulk synthetic graph: N reports straight into Neo4j with batched ``UNWIND``.

Reports come from :class:`graph.demo.synthetic.SyntheticTips` and are planned by the intake's own
validation (``plan_report``/``plan_file``/``create_params``), so each one is shaped exactly as if
an ESP had submitted it: the same properties, identifier keys, mentions, files, hashes and ESP
labels. Only the writing differs: one transaction per batch of reports instead of one each.

The shape of the data:

- identifiers reused with a power law (offender ``k`` is picked with weight ~1/k), so a few
  accounts, e-mails and IPs are mentioned by thousands of reports and most by one or two;
- supernodes: a carrier-grade NAT address in ~8 % of reports and a viral hash in ~5 %;
- repeat offenders reported by several ESPs;
- after the load: enrichment done, jurisdictions (``GEOLOCATION``), triage decisions on about
  half the reports, referrals to agencies (~10 %), and the viral bundle.

Report submission times spread over the last year. Sizes are parameters::

    python -m bench.generate --reports 100000 --neo4j-uri bolt://localhost:7687
    python -m bench.generate --reports 1000000 --batch 2000   # into a Neo4j of its own
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar, overload

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.ids import IdAllocator
from graph.core.progress import Progress
from graph.demo.synthetic import ESPS, SyntheticTips
from graph.identifiers.keyed_ids import IdentifierIds
from graph.referrals.agencies import (
    UPSERT_JURISDICTIONS,
    AgencyKind,
    AgencySpec,
    jurisdiction_row,
    upsert_agency,
)
from graph.reports.intake.bulk import done_job, load, report_row
from graph.reports.intake.validation import Limits
from graph.reports.reporters import Generator, register_reporter

# Enrichment's jurisdictions and triage decisions, as the worker and analysts would leave them.
BULK_DECIDE: Final = """
UNWIND $rows AS row
MATCH (r:Report {id: row.id}), (j:Jurisdiction {code: row.code})
CREATE (r)-[:IN_JURISDICTION {basis: 'GEOLOCATION', source: 'geo-demo', by: 'bench-generator',
                              at: r.finishedAt, confidence: 0.8}]->(j)
SET r.priority = row.priority, r.disposition = row.disposition,
    r.priorityRank = coalesce(row.rank, 4)
WITH r, row WHERE row.agency IS NOT NULL
MATCH (a:Agency {id: row.agency})
CREATE (r)-[:REFERRED_TO {at: r.finishedAt, by: 'bench-analyst', reason: 'bench referral'}]->(a)
"""

BUNDLE_VIRAL: Final = """
MATCH (h:Identifier {key: $key})<-[:HAS_HASH]-(:File)<-[:HAS_FILE]-(r:Report)
WITH h, min(r.finishedAt) AS first, max(r.finishedAt) AS last, collect(DISTINCT r) AS reports
MERGE (b:Bundle {id: h.id})
SET b.hashKey = h.key, b.firstSeen = first, b.lastSeen = last
WITH b, reports
UNWIND reports AS r
SET r.bundleId = b.id
MERGE (r)-[:IN_BUNDLE]->(b)
RETURN count(r) AS bundled
"""

AGENCIES: Final = (
    AgencySpec("bench-fbi", "Bench Federal Agency", AgencyKind.FEDERAL, ("US",)),
    AgencySpec("bench-icac-ca", "Bench California ICAC", AgencyKind.ICAC_TASK_FORCE,
               ("US-CA",)),
    AgencySpec("bench-icac-tx", "Bench Texas ICAC", AgencyKind.ICAC_TASK_FORCE, ("US-TX",)),
    AgencySpec("bench-icac-ny", "Bench New York ICAC", AgencyKind.ICAC_TASK_FORCE, ("US-NY",)),
    AgencySpec("bench-intl", "Bench International Desk", AgencyKind.INTERNATIONAL, ("GB", "DE")),
)
CODES: Final = ("US-CA", "US-TX", "US-NY", "US-FL", "US-WA", "GB", "DE")

T = TypeVar("T")


class Population(Sequence[T]):
    """``size`` items made on demand, each from its own index (a chunk of 1,000 reports out of
    1,000,000 touches a few thousand of its 750,000 offenders and hashes, not all of them)."""

    def __init__(self, size: int, make: Callable[[int], T]) -> None:
        self.size = size
        self.make = functools.lru_cache(maxsize=4096)(make)

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not 0 <= index < self.size:
            raise IndexError(index)
        return self.make(index)


class ScaleFreeTips(SyntheticTips):
    """SyntheticTips with a Zipf (s = 1) pick: item ``k`` has weight ~1/(k+1) at any size, and
    offenders and hashes made on demand (each from its index alone)."""

    def __init__(self, seed: int, offenders: int, hashes: int, now: datetime) -> None:
        super().__init__(seed=seed, offenders=0, hashes=0, now=now)
        self.offenders = Population(offenders, lambda i: self._offender(
            i, random.Random(f"{seed}:offender:{i}")))
        self.hashes = Population(hashes, lambda i: self._md5(f"file-{seed}-{i}"))

    def _power_law(self, population: int) -> int:
        return min(int(math.exp(self.random.random() * math.log(population + 1))) - 1,
                   population - 1)


@dataclass(frozen=True, slots=True)
class Chunk:
    seed: int
    start: int
    count: int
    reports: int
    first_report_id: int
    first_file_id: int
    now: datetime
    identifier_key: bytes  # identifier ids are keyed (graph.identifiers.keyed_ids)


def tips_for(seed: int, reports: int, now: datetime) -> ScaleFreeTips:
    return ScaleFreeTips(seed=seed, offenders=max(400, reports // 4),
                         hashes=max(2000, reports // 2), now=now)


def plan_chunk(chunk: Chunk) -> list[dict[str, Any]]:
    """The bulk rows of reports [start, start + count) (runs in a worker process)."""
    tips = tips_for(chunk.seed, chunk.reports, chunk.now)
    tips.random.seed(f"{chunk.seed}:{chunk.start}")
    limits = Limits()
    ids = IdentifierIds(chunk.identifier_key)
    rows = []
    file_id = chunk.first_file_id
    for index in range(chunk.start, chunk.start + chunk.count):
        document = tips.report_document(index)
        submitted = document["incident_date_time"] + timedelta(hours=1 + index % 47)
        rows.append(report_row(tips.esp(index)[0], document, chunk.first_report_id + index,
                               file_id, submitted, finish=True, limits=limits, ids=ids,
                               job=done_job(submitted)))
        file_id += len(document["files"])
    return rows


async def _write_tx(tx: AsyncManagedTransaction, statement: str, rows: list[Any]) -> None:
    await run(tx, statement, rows=rows)


def chunks(reports: int, size: int, seed: int, first_report: int, first_file: int,
           now: datetime, identifier_key: bytes) -> Iterator[Chunk]:
    # Every report has at most 3 files (SyntheticTips), so file ids are reserved per chunk.
    for start in range(0, reports, size):
        yield Chunk(seed, start, min(size, reports - start), reports, first_report,
                    first_file + start * 3, now, identifier_key)


async def generate(db: Database, reports: int, *, ids: IdentifierIds, batch: int = 1000,
                   seed: int = 17, workers: int | None = None,
                   referral_share: float = 0.1) -> dict[str, Any]:
    """Load ``reports`` synthetic reports; returns what was made and how fast."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    for esp_id, name in ESPS:
        await register_reporter(db, esp_id, name, generated_by=Generator.BENCH)
    for spec in AGENCIES:
        await upsert_agency(db, spec)
    await db.write(_write_tx, UPSERT_JURISDICTIONS, [jurisdiction_row(c) for c in CODES])
    report_ids = await IdAllocator(db, "report", block_size=reports).take(reports)
    file_ids = await IdAllocator(db, "file", block_size=reports * 3).take(reports * 3)
    progress = Progress(reports, "reports")
    workers = workers or max(1, min(8, (os.cpu_count() or 2) - 1))
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # planned a few chunks ahead, not all at once: a million reports' rows would not fit
        planned: deque[asyncio.Future[list[dict[str, Any]]]] = deque()
        for chunk in chunks(reports, batch, seed, report_ids[0], file_ids[0], now, ids.key):
            planned.append(loop.run_in_executor(pool, plan_chunk, chunk))
            if len(planned) > 2 * workers:
                await _load(db, await planned.popleft(), progress)
        while planned:  # in order: one writer, so MERGEs never wait on each other
            await _load(db, await planned.popleft(), progress)
    loaded = time.perf_counter() - started
    decided = await _decide(db, report_ids, seed, referral_share, batch)
    tips = tips_for(seed, reports, now)
    bundled = await db.write(_bundle_tx, f"FILE_HASH:MD5:{tips.viral_hash}")
    return {"reports": reports, "load_seconds": round(loaded, 1),
            "reports_per_second": round(reports / loaded, 1), "referred": decided,
            "bundled": bundled, "total_seconds": round(time.perf_counter() - started, 1),
            "first_report_id": report_ids[0]}


async def _load(db: Database, rows: list[dict[str, Any]], progress: Progress) -> None:
    await load(db, rows, with_events=False)
    progress.advance(len(rows))


async def _bundle_tx(tx: AsyncManagedTransaction, key: str) -> int:
    records = await run(tx, BUNDLE_VIRAL, key=key)
    return int(records[0]["bundled"]) if records else 0


async def _decide(db: Database, report_ids: list[int], seed: int, referral_share: float,
                  batch: int) -> int:
    pick = random.Random(seed)
    referred = 0
    rows: list[dict[str, Any]] = []
    for report_id in report_ids:
        decided = pick.random() < 0.5
        agency = (pick.choice(AGENCIES).id if decided and pick.random() < referral_share * 2
                  else None)
        referred += agency is not None
        priority = pick.choice(("P1", "P2", "P2", "P3", "P3", "P3")) if decided else None
        rows.append({"id": report_id, "code": pick.choice(CODES), "priority": priority,
                     "rank": int(priority[1]) if priority else None,
                     "disposition": ("REFERRAL" if agency else "INFORMATIONAL")
                     if decided else None, "agency": agency})
        if len(rows) >= batch * 5:
            await db.write(_write_tx, BULK_DECIDE, rows)
            rows = []
    if rows:
        await db.write(_write_tx, BULK_DECIDE, rows)
    return referred


async def main(reports: int, batch: int, seed: int) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from bench.harness import BENCH_IDS, bench_settings, database, neo4j_server

    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        async with database(bench_settings(uri, Path(state))) as db:
            return await generate(db, reports, batch=batch, seed=seed, ids=BENCH_IDS)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="reports per transaction")
    parser.add_argument("--seed", type=int, default=17)
    from bench.harness import arguments, emit

    args = arguments(parser)
    emit({"scenario": "generate", **asyncio.run(main(args.reports, args.batch, args.seed))})
