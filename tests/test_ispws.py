"""Specification: the CyberTipline Reporting API at /ispws, as NCMEC's reference documents it.

Every endpoint and response code, the reference's own transaction (section 6), a maximal and a
minimal report, the lifecycle's illegal moves, concurrent uploads, and content encrypted at
rest. A report sent as XML is the same in the graph as the same report sent through GraphQL.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from authz.basic import issue_credentials
from authz.roles import Role
from graph.core.db import Database, run
from graph.core.vocabulary import XSD_PATH, BatchReason, FileAnnotation, IncidentType
from graph.reports.blobs import ContentStore, load_content_key
from graph.reports.intake.validation import graphql_input
from graph.reports.intake.xml import file_details_xml, report_xml
from graph.reports.reporters import register_reporter
from tests.conftest import Api, Tokens
from tests.cybertipline import (
    DECLARATION,
    MAXIMAL_FILE,
    MAXIMAL_REPORT,
    REFERENCE_FILE_DETAILS,
    REFERENCE_REPORT,
    Answer,
    Ispws,
    answer,
    ispws_client,
    synthetic_bytes,
)
from tests.documents import MINIMAL_INPUT
from tests.helpers import make_settings

MINIMAL_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<report>
    <incidentSummary>
        <incidentType>Online Enticement of Children for Sexual Acts</incidentType>
        <incidentDateTime>2026-10-01T08:30:00Z</incidentDateTime>
    </incidentSummary>
    <reporter><reportingPerson><email>reports@example-esp.example</email></reportingPerson></reporter>
</report>
"""

SUBMIT = """
mutation Submit($input: SubmitReportInput!) { submitReport(input: $input) { id status } }
"""


@pytest.fixture
async def esp_login(db: Database) -> tuple[str, str]:
    await register_reporter(db, "example-esp", "Example ESP")
    return await issue_credentials(db, "example-esp")


@pytest.fixture
async def ispws(app: Starlette, esp_login: tuple[str, str]) -> AsyncIterator[Ispws]:
    async with ispws_client(app, *esp_login) as client:
        yield Ispws(client)


@pytest.fixture
def store(settings: Settings) -> ContentStore:
    return ContentStore(settings.content_dir,
                        load_content_key(settings.content_key, settings.state_dir))


async def opened(ispws: Ispws, body: bytes = REFERENCE_REPORT) -> int:
    response = await ispws.submit(body)
    assert (response.status, response.code) == (200, 0), response.body
    return int(response.fields["reportId"])


async def graph_of(db: Database, report_id: int) -> dict[str, Any]:
    """A report's subgraph, without what differs between two submissions of the same report
    (ids, times) or between the doors by design (bytes uploaded: content address and size;
    who computed a hash)."""
    async def tx(tx: Any) -> dict[str, Any]:
        [record] = await run(tx, """
            MATCH (r:Report {id: $id})
            RETURN r {.*} AS report,
              [(r)-[m:MENTIONS]->(i:Identifier) | {m: properties(m), key: i.key}] AS mentions,
              [(r)-[:HAS_FILE]->(f:File) | {file: properties(f),
                hashes: [(f)-[h:HAS_HASH]->(x) | {algorithm: h.algorithm, key: x.key}],
                labels: [(f)-[:LABELLED]->(c) | c {.label, .source, .by, .basis}]}] AS files
            """, id=report_id)
        return dict(record)

    found = await db.read(tx)
    volatile = {"id", "openedAt", "modifiedAt", "finishedAt", "preserveUntil", "queuedAt",
                "version", "expiresAt"}
    report = {k: v for k, v in found["report"].items() if k not in volatile}
    mentions = sorted((m["key"], sorted((k, str(v)) for k, v in m["m"].items()
                                        if k != "fileId")) for m in found["mentions"])
    files = sorted(
        (sorted((k, str(v)) for k, v in f["file"].items()
                if k not in {"id", "contentRef", "sizeBytes", "uploadedAt", "detailsAt"}),
         sorted((h["algorithm"], h["key"]) for h in f["hashes"]),
         sorted(sorted(label.items()) for label in f["labels"]))
        for f in found["files"])
    return {"report": report, "mentions": mentions, "files": files}


