"""Reliability: concurrency, a Neo4j crash mid-load, client retries through it, hostile input.

Promises: nothing acknowledged is lost, nothing is duplicated, nothing is half-written; during an
outage requests fail fast with SERVICE_UNAVAILABLE (HTTP 503, Retry-After) and /readyz is false;
the API recovers by itself; no input, however hostile, gets INTERNAL or HTTP 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, LiteralString

import httpx
import pytest
from graphql import GraphQLSchema
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql_st
from neo4j import AsyncGraphDatabase
from starlette.applications import Starlette

from api.app import create_app
from api.settings import PROJECT_ROOT, Settings, identifier_ids
from authz.basic import issue_credentials
from authz.roles import Role
from graph.core.db import REQUEST_SESSIONS, Database, open_driver, run, start_counting
from graph.core.errors import ServiceUnavailable
from graph.core.migrations import Migrator
from graph.core.server import LocalNeo4j, free_port
from graph.reports.reporters import register_reporter
from resolvers.schema import build_schema
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT, example_input
from tests.helpers import assert_no_internal_error, examples, make_settings

OUTAGE_ANSWER_SECONDS = 15.0  # a request during the outage answers within this (no hanging)


def shared_identifiers_input(index: int) -> dict[str, Any]:
    """A report sharing its e-mail, IP and hash with every other (and one identifier of its own)."""
    return example_input(reportedPeople=[{
        "screenName": f"writer_{index}", "espService": "ExampleChat",
        "emails": [{"address": "shared@example.com"}],
        "ipCaptureEvents": [{"ipAddress": "192.0.2.1"}]}])


# -- concurrency ----------------------------------------------------------------------------------

async def test_50_concurrent_writers_lose_nothing_and_duplicate_nothing(
        api: Api, esp: str, db: Database) -> None:
    answers = await asyncio.gather(*(
        api.gql(SUBMIT_REPORT, {"input": shared_identifiers_input(i)}, token=esp)
        for i in range(50)))
    assert all("errors" not in a for a in answers), [a for a in answers if "errors" in a][:1]
    acknowledged = {int(a["data"]["submitReport"]["id"]) for a in answers}
    assert len(acknowledged) == 50

    async def tx(tx: Any) -> dict[str, Any]:
        [row] = await run(tx, """
            MATCH (r:Report) WITH collect(r.id) AS reports
            MATCH (i:Identifier) WITH reports, i.key AS key, count(*) AS copies
            RETURN reports, max(copies) AS most, count(key) AS keys,
                   COUNT { (:Identifier {key: 'EMAIL:shared@example.com'})<-[:MENTIONS]-() }
                   AS sharedMentions""")
        return dict(row)

    found = await db.read(tx)
    assert set(found["reports"]) == acknowledged
    assert found["most"] == 1  # one node per identifier
    assert found["sharedMentions"] == 50


# -- a crash mid-load, and retries through it ----------------------------------------------------

@contextlib.asynccontextmanager
async def crashable_api(tmp_path: Path) -> AsyncIterator[tuple[LocalNeo4j, int, Starlette,
                                                               httpx.AsyncClient, str]]:
    """An app on a Neo4j of its own (so it can be killed), with a registered ESP's token."""
    server = LocalNeo4j(PROJECT_ROOT / ".tipgraph", pagecache_mib=64, heap="768m")
    port = free_port()
    uri = server.start(port, tmp_path / "neo4j", watch_pid=os.getpid())
    try:
        config = make_settings(uri, tmp_path / "state")
        db = Database(open_driver(uri, "neo4j", "neo4j"), "neo4j")
        await Migrator(db, config.migrations_dir, identifier_ids(config)).migrate()
        await register_reporter(db, "example-esp", "Example ESP")
        await db.close()
        app = create_app(config)
        from authz.tokens import load_keys, mint_token

        token = mint_token(load_keys(config.tokens), config.tokens,
                           role=Role.ESP, esp_id="example-esp")
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                      base_url="http://tipgraph.test", timeout=60) as client):
            yield server, port, app, client, token
    finally:
        server.stop(port)


