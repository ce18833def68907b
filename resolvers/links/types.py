"""Link analysis in GraphQL: subgraphs of nodes and edges, as explorers draw them.

Every node and edge says where it comes from: a report node names its ESP (``reporterId``) and
when it was submitted; an identifier node when it was first seen and how many reports (that the
reader may see) mention it; an edge names who said so (the ESP), when, and on what basis (the
role the identifier plays in the report, and the capture event). Identifier values are personal
data: without ``pii:read`` a node shows only its kind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graph.links import Edge, Node, Subgraph


def _plain(value: Any) -> Any:
    """Neo4j temporal values as ISO strings; everything else as it is."""
    if hasattr(value, "to_native"):
        native = value.to_native()
        return native.isoformat() if isinstance(native, datetime) else str(native)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@strawberry.type(description="A report or an identifier in a subgraph.")
class GraphNode:
    id: strawberry.ID
    type: str = strawberry.field(description="Report or Identifier.")
    label: str
    common: bool = strawberry.field(description=(
        "An identifier mentioned by more reports than TIPGRAPH_COMMON_IDENTIFIER_REPORTS."))
    properties: JSON = strawberry.field(description=(
        "Facts and provenance: for a report its status, incident type, priority, ESP "
        "(reporterId) and submission time; for an identifier its kind, value (pii:read), "
        "firstSeenAt and reportCount."))

    @classmethod
    def of(cls, node: Node, pii: bool) -> GraphNode:
        props = dict(node.props)
        if node.type == "Report":
            label = f"Report {props['id']}"
            if props.get("incidentType"):
                label += f" · {props['incidentType'].replace('_', ' ').lower()}"
        else:
            if not pii:
                props.pop("value", None)
            label = f"{props['kind']}: {props['value']}" if pii else f"{props['kind']} (value "\
                "needs pii:read)"
            props["reportCount"] = node.degree
        props["degree"] = node.degree
        return cls(id=strawberry.ID(node.id), type=node.type, label=label, common=node.common,
                   properties=_plain(props))


@strawberry.type(description="A report mentions an identifier: who said so, when, and why.")
class GraphEdge:
    id: strawberry.ID
    type: str = strawberry.field(description="MENTIONS.")
    source: strawberry.ID = strawberry.field(description="The report.")
    target: strawberry.ID = strawberry.field(description="The identifier.")
    properties: JSON = strawberry.field(description=(
        "roles, events, source (ESP), by (the ESP's id), at (when reported) and basis (one "
        "plain sentence)."))

    @classmethod
    def of(cls, edge: Edge) -> GraphEdge:
        roles = sorted({m.get("role") or "UNKNOWN" for m in edge.mentions})
        events = sorted({m["event"] for m in edge.mentions if m.get("event")})
        at = _plain(edge.reported)
        basis = (f"ESP {edge.by} reported it in report {edge.report} as "
                 + ", ".join(r.replace("_", " ").lower() for r in roles))
        if events:
            basis += f" (captured at {', '.join(e.lower() for e in events)})"
        return cls(id=strawberry.ID(edge.id), type="MENTIONS",
                   source=strawberry.ID(str(edge.report)),
                   target=strawberry.ID(edge.identifier),
                   properties=JSON({"roles": roles, "events": events, "source": "ESP",
                                    "by": edge.by, "at": at, "basis": basis + ".",
                                    "captured": _plain([m.get("at") for m in edge.mentions
                                                        if m.get("at")])}))


@strawberry.type(description="A common identifier left out of a traversal, so you know.")
class OmittedIdentifier:
    id: strawberry.ID
    kind: str
    value: str | None = strawberry.field(description="Needs pii:read.")
    report_count: int


@strawberry.type(name="Subgraph", description="Nodes and edges, as link-analysis tools draw them.")
class GraphSubgraph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = strawberry.field(description="A size or hop cap cut something off.")
    omitted_common: list[OmittedIdentifier]

    @classmethod
    def of(cls, graph: Subgraph, pii: bool) -> GraphSubgraph:
        return cls(
            nodes=[GraphNode.of(n, pii) for n in graph.nodes.values()],
            edges=[GraphEdge.of(e) for e in graph.edges.values()],
            truncated=graph.truncated,
            omitted_common=[OmittedIdentifier(
                id=strawberry.ID(n.id), kind=n.props["kind"],
                value=n.props.get("value") if pii else None, report_count=n.degree)
                for n in graph.omitted_common.values()],
        )


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
