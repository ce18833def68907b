"""Ten thousand generated inputs, and not one HTTP 500 or INTERNAL error.

Hypothesis draws them (reproducibly, ``derandomize``); each kind goes to the door a hostile
client would use: GraphQL documents generated from the schema, arbitrary JSON bodies, intake
mutations, bearer tokens, XML documents and multipart uploads for the CyberTipline door.
:data:`COUNTS` says how many of each; together at least 10,000.
"""

from __future__ import annotations

import json
from typing import Final

import pytest
from graphql import GraphQLSchema
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql_st
from starlette.applications import Starlette

from authz.basic import issue_credentials
from authz.roles import Role
from graph.core.db import Database
from graph.reports.reporters import register_reporter
from resolvers.schema import build_schema
from tests.conftest import Api, Tokens
from tests.cybertipline import ispws_client
from tests.helpers import assert_no_internal_error, examples

COUNTS: Final = {"queries": 1000, "bodies": 3000, "intake": 700, "tokens": 2000,
                 "xml": 2000, "multipart": 1300}
SCALARS: Final = {
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")),
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
    "_Any": st.just(nodes.Object([])),
}
JSON: Final = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["query", "variables", "operationName", "extensions",
                                       "x"]) | st.text(max_size=8), children, max_size=4),
    max_leaves=12)


def test_the_counts_add_up_to_ten_thousand() -> None:
    assert sum(COUNTS.values()) >= 10_000


@pytest.fixture(scope="module")
def sdl() -> GraphQLSchema:
    return build_schema(production=False)._schema


async def test_generated_queries(api: Api, tokens: Tokens, sdl: GraphQLSchema) -> None:
    analyst = tokens.mint(Role.ANALYST)
    queries = examples(gql_st.queries(sdl, custom_scalars=SCALARS), COUNTS["queries"])
    assert len(queries) >= COUNTS["queries"] * 0.9
    for query in queries:
        response = await api.client.post("/graphql", json={"query": query},
                                          headers={"Authorization": f"Bearer {analyst}"})
        assert_no_internal_error(response, query)


async def test_generated_json_bodies(api: Api, tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST)
    bodies = examples(JSON, COUNTS["bodies"])
    assert len(bodies) >= COUNTS["bodies"] * 0.9
    for body in bodies:
        response = await api.client.post("/graphql", content=json.dumps(body),
                                          headers={"Authorization": f"Bearer {analyst}",
                                                   "Content-Type": "application/json"})
        assert_no_internal_error(response, body)


async def test_generated_intake_mutations(api: Api, esp: str, sdl: GraphQLSchema) -> None:
    fields = ["submitReport", "openReport", "addFile", "finishReport", "cancelReport"]
    mutations = examples(gql_st.mutations(sdl, fields=fields, custom_scalars=SCALARS),
                         COUNTS["intake"])
    assert len(mutations) >= COUNTS["intake"] * 0.9
    for mutation in mutations:
        response = await api.client.post("/graphql", json={"query": mutation},
                                          headers={"Authorization": f"Bearer {esp}"})
        assert_no_internal_error(response, mutation)


async def test_generated_tokens(api: Api) -> None:
    tokens = examples(st.one_of(
        st.text(min_size=1, max_size=300).filter(str.isprintable),
        st.from_regex(r"[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{0,100}",
                      fullmatch=True)), COUNTS["tokens"])
    assert len(tokens) >= COUNTS["tokens"] * 0.9
    for token in tokens:
        response = await api.client.post("/graphql", json={"query": "{ reports { totalCount } }"},
                                          headers={"Authorization": b"Bearer "
                                                   + token.encode("utf-8")})
        assert_no_internal_error(response, token)


async def test_generated_xml(app: Starlette, db: Database) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    login = await issue_credentials(db, "example-esp")
    element = st.sampled_from(["report", "incidentSummary", "incidentType", "reporter",
                               "reportingPerson", "fileDetails", "reportId", "fileId", "x"])
    tree: st.SearchStrategy[str] = st.recursive(
        st.text(max_size=30).map(lambda t: t.replace("<", "&lt;").replace("&", "&amp;")),
        lambda children: st.tuples(element, st.lists(children, max_size=3)).map(
            lambda pair: f"<{pair[0]}>{''.join(pair[1])}</{pair[0]}>"),
        max_leaves=10)
    documents = examples(st.one_of(st.binary(max_size=300), tree.map(str.encode)),
                         COUNTS["xml"])
    assert len(documents) >= COUNTS["xml"] * 0.9
    async with ispws_client(app, *login) as client:
        for index, body in enumerate(documents):
            path = "/submit" if index % 2 else "/fileinfo"
            response = await client.post(path, content=body, headers={"Content-Type": "text/xml"})
            # (429: the ESP's mutation rate limit, which thousands of posts reach)
            assert response.status_code in (200, 400, 404, 409, 413, 429), (path, body[:200])


async def test_generated_multipart(app: Starlette, db: Database) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    login = await issue_credentials(db, "example-esp")
    parts = examples(st.tuples(st.binary(max_size=200), st.text(max_size=30)),
                     COUNTS["multipart"])
    assert len(parts) >= COUNTS["multipart"] * 0.9
    async with ispws_client(app, *login) as client:
        for index, (raw, boundary) in enumerate(parts):
            content_type = b"multipart/form-data; boundary=" + boundary.encode("utf-8")
            path = ("/upload", "/finish", "/retract")[index % 3]
            response = await client.post(path, content=raw,
                                         headers={"Content-Type": content_type})
            assert response.status_code in (400, 404, 409, 413, 429), (path, raw[:200],
                                                                        boundary)