async def stored_reports(app: Starlette, query: LiteralString) -> list[dict[str, Any]]:
    """What the crashable app's graph holds, read on a connection of its own."""
    db = Database(open_driver(app.state.tipgraph.settings.neo4j_uri, "neo4j", "neo4j"),
                  "neo4j")
    try:
        async def tx(tx: Any) -> list[dict[str, Any]]:
            return [dict(row) for row in await run(tx, query)]
        return await db.read(tx)
    finally:
        await db.close()


async def submit(client: httpx.AsyncClient, token: str, index: int) -> httpx.Response:
    return await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": SUBMIT_REPORT,
        "variables": {"input": shared_identifiers_input(index), "key": f"load-{index}"}})


async def test_neo4j_killed_mid_load_loses_nothing_and_recovers(tmp_path: Path) -> None:
    async with crashable_api(tmp_path) as (server, port, app, client, token):
        acknowledged: dict[int, int] = {}  # index -> report id, as the client was told
        refused: list[httpx.Response] = []
        killed, loaded = asyncio.Event(), asyncio.Event()

        async def writer(start: int) -> None:
            # Each writer submits reports until the crash; one retried key per writer too.
            index = start
            while not killed.is_set():
                response = await submit(client, token, index)
                body = response.json()
                if response.status_code == 200 and "errors" not in body:
                    acknowledged[index] = int(body["data"]["submitReport"]["id"])
                    index += 10
                    if len(acknowledged) >= 40:
                        loaded.set()
                else:
                    refused.append(response)

        writers = [asyncio.create_task(writer(i)) for i in range(10)]
        await asyncio.wait_for(loaded.wait(), timeout=120)
        # when Neo4j dies mid-load
        assert server.kill(port)
        killed.set()
        await asyncio.gather(*writers)

        # then requests fail fast with SERVICE_UNAVAILABLE, and /readyz is false
        started = time.monotonic()
        during = await submit(client, token, 10_000)
        assert time.monotonic() - started < OUTAGE_ANSWER_SECONDS
        assert during.status_code == 503
        assert during.headers["Retry-After"]
        assert during.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False
        for response in refused:
            assert response.status_code == 503, response.text  # never 500 or INTERNAL

        # and after a restart the API recovers by itself
        server.start(port, tmp_path / "neo4j", watch_pid=os.getpid())
        deadline = time.monotonic() + 60
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "the API did not recover"
            await asyncio.sleep(0.5)

        # a client retrying its key through the fault gets exactly one report
        retried = await submit(client, token, 10_000)
        again = await submit(client, token, 10_000)
        assert retried.status_code == 200, retried.text
        assert (retried.json()["data"]["submitReport"]["id"]
                == again.json()["data"]["submitReport"]["id"])
        # ... and so does every writer that was cut off mid-request
        for index in range(10):
            last = max([i for i in acknowledged if i % 10 == index] or [index - 10]) + 10
            replay = await submit(client, token, last)
            assert replay.status_code == 200, replay.text

        stored = await stored_reports(app, """
            MATCH (r:Report)
            RETURN r.id AS id, r.idempotencyKey AS key,
                   COUNT { (r)-[:HAS_FILE]->() } AS files,
                   COUNT { (r)-[:MENTIONS]->() } AS mentions,
                   COUNT { (r)-[:HAS_FILE]->()-[:HAS_HASH]->() } AS hashes""")
        by_id = {row["id"]: row for row in stored}
        # every acknowledged report is there
        assert set(acknowledged.values()) <= set(by_id)
        # one report per key: nothing duplicated by the retries
        keys = [row["key"] for row in stored]
        assert len(keys) == len(set(keys))
        # none half-written: every report has all its parts
        assert {(row["files"], row["mentions"], row["hashes"]) for row in stored} == {(1, 4, 1)}


