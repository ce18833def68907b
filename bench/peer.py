"""tipgraph against its best-known peer, @neo4j/graphql, on the queries both can express.

The peer (``bench/peer/server.mjs``: @neo4j/graphql 7 on Apollo Server, installed by
``make install``) serves an equivalent type definition over the same Neo4j and the same graph.
It has no authorization, field rules or audit trail; tipgraph runs with all of them (an analyst
token, every read audited), so the comparison is what tipgraph's promises cost against a
generic layer that makes none.

Shared queries:

- ``report_detail``: one report with its files (hashes, labels with provenance) and identifiers
  (with the mention's role);
- ``triage_page``: 50 reports in the queue's order (priority, then submission, then id) with the
  same nested fields.

Each is measured as latency (one request at a time: p50, p95) and as throughput (``--concurrency``
clients), alternating the two servers, in one run. Then both again as law enforcement: tipgraph
with an agency's token (its row rule: submitted reports referred to the agency) against a second
peer whose ``@authorization`` filter says the same of the JWT's ``agency_id``, the comparison
the peer's own users report 4x slowdowns under. Before each pair is timed, both sides must
answer the triage page with the same reports in the same order.

    python -m bench.peer --samples 100 --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt

from api.settings import PROJECT_ROOT, identifier_ids
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from bench.harness import (
    RESULTS,
    api_server,
    arguments,
    bench_settings,
    database,
    emit,
    neo4j_server,
    percentiles,
    rss_mib,
    rss_tree_mib,
    running,
    summary,
)
from bench.reads import report_count
from graph.core.db import Database, run
from graph.core.server import free_port

# No DateTime fields: @neo4j/graphql projects them with APOC, which Neo4j Community lacks here.
NESTED = ("files { id fileName viewedByEsp exifViewedByEsp publiclyAvailable"
          " hashes { value } classifications { label source by basis } }")
OURS = {
    "report_detail": ("query Detail($id: ID!) { report(id: $id) { id status incidentType "
                      + NESTED + " identifiers { role identifier { kind value } } } }"),
    "triage_page": ("query Triage { reports(first: 50) { edges { node { id status incidentType "
                    + NESTED + " identifiers { role identifier { kind value } } } } } }"),
}
PEER = {
    "report_detail": ("query Detail($id: Int!) { reports(where: {id: {eq: $id}}) { id status "
                      "incidentType " + NESTED + " identifiersConnection { edges { properties "
                      "{ role } node { kind value } } } } }"),
    "triage_page": ("query Triage { reports(limit: 50, sort: [{priorityRank: ASC}, "
                    "{queuedAt: ASC}, {id: ASC}]) { id status incidentType " + NESTED
                    + " identifiersConnection { edges { properties { role } node { kind value } }"
                    " } } }"),
}


# The true floor: the best single statement we can write for each shared query, through the raw
# driver (no authorization, no audit, no GraphQL), in the shape the answer takes.
REPORT_SHAPE = """r {.id, .status, .incidentType,
  files: COLLECT { MATCH (r)-[:HAS_FILE]->(f:File) WITH f ORDER BY f.id
    RETURN f {.id, .fileName, .viewedByEsp, .exifViewedByEsp, .publiclyAvailable,
      hashes: COLLECT { MATCH (f)-[:HAS_HASH]->(h:Identifier) RETURN {value: h.value} },
      classifications: COLLECT { MATCH (f)-[:LABELLED]->(c:Classification)
                                 RETURN c {.label, .source, .by, .basis} }} },
  identifiers: COLLECT { MATCH (r)-[m:MENTIONS]->(i:Identifier)
                         RETURN {role: m.role, identifier: {kind: i.kind, value: i.value}} }}"""
FLOOR = {
    "report_detail": "MATCH (r:Report {id: $id}) RETURN " + REPORT_SHAPE + " AS report",
    "triage_page": ("MATCH (r:Report) USING INDEX r:Report(priorityRank, queuedAt)"
                    " WHERE r.priorityRank IS NOT NULL AND r.queuedAt IS NOT NULL"
                    " WITH r ORDER BY r.priorityRank, r.queuedAt, r.id LIMIT 50"
                    " RETURN collect(" + REPORT_SHAPE + ") AS page"),
}


async def floor_latencies(db: Database, query: str, ids: list[int],
                          samples: int) -> list[float]:
    timings = []
    for index in range(samples):
        started = time.perf_counter()
        await db.driver.execute_query(query, {"id": ids[index % len(ids)]},
                                      database_=db.database, routing_="r")
        timings.append(time.perf_counter() - started)
    return timings


@contextlib.contextmanager
def peer_server(uri: str, jwt_secret: str | None = None) -> Iterator[tuple[str, int]]:
    """``node bench/peer/server.mjs`` on a free port, logging to a file; with ``jwt_secret``,
    its reports are filtered by the law-enforcement rule (``@authorization``)."""
    script = PROJECT_ROOT / "bench" / "peer" / "server.mjs"
    if not (PROJECT_ROOT / "node_modules" / "@neo4j" / "graphql").exists():
        raise RuntimeError("the peer's npm packages are missing; run `make install`")
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js (node) is not on PATH; the peer runs on it")
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"peer-{port}.log"
    env = {"NEO4J_URI": uri, "PORT": str(port),
           **({"PEER_JWT_SECRET": jwt_secret} if jwt_secret else {})}
    with running([node, str(script)], log, env) as process:
        deadline = time.monotonic() + 60
        while "PEER_READY" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the peer did not start; see {log}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", process.pid


async def post(client: httpx.AsyncClient, path: str, query: str, variables: dict[str, Any],
               headers: dict[str, str]) -> None:
    response = await client.post(path, json={"query": query, "variables": variables},
                                 headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{path}: {response.text[:400]}")


async def latencies(client: httpx.AsyncClient, path: str, query: str, ids: list[int],
                    headers: dict[str, str], samples: int) -> list[float]:
    timings = []
    for index in range(samples):
        variables = {"id": ids[index % len(ids)]} if "$id" in query else {}
        started = time.perf_counter()
        await post(client, path, query, variables, headers)
        timings.append(time.perf_counter() - started)
    return timings


async def throughput(client: httpx.AsyncClient, path: str, query: str, ids: list[int],
                     headers: dict[str, str], requests: int,
                     concurrency: int) -> dict[str, float]:
    semaphore = asyncio.Semaphore(concurrency)
    timings: list[float] = []

    async def one(index: int) -> None:
        async with semaphore:
            variables = {"id": ids[index % len(ids)]} if "$id" in query else {}
            started = time.perf_counter()
            await post(client, path, query, variables, headers)
            timings.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(requests)))
    return summary(timings, time.perf_counter() - started)


async def sample_ids(db: Database, count: int) -> list[int]:
    async def tx(tx: Any) -> list[int]:
        [bounds] = await run(tx, "MATCH (r:Report) RETURN min(r.id) AS low, max(r.id) AS high")
        pick = random.Random(5)
        wanted = [pick.randint(bounds["low"], bounds["high"]) for _ in range(count * 2)]
        found = await run(tx, "UNWIND $ids AS id MATCH (r:Report {id: id, status: 'SUBMITTED'})"
                              " RETURN r.id AS id", ids=wanted)
        return [row["id"] for row in found][:count]
    return await db.read(tx)


async def busiest_agency(db: Database) -> tuple[str, list[int]]:
    """The agency with the most referrals, and up to 50 of the reports referred to it."""
    async def tx(tx: Any) -> tuple[str, list[int]]:
        [row] = await run(tx, """
            MATCH (r:Report {status: 'SUBMITTED'})-[:REFERRED_TO]->(a:Agency)
            WITH a, collect(r.id) AS ids ORDER BY size(ids) DESC LIMIT 1
            RETURN a.id AS agency, ids[..50] AS ids""")
        return row["agency"], list(row["ids"])
    return await db.read(tx)


def compare(figures: dict[str, Any], floor: dict[str, float] | None = None) -> dict[str, Any]:
    """The ratios of one shared query's figures (tipgraph over the peer; over the floor)."""
    ours, theirs = figures["tipgraph"], figures["neo4j_graphql"]
    figures["ratio_p50_tipgraph_over_peer"] = round(
        ours["latency"]["p50_ms"] / theirs["latency"]["p50_ms"], 3)
    figures["ratio_throughput_tipgraph_over_peer"] = round(
        ours["throughput"]["per_second"] / theirs["throughput"]["per_second"], 3)
    if floor is not None:
        figures["true_floor"] = floor
        figures["ratio_p50_tipgraph_over_true_floor"] = round(
            ours["latency"]["p50_ms"] / floor["p50_ms"], 3)
    return figures


