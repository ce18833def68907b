"""A hostile client's findings (issue 13), one test each: every one failed before its fix.

Keyed identifier ids, look-ups by value, poisoning "common", the bounded GraphQL edge (fragment
bombs, odd bodies, forged cursors, the SDL, metrics, ids with a trailing newline), the cap on
identifiers per report, agencies through _entities, and values computed over the whole graph.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from api.app import create_app
from api.settings import identifier_ids
from authz.roles import Role
from authz.tokens import load_keys
from graph.core.db import Database, run
from graph.core.errors import BadInput
from graph.core.migrations import Migrator
from graph.identifiers.keyed_ids import IdentifierIds, is_current
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.reports.reporters import register_reporter
from tests.conftest import Api, Tokens
from tests.helpers import IDS, make_settings, production_api, production_token
from tests.world import build_world

SHARED_EMAIL: Final = "shared@example.com"


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


# -- 2. identifier ids reveal no value -----------------------------------------------------------

async def test_identifier_ids_are_keyed_and_an_old_graph_is_rekeyed(
        db: Database, api: Api, tokens: Tokens) -> None:
    # given a graph whose ids are unkeyed hashes of the values, as before V0010
    world = await build_world(db)

    async def unkeyed_tx(tx: Any) -> list[dict[str, Any]]:
        await run(tx, "MATCH (k:IdentifierKeying) DETACH DELETE k")
        rows = [dict(r) for r in await run(tx, "MATCH (i:Identifier) RETURN i.key AS key")]
        for row in rows:
            row["id"] = "idf_" + hashlib.sha256(row["key"].encode()).hexdigest()[:24]
        await run(tx, "UNWIND $rows AS row MATCH (i:Identifier {key: row.key}) SET i.id = row.id",
                  rows=rows)
        return rows

    old = await db.write(unkeyed_tx)
    assert not await is_current(db, IDS)
    # when the migrations run with the configured key
    await Migrator(db, Path("migrations"), IDS).migrate()
    # then every id is the keyed one, and the old ids find nothing
    assert await is_current(db, IDS)
    token = tokens.mint(Role.ANALYST)
    query = "query($id: ID!) { degreePreview(id: $id) { id total } }"
    email = next(r for r in old if r["key"] == f"EMAIL:{SHARED_EMAIL}")
    gone = await api.gql(query, {"id": email["id"]}, token=token)
    assert code(gone) == "NOT_FOUND", gone
    keyed = IDS.of(email["key"])
    found = await api.gql(query, {"id": keyed}, token=token)
    # (three submitted reports name it: A1 is open and A3 cancelled, and they do not count)
    assert found["data"]["degreePreview"] == {"id": keyed, "total": 3}
    assert world.reports


def test_production_needs_an_identifier_key(neo4j_uri: str, tmp_path: Path) -> None:
    from api.settings import SettingsError
    from tests.helpers import CONTENT_KEY, write_key_pair, write_package_key

    private, public = write_key_pair(tmp_path)
    with pytest.raises(SettingsError, match="TIPGRAPH_IDENTIFIER_KEY"):
        create_app(make_settings(
            neo4j_uri, tmp_path, TIPGRAPH_ENV="production", TIPGRAPH_CONTENT_KEY=CONTENT_KEY,
            TIPGRAPH_PACKAGE_KEY_FILE=write_package_key(tmp_path),
            TIPGRAPH_JWT_PUBLIC_KEY_FILE=str(public), TIPGRAPH_JWT_PRIVATE_KEY_FILE=str(private),
            TIPGRAPH_IDENTIFIER_KEY=""))
    with pytest.raises(SettingsError, match="base64 of 32 bytes"):
        identifier_ids(make_settings(neo4j_uri, tmp_path, TIPGRAPH_IDENTIFIER_KEY="c2hvcnQ="))


def test_ids_under_two_keys_differ() -> None:
    other = IdentifierIds(base64.b64decode(base64.b64encode(b"k" * 32)))
    assert other.of(f"EMAIL:{SHARED_EMAIL}") != IDS.of(f"EMAIL:{SHARED_EMAIL}")
    assert other.fingerprint != IDS.fingerprint


@pytest.mark.parametrize("query", [
    '{ identifier(kind: EMAIL, value: "shared@example.com") { id } }',
    '{ reports(filter: {identifier: {kind: EMAIL, value: "shared@example.com"}}) '
    '{ totalCount } }',
])
async def test_looking_up_a_personal_value_needs_pii_read(
        db: Database, api: Api, tokens: Tokens, query: str) -> None:
    # given an agency that sees the report naming the e-mail
    await build_world(db)
    without = tokens.mint(Role.LE, agency_id="agency-1", scope="report:read files:read")
    with_pii = tokens.mint(Role.LE, agency_id="agency-1")
    # then only a token with pii:read may find it by its value
    assert code(await api.gql(query, token=without)) == "FORBIDDEN"
    assert "errors" not in await api.gql(query, token=with_pii)
    ip = '{ identifier(kind: IP_ADDRESS, value: "192.0.2.1") { id } }'
    assert "errors" not in await api.gql(ip, token=without)


# -- 4. ESPs cannot poison the graph ------------------------------------------------------------

@contextlib.asynccontextmanager
async def low_threshold(neo4j_uri: str, folder: Path,
                        **overrides: str) -> AsyncIterator[tuple[httpx.AsyncClient, Tokens]]:
    settings = make_settings(neo4j_uri, folder, TIPGRAPH_COMMON_IDENTIFIER_REPORTS="3",
                             **overrides)
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://t") as http):
        yield http, Tokens(load_keys(settings.tokens), settings)


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None,
              token: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    return body


async def test_opened_and_cancelled_reports_never_make_an_identifier_common(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with low_threshold(neo4j_uri, tmp_path) as (http, tokens):
        # given two submitted reports sharing an e-mail
        await register_reporter(db, "esp-a", "A")
        await register_reporter(db, "esp-x", "X")
        submit = ("mutation($input: SubmitReportInput!) { submitReport(input: $input) { id } }")
        person = {"incidentType": "ONLINE_ENTICEMENT", "incidentDateTime": "2026-10-01T00:00:00Z",
                  "reportedPeople": [{"emails": [{"address": SHARED_EMAIL}]}]}
        ids = [(await gql(http, submit, {"input": person}, tokens.esp("esp-a")))
               ["data"]["submitReport"]["id"] for _ in range(2)]
        # when another ESP opens and cancels ten reports naming the same e-mail
        opened = ("mutation($input: OpenReportInput!) { openReport(input: $input) { id } }")
        for _ in range(10):
            report = (await gql(http, opened, {"input": person}, tokens.esp("esp-x")))
            report_id = report["data"]["openReport"]["id"]
            await gql(http, "mutation($id: ID!) { cancelReport(reportId: $id) { id } }",
                      {"id": report_id}, tokens.esp("esp-x"))
        # then the e-mail is not common, and the analyst still sees the link
        analyst = tokens.mint(Role.ANALYST)
        body = await gql(http, "query($id: ID!) { report(id: $id) { crossReferences { "
                               "report { id } shared { common reportCount } } } }",
                         {"id": ids[0]}, analyst)
        [link] = body["data"]["report"]["crossReferences"]
        assert link["report"]["id"] == ids[1]
        assert link["shared"] == [{"common": False, "reportCount": 2}]


# -- 5. the GraphQL edge is bounded before work -------------------------------------------------

def fragment_bomb(levels: int) -> str:
    fragments = ["fragment F0 on Query { __typename }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
    return f"query {{ ...F{levels - 1} }}\n" + "\n".join(fragments)


async def test_a_fragment_bomb_is_refused_at_once_while_health_answers(api: Api) -> None:
    # given an 817-byte-class anonymous document of nested spreads, 30 levels deep
    document = fragment_bomb(30)
    assert len(document) < 1300

    async def bomb() -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = await api.client.post("/graphql", json={"query": document})
        return time.perf_counter() - started, response

    # when it is sent beside a health check
    (elapsed, refused), health = await asyncio.gather(bomb(), api.client.get("/healthz"))
    # then it is refused within 100 ms, with a code, and health answered
    assert health.status_code == 200
    assert elapsed < 0.1, elapsed
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "fragments are expanded" in refused.json()["errors"][0]["message"]


async def test_one_field_repeated_without_end_is_refused_before_validation(api: Api) -> None:
    body = (await api.client.post("/graphql", json={
        "query": "{ " + "__typename " * 800 + "}"})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "more than 25 times" in body["errors"][0]["message"]


@pytest.mark.parametrize("raw", ["[1]", "[null]", '"x"', "[[]]", "1", "null", "[]",
                                 '{"query": 1}', '{"query": "{ __typename }", "variables": []}',
                                 '[{"query": "{ __typename }"}, 2]',
                                 '{"query": "{ __typename }", "operationName": 5}'])
async def test_bodies_that_are_not_requests_get_bad_user_input(api: Api, raw: str) -> None:
    response = await api.client.post("/graphql", content=raw,
                                     headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def forged(order: list[list[str]], values: list[Any]) -> str:
    text = json.dumps({"o": order, "k": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("after", [
    forged([["PRIORITY", "ASC"], ["SUBMITTED_AT", "ASC"]],
           [["v", 10 ** 30], ["t", "2026-01-01T00:00:00+00:00"], ["v", 1]]),
    forged([["PRIORITY", "ASC"], ["SUBMITTED_AT", "ASC"]],
           [["v", [1]], ["t", "2026-01-01T00:00:00+00:00"], ["v", 1]]),
    forged([["PRIORITY", "ASC"], ["SUBMITTED_AT", "ASC"]], [["v", 1]]),
    forged([["PRIORITY", "ASC"], ["SUBMITTED_AT", "ASC"]],
           [["v", 1], ["v", "2026"], ["v", -1]]),
])
async def test_forged_cursors_get_bad_user_input(db: Database, api: Api, tokens: Tokens,
                                                 after: str) -> None:
    body = await api.gql("query($after: String) { reports(after: $after) { totalCount } }",
                         {"after": after}, token=tokens.mint(Role.ANALYST))
    assert code(body) == "BAD_USER_INPUT"


async def test_an_over_long_audit_cursor_gets_bad_user_input(db: Database, api: Api,
                                                              tokens: Tokens) -> None:
    body = await api.gql('{ auditEvents(after: "99999999999999999999999") { totalCount } }',
                         token=tokens.mint(Role.AUDITOR))
    assert code(body) == "BAD_USER_INPUT"


async def test_production_serves_the_sdl_only_to_schema_readers(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with production_api(neo4j_uri, tmp_path) as (client, analyst):
        query = {"query": "{ _service { sdl } }"}
        anonymous = await client.post("/graphql", json=query, headers={"Authorization": ""})
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        refused = await client.post("/graphql", json=query)
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        admin = production_token(neo4j_uri, tmp_path, Role.ADMIN)
        served = await client.post("/graphql", json=query,
                                   headers={"Authorization": f"Bearer {admin}"})
        assert "type Report" in served.json()["data"]["_service"]["sdl"]
        assert analyst


async def test_production_metrics_need_the_metrics_token(neo4j_uri: str, tmp_path: Path,
                                                         db: Database) -> None:
    async with production_api(neo4j_uri, tmp_path,
                              TIPGRAPH_METRICS_TOKEN="synthetic-metrics-token") as (client, _):
        assert (await client.get("/metrics", headers={"Authorization": ""})).status_code == 401
        assert (await client.get("/metrics", headers={
            "Authorization": "Bearer wrong"})).status_code == 401
        served = await client.get("/metrics", headers={
            "Authorization": "Bearer synthetic-metrics-token"})
        assert served.status_code == 200
        assert "tipgraph" in served.text
    (tmp_path / "off").mkdir()
    async with production_api(neo4j_uri, tmp_path / "off") as (client, _):
        assert (await client.get("/metrics")).status_code == 401


@pytest.mark.parametrize("agency_id", ["agency-1\n", "agency-1\r\n"])
async def test_ids_ending_in_a_newline_are_refused(db: Database, agency_id: str) -> None:
    with pytest.raises(BadInput):
        await upsert_agency(db, AgencySpec(agency_id, "A", AgencyKind.STATE, ("US-CA",)))
    with pytest.raises(BadInput):
        await register_reporter(db, agency_id, "E")


async def test_a_token_whose_agency_ends_in_a_newline_is_refused(db: Database, api: Api,
                                                                 tokens: Tokens) -> None:
    token = tokens.mint(Role.LE, agency_id="agency-1\n")
    assert code(await api.gql("{ reports { totalCount } }", token=token)) == "UNAUTHENTICATED"


async def test_identifiers_per_report_are_capped(neo4j_uri: str, tmp_path: Path,
                                                 db: Database) -> None:
    async with low_threshold(neo4j_uri, tmp_path,
                             TIPGRAPH_MAX_IDENTIFIERS_PER_REPORT="3") as (http, tokens):
        await register_reporter(db, "esp-a", "A")
        submit = "mutation($input: SubmitReportInput!) { submitReport(input: $input) { id } }"
        person = {"incidentType": "ONLINE_ENTICEMENT", "incidentDateTime": "2026-10-01T00:00:00Z",
                  "reportedPeople": [{"emails": [{"address": f"p{i}@example.com"}
                                                 for i in range(4)]}]}
        body = await gql(http, submit, {"input": person}, tokens.esp("esp-a"))
        assert code(body) == "BAD_USER_INPUT"
        assert "at most 3 identifiers" in body["errors"][0]["message"]

        async def count_tx(tx: Any) -> int:
            return int((await run(tx, "MATCH (n) WHERE n:Report OR n:Identifier "
                                      "RETURN count(n) AS n"))[0]["n"])

        assert await db.read(count_tx) == 0  # nothing half-written
        person["reportedPeople"] = [{"emails": [{"address": "one@example.com"}]}]
        assert "errors" not in await gql(http, submit, {"input": person}, tokens.esp("esp-a"))


# -- 6 and 1. entities and values computed over the whole graph ---------------------------------

async def test_an_agency_through_entities_answers_as_its_root_field(
        db: Database, api: Api, tokens: Tokens) -> None:
    await build_world(db)
    query = ('{ _entities(representations: [{__typename: "Agency", id: "agency-2"}, '
             '{__typename: "Agency", id: "agency-1"}]) { ... on Agency { id } } }')
    body = await api.gql(query, token=tokens.mint(Role.LE, agency_id="agency-1"))
    assert body["data"]["_entities"] == [None, {"id": "agency-1"}]
    analyst = await api.gql(query, token=tokens.mint(Role.ANALYST))
    assert analyst["data"]["_entities"] == [{"id": "agency-2"}, {"id": "agency-1"}]


async def test_a_suggested_priority_is_shown_only_to_readers_who_see_every_report(
        db: Database, api: Api, tokens: Tokens) -> None:
    from graph.triage.enrichment import EnrichmentWorker
    from graph.triage.geo import geo_provider

    world = await build_world(db)
    while await EnrichmentWorker(db, geo_provider(None), common_threshold=50).run_due():
        pass
    query = "query($id: ID!) { report(id: $id) { id suggestedPriority { priority basis } } }"
    report_id = world.reports["A2"]
    agency = await api.gql(query, {"id": report_id},
                           token=tokens.mint(Role.LE, agency_id="agency-1"))
    assert agency["data"]["report"] == {"id": str(report_id), "suggestedPriority": None}
    assert code(agency) == "FORBIDDEN"
    analyst = await api.gql(query, {"id": report_id}, token=tokens.mint(Role.ANALYST))
    assert analyst["data"]["report"]["suggestedPriority"]["priority"] in ("P1", "P2", "P3")


# -- 3. every scope does what its name says -----------------------------------------------------

async def test_files_need_files_read_in_graphql_and_in_the_package(
        db: Database, api: Api, tokens: Tokens) -> None:
    # given a referred report with a file and its hash
    from tests.documents import EXAMPLE_INPUT

    await register_reporter(db, "example-esp", "Example ESP")
    await upsert_agency(db, AgencySpec("agency-1", "Agency One", AgencyKind.STATE, ("US-CA",)))
    submitted = await api.gql("mutation($input: SubmitReportInput!) { submitReport(input: "
                              "$input) { id } }", {"input": EXAMPLE_INPUT}, token=tokens.esp())
    report_id = submitted["data"]["submitReport"]["id"]
    await api.gql('mutation($id: ID!) { referReport(reportId: $id, agencyId: "agency-1", '
                  'reason: "r") { id } }', {"id": report_id}, token=tokens.mint(Role.ANALYST))
    query = ("query($id: ID!) { report(id: $id) { files { id } labelSummary "
             "identifiers { role identifier { kind } } referralPackage { json } } }")
    # when an agency token without files:read reads it
    body = await api.gql(query, {"id": report_id},
                         token=tokens.mint(Role.LE, agency_id="agency-1", scope="report:read"))
    # then files, labels and file hashes are withheld, with FORBIDDEN where a field is denied
    report = body["data"]["report"]
    assert report["files"] is None
    assert report["labelSummary"] is None
    assert sorted(e["path"][-1] for e in body["errors"]) == ["files", "labelSummary"]
    assert {i["role"] for i in report["identifiers"]}
    assert all(
        i["role"] != "FILE" for i in report["identifiers"])
    package = json.loads(report["referralPackage"]["json"])
    assert package["files"] == []
    assert "files:read" in package["labelSummary"]
    assert all(i["kind"] != "FILE_HASH" for i in package["identifiers"])
    # while files:read shows them
    full = await api.gql(query, {"id": report_id},
                         token=tokens.mint(Role.LE, agency_id="agency-1"))
    assert full["data"]["report"]["files"]
    assert "errors" not in full
    assert json.loads(full["data"]["report"]["referralPackage"]["json"])["files"]


# -- 7. the audit trail sees every attempt ------------------------------------------------------

AUDIT: Final = """query($reportId: ID) { auditEvents(filter: {reportId: $reportId}, first: 50) {
  edges { node { subject operation outcome reportIds askedReportIds variablesHash detail } } } }"""


async def audit_of(api: Api, tokens: Tokens, report_id: int) -> list[dict[str, Any]]:
    body = await api.gql(AUDIT, {"reportId": str(report_id)}, token=tokens.mint(Role.AUDITOR))
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditEvents"]["edges"]]


async def test_a_refused_look_is_found_by_the_id_asked_for(db: Database, api: Api,
                                                          tokens: Tokens) -> None:
    # given a report referred to agency-1 only
    world = await build_world(db)
    report_id = world.reports["A2"]
    # when agency-2 asks for it, and is told it does not exist
    snoop = tokens.mint(Role.LE, agency_id="agency-2", subject="det-snoop")
    body = await api.gql("query Look($id: ID!) { report(id: $id) { id } }", {"id": report_id},
                         token=snoop)
    assert body["data"]["report"] is None
    # then the auditor finds the attempt by that report id
    [event] = [e for e in await audit_of(api, tokens, report_id) if e["subject"] == "det-snoop"]
    assert event["askedReportIds"] == [str(report_id)]
    assert event["reportIds"] == []
    assert event["operation"] == "Look"


async def test_the_audit_hashes_the_variables_too(db: Database, api: Api,
                                                  tokens: Tokens) -> None:
    world = await build_world(db)
    analyst = tokens.mint(Role.ANALYST, subject="analyst-v")
    query = "query Look($id: ID!) { report(id: $id) { id } }"
    for name in ("A2", "B1"):
        await api.gql(query, {"id": world.reports[name]}, token=analyst)
    first = (await audit_of(api, tokens, world.reports["A2"]))[0]["variablesHash"]
    second = (await audit_of(api, tokens, world.reports["B1"]))[0]["variablesHash"]
    assert first is not None
    assert second is not None
    assert first != second


async def test_refused_package_downloads_are_audited(db: Database, api: Api,
                                                     tokens: Tokens) -> None:
    world = await build_world(db)
    report_id = world.reports["A2"]
    # a download without credentials, with another agency's token, and with a bad name
    anonymous = await api.client.get(f"/packages/{report_id}.pdf")
    other = await api.client.get(f"/packages/{report_id}.pdf", headers={
        "Authorization": f"Bearer {tokens.mint(Role.LE, agency_id='agency-2', subject='d2')}"})
    bad = await api.client.get("/packages/not-a-package.exe")
    assert (anonymous.status_code, other.status_code, bad.status_code) == (401, 404, 404)
    events = await audit_of(api, tokens, report_id)
    outcomes = sorted((e["subject"], e["outcome"]) for e in events
                      if e["operation"] == "packageDownload")
    assert outcomes == [("(no token)", "UNAUTHENTICATED"), ("(unverified) d2", "NOT_FOUND")]
    body = await api.gql("{ auditEvents(first: 50) { edges { node { operation detail } } } }",
                         token=tokens.mint(Role.AUDITOR))
    assert any("not-a-package.exe" in (e["node"]["detail"] or "")
               for e in body["data"]["auditEvents"]["edges"])


# -- 6. keys are compared by content ------------------------------------------------------------

@pytest.mark.parametrize("copied", ["jwt", "package", "content", "identifier"])
def test_production_refuses_a_copy_of_a_development_key(neo4j_uri: str, tmp_path: Path,
                                                        copied: str) -> None:
    import shutil

    from api.settings import SettingsError
    from authz.tokens import _dev_key_paths
    from graph.referrals.packages.signing import DEV_KEY_NAME, Signer
    from graph.reports.blobs import load_content_key
    from tests.helpers import CONTENT_KEY, write_key_pair, write_package_key

    # given the development keys a development run left in the state folder
    development = make_settings(neo4j_uri, tmp_path, TIPGRAPH_IDENTIFIER_KEY="")
    load_keys(development.tokens)
    Signer.load(key_file=None, state_dir=tmp_path, production=False)
    load_content_key(None, tmp_path)
    identifier_ids(development)
    # and production settings with keys of their own, but one copied from development
    private, public = write_key_pair(tmp_path)
    production = {"TIPGRAPH_ENV": "production", "TIPGRAPH_CONTENT_KEY": CONTENT_KEY,
                  "TIPGRAPH_PACKAGE_KEY_FILE": write_package_key(tmp_path),
                  "TIPGRAPH_JWT_PUBLIC_KEY_FILE": str(public),
                  "TIPGRAPH_JWT_PRIVATE_KEY_FILE": str(private)}
    copy = tmp_path / "copy.pem"
    if copied == "jwt":
        shutil.copy(_dev_key_paths(development.tokens)[1], copy)
        production["TIPGRAPH_JWT_PUBLIC_KEY_FILE"] = str(copy)
        del production["TIPGRAPH_JWT_PRIVATE_KEY_FILE"]
    elif copied == "package":
        shutil.copy(tmp_path / DEV_KEY_NAME, copy)
        production["TIPGRAPH_PACKAGE_KEY_FILE"] = str(copy)
    else:
        production[f"TIPGRAPH_{copied.upper()}_KEY"] = (
            tmp_path / "keys" / f"{copied}.key").read_text()
    # then production refuses to start
    with pytest.raises(SettingsError, match="development"):
        create_app(make_settings(neo4j_uri, tmp_path, **production))


# -- 5. expensive queries run under a time budget -----------------------------------------------

async def test_a_statement_past_its_budget_is_stopped_by_neo4j(session_db: Database) -> None:
    from graph.core.errors import TooExpensive

    bounded = Database(session_db.driver, session_db.database, timeout=30)

    async def slow_tx(tx: Any) -> Any:
        return await run(tx, "UNWIND range(1, 1000000000) AS x WITH x WHERE x = -1 "
                             "RETURN count(x) AS n")

    started = time.perf_counter()
    with pytest.raises(TooExpensive, match="time budget"):
        await bounded.read_within(0.5, slow_tx)
    assert time.perf_counter() - started < 5  # stopped by Neo4j, not run to its end


async def test_a_walk_past_its_budget_answers_with_a_clear_error(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with low_threshold(neo4j_uri, tmp_path,
                             TIPGRAPH_LINKS_BUDGET_SECONDS="0") as (http, tokens):
        world = await build_world(db)
        body = await gql(http, "query($id: ID!) { neighborhood(id: $id) { truncated } }",
                         {"id": str(world.reports["A2"])}, tokens.mint(Role.ANALYST))
        assert code(body) == "BAD_USER_INPUT"
        assert "time budget" in body["errors"][0]["message"]


def test_expensive_work_is_limited_by_the_time_it_takes() -> None:
    from authz.ratelimit import RateLimiter, RateLimitExceeded

    limiter = RateLimiter({"expensive": (10, 600.0)})
    # two quick calls cost two tokens; a slow one costs its call and its time
    for _ in range(2):
        with limiter.metered("expensive", "who", unit_seconds=0.01):
            pass
    with limiter.metered("expensive", "who", unit_seconds=0.01):
        time.sleep(0.08)  # at least eight units of time
    # then 10 - 2 - (1 + 8) leaves less than one token: the next call waits
    with pytest.raises(RateLimitExceeded):
        limiter.check("expensive", "who")
