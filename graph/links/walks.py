"""Link analysis: neighbourhoods, shortest paths and clusters over reports and identifiers.

The graph walked is the bipartite one of ``(:Report)-[:MENTIONS]->(:Identifier)``. Every
traversal goes level by level through two statements only (:data:`FROM_REPORTS`,
:data:`FROM_IDENTIFIERS`), and both carry the row rule: a report the reader may not see is never
returned, never counted and never used as a step, and an identifier is reached only through a
report the reader may see. Degrees, "common" and first-seen times are counted over the
submitted reports the reader may see too, so no number reveals a hidden one.

An identifier mentioned by more than ``threshold`` visible reports is *common* (a carrier-grade
NAT address, a viral image): it is not expanded unless asked for, and it is reported in
``omitted_common`` so that the reader knows what was left out.

Caps always hold: depth at most :data:`MAX_DEPTH`, hops at most :data:`MAX_HOPS`, nodes at most
``first`` (most relevant first: degree, then recency), and at most :data:`FRONTIER_CAP` nodes
expanded per level; whatever a cap cuts sets ``truncated``. A walk also has a time budget
(``Walk.deadline``, TIPGRAPH_LINKS_BUDGET_SECONDS): Neo4j stops a statement past it, a
neighbourhood, cluster or path search answers what it found with ``truncated``, and a path
search that found nothing by then says so (``TooExpensive``, BAD_USER_INPUT) rather than answer
"no path".
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, NotFound, TooExpensive
from graph.core.visibility import (
    VISIBLE_REPORT,
    RowScope,
    counted_report,
    seen,
    visible_report,
)

MAX_DEPTH: Final = 3
MAX_HOPS: Final = 6
MAX_NODES: Final = 1000
FRONTIER_CAP: Final = 2000

REPORT_NODE: Final = ("r {.id, .status, .incidentType, .priority, .disposition, .reporterId,"
                      " .finishedAt, .openedAt}")
# An identifier as the reader sees it: ``degree`` and ``firstSeenAt`` come from the reports it
# may see (graph.core.visibility.seen), never from the node's global facts.
IDENTIFIER_NODE: Final = "i {.id, .kind, .value, .scope, firstSeenAt: firstSeenAt}"

# From reports to the identifiers they mention (the reports are visible: they were reached
# through this module or checked by REPORTS_BY_IDS), with the links to each.
_MENTIONED: Final = (
    "UNWIND $ids AS rid"
    " MATCH (r:Report {id: rid})-[m:MENTIONS]->(i:Identifier)"
    " WHERE ($kinds IS NULL OR i.kind IN $kinds)"
    " WITH i, r, collect(m {.role, .at, .event, .party, .port}) AS mentions"
    " WITH i, collect({report: r.id, by: r.reporterId, reported: r.finishedAt,"
    " mentions: mentions}) AS links "
)
FROM_REPORTS: Final = (
    _MENTIONED + seen("i") + " RETURN " + IDENTIFIER_NODE + " AS node, links, degree"
)

# FROM_REPORTS for a walk that never shows a common identifier's count as it goes (a
# cluster): counting stops past $threshold, so a supernode costs no more than a small
# identifier, and a common one answers degree $threshold + 1 (a lower bound) and no
# firstSeenAt.
FROM_REPORTS_BOUNDED: Final = (
    _MENTIONED
    + "CALL (i) { MATCH (i)<-[:MENTIONS]-(counted:Report) WHERE " + counted_report("counted")
    + " WITH DISTINCT counted LIMIT $threshold + 1 RETURN count(counted) AS bounded }"
    " CALL (i, bounded) { WITH i, bounded WHERE bounded <= $threshold"
    " MATCH (i)<-[:MENTIONS]-(seen:Report) WHERE " + visible_report("seen")
    + " WITH DISTINCT i, seen"  # grouped by i: no row at all when the branch is not taken
    " RETURN i AS counted, count(CASE WHEN seen.status = 'SUBMITTED' THEN 1 END) AS degree,"
    " min(coalesce(seen.finishedAt, seen.openedAt)) AS firstSeenAt"
    " UNION WITH i, bounded WHERE bounded > $threshold"
    " RETURN i AS counted, bounded AS degree, null AS firstSeenAt }"
    " RETURN " + IDENTIFIER_NODE + " AS node, links, degree"
)

# From identifiers to the visible reports that mention them, in the time window.
FROM_IDENTIFIERS: Final = (
    "UNWIND $ids AS iid"
    " MATCH (i:Identifier {id: iid})<-[m:MENTIONS]-(r:Report)"
    " WHERE " + VISIBLE_REPORT
    + " AND ($since IS NULL OR coalesce(r.finishedAt, r.openedAt) >= $since)"
    " AND ($until IS NULL OR coalesce(r.finishedAt, r.openedAt) < $until)"
    " WITH r, i, collect(m {.role, .at, .event, .party, .port}) AS mentions"
    " WITH r, collect({identifier: i.id, mentions: mentions}) AS links"
    " WITH r, links, COUNT { (r)-[:MENTIONS]->() } AS degree"
    " ORDER BY degree DESC, coalesce(r.finishedAt, r.openedAt) DESC, r.id"
    " LIMIT $cap"
    " RETURN " + REPORT_NODE + " AS node, degree, links"
)

# Nodes by id (a walk's start; the nodes of a view the reader drew): the reports it may see,
# the identifiers visible reports mention (counted as FROM_REPORTS counts them), and the links
# between the two. Nothing hidden is returned, counted or used to reach an identifier.
REPORTS_BY_IDS: Final = (
    "UNWIND $ids AS rid MATCH (r:Report {id: rid}) WHERE " + VISIBLE_REPORT
    + " RETURN " + REPORT_NODE + " AS node, COUNT { (r)-[:MENTIONS]->() } AS degree"
)
IDENTIFIERS_BY_IDS: Final = (
    "UNWIND $ids AS iid MATCH (i:Identifier {id: iid})"
    " WHERE EXISTS { MATCH (i)<-[:MENTIONS]-(r:Report) WHERE " + VISIBLE_REPORT + " } "
    + seen("i") + " RETURN " + IDENTIFIER_NODE + " AS node, degree"
)
LINKS_BETWEEN: Final = (
    "UNWIND $reports AS rid"
    " MATCH (r:Report {id: rid})-[m:MENTIONS]->(i:Identifier) WHERE i.id IN $identifiers"
    " WITH r, i, collect(m {.role, .at, .event, .party, .port}) AS mentions"
    " RETURN r.id AS report, i.id AS identifier, r.reporterId AS by, r.finishedAt AS reported,"
    " mentions"
)

REPORT_DEGREES: Final = """
MATCH (r:Report {id: $id})-[:MENTIONS]->(i:Identifier)
RETURN i.kind AS kind, count(DISTINCT i) AS count ORDER BY kind
"""


@dataclass
class Node:
    id: str
    type: str  # "Report" or "Identifier"
    props: dict[str, Any]
    degree: int
    common: bool = False


@dataclass
class Edge:
    report: int
    identifier: str
    by: str | None
    reported: Any
    mentions: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return f"{self.report}->{self.identifier}"


@dataclass
class Subgraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    truncated: bool = False
    omitted_common: dict[str, Node] = field(default_factory=dict)

    def report_ids(self) -> list[int]:
        return [int(n.props["id"]) for n in self.nodes.values() if n.type == "Report"]


@dataclass(frozen=True, slots=True)
class Walk:
    """What every traversal needs: the reader's row scope and the walk's filters."""

    rows: RowScope
    threshold: int
    include_common: bool = False
    kinds: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    deadline: float | None = None  # time.monotonic() past which the walk stops (its budget)

    def remaining(self) -> float:
        """Seconds left of the walk's budget (a large number without one)."""
        return 3600.0 if self.deadline is None else self.deadline - time.monotonic()

    def params(self) -> dict[str, Any]:
        return {"rows": self.rows, "threshold": self.threshold,
                "kinds": list(self.kinds) if self.kinds else None, "since": self.since,
                "until": self.until}


