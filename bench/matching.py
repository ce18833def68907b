"""Matching at scale: ingest with matching on against off, and re-matching after an import.

**ingest**: reports written as the intake writes them (raw driver, one transaction each, 8 at
once), then enriched by the worker until none is due, which is where files are matched. The
graph is one in service: ``--existing`` reports (20,000 unless told, from bench.generate)
before anything is timed, so that Neo4j plans on the statistics of a working graph rather than
replanning each statement as an empty one doubles (a replan of the matching write took 0.4 to
0.7 s, on one batch in forty), and ``--history`` reports (5,000) of the timed shape already
matched, so the labels matching writes are not a count that doubles during the run. It holds a
list of 100,000 entries (half MD5, half PDQ) and a thousand analyst-labelled files; a tenth of
the new files' MD5s are on the list and a tenth of their PDQ hashes near an entry. After a
warm-up of each path, ``--phases`` timed phases (40 unless told) of ``--reports`` fresh reports
each alternate in blocks of ABBA BAAB, on one graph in one run: the graph grows and this
machine's speed drifts (by a third within a run, at times), so each side gets early and late
phases alike, and short phases follow the drift closely. Before each phase, untimed: a garbage
collection (what setup made is frozen first, so collections walk only what the phases make)
and half a second for what the last phase left running in Neo4j.

``ratio_on_over_off`` is the throughput with matching over that without (the issue asks 0.9 or
better): a report's time to ingest is its share of the intake plus its side's enrichment time
a report. The intake is the same code on both sides (matching is the worker's: it runs after
the intake and writes nothing the intake reads), so it is timed over every phase and each side
is charged a report's share of it. Timed a side at a time, the two sides' intakes of identical
work differed within a run by 0.3 to 14 % (a burst of time stolen by the hypervisor), which
alone moved the ratio by as much as the matching did; that figure is kept as
``ratio_separate_intakes`` (each side's throughput over its own phases, intake and
enrichment), and ``ms_per_report`` has the three parts. Each phase is listed (``phases``: its
intake and enrichment seconds), and ``ratio_of_phase_medians`` compares the median phase of
each side (its own intake), which a stall (a garbage collection in Neo4j, another tenant: a
second or so) moves less than it moves the totals. Each phase also has the machine's busy CPU
seconds (Neo4j's and this process's, from /proc/stat) and the seconds the hypervisor stole for
another tenant; ``ratio_cpu_off_over_on`` is the CPU a report costs without matching over with
it.

**rematch**: a graph of ``--reports`` reports (bench.generate) whose files each get a PDQ hash,
then a list of ``--entries`` hashes is imported (half MD5, a quarter of them the graph's; half
PDQ, a twentieth of them near a file's). Timed whole, with its parts; the baseline is the same
entries written without matching (``ADD_ENTRIES`` alone, same batches), in the same run.

    python -m bench.matching --scenario ingest --reports 250 --phases 40
    python -m bench.matching --scenario rematch --reports 100000 --entries 100000
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from neo4j import AsyncManagedTransaction

from bench.harness import (
    BENCH_IDS,
    GENERATED_BY,
    arguments,
    bench_settings,
    database,
    emit,
    neo4j_server,
    summary,
)
from bench.ingest import ESP_ID, ingest_document, timed
from graph.core.db import Database, run
from graph.core.ids import IdAllocator
from graph.demo.synthetic import SyntheticTips
from graph.matching import hashlists
from graph.matching.near import add_references_tx
from graph.reports.intake import writes as q
from graph.reports.intake.service import create_params
from graph.reports.intake.validation import Limits, plan_file, plan_report
from graph.reports.reporters import register_reporter
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider

LIST_ENTRIES = 100_000
LABELLED = 1_000


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - synthetic values, not security


def near(value: bytes, bits: int, rng: np.random.Generator) -> str:
    flipped = np.unpackbits(np.frombuffer(value, dtype=np.uint8))
    flipped[rng.choice(256, size=bits, replace=False)] ^= 1
    return bytes(np.packbits(flipped)).hex()


class World:
    """The list's hashes, and new files' hashes: some on it, some near it, most not."""

    def __init__(self, entries: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.md5s = [md5(f"listed-{i}") for i in range(entries // 2)]
        self.pdqs = [bytes(row) for row in self.rng.integers(
            0, 256, size=(entries - entries // 2, 32), dtype=np.uint8)]

    def csv_entries(self) -> list[hashlists.Entry]:
        return ([hashlists.Entry("MD5", v, "A1") for v in self.md5s]
                + [hashlists.Entry("PDQ", v.hex(), "B1") for v in self.pdqs])

    def file_hashes(self, index: int) -> list[dict[str, str]]:
        """MD5 on the list for a tenth, PDQ near an entry for another tenth."""
        listed = index % 10 == 0
        close = index % 10 == 5
        pdq = (near(self.pdqs[index % len(self.pdqs)], 8, self.rng) if close
               else bytes(self.rng.integers(0, 256, size=32, dtype=np.uint8)).hex())
        return [{"algorithm": "MD5",
                 "value": self.md5s[index % len(self.md5s)] if listed else md5(f"new-{index}")},
                {"algorithm": "PDQ", "value": pdq}]


async def _create_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> None:
    await run(tx, q.CREATE_REPORT, **params)


async def write_reports(db: Database, world: World, tips: SyntheticTips, first: int,
                        count: int) -> list[Callable[[], Awaitable[None]]]:
    limits, now = Limits(), datetime.now(UTC)
    report_ids, file_ids = IdAllocator(db, "report"), IdAllocator(db, "file")
    jobs: list[Callable[[], Awaitable[None]]] = []
    for index in range(first, first + count):
        document = ingest_document(tips, index)
        for f, file in enumerate(document["files"]):
            file["hashes"] = world.file_hashes(index * 2 + f)
        report = plan_report(document, limits, now)
        files = [plan_file(f, limits, i, now) for i, f in enumerate(document["files"])]
        params = create_params(ESP_ID, report, files, await report_ids.next(),
                               await file_ids.take(len(files)), now, finish=True,
                               ids=BENCH_IDS)
        jobs.append(functools.partial(db.write, _create_tx, params))
    return jobs


SETTLE = 0.5  # seconds between timed phases, for what one phase leaves running in Neo4j


def alternating(count: int) -> list[bool]:
    """Which side each of ``count`` timed phases is on (True: matching): blocks of ABBA BAAB.
    The graph grows and the machine drifts, so each side gets early and late phases alike,
    and short phases follow a drift closely."""
    if count <= 0 or count % 8:
        raise ValueError("phases come in blocks of eight (ABBA BAAB)")
    return [False, True, True, False, True, False, False, True] * (count // 8)


@dataclass(frozen=True, slots=True)
class Phase:
    matching: bool
    latencies: list[float]  # the intake's, a report each
    intake_s: float
    enrichment_s: float
    cpu_s: float | None  # the machine's busy CPU seconds (both cores: Neo4j and this process)
    steal_s: float | None  # CPU seconds the hypervisor gave another tenant

    @property
    def seconds(self) -> float:
        return self.intake_s + self.enrichment_s


def machine_cpu() -> tuple[float, float] | None:
    """The machine's busy and stolen CPU seconds since boot (Linux's /proc/stat), or None."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def total(values: Iterable[float | None]) -> float | None:
    """The sum, rounded, of figures measured in every phase; None when one was not."""
    figures = list(values)
    return None if None in figures else round(sum(f for f in figures if f is not None), 2)


