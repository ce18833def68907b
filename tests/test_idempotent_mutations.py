"""Every mutation takes an idempotency key (issue #18, item 6), the analysts', the agencies' and
the admins' as well as the ESPs': a retry with the key answers the first result and writes
nothing; the key for a different request is a CONFLICT that writes nothing; one caller's key is
not another's; and of requests racing with one key, one writes."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from authz.roles import Role
from graph.core.db import Database, run
from graph.core.visibility import EVERY_REPORT
from graph.links.saved import save_view
from graph.matching.hashlists import import_list, list_version, read_csv
from graph.reports.retention import legal_hold
from resolvers.schema import build_schema
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT, example_input
from tests.world import build_world

MD5 = "9e107d9d372bb6826bd81d3542a419d6"


@dataclass
class Setup:
    """What a case works on: the world's reports, a fresh submitted report and its file."""

    reports: dict[str, int]
    report: str
    file: str
    tokens: Tokens
    db: Database

    def token(self, who: str) -> str:
        if who == "le":
            return self.tokens.mint(Role.LE, agency_id="agency-1", subject="det-1")
        return self.tokens.mint(Role(who), subject=f"{who}-1")


@dataclass
class Case:
    """A mutation, who sends it, its variables and a second, different request (``other``)
    for the same key. ``before`` prepares what the mutation needs."""

    document: str
    who: str
    variables: Callable[[Setup], dict[str, Any]]
    other: dict[str, Any]
    before: Callable[[Setup], Awaitable[None]] | None = None
    mark: list[Any] = field(default_factory=list)


async def _held(setup: Setup) -> None:
    await legal_hold(setup.db, int(setup.report), place=True, reason="subpoena pending",
                     by="analyst-1", now=datetime.now(UTC), rows=EVERY_REPORT)


async def _listed(setup: Setup) -> None:
    await import_list(setup.db, list_version("known-1", "1", "Example Hotline", "INDUSTRY"),
                      read_csv(f"MD5,{MD5},B1\n"), by="test")


async def _viewed(setup: Setup) -> None:
    await save_view(setup.db, f"{Role.ANALYST.value}//analyst-1", "case 1", {"nodes": []})