def is_report_id(node_id: str) -> bool:
    return node_id.isascii() and node_id.isdigit()


def _check_id(node_id: str) -> str:
    if not (is_report_id(node_id) and len(node_id) <= 18) and not (
            node_id.startswith("idf_") and len(node_id) == 28):
        raise BadInput(f"{node_id[:40]!r} is neither a report id nor an identifier id",
                       field="id")
    return node_id


async def _start_tx(tx: AsyncManagedTransaction, node_id: str, walk: Walk) -> Node | None:
    if is_report_id(node_id):
        records = await run(tx, REPORTS_BY_IDS, ids=[int(node_id)], rows=walk.rows)
        kind = "Report"
    else:
        records = await run(tx, IDENTIFIERS_BY_IDS, ids=[node_id], rows=walk.rows)
        kind = "Identifier"
    if not records:
        return None
    node = records[0]["node"]
    degree = int(records[0]["degree"])
    return Node(id=str(node["id"]), type=kind, props=node, degree=degree,
                common=kind == "Identifier" and degree > walk.threshold)


async def _from_reports_tx(tx: AsyncManagedTransaction, ids: list[int], walk: Walk,
                           bounded: bool) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, FROM_REPORTS_BOUNDED if bounded else FROM_REPORTS,
                                       ids=ids, **walk.params())]


