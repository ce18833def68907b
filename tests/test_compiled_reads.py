"""The compiled read path answers exactly what the executor answers (a differential test).

Two apps serve one graph: one with compiled reads, one without. Documents go to both, for every
kind of reader, and the JSON must be the same, ``data`` and ``errors`` alike:

- documents generated with Hypothesis from the schema (random selections over Report and
  everything below it: files, classifications, identifiers, referrals; aliases, fragments,
  inline fragments, ``__typename``, literal ``@include``/``@skip``, pages with cursors; now and
  then a field the plan does not cover), drawn reproducibly;
- the corpus the noninterference test sends (tests/corpus.py: every root field, every filter,
  order and cursor of ``reports``), with, for each document over reports, its variant without
  the fields and arguments the plan does not cover (so that it compiles);
- every query document written in the test suite's own sources, with variables from the world
  (but the audit trail's: each ask adds to what it answers).

The compiled app compiles a document once its executor has validated it: each document is asked
of it once first (its executor answers), and the metrics say how many answers were compiled.
What differs between two identical asks (a referral package's signature and time) is masked as
in the noninterference test.
"""

from __future__ import annotations

import ast
import inspect
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from graphql import (
    FieldNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    parse,
    print_ast,
)
from graphql.error import GraphQLSyntaxError
from graphql.language import REMOVE, DocumentNode, Visitor, visit
from hypothesis import strategies as st

from authz.roles import Role
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.reports import loaders as report_loaders
from graph.reports.reporters import register_reporter
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider
from resolvers.reports.types import (
    FILE_READS,
    LABEL_READS,
    MENTION_READS,
    REPORT_READS,
    STORED_AS_SENT,
    Classification,
    File,
    Report,
    ReportIdentifier,
)
from resolvers.schema import build_schema
from resolvers.settings import EdgeLimits
from tests.conftest import Api, Tokens
from tests.corpus import Pools, documents
from tests.corpus_world import (
    VOLATILE,
    Client,
    build_visible,
    client,
    end_cursors,
    pools,
    stable,
)
from tests.documents import FULL_INPUT, SUBMIT_REPORT
from tests.helpers import examples

BUILT = build_schema(production=False)
SCHEMA = BUILT._schema
SCHEMA_NAMES = BUILT.config.name_converter
MAX_DEPTH = 4
GENERATED: Final = 60  # documents Hypothesis draws
COMPILED_ROOTS: Final = frozenset({"report", "reports"})
COMPILED_ARGUMENTS: Final = frozenset({"id", "first", "after"})
UNALIASED: Final = VOLATILE | {"json"}  # a referral package's JSON carries its time
CHANGES_WITH_EVERY_ASK: Final = frozenset({"auditEvents"})
TESTS: Final = Path(__file__).parent
Asked = tuple[str, dict[str, Any] | None]


def _named(type_: GraphQLOutputType) -> GraphQLOutputType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _object(type_: GraphQLOutputType) -> GraphQLObjectType | None:
    named = _named(type_)
    return named if isinstance(named, GraphQLObjectType) else None


class Documents:
    """Random documents over a report, from the schema, drawn from ``source``."""

    def __init__(self, source: random.Random) -> None:
        self.random = source
        self.fragments: list[str] = []

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        r = self.random
        names = sorted(type_.fields)
        plain = [n for n in names if not type_.fields[n].args]
        chosen = r.sample(plain, k=min(len(plain), r.randint(1, 6)))
        if r.random() < 0.08:  # a field the plan does not cover: the executor answers
            with_args = [n for n in names if type_.fields[n].args
                         and not any(isinstance(a.type, GraphQLNonNull)
                                     for a in type_.fields[n].args.values())]
            chosen += r.sample(with_args, k=min(1, len(with_args)))
        parts = []
        for name in chosen:
            inner = _object(type_.fields[name].type)
            if inner is not None:
                if depth >= MAX_DEPTH:
                    continue
                body = "{ " + self.selection(inner, depth + 1) + " }"
            else:
                body = ""
            # a volatile field keeps its name: the comparison masks it by name (stable)
            alias = (f"a{r.randint(0, 9)}_{name}: " if r.random() < 0.15
                     and name not in UNALIASED else "")
            directive = r.choice(["", "", "", "", " @include(if: true)", " @skip(if: true)",
                                  " @include(if: false)"])
            parts.append(f"{alias}{name}{directive} {body}".strip())
        if r.random() < 0.2:
            parts.append("__typename")
        if r.random() < 0.2 and parts:
            parts = [f"... on {type_.name} {{ {' '.join(parts)} }}"]
        elif r.random() < 0.15 and parts:
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {type_.name} {{ {' '.join(parts)} }}")
            parts = [f"...{name}"]
        return " ".join(parts) or "__typename"

    def document(self) -> tuple[str, dict[str, Any]]:
        """A query, and its variables' kinds: ``$id`` is every visible report's id, ``$after``
        every end cursor the reader's first pages gave."""
        self.fragments = []
        report = SCHEMA.type_map["Report"]
        assert isinstance(report, GraphQLObjectType)
        body = self.selection(report, 1)
        page = ("pageInfo { hasNextPage endCursor } totalCount "
                f"edges {{ cursor node {{ {body} }} }}")
        first = self.random.choice([1, 2, 5])
        kind = self.random.choice(["report", "page", "page", "after"])
        if kind == "report":
            query = f"query One($id: ID!) {{ report(id: $id) {{ {body} }} }}"
            variables: dict[str, Any] = {"id": "REPORT"}
        elif kind == "page":
            query = f"query Page {{ reports(first: {first}) {{ {page} }} }}"
            variables = {}
        else:
            query = (f"query After($after: String) {{ reports(first: {first}, after: $after) "
                     f"{{ {page} }} }}")
            variables = {"after": "CURSOR"}
        return " ".join([query, *self.fragments]), variables