Side = tuple[httpx.AsyncClient, str, dict[str, str], dict[str, str]]


async def measure(sides: dict[str, Side], name: str, ids: list[int], samples: int,
                  requests: int, concurrency: int) -> dict[str, Any]:
    """Latency (one at a time) then throughput (``concurrency`` clients) of one query on each
    side, after a warm-up, alternating the sides."""
    figures: dict[str, Any] = {}
    for client, path, queries, headers in sides.values():
        await latencies(client, path, queries[name], ids, headers, 5)  # warm-up
    for side, (client, path, queries, headers) in sides.items():
        figures[side] = {"latency": percentiles(await latencies(
            client, path, queries[name], ids, headers, samples))}
    for side, (client, path, queries, headers) in sides.items():
        figures[side]["throughput"] = await throughput(
            client, path, queries[name], ids, headers, requests, concurrency)
    return figures


async def page_ids(side: Side) -> list[int]:
    """The report ids of one side's triage page, in order."""
    client, path, queries, headers = side
    body = (await client.post(path, json={"query": queries["triage_page"]},
                              headers=headers)).json()
    data = body["data"]
    if "reports" in data and isinstance(data["reports"], dict):  # tipgraph's connection
        return [int(edge["node"]["id"]) for edge in data["reports"]["edges"]]
    return [int(report["id"]) for report in data["reports"]]