# -- status, xsd, authentication -------------------------------------------------------------

async def test_status_names_the_user_and_address(ispws: Ispws) -> None:
    response = await ispws.client.get("/status")
    status = answer(response)
    assert (status.status, status.root, status.code) == (200, "reportResponse", 0)
    assert status.fields["responseDescription"] == (
        "Remote User : example-esp, Remote Ip : 203.0.113.250")
    assert status.body.startswith(DECLARATION)
    assert response.headers["Request-ID"]


async def test_xsd_is_the_schema_we_validate_against(ispws: Ispws) -> None:
    response = await ispws.client.get("/xsd")
    assert response.status_code == 200
    assert response.content == XSD_PATH.read_bytes()


@pytest.mark.parametrize("authorization", [
    None, "Basic " + base64.b64encode(b"example-esp:wrong").decode(),
    "Basic " + base64.b64encode(b"nobody:secret").decode(), "Basic !!!notbase64", "Bearer x",
    "Basic " + base64.b64encode(b"no-colon").decode(),
])
async def test_wrong_credentials_get_401_code_2000(app: Starlette, esp_login: tuple[str, str],
                                                   authorization: str | None) -> None:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t/ispws") as client:
        for method, path in (("GET", "/status"), ("POST", "/submit"), ("POST", "/upload")):
            response = await client.request(method, path, headers=headers, content=b"x")
            refused = answer(response)
            assert (refused.status, refused.code) == (401, 2000)
            assert response.headers["WWW-Authenticate"].startswith("Basic")


# -- the reference's transaction (section 6) -------------------------------------------------

async def test_reference_transaction_open_upload_details_finish(
        ispws: Ispws, db: Database, api: Api, tokens: Tokens, store: ContentStore) -> None:
    opened_answer = await ispws.submit(REFERENCE_REPORT)
    assert opened_answer.body.startswith(DECLARATION)
    assert list(opened_answer.fields) == ["responseCode", "responseDescription", "reportId"]
    assert opened_answer.fields["responseDescription"] == "Success"
    report_id = int(opened_answer.fields["reportId"])

    content = synthetic_bytes(100_000)
    uploaded = await ispws.upload(report_id, content)
    assert list(uploaded.fields) == ["responseCode", "responseDescription", "reportId",
                                     "fileId", "hash"]
    assert uploaded.code == 0
    assert uploaded.fields["hash"] == hashlib.md5(content, usedforsecurity=False).hexdigest()
    file_id = uploaded.fields["fileId"]

    details = await ispws.fileinfo(REFERENCE_FILE_DETAILS.format(
        report_id=report_id, file_id=file_id).encode())
    assert (details.status, details.code, details.fields["reportId"]) == (200, 0, str(report_id))

    done = await ispws.finish(report_id)
    assert done.root == "reportDoneResponse"
    assert done.body.startswith(DECLARATION)
    assert done.fields == {"responseCode": "0", "reportId": str(report_id), "files": [file_id]}

    # In the graph: finished, annotated, linked; the server's hashes beside the ESP's facts.
    found = await api.gql("""query($id: ID!) { report(id: $id) {
        status annotations
        files { fileName originalFileName sizeBytes hashes { algorithm value } }
        identifiers { role event identifier { kind value } } } }""",
                          {"id": report_id}, token=tokens.mint(Role.ANALYST))
    report = found["data"]["report"]
    assert report["status"] == "SUBMITTED"
    assert len(report["annotations"]) == 5
    [file] = report["files"]
    assert file["originalFileName"] == "mypic.jpg"
    assert file["sizeBytes"] == len(content)
    assert {h["algorithm"]: h["value"] for h in file["hashes"]} == {
        "MD5": hashlib.md5(content, usedforsecurity=False).hexdigest(),
        "SHA1": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        "SHA256": hashlib.sha256(content).hexdigest()}
    linked = {(i["identifier"]["kind"], i["identifier"]["value"]) for i in report["identifiers"]}
    assert ("IP_ADDRESS", "63.116.246.17") in linked
    assert ("URL", "http://badsite.com/baduri.html") in linked

    # Stored encrypted, by content address.
    address = hashlib.sha256(content).hexdigest()
    raw = store.path(address).read_bytes()
    assert content[:64] not in raw
    assert store.read(address) == content

    # And triaged like any other report.
    queue = await api.gql("{ reports(first: 10) { edges { node { id } } } }",
                          token=tokens.mint(Role.ANALYST))
    assert str(report_id) in [e["node"]["id"] for e in queue["data"]["reports"]["edges"]]