GENERATE: Final = st.randoms(use_true_random=False).map(lambda r: Documents(r).document())


def readers(c: Client) -> dict[str, str]:
    """A token for every kind of reader of esp-p's world (tests/corpus_world.py)."""
    mint = c.tokens.mint
    return {"analyst": mint(Role.ANALYST), "auditor": mint(Role.AUDITOR),
            "esp": c.tokens.esp("esp-p"), "le": mint(Role.LE, agency_id="agency-p"),
            "le-without-pii": mint(Role.LE, agency_id="agency-p",
                                   scope="report:read files:read links:explore"),
            "le-without-files": mint(Role.LE, agency_id="agency-p", scope="report:read"),
            "le-sees-all": mint(Role.LE, agency_id="agency-all")}


class _Uncompilable(Visitor):
    """Takes out what the plan does not cover: arguments other than a report's id and a page's
    first and after at the root, and every field with arguments below it."""

    def enter_field(self, node: FieldNode, key: Any, parent: Any, path: Any,
                    ancestors: list[Any]) -> Any:
        depth = sum(isinstance(a, FieldNode) for a in ancestors)
        if depth == 0:
            return FieldNode(alias=node.alias, name=node.name, directives=node.directives,
                             selection_set=node.selection_set, arguments=tuple(
                                 a for a in node.arguments or ()
                                 if a.name.value in COMPILED_ARGUMENTS))
        return REMOVE if node.arguments else None


def compilable(query: str) -> str:
    """``query`` without what the plan does not cover."""
    document: DocumentNode = visit(parse(query), _Uncompilable())
    return print_ast(document)


def _roots(query: str) -> set[str]:
    return {selection.name.value for definition in parse(query).definitions
            if isinstance(definition, OperationDefinitionNode)
            for selection in definition.selection_set.selections
            if isinstance(selection, FieldNode)}


def suite_documents() -> Iterator[str]:
    """Every query document written as one string in the suite's sources."""
    seen: set[str] = set()
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value.strip()
            if text in seen or not text.startswith(("query", "{", "fragment")):
                continue
            try:
                operations = [d for d in parse(text).definitions
                              if isinstance(d, OperationDefinitionNode)]
            except GraphQLSyntaxError:
                continue
            if operations and all(o.operation is OperationType.QUERY for o in operations):
                seen.add(text)
                yield text


def with_variables(query: str, found: Pools, cursors: list[str]) -> Iterator[Asked]:
    """``query`` with values from the world for the variables the suite's documents use (each
    visible report for ``$id``), and nothing for the rest (the executor's error, then)."""
    names = {v.variable.name.value for d in parse(query).definitions
             if isinstance(d, OperationDefinitionNode) for v in d.variable_definitions or ()}
    fixed: dict[str, Any] = {"year": 2026, "y": 2026, "common": True, "first": 2,
                             "agency": found.agency_ids[0], "reportId": found.report_ids[0],
                             "r": [{"__typename": "Report", "id": i} for i in found.report_ids]}
    variables = {name: fixed[name] for name in names if name in fixed}
    for cursor in (cursors[:1] if names & {"a", "after"} else [None]):
        given = {**variables, **({"a": cursor, "after": cursor} if cursor else {})}
        if "id" in names:
            yield from ((query, {**given, "id": i}) for i in found.report_ids)
        else:
            yield query, {k: v for k, v in given.items() if k in names}


async def compiled_count(c: Client) -> float:
    text = (await c.http.get("/metrics")).text
    return sum(float(v) for v in re.findall(
        r'tipgraph_graphql_operations_total\{operation="[^"]*",path="compiled"\} ([0-9.e+]+)',
        text))