async def _from_identifiers_tx(tx: AsyncManagedTransaction, ids: list[str], walk: Walk,
                               cap: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await run(tx, FROM_IDENTIFIERS, ids=ids, cap=cap,
                                       **walk.params())]


async def start_node(db: Database, node_id: str, walk: Walk) -> Node:
    node = await db.read_within(walk.remaining(), _start_tx, _check_id(node_id), walk)
    if node is None:
        raise NotFound(f"{node_id} does not exist")
    return node


async def expand(db: Database, frontier: Sequence[Node], walk: Walk, cap: int, *,
                 bounded: bool = False) -> tuple[list[Node], list[Edge], list[Node], bool]:
    """One level: (new neighbours, edges to them, common identifiers left out, truncated).
    ``bounded``: common identifiers are left out with the degree ``threshold + 1``
    (:data:`FROM_REPORTS_BOUNDED`)."""
    reports = [int(n.props["id"]) for n in frontier if n.type == "Report"]
    identifiers = [n.id for n in frontier if n.type == "Identifier"]
    found: list[Node] = []
    edges: list[Edge] = []
    omitted: list[Node] = []
    truncated = False
    if reports:
        for row in await db.read_within(walk.remaining(), _from_reports_tx, reports, walk,
                                        bounded):
            degree = int(row["degree"])
            node = Node(id=str(row["node"]["id"]), type="Identifier", props=row["node"],
                        degree=degree, common=degree > walk.threshold)
            if node.common and not walk.include_common:
                omitted.append(node)
                continue
            found.append(node)
            edges.extend(Edge(report=link["report"], identifier=node.id, by=link["by"],
                              reported=link["reported"], mentions=link["mentions"])
                         for link in row["links"])
    if identifiers:
        rows = await db.read_within(walk.remaining(), _from_identifiers_tx, identifiers, walk,
                                    cap + 1)
        truncated = len(rows) > cap
        for row in rows[:cap]:
            node = Node(id=str(row["node"]["id"]), type="Report", props=row["node"],
                        degree=int(row["degree"]))
            found.append(node)
            edges.extend(Edge(report=int(node.id), identifier=link["identifier"],
                              by=node.props.get("reporterId"),
                              reported=node.props.get("finishedAt"), mentions=link["mentions"])
                         for link in row["links"])
    return found, edges, omitted, truncated


def _relevance(node: Node) -> tuple[Any, ...]:
    stamp = node.props.get("finishedAt") or node.props.get("openedAt") or node.props.get(
        "firstSeenAt")
    return (-node.degree, -(stamp.to_native().timestamp() if stamp is not None else 0), node.id)