async def test_reference_retraction_deletes_the_upload(ispws: Ispws, db: Database,
                                                       store: ContentStore) -> None:
    report_id = await opened(ispws)
    content = synthetic_bytes(5000, "retracted")
    await ispws.upload(report_id, content)
    address = hashlib.sha256(content).hexdigest()
    assert store.exists(address)
    retracted = await ispws.retract(report_id)
    assert (retracted.status, retracted.code, retracted.fields["reportId"]) == (
        200, 0, str(report_id))
    assert not store.exists(address)

    async def tx(tx: Any) -> dict[str, Any]:
        [record] = await run(tx, "MATCH (r:Report {id: $id})-[:HAS_FILE]->(f:File)"
                                 " RETURN r.status AS status, f.contentRef AS ref,"
                                 " f.contentPurgedAt IS NOT NULL AS purged", id=report_id)
        return dict(record)
    assert await db.read(tx) == {"status": "CANCELLED", "ref": None, "purged": True}


async def test_shared_content_stays_while_another_report_refers_to_it(
        ispws: Ispws, store: ContentStore) -> None:
    content = synthetic_bytes(3000, "shared")
    first, second = await opened(ispws), await opened(ispws)
    await ispws.upload(first, content)
    await ispws.upload(second, content)
    await ispws.retract(first)
    assert store.exists(hashlib.sha256(content).hexdigest())
    await ispws.retract(second)
    assert not store.exists(hashlib.sha256(content).hexdigest())


# -- lifecycle: illegal moves -----------------------------------------------------------------

async def test_retract_after_finish_is_5102(ispws: Ispws) -> None:
    report_id = await opened(ispws)
    assert (await ispws.finish(report_id)).code == 0
    refused = await ispws.retract(report_id)
    assert (refused.status, refused.code, refused.fields["reportId"]) == (
        409, 5102, str(report_id))


async def test_finish_after_retract_is_5101(ispws: Ispws) -> None:
    report_id = await opened(ispws)
    assert (await ispws.retract(report_id)).code == 0
    refused = await ispws.finish(report_id)
    assert (refused.status, refused.code) == (409, 5101)
    assert (await ispws.retract(report_id)).code == 5101


async def test_upload_and_details_after_finish_are_5102(ispws: Ispws) -> None:
    report_id = await opened(ispws)
    file_id = (await ispws.upload(report_id, b"bytes")).fields["fileId"]
    await ispws.finish(report_id)
    assert (await ispws.upload(report_id, b"more")).code == 5102
    details = REFERENCE_FILE_DETAILS.format(report_id=report_id, file_id=file_id).encode()
    assert (await ispws.fileinfo(details)).code == 5102
    assert (await ispws.finish(report_id)).code == 5102


