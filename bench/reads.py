"""Reads on a big graph, each against the raw-driver floor measured in the same run.

Scenarios (an analyst token unless said otherwise):

- ``triage_page``: the first queue page of 50 reports with nested files (hashes, labels) and
  identifiers, and ``totalCount``;
- ``cross_references``: ``report(id) { crossReferences(first: 20) }`` for sampled reports;
- ``report_detail``: one report with files, identifiers (and whether each is common),
  labels with provenance, jurisdictions and cross-references;
- ``le_report``: a referred report read by its agency's token (row and field rules, audit);
- ``neighborhood_depth2``: a report's depth-2 neighbourhood (link analysis), against its own
  statements through the raw driver;
- ``paths_4_edges``: shortest paths between reports 4 edges apart (report, identifier, report,
  identifier, report), asked with ``maxHops: 6``, against one native ``shortestPath`` through
  the raw driver (the API's search is bidirectional, level by level, under the row rule);
- ``cluster``: the reports linked to a report through identifiers that are not common
  (``cluster(reportId)``, at most 500 nodes), against the same traversal run by
  ``graph.links.walks.cluster`` in this process (its statements, without the API);
- ``entities_100``: ``_entities`` for 100 report representations (federation), through the
  DataLoader: one statement for all of them.

The floor sends, through the raw driver (``driver.execute_query``, one transaction each), the
very statements the API sends for the same answer, one after another. The API is ``tipgraph
serve`` in its own process over HTTP. Round trips per operation are read from the API's own
``/metrics`` (``tipgraph_neo4j_round_trips``), so they are what the server counted.

The graph is ``--neo4j-uri``'s when told (topped up to ``--reports`` by ``bench.generate``),
otherwise a throwaway server filled by the generator::

    python -m bench.reads --reports 100000 --samples 100
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncDriver

from api.settings import identifier_ids
from authz.roles import Role
from authz.tokens import load_keys, mint_token
from bench.generate import generate
from bench.harness import (
    api_server,
    arguments,
    bench_settings,
    database,
    emit,
    neo4j_server,
    percentiles,
    rss_mib,
)
from graph.core.db import Database, cypher_parameters, run
from graph.core.visibility import EVERY_REPORT, RowScope
from graph.identifiers import crossrefs
from graph.links import walks as links
from graph.reports import queries as q
from graph.triage import queue
from graph.triage.enrichment import JURISDICTIONS_BY_REPORT_IDS

ALL = EVERY_REPORT
SHORTEST_PATH = """
MATCH p = shortestPath((a:Report {id: $a})-[:MENTIONS*..6]-(b:Report {id: $b}))
WHERE all(n IN nodes(p) WHERE NOT n:Identifier OR COUNT { (n)<-[:MENTIONS]-() } <= $threshold)
RETURN [n IN nodes(p) | coalesce(n.id, '')] AS ids
"""
# Report pairs exactly 4 edges apart (report, identifier, report, identifier, report): three
# hops between neighbouring nodes of the path past the start, through identifiers not common.
PAIRS = """
UNWIND $ids AS id
MATCH (a:Report {id: id})-[:MENTIONS]->(i:Identifier)<-[:MENTIONS]-(m:Report)
      -[:MENTIONS]->(j:Identifier)<-[:MENTIONS]-(b:Report)
WHERE m <> a AND b <> m AND b <> a
  AND COUNT { (i)<-[:MENTIONS]-() } <= 50 AND COUNT { (j)<-[:MENTIONS]-() } <= 50
  AND NOT EXISTS { (a)-[:MENTIONS]->(:Identifier)<-[:MENTIONS]-(b) }
