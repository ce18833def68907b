"""Link-analysis queries: neighborhood, degreePreview, paths, cluster (scope links:explore).

The traversals are in graph.links.walks and carry the row rule; here the caller's scope is checked,
the expensive-query rate limit applied, and every report in an answer is recorded for the audit
trail (the AuditTrail extension writes one event per operation, with those report ids).
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime

import strawberry
from strawberry.types import Info

from authz.roles import Scope
from graph.links import walks as links
from graph.links.walks import Subgraph
from resolvers.context import Context
from resolvers.enums import IdentifierKind
from resolvers.links.types import DegreePreview, GraphSubgraph, TypeCount


def _walk(info: Info[Context, None], *, include_common: bool = False,
          kinds: list[IdentifierKind] | None = None, since: datetime | None = None,
          until: datetime | None = None) -> links.Walk:
    principal = info.context.require(Scope.LINKS_EXPLORE)
    settings = info.context.services.reads
    return links.Walk(rows=principal.row_scope(),
                      threshold=settings.common_identifier_reports,
                      include_common=include_common,
                      kinds=[k.value for k in kinds] if kinds else None, since=since,
                      until=until,
                      deadline=time.monotonic() + settings.links_budget_seconds)


def _metered(info: Info[Context, None]) -> contextlib.AbstractContextManager[None]:
    """Traversals are limited by the calls and the time they take (the "expensive" limit)."""
    principal = info.context.authenticated()
    return info.context.services.limiter.metered("expensive", principal.subject)


def _answer(info: Info[Context, None], graph: Subgraph) -> GraphSubgraph:
    for report_id in graph.report_ids():
        info.context.touched_reports.add(report_id)
    pii = info.context.authenticated().has(Scope.PII_READ)
    return GraphSubgraph.of(graph, pii)


@strawberry.type
class LinkQueries:
    @strawberry.field(description=(
        "The reports and identifiers within `depth` hops (1-3) of a report or identifier, "
        "most relevant first (degree, then recency), at most `first` nodes (1-1000). Common "
        "identifiers are not expanded unless includeCommon; they are listed in omittedCommon. "
        "Only what you may see is walked or counted. Requires links:explore."))
    async def neighborhood(self, info: Info[Context, None], id: strawberry.ID, depth: int = 1,
                           kinds: list[IdentifierKind] | None = None,
                           since: datetime | None = None, until: datetime | None = None,
                           first: int = 200, include_common: bool = False) -> GraphSubgraph:
        walk = _walk(info, include_common=include_common, kinds=kinds, since=since, until=until)
        with _metered(info):
            graph = await links.neighborhood(info.context.services.db, str(id), walk, depth=depth,
                                             first=first)
        return _answer(info, graph)

    @strawberry.field(description=(
        "How many neighbours a node has, by type (identifier kinds for a report; Report for "
        "an identifier), counting only what you may see. Requires links:explore."))
    async def degree_preview(self, info: Info[Context, None],
                             id: strawberry.ID) -> DegreePreview:
        walk = _walk(info)
        with _metered(info):
            node, counts = await links.degree_preview(info.context.services.db, str(id), walk)
        if node.type == "Report":
            info.context.touched_reports.add(int(node.id))
        return DegreePreview(id=strawberry.ID(node.id), type=node.type,
                             total=sum(counts.values()),
                             by_type=[TypeCount(type=t, count=c) for t, c in counts.items()])

    @strawberry.field(description=(
        "Up to `first` (1-10) shortest paths of at most `maxHops` (1-6) edges between two "
        "nodes, each once, through reports you may see; common identifiers are not steps "
        "unless includeCommon. A search cut by its caps or time budget answers the paths it "
        "found with truncated: true (none found: BAD_USER_INPUT). Requires links:explore."))
    async def paths(self, info: Info[Context, None], from_id: strawberry.ID,
                    to_id: strawberry.ID, max_hops: int = 4, first: int = 3,
                    include_common: bool = False) -> list[GraphSubgraph]:
        walk = _walk(info, include_common=include_common)
        with _metered(info):
            found = await links.paths(info.context.services.db, str(from_id), str(to_id), walk,
                                      max_hops=max_hops, first=first)
        return [_answer(info, graph) for graph in found]

    @strawberry.field(description=(
        "The reports connected to a report, directly or through each other, by at least "
        "`minShared` identifiers that are not common, with the identifiers that link them; at "
        "most `first` nodes. Requires links:explore."))
    async def cluster(self, info: Info[Context, None], report_id: strawberry.ID,
                      min_shared: int = 1, first: int = 500) -> GraphSubgraph:
        walk = _walk(info)
        with _metered(info):
            graph = await links.cluster(info.context.services.db, str(report_id), walk,
                                        min_shared=min_shared, first=first)
        return _answer(info, graph)
