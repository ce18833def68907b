"""Query documents generated from the schema, for the noninterference test.

:func:`documents` walks the GraphQL schema from every root query field and selects every field
it can reach within ``depth`` levels (each type at most twice on a path, so cycles such as
Report → Identifier → reports → Report stop), with every union and interface member. Nested
fields whose arguments have defaults are asked twice: as the defaults give them, and under an
alias with the other choices (``true`` for booleans, ``1`` for page sizes), so that
``crossReferences(includeCommon: true)`` or ``referralPackage(agencyId: ...)`` are covered.
Root fields are asked with every combination of values from :class:`Pools` for their
arguments, and ``reports`` with each filter field alone, each order and cursor.

The corpus is data, not a hand-written list: a field added to the schema is covered by the
next run.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    get_named_type,
)

# Root fields that are not reads of report data: the supergraph's SDL, and the public
# statistics, which are published aggregates of every submitted report by design (suppressed,
# documented in the README: "global by nature").
NOT_IN_CORPUS = frozenset({"_service", "statistics"})
# Fields that render documents (a signed PDF each): asked only where the root field returns
# their type, not under every nested report.
EXPENSIVE = frozenset({"referralPackage"})
LISTS = frozenset({"reports"})
SHALLOW = 3  # a connection, its edges, and each report's own fields and their objects


@dataclass
class Pools:
    """Values for arguments, by argument name (else by type)."""

    report_ids: list[str]
    identifier_ids: list[str]
    agency_ids: list[str]
    file_ids: list[str]
    identifiers: list[dict[str, Any]]  # {kind, value, scope} of identifiers in the world
    reporter_ids: list[str]
    jurisdiction_codes: list[str]
    cursors: dict[str, list[str]] = field(default_factory=dict)  # root field -> endCursors


@dataclass(frozen=True)
class Document:
    name: str
    query: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class Enum:
    name: str


def _unwrap(kind: GraphQLType) -> GraphQLType:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return kind


def _literal(value: Any) -> str:
    """A GraphQL literal for a JSON-like value (enum names are passed as ``Enum(name)``)."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