async def neighborhood(db: Database, node_id: str, walk: Walk, *, depth: int = 1,
                       first: int = 200) -> Subgraph:
    """The nodes within ``depth`` hops of ``node_id`` the reader may see, most relevant first."""
    if not 1 <= depth <= MAX_DEPTH:
        raise BadInput(f"depth is 1 to {MAX_DEPTH}", field="depth")
    if not 1 <= first <= MAX_NODES:
        raise BadInput(f"first is 1 to {MAX_NODES}", field="first")
    start = await start_node(db, node_id, walk)
    graph = Subgraph(nodes={start.id: start})
    frontier = [start]
    for _ in range(depth):
        if not frontier:
            break
        if start.common and start in frontier and not walk.include_common:
            graph.omitted_common[start.id] = start
            break
        room = first - len(graph.nodes)
        try:
            found, edges, omitted, truncated = await expand(db, frontier, walk,
                                                            min(FRONTIER_CAP, max(room, 0)))
        except TooExpensive:
            graph.truncated = True  # past its budget: what was found so far
            break
        graph.truncated |= truncated
        for node in omitted:
            graph.omitted_common.setdefault(node.id, node)
        new = sorted((n for n in dict((n.id, n) for n in found).values()
                      if n.id not in graph.nodes), key=_relevance)
        if len(new) > room:
            graph.truncated = True
            new = new[:max(room, 0)]
        for node in new:
            graph.nodes[node.id] = node
        for edge in edges:
            if str(edge.report) in graph.nodes and edge.identifier in graph.nodes:
                graph.edges.setdefault(edge.id, edge)
        frontier = new
    return graph


async def degree_preview(db: Database, node_id: str, walk: Walk) -> tuple[Node, dict[str, int]]:
    """Neighbour counts by type, before expanding (visible reports only)."""
    start = await start_node(db, node_id, walk)
    if start.type == "Identifier":
        return start, {"Report": start.degree}

    async def tx(tx: AsyncManagedTransaction) -> dict[str, int]:
        return {row["kind"]: int(row["count"])
                for row in await run(tx, REPORT_DEGREES, id=int(start.props["id"]))}

    return start, await db.read(tx)


async def paths(db: Database, from_id: str, to_id: str, walk: Walk, *, max_hops: int = 4,
                first: int = 3, cap: int = FRONTIER_CAP) -> list[Subgraph]:
    """Up to ``first`` shortest paths (at most ``max_hops`` edges) through what the reader may
    see, each once; common identifiers are not steps unless ``include_common``.

    A bidirectional search, level by level: each step expands the smaller of the two
    frontiers (one statement, :func:`expand`, under the row rule), so a path of six hops costs
    three levels from each end rather than six from one. It stops at the first level where
    the two sides meet. Past its caps (``cap`` reports per level) or its time budget it
    answers the paths it found, marked ``truncated``; when it found none, it says so
    (``TooExpensive``) rather than answer "no path"."""
    if not 1 <= max_hops <= MAX_HOPS:
        raise BadInput(f"maxHops is 1 to {MAX_HOPS}", field="maxHops")
    if not 1 <= first <= 10:
        raise BadInput("first is 1 to 10", field="first")
    source = await start_node(db, from_id, walk)
    target = await start_node(db, to_id, walk)
    if source.id == target.id:
        return [Subgraph(nodes={source.id: source})]
    ends = {source.id, target.id}
    sides = (_Side(source), _Side(target))
    truncated = False
    meeting: list[str] = []
    while sides[0].depth + sides[1].depth < max_hops and not meeting:
        near, far = sorted(sides, key=lambda side: len(side.frontier))  # stable: source first
        steps = [n for n in near.frontier if not n.common or walk.include_common or n.id in ends]
        if not steps:
            break
        try:
            found, edges, _, cut = await expand(db, steps, walk, cap)
        except TooExpensive:
            truncated = True  # past its budget: what was found so far
            break
        truncated |= cut
        near.grow(steps, found, edges)
        meeting = near.meets(far)
    results = _join(sides[0], sides[1], meeting, first)
    if truncated and not results:
        raise TooExpensive(f"no path of at most {max_hops} hops was found within the search's "
                           "budget; ask for fewer hops or between less connected nodes")
    for graph in results:
        graph.truncated = truncated
    return results


