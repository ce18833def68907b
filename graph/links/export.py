"""Subgraphs as link-analysis tools read them: plain views, GraphML (Gephi, yEd, i2) and JSON.

One view of nodes and edges serves the GraphQL ``Subgraph`` type, its ``graphml`` field and
``tipgraph export``, so the three always agree. Identifier values are personal data: without
``pii`` a view carries the kind only.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Final

from lxml import etree

from graph.links.walks import Edge, Node, Subgraph

GRAPHML_NS: Final = "http://graphml.graphdrawing.org/xmlns"
# GraphML attributes: (id, for, name, type)
KEYS: Final = (
    ("d_type", "node", "type", "string"), ("d_label", "node", "label", "string"),
    ("d_common", "node", "common", "boolean"), ("d_properties", "node", "properties", "string"),
    ("e_type", "edge", "type", "string"), ("e_basis", "edge", "basis", "string"),
    ("e_by", "edge", "by", "string"), ("e_at", "edge", "at", "string"),
    ("e_properties", "edge", "properties", "string"),
)


def plain(value: Any) -> Any:
    """Neo4j temporal values as ISO strings; everything else as it is."""
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def node_view(node: Node, pii: bool) -> dict[str, Any]:
    props = dict(node.props)
    if node.type == "Report":
        label = f"Report {props['id']}"
        if props.get("incidentType"):
            label += f" · {props['incidentType'].replace('_', ' ').lower()}"
    else:
        if not pii:
            props.pop("value", None)
        label = (f"{props['kind']}: {props['value']}" if pii
                 else f"{props['kind']} (value needs pii:read)")
        if props.get("scope"):  # the service of an account, the algorithm of a hash
            label += f" · {props['scope']}"
        props["reportCount"] = node.degree
    props["degree"] = node.degree
    return {"id": node.id, "type": node.type, "label": label, "common": node.common,
            "properties": plain(props)}


def edge_view(edge: Edge) -> dict[str, Any]:
    roles = sorted({m.get("role") or "UNKNOWN" for m in edge.mentions})
    events = sorted({m["event"] for m in edge.mentions if m.get("event")})
    basis = (f"ESP {edge.by} reported it in report {edge.report} as "
             + ", ".join(r.replace("_", " ").lower() for r in roles))
    if events:
        basis += f" (captured at {', '.join(e.lower() for e in events)})"
    return {"id": edge.id, "type": "MENTIONS", "source": str(edge.report),
            "target": edge.identifier,
            "properties": {"roles": roles, "events": events, "source": "ESP", "by": edge.by,
                           "at": plain(edge.reported), "basis": basis + ".",
                           "captured": plain([m.get("at") for m in edge.mentions
                                              if m.get("at")]),
                           "ports": sorted({m["port"] for m in edge.mentions
                                            if m.get("port") is not None})}}


def subgraph_view(graph: Subgraph, pii: bool) -> dict[str, Any]:
    return {
        "nodes": [node_view(n, pii) for n in graph.nodes.values()],
        "edges": [edge_view(e) for e in graph.edges.values()],
        "truncated": graph.truncated,
        "omittedCommon": [{"id": n.id, "kind": n.props["kind"],
                           "value": n.props.get("value") if pii else None,
                           "reportCount": n.degree,
                           "countIsMinimum": n.props.get("firstSeenAt") is None}
                          for n in graph.omitted_common.values()],
    }


def to_json(view: dict[str, Any]) -> str:
    return json.dumps(view, indent=2, sort_keys=True)


def to_graphml(view: dict[str, Any]) -> str:
    root = etree.Element(f"{{{GRAPHML_NS}}}graphml",
                         nsmap={None: GRAPHML_NS})  # type: ignore[dict-item]
    for key_id, target, name, kind in KEYS:
        etree.SubElement(root, f"{{{GRAPHML_NS}}}key", id=key_id, attrib={
            "for": target, "attr.name": name, "attr.type": kind})
    graph = etree.SubElement(root, f"{{{GRAPHML_NS}}}graph", id="tipgraph",
                             edgedefault="directed")

    def data(parent: Any, key: str, value: Any) -> None:
        if value is not None:
            element = etree.SubElement(parent, f"{{{GRAPHML_NS}}}data", key=key)
            element.text = (value if isinstance(value, str)
                            else json.dumps(value, sort_keys=True) if isinstance(value, dict)
                            else str(value).lower() if isinstance(value, bool) else str(value))

    for node in view["nodes"]:
        element = etree.SubElement(graph, f"{{{GRAPHML_NS}}}node", id=node["id"])
        data(element, "d_type", node["type"])
        data(element, "d_label", node["label"])
        data(element, "d_common", node["common"])
        data(element, "d_properties", node["properties"])
    for edge in view["edges"]:
        element = etree.SubElement(graph, f"{{{GRAPHML_NS}}}edge", id=edge["id"],
                                   source=edge["source"], target=edge["target"])
        properties = edge["properties"]
        data(element, "e_type", edge["type"])
        data(element, "e_basis", properties["basis"])
        data(element, "e_by", properties["by"])
        data(element, "e_at", properties["at"])
        data(element, "e_properties", properties)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                          pretty_print=True).decode()