async def differential(executor: Client, compiled: Client, asked: dict[str, list[Asked]],
                       tokens: dict[str, str]) -> tuple[int, int]:
    """Asks both apps every reader's documents (``asked`` by reader); the answers must be the
    same. Returns how many were compared and how many carried a report."""
    first: dict[str, dict[str, Any] | None] = {}
    for pairs in asked.values():
        for query, variables in pairs:
            first.setdefault(query, variables)
    for query, variables in first.items():  # its executor validates each document
        await compiled.ask(query, variables, tokens["analyst"])
    compared = with_reports = 0
    for reader, pairs in asked.items():
        for query, variables in pairs:
            expected = stable(await executor.ask(query, variables, tokens[reader]))
            answer = stable(await compiled.ask(query, variables, tokens[reader]))
            assert json.dumps(answer) == json.dumps(expected), (reader, query, variables)
            compared += 1
            roots = [v for v in (expected.get("data") or {}).values() if v]
            with_reports += any(root.get("edges", True) for root in roots
                                if isinstance(root, dict))
    return compared, with_reports


async def test_generated_documents_answer_alike(neo4j_uri: str, tmp_path: Path, db: Database,
                                               tokens: Tokens) -> None:
    drawn: list[tuple[str, dict[str, Any]]] = examples(GENERATE, GENERATED)
    assert len(drawn) == GENERATED
    async with (client(neo4j_uri, tmp_path, tokens, TIPGRAPH_COMPILED_READS="false") as executor,
                client(neo4j_uri, tmp_path, tokens) as compiled):
        visible = await build_visible(executor, db)
        asked: dict[str, list[Asked]] = {}
        for reader, token in readers(executor).items():
            pages = [(f"reports#{n}", f"{{ reports(first: {n}) {{ pageInfo {{ endCursor }} }} }}")
                     for n in (1, 2)]
            cursors: list[str | None] = [*end_cursors({
                name: await executor.ask(query, None, token) for name, query in pages})] or [None]
            asked[reader] = [
                (query, {**variables, **({"id": i} if "id" in variables else {}),
                         **({"after": cursor} if "after" in variables else {})})
                for query, variables in drawn
                for i in (visible if "id" in variables else [None])
                for cursor in (cursors if "after" in variables else [None])]
        compared, with_reports = await differential(executor, compiled, asked,
                                                    readers(executor))
        # a good share compiles (a third before schemes and the agency queue added fields; the
        # draws follow the schema, and every field with arguments is left to the executor)
        assert await compiled_count(compiled) > compared // 4, "a good share should compile"
    assert with_reports > compared // 4, "many answers should carry reports"


async def test_the_corpus_and_the_suites_documents_answer_alike(
        neo4j_uri: str, tmp_path: Path, db: Database, tokens: Tokens) -> None:
    suite = [query for query in suite_documents()
             if not _roots(query) & CHANGES_WITH_EVERY_ASK]
    assert len(suite) >= 50, "the suite's documents are found"
    # the depth the suite's documents meet (the corpus's reports are 7 deep at most)
    depth = {"TIPGRAPH_MAX_DEPTH": str(EdgeLimits().max_depth)}
    async with (client(neo4j_uri, tmp_path, tokens, TIPGRAPH_COMPILED_READS="false",
                       **depth) as executor,
                client(neo4j_uri, tmp_path, tokens, **depth) as compiled):
        visible = await build_visible(executor, db)
        asked: dict[str, list[Asked]] = {}
        for reader, token in readers(executor).items():
            first = documents(SCHEMA, await pools(db, visible, {}))
            pages = [d for d in first if d.name in ("reports#0", "reports#1", "reports#2")]
            cursors = end_cursors({d.name: await executor.ask(d.query, d.variables, token)
                                   for d in pages})
            found = await pools(db, visible, {"reports": cursors})
            corpus = [d.query for d in documents(SCHEMA, found)
                      if _roots(d.query) <= COMPILED_ROOTS]
            queries = sorted({*corpus, *map(compilable, corpus)})
            asked[reader] = [(q, None) for q in queries] + [
                pair for query in suite for pair in with_variables(query, found, cursors)]
        compared, with_reports = await differential(executor, compiled, asked,
                                                    readers(executor))
        assert await compiled_count(compiled) > compared // 4, "many should compile"
    assert with_reports > compared // 4, "many answers should carry reports"


