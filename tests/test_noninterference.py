"""Noninterference: what a reader may not see changes no byte of what it sees.

For each principal P: build a world P sees part of, record P's answer to every document of a
corpus generated from the schema (tests/corpus.py), add hidden reports that share every
identifier, hash, bundle and jurisdiction with P's reports (another ESP's; open, cancelled,
expired; submitted earlier; referred to another agency; triaged, labelled and enriched), and
ask again. Every answer must be byte-for-byte the same.

Only values global by nature are exempt, and they are not in the corpus: ids allocated in
blocks (the hidden reports are added after the visible ones, so no visible id moves) and the
public statistics (published aggregates of every submitted report). Within one world, a
referral package's generation time and the signatures over it differ between two identical
asks: the fields named in :data:`VOLATILE` are masked, and the package's JSON is compared
without its ``generatedAt``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from api.app import create_app
from authz.roles import Role
from authz.tokens import load_keys
from graph.core.db import Database, run
from graph.referrals.agencies import AgencyKind, AgencySpec, upsert_agency
from graph.reports.reporters import register_reporter
from graph.triage.enrichment import EnrichmentWorker
from graph.triage.geo import geo_provider
from resolvers.schema import build_schema
from tests.conftest import Tokens
from tests.corpus import Pools, documents
from tests.documents import FULL_INPUT
from tests.helpers import make_settings

THRESHOLD: Final = 3  # common above 3 reports: the hidden reports push every identifier past it
VOLATILE: Final = frozenset({"generatedAt", "pdfUrl", "sha256", "signature", "signatureFile",
                             "pdfSha256", "pdfSignature"})


@dataclass(frozen=True)
class Reader:
    role: Role
    claims: dict[str, str]
    sees_referrals_to_others: bool = False  # a seesAll agency sees every referred report


READERS: Final = {
    "esp": Reader(Role.ESP, {"esp_id": "esp-p"}),
    "le": Reader(Role.LE, {"agency_id": "agency-p"}),
    "le-without-pii": Reader(Role.LE, {"agency_id": "agency-p",
                                       "scope": "report:read files:read links:explore"}),
    "le-sees-all": Reader(Role.LE, {"agency_id": "agency-all"}, sees_referrals_to_others=True),
}


def viral(document: dict[str, Any], hash_value: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["files"] = [{**changed["files"][0], "annotations": ["VIRAL"],
                         "hashes": [{"algorithm": "SHA256", "value": hash_value},
                                    {"algorithm": "MD5", "value": "9e" * 16}]}]
    return changed


FIRST: Final = viral(FULL_INPUT, "b" * 64)
SECOND: Final = {**viral(FULL_INPUT, "b" * 64), "annotations": [],
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
async def client(neo4j_uri: str, folder: Path, tokens: Tokens) -> AsyncIterator[Client]:
    settings = make_settings(
        neo4j_uri, folder, TIPGRAPH_COMMON_IDENTIFIER_REPORTS=str(THRESHOLD),
        TIPGRAPH_MAX_TOKENS="1000000", TIPGRAPH_MAX_COST="1000000000",
        TIPGRAPH_MAX_ALIASES="1000", TIPGRAPH_MAX_EXPANDED_FIELDS="1000000",
        TIPGRAPH_MAX_DEPTH="20", TIPGRAPH_MAX_DIRECTIVES="100",
        TIPGRAPH_RATE_EXPENSIVE_PER_MINUTE="1000000",
        TIPGRAPH_RATE_MUTATIONS_PER_MINUTE="1000000")
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://tipgraph.test", timeout=120) as http):
        yield Client(http, Tokens(load_keys(settings.tokens), settings))


async def enrich(db: Database) -> None:
    worker = EnrichmentWorker(db, geo_provider(None), common_threshold=THRESHOLD)
    while await worker.run_due():
        pass


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
    first = await submit(c, "esp-p", FIRST)
    second = await submit(c, "esp-p", SECOND)
    await triage(c, first, "agency-p")
    analyst = c.tokens.mint(Role.ANALYST)
    await c.do("mutation($id: ID!) { referReport(reportId: $id, agencyId: \"agency-p\","
               " reason: \"r\") { id } }", {"id": second["id"]}, analyst)
    opened = (await c.do(OPEN, {"input": {k: v for k, v in SECOND.items() if k != "files"}},
                         c.tokens.esp("esp-p")))["openReport"]
    await enrich(db)
    return [first["id"], second["id"], opened["id"]]


async def add_hidden(c: Client, db: Database, reader: Reader) -> None:
    """Reports the reader may not see, sharing everything with its own, submitted earlier."""
    hidden: list[str] = []
    for document in (FIRST, SECOND, FIRST, SECOND, FIRST):
        report = await submit(c, "esp-h", document)
        hidden.append(report["id"])
        if not reader.sees_referrals_to_others:  # it would see a referred one
            await triage(c, report, "agency-h")
    if reader.role is Role.ESP:  # referred to the reader's own agency's peer: still esp-h's
        report = await submit(c, "esp-h", FIRST)
        await triage(c, report, "agency-p")
        hidden.append(report["id"])
    esp = c.tokens.esp("esp-h")
    for _ in range(2):
        opened = (await c.do(OPEN, {"input": {k: v for k, v in FIRST.items() if k != "files"}},
                             esp))["openReport"]
        hidden.append(opened["id"])
        cancelled = (await c.do(OPEN, {"input": {k: v for k, v in FIRST.items()
                                                 if k != "files"}}, esp))["openReport"]
        await c.do(CANCEL, {"id": cancelled["id"]}, esp)
        hidden.append(cancelled["id"])

    async def backdate_tx(tx: Any) -> None:
        # As if the hidden reports had come first: earlier times, and the identifiers they
        # share first seen with them (an expired one: open past its deadline).
        await run(tx, """
            UNWIND $ids AS id MATCH (r:Report {id: toInteger(id)})
            SET r.openedAt = r.openedAt - duration('P60D'),
                r.modifiedAt = r.modifiedAt - duration('P60D'),
                r.queuedAt = r.queuedAt - duration('P60D'),
                r.finishedAt = r.finishedAt - duration('P60D'),
                r.expiresAt = CASE WHEN r.status = 'OPEN' THEN datetime() - duration('PT1H')
                                   END
            WITH r MATCH (r)-[:MENTIONS]->(i:Identifier)
            SET i.firstSeenAt = r.openedAt""", ids=hidden)

    await db.write(backdate_tx)
    await enrich(db)


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


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            found.extend(differences(before.get(key), after.get(key), f"{path}.{key}"))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True))
                for d in differences(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {json.dumps(before)[:300]} -> "
                                       f"{json.dumps(after)[:300]}"]


async def answers(c: Client, corpus: list[Any], token: str) -> dict[str, Any]:
    return {doc.name: stable(await c.ask(doc.query, doc.variables, token)) for doc in corpus}


def end_cursors(answers: dict[str, Any]) -> list[str]:
    found = []
    for name, body in answers.items():
        page = (body.get("data") or {}).get(name.split("#")[0]) if name.startswith(
            "reports#") else None
        if page and page.get("pageInfo", {}).get("endCursor"):
            found.append(page["pageInfo"]["endCursor"])
    return sorted(set(found))[:4]


@pytest.mark.parametrize("reader_name", sorted(READERS))
async def test_hidden_reports_change_nothing_a_reader_sees(
        neo4j_uri: str, tmp_path: Path, db: Database, tokens: Tokens,
        reader_name: str) -> None:
    reader = READERS[reader_name]
    async with client(neo4j_uri, tmp_path, tokens) as c:
        # given a world the reader sees part of, and the corpus over it
        visible = await build_visible(c, db)
        token = c.tokens.mint(reader.role, **reader.claims)
        settings = c.tokens.settings
        schema = build_schema(production=False, limits=settings.edge,
                              page_cap=settings.reads.max_page_size, audit=False)._schema
        first = documents(schema, await pools(db, visible, {}))
        pages = [d for d in first if d.name in ("reports#0", "reports#1", "reports#2")]
        cursors = end_cursors(await answers(c, pages, token))
        corpus = documents(schema, await pools(db, visible, {"reports": cursors}))
        before = await answers(c, corpus, token)
        assert any("data" in body and body["data"] and any(body["data"].values())
                   for body in before.values())
        # when reports it may not see join the graph
        await add_hidden(c, db, reader)
        after = await answers(c, corpus, token)
    # then every answer is the same, byte for byte
    changed: dict[str, str] = {}  # the field (indices folded) -> the first document changing it
    for name in before:
        for difference in differences(before[name], after[name]):
            where = re.sub(r"\[\d+\]", "[]", difference.partition(": ")[0])
            changed.setdefault(where, f"{name}: {difference[:400]}")
    assert not changed, "\n".join(f"{where}\n    {example}"
                                   for where, example in sorted(changed.items()))
    assert len(corpus) >= 100