class _Side:
    """One end of a bidirectional search: what it reached, at which depth, and from where
    (every predecessor at the shortest depth)."""

    def __init__(self, start: Node) -> None:
        self.depth = 0
        self.frontier = [start]
        self.reached: dict[str, tuple[Node, int]] = {start.id: (start, 0)}  # node, depth
        self.parents: dict[str, list[tuple[str, Edge]]] = {start.id: []}

    def grow(self, steps: Sequence[Node], found: Sequence[Node], edges: Sequence[Edge]) -> None:
        from_ids = {n.id for n in steps}
        by_id = {n.id: n for n in found}
        level: dict[str, Node] = {}
        for edge in sorted(edges, key=lambda e: e.id):
            for near, far in ((str(edge.report), edge.identifier),
                              (edge.identifier, str(edge.report))):
                if near in from_ids and far in by_id and far not in self.reached:
                    self.parents.setdefault(far, []).append((near, edge))
                    level[far] = by_id[far]
        self.depth += 1
        for node_id, node in level.items():
            self.reached[node_id] = (node, self.depth)
        self.frontier = sorted(level.values(), key=lambda n: n.id)

    def meets(self, other: _Side) -> list[str]:
        """The nodes this side's last level shares with ``other``, at the shortest total
        depth."""
        total = {n.id: self.depth + other.reached[n.id][1] for n in self.frontier
                 if n.id in other.reached}
        shortest = min(total.values(), default=None)
        return sorted(n for n, length in total.items() if length == shortest)

    def trails(self, node_id: str, limit: int) -> list[list[tuple[str, Edge]]]:
        """Up to ``limit`` trails from ``node_id`` back to the start: (node, edge into it)."""
        found: list[list[tuple[str, Edge]]] = []

        def back(node: str, trail: list[tuple[str, Edge]]) -> None:
            if len(found) >= limit:
                return
            if not self.parents[node]:
                found.append(trail)
                return
            for parent, edge in self.parents[node]:
                back(parent, [*trail, (parent, edge)])

        back(node_id, [])
        return found


def _join(source: _Side, target: _Side, meeting: Sequence[str], first: int) -> list[Subgraph]:
    """Up to ``first`` distinct paths through the meeting nodes, source to target."""
    results: list[Subgraph] = []
    seen_paths: set[tuple[str, ...]] = set()
    for middle in meeting:
        for back in source.trails(middle, first):
            for forth in target.trails(middle, first):
                steps = [*(n for n, _ in reversed(back)), middle, *(n for n, _ in forth)]
                if len(results) >= first:
                    return results
                if tuple(steps) in seen_paths:
                    continue
                seen_paths.add(tuple(steps))
                graph = Subgraph()
                for step in steps:
                    graph.nodes[step] = (source.reached.get(step) or target.reached[step])[0]
                for _, edge in (*back, *forth):
                    graph.edges[edge.id] = edge
                results.append(graph)
    return results


CLUSTER_CHUNK: Final = 16  # reports a cluster expands per step


