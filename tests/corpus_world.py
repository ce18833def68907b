"""A world for corpus tests: the noninterference test and the compiled-read differential test.

:func:`build_visible` makes esp-p's reports (two submitted, referred to agency-p, one of them
triaged, labelled and enriched; one open), with matches present: a hash list's exact and PDQ
matches on both files, and a near-duplicate suggestion from the first file's analyst label on
the second; :func:`pools` gives :mod:`tests.corpus` the values
found in them, so the generated documents ask about reports, files, identifiers and agencies
that exist. :func:`stable` masks what differs between two identical asks (see
:data:`VOLATILE`).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from api.app import create_app
from authz.roles import Role
from authz.tokens import load_keys
from graph.core.db import Database, run
from graph.matching.hashlists import import_list, list_version, read_csv
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.reports.reporters import register_reporter
from tests.conftest import Tokens
from tests.corpus import Document, Pools
from tests.documents import FULL_INPUT
from tests.helpers import enrich_all, make_settings

THRESHOLD: Final = 3  # common above 3 reports: the hidden reports push every identifier past it
VOLATILE: Final = frozenset({"generatedAt", "pdfUrl", "sha256", "signature", "signatureFile",
                             "pdfSha256", "pdfSignature"})


def viral(document: dict[str, Any], hash_value: str, pdq: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["files"] = [{**changed["files"][0], "annotations": ["VIRAL"],
                         "hashes": [{"algorithm": "SHA256", "value": hash_value},
                                    {"algorithm": "MD5", "value": "9e" * 16},
                                    {"algorithm": "PDQ", "value": pdq}]}]
    return changed


def flipped(pdq: str, bits: int) -> str:
    """A PDQ hash ``bits`` bits away from ``pdq``."""
    return f"{int(pdq, 16) ^ ((1 << bits) - 1):064x}"


# The files' PDQ hashes: the second's 9 bits from the first's, the hash list's 5 bits from it,
# so the list suggests a label for both, and the first's analyst label one for the second.
PDQ: Final = "5a" * 32
LISTED_PDQ: Final = flipped(PDQ, 5)
FIRST: Final = viral(FULL_INPUT, "b" * 64, PDQ)
SECOND: Final = {**viral(FULL_INPUT, "b" * 64, flipped(PDQ, 9)), "annotations": [],
                 "escalateToHighPriority": None, "victims": []}

SUBMIT: Final = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  id files { id } } }"""
OPEN: Final = "mutation($input: OpenReportInput!) { openReport(input: $input) { id } }"
CANCEL: Final = "mutation($id: ID!) { cancelReport(reportId: $id) { id } }"
TRIAGE: Final = """mutation($id: ID!, $file: ID!, $agency: ID!) {
  setPriority(reportId: $id, priority: P1, reason: "r") { id }
  setDisposition(reportId: $id, disposition: REFERRAL, reason: "r") { id }
  classifyFile(fileId: $file, label: "CSAM-confirmed", basis: "viewed the file") { id }
  addNote(reportId: $id, text: "an analyst's note") { id }
  referReport(reportId: $id, agencyId: $agency, reason: "in their area") { id } }"""
OUTCOME: Final = """mutation($id: ID!) {
  recordReferralOutcome(reportId: $id, outcome: RECEIVED, note: "got it") { at } }"""


# Limits that let the whole corpus through (a document of every field is large by design).
RELAXED: Final = {
    "TIPGRAPH_COMMON_IDENTIFIER_REPORTS": str(THRESHOLD), "TIPGRAPH_MAX_TOKENS": "1000000",
    "TIPGRAPH_MAX_COST": "1000000000", "TIPGRAPH_MAX_ALIASES": "1000",
    "TIPGRAPH_MAX_EXPANDED_FIELDS": "1000000", "TIPGRAPH_MAX_DEPTH": "20",
    "TIPGRAPH_MAX_DIRECTIVES": "100", "TIPGRAPH_RATE_EXPENSIVE_PER_MINUTE": "1000000",
    "TIPGRAPH_RATE_MUTATIONS_PER_MINUTE": "1000000"}