STEPWISE = {
    "open": "mutation($input: OpenReportInput!, $key: String) "
            "{ openReport(input: $input, idempotencyKey: $key) { id } }",
    "add": "mutation($id: ID!, $file: FileInput!, $key: String) "
           "{ addFile(reportId: $id, input: $file, idempotencyKey: $key) { id } }",
    "finish": "mutation($id: ID!, $key: String) "
              "{ finishReport(reportId: $id, idempotencyKey: $key) { id status } }",
}


async def test_retries_through_a_crash_leave_every_report_with_exactly_its_files(
        tmp_path: Path) -> None:
    """ESPs that open, add two files and finish, retrying each step with its key until it is
    answered, through a Neo4j kill and restart: every report ends finished with its two files
    (a retried addFile that had committed before its answer was lost adds none)."""
    async with crashable_api(tmp_path) as (server, port, app, client, token):
        headers = {"Authorization": f"Bearer {token}"}
        answered, unavailable, midway = [0], [0], asyncio.Event()

        async def step(name: str, variables: dict[str, Any], key: str) -> dict[str, Any]:
            while True:  # the client's retry loop: same request, same key, until answered
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.post("/graphql", headers=headers, json={
                        "query": STEPWISE[name], "variables": {**variables, "key": key}})
                    body: dict[str, Any] = response.json()
                    if response.status_code == 200 and "errors" not in body:
                        answered[0] += 1
                        if answered[0] >= 20:
                            midway.set()
                        await asyncio.sleep(0.2)  # the ESP's own pace between steps
                        data: dict[str, Any] = body["data"]
                        return data
                    assert response.status_code == 503, response.text  # never 500, CONFLICT
                    unavailable[0] += 1
                await asyncio.sleep(0.3)

        async def esp_client(n: int) -> int:
            document = {k: v for k, v in example_input().items() if k != "files"}
            opened = await step("open", {"input": document}, f"open-{n}")
            report_id = opened["openReport"]["id"]
            for f in range(2):
                await step("add", {"id": report_id, "file": {
                    "fileName": f"r{n}-f{f}.jpg", "hashes": [
                        {"algorithm": "MD5", "value": f"{n:016x}{f:016x}"}]}}, f"add-{n}-{f}")
            await step("finish", {"id": report_id}, f"finish-{n}")
            return int(report_id)

        clients = [asyncio.create_task(esp_client(n)) for n in range(16)]
        await asyncio.wait_for(midway.wait(), timeout=120)  # 20 of the 64 steps answered
        assert server.kill(port)
        await asyncio.sleep(1)
        server.start(port, tmp_path / "neo4j", watch_pid=os.getpid())
        finished = await asyncio.wait_for(asyncio.gather(*clients), timeout=240)

        stored = await stored_reports(app, """
            MATCH (r:Report)
            RETURN r.id AS id, r.status AS status, COUNT { (r)-[:HAS_FILE]->() } AS files""")
        by_id = {row["id"]: row for row in stored}
        assert len(set(finished)) == 16
        assert unavailable[0] > 0  # the crash came mid-load: some steps were retried
        assert all(by_id[i] == {"id": i, "status": "SUBMITTED", "files": 2} for i in finished)


# -- hostile input ---------------------------------------------------------------------------------

SCALARS = {
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")),
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
    "_Any": st.just(nodes.Object([])),
}


@pytest.fixture(scope="module")
def sdl() -> GraphQLSchema:
    """The served schema (graphql-core's, so the federation directives are defined)."""
    return build_schema(production=False)._schema


async def test_generated_queries_never_get_internal(api: Api, tokens: Tokens,
                                                    sdl: GraphQLSchema) -> None:
    analyst = tokens.mint(Role.ANALYST)
    for query in examples(gql_st.queries(sdl, custom_scalars=SCALARS)):
        response = await api.client.post("/graphql", json={"query": query},
                                          headers={"Authorization": f"Bearer {analyst}"})
        assert_no_internal_error(response, query)


async def test_generated_intake_inputs_never_get_internal(api: Api, esp: str,
                                                         sdl: GraphQLSchema) -> None:
    fields = ["submitReport", "openReport", "addFile", "finishReport", "cancelReport"]
    for mutation in examples(gql_st.mutations(sdl, fields=fields, custom_scalars=SCALARS)):
        response = await api.client.post("/graphql", json={"query": mutation},
                                          headers={"Authorization": f"Bearer {esp}"})
        assert_no_internal_error(response, mutation)