async def test_an_expired_report_cannot_be_changed(ispws: Ispws, db: Database) -> None:
    report_id = await opened(ispws)

    async def expire(tx: Any) -> None:
        await run(tx, "MATCH (r:Report {id: $id}) SET r.expiresAt = $past", id=report_id,
                  past=datetime.now(UTC) - timedelta(minutes=1))
    await db.write(expire)
    upload, finish = await ispws.upload(report_id, b"late"), await ispws.finish(report_id)
    for refused in (upload, finish):
        assert (refused.status, refused.code) == (409, 5101)
    assert "expired" in upload.fields["responseDescription"]
    # /finish answers in reportDoneResponse, which has no description: it is in a header
    assert "expired" in finish.headers["X-Response-Description"]


async def test_the_expiry_sweep_deletes_an_unfinished_reports_uploads(
        app: Starlette, ispws: Ispws, db: Database, store: ContentStore) -> None:
    report_id = await opened(ispws)
    content = synthetic_bytes(4000, "abandoned")
    await ispws.upload(report_id, content)

    async def expire(tx: Any) -> None:
        await run(tx, "MATCH (r:Report {id: $id}) SET r.expiresAt = $past", id=report_id,
                  past=datetime.now(UTC) - timedelta(minutes=1))
    await db.write(expire)
    assert await app.state.tipgraph.services.intake.sweep() >= 1
    assert not store.exists(hashlib.sha256(content).hexdigest())
    assert (await ispws.retract(report_id)).code == 5101


async def test_another_esps_report_does_not_exist_for_it(
        app: Starlette, ispws: Ispws, db: Database) -> None:
    report_id = await opened(ispws)
    await register_reporter(db, "other-esp", "Other ESP")
    async with ispws_client(app, *await issue_credentials(db, "other-esp")) as client:
        other = Ispws(client)
        for refused in (await other.upload(report_id, b"x"), await other.finish(report_id),
                        await other.retract(report_id)):
            assert (refused.status, refused.code) == (404, 5001)
        missing = await other.finish(999_999_999)
        assert (missing.status, missing.code) == (404, 5001)


# -- fileinfo ---------------------------------------------------------------------------------

async def test_fileinfo_needs_a_file_of_that_report_once(ispws: Ispws) -> None:
    report_id, other_id = await opened(ispws), await opened(ispws)
    file_id = (await ispws.upload(report_id, b"one")).fields["fileId"]
    other_file = (await ispws.upload(other_id, b"two")).fields["fileId"]

    def details(file: str, report: int = report_id) -> bytes:
        return REFERENCE_FILE_DETAILS.format(report_id=report, file_id=file).encode()

    for missing in ("999999999", "b0754af766b426f2928a02c651ed4b99", "\u00b2", other_file):
        refused = await ispws.fileinfo(details(missing))
        assert (refused.status, refused.code) == (404, 5002), missing
    assert (await ispws.fileinfo(details(file_id))).code == 0
    again = await ispws.fileinfo(details(file_id))
    assert (again.status, again.code) == (400, 4100)
    assert "once" in again.fields["responseDescription"]


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "code"), [
    (b"", 4110),
    (b"not xml at all", 4110),
    (b"<report><incidentSummary>", 4110),
    (b'<?xml version="1.0"?><!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<report>&x;</report>", 4110),
    (b"<fileDetails/>", 4100),
    # incidentDateTime before incidentType: the XSD's order is enforced
    (MINIMAL_XML.replace(b"<incidentType>Online Enticement of Children for Sexual Acts"
                         b"</incidentType>\n", b"").replace(
        b"</incidentSummary>", b"<incidentType>Child Sex Tourism</incidentType>"
                               b"</incidentSummary>"), 4100),
    (MINIMAL_XML.replace(b"Online Enticement", b"Offline Enticement"), 4100),
    (MINIMAL_XML.replace(b"2026-10-01T08:30:00Z", b"2999-10-01T08:30:00Z"), 4100),
    (MINIMAL_XML.replace(b"2026-10-01T08:30:00Z", b"2026-10-01T08:30:00"), 4100),
])
async def test_bad_documents_get_their_codes_and_write_nothing(
        ispws: Ispws, db: Database, body: bytes, code: int) -> None:
    refused = await ispws.submit(body)
    assert (refused.status, refused.code) == (400, code), refused.fields
    assert refused.fields["responseDescription"]

    async def count(tx: Any) -> int:
        return int((await run(tx, "MATCH (r:Report) RETURN count(r) AS n"))[0]["n"])
    assert await db.read(count) == 0


