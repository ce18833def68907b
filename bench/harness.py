"""What every benchmark needs: a real Neo4j, a real API process, timing and JSON output.

Each benchmark starts a throwaway Neo4j on a free port, stopped when it ends, unless told to use
another with ``--neo4j-uri`` (:func:`arguments`); ``TIPGRAPH_NEO4J_URI`` in the environment is
ignored, so that a shell pointed at production cannot aim a benchmark there. Even when told, a
benchmark refuses a database holding any report it did not generate: its reporters are
registered as generated (:data:`GENERATED_BY`), and :func:`database` checks the mark before
anything is written.

The API runs as `tipgraph serve` in its own process (one uvicorn worker), logging to a file, so
its CPU and memory are its own.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from api.settings import PROJECT_ROOT, Settings, identifier_ids, load_settings
from graph.core.db import Database, open_driver
from graph.core.errors import Refused
from graph.core.ids import IdAllocator
from graph.core.migrations import Migrator
from graph.core.server import ephemeral_server, free_port
from graph.identifiers.keyed_ids import IdentifierIds
from graph.reports.intake.service import IntakeService
from graph.reports.intake.validation import Limits
from graph.reports.reporters import Generator, refuse_real_reports

RESULTS = PROJECT_ROOT / "bench" / "results"
GENERATED_BY = Generator.BENCH  # the mark on the reporters benchmarks register

_told: list[str] = []  # the server --neo4j-uri named (bench.run: its one server for all)


def arguments(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The command line, with ``--neo4j-uri``: a benchmark's only way to use a server it did
    not start."""
    parser.add_argument("--neo4j-uri", metavar="URI",
                        help="use this Neo4j instead of starting one (it must hold no report "
                             "a benchmark did not generate); TIPGRAPH_NEO4J_URI is ignored")
    args = parser.parse_args()
    if args.neo4j_uri:
        use_server(args.neo4j_uri)
    sys.excepthook = _refusal_hook
    return args


def _refusal_hook(kind: type[BaseException], error: BaseException,
                  trace: TracebackType | None) -> None:
    """A refusal is the message alone (exit status 1), not a traceback."""
    if isinstance(error, Refused):
        print(f"{Path(sys.argv[0]).stem}: {error}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, trace)


def use_server(uri: str) -> None:
    _told[:] = [uri]


@contextlib.contextmanager
def neo4j_server() -> Iterator[str]:
    """The server ``--neo4j-uri`` named, or a throwaway one of this benchmark's own."""
    if _told:
        yield _told[0]
        return
    with (tempfile.TemporaryDirectory(prefix="tipgraph-bench-") as data,
          ephemeral_server(PROJECT_ROOT / ".tipgraph", Path(data), pagecache_mib=1024,
                           heap="2g") as uri):
        yield uri


# Benchmarks measure throughput: the per-client rate limits would measure the limiter instead.
# Their identifier key is fixed (synthetic), so that what a benchmark loads directly and what
# its API process serves name identifiers alike.
BENCH_IDENTIFIER_KEY = "dGlwZ3JhcGgtYmVuY2gtaWRlbnRpZmllci1rZXktMzI="
UNLIMITED = {"TIPGRAPH_RATE_MUTATIONS_PER_MINUTE": "100000000",
             "TIPGRAPH_RATE_EXPENSIVE_PER_MINUTE": "100000000",
             "TIPGRAPH_IDENTIFIER_KEY": BENCH_IDENTIFIER_KEY}


BENCH_IDS = IdentifierIds(base64.b64decode(BENCH_IDENTIFIER_KEY))


def bench_intake(db: Database, limits: Limits | None = None) -> IntakeService:
    """The intake service benchmarks load reports through (their key, default limits)."""
    return IntakeService(db, IdAllocator(db, "report"), IdAllocator(db, "file"),
                         limits or Limits(), identifier_ids=BENCH_IDS)


def bench_settings(uri: str, state_dir: Path) -> Settings:
    return load_settings({"TIPGRAPH_NEO4J_URI": uri, "TIPGRAPH_STATE_DIR": str(state_dir),
                          **UNLIMITED})


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password),
                  settings.neo4j_database)
    try:
        await refuse_real_reports(db, "a benchmark")  # before migrating, too: nothing written
        await Migrator(db, settings.migrations_dir, identifier_ids(settings)).migrate()
        yield db
    finally:
        await db.close()


@dataclass
class ApiProcess:
    url: str
    pid: int
    log: Path


def isolated_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any ``TIPGRAPH_*`` setting, plus ``env``: a child
    that benchmarks or tests start runs on their settings alone (a developer's
    ``TIPGRAPH_JWT_*`` would make it verify tokens with keys the benchmark does not mint with)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TIPGRAPH_")}
    return {**inherited, **env}


@contextlib.contextmanager
def running(command: list[str], log: Path, env: dict[str, str],
            cwd: Path = PROJECT_ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """A child process writing to ``log`` (never to the terminal), stopped on exit; its
    settings are ``env`` alone (:func:`isolated_env`)."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=cwd,
                                   env=isolated_env(env))
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def served_api(env: dict[str, str], log: Path, workers: int = 1) -> Iterator[ApiProcess]:
    """`tipgraph serve` on a free port with ``env``, ready when /readyz answers 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                  "--workers", str(workers)], log, env) as process:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start; see {log}:\n"
                                   + log.read_text()[-2000:])
            time.sleep(0.2)
        yield ApiProcess(url=url, pid=process.pid, log=log)


@contextlib.contextmanager
def api_server(settings: Settings, workers: int = 1) -> Iterator[ApiProcess]:
    """The benchmarks' API process (rate limits lifted), logging under bench/results/."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = {"TIPGRAPH_NEO4J_URI": settings.neo4j_uri,
           "TIPGRAPH_STATE_DIR": str(settings.state_dir), **UNLIMITED}
    with served_api(env, RESULTS / f"api-{uuid.uuid4().hex[:8]}.log", workers) as api:
        yield api


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_tree_mib(pid: int) -> float:
    """Resident memory of a process and its children (``serve --workers``: every worker)."""
    total = rss_mib(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                total += rss_mib(int(stat.parent.name))
    return total


def percentiles(timings_s: list[float]) -> dict[str, float]:
    """p50 and p95 of timings in seconds, as milliseconds."""
    ordered = sorted(timings_s)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {"p50_ms": pct(0.50), "p95_ms": pct(0.95)}


def summary(latencies_s: list[float], elapsed_s: float) -> dict[str, float]:
    return {
        "count": len(latencies_s),
        "per_second": round(len(latencies_s) / elapsed_s, 1),
        **percentiles(latencies_s),
        "mean_ms": round(statistics.fmean(latencies_s) * 1000, 2),
    }


async def live_subscriptions(url: str) -> int:
    """How many subscriptions the API at ``url`` is serving live (its /metrics gauge)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{url}/metrics")).text
    for line in text.splitlines():
        if line.startswith("tipgraph_live_subscriptions "):
            return int(float(line.split()[1]))
    return 0


def emit(result: dict[str, Any]) -> None:
    """Print one JSON line and keep a copy under bench/results/ (git-ignored)."""
    line = json.dumps(result, sort_keys=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / f"{result['scenario']}.jsonl").open("a") as history:
        history.write(line + "\n")
    print(line, flush=True)
