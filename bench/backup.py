"""Backup and restore at scale: a graph of ``--reports`` reports (bench.generate), backed up
under the write pause and restored into a second Neo4j, in one run.

Figures: the backup's time, the write pause (what writers wait: from the pause taken to
lifted, notice and drain included), the restore's time (verification included), sizes. The
baseline, measured in the same run on the same graph: the raw floor of a logical export —
every node and relationship streamed through the raw driver and thrown away
(``floor_export_s``); ``ratio_pause_over_floor`` says what the pause costs beyond reading.

    python -m bench.backup --reports 100000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import BENCH_IDS, arguments, bench_settings, database, emit, neo4j_server
from graph.core.db import Database
from graph.core.migrations import Migrator
from graph.core.server import ephemeral_server
from graph.ops.backup import EVERY_NODE, EVERY_RELATIONSHIP, backup, restore
from graph.referrals.packages.signing import Signer
from graph.reports.blobs import ContentStore


async def _floor(db: Database) -> float:
    started = time.perf_counter()
    for query in (EVERY_NODE, EVERY_RELATIONSHIP):
        async def read(tx: Any, q: str = query) -> None:
            async for _ in await tx.run(q):
                pass
        await db.read(read)
    return time.perf_counter() - started


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


async def main(reports: int) -> dict[str, Any]:
    from bench.generate import generate

    with (neo4j_server() as uri, tempfile.TemporaryDirectory() as state,
          tempfile.TemporaryDirectory() as scratch):
        folder = Path(scratch)
        settings = bench_settings(uri, Path(state))
        store = ContentStore(folder / "content", b"\x01" * 32)
        key = b"\x02" * 32
        signer = Signer.load(key_file=None, state_dir=Path(state), production=False)
        async with database(settings) as db:
            generated = await generate(db, reports, ids=BENCH_IDS)
            floor = await _floor(db)
            taken = await backup(db, store, folder / "backup", key=key, signer=signer,
                                 by="bench")
        with ephemeral_server(Path(state), folder / "neo4j-2", pagecache_mib=1024,
                              heap="2g") as second:
            target = bench_settings(second, Path(state) / "second")
            async with database(target) as other:
                async def migrate() -> None:
                    await Migrator(other, target.migrations_dir, BENCH_IDS).migrate()

                started = time.perf_counter()
                restored = await restore(other, ContentStore(folder / "content-2", store.key),
                                         folder / "backup", key=key, signer=signer,
                                         migrate=migrate)
                restore_s = time.perf_counter() - started
        size = _size(folder / "backup")
    return {"scenario": "backup", "reports": reports,
            "generated_s": generated.get("load_seconds"),
            "nodes": taken["counts"]["nodes"], "relationships": taken["counts"]["relationships"],
            "backup_s": taken["seconds"], "write_pause_s": taken["pausedSeconds"],
            "restore_s": round(restore_s, 2), "backup_mib": round(size / 2**20, 1),
            "floor_export_s": round(floor, 2),
            "ratio_pause_over_floor": round(taken["pausedSeconds"] / floor, 2),
            "restored_verified": restored["verified"]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    args = arguments(parser)
    emit(asyncio.run(main(args.reports)))