async def _phase(db: Database, world: World, tips: SyntheticTips, worker: EnrichmentWorker,
                 first: int, size: int, concurrency: int) -> tuple[int, Phase]:
    """Writes ``size`` reports and enriches them until none is due: the next report's index,
    and the phase's figures."""
    jobs = await write_reports(db, world, tips, first, size)
    cpu, started = machine_cpu(), time.perf_counter()
    latencies, _ = await timed(jobs, concurrency)
    enriched = time.perf_counter()
    while await worker.run_due():
        pass
    ended, cpu_after = time.perf_counter(), machine_cpu()
    busy, steal = ((cpu_after[0] - cpu[0], cpu_after[1] - cpu[1]) if cpu and cpu_after
                   else (None, None))
    return first + size, Phase(worker.matching, latencies, enriched - started,
                               ended - enriched, busy, steal)


async def ingest(reports: int, concurrency: int, existing: int, history: int,
                 phase_count: int = 40) -> dict[str, Any]:
    from bench.generate import generate

    order = alternating(phase_count)  # before any setup: a count it cannot take fails at once
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        async with database(settings) as db:
            if existing:  # a graph in service, its statistics those of a working graph
                await generate(db, existing, ids=BENCH_IDS)
            await register_reporter(db, ESP_ID, "Benchmark ESP", generated_by=GENERATED_BY)
            world, tips = World(LIST_ENTRIES, seed=5), SyntheticTips(seed=13)
            await hashlists.import_list(
                db, hashlists.list_version("bench-list", "1", "Bench Hotline", "INDUSTRY"),
                world.csv_entries(), by="bench")
            labelled = [bytes(r).hex() for r in world.rng.integers(0, 256, size=(LABELLED, 32),
                                                                    dtype=np.uint8)]
            await db.write(add_references_tx, labelled)  # as if analysts had labelled them
            workers = {on: EnrichmentWorker(db, geo_provider(None), 50, matching=on)
                       for on in (False, True)}
            # its matching history: reports of the timed shape already matched, so the labels
            # it writes are not a count that doubles (and replans) as the phases run
            first = 0
            while first < history:
                first, _ = await _phase(db, world, tips, workers[True], first,
                                        min(1000, history - first), concurrency)
            phases: list[Phase] = []
            # a warm-up of each path first (Neo4j plans its statements on first use), not timed
            for matching in (False, True):
                first, _ = await _phase(db, world, tips, workers[matching], first, 100,
                                        concurrency)
            # what setup made is old now: collections in the timed phases walk only what the
            # phases made (gc.freeze), and each phase starts with none owed (gc.collect)
            gc.collect()
            gc.freeze()
            for matching in order:
                gc.collect()
                await asyncio.sleep(SETTLE)
                first, phase = await _phase(db, world, tips, workers[matching], first, reports,
                                            concurrency)
                phases.append(phase)

            async def matched_tx(tx: AsyncManagedTransaction) -> int:
                [r] = await run(tx, "MATCH (c:Classification {source: 'MATCH'}) "
                                    "RETURN count(c) AS n")
                return int(r["n"])
            matched = await db.read(matched_tx)
    sides = {side: [p for p in phases if p.matching == side] for side in (False, True)}
    off, on = (summary([x for p in sides[side] for x in p.latencies],
                       sum(p.seconds for p in sides[side]))
               for side in (False, True))
    names = (("off", False), ("on", True))
    enriched = {side: sum(p.enrichment_s for p in sides[side]) for side in sides}
    # a report's share of every phase's intake (the same code on both sides), and each side's
    # enrichment a report
    intake = sum(p.intake_s for p in phases) / (reports * len(phases))
    enrichment = {side: enriched[side] / (reports * len(sides[side])) for side in sides}
    cpu = {side: total(p.cpu_s for p in sides[side]) for side in sides}
    cpu_off, cpu_on = cpu[False], cpu[True]
    return {"scenario": "matching-ingest", "reports_per_phase": reports,
            "phase_count": len(phases),
            "concurrency": concurrency, "list_entries": LIST_ENTRIES,
            "labelled_references": LABELLED, "matching_off": off, "matching_on": on,
            "enrichment_s": {name: round(enriched[side], 2) for name, side in names},
            "cpu_s": {name: cpu[side] for name, side in names},
            "steal_s": {name: total(p.steal_s for p in sides[side]) for name, side in names},
            "matches_made": matched,
            "phases": [{k: round(v, 2) if isinstance(v, float) else v
                        for k, v in asdict(p).items() if k != "latencies"} for p in phases],
            "ms_per_report": {"intake": round(intake * 1000, 3),
                              **{f"enrichment_{name}": round(enrichment[side] * 1000, 3)
                                 for name, side in names}},
            "ratio_on_over_off": round((intake + enrichment[False])
                                       / (intake + enrichment[True]), 3),
            "ratio_separate_intakes": round(on["per_second"] / off["per_second"], 3),
            "ratio_of_phase_medians": round(
                statistics.median(p.seconds for p in sides[False])
                / statistics.median(p.seconds for p in sides[True]), 3),
            # busy CPU seconds with matching off over with it on (the same report count): what
            # matching costs, not moved by the time a hypervisor gives another tenant (caches
            # and clock speeds shared with one still move it)
            "ratio_cpu_off_over_on": (round(cpu_off / cpu_on, 3)
                                      if cpu_off is not None and cpu_on else None)}


