"""Tools that write synthetic data cannot touch the wrong database (issue #18, item 3).

Benchmarks start a Neo4j of their own unless told ``--neo4j-uri`` (``TIPGRAPH_NEO4J_URI`` is
ignored); told, they and ``tipgraph seed demo`` refuse a database holding any report that no
generating tool made; ``seed demo`` refuses in production.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any, Final

import pytest

from api.settings import PROJECT_ROOT, Settings, identifier_ids
from bench import harness
from bench.generate import generate
from graph.core.db import Database, run
from graph.core.errors import Refused
from graph.core.vocabulary import IncidentType
from graph.demo.seed import seed_demo
from graph.reports.reporters import Generator, register_reporter
from tests.helpers import IDS, intake, tipgraph


async def _counts(db: Database) -> dict[str, int]:
    async def tx(t: Any) -> dict[str, int]:
        [row] = await run(t, "RETURN COUNT { MATCH (:Report) } AS reports, "
                             "COUNT { MATCH (:Reporter) } AS reporters")
        return dict(row)
    return await db.read(tx)


async def _command(module: str, *args: str,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` with only ``env`` of tipgraph's settings."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", module, *args], capture_output=True, text=True,
        timeout=120, check=False, cwd=PROJECT_ROOT, env=harness.isolated_env(env or {}))


REPORT: Final[dict[str, Any]] = {"incident_type": IncidentType.ONLINE_ENTICEMENT,
                                  "incident_date_time": datetime(2026, 10, 1, tzinfo=UTC)}


async def _a_real_report(db: Database, esp: str = "real-esp") -> None:
    await register_reporter(db, esp, "A real ESP")
    await intake(db).submit_report(esp, REPORT)


async def test_seed_demo_refuses_in_production(db: Database, settings: Settings) -> None:
    with pytest.raises(Refused, match="production"):
        await seed_demo(db, settings.intake, identifier_ids(settings), reports=5,
                        production=True)
    assert await _counts(db) == {"reports": 0, "reporters": 0}


async def test_seed_demo_refuses_a_database_with_real_reports(db: Database,
                                                              settings: Settings) -> None:
    await _a_real_report(db)
    before = await _counts(db)
    with pytest.raises(Refused, match="real-esp"):
        await seed_demo(db, settings.intake, identifier_ids(settings), reports=5)
    assert await _counts(db) == before  # nothing written: no demo reporter, no report

    # and the command line says so, without a traceback
    done = tipgraph(settings, "seed", "demo", "--reports", "5", "--quiet")
    assert done.returncode == 1
    assert "refuses this database" in done.stderr
    assert "Traceback" not in done.stderr
    assert await _counts(db) == before


async def test_seed_demo_in_production_refuses_from_the_command_line(
        db: Database, settings: Settings) -> None:
    done = await _command("api.cli", "seed", "demo", "--reports", "5",
                          env={"TIPGRAPH_ENV": "production",
                               "TIPGRAPH_NEO4J_URI": settings.neo4j_uri})
    assert done.returncode == 1, done.stderr
    assert "production" in done.stderr
    assert "Traceback" not in done.stderr
    assert await _counts(db) == {"reports": 0, "reporters": 0}


# (the benchmarks' connection, on the tests' settings: their identifier key is the graph's)

async def test_a_benchmark_refuses_a_database_with_real_reports(db: Database,
                                                                settings: Settings) -> None:
    # a benchmark's own data does not stop it: its reporters are marked as generated
    await generate(db, 5, ids=IDS, workers=1)
    async with harness.database(settings):
        pass
    # one real report does, before anything is written
    await _a_real_report(db)
    before = await _counts(db)
    with pytest.raises(Refused, match="real-esp"):
        async with harness.database(settings):
            pytest.fail("the benchmark went on")
    assert await _counts(db) == before

    # and so does a benchmark told this database on its command line, without a traceback
    done = await _command("bench.generate", "--reports", "5",
                          "--neo4j-uri", settings.neo4j_uri)
    assert done.returncode == 1, done.stderr
    assert "refuses this database" in done.stderr
    assert "Traceback" not in done.stderr
    assert await _counts(db) == before


async def test_a_generating_tool_does_not_mark_a_reporter_it_did_not_create(
        db: Database, settings: Settings) -> None:
    # a real ESP that happens to have a benchmark's reporter id keeps its reports counted
    await _a_real_report(db, "bench-esp")
    await register_reporter(db, "bench-esp", "Bench ESP", generated_by=Generator.BENCH)
    with pytest.raises(Refused, match="bench-esp"):
        async with harness.database(settings):
            pytest.fail("the benchmark went on")


async def test_benchmarks_ignore_the_environment_and_start_their_own(
        db: Database, settings: Settings) -> None:
    # a shell pointed at a database with real reports ...
    await _a_real_report(db)
    before = await _counts(db)
    # ... runs a benchmark without --neo4j-uri: it starts a Neo4j of its own and fills that
    done = await _command("bench.generate", "--reports", "5",
                          env={"TIPGRAPH_NEO4J_URI": settings.neo4j_uri})
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"reports": 5' in done.stdout
    assert await _counts(db) == before  # nothing written here