async def test_garbage_tokens_are_refused_cleanly(api: Api) -> None:
    garbage = examples(st.one_of(
        st.text(min_size=1, max_size=300).filter(lambda t: t.isprintable()),
        st.from_regex(r"[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{0,100}",
                      fullmatch=True)))
    for token in garbage:
        raw = b"Bearer " + token.encode("utf-8")  # raw bytes, as a hostile client sends them
        response = await api.client.post("/graphql", json={"query": "{ reports { totalCount } }"},
                                          headers={"Authorization": raw})
        assert_no_internal_error(response, token)
        if response.status_code == 200:
            codes = {e["extensions"]["code"] for e in response.json()["errors"]}
            assert codes <= {"UNAUTHENTICATED", "BAD_USER_INPUT"}, (token, response.text)


async def test_hostile_xml_and_multipart_never_get_500(app: Starlette, db: Database) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    username, password = await issue_credentials(db, "example-esp")
    bodies = examples(st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: f"<report>{t}</report>".encode("utf-8", "replace")),
        st.text(max_size=500).map(
            lambda t: f"<fileDetails><reportId>1</reportId><fileId>{t}</fileId></fileDetails>"
            .encode("utf-8", "replace")),
        st.just(b"<report>" + b"<x>" * 50_000 + b"</report>"),
        st.just(b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'),
        st.just(b"<report>" + b"A" * 3_000_000 + b"</report>"),
    ))
    multipart = examples(st.tuples(st.binary(max_size=300), st.text(max_size=40)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/ispws",
                                 auth=(username, password)) as client:
        for body in bodies:
            for path in ("/submit", "/fileinfo"):
                response = await client.post(path, content=body,
                                             headers={"Content-Type": "text/xml"})
                assert response.status_code in (400, 404, 409, 413), (path, body[:200])
        for raw, boundary in multipart:
            content_type = b"multipart/form-data; boundary=" + boundary.encode("utf-8")
            response = await client.post("/upload", content=raw,
                                         headers={"Content-Type": content_type})
            assert response.status_code in (400, 404, 409, 413), (raw[:200], boundary)
            response = await client.post("/finish", content=raw,
                                         headers={"Content-Type": content_type})
            assert response.status_code in (400, 404, 409, 413), (raw[:200], boundary)


async def test_one_request_holds_at_most_its_share_of_sessions(db: Database) -> None:
    """Sibling fields run at once; a request's fan-out waits for its own sessions
    (REQUEST_SESSIONS) instead of taking the driver's whole pool."""
    holding = most = 0

    async def hold_tx(tx: Any) -> None:
        nonlocal holding, most
        holding += 1
        most = max(most, holding)
        await run(tx, "RETURN 1")
        await asyncio.sleep(0.05)
        holding -= 1

    async def request() -> None:
        start_counting()
        await asyncio.gather(*(db.read(hold_tx) for _ in range(REQUEST_SESSIONS * 3)))

    await asyncio.create_task(request())
    assert most == REQUEST_SESSIONS


async def test_a_pool_with_no_free_connection_is_unavailable_not_internal(
        neo4j_uri: str, settings: Settings) -> None:
    driver = AsyncGraphDatabase.driver(neo4j_uri, auth=(settings.neo4j_user,
                                                        settings.neo4j_password),
                                       max_connection_pool_size=1,
                                       connection_acquisition_timeout=0.5)
    busy = Database(driver, settings.neo4j_database)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_tx(tx: Any) -> None:
        await run(tx, "RETURN 1")
        held.set()
        await release.wait()

    holder = asyncio.create_task(busy.read(hold_tx))
    try:
        await held.wait()
        with pytest.raises(ServiceUnavailable):
            await busy.read(lambda tx: run(tx, "RETURN 1"))
    finally:
        release.set()
        await holder
        await busy.close()
