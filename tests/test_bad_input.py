"""Bad input gets a stable code, names what is wrong, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from authz.roles import Role
from graph.core.db import Database, run
from tests.conftest import Api, Tokens
from tests.documents import FINISH_REPORT, SUBMIT_REPORT, example_input

BATCH_FILE = {"fileName": "meme.jpg", "annotations": ["VIRAL"],
              "hashes": [{"algorithm": "MD5", "value": "0" * 32}]}


def person(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = example_input()["reportedPeople"][0]
    value.update(changes)
    return value


def file(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = example_input()["files"][0]
    value.update(changes)
    return value


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("hash of the wrong length",
     {"files": [file(hashes=[{"algorithm": "MD5", "value": "abc123"}])]}, "files[0].hashes[0]"),
    ("hash that is not hex",
     {"files": [file(hashes=[{"algorithm": "SHA1", "value": "z" * 40}])]}, "files[0].hashes[0]"),
    ("hash of another algorithm, too short to link files",
     {"files": [file(hashes=[{"algorithm": "CRC32", "value": "0" * 4}])]}, "files[0].hashes[0]"),
    ("hash algorithm that is not a name",
     {"files": [file(hashes=[{"algorithm": "MD5; x", "value": "0" * 32}])]},
     "files[0].hashes[0]"),
    ("reporting person without an e-mail (B.4)",
     {"reporter": {"reportingPerson": {"firstName": "Rep"}}}, "reporter.reportingPerson.emails"),
    ("two reported people outside a batched report",
     {"reportedPeople": [person(), person(screenName="other")]}, "reportedPeople[1]"),
    ("phone number repeating its country calling code",
     {"reportedPeople": [person(phones=[{"number": "+1 415 555 0101",
                                         "countryCallingCode": "+1"}])]},
     "reportedPeople[0].phones[0].number"),
    ("estimated location with a blank country",
     {"reportedPeople": [person(estimatedLocation={"city": "Exampleton", "countryCode": " "})]},
     "reportedPeople[0].estimatedLocation.countryCode"),
    ("invalid IP address",
     {"reportedPeople": [person(ipCaptureEvents=[{"ipAddress": "999.1.1.1"}])]},
     "reportedPeople[0].ipCaptureEvents[0].ipAddress"),
    ("invalid e-mail", {"reportedPeople": [person(emails=[{"address": "not-an-email"}])]},
     "reportedPeople[0].emails[0]"),
    ("invalid phone", {"reportedPeople": [person(phones=[{"number": "12"}])]},
     "reportedPeople[0].phones[0]"),
    ("timestamp without an offset", {"incidentDateTime": "2026-11-01T10:00:00"},
     "incidentDateTime"),
    ("incident in the future", {"incidentDateTime": "2099-01-01T00:00:00Z"}, "incidentDateTime"),
    ("unknown enum value", {"incidentType": "NOT_A_TYPE"}, None),
    ("oversize string", {"platform": "x" * 300}, "platform"),
    ("string over the global cap", {"additionalInfo": "x" * 100_001}, "additionalInfo"),
    ("EXIF viewed without the file", {"files": [file(viewedByEsp=False, exifViewedByEsp=True)]},
     "files[0].viewedByEsp"),
    ("supplemental file with a classification",
     {"files": [file(relevance="SUPPLEMENTAL_REPORTED")]}, "files[0].relevance"),
    ("two kinds in one internet detail",
     {"internetDetails": [{"webPage": {"urls": ["https://example.com"]},
                           "chatIm": {"chatClient": "x"}}]}, None),
    ("incident e-mail that no party has",
     {"internetDetails": [{"email": {"emailAddresses": [{"address": "nobody@example.com"}]}}]},
     "internetDetails[0].email.emailAddresses[0]"),
    ("invalid URL", {"internetDetails": [{"webPage": {"urls": ["javascript:alert(1)"]}}]},
     "internetDetails[0].webPage.urls[0]"),
    ("invalid country", {"reportedPeople": [person(estimatedLocation={"countryCode": "XX"})]},
     "reportedPeople[0].estimatedLocation.countryCode"),
    ("port out of range",
     {"reportedPeople": [person(ipCaptureEvents=[{"ipAddress": "192.0.2.1", "port": 70000}])]},
     "reportedPeople[0].ipCaptureEvents[0].port"),
    ("blank escalation", {"escalateToHighPriority": "  "}, "escalateToHighPriority"),
    ("batched report with a victim (Appendix E)",
     {"batchedReport": {"reason": "VIRAL_POTENTIAL_MEME"}, "victims": [{"age": 12}],
      "reportedPeople": [{"espIdentifier": "u-1"}], "files": [BATCH_FILE]}, "victims"),
    ("batched report with two files (Appendix E)",
     {"batchedReport": {"reason": "VIRAL_POTENTIAL_MEME"},
      "reportedPeople": [{"espIdentifier": "u-1"}, {"espIdentifier": "u-2"}],
      "files": [BATCH_FILE, BATCH_FILE]}, "files"),
    ("batched report file without a viral annotation (Appendix E)",
     {"batchedReport": {"reason": "VIRAL_POTENTIAL_MEME"},
      "reportedPeople": [{"espIdentifier": "u-1"}],
      "files": [{**BATCH_FILE, "annotations": ["INFANT"]}]}, "files[0].annotations"),
    ("batched report person with more than an account (Appendix E)",
     {"batchedReport": {"reason": "VIRAL_POTENTIAL_MEME"},
      "reportedPeople": [{"espIdentifier": "u-1", "screenName": "x"}], "files": [BATCH_FILE]},
     "reportedPeople[0]"),
]


async def count_nodes(db: Database) -> int:
    async def tx(t: Any) -> int:
        rows = await run(t, "MATCH (n) WHERE NOT (n:__Migration OR n:IdBlock OR n:Reporter "
                            "OR n:IdentifierKeying) "
                            "RETURN count(n) AS n")
        count: int = rows[0]["n"]
        return count

    return await db.read(tx)


@pytest.mark.parametrize(("case", "changes", "field"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_refused_and_writes_nothing(
        api: Api, esp: str, db: Database, case: str, changes: dict[str, Any],
        field: str | None) -> None:
    # given an otherwise valid report with one thing wrong
    before = await count_nodes(db)
    # when it is submitted
    body = await api.gql(SUBMIT_REPORT, {"input": example_input(**changes)}, token=esp)
    # then it is refused with BAD_USER_INPUT, naming the field, and nothing is written
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    if field is not None:
        assert error["extensions"]["field"] == field, error
    if "Appendix E" in case:
        assert "Appendix E" in error["message"]
    assert "Traceback" not in str(body)
    assert "MATCH" not in str(body)
    assert await count_nodes(db) == before


async def test_an_invalid_report_id_is_bad_input(api: Api, esp: str) -> None:
    for bad in ("abc", "-1", "1.5", "1" * 30, ""):
        body = await api.gql(FINISH_REPORT, {"id": bad}, token=esp)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (bad, body)


async def test_an_oversize_idempotency_key_is_bad_input(api: Api, esp: str, db: Database) -> None:
    body = await api.gql(SUBMIT_REPORT, {"input": example_input(), "key": "k" * 256}, token=esp)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await count_nodes(db) == 0


async def test_malformed_graphql_is_bad_input(api: Api, esp: str) -> None:
    for document in ("mutation {", "query { nope }", "{ report(id: 1) { nope } }"):
        body = await api.gql(document, token=esp)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_malformed_entity_representations_are_bad_input_item_by_item(
        api: Api, esp: str, tokens: Tokens) -> None:
    # found by the generated-query suite: {} used to be an INTERNAL error
    created = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp)
    report_id = created["data"]["submitReport"]["id"]
    body = await api.gql("""query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Report { id } } }""", {"r": [{}, {"__typename": "Nope", "id": "1"},
                                            {"__typename": "Report", "id": report_id},
                                            {"__typename": "Report"}]},
                         token=tokens.mint(Role.ANALYST))
    assert body["data"]["_entities"][2] == {"id": report_id}
    assert [e["path"][1] for e in body["errors"]] == [0, 1, 3]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
