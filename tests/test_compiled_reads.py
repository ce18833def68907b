"""The compiled read path answers exactly what the executor answers (a differential test).

Two apps serve one graph: one with compiled reads, one without. Documents generated from the
schema (random selections over Report and everything below it, with aliases, fragments, inline
fragments, ``__typename`` and literal ``@include``/``@skip``; now and then a field the plan
does not cover) go to both, for every kind of reader, and the JSON must be the same, ``data``
and ``errors`` alike. The compiled app sees each document twice: the first time its executor
validates it, the second time it is compiled (the metrics say how many were).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import random
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLOutputType

from api.app import create_app
from api.settings import Settings
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
    Classification,
    File,
    Report,
    ReportIdentifier,
)
from resolvers.schema import build_schema
from tests.conftest import Api, Tokens
from tests.documents import FULL_INPUT, SUBMIT_REPORT
from tests.helpers import make_settings

BUILT = build_schema(production=False)
SCHEMA = BUILT._schema
SCHEMA_NAMES = BUILT.config.name_converter
MAX_DEPTH = 4


def _object(type_: GraphQLOutputType) -> GraphQLObjectType | None:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_ if isinstance(type_, GraphQLObjectType) else None


class Documents:
    """Random documents over a report, from the schema."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
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
            alias = f"a{r.randint(0, 9)}_{name}: " if r.random() < 0.15 else ""
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

    def document(self) -> tuple[str, dict[str, Any] | None]:
        self.fragments = []
        report = SCHEMA.type_map["Report"]
        assert isinstance(report, GraphQLObjectType)
        body = self.selection(report, 1)
        if self.random.random() < 0.5:
            query = f"query One($id: ID!) {{ report(id: $id) {{ {body} }} }}"
            variables: dict[str, Any] | None = {"id": "ID"}
        else:
            first = self.random.choice([1, 2, 5])
            query = (f"query Page {{ reports(first: {first}) {{ totalCount pageInfo "
                     f"{{ hasNextPage endCursor }} edges {{ cursor node {{ {body} }} }} }} }}")
            variables = None
        return " ".join([query, *self.fragments]), variables


@contextlib.asynccontextmanager
async def client(settings: Settings, compiled: bool) -> AsyncIterator[Api]:
    """Another app on the tests' graph and keys, with or without compiled reads."""
    settings = make_settings(settings.neo4j_uri, settings.state_dir,
                             TIPGRAPH_COMPILED_READS="true" if compiled else "false")
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test") as http):
        yield Api(http)


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


async def compiled_count(api: Api) -> float:
    text = (await api.client.get("/metrics")).text
    return sum(float(v) for v in re.findall(
        r'tipgraph_graphql_operations_total\{operation="[^"]*",path="compiled"\} ([0-9.e+]+)',
        text))


async def test_compiled_reads_answer_what_the_executor_answers(
        api: Api, db: Database, tokens: Tokens, settings: Settings) -> None:
    ids = await world(api, db, tokens)
    readers = {
        "analyst": tokens.mint(Role.ANALYST),
        "esp": tokens.esp("example-esp"),
        "le": tokens.mint(Role.LE, agency_id="agency-1"),
        "le-without-pii": tokens.mint(Role.LE, agency_id="agency-1",
                                      scope="report:read files:read"),
        "le-without-files": tokens.mint(Role.LE, agency_id="agency-1", scope="report:read"),
        "auditor": tokens.mint(Role.AUDITOR),
    }
    documents = Documents(seed=2026)
    compared = 0
    seen_data = 0
    async with (client(settings, compiled=False) as executor,
                client(settings, compiled=True) as compiled):
        for _ in range(60):
            query, variables = documents.document()
            for reader, token in readers.items():
                for report_id in (ids if variables else [None]):
                    given = {"id": report_id} if variables else None
                    expected = await executor.gql(query, given, token=token)
                    await compiled.gql(query, given, token=token)  # the executor validates
                    answer = await compiled.gql(query, given, token=token)
                    assert json.dumps(answer, sort_keys=False) == json.dumps(
                        expected, sort_keys=False), (reader, query, given)
                    compared += 1
                    root = next(iter((expected.get("data") or {}).values()), None)
                    seen_data += bool(root and (root.get("edges") if "edges" in root else True))
        assert await compiled_count(compiled) > compared // 3, "most should compile"
    assert seen_data > compared // 4, "many answers should carry reports"


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
    for name, reads in (("Report", REPORT_READS), ("File", FILE_READS),
                        ("ReportIdentifier", MENTION_READS), ("Classification", LABEL_READS)):
        graphql_type = SCHEMA.type_map[name]
        assert isinstance(graphql_type, GraphQLObjectType)
        assert set(reads) <= set(graphql_type.fields) | {"__typename"}