WITH a, b LIMIT 1000
RETURN a.id AS a, min(b.id) AS b
"""
FILES = """files { id fileName viewedByEsp exifViewedByEsp publiclyAvailable
  hashes { algorithm value } classifications { label source by at basis } }"""

TRIAGE = ("query Triage { reports(first: 50) { totalCount edges { node {"
          " id status incidentType priority disposition openedAt " + FILES
          + " identifiers { role identifier { kind value } } } } } }")
CROSS_REFERENCES = """query X($id: ID!) { report(id: $id) { id
  crossReferences(first: 20) { report { id incidentType } score explanation
                               shared { id kind value } } } }"""
DETAIL = ("query Detail($id: ID!) { report(id: $id) { id status incidentType priority"
          " disposition " + FILES + " identifiers { role identifier { id kind value common } }"
          " jurisdictions { jurisdiction { code name } basis source by at }"
          " crossReferences(first: 10) { report { id } score explanation } } }")
ENTITIES = ("query E($r: [_Any!]!) { _entities(representations: $r) {"
            " ... on Report { id status incidentType priority } } }")
NEIGHBORHOOD = ("query N($id: ID!) { neighborhood(id: $id, depth: 2) { nodes { id type label"
                " common properties } edges { id source target properties } truncated"
                " omittedCommon { id kind reportCount } } }")
PATHS = ("query P($id: ID!, $to: ID!) { paths(fromId: $id, toId: $to, maxHops: 6) {"
         " nodes { id type } edges { id source target } } }")
CLUSTER = ("query C($id: ID!) { cluster(reportId: $id) { nodes { id type } edges { id }"
           " truncated } }")
LE_REPORT = ("query Tip($id: ID!) { report(id: $id) { id status incidentType " + FILES
             + " identifiers { role identifier { kind value } } } }")

Floor = Callable[[AsyncDriver, int], Awaitable[None]]


@dataclass
class Scenario:
    name: str
    query: str
    floor: Floor
    token: str
    ids: list[int]
    partners: dict[int, int] | None = None  # paths: each start's other end


async def statement(driver: AsyncDriver, query: str, **params: Any) -> list[Any]:
    records, _, _ = await driver.execute_query(query, cypher_parameters(params), routing_="r")
    return records


async def nested_floor(driver: AsyncDriver, report_ids: list[int]) -> None:
    """Files, hashes, labels and identifiers of some reports: one statement per level."""
    files = await statement(driver, q.FILES_BY_REPORT_IDS, ids=report_ids)
    file_ids = [f["id"] for row in files for f in row["files"]]
    await statement(driver, q.HASHES_BY_FILE_IDS, ids=file_ids)
    await statement(driver, q.CLASSIFICATIONS_BY_FILE_IDS, ids=file_ids)
    await statement(driver, q.MENTIONS_BY_REPORT_IDS, ids=report_ids)


async def triage_floor(driver: AsyncDriver, _: int) -> None:
    [page] = await statement(driver, queue.build_query(queue.DEFAULT_ORDER, with_cursor=False,
                                                       count_every_report=True),
                             **queue.QueueFilter().params(), rows=EVERY_REPORT, limit=51,
                             after=None)
    await nested_floor(driver, [node["id"] for _, node in page["page"][:50]])


async def cross_references_floor(driver: AsyncDriver, report_id: int, first: int = 20) -> None:
    await statement(driver, q.REPORTS_BY_IDS, ids=[report_id], rows=EVERY_REPORT)
    await statement(driver, crossrefs.CROSS_REFERENCES, **crossrefs.params(
        report_id, rows=EVERY_REPORT, threshold=50, include_common=False, first=first))


async def detail_floor(driver: AsyncDriver, report_id: int) -> None:
    await cross_references_floor(driver, report_id, first=10)
    mentions = await statement(driver, q.MENTIONS_BY_REPORT_IDS, ids=[report_id])
    await nested_floor(driver, [report_id])
    await statement(driver, crossrefs.COMMON_BY_IDS, threshold=50, rows=EVERY_REPORT, ids=[
        m["identifier"]["id"] for m in mentions[0]["mentions"]])
    await statement(driver, JURISDICTIONS_BY_REPORT_IDS, ids=[report_id])


async def entities_floor(driver: AsyncDriver, _: int, ids: tuple[int, ...] = ()) -> None:
    await statement(driver, q.REPORTS_BY_IDS, ids=list(ids), rows=EVERY_REPORT)


async def neighborhood_floor(driver: AsyncDriver, report_id: int) -> None:
    """The traversal's own statements: the start, its identifiers, their reports."""
    walk = links.Walk(rows=EVERY_REPORT, threshold=50).params()
    await statement(driver, links.REPORTS_BY_IDS, ids=[report_id], rows=EVERY_REPORT)
    rows = await statement(driver, links.FROM_REPORTS, ids=[report_id], **walk)
    kept = [row["node"]["id"] for row in rows if row["degree"] <= 50]
    await statement(driver, links.FROM_IDENTIFIERS, ids=kept, cap=199, **walk)


