"""The audit trail: every look by a person is recorded, chained, and tampering is caught."""

from __future__ import annotations

import json
from typing import Any

from authz.roles import Role
from graph.audit.trail import verify
from graph.core.db import Database, run
from tests.conftest import Api, Tokens
from tests.helpers import tipgraph
from tests.world import build_world

AUDIT_EVENTS = """
query($filter: AuditEventFilter) {
  auditEvents(filter: $filter, first: 50) {
    edges { node { seq subject role agencyId operation operationType queryHash reportIds
                   deniedFields outcome clientAddress requestId prevHash hash } }
  }
}
"""


async def test_an_agency_read_is_recorded_with_what_it_touched(api: Api, db: Database,
                                                               tokens: Tokens) -> None:
    # given a report referred to agency-1, read by its officer without pii:read
    world = await build_world(db)
    officer = tokens.mint(Role.LE, agency_id="agency-1", subject="officer-7",
                          scope="report:read")
    response = await api.client.post("/graphql", json={
        "query": "query ReadTip($id: ID!) { report(id: $id) { id reportedPeople { firstName } } }",
        "variables": {"id": world.reports["A2"]}}, headers={"Authorization": f"Bearer {officer}"})
    # when an auditor reads the trail for that report
    body = await api.gql(AUDIT_EVENTS, {"filter": {"reportId": str(world.reports["A2"])}},
                         token=tokens.mint(Role.AUDITOR))
    # then the read is there: who, what, which report, which fields were denied, from where
    [event] = [e["node"] for e in body["data"]["auditEvents"]["edges"]]
    assert event["subject"] == "officer-7"
    assert event["role"] == "le"
    assert event["agencyId"] == "agency-1"
    assert event["operation"] == "ReadTip"
    assert event["operationType"] == "query"
    assert event["reportIds"] == [str(world.reports["A2"])]
    assert event["deniedFields"] == ["report.reportedPeople.0.firstName"]
    assert event["outcome"] == "FORBIDDEN"
    assert event["clientAddress"] == "203.0.113.250"
    assert event["requestId"] == response.headers["request-id"]
    assert len(event["queryHash"]) == 64


async def test_refused_tokens_and_every_role_but_esp_are_recorded(api: Api, db: Database,
                                                                  tokens: Tokens) -> None:
    await build_world(db)
    await api.gql("{ reports { totalCount } }", token="garbage.token.here")
    await api.gql("{ reports { totalCount } }", token=tokens.mint(Role.ANALYST))
    await api.gql("{ reports { totalCount } }", token=tokens.esp("esp-a"))
    await api.gql("{ agencies { id } }", token=tokens.mint(Role.ADMIN))
    body = await api.gql(AUDIT_EVENTS, token=tokens.mint(Role.AUDITOR))
    events = [e["node"] for e in body["data"]["auditEvents"]["edges"]]
    roles = [(e["role"], e["outcome"]) for e in reversed(events)]
    assert roles == [("unauthenticated", "UNAUTHENTICATED"), ("analyst", "OK"),
                     ("admin", "OK")]  # the esp's own reading is not a person's look
    assert events[-1]["subject"] == "(malformed token)"


async def test_only_auditors_read_the_trail(api: Api, db: Database, tokens: Tokens) -> None:
    for role in (Role.ANALYST, Role.ADMIN):
        body = await api.gql(AUDIT_EVENTS, token=tokens.mint(role))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_chain_verifies_and_a_tampered_event_is_named(api: Api, db: Database,
                                                                tokens: Tokens,
                                                                settings: Any) -> None:
    analyst = tokens.mint(Role.ANALYST)
    for _ in range(5):
        await api.gql("{ reports { totalCount } }", token=analyst)
    assert await verify(db) == {"ok": True, "events": 5}

    async def tamper(t: Any) -> None:
        await run(t, "MATCH (e:AuditEvent {seq: 3}) SET e.subject = 'someone-else'")

    await db.write(tamper)
    result = await verify(db)
    assert result["ok"] is False
    assert result["brokenAt"] == 3
    # and the command says so too, with a non-zero exit
    command = tipgraph(settings, "audit", "verify")
    assert command.returncode == 4
    assert json.loads(command.stdout)["brokenAt"] == 3


async def test_a_deleted_event_breaks_the_chain(api: Api, db: Database, tokens: Tokens) -> None:
    analyst = tokens.mint(Role.ANALYST)
    for _ in range(4):
        await api.gql("{ reports { totalCount } }", token=analyst)

    async def delete_last(t: Any) -> None:
        await run(t, "MATCH (e:AuditEvent {seq: 4}) DELETE e")

    await db.write(delete_last)
    result = await verify(db)
    assert result["ok"] is False
    assert result["brokenAt"] == 4


async def test_a_cursor_the_api_did_not_return_is_bad_input(api: Api, db: Database,
                                                            tokens: Tokens) -> None:
    auditor = tokens.mint(Role.AUDITOR)
    for cursor in ("abc", "\u00b2", "-1"):  # the superscript two isdigit() in Python
        body = await api.gql("query($a: String) { auditEvents(after: $a) { edges { cursor } } }",
                             {"a": cursor}, token=auditor)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", cursor


async def test_the_trail_pages_with_page_info_like_every_connection(api: Api, db: Database,
                                                                   tokens: Tokens) -> None:
    for _ in range(3):
        await api.gql("{ agencies { id } }", token=tokens.mint(Role.ADMIN))
    auditor = tokens.mint(Role.AUDITOR)
    page = """query($a: String) { auditEvents(first: 2, after: $a) {
      edges { cursor node { seq } } pageInfo { hasNextPage endCursor } hasNextPage endCursor } }"""
    first = (await api.gql(page, token=auditor))["data"]["auditEvents"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    assert (first["hasNextPage"], first["endCursor"]) == (True, first["pageInfo"]["endCursor"])
    rest = (await api.gql(page, {"a": first["pageInfo"]["endCursor"]},
                          token=auditor))["data"]["auditEvents"]
    seqs = [e["node"]["seq"] for e in first["edges"] + rest["edges"]]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs) >= 3