async def same_page(sides: dict[str, Side]) -> int:
    """Both sides answer the triage page with the same reports in the same order (or the
    comparison would be of different work); how many."""
    pages = {name: await page_ids(side) for name, side in sides.items()}
    if len({tuple(page) for page in pages.values()}) != 1:
        raise RuntimeError(f"the sides' triage pages differ: {pages}")
    return len(next(iter(pages.values())))


PEER_JWT_SECRET = "tipgraph-bench-peer-secret-not-for-production-0123456789"  # noqa: S105 - a local peer


async def main(reports: int, samples: int, requests: int, concurrency: int,
               workers: int = 1) -> dict[str, Any]:
    from bench.generate import generate

    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        token = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.ANALYST)
        async with database(settings) as db:
            existing = await report_count(db)
            if existing < reports:
                await generate(db, reports - existing, seed=31 + existing,
                               ids=identifier_ids(settings))
            ids = await sample_ids(db, 50)
            total = await report_count(db)
            floors = {}
            for name, query in FLOOR.items():
                await floor_latencies(db, query, ids, 5)  # warm-up
                floors[name] = percentiles(await floor_latencies(db, query, ids, samples))
            agency, le_ids = await busiest_agency(db)
        le_token = mint_token(load_keys(settings.tokens), settings.tokens, role=Role.LE,
                              agency_id=agency)
        peer_le_token = jwt.encode({"sub": f"bench-{agency}", "agency_id": agency},
                                   PEER_JWT_SECRET, algorithm="HS256")
        results: dict[str, Any] = {}
        with api_server(settings, workers) as api, peer_server(uri) as (peer_url, peer_pid), \
                peer_server(uri, PEER_JWT_SECRET) as (peer_le_url, _):
            async with httpx.AsyncClient(base_url=api.url, timeout=120) as ours, \
                    httpx.AsyncClient(base_url=peer_url, timeout=120) as peer, \
                    httpx.AsyncClient(base_url=peer_le_url, timeout=120) as peer_le:
                sides: dict[str, Side] = {
                    "tipgraph": (ours, "/graphql", OURS, {"Authorization": f"Bearer {token}"}),
                    "neo4j_graphql": (peer, "/", PEER, {}),
                }
                results["triage_page_reports"] = await same_page(sides)
                for name in OURS:
                    results[name] = compare(await measure(
                        sides, name, ids, samples, requests, concurrency), floors[name])
                # law enforcement: tipgraph's row rule against the peer's @authorization
                # filter (a report is visible once submitted and referred to the agency)
                le_sides: dict[str, Side] = {
                    "tipgraph": (ours, "/graphql", OURS,
                                 {"Authorization": f"Bearer {le_token}"}),
                    "neo4j_graphql": (peer_le, "/", PEER,
                                      {"Authorization": f"Bearer {peer_le_token}"}),
                }
                results["law_enforcement"] = {"agency": agency, "referred_reports": len(le_ids),
                                              "triage_page_reports": await same_page(le_sides)}
                for name in OURS:
                    results["law_enforcement"][name] = compare(await measure(
                        le_sides, name, le_ids, samples, requests, concurrency))
                results["rss_mib"] = {"tipgraph": round(rss_tree_mib(api.pid), 1),
                                      "neo4j_graphql": round(rss_mib(peer_pid), 1)}
    return {"scenario": "peer", "reports": total, "samples": samples, "requests": requests,
            "concurrency": concurrency, "api_workers": workers, **results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="tipgraph serve --workers N")
    args = arguments(parser)
    emit(asyncio.run(main(args.reports, args.samples, args.requests, args.concurrency,
                          args.workers)))