async def paths_floor(driver: AsyncDriver, report_id: int, pairs: dict[int, int]) -> None:
    """What Neo4j does natively: one shortestPath, common identifiers excluded."""
    await statement(driver, SHORTEST_PATH, a=report_id, b=pairs[report_id], threshold=50)


async def cluster_floor(driver: AsyncDriver, report_id: int, db: Database) -> None:
    """The same traversal in this process: graph.links.walks.cluster over ``db``."""
    await links.cluster(db, str(report_id), links.Walk(rows=EVERY_REPORT, threshold=50))


async def le_floor(driver: AsyncDriver, report_id: int) -> None:
    await statement(driver, q.REPORTS_BY_IDS, ids=[report_id],
                    rows=RowScope(agency_id="bench-icac-ca"))
    await nested_floor(driver, [report_id])


async def time_floor(driver: AsyncDriver, scenario: Scenario, samples: int) -> list[float]:
    timings = []
    for index in range(samples):
        started = time.perf_counter()
        await scenario.floor(driver, scenario.ids[index % len(scenario.ids)])
        timings.append(time.perf_counter() - started)
    return timings


async def time_api(client: httpx.AsyncClient, scenario: Scenario,
                   samples: int) -> list[float]:
    headers = {"Authorization": f"Bearer {scenario.token}"}
    timings = []
    for index in range(samples):
        body: dict[str, Any] = {"query": scenario.query}
        if "$id" in scenario.query:
            body["variables"] = {"id": scenario.ids[index % len(scenario.ids)]}
        if scenario.partners is not None:
            body["variables"]["to"] = scenario.partners[body["variables"]["id"]]
        if "$r" in scenario.query:  # _entities: every sampled report at once
            body["variables"] = {"r": [{"__typename": "Report", "id": str(i)}
                                       for i in scenario.ids]}
        started = time.perf_counter()
        response = await client.post("/graphql", json=body, headers=headers)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200 or "errors" in response.json():
            raise RuntimeError(f"{scenario.name}: {response.text[:500]}")
    return timings


def metric(text: str, name: str) -> float:
    """The sum of a Prometheus counter's samples on the /graphql route."""
    pattern = re.compile(rf'^{name}_total\{{[^}}]*route="/graphql"[^}}]*\}} (\S+)$', re.M)
    return sum(float(value) for value in pattern.findall(text))


async def round_trips(client: httpx.AsyncClient, scenario: Scenario) -> float:
    """Cypher statements the server sent for one operation (from its /metrics).

    The least of three windows of five operations: the server's background statements (the
    enrichment worker's poll every 2 s, the revocation list's re-read) count in the same
    metric, and one landing in a window would add 0.2 to it."""
    windows = []
    for _ in range(3):
        before = (await client.get("/metrics")).text
        await time_api(client, scenario, 5)
        after = (await client.get("/metrics")).text
        sent = (metric(after, "tipgraph_neo4j_round_trips")
                - metric(before, "tipgraph_neo4j_round_trips"))
        requests = (metric(after, "tipgraph_http_requests")
                    - metric(before, "tipgraph_http_requests"))
        windows.append(round(sent / requests, 2))
    return min(windows)


async def report_count(db: Database) -> int:
    async def tx(tx: Any) -> int:
        return int((await run(tx, "MATCH (r:Report) RETURN count(r) AS n"))[0]["n"])
    return await db.read(tx)