async def world(api: Api, db: Database, tokens: Tokens) -> list[str]:
    """Two ESPs' reports, one referred, labelled, prioritised and enriched."""
    await register_reporter(db, "example-esp", "Example ESP")
    await register_reporter(db, "other-esp", "Other ESP")
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    ids = []
    for esp in ("example-esp", "other-esp", "example-esp"):
        body = await api.gql(SUBMIT_REPORT, {"input": FULL_INPUT}, token=tokens.esp(esp))
        ids.append(body["data"]["submitReport"]["id"])
    analyst = tokens.mint(Role.ANALYST, subject="analyst-ana")
    report = (await api.gql("query($id: ID!) { report(id: $id) { files { id } } }",
                            {"id": ids[0]}, token=analyst))["data"]["report"]
    for query, variables in (
            ('mutation($f: ID!) { classifyFile(fileId: $f, label: "B1", basis: "viewed") '
             "{ id } }", {"f": report["files"][0]["id"]}),
            ('mutation($id: ID!) { setPriority(reportId: $id, priority: P1, reason: "r") '
             "{ id } }", {"id": ids[0]}),
            ('mutation($id: ID!) { referReport(reportId: $id, agencyId: "agency-1", '
             'reason: "r") { id } }', {"id": ids[0]})):
        answer = await api.gql(query, variables, token=analyst)
        assert "errors" not in answer, answer
    await EnrichmentWorker(db, geo_provider(None), 50).run_due()
    return ids


async def test_the_declared_reads_are_what_the_resolvers_read(api: Api, db: Database,
                                                              tokens: Tokens) -> None:
    """Each Report and File field named in REPORT_READS/FILE_READS answers the same from a node
    holding only the properties it declares (and the id and status) as from the whole node."""
    ids = await world(api, db, tokens)
    [report] = await report_loaders.reports_by_ids(db, [int(ids[0])], rows=EVERY_REPORT)
    [files] = await report_loaders.files_by_report_ids(db, [int(ids[0])])
    [mentions] = await report_loaders.mentions_by_report_ids(db, [int(ids[0])])
    labels = [label for found in await report_loaders.classifications_by_file_ids(
        db, [f["id"] for f in files]) for label in found]
    assert report is not None
    assert files
    assert mentions
    assert labels

    def mention(node: dict[str, Any]) -> ReportIdentifier:
        return ReportIdentifier(mention=node, identifier_node=mentions[0]["identifier"])

    cases: list[tuple[type, Callable[[dict[str, Any]], Any], Any, list[dict[str, Any]]]] = [
        (Report, lambda node: Report(node=node), REPORT_READS, [report]),
        (File, lambda node: File(node=node), FILE_READS, files),
        (ReportIdentifier, mention, MENTION_READS, [m["mention"] for m in mentions]),
        (Classification, lambda node: Classification(row=node), LABEL_READS, labels)]
    for cls, make, reads, nodes in cases:
        definition: Any = vars(cls)["__strawberry_definition__"]
        checked = 0
        for strawberry_field in definition.fields:
            name = SCHEMA_NAMES.get_graphql_name(strawberry_field)
            resolver = strawberry_field.base_resolver
            if name not in reads or resolver is None or resolver.is_async or list(
                    inspect.signature(resolver.wrapped_func).parameters) != ["self"]:
                continue
            for node in nodes:
                # what a narrowed read gives: the declared properties the node has (Neo4j
                # stores no nulls), with the id, the status and a mention's role
                narrow = {key: node[key] for key in ("id", "status", "role", *reads[name])
                          if key in node}
                assert resolver.wrapped_func(make(narrow)) == resolver.wrapped_func(
                    make(node)), (definition.name, name)
            checked += 1
        assert checked >= min(6, len(reads) - 1), (definition.name, checked)
        # a field sent as stored answers what its resolver answers, with or without the value
        # (Classification sends none as stored: its basis depends on the reader)
        attribute, sent = STORED_AS_SENT.get(definition.name, ("row", {}))
        resolvers = {SCHEMA_NAMES.get_graphql_name(f): f.base_resolver
                     for f in definition.fields}
        graphql_type = SCHEMA.type_map[definition.name]
        assert isinstance(graphql_type, GraphQLObjectType)
        for name, key in sent.items():
            field_type = graphql_type.fields[name].type
            scalar = _named(field_type)
            assert isinstance(scalar, GraphQLScalarType), name
            sample = {"String": "a value", "Boolean": True, "Int": 7}[scalar.name]
            if isinstance(getattr(field_type, "of_type", field_type), GraphQLList):
                sample = [sample, sample]
            for node in [*nodes, *({**node, key: sample} for node in nodes),
                         *({k: v for k, v in node.items() if k != key} for node in nodes)]:
                made = make(node)
                assert resolvers[name].wrapped_func(made) == getattr(made, attribute).get(
                    key), (definition.name, name)
    for name, reads in (("Report", REPORT_READS), ("File", FILE_READS),
                        ("ReportIdentifier", MENTION_READS), ("Classification", LABEL_READS)):
        graphql_type = SCHEMA.type_map[name]
        assert isinstance(graphql_type, GraphQLObjectType)
        assert set(reads) <= set(graphql_type.fields) | {"__typename"}
