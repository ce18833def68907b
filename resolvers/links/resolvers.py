"""Link-analysis queries: neighborhood, degreePreview, paths, cluster (scope links:explore).

The traversals are in graph.links.walks and carry the row rule; here the caller's scope is checked,
the expensive-query rate limit applied, and every report in an answer is recorded for the audit
trail (the AuditTrail extension writes one event per operation, with those report ids).
"""

from __future__ import annotations

import contextlib
import enum
import time
from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from authz.roles import Scope
from graph.links import saved
from graph.links import walks as links
from graph.links.export import to_graphml, to_json
from graph.links.walks import Subgraph
from resolvers.context import REPLAYS, Context
from resolvers.enums import IdentifierKind
from resolvers.links.types import DegreePreview, GraphSubgraph, SavedView, TypeCount


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


async def _named(info: Info[Context, None], node_ids: list[strawberry.ID]) -> GraphSubgraph:
    """The nodes named that the reader may see, and the links between them (subgraph, and
    what exportGraph writes)."""
    walk = _walk(info)
    with _metered(info):
        graph = await links.subgraph_of(info.context.services.db, [str(n) for n in node_ids],
                                        walk)
    return _answer(info, graph)


@strawberry.enum(description="What an export of the graph on screen is written as.")
class ExportFormat(enum.Enum):
    GRAPHML = "GRAPHML"
    JSON = "JSON"
    PNG = "PNG"


@strawberry.type(description=(
    "An export of the nodes on screen, read again under your row rule and audited. GraphML "
    "and JSON carry the file; a PNG is drawn by the client, and this records that it was."))
class GraphExport:
    format: ExportFormat
    file_name: str
    media_type: str
    content: str | None = strawberry.field(description="The file (null for PNG).")
    nodes: int = strawberry.field(description="How many of the nodes named you may see.")
    edges: int


EXPORT_MEDIA = {ExportFormat.GRAPHML: ("graphml", "application/graphml+xml"),
                ExportFormat.JSON: ("json", "application/json"),
                ExportFormat.PNG: ("png", "image/png")}


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

    @strawberry.field(description=(
        "The nodes named (at most 1000) that you may see, and the links between them: a saved "
        "view or a shared list of ids, drawn again under your row rule. Requires "
        "links:explore."))
    async def subgraph(self, info: Info[Context, None],
                       node_ids: list[strawberry.ID]) -> GraphSubgraph:
        return await _named(info, node_ids)

    @strawberry.field(description=(
        "Export the nodes named (what your graph shows, at most 1000) with the links between "
        "them, as GraphML (Gephi, yEd, i2) or JSON; or record a PNG the client drew. Every "
        "node is read again under your row rule: what you may not see is left out. Audited, "
        "with every report exported. Requires links:explore."))
    async def export_graph(self, info: Info[Context, None], node_ids: list[strawberry.ID],
                           format: ExportFormat) -> GraphExport:
        view = (await _named(info, node_ids)).view
        extension, media = EXPORT_MEDIA[format]
        content = (to_graphml(view) if format is ExportFormat.GRAPHML
                   else to_json(view) if format is ExportFormat.JSON else None)
        return GraphExport(format=format, file_name=f"tipgraph-graph.{extension}",
                           media_type=media, content=content, nodes=len(view["nodes"]),
                           edges=len(view["edges"]))

    @strawberry.field(description=(
        "Your saved views of the graph, by name (yours alone). Requires links:explore."))
    async def saved_views(self, info: Info[Context, None]) -> list[SavedView]:
        principal = info.context.require(Scope.LINKS_EXPLORE)
        return [SavedView.of(v) for v in await saved.views(info.context.services.db,
                                                            Context.owner(principal))]


@strawberry.type
class ViewMutations:
    @strawberry.mutation(description=(
        "Save the graph you drew under a name (replacing your view of that name): node ids "
        "and positions, what was expanded, the filters; at most 64 KB, 100 views. Opening it "
        "reads every node again under your row rule. Requires links:explore. " + REPLAYS))
    async def save_view(self, info: Info[Context, None], name: str, view: JSON,
                        idempotency_key: str | None = None) -> SavedView:
        principal = info.context.require(Scope.LINKS_EXPLORE)
        info.context.mutating(principal)
        change = info.context.change(principal, idempotency_key, "SAVE_VIEW", name, view)
        return SavedView.of(await saved.save_view(info.context.services.db,
                                                  Context.owner(principal), name, view,
                                                  change))

    @strawberry.mutation(description=(
        "Delete one of your saved views: true when there was one. Requires links:explore. "
        + REPLAYS))
    async def delete_view(self, info: Info[Context, None], name: str,
                          idempotency_key: str | None = None) -> bool:
        principal = info.context.require(Scope.LINKS_EXPLORE)
        info.context.mutating(principal)
        change = info.context.change(principal, idempotency_key, "DELETE_VIEW", name)
        return await saved.delete_view(info.context.services.db, Context.owner(principal), name,
                                       change)