async def sample_ids(db: Database, count: int, seed: int) -> dict[str, Any]:
    """Submitted reports at random, and referred ones (to bench-icac-ca) for the LE token."""
    async def tx(tx: Any) -> dict[str, Any]:
        [bounds] = await run(tx, "MATCH (r:Report) RETURN min(r.id) AS low, max(r.id) AS high")
        pick = random.Random(seed)
        candidates = [pick.randint(bounds["low"], bounds["high"]) for _ in range(count * 2)]
        found = await run(tx, "UNWIND $ids AS id MATCH (r:Report {id: id, status: 'SUBMITTED'})"
                              " RETURN r.id AS id", ids=candidates)
        referred = await run(tx, "MATCH (r:Report)-[:REFERRED_TO]->(:Agency {id: 'bench-icac-ca'})"
                                 " RETURN r.id AS id LIMIT $n", n=count)
        pairs = await run(tx, PAIRS, ids=[row["id"] for row in found])
        return {"any": [row["id"] for row in found][:count],
                "pairs": {row["a"]: row["b"] for row in pairs[:count]},
                "entities": [row["id"] for row in found][:100],
                "referred": [row["id"] for row in referred]}
    return await db.read(tx)


async def main(reports: int, samples: int, seed: int) -> dict[str, Any]:
    with neo4j_server() as uri, tempfile.TemporaryDirectory() as state:
        settings = bench_settings(uri, Path(state))
        keys = load_keys(settings.tokens)
        analyst = mint_token(keys, settings.tokens, role=Role.ANALYST)
        officer = mint_token(keys, settings.tokens, role=Role.LE, agency_id="bench-icac-ca",
                             scope="report:read files:read pii:read")
        async with database(settings) as db:
            existing = await report_count(db)
            generated = (await generate(db, reports - existing, seed=seed + existing,
                                        ids=identifier_ids(settings))
                         if existing < reports else None)
            ids = await sample_ids(db, max(samples, 100), seed)
            total = await report_count(db)
            driver = db.driver
            scenarios = [
                Scenario("triage_page", TRIAGE, triage_floor, analyst, [0]),
                Scenario("cross_references", CROSS_REFERENCES, cross_references_floor,
                         analyst, ids["any"]),
                Scenario("report_detail", DETAIL, detail_floor, analyst, ids["any"]),
                Scenario("le_report", LE_REPORT, le_floor, officer, ids["referred"]),
                Scenario("neighborhood_depth2", NEIGHBORHOOD, neighborhood_floor, analyst,
                         ids["any"]),
                Scenario("paths_4_edges", PATHS,
                         functools.partial(paths_floor, pairs=ids["pairs"]), analyst,
                         list(ids["pairs"]), partners=ids["pairs"]),
                Scenario("cluster", CLUSTER, functools.partial(cluster_floor, db=db), analyst,
                         ids["any"]),
                Scenario("entities_100", ENTITIES,
                         functools.partial(entities_floor, ids=tuple(ids["entities"])),
                         analyst, ids["entities"]),
            ]
            results: dict[str, Any] = {}
            with api_server(settings) as api:
                async with httpx.AsyncClient(base_url=api.url, timeout=120) as client:
                    for scenario in scenarios:
                        await time_floor(driver, scenario, 5)  # warm-up, both sides
                        await time_api(client, scenario, 5)
                        floor = percentiles(await time_floor(driver, scenario, samples))
                        through_api = percentiles(await time_api(client, scenario, samples))
                        results[scenario.name] = {
                            "raw_driver": floor, "api": through_api,
                            "ratio_p50": round(through_api["p50_ms"] / floor["p50_ms"], 3),
                            "ratio_p95": round(through_api["p95_ms"] / floor["p95_ms"], 3),
                            "round_trips_per_operation": await round_trips(client, scenario),
                        }
                    results["triage_round_trips_by_page_size"] = {
                        size: await round_trips(client, Scenario(
                            f"triage_{size}", TRIAGE.replace("first: 50", f"first: {size}"),
                            triage_floor, analyst, [0]))
                        for size in (10, 25, 50)}
                    results["api_rss_mib"] = round(rss_mib(api.pid), 1)
    return {"scenario": "reads", "reports": total, "samples": samples,
            "generated": generated, **results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=17)
    args = arguments(parser)
    emit(asyncio.run(main(args.reports, args.samples, args.seed)))