async def cluster(db: Database, report_id: str, walk: Walk, *, min_shared: int = 1,
                  first: int = 500) -> Subgraph:
    """The reports linked to ``report_id``, directly or through each other, by at least
    ``min_shared`` identifiers that are not common; with the identifiers that link them.

    Breadth first, :data:`CLUSTER_CHUNK` reports a step (two statements: their identifiers,
    counted only as far as "common", then those identifiers' reports), so that the walk stops
    as soon as it holds ``first`` nodes instead of reading whole levels it would cut. A common
    identifier left out says it is common with ``reportCount`` ``threshold + 1`` (a lower
    bound: ``countIsMinimum``), as counting it further would cost what the walk saved."""
    if not 1 <= min_shared <= 10:
        raise BadInput("minShared is 1 to 10", field="minShared")
    if not 1 <= first <= MAX_NODES:
        raise BadInput(f"first is 1 to {MAX_NODES}", field="first")
    if not is_report_id(report_id):
        raise BadInput("cluster starts from a report id", field="reportId")
    walk = dataclasses.replace(walk, include_common=False)
    start = await start_node(db, report_id, walk)
    graph = Subgraph(nodes={start.id: start})
    waiting = [start]  # reports to expand, in the order they joined
    expanded: set[str] = set()
    while waiting:
        if len(graph.nodes) >= first:
            graph.truncated = True  # full: what is left would all be cut
            break
        chunk, waiting = waiting[:CLUSTER_CHUNK], waiting[CLUSTER_CHUNK:]
        expanded.update(n.id for n in chunk)
        try:
            identifiers, id_edges, omitted, _ = await expand(db, chunk, walk, FRONTIER_CAP,
                                                             bounded=True)
            for node in omitted:
                graph.omitted_common.setdefault(node.id, node)
            identifiers = [n for n in identifiers if n.id not in graph.nodes]
            if not identifiers:
                continue
            reports, report_edges, _, truncated = await expand(db, identifiers, walk,
                                                               FRONTIER_CAP)
        except TooExpensive:
            graph.truncated = True  # past its budget: what was found so far
            break
        graph.truncated |= truncated
        shared: dict[str, set[str]] = {}
        for edge in report_edges:
            shared.setdefault(str(edge.report), set()).add(edge.identifier)
        joined = [n for n in sorted(reports, key=_relevance)
                  if n.id not in graph.nodes and n.id not in expanded
                  and len(shared.get(n.id, ())) >= min_shared]
        if len(graph.nodes) + len(joined) > first:
            graph.truncated = True
            joined = joined[:max(first - len(graph.nodes), 0)]
        linking = {i for n in joined for i in shared[n.id]}
        for node in itertools.chain(joined, (n for n in identifiers if n.id in linking)):
            graph.nodes[node.id] = node
        for edge in itertools.chain(id_edges, report_edges):
            if str(edge.report) in graph.nodes and edge.identifier in graph.nodes:
                graph.edges.setdefault(edge.id, edge)
        waiting.extend(joined)
    return graph


async def subgraph_of(db: Database, node_ids: Sequence[str], walk: Walk) -> Subgraph:
    """The nodes named (at most :data:`MAX_NODES`) that the reader may see, and the links
    between them: what an explorer has on screen, read again under the row rule (an export)."""
    if len(node_ids) > MAX_NODES:
        raise BadInput(f"at most {MAX_NODES} nodes", field="nodeIds")
    ids = sorted({_check_id(str(n)) for n in node_ids})
    reports = [int(n) for n in ids if is_report_id(n)]
    identifiers = [n for n in ids if not is_report_id(n)]

    async def tx(tx: AsyncManagedTransaction) -> Subgraph:
        graph = Subgraph()
        for row in await run(tx, REPORTS_BY_IDS, ids=reports, rows=walk.rows):
            node = row["node"]
            graph.nodes[str(node["id"])] = Node(id=str(node["id"]), type="Report", props=node,
                                                degree=int(row["degree"]))
        for row in await run(tx, IDENTIFIERS_BY_IDS, ids=identifiers, rows=walk.rows):
            degree = int(row["degree"])
            graph.nodes[row["node"]["id"]] = Node(id=row["node"]["id"], type="Identifier",
                                                  props=row["node"], degree=degree,
                                                  common=degree > walk.threshold)
        for row in await run(tx, LINKS_BETWEEN, reports=graph.report_ids(),
                             identifiers=[n.id for n in graph.nodes.values()
                                          if n.type == "Identifier"]):
            edge = Edge(report=row["report"], identifier=row["identifier"], by=row["by"],
                        reported=row["reported"], mentions=row["mentions"])
            graph.edges[edge.id] = edge
        return graph

    return await db.read_within(walk.remaining(), tx)