@dataclass
class Client:
    http: httpx.AsyncClient
    tokens: Tokens

    async def ask(self, query: str, variables: dict[str, Any] | None, token: str) -> Any:
        response = await self.http.post("/graphql", json={"query": query,
                                                          "variables": variables or {}},
                                        headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 503), response.text
        return response.json()

    async def do(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        body = await self.ask(query, variables, token)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data


@contextlib.asynccontextmanager
async def client(neo4j_uri: str, folder: Path, tokens: Tokens,
                 **overrides: str) -> AsyncIterator[Client]:
    """An app on the tests' graph whose limits let the whole corpus through."""
    settings = make_settings(neo4j_uri, folder, **{**RELAXED, **overrides})
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test", timeout=120) as http):
        yield Client(http, Tokens(load_keys(settings.tokens), settings))


async def enrich(db: Database) -> None:
    await enrich_all(db, THRESHOLD)


async def submit(c: Client, esp: str, document: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = (await c.do(SUBMIT, {"input": document},
                                         c.tokens.esp(esp)))["submitReport"]
    return report


async def triage(c: Client, report: dict[str, Any], agency: str) -> None:
    analyst = c.tokens.mint(Role.ANALYST, subject="analyst-1")
    await c.do(TRIAGE, {"id": report["id"], "file": report["files"][0]["id"],
                        "agency": agency}, analyst)
    await c.do(OUTCOME, {"id": report["id"]}, c.tokens.mint(Role.LE, agency_id=agency))


async def build_visible(c: Client, db: Database) -> list[str]:
    """esp-p's reports: two submitted (referred to agency-p, one triaged) and one open."""
    for esp in ("esp-p", "esp-h"):
        await register_reporter(db, esp, esp.upper())
    for agency, sees_all in (("agency-p", False), ("agency-h", False), ("agency-all", True)):
        await upsert_agency(db, AgencySpec(agency, agency.title(), AgencyKind.STATE,
                                           ("US-CA",), sees_all=sees_all))
    # matches present: a hash list (exact and near), and the first file's analyst label
    await import_list(db, list_version("corpus-list", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"SHA256,{'b' * 64},A1\nPDQ,{LISTED_PDQ},B1\n"), by="test")
    first = await submit(c, "esp-p", FIRST)
    second = await submit(c, "esp-p", SECOND)
    await triage(c, first, "agency-p")
    analyst = c.tokens.mint(Role.ANALYST)
    await c.do("mutation($id: ID!) { referReport(reportId: $id, agencyId: \"agency-p\","
               " reason: \"r\") { id } }", {"id": second["id"]}, analyst)
    opened = (await c.do(OPEN, {"input": {k: v for k, v in SECOND.items() if k != "files"}},
                         c.tokens.esp("esp-p")))["openReport"]
    await enrich(db)

    async def matched_tx(tx: Any) -> list[tuple[str, str, bool]]:
        return [(str(r["report"]), r["label"], r["near"]) for r in await run(tx, """
            MATCH (r:Report)-[:HAS_FILE]->(:File)-[:LABELLED]->(c:Classification)
            WHERE c.source = 'MATCH'
            RETURN r.id AS report, c.label AS label, c.nearFile IS NOT NULL AS near""")]
    # the list's exact and near matches on both, and the first's label near the second
    assert sorted(await db.read(matched_tx)) == sorted([
        (first["id"], "A1", False), (first["id"], "B1", False), (second["id"], "A1", False),
        (second["id"], "B1", False), (second["id"], "CSAM-confirmed", True)])
    return [first["id"], second["id"], opened["id"]]


async def pools(db: Database, visible: list[str], cursors: dict[str, list[str]]) -> Pools:
    async def tx(tx: Any) -> dict[str, Any]:
        [record] = await run(tx, """
            MATCH (r:Report) WHERE r.id IN [x IN $ids | toInteger(x)]
            OPTIONAL MATCH (r)-[:MENTIONS]->(i:Identifier)
            OPTIONAL MATCH (r)-[:HAS_FILE]->(f:File)
            OPTIONAL MATCH (r)-[:IN_JURISDICTION]->(j:Jurisdiction)
            RETURN collect(DISTINCT i {.id, .kind, .value, .scope}) AS identifiers,
                   collect(DISTINCT toString(f.id)) AS files, collect(DISTINCT j.code) AS codes
            """, ids=visible)
        return dict(record)

    found = await db.read(tx)
    # one identifier of each kind: every kind's rules, without asking twenty times alike
    by_kind = {i["kind"]: i for i in sorted(found["identifiers"], key=lambda i: i["value"])}
    identifiers = sorted(by_kind.values(), key=lambda i: i["kind"])
    return Pools(report_ids=visible, identifier_ids=[i["id"] for i in identifiers],
                 agency_ids=["agency-p", "agency-h", "agency-all"], file_ids=found["files"],
                 identifiers=[{k: i[k] for k in ("kind", "value", "scope")}
                              for i in identifiers],
                 reporter_ids=["esp-p", "esp-h"], jurisdiction_codes=sorted(found["codes"]),
                 cursors=cursors)


def stable(value: Any, path: str = "") -> Any:
    """The answer with what differs between two identical asks taken out (see VOLATILE)."""
    if isinstance(value, dict):
        return {k: "<volatile>" if k in VOLATILE else stable(v, f"{path}.{k}")
                for k, v in value.items()}
    if isinstance(value, list):
        return [stable(v, path) for v in value]
    if isinstance(value, str) and value.startswith("{") and path.endswith(".json"):
        return stable({k: v for k, v in json.loads(value).items() if k != "generatedAt"},
                      path)
    return value


async def answers(c: Client, corpus: list[Document], token: str) -> dict[str, Any]:
    return {doc.name: stable(await c.ask(doc.query, doc.variables, token)) for doc in corpus}


def end_cursors(answers: dict[str, Any]) -> list[str]:
    found = []
    for name, body in answers.items():
        page = (body.get("data") or {}).get(name.split("#")[0]) if name.startswith(
            "reports#") else None
        if page and page.get("pageInfo", {}).get("endCursor"):
            found.append(page["pageInfo"]["endCursor"])
    return sorted(set(found))[:4]