async def test_invalid_xml_says_where(ispws: Ispws) -> None:
    refused = await ispws.submit(MINIMAL_XML.replace(b"<reporter>", b"<reporterx>").replace(
        b"</reporter>", b"</reporterx>"))
    assert refused.code == 4100
    assert "line 7" in refused.fields["responseDescription"]


async def test_forms_without_a_usable_id(ispws: Ispws) -> None:
    for refused in (answer(await ispws.client.post("/finish", data={})),
                    answer(await ispws.client.post("/retract", data={"id": "abc"})),
                    answer(await ispws.client.post("/finish", data={"id": "\u00b2"})),
                    answer(await ispws.client.post("/finish", data={"id": "-1"}))):
        assert (refused.status, refused.code) == (400, 4000)
    assert (await ispws.finish(123_456_789)).code == 5001


async def test_malformed_uploads_get_4200(ispws: Ispws) -> None:
    report_id = await opened(ispws)
    cases = [
        ispws.client.post("/upload", data={"id": str(report_id)}),  # no file part
        ispws.client.post("/upload", content=b"raw bytes",
                          headers={"Content-Type": "application/octet-stream"}),
        ispws.client.post("/upload", content=b"--x\r\ngarbage",
                          headers={"Content-Type": "multipart/form-data; boundary=x"}),
        ispws.client.post("/upload", data={"id": str(report_id)}, files=[
            ("file", ("a.jpg", b"a")), ("file", ("b.jpg", b"b"))]),
    ]
    for request in cases:
        refused = answer(await request)
        assert (refused.status, refused.code) == (400, 4200), refused.fields
    no_id = answer(await ispws.client.post("/upload", files={"file": ("a.jpg", b"a")}))
    assert (no_id.status, no_id.code) == (400, 4000)


@contextlib.asynccontextmanager
async def ispws_with(neo4j_uri: str, tmp_path: Path, db: Database,
                     **overrides: str) -> AsyncIterator[Ispws]:
    """A client of an app of its own, built with ``overrides`` of the settings."""
    application = create_app(make_settings(neo4j_uri, tmp_path, **overrides))
    async with application.router.lifespan_context(application):
        await register_reporter(db, "example-esp", "Example ESP")
        async with ispws_client(application, *await issue_credentials(db, "example-esp")) as c:
            yield Ispws(c)