async def _pdq_tx(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await run(tx, """
        UNWIND $rows AS row
        MATCH (f:File {id: row.file})
        MERGE (h:Identifier {key: 'FILE_HASH:PDQ:' + row.value})
          ON CREATE SET h.kind = 'FILE_HASH', h.scope = 'PDQ', h.value = row.value,
                        h.id = row.id
        MERGE (f)-[:HAS_HASH {algorithm: 'PDQ', source: 'TIPGRAPH'}]->(h)""", rows=rows)


async def _files_tx(tx: AsyncManagedTransaction) -> list[int]:
    return [r["id"] for r in await run(tx, "MATCH (f:File) RETURN f.id AS id ORDER BY id")]


async def _md5s_tx(tx: AsyncManagedTransaction) -> list[str]:
    return [r["v"] for r in await run(
        tx, "MATCH (h:Identifier) WHERE h.key STARTS WITH 'FILE_HASH:MD5:' "
            "RETURN h.value AS v ORDER BY v")]


async def rematch(reports: int, entries: int) -> dict[str, Any]:
    from bench.generate import generate

    rng = np.random.default_rng(9)
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        async with database(settings) as db:
            generated = await generate(db, reports, ids=BENCH_IDS)
            files = await db.read(_files_tx)
            pdqs = rng.integers(0, 256, size=(len(files), 32), dtype=np.uint8)
            for start in range(0, len(files), 10_000):
                await db.write(_pdq_tx, [
                    {"file": f, "value": bytes(pdqs[i]).hex(),
                     "id": f"pdq-{bytes(pdqs[i]).hex()[:16]}"}
                    for i, f in enumerate(files[start:start + 10_000], start)])
            known = await db.read(_md5s_tx)
            half = entries // 2
            listed_md5 = [known[i] for i in rng.choice(len(known), size=min(half // 4,
                                                                           len(known)),
                                                       replace=False)]
            listed_md5 += [md5(f"unseen-{i}") for i in range(half - len(listed_md5))]
            chosen = rng.choice(len(files), size=(entries - half) // 20, replace=False)
            listed_pdq = [near(bytes(pdqs[i]), 6, rng) for i in chosen]
            listed_pdq += [bytes(r).hex() for r in rng.integers(
                0, 256, size=(entries - half - len(listed_pdq), 32), dtype=np.uint8)]
            rows = ([hashlists.Entry("MD5", v, "A1") for v in listed_md5]
                    + [hashlists.Entry("PDQ", v, "B1") for v in listed_pdq])

            # the baseline: the same entries written, in the same batches, without matching
            baseline_version = hashlists.list_version("baseline", "1", "Bench", "INDUSTRY")
            started = time.perf_counter()
            await db.write(hashlists._create_tx, baseline_version, len(rows), "bench",
                           datetime.now(UTC))
            plain = [{"algorithm": e.algorithm, "value": e.value, "label": e.label}
                     for e in rows]
            for start in range(0, len(plain), hashlists.BATCH):
                await db.write(hashlists._entries_tx, baseline_version.id,
                               plain[start:start + hashlists.BATCH])
            baseline = time.perf_counter() - started

            started = time.perf_counter()
            result = await hashlists.import_list(
                db, hashlists.list_version("bench-list", "1", "Bench Hotline", "INDUSTRY"),
                rows, by="bench")
            imported = time.perf_counter() - started
    return {"scenario": "matching-rematch", "reports": reports, "files": len(files),
            "generate_seconds": generated["total_seconds"], "entries": len(rows),
            "expected_exact": len(set(listed_md5) & set(known)),
            "expected_near_at_least": len(chosen), "matched": result["matched"],
            "import_and_rematch_seconds": round(imported, 2),
            "baseline_write_only_seconds": round(baseline, 2),
            "ratio_import_over_write_only": round(imported / baseline, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["ingest", "rematch"], required=True)
    parser.add_argument("--reports", type=int, default=300,
                        help="ingest: reports a phase; rematch: reports in the graph")
    parser.add_argument("--phases", type=int, default=40,
                        help="ingest: timed phases, in blocks of eight (ABBA BAAB)")
    parser.add_argument("--entries", type=int, default=LIST_ENTRIES)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--existing", type=int, default=20_000,
                        help="ingest: reports in the graph before the list and the phases")
    parser.add_argument("--history", type=int, default=5_000,
                        help="ingest: reports of the timed shape matched before the phases")
    args = arguments(parser)
    if args.phases <= 0 or args.phases % 8:
        parser.error("--phases comes in blocks of eight (ABBA BAAB): 8, 16, 24, ...")
    emit(asyncio.run(ingest(args.reports, args.concurrency, args.existing, args.history,
                            args.phases)
                     if args.scenario == "ingest" else rematch(args.reports, args.entries)))