CASES: dict[str, Case] = {
    "addNote": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          addNote(reportId: $id, text: $v, idempotencyKey: $key) { id text by at } }""",
        "analyst", lambda s: {"id": s.report, "v": "called the ESP"}, {"v": "another note"}),
    "setPriority": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          setPriority(reportId: $id, priority: P1, reason: $v, idempotencyKey: $key) {
            id priority history { kind at by reason } } }""",
        "analyst", lambda s: {"id": s.report, "v": "meeting planned"}, {"v": "other reason"}),
    "setDisposition": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          setDisposition(reportId: $id, disposition: REFERRAL, reason: $v,
                         idempotencyKey: $key) { id disposition history { kind at } } }""",
        "analyst", lambda s: {"id": s.report, "v": "actionable"}, {"v": "other reason"}),
    "classifyFile": Case(
        """mutation($file: ID!, $v: String!, $key: String) {
          classifyFile(fileId: $file, label: "needs review", basis: $v,
                       idempotencyKey: $key) {
            id files { classifications { label source by at basis } } } }""",
        "analyst", lambda s: {"file": s.file, "v": "viewed the file"}, {"v": "hash only"}),
    "setReportJurisdiction": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          setReportJurisdiction(reportId: $id, code: "US-TX", reason: $v,
                                idempotencyKey: $key) {
            id jurisdictions { basis by at jurisdiction { code } } history { kind at } } }""",
        "analyst", lambda s: {"id": s.report, "v": "ESP says Texas"}, {"v": "other"}),
    "placeLegalHold": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          placeLegalHold(reportId: $id, reason: $v, idempotencyKey: $key) {
            id legalHold history { kind at by reason } } }""",
        "analyst", lambda s: {"id": s.report, "v": "subpoena pending"}, {"v": "other"}),
    "releaseLegalHold": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          releaseLegalHold(reportId: $id, reason: $v, idempotencyKey: $key) {
            id legalHold history { kind at } } }""",
        "analyst", lambda s: {"id": s.report, "v": "case closed"}, {"v": "other"},
        before=_held),
    "referReport": Case(
        """mutation($id: ID!, $v: String!, $key: String) {
          referReport(reportId: $id, agencyId: "agency-2", reason: $v,
                      idempotencyKey: $key) {
            id referrals { agency { id } reason } } }""",
        "analyst", lambda s: {"id": str(s.reports["B2"]), "v": "in NY"}, {"v": "other"}),
    "recordReferralOutcome": Case(
        """mutation($id: ID!, $v: String, $key: String) {
          recordReferralOutcome(reportId: $id, outcome: RECEIVED, note: $v,
                                idempotencyKey: $key) {
            agency { id } outcomes { outcome note at by } } }""",
        "le", lambda s: {"id": str(s.reports["A2"]), "v": "case 26-114"}, {"v": "other"}),
    "createAgency": Case(
        """mutation($v: String!, $key: String) {
          createAgency(input: {id: "agency-9", name: $v, kind: STATE,
                               jurisdictions: ["US-TX"]}, idempotencyKey: $key) {
            id name jurisdictions { code } } }""",
        "admin", lambda s: {"v": "Agency Nine"}, {"v": "Agency Ten"}),
    "setAgencyJurisdictions": Case(
        """mutation($v: String!, $key: String) {
          setAgencyJurisdictions(agencyId: "agency-1", jurisdictions: [$v],
                                 idempotencyKey: $key) { id jurisdictions { code } } }""",
        "admin", lambda s: {"v": "US-TX"}, {"v": "US-FL"}),
    "setAgencySignalWeights": Case(
        """mutation($v: Float!, $key: String) {
          setAgencySignalWeights(agencyId: "agency-1", weights: [{name: "RECENCY", weight: $v}],
                                 idempotencyKey: $key) { name weight } }""",
        "admin", lambda s: {"v": 7.0}, {"v": 8.0}),
    "importHashList": Case(
        """mutation($v: String!, $key: String) {
          importHashList(input: {name: "known-2", version: "1", source: "Example Hotline",
                                 scheme: "INDUSTRY", csv: $v}, idempotencyKey: $key) {
            id entries matches importedAt importedBy } }""",
        "admin", lambda s: {"v": f"MD5,{MD5},B2\n"}, {"v": f"MD5,{MD5},A1\n"}),
    "retireHashList": Case(
        """mutation($v: String, $key: String) {
          retireHashList(name: "known-1", version: $v, idempotencyKey: $key) {
            id retiredAt retiredBy } }""",
        "admin", lambda s: {"v": "1"}, {"v": None}, before=_listed),
    "saveView": Case(
        """mutation($v: JSON!, $key: String) {
          saveView(name: "case 1", view: $v, idempotencyKey: $key) {
            name view createdAt savedAt } }""",
        "analyst", lambda s: {"v": {"nodes": [s.report]}}, {"v": {"nodes": ["1"]}}),
    "deleteView": Case(
        """mutation($v: String!, $key: String) { deleteView(name: $v, idempotencyKey: $key) }""",
        "analyst", lambda s: {"v": "case 1"}, {"v": "case 2"}, before=_viewed),
}


async def _setup(api: Api, esp: str, db: Database, tokens: Tokens) -> Setup:
    world = await build_world(db)
    body = await api.gql(SUBMIT_REPORT, {"input": example_input()}, token=esp)
    report = body["data"]["submitReport"]
    files = await api.gql("query($id: ID!) { report(id: $id) { files { id } } }",
                          {"id": report["id"]}, token=tokens.mint(Role.ANALYST))
    return Setup(world.reports, str(report["id"]),
                 str(files["data"]["report"]["files"][0]["id"]), tokens, db)