class Generator:
    def __init__(self, schema: GraphQLSchema, pools: Pools, depth: int = 5) -> None:
        self.schema = schema
        self.pools = pools
        self.depth = depth

    # -- selection sets ---------------------------------------------------------------------

    def selection(self, named: GraphQLNamedType, depth: int, path: tuple[str, ...]) -> str:
        if isinstance(named, GraphQLUnionType):
            return "__typename " + " ".join(
                f"... on {member.name} {{ {self.selection(member, depth, path)} }}"
                for member in named.types)
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        parts = []
        if isinstance(named, GraphQLInterfaceType):
            parts.append("__typename")
            for member in self.schema.get_possible_types(named):
                parts.append(f"... on {member.name} {{ {self.selection(member, depth, path)} }}")
        for name, definition in sorted(named.fields.items()):
            parts.extend(self._field(name, definition, depth, (*path, named.name)))
        return " ".join(parts) or "__typename"

    def _field(self, name: str, definition: GraphQLField, depth: int,
               path: tuple[str, ...]) -> Iterator[str]:
        if any(isinstance(a.type, GraphQLNonNull) and a.default_value is None
               and not self._nested_value(arg_name, a) for arg_name, a in
               definition.args.items()):
            return  # a required argument the corpus has no value for
        if name in EXPENSIVE and len(path) > 2:
            return
        target = get_named_type(definition.type)
        leaf = isinstance(target, GraphQLScalarType | GraphQLEnumType)
        if not leaf:
            if depth <= 0 or path.count(target.name) >= 2:
                return
            body = " { " + self.selection(target, depth - 1, path) + " }"
        else:
            body = ""
        required = {arg_name: self._nested_value(arg_name, a) for arg_name, a in
                    definition.args.items()
                    if isinstance(a.type, GraphQLNonNull) and a.default_value is None}
        yield name + self._arguments(required) + body
        choices = self._choices(definition) if len(path) <= 3 else {}
        if choices:
            yield f"v_{name}: {name}" + self._arguments({**required, **choices}) + body

    def _nested_value(self, name: str, argument: GraphQLArgument) -> Any:
        if name == "agencyId":
            return self.pools.agency_ids[0] if self.pools.agency_ids else None
        return None

    def _choices(self, definition: GraphQLField) -> dict[str, Any]:
        choices: dict[str, Any] = {}
        for name, argument in definition.args.items():
            kind = _unwrap(argument.type)
            if name == "agencyId":
                choices[name] = self.pools.agency_ids[0]
            elif kind is self.schema.get_type("Boolean"):
                choices[name] = True
            elif name == "first":
                choices[name] = 1
        return choices

    @staticmethod
    def _arguments(values: dict[str, Any]) -> str:
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return ""
        return "(" + ", ".join(f"{k}: {_literal(v)}" for k, v in given.items()) + ")"

    # -- root fields --------------------------------------------------------------------------

    def documents(self) -> Iterator[Document]:
        query = self.schema.query_type
        assert query is not None
        for name, definition in sorted(query.fields.items()):
            if name in NOT_IN_CORPUS:
                continue
            target = get_named_type(definition.type)
            full = shallow = ""
            if not isinstance(target, GraphQLScalarType | GraphQLEnumType):
                full = " { " + self.selection(target, self.depth, ("Query",)) + " }"
                shallow = " { " + self.selection(target, SHALLOW, ("Query",)) + " }"
            for i, arguments in enumerate(self.root_arguments(name, definition)):
                # Variants of a list (filters, orders, cursors) decide which reports appear
                # and what is counted: the first asks for everything, the rest stay shallow.
                body = shallow if name in LISTS and i > 0 else full
                yield Document(f"{name}#{i}", f"query {{ {name}{self._arguments(arguments)}"
                                              f"{body} }}", {})

    def root_arguments(self, name: str, definition: GraphQLField) -> Iterator[dict[str, Any]]:
        pools = self.pools
        ids = [*pools.report_ids, *pools.identifier_ids]
        if name == "_entities":
            representations = (
                [{"__typename": "Report", "id": i} for i in pools.report_ids]
                + [{"__typename": "Identifier", "id": i} for i in pools.identifier_ids]
                + [{"__typename": "Agency", "id": i} for i in pools.agency_ids]
                + [{"__typename": "Jurisdiction", "code": c} for c in pools.jurisdiction_codes])
            yield {"representations": representations}
        elif name in ("report",):
            for report_id in [*pools.report_ids, "999999999"]:
                yield {"id": report_id}
        elif name in ("neighborhood",):
            for node_id, depth, common in itertools.product(ids, (1, 2), (False, True)):
                yield {"id": node_id, "depth": depth, "includeCommon": common}
        elif name == "degreePreview":
            yield from ({"id": i} for i in ids)
        elif name == "paths":
            for a, b in itertools.combinations(ids[:6], 2):
                yield {"fromId": a, "toId": b, "maxHops": 4}
                yield {"fromId": a, "toId": b, "maxHops": 4, "includeCommon": True}
        elif name == "subgraph":
            yield {"nodeIds": ids}
        elif name == "exportGraph":
            for form in ("GRAPHML", "JSON", "PNG"):
                yield {"nodeIds": ids, "format": Enum(form)}
        elif name == "cluster":
            yield from ({"reportId": i} for i in pools.report_ids)
        elif name == "identifier":
            for ident in pools.identifiers:
                yield {"kind": Enum(ident["kind"]), "value": ident["value"],
                       "scope": ident["scope"]}
        elif name == "agency":
            yield from ({"id": i} for i in pools.agency_ids)
        elif name == "reports":
            yield from self.report_arguments(definition)
        elif name == "agencyQueue":
            yield {}
            yield {"first": 1, "offset": 1}
        elif name == "hashLists":
            yield {}
            yield {"name": "corpus-list"}
        elif name == "classificationSchemes":
            yield {"countries": ["DE"]}
        elif name == "auditEvents" or not definition.args:
            yield {}
        else:
            raise AssertionError(f"the corpus has no arguments for Query.{name}: add them")

    def report_arguments(self, definition: GraphQLField) -> Iterator[dict[str, Any]]:
        yield {}
        yield {"first": 1}
        yield {"filter": {"collapseBundles": True}, "first": 2}
        for cursor in self.pools.cursors.get("reports", []):
            yield {"first": 1, "after": cursor}
            yield {"filter": {"collapseBundles": True}, "first": 1, "after": cursor}
        filter_type = _unwrap(definition.args["filter"].type)
        assert isinstance(filter_type, GraphQLInputObjectType)
        for name, input_field in sorted(filter_type.fields.items()):
            for value in self.filter_values(name, input_field.type):
                yield {"filter": {name: value}}
        order_type = self.schema.get_type("ReportOrderField")
        assert isinstance(order_type, GraphQLEnumType)
        for order, direction in itertools.product(order_type.values, ("ASC", "DESC")):
            yield {"orderBy": [{"field": Enum(order), "direction": Enum(direction)}]}

    def filter_values(self, name: str, kind: GraphQLType) -> Sequence[Any]:
        pools = self.pools
        inner = _unwrap(kind)
        if name == "identifier":
            return [{"kind": Enum(i["kind"]), "value": i["value"], "scope": i["scope"]}
                    for i in pools.identifiers]
        if name == "reporterIds":
            return [pools.reporter_ids]
        if name == "jurisdictionCodes":
            return [pools.jurisdiction_codes]
        if name in ("submittedAfter", "submittedBefore"):
            return ["2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"]
        if isinstance(inner, GraphQLList):
            element = get_named_type(inner)
            if isinstance(element, GraphQLEnumType):
                return [[Enum(v)] for v in element.values]
        if inner is self.schema.get_type("Boolean"):
            return [True, False]
        if name == "collapseBundles":
            return []
        raise AssertionError(f"the corpus has no values for ReportFilter.{name}: add them")


def documents(schema: GraphQLSchema, pools: Pools, depth: int = 5) -> list[Document]:
    return list(Generator(schema, pools, depth).documents())
