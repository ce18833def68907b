"""Link analysis in GraphQL: subgraphs of nodes and edges, as explorers draw them.

Every node and edge says where it comes from: a report node names its ESP (``reporterId``) and
when it was submitted; an identifier node when it was first seen and how many reports (that the
reader may see) mention it; an edge names who said so (the ESP), when, and on what basis (the
role the identifier plays in the report, and the capture event). Identifier values are personal
data: without ``pii:read`` a node shows only its kind. The views come from graph.links.export, which
``tipgraph export`` and the ``graphml`` field share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graph.links.export import subgraph_view, to_graphml
from graph.links.walks import Subgraph


@strawberry.type(description="A report or an identifier in a subgraph.")
class GraphNode:
    id: strawberry.ID
    type: str = strawberry.field(description="Report or Identifier.")
    label: str
    common: bool = strawberry.field(description=(
        "An identifier mentioned by more submitted reports you may see than "
        "TIPGRAPH_COMMON_IDENTIFIER_REPORTS."))
    properties: JSON = strawberry.field(description=(
        "Facts and provenance: for a report its status, incident type, priority, ESP "
        "(reporterId) and submission time; for an identifier its kind, value (pii:read), "
        "firstSeenAt (the earliest report you may see that names it) and reportCount (the "
        "submitted reports you may see that name it)."))


@strawberry.type(description="A report mentions an identifier: who said so, when, and why.")
class GraphEdge:
    id: strawberry.ID
    type: str = strawberry.field(description="MENTIONS.")
    source: strawberry.ID = strawberry.field(description="The report.")
    target: strawberry.ID = strawberry.field(description="The identifier.")
    properties: JSON = strawberry.field(description=(
        "roles, events, source (ESP), by (the ESP's id), at (when reported) and basis (one "
        "plain sentence)."))


@strawberry.type(description="A common identifier left out of a traversal, so you know.")
class OmittedIdentifier:
    id: strawberry.ID
    kind: str
    value: str | None = strawberry.field(description="Needs pii:read.")
    report_count: int = strawberry.field(description=(
        "The submitted reports you may see that name it; a lower bound when countIsMinimum."))
    count_is_minimum: bool = strawberry.field(description=(
        "True when counting stopped once the identifier was known to be common (a cluster "
        "does): reportCount is then TIPGRAPH_COMMON_IDENTIFIER_REPORTS + 1, \"more than\"."))


@strawberry.type(name="Subgraph", description="Nodes and edges, as link-analysis tools draw them.")
class GraphSubgraph:
    view: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, graph: Subgraph, pii: bool) -> GraphSubgraph:
        return cls(view=subgraph_view(graph, pii))

    @strawberry.field
    def nodes(self) -> list[GraphNode]:
        return [GraphNode(id=strawberry.ID(n["id"]), type=n["type"], label=n["label"],
                          common=n["common"], properties=JSON(n["properties"]))
                for n in self.view["nodes"]]

    @strawberry.field
    def edges(self) -> list[GraphEdge]:
        return [GraphEdge(id=strawberry.ID(e["id"]), type=e["type"],
                          source=strawberry.ID(e["source"]), target=strawberry.ID(e["target"]),
                          properties=JSON(e["properties"])) for e in self.view["edges"]]

    @strawberry.field(description="A size or hop cap cut something off.")
    def truncated(self) -> bool:
        return bool(self.view["truncated"])

    @strawberry.field
    def omitted_common(self) -> list[OmittedIdentifier]:
        return [OmittedIdentifier(id=strawberry.ID(o["id"]), kind=o["kind"], value=o["value"],
                                  report_count=o["reportCount"],
                                  count_is_minimum=o["countIsMinimum"])
                for o in self.view["omittedCommon"]]

    @strawberry.field(description=(
        "The same subgraph as GraphML (Gephi, yEd, i2), as `tipgraph export` writes it."))
    def graphml(self) -> str:
        return to_graphml(self.view)


@strawberry.type
class TypeCount:
    type: str
    count: int


@strawberry.type(description="How many neighbours a node has, by type, before expanding it.")
class DegreePreview:
    id: strawberry.ID
    type: str
    total: int
    by_type: list[TypeCount]


@strawberry.type(description="A graph you saved (graph.links.saved): yours alone.")
class SavedView:
    name: str
    view: JSON = strawberry.field(description=(
        "What the workspace draws again: node ids and positions, what was expanded, the "
        "filters. Never the facts: those are read again, under your row rule."))
    created_at: datetime
    saved_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> SavedView:
        return cls(name=row["name"], view=JSON(row["view"]),
                   created_at=datetime.fromisoformat(row["createdAt"]),
                   saved_at=datetime.fromisoformat(row["savedAt"]))