async def _graph(db: Database) -> str:
    """A digest of the whole graph but the audit trail (which records every request,
    replays too): every node's labels and properties, every relationship."""
    async def tx(t: Any) -> str:
        nodes = await run(t, "MATCH (n) WHERE NOT n:AuditEvent AND NOT n:AuditHead "
                             "RETURN labels(n) AS l, properties(n) AS p")
        links = await run(t, "MATCH (a)-[r]->(b) WHERE NOT a:AuditEvent AND NOT b:AuditEvent "
                             "RETURN type(r) AS t, properties(r) AS p, "
                             "elementId(a) AS a, elementId(b) AS b")
        text = sorted(json.dumps([sorted(r["l"]), r["p"]], sort_keys=True, default=str)
                      for r in nodes)
        text += sorted(json.dumps(dict(r), sort_keys=True, default=str) for r in links)
        return hashlib.sha256("\n".join(text).encode()).hexdigest()
    return await db.read(tx)


def _code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def test_every_mutation_takes_an_idempotency_key() -> None:
    schema = build_schema(production=False)._schema
    assert schema.mutation_type is not None
    without = [name for name, f in schema.mutation_type.fields.items()
               if "idempotencyKey" not in f.args]
    assert without == []
    # and this file tests every one the ESP door does not (tests/test_idempotency.py)
    esp_door = {"openReport", "submitReport", "addFile", "finishReport", "cancelReport"}
    assert set(schema.mutation_type.fields) - esp_door == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_retry_with_the_key_answers_the_first_result_and_writes_nothing(
        name: str, api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    case = CASES[name]
    setup = await _setup(api, esp, db, tokens)
    if case.before is not None:
        await case.before(setup)
    token = setup.token(case.who)
    sent = {**case.variables(setup), "key": f"{name}-0001"}
    first = await api.gql(case.document, sent, token=token)
    assert "errors" not in first, first
    after_first = await _graph(db)
    # the retry answers what the first did, and changes nothing in the graph
    assert await api.gql(case.document, sent, token=token) == first
    assert await _graph(db) == after_first
    # the key for a different request: CONFLICT, nothing written
    other = await api.gql(case.document, {**sent, **case.other}, token=token)
    assert _code(other) == "CONFLICT", other
    assert other["errors"][0]["extensions"].get("field") == "idempotencyKey", other
    assert await _graph(db) == after_first


async def test_keys_are_each_callers_own_and_racing_retries_write_once(
        api: Api, esp: str, db: Database, tokens: Tokens) -> None:
    case = CASES["addNote"]
    setup = await _setup(api, esp, db, tokens)
    sent = {**case.variables(setup), "key": "note-0001"}
    # eight at once with one key: one note between them, and every answer is that note
    analyst = tokens.mint(Role.ANALYST, subject="analyst-1")
    racing = await asyncio.gather(*[api.gql(case.document, sent, token=analyst)
                                    for _ in range(8)])
    assert len({json.dumps(body, sort_keys=True) for body in racing}) == 1, racing
    # another analyst's same key is that analyst's own: a second note, by them
    mine = await api.gql(case.document, sent, token=tokens.mint(Role.ANALYST,
                                                                 subject="analyst-2"))
    assert mine["data"]["addNote"]["by"] == "analyst-2"
    notes = await api.gql("query($id: ID!) { report(id: $id) { notes { id by } } }",
                          {"id": setup.report}, token=analyst)
    assert sorted(n["by"] for n in notes["data"]["report"]["notes"]) == [
        "analyst-1", "analyst-2"]
    # without a key, a retry is a second note, as before
    await api.gql(case.document, {**sent, "key": None}, token=analyst)
    notes = await api.gql("query($id: ID!) { report(id: $id) { notes { id } } }",
                          {"id": setup.report}, token=analyst)
    assert len(notes["data"]["report"]["notes"]) == 3


async def test_a_refused_change_records_no_key(api: Api, esp: str, db: Database,
                                               tokens: Tokens) -> None:
    """A change that fails writes nothing, its key neither: the same key, once the cause is
    gone, makes the change."""
    case = CASES["releaseLegalHold"]
    setup = await _setup(api, esp, db, tokens)
    token = setup.token("analyst")
    sent = {**case.variables(setup), "key": "release-1"}
    refused = await api.gql(case.document, sent, token=token)
    assert _code(refused) == "CONFLICT"  # not on hold
    assert "idempotencyKey" not in json.dumps(refused)
    await _held(setup)
    released = await api.gql(case.document, sent, token=token)
    assert "errors" not in released, released
    assert released["data"]["releaseLegalHold"]["legalHold"] is None