async def test_an_oversize_upload_is_refused_and_nothing_is_kept(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with ispws_with(neo4j_uri, tmp_path, db, TIPGRAPH_MAX_UPLOAD_BYTES="10000") as client:
        report_id = await opened(client)
        # declared too large: refused at the edge before a byte is read
        refused = await client.upload(report_id, synthetic_bytes(200_000))
        assert (refused.status, refused.code) == (413, 1111)
        # streamed past the limit (framing within the edge's allowance): refused by the store
        refused = await client.upload(report_id, synthetic_bytes(20_000))
        assert (refused.status, refused.code) == (413, 1111)
        assert (await client.upload(report_id, synthetic_bytes(5_000))).code == 0
        done = await client.finish(report_id)
        assert len(done.fields["files"]) == 1
    content_dir = tmp_path / "content"
    incoming = content_dir / "incoming"
    assert not any(incoming.iterdir())
    blobs = [p for p in content_dir.rglob("*") if p.is_file() and p.parent != incoming]
    assert len(blobs) == 1


# -- Appendix E at /finish ----------------------------------------------------------------------

async def test_batched_report_rules_are_checked_at_finish(ispws: Ispws) -> None:
    batched = report_xml({"batched_report": {"reason": BatchReason.VIRAL_POTENTIAL_MEME},
                          "incident_type": IncidentType.CHILD_PORNOGRAPHY,
                          "incident_date_time": datetime(2026, 10, 1, tzinfo=UTC),
                          "reported_people": [{"esp_identifier": "u-1"},
                                              {"esp_identifier": "u-2"}],
                          "reporter": {"reporting_person": {
                              "emails": [{"address": "reports@example-esp.example"}]}}})
    report_id = await opened(ispws, batched)
    first = (await ispws.upload(report_id, b"one")).fields["fileId"]
    await ispws.upload(report_id, b"two")
    refused = await ispws.finish(report_id)
    assert (refused.status, refused.code) == (400, 4100)
    assert refused.root == "reportDoneResponse"
    assert "only one file" in refused.headers["X-Response-Description"]
    assert (await ispws.retract(report_id)).code == 0  # still open: the ESP can retract

    report_id = await opened(ispws, batched)
    first = (await ispws.upload(report_id, b"one")).fields["fileId"]
    not_viral = await ispws.finish(report_id)
    assert (not_viral.status, not_viral.code) == (400, 4100)
    assert (await ispws.fileinfo(file_details_xml(report_id, first, {
        "annotations": [FileAnnotation.VIRAL], "relevance": None}))).code == 0
    assert (await ispws.finish(report_id)).code == 0


# -- concurrency ----------------------------------------------------------------------------------

async def test_concurrent_uploads_to_one_report(ispws: Ispws, db: Database) -> None:
    report_id = await opened(ispws)
    answers: list[Answer] = await asyncio.gather(*(
        ispws.upload(report_id, synthetic_bytes(20_000, f"c{i}"), f"f{i}.jpg")
        for i in range(12)))
    assert {a.code for a in answers} == {0}
    file_ids = {a.fields["fileId"] for a in answers}
    assert len(file_ids) == 12
    done = await ispws.finish(report_id)
    assert set(done.fields["files"]) == file_ids


# -- one intake, two doors ----------------------------------------------------------------------

async def test_a_maximal_xml_report_is_the_same_in_the_graph_as_through_graphql(
        ispws: Ispws, api: Api, esp: str, db: Database) -> None:
    content = synthetic_bytes(50_000, "maximal")
    report_id = await opened(ispws, report_xml(MAXIMAL_REPORT))
    file_id = (await ispws.upload(report_id, content, MAXIMAL_FILE["file_name"])).fields[
        "fileId"]
    details = await ispws.fileinfo(file_details_xml(report_id, file_id, MAXIMAL_FILE))
    assert details.code == 0, details.fields
    assert (await ispws.finish(report_id)).code == 0

    computed = [{"algorithm": "MD5", "value": hashlib.md5(content, usedforsecurity=False)
                 .hexdigest()},
                {"algorithm": "SHA1", "value": hashlib.sha1(content, usedforsecurity=False)
                 .hexdigest()},
                {"algorithm": "SHA256", "value": hashlib.sha256(content).hexdigest()}]
    document = {**MAXIMAL_REPORT, "files": [
        {**MAXIMAL_FILE, "hashes": [*MAXIMAL_FILE["hashes"], *computed]}]}
    submitted = await api.gql(SUBMIT, {"input": graphql_input(document)}, token=esp)
    assert "errors" not in submitted, submitted
    through_graphql = int(submitted["data"]["submitReport"]["id"])

    via_xml, via_graphql = await graph_of(db, report_id), await graph_of(db, through_graphql)
    for part in ("report", "mentions", "files"):
        assert via_xml[part] == via_graphql[part], part
    assert len(via_xml["mentions"]) > 25  # it really is maximal


async def test_a_minimal_xml_report_is_the_same_as_through_graphql(
        ispws: Ispws, api: Api, esp: str, db: Database) -> None:
    report_id = await opened(ispws, MINIMAL_XML)
    assert (await ispws.finish(report_id)).fields["files"] == []
    submitted = await api.gql(SUBMIT, {"input": {
        "incidentType": "ONLINE_ENTICEMENT", "incidentDateTime": "2026-10-01T08:30:00Z",
        "reporter": {"reportingPerson": {"emails": [
            {"address": "reports@example-esp.example"}]}}}}, token=esp)
    through_graphql = int(submitted["data"]["submitReport"]["id"])
    assert await graph_of(db, report_id) == await graph_of(db, through_graphql)


def _element_paths(element: Any, path: str = "") -> set[str]:
    here = f"{path}/{element.tag}"
    found = {here} | {f"{here}/@{name}" for name in element.attrib
                      if not name.startswith("{")}
    for child in element:
        found |= _element_paths(child, here)
    return found


def _xsd_paths(root_name: str) -> set[str]:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    schema = etree.parse(str(XSD_PATH)).getroot()
    types = {t.get("name"): t for t in schema.findall(xs + "complexType")}
    elements = {e.get("name"): e for e in schema.findall(xs + "element")}
    paths: set[str] = set()

    def walk(node: Any, path: str, seen: frozenset[str]) -> None:
        for child in node:
            tag = child.tag.replace(xs, "")
            if tag == "element":
                target = elements[child.get("ref")] if child.get("ref") else child
                name = child.get("ref") or child.get("name")
                here = f"{path}/{name}"
                paths.add(here)
                kind = target.get("type", "")
                if kind in types and kind not in seen:
                    walk(types[kind], here, seen | {kind})
                else:
                    walk(target, here, seen)
            elif tag == "attribute":
                paths.add(f"{path}/@{child.get('name')}")
            elif tag == "extension":
                if child.get("base") in types:
                    walk(types[child.get("base")], path, seen)
                walk(child, path, seen)
            elif tag in ("sequence", "choice", "all", "complexType", "complexContent",
                         "simpleContent"):
                walk(child, path, seen)

    walk(elements[root_name], f"/{root_name}", frozenset())
    return paths | {f"/{root_name}"}


def test_the_maximal_documents_use_every_element_the_xsd_defines() -> None:
    report = _element_paths(etree.fromstring(report_xml(MAXIMAL_REPORT)))
    missing = _xsd_paths("report") - report
    assert missing == {"/report/batchedReport", "/report/batchedReport/@reason"}
    details = _element_paths(etree.fromstring(file_details_xml(1, "1", MAXIMAL_FILE)))
    assert _xsd_paths("fileDetails") - details == {"/fileDetails/potentialMeme"}


async def test_the_older_potential_meme_element_is_an_annotation(ispws: Ispws,
                                                                 db: Database) -> None:
    report_id = await opened(ispws)
    file_id = (await ispws.upload(report_id, b"meme")).fields["fileId"]
    body = (f"<fileDetails><reportId>{report_id}</reportId><fileId>{file_id}</fileId>"
            "<potentialMeme>true</potentialMeme></fileDetails>").encode()
    assert (await ispws.fileinfo(body)).code == 0

    async def tx(tx: Any) -> list[str]:
        return list((await run(tx, "MATCH (f:File {id: $id}) RETURN f.annotations AS a",
                               id=int(file_id)))[0]["a"])
    assert await db.read(tx) == ["POTENTIAL_MEME"]


async def test_too_many_requests_get_429_with_retry_after(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with ispws_with(neo4j_uri, tmp_path, db,
                          TIPGRAPH_RATE_MUTATIONS_PER_MINUTE="2") as client:
        assert (await client.submit(MINIMAL_XML)).code == 0
        assert (await client.submit(MINIMAL_XML)).code == 0
        limited = await client.submit(MINIMAL_XML)
        assert (limited.status, limited.code) == (429, 1000)
        assert int(limited.headers["Retry-After"]) >= 1
        assert (answer(await client.client.get("/status"))).code == 0  # reads are not limited


# -- what a refused or interrupted upload leaves ------------------------------------------------

async def test_an_upload_refused_for_its_file_name_keeps_no_blob(
        neo4j_uri: str, tmp_path: Path, db: Database) -> None:
    async with ispws_with(neo4j_uri, tmp_path, db) as client:
        report_id = await opened(client)
        refused = await client.upload(report_id, synthetic_bytes(5_000), name="n" * 3000)
        assert (refused.status, refused.code) == (400, 4100)
    content_dir = tmp_path / "content"
    assert not [p for p in content_dir.rglob("*") if p.is_file()]


async def test_retention_sweeps_blobs_no_file_refers_to_after_a_grace(
        neo4j_uri: str, tmp_path: Path, db: Database, settings: Settings) -> None:
    import os

    async with ispws_with(neo4j_uri, tmp_path, db) as client:
        report_id = await opened(client)
        assert (await client.upload(report_id, synthetic_bytes(3_000))).code == 0
    store = ContentStore(tmp_path / "content", load_content_key(None, tmp_path))
    # given a blob a crash left without its File, and a partial upload, both old
    kept = [p for p in (tmp_path / "content").rglob("*") if p.is_file()]
    orphan = store.path("ab" * 32)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    partial = tmp_path / "content" / "incoming" / "cut-off"
    partial.write_bytes(b"partial")
    young = store.path("cd" * 32)
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(b"young")
    hour_ago = time.time() - 3600
    for path in (orphan, partial, *kept):
        os.utime(path, (hour_ago, hour_ago))
    # when the sweep runs with a grace of ten minutes
    swept = await store.sweep_orphans(db, older_than=600)
    # then the old orphan and the partial upload are gone; the file's blob and the young one
    # (perhaps an upload about to commit) stay
    assert swept == {"orphanBlobs": 1, "partialUploads": 1}
    assert not orphan.exists()
    assert not partial.exists()
    assert young.exists()
    assert all(p.exists() for p in kept)


# -- the reference's root for /finish, and dates that may lie ahead -----------------------------

async def test_finish_refusals_answer_in_report_done_response(app: Starlette, ispws: Ispws,
                                                             esp_login: tuple[str, str]) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    report_id = await opened(ispws)
    assert (await ispws.finish(report_id)).code == 0
    # every refusal at /finish, whatever its cause, answers in /finish's own root element
    again = await ispws.finish(report_id)
    missing = await ispws.finish(987654321)
    no_id = answer(await ispws.client.post("/finish", data={}))
    async with ispws_client(app, esp_login[0], "wrong") as stranger:
        unauthenticated = answer(await stranger.post("/finish", data={"id": str(report_id)}))
    for refused, expected in ((again, (409, 5102)), (missing, (404, 5001)),
                              (no_id, (400, 4000)), (unauthenticated, (401, 2000))):
        assert refused.root == "reportDoneResponse", refused.body
        assert (refused.status, refused.code) == expected
    for refused in (again, missing):  # with a report id, valid against the reference's XSD
        assert schema.validate(etree.fromstring(refused.body)), refused.body


async def test_an_account_may_be_re_enabled_on_a_date_still_to_come(api: Api, esp: str) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    person: dict[str, Any] = {"screenName": "s1", "espService": "ExampleChat",
              "accountTemporarilyDisabled": {"disabledDate": "2026-10-02T00:00:00Z",
                                             "reenabledDate": future}}
    document = {**MINIMAL_INPUT, "reportedPeople": [person]}
    accepted = await api.gql(SUBMIT, {"input": document}, token=esp)
    assert "errors" not in accepted, accepted
    # its one rule still holds: after disabledDate
    person["accountTemporarilyDisabled"]["reenabledDate"] = "2026-10-01T00:00:00Z"
    refused = await api.gql(SUBMIT, {"input": document}, token=esp)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "reenabledDate must be after disabledDate" in refused["errors"][0]["message"]
